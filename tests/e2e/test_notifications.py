"""A person follows a process with the follow button (with and without JavaScript) and chooses how
often we mail them; the notifications pages, with notifications, with an error and for the
unsubscribe link of a mail, pass axe-core and the Nu HTML Checker.

Texts are found by structure, not by wording: the new messages may not be translated yet.
"""

from __future__ import annotations

import json
import subprocess
from types import SimpleNamespace

from playwright.sync_api import expect
from sqlalchemy import delete, select

from core.accounts.models import User
from core.db import make_engine, make_sessionmaker, utcnow
from core.events import Event
from core.notifications.mails import unsubscribe_token
from core.notifications.models import Notification
from tests.conftest import run_async
from tests.e2e.conftest import TOOLS
from tests.e2e.test_quality import _axe_violations

LAIA = ("laia@demo.participa.test", "demo-participa-2027")
PROCESS = "/processes/pressupostos-2027"
FOLLOW = "main form[action='/follow'] button[type=submit]"
UNFOLLOW = "main form[action='/unfollow'] button[type=submit]"


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/account/login")
    page.get_by_label("Correu electrònic").fill(LAIA[0])
    page.get_by_label("Contrasenya").fill(LAIA[1])
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()


def test_follow_a_process_and_choose_how_often_we_write(journey):
    page = journey.page
    journey.goto(PROCESS)
    assert page.locator("main a[href^='/account/login?next=']").count() == 1  # a visitor is asked to log in
    log_in(page, journey.base_url)
    journey.goto(PROCESS)
    if page.locator(UNFOLLOW).count():  # left following by an earlier journey
        page.locator(UNFOLLOW).click()
    page.locator(FOLLOW).click()
    journey.step("following")
    assert page.url.endswith(PROCESS)
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(UNFOLLOW)).to_be_visible()
    page.locator(UNFOLLOW).click()
    journey.step("not following")
    assert page.url.endswith(PROCESS)
    expect(page.locator(FOLLOW)).to_be_visible()

    page.get_by_role("navigation", name="El teu compte").locator("a[href='/notifications']").click()
    journey.step("notifications")
    page.locator("main a[href='/account/notifications']").click()
    page.locator("#field-delivery").select_option("weekly")
    page.locator("main form button[type=submit]").click()
    journey.step("saved")
    expect(page.get_by_role("status")).to_be_visible()
    assert page.locator("#field-delivery").input_value() == "weekly"
    page.locator("#field-delivery").select_option("daily")
    page.locator("main form button[type=submit]").click()
    assert page.locator("#field-delivery").input_value() == "daily"


def _notify_laia(live_server) -> tuple[int, int]:
    """Two notifications for Laia and no other, written straight into the live database; returns her
    organization's id and hers."""

    async def write() -> tuple[int, int]:
        engine = make_engine(live_server.env["PARTICIPA_DATABASE_URL"])
        try:
            async with make_sessionmaker(engine).begin() as session:
                laia = await session.scalar(select(User).where(User.email == LAIA[0]))
                admin = await session.scalar(select(User).where(User.email == "admin@demo.participa.test"))
                # The live server is shared by the journeys: what others did may have told Laia already.
                await session.execute(delete(Notification).where(Notification.user_id == laia.id))
                for number, answer in enumerate(("Sí", "No"), start=1):
                    event = Event(organization_id=laia.organization_id, event_type="proposals.answered",
                                  message="%(actor)s answered “%(resource)s”: %(answer)s", resource_type="space",
                                  resource_id=number, resource_title={"ca": "Pressupostos", "en": "Budget"},
                                  resource_path=PROCESS, actor_id=admin.id, data={"answer": answer},
                                  dispatched_at=utcnow())
                    session.add(event)
                    await session.flush()
                    session.add(Notification(user_id=laia.id, event_id=event.id,
                                             read_at=utcnow() if number == 1 else None))
                return laia.organization_id, laia.id
        finally:
            await engine.dispose()

    return run_async(write())


def test_notification_pages_pass_axe_and_the_html_checker(browser, live_server, tmp_path):
    organization_id, laia_id = _notify_laia(live_server)
    secret = SimpleNamespace(secret_key=live_server.env["PARTICIPA_SECRET_KEY"])
    unsubscribe = f"/notifications/unsubscribe/{unsubscribe_token(secret, organization_id, laia_id)}"
    context = browser.new_context(locale="ca")
    page = context.new_page()
    failures, files = [], []

    def check(name: str, html: str) -> None:
        failures.extend(f"{name}: {violation}" for violation in _axe_violations(page))
        file = tmp_path / f"{len(files):02d}.html"
        file.write_text(html)
        files.append((file, name))

    for name, path in (("unsubscribe link", unsubscribe), ("broken unsubscribe link", unsubscribe[:-4] + "xxxx")):
        page.goto(live_server.url + path)
        check(name, page.request.get(live_server.url + path).text())
    page.goto(live_server.url + unsubscribe)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status")).to_be_visible()
    check("unsubscribed", page.content())

    log_in(page, live_server.url)
    page.goto(live_server.url + PROCESS)
    assert page.locator("main .notification").count() == 0 and page.locator(".count-badge").inner_text() == "1"
    check("space page with the follow button", page.request.get(live_server.url + PROCESS).text())
    for path in ("/notifications", "/account/notifications"):
        page.goto(live_server.url + path)
        check(path, page.request.get(live_server.url + path).text())
    assert page.locator("#field-delivery").input_value() == "never"  # what the unsubscribe link did
    page.goto(live_server.url + "/notifications")
    assert page.locator("main .notification").count() == 2 and page.locator(".notification--unread").count() == 1
    page.goto(live_server.url + "/account/notifications")
    page.locator("#field-delivery").evaluate("select => { select.options[0].value = 'sometimes'; }")
    page.locator("#field-delivery").select_option("sometimes")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#field-delivery-error")).to_be_visible()
    check("settings with an error", page.content())
    page.goto(live_server.url + "/notifications")
    page.locator("main form[action='/notifications/read'] button").click()
    assert page.locator(".count-badge").count() == 0 and page.locator(".notification--unread").count() == 0
    page.goto(live_server.url + "/account/notifications")
    page.locator("#field-delivery").select_option("daily")
    page.locator("main form button[type=submit]").click()
    context.close()

    vnu = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-jar", str(vnu), "--format", "json", "--errors-only",
                             *[str(file) for file, _ in files]], check=False, capture_output=True, text=True,
                             timeout=300)
    names = {f"file:{file}": name for file, name in files}
    failures += [f"{names.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
                 for m in json.loads(result.stderr or '{"messages": []}')["messages"]]
    assert not failures, "\n".join(failures)
