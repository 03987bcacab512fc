"""Browser journeys: the real server (``participa serve``) with demo data, driven by Playwright
in Debian's Chromium. Every journey runs twice, with JavaScript on and off; the screenshots of
each step of a failing journey are saved under test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import drop_database, new_database_url
from tests.live import ROOT, LiveServer
from tests.mailbox import Inbox, smtp_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
TOOLS = Path(__file__).parent / "node_modules"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    """The SMTP server the live server's worker delivers to."""
    mailbox = Inbox()
    with smtp_server(mailbox) as controller:
        mailbox.port = controller.port
        yield mailbox


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[LiveServer]:
    """The demo served as in production: app process, a worker, mail over SMTP."""
    folder = tmp_path_factory.mktemp("live")
    url = new_database_url(folder, "live")
    with LiveServer(folder / "data", url, mail_url=f"smtp://127.0.0.1:{inbox.port}") as server:
        server.prepare_demo()
        server.start()
        server.start_worker()
        yield server
    drop_database(url)


@pytest.fixture(scope="package")
def browser():
    """Playwright's sync API keeps an event loop running in this thread while it is started, so
    it is stopped whenever the tests leave this package: async tests elsewhere need the thread."""
    if not CHROMIUM.exists():
        pytest.fail("browser tests need Debian's Chromium: apt-get install chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


class Journey:
    """A page plus the screenshots of the steps taken so far."""

    def __init__(self, page, base_url: str, javascript: bool) -> None:
        self.page = page
        self.base_url = base_url
        self.javascript = javascript
        self.shots: list[tuple[str, bytes]] = []

    def step(self, name: str) -> None:
        self.shots.append((name, self.page.screenshot(full_page=True)))

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        self.step(f"goto {path}")
        return response


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def journey(request, browser, live_server) -> Iterator[Journey]:
    context = browser.new_context(java_script_enabled=request.param, locale="ca-ES",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    current = Journey(page, live_server.url, request.param)
    yield current
    if getattr(request.node, "journey_failed", False):
        folder = ARTIFACTS / safe_name(request.node.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            current.step("at failure")
        except Exception:  # the page may be gone; the earlier steps still help
            pass
        for index, (name, png) in enumerate(current.shots):
            (folder / f"{index:02d}-{safe_name(name)}.png").write_bytes(png)
    context.close()
