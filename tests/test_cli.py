"""The participa command line, as an operator uses it."""

from __future__ import annotations

import asyncio
import tomllib

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import main
from core.db import make_engine, make_sessionmaker
from core.models import Organization, Space
from tests.conftest import drop_database, new_database_url


@pytest.fixture
def env(tmp_path):
    url = new_database_url(tmp_path, "cli")
    yield {"PARTICIPA_DATA_DIR": str(tmp_path / "data"), "PARTICIPA_DATABASE_URL": url,
           "PARTICIPA_LOG_JSON": "false"}
    drop_database(url)


def run(env, *args):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_plugins_can_be_listed_disabled_and_enabled(env, tmp_path):
    listed = run(env, "plugins", "list")
    assert listed.exit_code == 0
    assert "pages" in listed.output and "enabled" in listed.output and "component types: pages" in listed.output

    disabled = run(env, "plugins", "disable", "pages")
    assert disabled.exit_code == 0, disabled.output
    config = tmp_path / "data" / "participa.toml"
    assert tomllib.loads(config.read_text())["disabled_plugins"] == ["pages"]
    assert "disabled" in run(env, "plugins", "list").output.split("pages")[1].split("\n")[0]

    assert run(env, "plugins", "enable", "pages").exit_code == 0
    assert tomllib.loads(config.read_text())["disabled_plugins"] == []

    unknown = run(env, "plugins", "disable", "nonexistent")
    assert unknown.exit_code != 0 and "no plugin named 'nonexistent'" in unknown.output
    assert run(env, "plugins", "disable", "core").exit_code != 0


def test_db_upgrade_then_current_reports_head(env):
    before = run(env, "db", "current")
    assert before.exit_code == 1 and "pending" in before.output
    upgraded = run(env, "db", "upgrade")
    assert upgraded.exit_code == 0 and "database is at head" in upgraded.output
    after = run(env, "db", "current")
    assert after.exit_code == 0 and "(head)" in after.output and "pending" not in after.output


def test_demo_creates_content_once(env):
    first = run(env, "demo", "--no-serve")
    assert first.exit_code == 0, first.output
    assert run(env, "demo", "--no-serve").exit_code == 0

    async def check() -> None:
        engine = make_engine(env["PARTICIPA_DATABASE_URL"])
        try:
            async with make_sessionmaker(engine)() as session:
                assert await session.scalar(select(func.count(Organization.id))) == 1
                spaces = (await session.scalars(select(Space))).all()
                assert {space.space_type for space in spaces} == {"process", "assembly"}
                assert all(set(space.title) == {"ca", "es", "en"} for space in spaces)
        finally:
            await engine.dispose()

    asyncio.run(check())


def test_bad_settings_are_reported_without_a_traceback(env):
    result = CliRunner().invoke(main, ["db", "current"], env={**env, "PARTICIPA_BACKUP_HOUR": "99"})
    assert result.exit_code != 0
    assert "invalid settings" in result.output and "backup_hour" in result.output
    assert "Traceback" not in result.output


def test_plugins_disable_keeps_the_operators_config_file_intact(env, tmp_path):
    config = tmp_path / "data" / "participa.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# Vilademo production\n[participa]\nbackup_hour = 4  # after the night batch\n')
    assert run(env, "plugins", "disable", "pages").exit_code == 0
    text = config.read_text()
    assert "# Vilademo production" in text and "# after the night batch" in text
    assert tomllib.loads(text)["participa"]["disabled_plugins"] == ["pages"]
    assert "disabled" in run(env, "plugins", "list").output.split("pages")[1].split("\n")[0]
