"""Every route of the application, core's and every enabled plugin's, against every role.

Nothing here names a route: the routes come from the application itself, so a route a plugin
adds tomorrow is checked the moment it is registered. For each one:
- it declares an action that the permission service knows;
- each persona (anonymous, citizen, citizen verified against the census, space moderator, space admin,
  organization admin, admin of another organization) gets exactly what the permission service says: refused means 401 (or the
  login page) for nobody and 403 for somebody; allowed means neither;
- an unsafe method without a CSRF token is refused, and the same request with the token is not
  refused for someone allowed to make it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.accounts.models import User
from core.models import Component, Space
from core.permissions import Actor, allowed
from core.roles import Roles, grant_organization_role, grant_space_role, roles_of
from core.verifications import services as verifications
from tests.conftest import other_organization
from tests.test_accounts import PASSWORD, csrf, make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT = {("POST", "/newsletters/unsubscribe/{token:str}")}
"""Unsafe routes without the CSRF check, each for a reason. The newsletter's unsubscribe link is posted by
mail programs (one-click, RFC 8058), which hold no token; the signed token in its address is the proof."""
PARAM = re.compile(r"{(\w+):(\w+)}")


@dataclass
class Endpoint:
    method: str
    template: str
    url: str
    action: str
    space: Space | None
    csrf_exempt: bool = False


async def endpoints(app, db, organization) -> list[Endpoint]:
    """Every route and method of the app, with path parameters filled from the demo."""
    spaces = (await db.scalars(select(Space).where(Space.organization_id == organization.id,
                                                  Space.published.is_(True)))).all()
    components = (await db.scalars(select(Component).where(Component.space_id.in_([s.id for s in spaces])))).all()
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.fn.__module__.startswith("litestar.") or handler.opt.get("no_request_context"):
                continue
            space_type = handler.opt.get("space_type")
            space = next((s for s in spaces if s.space_type == space_type), None) if space_type else None
            if "{space_id:int}" in route.path:  # admin pages name the space by id
                space = next(s for s in spaces if s.slug == "pressupostos-2027")
            values = {}
            for name, kind in PARAM.findall(route.path):
                if name == "space_id":
                    values[name] = str(space.id)
                elif name == "space_slug" and space is not None:
                    values[name] = space.slug
                elif name == "nickname":  # a real member, so that profiles are tried, not only their 404
                    values[name] = await db.scalar(select(User.nickname).where(
                        User.organization_id == organization.id, User.deleted_at.is_(None)).order_by(User.id).limit(1))
                elif name == "component_id" and space is not None:
                    segment = route.path.split("{space_slug:str}/")[1].split("/")[0] if space_type else None
                    component = next((c for c in components if c.space_id == space.id
                                      and c.component_type == (segment or c.component_type)), None)
                    values[name] = str(component.id) if component else "999999"
                else:
                    values[name] = "1" if kind == "int" else "x"
            url = PARAM.sub(lambda match: values[match.group(1)], route.path)
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Endpoint(method, route.path, url, handler.opt["permission"], space,
                                      bool(handler.opt.get("exclude_from_csrf"))))
    return found


@pytest.fixture
async def world(app, client, demo, db):
    """The demo organization, another one, and a logged-in session for each persona."""
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    verified = await make_user(db, demo, email="verified@example.org", nickname="verified")
    await verifications.grant(db, app.state.registry, demo, verified, "census", "digest-of-a-census-line", {})
    moderator = await make_user(db, demo, email="moderator@example.org", nickname="moderator")
    space_admin = await make_user(db, demo, email="spaceadmin@example.org", nickname="spaceadmin")
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_space_role(db, process.id, moderator.id, "moderator")
    await grant_space_role(db, process.id, space_admin.id, "admin")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()

    personas = {"anonymous": (None, "")}
    for name, user, host in (("citizen", citizen, ""), ("verified citizen", verified, ""), ("moderator", moderator, ""),
                             ("space admin", space_admin, ""), ("admin", admin, ""),
                             ("foreign admin", foreign, "http://altra.test")):
        client.cookies.clear()
        page = await client.get(f"{host}/account/login")
        response = await client.post(f"{host}/account/login", data={
            "_csrf_token": csrf(page.text), "email": user.email, "password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 303, name
        personas[name] = (user, client.cookies.get("session", domain="altra.test" if host else "vilademo.test"))
    client.cookies.clear()
    return personas


@pytest.fixture
async def csrf_pair(client) -> tuple[str, str]:
    """A CSRF cookie and the matching form token, as a browser holds them after opening a form."""
    page = await client.get("/account/login")
    pair = (client.cookies.get("csrftoken"), csrf(page.text))
    client.cookies.clear()
    return pair


async def request(client, endpoint: Endpoint, session: str, csrf_cookie: str, token: str | None):
    cookies = [f"session={session}"] if session else []
    data = None
    if endpoint.method in UNSAFE:
        cookies.append(f"csrftoken={csrf_cookie}")
        data = {"_csrf_token": token} if token else {}
    headers = {"cookie": "; ".join(cookies)} if cookies else {}
    return await client.request(endpoint.method, endpoint.url, headers=headers, data=data, follow_redirects=False)


async def test_every_route_answers_each_role_as_the_permission_service_says(app, client, demo, db, world,
                                                                          csrf_pair):
    csrf_cookie, token = csrf_pair
    rules = app.state.registry.permissions
    checked, problems = 0, []
    # Logging out ends the session the other requests carry: do it last.
    for endpoint in sorted(await endpoints(app, db, demo), key=lambda e: e.url == "/account/logout"):
        assert endpoint.action in rules, f"{endpoint.template} declares an unknown action {endpoint.action!r}"
        for persona, (user, session) in world.items():
            # Here, the foreign admin is nobody: their session belongs to another organization.
            here = user if user is not None and user.organization_id == demo.id else None
            if endpoint.template.startswith("/system"):
                here = None  # the system area reads only its own session: every organization's persona is nobody
            roles = await roles_of(db, here.id, demo.id) if here else Roles()
            expected = allowed(rules, Actor(here, demo, roles), endpoint.action, endpoint.space)
            response = await request(client, endpoint, session, csrf_cookie, token)
            to_login = response.status_code == 303 and response.headers["location"].startswith(
                ("/account/login?next=", "/system/login?next="))
            refused = response.status_code in (401, 403) or to_login
            checked += 1
            if expected and refused:
                problems.append(f"{persona} refused {endpoint.method} {endpoint.url} ({response.status_code})")
            if not expected:
                want = {401} | ({303} if endpoint.method == "GET" else set()) if here is None else {403}
                if response.status_code not in want or (response.status_code == 303 and not to_login):
                    problems.append(f"{persona} got {response.status_code} on {endpoint.method} {endpoint.url}")
    assert not problems, "\n".join(problems)
    assert checked >= 7 * 20  # every route was tried by every persona


async def test_unsafe_methods_need_the_csrf_token(app, client, demo, db, world, csrf_pair):
    csrf_cookie, token = csrf_pair
    _, admin_session = world["admin"]
    unsafe = [endpoint for endpoint in await endpoints(app, db, demo) if endpoint.method in UNSAFE]
    assert unsafe
    assert {(endpoint.method, endpoint.template) for endpoint in unsafe if endpoint.csrf_exempt} == CSRF_EXEMPT
    for endpoint in unsafe:
        if endpoint.csrf_exempt:
            continue
        without = await request(client, endpoint, admin_session, csrf_cookie, token=None)
        assert without.status_code == 403, f"{endpoint.method} {endpoint.url} accepted without a CSRF token"
        forged = await request(client, endpoint, admin_session, csrf_cookie, token="0" * 64)
        assert forged.status_code == 403, f"{endpoint.method} {endpoint.url} accepted a forged CSRF token"
        if endpoint.url == "/account/logout":
            continue  # it would end the session the next checks use
        with_token = await request(client, endpoint, admin_session, csrf_cookie, token=token)
        assert with_token.status_code != 403, f"{endpoint.method} {endpoint.url} refused a valid token"


async def test_no_route_redirects_to_another_host(app, client, demo, db, world):
    _, citizen_session = world["citizen"]
    hostile = ("https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example")
    for endpoint in await endpoints(app, db, demo):
        if endpoint.method != "GET":
            continue
        for target in hostile:
            for session in ("", citizen_session):
                response = await client.get(endpoint.url, params={"next": target}, follow_redirects=False,
                                            headers={"cookie": f"session={session}"} if session else {})
                location = response.headers.get("location", "")
                assert "evil.example" not in location.split("?")[0], f"{endpoint.url} sends to {location}"


SQL_INJECTIONS = ("' OR '1'='1", "1; DROP TABLE core_users; --", "%' OR 1=1 --", "\\", "1 UNION SELECT password_hash FROM core_users")


def query_parameters(app, endpoint: Endpoint) -> list[str]:
    """The query parameters a route's handler declares (what a filter or a search box sends)."""
    for route in app.routes:
        if route.path != endpoint.template:
            continue
        for handler in route.route_handlers:
            if endpoint.method in handler.http_methods:
                path_names = {name for name, _ in PARAM.findall(route.path)}
                return [name for name, parameter in handler.parsed_fn_signature.parameters.items()
                        if parameter.annotation in (str, int, str | None, int | None) and name not in path_names]
    return []


async def test_sql_injection_strings_in_every_query_parameter_are_harmless(app, client, demo, db, world):
    from sqlalchemy import func, select

    from core.accounts.models import User

    people = await db.scalar(select(func.count(User.id)))
    _, admin_session = world["admin"]
    tried = 0
    for endpoint in await endpoints(app, db, demo):
        if endpoint.method != "GET":
            continue
        for name in query_parameters(app, endpoint):
            for value in SQL_INJECTIONS:
                response = await client.get(endpoint.url, params={name: value}, follow_redirects=False,
                                            headers={"cookie": f"session={admin_session}"})
                tried += 1
                assert response.status_code < 500, f"{endpoint.url}?{name}={value!r}: {response.status_code}"
                assert "$argon2" not in response.text
    assert tried >= 3 * len(SQL_INJECTIONS)  # the search box, its page number and login's next at least
    assert await db.scalar(select(func.count(User.id))) == people
