"""Quality gates over every page type reachable in the demo: accessibility (axe-core, WCAG 2.1 A
and AA), valid HTML (Nu HTML Checker), weight under 100 KB of HTML, CSS and JavaScript, and a
keyboard-only visit. Pages are found by crawling, so a new plugin's pages are covered as soon as
its demo content links to them.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TOOLS

LOCALES = ("ca", "es", "en")
MAX_PAGES = 80
SAMPLES_PER_SHAPE = 2
WEIGHT_LIMIT = 100 * 1024
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def shape(path: str) -> str:
    """The page type of an address: numbers stand for ids."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


@pytest.fixture(scope="module")
def page_types(browser, live_server) -> list[str]:
    """Paths of the demo site found by following links from the home page, a few per page type."""
    context = browser.new_context()
    page = context.new_page()
    seen: set[str] = set()
    per_shape: dict[str, int] = {}
    queue = deque(["/"])
    found: list[str] = []
    while queue and len(found) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        if per_shape.get(shape(path), 0) >= SAMPLES_PER_SHAPE:
            continue
        response = page.goto(live_server.url + path)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        per_shape[shape(path)] = per_shape.get(shape(path), 0) + 1
        found.append(path)
        # Links marked ``download`` fetch files (open data, exports), not pages.
        for href in page.eval_on_selector_all("a[href]:not([download])",
                                              "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(live_server.url + path, href))
            if target.netloc == urlsplit(live_server.url).netloc and not target.path.startswith(("/locale/", "/static/")):
                queue.append(target.path)
    context.close()
    # Embeds are shown by other sites, so no page links to them: the first space's and proposal's card.
    found.append(next(p for p in found if re.fullmatch(r"/processes/[^/]+", p)) + "/embed")
    found.append(next(p for p in found if re.fullmatch(r"/processes/[^/]+/proposals/\d+/\d+", p)) + "/embed")
    found.append("/no/such/page")  # the error page is a page type too
    found.append("/system/login")  # the system area's door, which no page of an organization links to
    return found


def test_the_crawl_reaches_every_kind_of_page(page_types):
    shapes = {shape(path) for path in page_types}
    assert {"/", "/terms", "/no/such/page"} <= shapes
    assert any(s.startswith("/processes/") for s in shapes) and any(s.startswith("/assemblies/") for s in shapes)
    assert any("/pages/{id}" in s for s in shapes)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_type_passes_axe_in_every_language(browser, live_server, page_types, locale):
    axe = (TOOLS / "axe-core" / "axe.min.js").read_text()
    context = browser.new_context(locale=locale)
    context.add_cookies([{"name": "participa_locale", "value": locale, "url": live_server.url}])
    page = context.new_page()
    failures = []
    for path in page_types:
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == locale, path
        page.evaluate(axe)  # evaluated over CDP, so our strict CSP does not block it
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        for violation in result["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]]
            failures.append(f"{path}: {violation['id']} ({violation['help']}) at {targets}")
    context.close()
    assert not failures, "\n".join(failures)


def test_every_page_type_is_valid_html_and_light(browser, live_server, page_types, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    files, too_heavy = [], []
    for index, path in enumerate(page_types):
        weights: dict[str, int] = {}

        def record(response, weights=weights):
            if response.request.resource_type in {"document", "stylesheet", "script"}:
                weights[response.url] = len(response.body())

        page.on("response", record)
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        page.remove_listener("response", record)
        total = sum(weights.values())
        if total > WEIGHT_LIMIT:
            too_heavy.append(f"{path}: {total} bytes of HTML, CSS and JavaScript")
        html_file = tmp_path / f"{index:03d}.html"
        html_file.write_text(_raw_html(page, live_server.url + path))
        files.append((html_file, path))
    context.close()
    assert not too_heavy, "\n".join(too_heavy)

    vnu = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(
        ["java", "-jar", str(vnu), "--format", "json", "--errors-only", *[str(f) for f, _ in files]],
        capture_output=True, text=True, timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    paths = {f"file:{f}": path for f, path in files}
    problems = [f"{paths.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert not problems, "\n".join(problems)


def _raw_html(page, url: str) -> str:
    """The HTML as the server sent it (not the browser's serialisation of the DOM)."""
    response = page.request.get(url)
    return response.text()


def test_keyboard_only_visit_skips_to_content_with_visible_focus(browser, live_server):
    context = browser.new_context(locale="ca")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => ({text: document.activeElement.textContent.trim(), "
                            "href: document.activeElement.getAttribute('href')})")
    assert focused == {"text": "Salta al contingut", "href": "#main"}
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    first_in_main = page.evaluate("() => document.activeElement.closest('main') !== null")
    assert first_in_main, "after skipping, the next Tab stop is inside the main content"
    context.close()


def test_tab_order_follows_the_reading_order(browser, live_server):
    context = browser.new_context(locale="ca")
    page = context.new_page()
    page.goto(live_server.url + "/")
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => [document.activeElement.textContent.trim(), "
                                   "document.activeElement.getBoundingClientRect().top]"))
    texts = [text for text, _ in order]
    assert texts[:2] == ["Salta al contingut", "Ajuntament de Vilademo"]
    assert "Español" in texts and "Pressupostos participatius 2027" in texts
    assert texts.index("Español") < texts.index("Pressupostos participatius 2027")
    context.close()


def _forms_without_token(page) -> list[str]:
    """Forms that would be refused: a POST form must carry the CSRF token (macros lose it without context)."""
    return page.eval_on_selector_all(
        "form[method=post]", "forms => forms.filter(f => !f.querySelector('input[name=_csrf_token]'))"
                             ".map(f => f.getAttribute('action'))")


def _axe_violations(page) -> list[str]:
    page.evaluate((TOOLS / "axe-core" / "axe.min.js").read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']} ({v['help']}) at {[' '.join(n['target']) for n in v['nodes']]}" for v in result["violations"]]


def test_forms_showing_errors_and_pages_for_logged_in_people_pass_axe(browser, live_server):
    context = browser.new_context(locale="ca")
    page = context.new_page()
    page.goto(live_server.url + "/account/register")
    page.get_by_role("button", name="Crea el compte").click()
    expect(page.get_by_role("alert")).to_be_visible()
    failures = [f"registration with errors: {v}" for v in _axe_violations(page)]

    page.goto(live_server.url + "/account/login")
    page.get_by_label("Correu electrònic").fill("laia@demo.participa.test")
    page.get_by_label("Contrasenya").fill("demo-participa-2027")
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()
    for path in ("/", "/processes/pressupostos-2027", "/account/settings"):
        page.goto(live_server.url + path)
        assert "Laia Puig" in page.get_by_role("navigation", name="El teu compte").inner_text()
        failures += [f"{path}: a form posting to {action} has no CSRF token" for action in _forms_without_token(page)]
        failures += [f"{path} logged in: {v}" for v in _axe_violations(page)]
    context.close()
    assert not failures, "\n".join(failures)


def test_admin_pages_pass_axe_and_the_html_checker(browser, live_server, tmp_path):
    context = browser.new_context(locale="ca")
    page = context.new_page()
    page.goto(live_server.url + "/account/login")
    page.get_by_label("Correu electrònic").fill("admin@demo.participa.test")
    page.get_by_label("Contrasenya").fill("demo-participa-2027")
    page.get_by_role("main").get_by_role("button", name="Inicia la sessió").click()
    queue, seen, failures, files = deque(["/admin"]), set(), [], []
    per_shape: dict[str, int] = {}  # a few pages of each type, so that every type fits in the budget
    while queue and len(seen) < 75:
        path = queue.popleft()
        if path in seen or per_shape.get(shape(path), 0) >= SAMPLES_PER_SHAPE:
            continue
        seen.add(path)
        per_shape[shape(path)] = per_shape.get(shape(path), 0) + 1
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        failures += [f"{path}: {v}" for v in _axe_violations(page)]
        failures += [f"{path}: a form posting to {action} has no CSRF token" for action in _forms_without_token(page)]
        html_file = tmp_path / f"admin-{len(seen):02d}.html"
        html_file.write_text(page.request.get(live_server.url + path).text())
        files.append(html_file)
        for href in page.eval_on_selector_all("main a[href^='/admin']:not([download])",
                                              "links => links.map(a => a.getAttribute('href'))"):
            queue.append(urlsplit(href).path)
    context.close()
    assert {"/admin", "/admin/users", "/admin/terms", "/admin/appearance", "/admin/log"} <= seen
    assert any(path.startswith("/admin/users/") for path in seen)
    for part in ("/admin/spaces/new/", "/phases", "/components", "/components/"):  # the space administration
        assert any(part in path for path in seen), part
    vnu = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-jar", str(vnu), "--format", "json", "--errors-only", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    failures += [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}"
                 for m in json.loads(result.stderr or '{"messages": []}')["messages"]]
    assert not failures, "\n".join(failures)
