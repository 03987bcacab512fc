"""Operators create organizations from the command line; the first admin accepts a mailed invitation."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.cli import main
from core.db import make_engine, make_sessionmaker
from core.mail import outbox_messages
from core.models import Organization
from core.roles import OrganizationRole
from tests.conftest import run_async
from tests.test_accounts import csrf

CREATE = ["org", "create", "--slug", "vilanova", "--name", "ca=Ajuntament de Vilanova", "--name",
          "es=Ayuntamiento de Vilanova", "--host", "Participa.Vilanova.test", "--host", "decideix.vilanova.test",
          "--locales", "ca,es", "--default-locale", "ca", "--admin-email", "alcaldia@vilanova.test",
          "--admin-name", "Alcaldia", "--url-scheme", "http"]


def cli_env(settings) -> dict[str, str]:
    return {"PARTICIPA_DATA_DIR": settings.data_dir, "PARTICIPA_DATABASE_URL": settings.database_url,
            "PARTICIPA_SECRET_KEY": settings.secret_key, "PARTICIPA_LOG_JSON": "false"}


async def load(settings, slug):
    engine = make_engine(settings.effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await session.scalar(
                select(Organization).where(Organization.slug == slug).options(selectinload(Organization.hosts))
            )
    finally:
        await engine.dispose()


def test_an_operator_creates_an_organization_and_invites_its_admin(settings, engine):
    result = CliRunner().invoke(main, CREATE, env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "invitation sent to alcaldia@vilanova.test" in result.output
    organization = run_async(load(settings, "vilanova"))
    assert organization.name == {"ca": "Ajuntament de Vilanova", "es": "Ayuntamiento de Vilanova"}
    assert organization.available_locales == ["ca", "es"] and organization.minimum_age == 14
    hosts = {host.host: host.is_main for host in organization.hosts}
    assert hosts == {"participa.vilanova.test": True, "decideix.vilanova.test": False}
    [message] = outbox_messages(settings.outbox_path)
    assert message["To"] == "alcaldia@vilanova.test"
    assert message["Subject"] == "Ajuntament de Vilanova: Tens una invitació"
    assert re.search(r"http://participa\.vilanova\.test/account/invitation/\S+", message.get_content())


@pytest.mark.parametrize(("change", "message"), [
    ({"--slug": "Vila Nova"}, "slug 'Vila Nova'"),
    ({"--default-locale": "en"}, "the default locale 'en' must be one of the locales"),
    ({"--host": "not a host"}, "is not a host name"),
    ({"--admin-email": "nobody"}, "is not an e-mail address"),
])
def test_bad_organizations_are_refused_with_a_reason(settings, engine, change, message):
    arguments = list(CREATE)
    for option, value in change.items():
        arguments[arguments.index(option) + 1] = value
    result = CliRunner().invoke(main, arguments, env=cli_env(settings))
    assert result.exit_code != 0 and message in result.output
    assert run_async(load(settings, "vilanova")) is None


def test_a_host_serves_one_organization_only(settings, engine, demo):
    arguments = list(CREATE)
    arguments[arguments.index("Participa.Vilanova.test")] = "vilademo.test"
    result = CliRunner().invoke(main, arguments, env=cli_env(settings))
    assert result.exit_code != 0 and "host 'vilademo.test' already belongs to another organization" in result.output


async def test_the_invited_admin_completes_the_account_once(settings, app, client, db):
    result = await _create(settings)
    assert result.exit_code == 0, result.output
    path = re.search(r"http://participa\.vilanova\.test(/account/invitation/\S+)",
                     outbox_messages(settings.outbox_path)[0].get_content()).group(1)
    site = "http://participa.vilanova.test"
    page = await client.get(site + path)
    assert page.status_code == 200 and "alcaldia@vilanova.test" in page.text
    assert 'value="Alcaldia"' in page.text  # the name the operator gave is proposed
    bad = await client.post(site + path, data={"_csrf_token": csrf(page.text), "name": "Alcaldia",
                                               "nickname": "x", "password": "curta"})
    assert bad.status_code == 400 and 'id="field-nickname-error"' in bad.text
    done = await client.post(site + path, data={
        "_csrf_token": csrf(page.text), "name": "Marta Alcaldessa", "nickname": "alcaldia",
        "password": "la-plaça-major-2027", "minimum_age": "on", "terms": "on"}, follow_redirects=False)
    assert done.status_code == 303
    home = await client.get(site + "/")
    assert "Marta Alcaldessa" in home.text and "El teu compte està a punt" in home.text

    user = await db.scalar(select(User).where(User.email == "alcaldia@vilanova.test"))
    assert user.confirmed_at is not None and user.nickname == "alcaldia"
    role = await db.scalar(select(OrganizationRole.role).where(OrganizationRole.user_id == user.id))
    assert role == "admin"
    assert (await client.get(site + path)).status_code == 404  # used up


async def _create(settings):
    import anyio

    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(main, CREATE, env=cli_env(settings)))
