"""Fill a fresh database with one organization holding a large proposals component.

``python -m bench.generate`` writes, by default, 20,000 people, 100,000 proposals, 1,000,000
supports and 200,000 comments into ``bench/data/`` (SQLite), or into the PostgreSQL database of
``--database-url`` (dropped and created again). Rows go in with Core ``insert()`` in batches; the
counters the support limits read (``proposals_participants.supports_given``,
``proposals_proposals.supports_total``/``supports_count``) are computed from the very rows
written, so they equal the row counts. A JSON marker beside the data records what was generated,
so ``bench.run`` reuses it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench import texts
from core import migrations
from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.comments.models import AGAINST, IN_FAVOUR, NEUTRAL, Comment
from core.comments.services import MAX_DEPTH
from core.db import make_engine, make_sessionmaker, utcnow
from core.demo import create_demo
from core.models import Component, Space
from core.plugins import Registry
from core.search.models import IndexedDocument
from core.search.services import document_row
from core.settings import ROOT, Settings, load_settings
from plugins.proposals.models import SHUFFLE_RANGE, Participant, Proposal, Support
from plugins.proposals.services import search_document, text_to_html, words_of

DATA_DIR = ROOT / "bench" / "data"
SPACE_SLUG = "pressupostos-2027"
PASSWORD = "bench-participa-2027"
HOST = "127.0.0.1"
"""The demo organization answers at localhost and 127.0.0.1."""
BATCH = 10_000
COMMIT_EVERY = 100_000
RESOURCE_TYPE = "proposals.proposal"


@dataclass(frozen=True)
class Sizes:
    users: int = 20_000
    proposals: int = 100_000
    supports: int = 1_000_000
    comments: int = 200_000

    @property
    def reserved(self) -> int:
        """People at the end of the list who support nothing: the load run's supporters, whose actions
        then never collide with generated supports."""
        return max(2, min(1_000, self.users // 10))

    @property
    def name(self) -> str:
        return f"p{self.proposals}-s{self.supports}-c{self.comments}-u{self.users}"

    def check(self) -> None:
        supporters = self.users - self.reserved
        if supporters < 1 or self.proposals < 1:
            raise SystemExit("bench.generate: need at least one proposal and more users than the reserved ones")
        if self.supports > self.proposals * supporters // 2:
            raise SystemExit(f"bench.generate: {self.supports} supports do not fit in {self.proposals} proposals "
                             f"x {supporters} supporters (at most half of the pairs)")


FULL = Sizes()
SMALL = Sizes(users=300, proposals=2_000, supports=10_000, comments=2_000)


# ------------------------------------------------------------------------------------ where the data lives

def default_database_url(data_dir: Path, sizes: Sizes) -> str:
    return f"sqlite+aiosqlite:///{data_dir / (sizes.name + '.sqlite3')}"


def backend_of(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def marker_path(data_dir: Path, database_url: str) -> Path:
    """The JSON file describing what was generated into this database."""
    url = make_url(database_url)
    name = Path(url.database or "db").stem if backend_of(database_url) == "sqlite" else f"pg-{url.database}"
    return data_dir / f"{name}.json"


def read_marker(data_dir: Path, database_url: str) -> dict[str, Any] | None:
    path = marker_path(data_dir, database_url)
    if not path.exists():
        return None
    marker = json.loads(path.read_text())
    if backend_of(database_url) == "sqlite" and not Path(make_url(database_url).database or "").exists():
        return None
    return marker


def bench_settings(install_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings of the generated install, independent of the caller's PARTICIPA_* variables."""
    values = {"data_dir": str(install_dir), "database_url": database_url, "log_json": True,
              "log_level": "WARNING", "secret_key": "bench-secret-" + "b" * 40}
    values.update(overrides)
    return load_settings(environ={}, **values)


