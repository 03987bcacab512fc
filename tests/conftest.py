"""Shared fixtures: a real database (SQLite, or PostgreSQL when PARTICIPA_TEST_DATABASE_URL is
set), settings in a temporary data folder, the application and an HTTP client per organization.

Each xdist worker gets its own database, migrated once; every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core import migrations
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


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) catching what the test sends."""
    mailbox = Inbox()
    with smtp_server(mailbox) as controller:
        mailbox.port = controller.port
        yield mailbox


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Mail goes to the ``inbox`` SMTP server in tests marked ``mail``; elsewhere to files in the data folder."""
    mail = {}
    if request.node.get_closest_marker("mail"):
        inbox = request.getfixturevalue("inbox")
        mail = {"mail_url": f"smtp://127.0.0.1:{inbox.port}", "mail_from": MAIL_FROM}
    return make_settings(tmp_path / "data", database_url, **mail)


@pytest.fixture
def registry(settings: Settings) -> Registry:
    return Registry(settings)


async def _empty_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await _empty_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine):
    """A session for arranging data and checking results directly in the database."""
    async with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
async def demo(engine: AsyncEngine, registry: Registry):
    """The demo organization, served at http://vilademo.test."""
    async with make_sessionmaker(engine).begin() as session:
        organization = await create_demo(session, registry, hosts=(DEMO_HOST,))
    return organization


@pytest.fixture
async def app(settings: Settings, registry: Registry, engine: AsyncEngine):
    application = create_app(settings, registry)
    yield application


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncTestClient]:
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

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` counts what the app's engine runs."""
    return lambda: QueryCounter(app.state.engine)
