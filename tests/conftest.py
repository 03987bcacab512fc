"""Shared fixtures: a real database (SQLite, or PostgreSQL when PARTICIPA_TEST_DATABASE_URL is
set), settings in a temporary data folder, the application and an HTTP client per organization.

Each xdist worker gets its own database, migrated once; every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Date, DateTime, Integer, Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import migrations, page_cache
from core.accounts import passwords
from core.app import create_app
from core.db import Base, make_engine, make_sessionmaker
from core.demo import create_demo
from core.models import Organization, OrganizationHost
from core.plugins import Registry
from core.settings import Settings, load_settings
from tests.mailbox import Inbox, smtp_server

PG_URL = os.environ.get("PARTICIPA_TEST_DATABASE_URL", "")
DEMO_HOST = "vilademo.test"

# Property-based tests (tests/test_properties_*.py): few examples by default, so the suite stays
# fast; HYPOTHESIS_PROFILE=thorough tries many more. Examples run against the real database, so
# there is no deadline, and the function-scoped fixtures (database, app) are shared by the
# examples of one test on purpose: each example starts by putting back the state it needs.
# No example database: the tree is shared, and a failure prints the example to replay.
hypothesis_settings.register_profile(
    "participa", max_examples=25, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile("thorough", parent=hypothesis_settings.get_profile("participa"),
                                     max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "participa"))


# Argon2 with the parameters argon2-cffi gives for tests: the same algorithm and code paths, without
# spending a tenth of a second of CPU on every password a test sets or checks. The parameters are
# read back from each hash, so nothing else changes; the application's own stay as they are.
passwords._hasher = PasswordHasher.from_parameters(argon2_profiles.CHEAPEST)
passwords._DUMMY_HASH = passwords._hasher.hash("no account has this password")


def pytest_report_header(config: pytest.Config) -> str:
    return f"participa database: {'PostgreSQL ' + make_url(PG_URL).render_as_string() if PG_URL else 'SQLite'}"


def run_async(coroutine):
    """Run a coroutine to completion from sync code, even while a test's event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread has its own event loop
        return pool.submit(asyncio.run, coroutine).result()


