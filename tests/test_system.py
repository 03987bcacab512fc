"""The system area (/system): the install's administrators log in apart from every organization, create and
edit organizations (hosts included), set their logo and colours; each action is logged, and neither kind of
administrator gets the other's rights."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.cli import main
from core.db import make_sessionmaker
from core.models import Organization, OrganizationHost
from core.roles import grant_organization_role, organization_roles
from core.system import services
from core.system.models import SystemAdmin, SystemLogEntry
from core.uploads import Upload
from tests.conftest import OTHER_HOST, drop_database, new_database_url, other_organization, shared_settings
from tests.mailbox import wait_for
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_notifications import log_in, translated_in
from tests.test_uploads import image_bytes

SYSTEM_PASSWORD = "cims-i-valls-del-pirineu"


@pytest.fixture
def settings(session_dir, database_url, inbox):
    return shared_settings("system", session_dir, database_url, mail_url=f"smtp://127.0.0.1:{inbox.port}",
                           mail_from="Participa <participa@example.org>", system_host="system.test")


@pytest.fixture
async def root(db) -> SystemAdmin:
    admin = await services.create_admin(db, "Root@Example.org", "Rut Sistema", SYSTEM_PASSWORD)
    await db.commit()
    return admin


async def system_login(client, email="root@example.org", password=SYSTEM_PASSWORD, host="", next_path=""):
    page = await client.get(f"{host}/system/login")
    return await client.post(f"{host}/system/login", data={
        "_csrf_token": csrf(page.text), "email": email, "password": password, "next": next_path},
        follow_redirects=False)


async def post(client, page: str, action: str | None = None, data=None, files=None, **fields):
    """Open ``page``, then post to ``action`` (default: the page) with its CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **(data or {}), **fields},
                             files=files, follow_redirects=False)


def organization_fields(**changes) -> dict[str, str]:
    fields = {"name.ca": "Ajuntament de Nova", "name.es": "Ayuntamiento de Nova", "name.en": "",
              "slug": "nova", "main_host": "participa.nova.test", "other_hosts": "decideix.nova.test\nNOVA.test",
              "default_locale": "ca", "locale_ca": "on", "locale_es": "on", "registration_mode": "invitation",
              "minimum_age": "16", "admin_name": "Núria Alcaldia", "admin_email": "nuria@nova.test"}
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


async def organization_by_slug(db, slug: str) -> Organization | None:
    return await db.scalar(select(Organization).where(Organization.slug == slug)
                           .options(selectinload(Organization.hosts)).execution_options(populate_existing=True))


async def logged_actions(db) -> list[str]:
    return list((await db.scalars(select(SystemLogEntry.action).order_by(SystemLogEntry.id))).all())


# ---------------------------------------------------------------- the command line


def test_the_command_line_creates_system_admins(tmp_path):
    url = new_database_url(tmp_path, "system_cli")
    env = {"PARTICIPA_DATA_DIR": str(tmp_path / "data"), "PARTICIPA_DATABASE_URL": url, "PARTICIPA_LOG_JSON": "false"}
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
        scripted = runner.invoke(main, ["system", "admin", "create", "--email", "Ops@Example.org"],
                                 env={**env, "PARTICIPA_SYSTEM_ADMIN_PASSWORD": SYSTEM_PASSWORD})
        assert scripted.exit_code == 0, scripted.output
        assert "ops@example.org" in scripted.output

        prompted = runner.invoke(main, ["system", "admin", "create", "--email", "second@example.org", "--name", "Pau"],
                                 env=env, input=f"{SYSTEM_PASSWORD}\n{SYSTEM_PASSWORD}\n")
        assert prompted.exit_code == 0, prompted.output
        assert "Password" in prompted.output and SYSTEM_PASSWORD not in prompted.output

        again = runner.invoke(main, ["system", "admin", "create", "--email", "OPS@example.org"],
                              env={**env, "PARTICIPA_SYSTEM_ADMIN_PASSWORD": SYSTEM_PASSWORD})
        assert again.exit_code != 0 and "already a system administrator" in again.output
        weak = runner.invoke(main, ["system", "admin", "create", "--email", "weak@example.org"],
                             env={**env, "PARTICIPA_SYSTEM_ADMIN_PASSWORD": "short"})
        assert weak.exit_code != 0 and "at least 10 characters" in weak.output
    finally:
        drop_database(url)


# ---------------------------------------------------------------- login


