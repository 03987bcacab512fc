"""The real server: `participa serve` as operators run it, behind a TLS-terminating proxy,
watched by health checks, Prometheus and a log shipper."""

from __future__ import annotations

import json
import logging
import re
import time
import types
from contextlib import contextmanager
from pathlib import Path

import pytest
from litestar import get
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from core import migrations
from core.app import create_app
from core.db import make_engine, make_sessionmaker
from core.demo import create_demo
from core.hookspecs import hookimpl
from core.plugins import Registry
from tests.conftest import PG_URL, drop_database, make_settings, new_database_url, run_async
from tests.live import LiveServer, free_port


async def _prepare(url: str, registry: Registry, targets: list[str] | None = None, demo: bool = True) -> None:
    engine = make_engine(url)
    try:
        await migrations.upgrade(engine, registry, targets)
        if demo:
            async with make_sessionmaker(engine).begin() as session:
                await create_demo(session, registry, hosts=("127.0.0.1", "localhost"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def served_database(tmp_path_factory) -> str:
    """A migrated database of the backend under test with the demo at 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("served")
    url = new_database_url(folder, "served")
    run_async(_prepare(url, Registry(make_settings(folder / "data", url))))
    yield url
    drop_database(url)


@contextmanager
def running_server(folder: Path, database_url: str, workers: int = 1, **settings: str):
    server = LiveServer(folder / f"data-{free_port()}", database_url, **settings)
    with server:
        server.start(workers)
        yield server


@pytest.fixture(scope="module")
def server(served_database, tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server"), served_database) as running:
        yield running


def request_count(metrics: str, route: str, status: str = "200") -> float:
    match = re.search(
        rf'^participa_requests_total\{{method="GET",route="{re.escape(route)}",status="{status}"\}} (\S+)$',
        metrics, re.MULTILINE,
    )
    return float(match.group(1)) if match else 0.0


# ---------------------------------------------------------------- one process


def test_home_page_is_served_by_host_name(server):
    for host in ("127.0.0.1", "localhost"):
        response = server.get("/", headers={"host": f"{host}:{server.port}"})
        assert response.status_code == 200
        assert "Ajuntament de Vilademo" in response.text
        assert "Pressupostos participatius 2027" in response.text
    assert server.get("/", headers={"host": "elsewhere.test"}).status_code == 404


def test_readiness_checks_database_migrations_and_queue(server):
    response = server.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "queue": "ok",
                                                          "store": "ok"}}
    assert server.get("/healthz").json() == {"status": "ok"}


def test_metrics_count_requests_by_route_template(server):
    before = server.get("/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    count = request_count(before.text, "/")
    assert server.get("/").status_code == 200
    assert server.get("/processes/pressupostos-2027").status_code == 200
    after = server.get("/metrics").text
    assert request_count(after, "/") == count + 1
    assert request_count(after, "/processes/{space_slug}") >= 1
    assert "pressupostos-2027" not in after  # raw paths never become labels
    assert re.search(r'^participa_request_duration_seconds_count\{method="GET",route="/"\} ', after, re.MULTILINE)


def test_metrics_count_an_unknown_hosts_404_as_a_404(server):
    """Alerts watch the rate of 5xx answers: a request for a host nobody serves is no server error."""
    before = server.get("/metrics").text
    response = server.get("/", headers={"host": "elsewhere.test"})
    assert response.status_code == 404
    after = server.get("/metrics").text
    assert request_count(after, "/", "404") == request_count(before, "/", "404") + 1
    assert request_count(after, "/", "500") == request_count(before, "/", "500")


def test_https_through_a_trusted_proxy_gets_hsts_and_secure_cookies(server):
    proxied = server.get("/", headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"})
    assert proxied.status_code == 200
    assert proxied.headers["strict-transport-security"].startswith("max-age=")
    cookies = proxied.headers.get_list("set-cookie")
    assert cookies and all("; Secure" in cookie for cookie in cookies)

    plain = server.get("/")
    assert "strict-transport-security" not in plain.headers
    cookies = plain.headers.get_list("set-cookie")
    assert cookies and not any("secure" in cookie.lower() for cookie in cookies)


def test_forwarded_headers_from_an_untrusted_address_are_ignored(served_database, tmp_path):
    with running_server(tmp_path, served_database, trusted_proxies="10.9.9.9") as untrusting:
        response = untrusting.get("/", headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"})
        assert response.status_code == 200
        assert "strict-transport-security" not in response.headers
        cookies = response.headers.get_list("set-cookie")
        assert cookies and not any("secure" in cookie.lower() for cookie in cookies)


def test_logs_are_one_json_object_per_line(server):
    assert server.get("/terms").status_code == 200
    assert server.get("/no/such/page").status_code == 404
    deadline = time.monotonic() + 30
    while True:
        records = server.log_records()  # fails if any line is not JSON
        access = {(r.get("path"), r.get("status")): r for r in records if r.get("logger") == "participa.access"}
        if ("/terms", 200) in access and ("/no/such/page", 404) in access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    terms = access[("/terms", 200)]
    assert terms["method"] == "GET" and terms["route"] == "/terms" and terms["level"] == "INFO"
    assert isinstance(terms["duration_ms"], (int, float)) and terms["duration_ms"] >= 0
    assert access[("/no/such/page", 404)]["method"] == "GET"
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)


# ---------------------------------------------------------------- several processes


def worker_pids(server: LiveServer) -> set[int]:
    """The app processes that have counted at least one request (their Prometheus files)."""
    return {int(m.group(1)) for path in (server.data_dir / "metrics").glob("*.db")
            if (m := re.search(r"_(\d+)\.db$", path.name))}


def test_several_worker_processes_answer_and_metrics_add_up(served_database, tmp_path):
    with running_server(tmp_path, served_database, workers=2) as several:
        sent, deadline = 0, time.monotonic() + 60  # the second worker may still be starting
        while len(worker_pids(several)) < 2 and time.monotonic() < deadline:
            response = several.get("/")
            assert response.status_code == 200 and "Ajuntament de Vilademo" in response.text
            sent += 1
        pids = worker_pids(several)
        assert len(pids) == 2 and several.process.pid not in pids
        metrics = several.get("/metrics")
        assert metrics.status_code == 200
        # Whichever process answers /metrics reports the requests of both.
        assert request_count(metrics.text, "/") == sent


# ---------------------------------------------------------------- errors, in process


boom_plugin = types.ModuleType("boom_plugin")


@get("/boom", opt={"permission": "public", "no_request_context": True, "skip_session": True})
async def boom() -> str:
    raise RuntimeError("kaboom: the database said no")


@hookimpl
def _register_routes():
    return [boom]


boom_plugin.register_routes = _register_routes  # type: ignore[attr-defined]


@pytest.fixture
def restore_root_logging():
    """create_app configures the root logger; give the next tests back what they had."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_an_unhandled_error_answers_500_and_is_logged_with_its_traceback(
    settings, engine, capsys, restore_root_logging,
):
    json_settings = make_settings(settings.data_path, settings.database_url, log_json=True)
    app = create_app(json_settings, Registry(json_settings, extra=[("boom_plugin", boom_plugin)]))
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.text and "Traceback" not in response.text  # nothing internal leaks
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [error] = [record for record in records if record["level"] == "ERROR"]
    assert "/boom" in error["message"]
    assert "RuntimeError: kaboom: the database said no" in error["exception"]


# ---------------------------------------------------------------- readiness failures


@pytest.fixture
def core_only_database(tmp_path):
    """A database migrated for core but not for the plugins (pages, proposals)."""
    url = new_database_url(tmp_path, "coreonly")
    run_async(_prepare(url, Registry(make_settings(tmp_path / "data", url)), ["core@head"], demo=False))
    yield url
    drop_database(url)


async def test_readiness_fails_while_a_plugin_migration_is_pending(core_only_database, tmp_path):
    settings = make_settings(tmp_path / "data", core_only_database)
    registry = Registry(settings)
    app = create_app(settings, registry)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok" and body["checks"]["queue"] == "ok"
        engine = make_engine(core_only_database)  # the app's own engine lives in the client's event loop
        try:
            plugin_heads = migrations.expected_heads(registry) - await migrations.current(engine)
            assert len(plugin_heads) == len(registry.migration_locations()) - 1  # every plugin's, none of core's
            assert body["checks"]["migrations"] == f"pending: {sorted(plugin_heads)}"
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready

            await migrations.upgrade(engine, registry)
        finally:
            await engine.dispose()
        response = await client.get("/readyz")
        assert response.status_code == 200 and response.json()["checks"]["migrations"] == "ok"


async def test_readiness_fails_when_the_database_is_unreachable(tmp_path):
    if PG_URL:
        url = make_url(PG_URL).set(database="participa_no_such_database").render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'participa.sqlite3'}"
    settings = make_settings(tmp_path / "data", url)
    app = create_app(settings, Registry(settings))
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"].startswith("unreachable") and checks["migrations"] == "unknown"
        assert checks["queue"] == "ok"
        assert (await client.get("/healthz")).status_code == 200
