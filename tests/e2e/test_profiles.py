"""A person puts up a picture in a real browser (a multipart form with its CSRF token), sees it in
the account menu and on their public profile, and takes it down; the pages involved, with and
without a picture and with an error, pass axe-core and the Nu HTML Checker.

Texts are found by structure, not by wording: the new messages may not be translated yet.
"""

from __future__ import annotations

import io
import json
import subprocess

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import TOOLS
from tests.e2e.test_quality import _axe_violations

ADMIN = ("admin@demo.participa.test", "demo-participa-2027")
UPLOAD_BUTTON = "form[action='/account/avatar'] button[type=submit]"
REMOVE_BUTTON = "form[action='/account/avatar/delete'] button[type=submit]"


def picture() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 120, 60)).save(buffer, "PNG")
    return {"name": "jo.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


NOT_AN_IMAGE = {"name": "jo.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/account/login")
    page.get_by_label("Correu electrònic").fill(ADMIN[0])
    page.get_by_label("Contrasenya").fill(ADMIN[1])
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()


def test_put_up_a_picture_see_it_on_the_profile_and_take_it_down(journey):
    page = journey.page
    log_in(page, journey.base_url)
    journey.goto("/account/settings")
    menu = page.get_by_role("navigation", name="El teu compte")
    assert menu.locator("span.avatar--initial").inner_text() == "M"

    page.locator("#field-avatar").set_input_files(NOT_AN_IMAGE)
    page.locator(UPLOAD_BUTTON).click()
    journey.step("refused")
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.locator("#field-avatar").get_attribute("aria-invalid") == "true"
    expect(page.locator("#field-avatar-error")).to_be_visible()

    page.locator("#field-avatar").set_input_files(picture())
    page.locator(UPLOAD_BUTTON).click()
    journey.step("saved")
    expect(page.get_by_role("status")).to_be_visible()
    small = menu.locator("img.avatar--small")
    expect(small).to_be_visible()
    assert small.bounding_box()["width"] == 32
    assert page.request.get(journey.base_url + small.get_attribute("src")).status == 200
    if journey.javascript:  # the browser decoded it: the page's CSP lets it through
        assert small.evaluate("img => img.complete && img.naturalWidth") == 300

    menu.locator("a[href='/profiles/admin']").click()
    journey.step("profile")
    assert page.get_by_role("heading", level=1).inner_text() == "Montse Riera"
    expect(page.locator("main img.avatar--large")).to_be_visible()

    journey.goto("/account/settings")
    page.locator(REMOVE_BUTTON).click()
    journey.step("removed")
    expect(menu.locator("span.avatar--initial")).to_be_visible()
    assert menu.locator("img.avatar").count() == 0


def test_picture_and_profile_pages_pass_axe_and_the_html_checker(browser, live_server, tmp_path):
    context = browser.new_context(locale="ca")
    page = context.new_page()
    log_in(page, live_server.url)
    failures, files = [], []

    def check(name: str, html: str) -> None:
        failures.extend(f"{name}: {violation}" for violation in _axe_violations(page))
        file = tmp_path / f"{len(files):02d}.html"
        file.write_text(html)
        files.append((file, name))

    for path in ("/account/settings", "/profiles/admin"):
        page.goto(live_server.url + path)
        check(f"{path} without a picture", page.request.get(live_server.url + path).text())
    page.goto(live_server.url + "/account/settings")
    page.locator("#field-avatar").set_input_files(NOT_AN_IMAGE)
    page.locator(UPLOAD_BUTTON).click()
    check("settings with an upload error", page.content())
    page.locator("#field-avatar").set_input_files(picture())
    page.locator(UPLOAD_BUTTON).click()
    for path in ("/account/settings", "/profiles/admin"):
        page.goto(live_server.url + path)
        check(f"{path} with a picture", page.request.get(live_server.url + path).text())
    page.goto(live_server.url + "/account/settings")
    page.locator(REMOVE_BUTTON).click()
    context.close()

    vnu = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-jar", str(vnu), "--format", "json", "--errors-only",
                             *[str(file) for file, _ in files]], check=False, capture_output=True, text=True,
                             timeout=300)
    names = {f"file:{file}": name for file, name in files}
    failures += [f"{names.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
                 for m in json.loads(result.stderr or '{"messages": []}')["messages"]
                 # Known and older than pictures: the password, e-mail and deletion forms of the
                 # settings page each have a "current password" field with the same id.
                 if "field-current-password" not in m["message"]]
    assert not failures, "\n".join(failures)