def _admin(url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server."""
    import asyncpg

    async def run() -> None:
        admin = make_url(url).set(drivername="postgresql")
        connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    run_async(run())


def new_database_url(tmp_path: Path, name: str = "") -> str:
    """A fresh, empty database of the backend under test."""
    if not PG_URL:
        return f"sqlite+aiosqlite:///{tmp_path / (name or 'participa') }.sqlite3"
    database = f"participa_test_{name or 'db'}_{uuid.uuid4().hex[:10]}"
    _admin(PG_URL, f'CREATE DATABASE "{database}"')
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        database = make_url(url).database
        _admin(PG_URL, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def make_settings(data_dir: Path, database_url: str, **overrides) -> Settings:
    values = {
        "data_dir": str(data_dir), "database_url": database_url, "queue_immediate": True,
        "log_json": False, "log_level": "WARNING", "secret_key": "test-secret-" + "x" * 40,
    }
    values.update(overrides)
    return load_settings(environ={}, **values)


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("participa")


@pytest.fixture(scope="session")
def database_url(session_dir: Path) -> Iterator[str]:
    """One migrated database per test process."""
    url = new_database_url(session_dir, "shared")
    settings = make_settings(session_dir / "data", url)
    registry = Registry(settings)

    async def migrate() -> None:
        engine = make_engine(url)
        try:
            await migrations.upgrade(engine, registry)
        finally:
            await engine.dispose()

    run_async(migrate())
    yield url
    drop_database(url)


MAIL_FROM = "Vilademo <participa@vilademo.test>"


@pytest.fixture(scope="session")
def smtp() -> Iterator[Inbox]:
    """One real SMTP server (aiosmtpd) per test process; ``inbox`` empties it for each test."""
    mailbox = Inbox()
    with smtp_server(mailbox) as controller:
        mailbox.port = controller.port
        yield mailbox


@pytest.fixture
def inbox(smtp: Inbox) -> Inbox:
    """The real SMTP server, holding only what this test sends."""
    smtp.envelopes.clear()
    smtp.logins.clear()
    return smtp


# Building the application takes about a second (Litestar inspects each of its ~900 handlers), far
# more than most tests. Each test process therefore builds one application per kind of settings
# (mail to files, or mail to the SMTP server) and hands it to every test that uses the default
# settings and plugins. The application keeps no state of its own between requests: sessions, rate
# limits and caches live in the database, whose tables are emptied before each test, and files live
# in the data folder, which is emptied too. A module that brings its own settings or plugins gets
# an application of its own, as before.
_installs: dict[str, tuple[Settings, Registry]] = {}
_registries: dict[tuple[int, str], Registry] = {}
_apps: dict[int, Litestar] = {}


def _emptied(folder: Path) -> Path:
    if folder.exists():
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    return folder


def shared_settings(kind: str, session_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """The settings of this process's ``kind`` of install, with its data folder emptied."""
    if kind not in _installs:
        settings = make_settings(session_dir / f"data-{kind}", database_url, **overrides)
        _installs[kind] = (settings, Registry(settings))
    settings, _ = _installs[kind]
    _emptied(settings.data_path)
    return settings


def shared_registry(settings: Settings, name: str, build: Callable[[Settings], Registry]) -> Registry:
    """The plugins a module adds (``name``), built once per process for shared settings."""
    if not any(settings is known for known, _ in _installs.values()):
        return build(settings)
    key = (id(settings), name)
    if key not in _registries:
        _registries[key] = build(settings)
    return _registries[key]


def _shared(registry: Registry) -> bool:
    return any(registry is known for _, known in _installs.values()) or any(
        registry is known for known in _registries.values())


@pytest.fixture
def settings(request: pytest.FixtureRequest, session_dir: Path, database_url: str) -> Settings:
    """Mail goes to the ``inbox`` SMTP server in tests marked ``mail``; elsewhere to files in the data folder."""
    if request.node.get_closest_marker("mail"):
        inbox = request.getfixturevalue("inbox")
        return shared_settings("mail", session_dir, database_url, mail_url=f"smtp://127.0.0.1:{inbox.port}",
                        mail_from=MAIL_FROM)
    return shared_settings("files", session_dir, database_url)


@pytest.fixture
def registry(settings: Settings) -> Registry:
    for known, registry in _installs.values():
        if known is settings:
            return registry
    return Registry(settings)


async def _written(connection: AsyncConnection) -> list[Table]:
    """The tables that hold rows (one query; most tables stay empty in a test)."""
    tables = Base.metadata.sorted_tables
    probe = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM \"{table.name}\")" for index, table in enumerate(tables))
    return [tables[index] for index in (await connection.execute(text(probe))).scalars()]


async def _empty_tables(engine: AsyncEngine) -> None:
    """Empty the tables the previous test wrote to."""
    async with engine.begin() as connection:
        written = await _written(connection)
        if not written:
            return
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in written)
            await connection.execute(text(f"TRUNCATE {names} CASCADE"))
            # Ids start at 1 again, also where an insert was rolled back and left its table empty.
            await connection.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                "FROM pg_sequences WHERE last_value IS NOT NULL"))
        else:
            for table in reversed(written):
                await connection.execute(table.delete())


@pytest.fixture(scope="session")
def _worker_engine(database_url: str) -> AsyncEngine:
    # One engine per process, so that its compiled statements are reused from test to test.
    return make_engine(database_url)


