"""Stored and reflected XSS: hostile text through every field of every form, as a visitor and as an
administrator; no page may then carry active markup. Forms are found by crawling, so a plugin's
forms are covered as soon as a page links to them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from core.roles import grant_organization_role
from tests.test_accounts import PASSWORD, make_user, submit

PAYLOADS = (
    '<script>alert("x")</script>',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<img src=x onerror=alert(1)>",
    "'\"><iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">clic</a>",
)
# Destructive forms have tests of their own; running them here would end the session under test.
DESTRUCTIVE = ("/account/logout", "/account/delete")


THEME_SCRIPT = re.compile(r"^/static/js/[a-z_]+(\.[0-9a-f]+)?\.js$")


class PageParser(HTMLParser):
    """Links, forms, and every piece of active markup in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self.active: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        attributes = dict(attrs)
        # The theme's own script (static/js/, loaded with defer and nothing else) is the only one allowed.
        if tag == "script" and not (set(attributes) == {"src", "defer"} and THEME_SCRIPT.match(attributes["src"] or "")):
            self.active.append(f"<script {attributes}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.active.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.active.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "object", "embed"):
            self.active.append(f"<{tag}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self._form = {"method": (attributes.get("method") or "get").lower(), "action": attributes.get("action") or "",
                          "fields": []}
            self.forms.append(self._form)
        if self._form is not None and tag in ("input", "textarea", "select"):
            self._form["fields"].append((tag, attributes.get("type", "text"), attributes.get("name"),
                                         attributes.get("value", "")))

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "form":
            self._form = None


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


async def crawl(client, starts: list[str], limit: int = 40) -> dict[str, PageParser]:
    pages, queue = {}, list(starts)
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages or path.startswith(("/locale/", "/static/")):
            continue
        response = await client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages[path] = parse(response.text)
        for href in pages[path].links:
            target = urlsplit(urljoin("http://vilademo.test" + path, href))
            if target.netloc == "vilademo.test":
                queue.append(target.path)
    return pages


def filled(form: dict, payload: str) -> dict[str, str]:
    data = {}
    for tag, kind, name, value in form["fields"]:
        if not name:
            continue
        if kind == "hidden":
            data[name] = value
        elif kind == "checkbox":
            data[name] = "on"
        elif kind == "password":
            data[name] = PASSWORD if "current" in name else "una-contrasenya-llarga-1"
        elif kind == "color":
            data[name] = "#123456"
        elif tag == "select":
            continue  # the browser sends the selected option; leaving it out is a validation case
        else:
            data[name] = payload
    return data


@pytest.fixture
async def admin_client(client, demo, db):
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await db.commit()
    assert (await submit(client, "/account/login", email="boss@example.org", password=PASSWORD)).status_code == 303
    return client


async def test_hostile_text_in_every_form_never_becomes_active_markup(admin_client):
    client = admin_client
    pages = await crawl(client, ["/", "/admin", "/account/settings"])
    forms = {(page_path, form["action"] or page_path): form for page_path, page in pages.items()
             for form in page.forms if form["method"] == "post" and form["action"] not in DESTRUCTIVE}
    assert len(forms) >= 6, sorted(forms)
    problems = []
    for payload in PAYLOADS:
        for (page_path, action), form in forms.items():
            response = await client.post(urljoin(page_path, action), data=filled(form, payload))
            found = parse(response.text).active
            if found:
                problems.append(f"{action} answered {found} for {payload!r}")
        for path, page in (await crawl(client, ["/", "/admin", "/admin/users", "/admin/log", "/terms",
                                                 "/account/settings"])).items():
            if page.active:
                problems.append(f"{path} carries {page.active} after {payload!r}")
        # Queries and paths are reflected too.
        for path in ("/admin/users?q=" + payload, "/processes/" + payload, "/account/login?next=" + payload):
            response = await client.get(path)
            if parse(response.text).active:
                problems.append(f"GET {path} reflected active markup")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("html", [
    '<p><script>alert(1)</script></p>', '<svg onload=alert(1)>', '<a href=" JavaScript:alert(1)">x</a>',
    '<iframe src="/x"></iframe>', '<img src=x onerror=alert(1)>',
])
def test_the_detector_sees_active_markup(html):
    assert parse(html).active


def test_escaped_payloads_are_not_active():
    assert parse("<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1)</p>").active == []
