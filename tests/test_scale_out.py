"""Several app processes behind a load balancer: a person's requests may reach any of them.

Two real ``participa serve`` processes share one database and, when the suite runs on
PostgreSQL, one Redis for sessions and rate limits (on SQLite they share the database's
store). A login on one process holds on the other; a logout on either ends it; failed
logins on both add up to one lockout; a CSRF token from one is accepted by the other.
"""

from __future__ import annotations

import os
import re
import uuid

import httpx
import pytest
import redis

from core import migrations
from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.db import make_engine, make_sessionmaker, utcnow
from core.demo import create_demo
from core.plugins import Registry
from tests.conftest import PG_URL, drop_database, make_settings, new_database_url, run_async
from tests.live import LiveServer

REDIS_URL = os.environ.get("PARTICIPA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "dues-maquines-un-sol-lloc"


async def prepare(url: str, registry: Registry) -> None:
    engine = make_engine(url)
    try:
        await migrations.upgrade(engine, registry)
        async with make_sessionmaker(engine).begin() as session:
            organization = await create_demo(session, registry, hosts=("127.0.0.1",))
            session.add(User(organization_id=organization.id, email="nuria@example.org", nickname="nuria",
                             name="Núria Vidal", password_hash=hash_password(PASSWORD), locale="ca",
                             confirmed_at=utcnow(), terms_accepted_version=organization.terms_version))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    url = new_database_url(folder, "scale")
    run_async(prepare(url, Registry(make_settings(folder / "prep", url))))
    shared = {}
    if PG_URL:
        # Production layout: sessions and rate limits in Redis; a Redis database of its own
        # keeps this test's keys away from every other test.
        shared["redis_url"] = re.sub(r"/\d+$", "/14", REDIS_URL)
        redis.Redis.from_url(shared["redis_url"]).flushdb()
    first = LiveServer(folder / "a", url, **shared)
    second = LiveServer(folder / "b", url, **shared)
    with first, second:
        first.start()
        second.start()
        yield first, second
    drop_database(url)


def token_from(client: httpx.Client, server: LiveServer, path: str = "/account/login") -> str:
    html = client.get(server.url + path).text
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def test_a_login_on_one_process_holds_on_the_other(servers):
    first, second = servers
    assert first.port != second.port
    with httpx.Client(timeout=30) as browser:  # cookies are per host, so both processes see them
        token = token_from(browser, first)
        login = browser.post(second.url + "/account/login", data={
            "_csrf_token": token, "email": "nuria@example.org", "password": PASSWORD, "next": "/"})
        assert login.status_code == 303, login.text[:500]
        assert "Núria Vidal" in browser.get(first.url + "/").text
        assert "Núria Vidal" in browser.get(second.url + "/").text

        logout = browser.post(first.url + "/account/logout", data={"_csrf_token": token_from(browser, second, "/")})
        assert logout.status_code == 303
        assert "Núria Vidal" not in browser.get(second.url + "/").text
        assert "Núria Vidal" not in browser.get(first.url + "/").text


def test_failed_logins_on_both_processes_add_up(servers):
    first, second = servers
    email = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(timeout=30) as browser:
        for attempt in range(5):
            server = (first, second)[attempt % 2]
            refused = browser.post(server.url + "/account/login", data={
                "_csrf_token": token_from(browser, server), "email": email, "password": "wrong-password-1"})
            assert "El correu o la contrasenya no són correctes." in refused.text
        locked = browser.post(first.url + "/account/login", data={
            "_csrf_token": token_from(browser, second), "email": email, "password": "wrong-password-1"})
        assert "Massa intents fallits" in locked.text


def test_neither_process_keeps_state_of_its_own(servers):
    """Sessions live in the shared store: the one a process wrote is readable by the other."""
    first, second = servers
    with httpx.Client(timeout=30) as browser:
        browser.post(first.url + "/account/login", data={
            "_csrf_token": token_from(browser, first), "email": "nuria@example.org", "password": PASSWORD})
        session_cookie = browser.cookies.get("session")
    assert session_cookie
    with httpx.Client(timeout=30) as other_device:
        page = other_device.get(second.url + "/", headers={"cookie": f"session={session_cookie}"})
        assert "Núria Vidal" in page.text