@pytest.fixture
async def engine(_worker_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    await _empty_tables(_worker_engine)
    yield _worker_engine
    await _worker_engine.dispose()  # its pooled connections belong to this test's event loop


@pytest.fixture
async def db(engine: AsyncEngine):
    """A session for arranging data and checking results directly in the database."""
    async with make_sessionmaker(engine)() as session:
        yield session


class DemoRows:
    """The rows ``create_demo`` wrote, taken once per process and set of plugins, to be written back
    in one go for the next test that wants the demo: far cheaper than running every seed again.

    Times are moved forward by the time passed since, so "just published" stays just published.
    """

    def __init__(self, organization_id: int, tables: list[tuple[Table, list[dict[str, Any]]]]) -> None:
        self.organization_id, self.tables, self.taken_at = organization_id, tables, datetime.now(UTC)

    @classmethod
    async def take(cls, connection: AsyncConnection, organization_id: int) -> DemoRows:
        tables = []
        for table in Base.metadata.sorted_tables:
            rows = [dict(row) for row in (await connection.execute(table.select())).mappings()]
            if rows:
                tables.append((table, rows))
        return cls(organization_id, tables)

    async def write(self, connection: AsyncConnection) -> None:
        later = datetime.now(UTC) - self.taken_at
        days = timedelta(days=(datetime.now(UTC).date() - self.taken_at.date()).days)
        postgresql = connection.dialect.name == "postgresql"
        # The demo's rows point at each other both ways (a space's active phase, a phase's space).
        await connection.execute(text("SET LOCAL session_replication_role = replica" if postgresql
                                      else "PRAGMA defer_foreign_keys = ON"))
        for table, rows in self.tables:
            moved = [column.name for column in table.columns if isinstance(column.type, DateTime | Date)]
            if moved:
                rows = [dict(row) for row in rows]
                for row in rows:
                    for name in moved:
                        if row[name] is not None:
                            row[name] += later if isinstance(row[name], datetime) else days
            await connection.execute(table.insert(), rows)
        if postgresql:  # the next id of each table follows the rows written with their ids
            serial = [(table.name, column.name) for table, _ in self.tables
                      for column in table.primary_key.columns
                      if len(table.primary_key.columns) == 1 and isinstance(column.type, Integer)]
            await connection.execute(text(" UNION ALL ".join(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{key}'), (SELECT max(\"{key}\") FROM \"{name}\"))"
                for name, key in serial)))


_demos: dict[int, DemoRows] = {}


@pytest.fixture
async def demo(engine: AsyncEngine, registry: Registry):
    """The demo organization, served at http://vilademo.test."""
    shared = _shared(registry)
    async with engine.begin() as connection:
        # Only on empty tables: what a fixture wrote before must neither be copied nor collide.
        empty = not await _written(connection)
        rows = _demos.get(id(registry)) if shared and empty else None
        if rows is not None:
            await rows.write(connection)
    if rows is not None:
        async with make_sessionmaker(engine)() as session:
            return await session.get(Organization, rows.organization_id)
    async with make_sessionmaker(engine).begin() as session:
        organization = await create_demo(session, registry, hosts=(DEMO_HOST,))
    if shared and empty:
        async with engine.connect() as connection:
            _demos[id(registry)] = await DemoRows.take(connection, organization.id)
    return organization


def shared_app(settings: Settings, registry: Registry) -> Litestar:
    """The application of these settings and plugins, built once per process when both are shared."""
    if not _shared(registry):
        return create_app(settings, registry)
    if id(registry) not in _apps:
        _apps[id(registry)] = create_app(settings, registry)
    return _apps[id(registry)]


@pytest.fixture
async def app(settings: Settings, registry: Registry, engine: AsyncEngine):
    application = shared_app(settings, registry)
    yield application
    # Pooled connections belong to this test's event loop; the next test opens its own.
    for dispose in application.on_shutdown:
        await dispose()


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncTestClient]:
    """The test's browser. Another visitor is this client after ``client.cookies.clear()``, another
    organization a full URL (``http://altra.test/...``): a second AsyncTestClient on the same app runs
    on an event loop of its own, and on PostgreSQL the pooled connections belong to the first one's."""
    async with AsyncTestClient(app=app, base_url=f"http://{DEMO_HOST}") as test_client:
        yield test_client


OTHER_HOST = "altra.test"


async def other_organization(db) -> Organization:
    """A second municipality, served at http://altra.test, whose data must never show at the demo's."""
    other = Organization(slug="altra", name={"ca": "Altra Vila"})
    db.add(other)
    await db.flush()
    db.add(OrganizationHost(organization_id=other.id, host=OTHER_HOST, is_main=True))
    await db.flush()
    return other


class QueryCounter:
    """Counts the SQL statements an engine executes while active."""

    def __init__(self, engine: AsyncEngine, *, rendered: bool = True) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []
        self.rendered = rendered

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        if self.rendered:  # count what rendering costs, not a page kept for anonymous visitors
            page_cache.invalidate()
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` counts what the app's engine runs to render a page
    (``count_queries(rendered=False)``: also when the page was kept by core.page_cache)."""
    return lambda rendered=True: QueryCounter(app.state.engine, rendered=rendered)
