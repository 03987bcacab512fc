"""Every route states its action and the guard enforces it for each role, here and elsewhere."""

from __future__ import annotations

import pytest
from litestar import get, post
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.accounts.models import User
from core.app import create_app
from core.manifest import SpaceType
from core.models import Space
from core.permissions import Rule
from core.plugins import PluginError, Registry
from core.roles import grant_organization_role, grant_space_role
from tests.conftest import DEMO_HOST, other_organization, shared_app, shared_registry
from tests.test_accounts import PASSWORD, csrf, make_user, submit
from tests.test_plugins import plugin_module


@get("/members-only", opt={"permission": "authenticated"})
async def members_only() -> str:
    return "members"


@post("/members-only", opt={"permission": "authenticated"})
async def members_post() -> str:
    return "posted"


@get("/town-hall", opt={"permission": "organization.admin"})
async def town_hall() -> str:
    return "admin desk"


@get("/moderation", opt={"permission": "space.moderate"})
async def moderation() -> str:
    return "moderation queue"


def guarded_plugin():
    return plugin_module(
        "guarded",
        register_routes=lambda: [members_only, members_post, town_hall],
        register_space_types=lambda: [SpaceType(name="consultation", title="Consultations",
                                                url_prefix="consultations", routes=[moderation])],
    )


@pytest.fixture
async def guarded(settings, demo, db):
    """An app with test routes of each kind, two consultations and a person in each role."""
    registry = shared_registry(settings, "guarded", lambda settings: Registry(settings, extra=[("guarded", guarded_plugin())]))
    spaces = {}
    for slug in ("pressupost", "parcs"):
        space = Space(organization_id=demo.id, space_type="consultation", slug=slug, title={"ca": slug},
                      published=True)
        db.add(space)
        spaces[slug] = space
    await db.flush()
    await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    admin = await make_user(db, demo, email="admin@example.org", nickname="town_admin")
    moderator = await make_user(db, demo, email="moderator@example.org", nickname="moderator")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await grant_space_role(db, spaces["pressupost"].id, moderator.id, "moderator")
    await db.commit()
    async with AsyncTestClient(app=shared_app(settings, registry), base_url=f"http://{DEMO_HOST}") as client:
        yield client


async def log_in(client, email):
    response = await submit(client, "/account/login", email=email, password=PASSWORD)
    assert response.status_code == 303


async def test_anonymous_visitors_are_sent_to_the_login_page(guarded):
    response = await guarded.get("/members-only?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/login?next=%2Fmembers-only%3Fx%3D1"
    page = await guarded.get("/account/login")
    refused = await guarded.post("/members-only", data={"_csrf_token": csrf(page.text)})
    assert refused.status_code == 401


async def test_logged_in_people_pass_authenticated_routes(guarded):
    await log_in(guarded, "citizen@example.org")
    assert (await guarded.get("/members-only")).text == "members"


@pytest.mark.parametrize(("email", "status"), [
    ("citizen@example.org", 403), ("moderator@example.org", 403), ("admin@example.org", 200),
])
async def test_organization_admin_routes(guarded, email, status):
    await log_in(guarded, email)
    response = await guarded.get("/town-hall")
    assert response.status_code == status
    if status == 403:
        assert "No tens permís per veure aquesta pàgina" in response.text


@pytest.mark.parametrize(("email", "space", "status"), [
    ("moderator@example.org", "pressupost", 200),
    ("moderator@example.org", "parcs", 403),  # a moderator of one space only
    ("citizen@example.org", "pressupost", 403),
    ("admin@example.org", "parcs", 200),  # organization admins administer every space
    ("admin@example.org", "no-existeix", 404),
])
async def test_space_roles_apply_to_their_own_space(guarded, email, space, status):
    await log_in(guarded, email)
    assert (await guarded.get(f"/consultations/{space}/moderation")).status_code == status


async def test_an_admin_of_another_organization_has_no_power_here(guarded, db, demo):
    other = await other_organization(db)
    foreign_admin = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign_admin.id, "admin")
    await db.commit()
    # Logging in there, then visiting here with the same session: nobody is logged in here.
    page = await guarded.get("http://altra.test/account/login")
    await guarded.post("http://altra.test/account/login", data={
        "_csrf_token": csrf(page.text), "email": "boss@altra.test", "password": PASSWORD})
    session = {"cookie": f"session={guarded.cookies.get('session', domain='altra.test')}"}
    assert (await guarded.get("http://altra.test/town-hall", headers=session)).status_code == 200
    here = await guarded.get("/town-hall", headers=session, follow_redirects=False)
    assert here.status_code == 303 and here.headers["location"].startswith("/account/login")
    # And an account with the same e-mail here is a different person without roles.
    assert await db.scalar(select(User).where(User.organization_id == demo.id,
                                              User.email == "boss@altra.test")) is None


def test_a_route_naming_an_unknown_action_stops_start_up(settings):
    @get("/typo", opt={"permission": "organisation.admin"})
    async def typo() -> str:
        return ""

    registry = Registry(settings, extra=[("typo", plugin_module("typo", register_routes=lambda: [typo]))])
    with pytest.raises(PluginError, match="declares permission 'organisation.admin', which no plugin registers"):
        create_app(settings, registry)


def test_two_plugins_cannot_define_one_action(settings):
    module = plugin_module("copy", register_permissions=lambda: {"public": Rule(lambda actor, _: False)})
    with pytest.raises(PluginError, match="plugin 'copy': permission action 'public' is already registered"):
        Registry(settings, extra=[("copy", module)])
