"""Migrations: every revision goes up and down, models match migrations, upgrades keep data."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from core import migrations
from core.db import Base, make_engine, make_sessionmaker
from core.models import Component, Organization, OrganizationHost, Space
from core.plugins import Registry
from tests.conftest import drop_database, make_settings, new_database_url


@pytest.fixture
async def fresh(tmp_path):
    """An empty database of the backend under test, and a registry with every plugin enabled."""
    url = new_database_url(tmp_path, "migrations")
    engine = make_engine(url)
    registry = Registry(make_settings(tmp_path / "data", url))
    yield engine, registry
    await engine.dispose()
    drop_database(url)


async def tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return {name for name in await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            if not migrations.unmodelled(name)}


INLINE_SQLITE_KEYS = {("core_spaces", ("area_id",))}
"""Foreign keys added to an existing table with a plain ADD COLUMN on SQLite, their ON DELETE inline in the
column (``... REFERENCES core_areas (id) ON DELETE SET NULL``): SQLite enforces it, but SQLAlchemy reflects
the options of table constraints only, so the key reads back without its ON DELETE."""


def _inline_on_sqlite(connection, difference) -> bool:
    kind, constraint = difference[0], difference[-1] if isinstance(difference, tuple) else None
    return (connection.dialect.name == "sqlite" and kind in ("remove_fk", "add_fk")
            and (constraint.table.name, tuple(column.name for column in constraint.columns)) in INLINE_SQLITE_KEYS)


def _diff(connection):
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": lambda obj, name, *_: not migrations.unmodelled(name)})
    return [difference for difference in compare_metadata(context, Base.metadata)
            if not _inline_on_sqlite(connection, difference)]


async def test_models_and_migrations_agree(fresh):
    engine, registry = fresh
    await migrations.upgrade(engine, registry)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == [], "run `participa db revision --plugin NAME -m ...` for these changes"


async def test_every_revision_upgrades_and_downgrades_on_its_own(fresh):
    engine, registry = fresh
    script = ScriptDirectory.from_config(migrations.alembic_config(registry))
    ordered = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    for revision in ordered:
        await migrations.upgrade(engine, registry, [revision])
    assert {t for t in await tables(engine) if t != "alembic_version"} == set(Base.metadata.tables)
    assert await migrations.current(engine) >= {script.get_revision("pages@head").revision}

    await migrations.downgrade(engine, registry, "pages@base")
    remaining = await tables(engine)
    assert "pages_pages" not in remaining and "core_spaces" in remaining

    await migrations.downgrade(engine, registry, "base")
    assert await tables(engine) <= {"alembic_version"}

    await migrations.upgrade(engine, registry)
    assert migrations.pending(registry, await migrations.current(engine)) == set()


async def test_upgrading_from_an_earlier_state_keeps_the_data(fresh):
    """A database created before a plugin's migrations existed upgrades to head without losing rows."""
    engine, registry = fresh
    await migrations.upgrade(engine, registry, ["core@head"])
    assert migrations.pending(registry, await migrations.current(engine)) != set()
    async with make_sessionmaker(engine).begin() as session:
        organization = Organization(slug="vella", name={"ca": "Vila Vella"})
        session.add(organization)
        await session.flush()
        session.add(OrganizationHost(organization_id=organization.id, host="vella.test", is_main=True))
        space = Space(organization_id=organization.id, space_type="process", slug="p", title={"ca": "Procés"},
                      published=True)
        session.add(space)
        await session.flush()
        session.add(Component(space_id=space.id, component_type="pages", name={"ca": "Info"}, published=True))

    await migrations.upgrade(engine, registry)

    assert migrations.pending(registry, await migrations.current(engine)) == set()
    assert "pages_pages" in await tables(engine)
    async with make_sessionmaker(engine)() as session:
        organization = await session.scalar(select(Organization).where(Organization.slug == "vella"))
        assert organization.name == {"ca": "Vila Vella"}
        component = await session.scalar(select(Component).join(Space).where(Space.slug == "p"))
        assert component.name == {"ca": "Info"} and component.published


async def test_a_disabled_plugin_is_not_upgraded(tmp_path, fresh):
    engine, registry = fresh
    url = engine.url.render_as_string(hide_password=False)
    without_pages = Registry(make_settings(tmp_path / "data2", url, disabled_plugins=["pages"]))
    await migrations.upgrade(engine, without_pages)
    assert "pages_pages" not in await tables(engine)
    assert migrations.pending(without_pages, await migrations.current(engine)) == set()
    assert migrations.pending(registry, await migrations.current(engine)) != set()


async def test_the_terms_in_force_are_found_for_existing_organizations(fresh):
    """Upgrading across the revision that stores the version in force fills it from the history."""
    engine, registry = fresh
    await migrations.upgrade(engine, registry, ["b61c39f6c396"])  # the revision before it
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO core_organizations (id, slug, name, default_locale, available_locales, primary_color, "
            "secondary_color, minimum_age, created_at, registration_mode) VALUES (1, 'vella', :name, 'ca', "
            ":locales, '#000000', '#ffffff', 14, CURRENT_TIMESTAMP, 'open')"),
            {"name": '{"ca": "Vella"}', "locales": '["ca"]'})
        for version in (1, 2):
            await connection.execute(text(
                "INSERT INTO core_terms_of_use (organization_id, version, body, published_at) "
                f"VALUES (1, {version}, '{{}}', CURRENT_TIMESTAMP)"))
    await migrations.upgrade(engine, registry)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT terms_version FROM core_organizations WHERE id = 1")) == 2