async def _fresh_database(database_url: str) -> None:
    url = make_url(database_url)
    if backend_of(database_url) == "sqlite":
        path = Path(url.database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import asyncpg

    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


async def upgrade(database_url: str, data_dir: Path) -> None:
    """Bring reused data to the code's newest migrations (the code moves on; the data can stay)."""
    settings = bench_settings(data_dir / f"install-{backend_of(database_url)}", database_url)
    engine = make_engine(database_url)
    try:
        await migrations.upgrade(engine, Registry(settings))
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------------ the rows

def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def _pairs(rng: random.Random, proposals: int, supporters: int, count: int) -> list[int]:
    """``count`` distinct (proposal index, supporter index) pairs, as ``proposal << 25 | supporter``.

    Some proposals are far more popular than others and some people support far more than others
    (log-normal weights), as on a real platform.
    """
    proposal_cum = _cumulative([rng.lognormvariate(0, 1.2) for _ in range(proposals)])
    people_cum = _cumulative([rng.lognormvariate(0, 1.0) for _ in range(supporters)])
    proposal_range, people_range = range(proposals), range(supporters)
    chosen: set[int] = set()
    while len(chosen) < count:
        wanted = int((count - len(chosen)) * 1.05) + 100
        for p, u in zip(rng.choices(proposal_range, cum_weights=proposal_cum, k=wanted),
                        rng.choices(people_range, cum_weights=people_cum, k=wanted)):
            chosen.add(p << 25 | u)
    return sorted(chosen if len(chosen) == count else rng.sample(sorted(chosen), count))


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _load(connection: AsyncConnection, table: Any, rows: Iterator[dict[str, Any]], echo: Callable,
                label: str) -> int:
    """Insert the rows with executemany in batches, committing now and then."""
    started, written, since_commit = time.monotonic(), 0, 0
    for batch in _batches(rows):
        await connection.execute(insert(table), batch)
        written += len(batch)
        since_commit += len(batch)
        if since_commit >= COMMIT_EVERY:
            await connection.commit()
            since_commit = 0
    await connection.commit()
    echo(f"  {label}: {written:,} rows in {time.monotonic() - started:.1f} s")
    return written


# ------------------------------------------------------------------------------------ the steps

async def _organization(engine: AsyncEngine, registry: Registry) -> dict[str, Any]:
    """The demo organization; its proposals component of the participatory budget, open to supports
    without a per-person limit (so the counters can hold a million supports)."""
    async with make_sessionmaker(engine).begin() as session:
        organization = await create_demo(session, registry)
        component = await session.scalar(
            select(Component).join(Space).where(Space.organization_id == organization.id, Space.slug == SPACE_SLUG,
                                                Component.component_type == "proposals"))
        space = await session.get(Space, component.space_id)
        component.settings = {**component.settings, "supports_per_participant": 0,
                              "minimum_supports_per_participant": 0, "threshold_per_proposal": 0}
        phase_key = str(space.active_phase_id)
        component.phase_settings = {**component.phase_settings, phase_key: {
            **component.phase_settings.get(phase_key, {}), "creation_enabled": True, "supports_enabled": True,
            "supports_blocked": False}}
        prefix = registry.space_types[space.space_type].url_prefix
        return {"organization_id": organization.id, "terms_version": organization.terms_version,
                "space_id": space.id, "component_id": component.id, "path": f"/{prefix}/{space.slug}/proposals/{component.id}"}


async def _next_id(connection: AsyncConnection, model: Any) -> int:
    return (await connection.scalar(select(func.max(model.id))) or 0) + 1


async def comments_step(connection: AsyncConnection, rng: random.Random, sizes: Sizes, context: dict[str, Any],
                        proposals: list[dict[str, Any]], weights: list[float], people: list[int],
                        echo: Callable) -> int:
    """Comments on the proposals, threaded up to three levels like core.comments makes them."""
    if sizes.comments <= 0:
        return 0
    first_id = await _next_id(connection, Comment)
    per_proposal = [0] * len(proposals)
    for index in rng.choices(range(len(proposals)), cum_weights=_cumulative(weights), k=sizes.comments):
        per_proposal[index] += 1
    now = utcnow()

    def rows() -> Iterator[dict[str, Any]]:
        next_id = first_id
        for proposal, count in zip(proposals, per_proposal):
            thread: dict[int, tuple[int | None, int | None, int]] = {}  # id: (parent, root, depth)
            moment = proposal["published_at"]
            step = (now - moment) / (count + 1)
            for _ in range(count):
                parent_id, root_id, depth = None, None, 1
                if thread and rng.random() < 0.45:
                    parent_id = rng.choice(list(thread))
                    if thread[parent_id][2] == MAX_DEPTH:  # a reply to the deepest level goes beside it
                        parent_id = thread[parent_id][0]
                    parent_root, depth = thread[parent_id][1], thread[parent_id][2] + 1
                    root_id = parent_root or parent_id
                thread[next_id] = (parent_id, root_id, depth)
                moment = moment + step
                yield {"id": next_id, "component_id": context["component_id"], "resource_type": RESOURCE_TYPE,
                       "resource_id": proposal["id"], "author_id": rng.choice(people), "parent_id": parent_id,
                       "root_id": root_id, "depth": depth,
                       "body": texts.comment_text(rng, proposal["language"]),
                       "alignment": rng.choice((IN_FAVOUR, IN_FAVOUR, NEUTRAL, AGAINST)), "created_at": moment}
                next_id += 1

    return await _load(connection, Comment.__table__, rows(), echo, "comments")


async def generate(database_url: str, sizes: Sizes, data_dir: Path = DATA_DIR, seed: int = 2027,
                   echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Create the database from scratch and fill it; returns (and writes) the marker."""
    sizes.check()
    started = time.monotonic()
    backend = backend_of(database_url)
    echo(f"bench.generate: {sizes} into {make_url(database_url).render_as_string()}")
    await _fresh_database(database_url)
    settings = bench_settings(data_dir / f"install-{backend}", database_url)
    registry = Registry(settings)
    engine = make_engine(database_url)
    try:
        await migrations.upgrade(engine, registry)
        context = await _organization(engine, registry)
        echo(f"  migrated, demo organization ready ({time.monotonic() - started:.1f} s)")
        rng = random.Random(seed)
        async with engine.connect() as connection:
            if backend == "sqlite":
                # For the load only: the server runs with the engine's own settings (WAL, synchronous=NORMAL).
                for pragma in ("synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY", "foreign_keys=OFF"):
                    await connection.exec_driver_sql(f"PRAGMA {pragma}")
            counts = await _fill(connection, rng, sizes, context, echo)
            echo("  analyzing ...")
            if backend == "postgresql":
                for table in ("core_users", "proposals_proposals", "core_comments"):
                    await connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            if backend == "sqlite":
                await connection.exec_driver_sql("ANALYZE")
                await connection.commit()
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                await connection.commit()
                # As autovacuum would leave it: statistics, and a visibility map for index-only scans.
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("VACUUM (ANALYZE)")
    finally:
        await engine.dispose()
    marker = {
        "sizes": asdict(sizes), "seed": seed, "backend": backend,
        "database_url": make_url(database_url).render_as_string(), "rows": counts,
        "host": HOST, "component_id": context["component_id"], "path": context["path"],
        "password": PASSWORD, "supporters": counts["reserved_users"], "search_word": texts.SEARCH_WORD,
        "generated_at": utcnow().isoformat(timespec="seconds"), "seconds": round(time.monotonic() - started, 1),
    }
    path = marker_path(data_dir, database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(marker, indent=2) + "\n")
    echo(f"bench.generate: done in {marker['seconds']} s; marker {path}")
    return marker


async def _fill(connection: AsyncConnection, rng: random.Random, sizes: Sizes, context: dict[str, Any],
                echo: Callable) -> dict[str, Any]:
    now = utcnow()
    component_id = context["component_id"]

    # People: one argon2 hash, computed once, for everybody.
    first_user = await _next_id(connection, User)
    password_hash = hash_password(PASSWORD)
    user_ids = list(range(first_user, first_user + sizes.users))
    supporters = user_ids[: sizes.users - sizes.reserved]

    def users() -> Iterator[dict[str, Any]]:
        for number, user_id in enumerate(user_ids):
            joined = now - timedelta(days=rng.uniform(70, 400))
            yield {"id": user_id, "organization_id": context["organization_id"],
                   "email": f"veina{number}@bench.participa.test", "nickname": f"veina{number}",
                   "name": texts.person(rng), "password_hash": password_hash,
                   "locale": "ca" if rng.random() < 0.7 else "es", "created_at": joined, "confirmed_at": joined,
                   "terms_accepted_version": context["terms_version"]}

    await _load(connection, User.__table__, users(), echo, "users")

    # Supports first, in memory: the proposals' counters are written with the proposals.
    started = time.monotonic()
    pairs = _pairs(rng, sizes.proposals, len(supporters), sizes.supports)
    received = [0] * sizes.proposals
    given = [0] * len(supporters)
    for pair in pairs:
        received[pair >> 25] += 1
        given[pair & 0x1FFFFFF] += 1
    echo(f"  chose {len(pairs):,} supports in {time.monotonic() - started:.1f} s")

    first_proposal = await _next_id(connection, Proposal)
    span = timedelta(days=60)
    proposals: list[dict[str, Any]] = []

    def proposal_rows() -> Iterator[dict[str, Any]]:
        for index in range(sizes.proposals):
            language = "ca" if rng.random() < 0.7 else "es"
            title, body_text = texts.proposal_text(rng, language)
            body = text_to_html(body_text)
            published = now - span + span * (index / sizes.proposals) + timedelta(seconds=rng.uniform(0, 30))
            official = rng.random() < 0.005
            row = {
                "id": first_proposal + index, "component_id": component_id,
                "author_id": None if official else rng.choice(supporters), "official": official,
                "title": title, "body": body, "language": language, "words": words_of(f"{title} {body}"),
                "address": None, "state": "published", "published_at": published, "withdrawn_at": None,
                "answer_state": None, "answer": {}, "answer_cost": None, "answered_at": None,
                "answer_published_at": None, "supports_total": received[index], "supports_count": received[index],
                "created_at": published - timedelta(minutes=rng.uniform(5, 90)), "updated_at": published,
                "shuffle": rng.randrange(SHUFFLE_RANGE), "category_id": None, "scope_id": None,
            }
            luck = rng.random()
            if luck < 0.10:
                state = rng.choices(("accepted", "rejected", "evaluating"), weights=(4, 3, 3))[0]
                answered = published + (now - published) * rng.uniform(0.2, 0.9)
                row.update(answer_state=state, answer={language: f"<p>{texts.LANGUAGES[language]['sentences'][0]}</p>"},
                           answer_cost=rng.randrange(1_000, 250_000, 500) if state == "accepted" else None,
                           answered_at=answered, answer_published_at=answered)
            elif luck < 0.11:
                row.update(state="withdrawn", withdrawn_at=published + (now - published) * rng.uniform(0.2, 0.9))
            proposals.append({"id": row["id"], "published_at": published, "language": language})
            documents.append(document_row(context["organization_id"], context["space_id"], component_id,
                                          search_document(SimpleNamespace(**row))))
            yield row

    documents: list[dict[str, Any]] = []
    await _load(connection, Proposal.__table__, proposal_rows(), echo, "proposals")
    await _load(connection, IndexedDocument.__table__, iter(documents), echo, "search documents")
    documents.clear()

    def support_rows() -> Iterator[dict[str, Any]]:
        for pair in pairs:
            proposal = proposals[pair >> 25]
            published = proposal["published_at"]
            yield {"proposal_id": proposal["id"], "user_id": supporters[pair & 0x1FFFFFF],
                   "component_id": component_id, "created_at": published + (now - published) * rng.random()}

    await _load(connection, Support.__table__, support_rows(), echo, "supports")
    await _load(connection, Participant.__table__, (
        {"component_id": component_id, "user_id": supporters[index], "supports_given": count, "counting": True}
        for index, count in enumerate(given) if count), echo, "participants")

    comments = await comments_step(connection, rng, sizes, context, proposals,
                                   [1.0 + count for count in received], supporters, echo)
    return {"users": sizes.users, "reserved_users": [f"veina{number}@bench.participa.test"
                                                     for number in (sizes.users - sizes.reserved, sizes.users - 1)],
            "proposals": sizes.proposals, "supports": sizes.supports, "comments": comments,
            "first_proposal_id": first_proposal, "last_proposal_id": first_proposal + sizes.proposals - 1}


# ------------------------------------------------------------------------------------ checks

async def counters_consistent(engine: AsyncEngine, component_id: int) -> dict[str, int]:
    """Rows whose counters disagree with the support rows (all zero when the data is right)."""
    async with engine.connect() as connection:
        per_proposal = select(func.count(Support.id)).where(Support.proposal_id == Proposal.id).scalar_subquery()
        per_person = select(func.count(Support.id)).where(
            Support.user_id == Participant.user_id, Support.component_id == Participant.component_id
        ).scalar_subquery()
        proposals = await connection.scalar(select(func.count(Proposal.id)).where(
            Proposal.component_id == component_id,
            (Proposal.supports_total != per_proposal) | (Proposal.supports_count != per_proposal)))
        people = await connection.scalar(select(func.count()).select_from(Participant).where(
            Participant.component_id == component_id, Participant.supports_given != per_person))
        totals = await connection.execute(select(
            select(func.count(Support.id)).where(Support.component_id == component_id).scalar_subquery(),
            select(func.coalesce(func.sum(Proposal.supports_total), 0))
            .where(Proposal.component_id == component_id).scalar_subquery(),
            select(func.coalesce(func.sum(Participant.supports_given), 0))
            .where(Participant.component_id == component_id).scalar_subquery()))
        rows, total, given = totals.one()
    return {"proposals_off": proposals or 0, "participants_off": people or 0, "support_rows": rows,
            "supports_total": int(total), "supports_given": int(given)}


# ------------------------------------------------------------------------------------ command line

def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    add_size_options(parser)
    parser.add_argument("--seed", type=int, default=2027)
    return parser


def add_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--small", action="store_true",
                        help=f"CI preset: {SMALL.proposals} proposals, {SMALL.supports} supports, "
                             f"{SMALL.comments} comments, {SMALL.users} users")
    parser.add_argument("--proposals", type=int)
    parser.add_argument("--supports", type=int)
    parser.add_argument("--comments", type=int)
    parser.add_argument("--users", type=int)
    parser.add_argument("--database-url", default="",
                        help="postgresql+asyncpg://... (the database is dropped and created again); "
                             "default: a SQLite file in the data folder")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="Generated databases and markers.")


def sizes_of(args: argparse.Namespace) -> Sizes:
    base = SMALL if args.small else FULL
    return Sizes(
        users=args.users if args.users is not None else base.users,
        proposals=args.proposals if args.proposals is not None else base.proposals,
        supports=args.supports if args.supports is not None else base.supports,
        comments=args.comments if args.comments is not None else base.comments,
    )


def database_url_of(args: argparse.Namespace, sizes: Sizes) -> str:
    return args.database_url or default_database_url(args.data_dir.resolve(), sizes)


def main() -> None:
    args = parser().parse_args()
    sizes = sizes_of(args)
    asyncio.run(generate(database_url_of(args, sizes), sizes, args.data_dir.resolve(), args.seed))


if __name__ == "__main__":
    main()