async def test_a_system_admin_logs_in_sees_the_organizations_and_logs_out(client, demo, db, root):
    anonymous = await client.get("/system", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/system/login?next=%2Fsystem"

    logged = await system_login(client, next_path="/system/log")
    assert logged.status_code == 303 and logged.headers["location"] == "/system/log"
    cookie = next(c for c in client.cookies.jar if c.name == "participa_system")
    assert cookie.path == "/system"
    assert "session" not in client.cookies  # the organization's session is another one, and there is none

    listing = await client.get("/system")
    assert listing.status_code == 200
    assert "Ajuntament de Vilademo" in listing.text and "vilademo.test" in listing.text
    assert 'href="/system/organizations/new"' in listing.text
    assert "/account/login" not in listing.text  # nothing of the host's organization shows here
    assert (await client.get("/system/log")).status_code == 200

    assert (await post(client, "/system", "/system/logout")).status_code == 303
    assert (await client.get("/system", follow_redirects=False)).headers["location"].startswith("/system/login")
    assert await logged_actions(db) == ["system_admin.create", "system_admin.login"]


async def test_wrong_passwords_lock_the_account_for_a_while(app, client, demo, db, root):
    wrong = await system_login(client, password="not-the-password")
    unknown = await system_login(client, email="nobody@example.org", password="not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.text.count(translated_in(app, "ca", "The e-mail or the password is not right.")) == 1
    for _ in range(4):
        await system_login(client, password="not-the-password")
    locked = await system_login(client)
    assert locked.status_code == 400
    assert translated_in(app, "ca", "Too many failed attempts. Wait 15 minutes and try again.") in locked.text
    assert (await client.get("/system", follow_redirects=False)).status_code == 303


async def test_an_organization_admin_cannot_reach_the_system_area(client, demo, db, root):
    boss = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_organization_role(db, demo.id, boss.id, "admin")
    await db.commit()
    await log_in(client, boss)
    assert (await client.get("/admin")).status_code == 200
    page = await client.get("/system", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/system/login")
    created = await post(client, "/admin", "/system/organizations/new", **organization_fields())
    assert created.status_code == 401
    # Their organization password is no system password either.
    assert (await system_login(client, email="boss@example.org", password=PASSWORD)).status_code == 400
    assert await organization_by_slug(db, "nova") is None


async def test_a_system_session_grants_no_organization_rights(client, demo, db, root):
    await system_login(client)
    assert (await client.get("/system")).status_code == 200
    admin = await client.get("/admin", follow_redirects=False)
    assert admin.status_code == 303 and admin.headers["location"].startswith("/account/login")
    # Even a system cookie sent to an organization's page by hand is not its session.
    system_cookie = client.cookies.get("participa_system")
    forged = await client.get("/admin", headers={"cookie": f"session={system_cookie}"}, follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"].startswith("/account/login")


# ---------------------------------------------------------------- organizations


async def test_creating_an_organization_invites_its_first_admin_by_mail(app, client, demo, db, root, inbox):
    await system_login(client)
    created = await post(client, "/system/organizations/new", **organization_fields())
    assert created.status_code == 303, created.text
    nova = await organization_by_slug(db, "nova")
    assert created.headers["location"] == f"/system/organizations/{nova.id}"
    assert nova.name == {"ca": "Ajuntament de Nova", "es": "Ayuntamiento de Nova"}
    assert sorted((host.host, host.is_main) for host in nova.hosts) == [
        ("decideix.nova.test", False), ("nova.test", False), ("participa.nova.test", True)]
    assert nova.available_locales == ["ca", "es"] and nova.default_locale == "ca"
    assert nova.registration_mode == "invitation" and nova.minimum_age == 16

    first_admin = await db.scalar(select(User).where(User.organization_id == nova.id))
    assert first_admin.email == "nuria@nova.test" and first_admin.password_hash is None
    assert await organization_roles(db, first_admin.id, nova.id) == {"admin"}
    [message] = wait_for(lambda: inbox.messages(), what="the invitation")
    assert message["To"] == "nuria@nova.test"
    assert re.search(r"http://participa\.nova\.test/account/invitation/\S+", message.get_content())

    # The new organization answers on each of its hosts.
    home = await client.get("http://decideix.nova.test/")
    assert home.status_code == 200 and "Ajuntament de Nova" in home.text
    assert await logged_actions(db) == ["system_admin.create", "system_admin.login", "organization.create"]
    entry = await db.scalar(select(SystemLogEntry).where(SystemLogEntry.action == "organization.create"))
    assert entry.organization_id == nova.id and entry.admin_email == "root@example.org"
    assert "Ajuntament de Nova" in (await client.get("/system/log")).text


async def test_a_taken_host_or_short_name_is_refused_with_a_clear_error(app, client, demo, db, root, inbox):
    await system_login(client)
    taken = await post(client, "/system/organizations/new", **organization_fields(other_hosts="Vilademo.test"))
    assert taken.status_code == 400
    message = translated_in(app, "ca", services.HOST_TAKEN, host="vilademo.test")
    assert message in taken.text
    assert 'value="Ajuntament de Nova"' in taken.text and "nuria@nova.test" in taken.text  # what was typed stays
    assert await organization_by_slug(db, "nova") is None

    slug = await post(client, "/system/organizations/new", **organization_fields(slug="demo"))
    assert slug.status_code == 400
    assert translated_in(app, "ca", "Another organization already has this short name.") in slug.text

    no_name = await post(client, "/system/organizations/new", **organization_fields(**{"name.ca": ""}))
    assert no_name.status_code == 400
    bad_host = await post(client, "/system/organizations/new", **organization_fields(main_host="https://nova.test/"))
    assert bad_host.status_code == 400
    no_default = await post(client, "/system/organizations/new", **organization_fields(default_locale="en"))
    assert no_default.status_code == 400
    assert escape(translated_in(app, "ca", "The default language must be one of the languages offered.")) \
        in no_default.text
    assert await db.scalar(select(func.count(Organization.id))) == 1
    assert inbox.messages() == []


async def test_editing_the_hosts_moves_the_organization_to_its_new_address(app, client, demo, db, root):
    other = await other_organization(db)
    await db.commit()
    await system_login(client)
    page = await client.get(f"/system/organizations/{demo.id}")
    assert page.status_code == 200 and 'value="vilademo.test"' in page.text

    fields = {"name.ca": "Ajuntament de Vilademo", "name.es": "Ayuntamiento de Vilademo", "name.en": "Vilademo",
              "main_host": "participa.vilademo.test", "other_hosts": "vilademo.test", "default_locale": "ca",
              "locale_ca": "on", "locale_es": "on", "locale_en": "on", "registration_mode": "open",
              "minimum_age": "14"}
    clash = await post(client, f"/system/organizations/{demo.id}", other_hosts=OTHER_HOST,
                       **{key: value for key, value in fields.items() if key != "other_hosts"})
    assert clash.status_code == 400
    assert translated_in(app, "ca", services.HOST_TAKEN, host=OTHER_HOST) in clash.text

    saved = await post(client, f"/system/organizations/{demo.id}", **fields)
    assert saved.status_code == 303
    assert (await client.get("http://participa.vilademo.test/")).status_code == 200

    # Without the old host, it stops answering there; another organization's hosts never changed.
    moved = await post(client, f"/system/organizations/{demo.id}", **{**fields, "other_hosts": ""})
    assert moved.status_code == 303
    gone = await client.get("/")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/plain")
    hosts = (await db.execute(select(OrganizationHost.host, OrganizationHost.organization_id)
                              .order_by(OrganizationHost.host))).all()
    assert [tuple(row) for row in hosts] == [(OTHER_HOST, other.id), ("participa.vilademo.test", demo.id)]
    assert "organization.update" in await logged_actions(db)


async def test_another_organizations_id_or_an_unknown_one_is_not_found(client, demo, db, root):
    await system_login(client)
    assert (await client.get("/system/organizations/999999")).status_code == 404
    assert (await post(client, "/system", "/system/organizations/999999/colours",
                       primary_color="#000000", secondary_color="#ffffff")).status_code == 404


async def test_the_system_area_answers_on_the_system_host_only_besides_organization_hosts(app, client, db, root):
    system = "http://system.test"
    assert (await client.get(f"{system}/system/login")).status_code == 200
    assert (await system_login(client, host=system)).status_code == 303
    assert (await client.get(f"{system}/system")).status_code == 200
    home = await client.get(f"{system}/")  # the system host is no organization's site
    assert home.status_code == 404 and home.headers["content-type"].startswith("text/plain")
    response = await client.get("http://unknown.test/system/login")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/plain")


async def test_an_empty_install_is_set_up_from_the_system_host(app, client, db, root, inbox):
    system = "http://system.test"
    await system_login(client, host=system)
    empty = await client.get(f"{system}/system")
    assert empty.status_code == 200 and translated_in(app, "en", "There are no organizations yet.") in empty.text
    created = await post(client, f"{system}/system/organizations/new", **organization_fields())
    assert created.status_code == 303 and created.headers["location"].startswith("/system/organizations/")
    assert await organization_by_slug(db, "nova") is not None
    assert (await client.get("http://participa.nova.test/")).status_code == 200


# ---------------------------------------------------------------- logo and colours


async def test_the_logo_is_reencoded_replaced_served_and_removed(app, client, demo, db, root, settings):
    await system_login(client)
    page = f"/system/organizations/{demo.id}/appearance"
    refused = await post(client, page, f"{page[:-len('/appearance')]}/logo",
                         files={"logo": ("logo.png", b"<html>not a picture</html>", "image/png")})
    assert refused.status_code == 400
    assert escape(translated_in(app, "ca", "This file type is not accepted: upload a JPEG, PNG, WebP or GIF image.")) \
        in refused.text

    logo_action = f"/system/organizations/{demo.id}/logo"
    uploaded = await post(client, page, logo_action, files={"logo": ("escut.gif", image_bytes("GIF", (900, 600)), "image/gif")})
    assert uploaded.status_code == 303
    demo = await organization_by_slug(db, "demo")
    upload = await db.scalar(select(Upload).where(Upload.organization_id == demo.id, Upload.purpose == "organization_logo"))
    assert demo.logo == f"/uploads/{upload.key}"
    assert upload.content_type == "image/png" and max(upload.width, upload.height) == 512  # re-encoded, shrunk

    served = await client.get(demo.logo)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert f'src="{demo.logo}"' in (await client.get("/")).text  # in the header of the organization's pages
    first_file = settings.data_path / "uploads" / upload.path

    replaced = await post(client, page, logo_action, files={"logo": ("new.png", image_bytes(), "image/png")})
    assert replaced.status_code == 303
    assert not first_file.exists() and (await client.get(demo.logo)).status_code == 404
    assert await db.scalar(select(func.count(Upload.id)).where(Upload.purpose == "organization_logo")) == 1

    colours = await post(client, page, f"/system/organizations/{demo.id}/colours", primary_color="#AA0000",
                         secondary_color="#eeeeee")
    assert colours.status_code == 303
    assert "--primary: #aa0000" in (await client.get("/organization.css")).text

    removed = await post(client, page, f"{logo_action}/remove")
    assert removed.status_code == 303
    assert (await organization_by_slug(db, "demo")).logo is None
    assert await db.scalar(select(func.count(Upload.id)).where(Upload.purpose == "organization_logo")) == 0
    assert (await logged_actions(db))[-4:] == ["organization.logo", "organization.logo",
                                               "organization.appearance", "organization.logo_remove"]


async def test_an_organization_admin_uploads_the_logo_on_the_appearance_page(app, client, demo, db):
    boss = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_organization_role(db, demo.id, boss.id, "admin")
    await db.commit()
    await log_in(client, boss)
    page = await client.get("/admin/appearance")
    assert 'action="/admin/appearance/logo"' in page.text and 'enctype="multipart/form-data"' in page.text
    uploaded = await post(client, "/admin/appearance", "/admin/appearance/logo",
                          files={"logo": ("logo.jpg", image_bytes("JPEG"), "image/jpeg")})
    assert uploaded.status_code == 303
    demo = await organization_by_slug(db, "demo")
    assert (await client.get(demo.logo)).headers["content-type"] == "image/jpeg"
    empty = await post(client, "/admin/appearance", "/admin/appearance/logo")
    assert empty.status_code == 400 and translated_in(app, "ca", "Choose a file to upload.") in empty.text
    assert await post(client, "/admin/appearance", "/admin/appearance/logo/remove")
    actions = (await db.scalars(select(AdminLogEntry.action).where(AdminLogEntry.organization_id == demo.id)
                                .order_by(AdminLogEntry.id))).all()
    assert actions[-2:] == ["organization.logo", "organization.logo_remove"]
    assert (await organization_by_slug(db, "demo")).logo is None


async def test_the_list_of_organizations_costs_the_same_queries_with_more_of_them(client, demo, db, root,
                                                                              count_queries):
    await system_login(client)
    await client.get("/system")
    with count_queries() as few:
        assert (await client.get("/system")).status_code == 200
    for index in range(5):
        organization = Organization(slug=f"vila-{index}", name={"ca": f"Vila {index}"})
        db.add(organization)
        await db.flush()
        db.add_all([OrganizationHost(organization_id=organization.id, host=f"vila{index}.test", is_main=True),
                    OrganizationHost(organization_id=organization.id, host=f"www.vila{index}.test")])
    await db.commit()
    with count_queries() as many:
        page = await client.get("/system")
    assert "www.vila4.test" in page.text
    assert many.count == few.count


async def test_the_same_service_creates_organizations_from_the_command_line(engine, demo, registry):
    async with make_sessionmaker(engine).begin() as session:
        founded = await services.found_organization(
            session, slug="cli", name={"es": "Villa CLI"}, hosts=["cli.test"], locales=["es"], default_locale="es",
            minimum_age=16, admin_email="alcaldesa@cli.test", admin_name="")
        assert founded.token is not None and founded.admin.name == "alcaldesa"
    async with make_sessionmaker(engine)() as session:
        organization = await session.scalar(select(Organization).where(Organization.slug == "cli"))
        assert organization.registration_mode == "open"
        admin = await session.scalar(select(User).where(User.organization_id == organization.id))
        assert await organization_roles(session, admin.id, organization.id) == {"admin"}


async def test_a_forged_system_cookie_is_no_login(client, demo, db, root):
    response = await client.get("/system", headers={"cookie": "participa_system=forged"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/system/login")
