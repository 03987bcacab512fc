"""The hostile-upload gate: every upload field of every form gets what attackers send.

Nothing here names a route or a field. The routes that take files are the ones that accept a
multipart body (``request_max_body_size`` set on the handler, as every upload route must, so that a
huge request is cut before it is parsed); their forms are found by crawling, as an administrator who
is also writing a proposal, and the test fails if an upload route has no form it could find. Each file
field of each form is then sent: SVG with a script, HTML named ``.png``, a GIF with HTML appended, a
file over the limit, a request over the body limit, a truncated image, a decompression bomb, plain text
that is HTML, and a valid picture and PDF with a path-traversing, markup-laden name. Each is refused
with a clear message (nothing stored, what was typed kept) or accepted only re-encoded with a cleaned
name; whatever is stored is served so that no browser runs it, and no page shows active markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from core.accounts.passwords import hash_password
from core.db import utcnow
from core.groups.models import GroupMembership, UserGroup
from core.models import Component, Space
from core.process_groups.models import ProcessGroup
from core.roles import grant_organization_role
from core.system.models import SystemAdmin
from core.uploads import KINDS, MEGABYTE, MESSAGES, Upload
from tests.test_accounts import PASSWORD, make_user
from tests.test_admin import log_in
from tests.test_attachments import demo_component, write_draft
from tests.test_uploads import HTML, PDF, SVG, image_bytes, png_declaring, stored_files
from tests.test_xss import parse

OWN_SCRIPT = re.compile(r'<script src="/static/[^"<>]+"( defer)?></script>')
"""The theme's own script files (same origin, allowed by the CSP) are not what this gate looks for."""


def active(html: str) -> list[str]:
    """Active markup in a page, other than the theme's own script files."""
    return parse(OWN_SCRIPT.sub("", html)).active

PARAM = re.compile(r"{(\w+):(\w+)}")
FOLLOWED = ("/admin", "/account", "/processes", "/assemblies", "/groups", "/system", "/process-groups")
TYPED = "Text escrit abans del error"
HOSTILE_NAME = "../../<svg onload=alert(1)>\\x.png"
REFUSALS = [message for message in MESSAGES.values()] + [kind.refused for kind in KINDS.values()]


class FormParser(HTMLParser):
    """The multipart forms of a page, with every field, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self._form = {"action": attributes.get("action") or "", "enctype": attributes.get("enctype") or "",
                          "method": (attributes.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            self._form["fields"].append((tag, attributes.get("type", "text"), attributes.get("name"),
                                         attributes.get("value", "")))

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "form":
            self._form = None


def upload_routes(app) -> dict[str, tuple[object, int]]:
    """Every POST route that takes a multipart body: its handler's function and the largest body it accepts.

    One function may be mounted at several addresses (a component's routes in every space type): its
    form found at one of them covers it."""
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "POST" in handler.http_methods and isinstance(handler.request_max_body_size, int):
                found[route.path] = (handler.fn, handler.request_max_body_size)
    return found


def template_of(action: str, templates) -> str | None:
    for template in templates:
        pattern = PARAM.sub(lambda match: r"\d+" if match.group(2) == "int" else r"[^/]+", template)
        if re.fullmatch(pattern, action):
            return template
    return None


async def crawl(client, starts: list[str], limit: int = 80) -> dict[str, FormParser]:
    pages, queue = {}, list(starts)
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages or path.startswith(("/locale/", "/static/", "/uploads/", "/account/logout")):
            continue
        response = await client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = FormParser()
        parser.feed(response.text)
        pages[path] = parser
        for href in parser.links:
            target = urlsplit(urljoin("http://vilademo.test" + path, href))
            if target.netloc == "vilademo.test" and target.path.startswith(FOLLOWED):
                queue.append(target.path)
    return pages


def fields_of(form: dict) -> dict[str, str]:
    """What a person would type: every text a value, hidden fields as the page gave them."""
    data = {}
    for tag, kind, name, value in form["fields"]:
        if not name or kind == "file" or tag == "select" or kind in ("checkbox", "radio", "submit"):
            continue
        if kind == "hidden":
            data[name] = value
        elif kind == "number":
            data[name] = "0"
        else:
            data[name] = TYPED
    return data


def cases(limit: int) -> dict[str, tuple[str, bytes, str, str]]:
    """(name, content, claimed type, what must happen): "too_large_request" is cut at the body limit (413),
    "too_large" refused; every other file is refused with a message or stored only as something harmless."""
    gif = image_bytes("GIF")
    return {
        "svg with a script": ("dibuix.svg", SVG, "image/svg+xml", "checked"),
        "html disguised as a png": ("foto.png", HTML, "image/png", "checked"),
        "html named .txt": ("notes.txt", HTML, "text/plain", "checked"),
        "a truncated jpeg": ("foto.jpg", image_bytes("JPEG", (300, 300))[:700], "image/jpeg", "checked"),
        "a decompression bomb": ("bomba.png", png_declaring(30000, 30000), "image/png", "checked"),
        "one byte over the limit": ("gran.jpg", b"\xff\xd8\xff" + b"\x00" * (limit - 2), "image/jpeg",
                                    "too_large"),
        "a request over the body limit": ("huge.jpg", b"\xff\xd8\xff" + b"\x00" * (limit + 2 * MEGABYTE),
                                          "image/jpeg", "too_large_request"),
        "a gif with html appended": ("polyglot.gif", gif + b"<html><script>alert(1)</script></html>", "image/gif",
                                     "checked"),
        "a hostile name on a picture": (HOSTILE_NAME, image_bytes(), "image/png", "checked"),
        "a hostile name on a pdf": ("../<img src=x onerror=alert(1)>.pdf", PDF, "application/pdf", "checked"),
    }


@pytest.fixture
async def personas(client, demo, db):
    """Who reaches every upload form, and where they start: an organization administrator who writes a
    proposal, belongs to a user group and has a process group to edit; and a system administrator."""
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", locale="en")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    group = UserGroup(organization_id=demo.id, name="Associació de veïns", nickname="veins")
    db.add(group)
    db.add(ProcessGroup(organization_id=demo.id, title={"ca": "Pressupostos de cada any"}))
    db.add(SystemAdmin(email="root@example.org", name="Root", password_hash=hash_password(PASSWORD)))
    await db.flush()
    db.add(GroupMembership(user_group_id=group.id, user_id=admin.id, role="admin", joined_at=utcnow()))
    await db.commit()
    await log_in(client, "boss@example.org")
    component = await demo_component(db)
    proposal_id = await write_draft(client, component)
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    proposals = f"/processes/pressupostos-2027/proposals/{component.id}"
    # A component holding a participatory text, whose admins upload its Markdown file.
    text = Component(space_id=space.id, component_type="proposals", name={"ca": "Reglament"}, published=True,
                     settings={"participatory_texts_enabled": True}, weight=20)
    db.add(text)
    await db.commit()

    async def as_admin():
        await log_in(client, "boss@example.org")

    async def as_system_admin():
        client.cookies.clear()
        page = await client.get("/system/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = await client.post("/system/login", data={"_csrf_token": token, "email": "root@example.org",
                                                             "password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 303

    return {
        "admin": (as_admin, [f"{proposals}/{proposal_id}/preview", f"{proposals}/admin/answers", "/account/settings",
                             f"/admin/spaces/{space.id}", f"/admin/spaces/{space.id}/attachments", "/groups/veins",
                             "/admin", "/admin/spaces", "/admin/process-groups",
                             "/account/verifications/identity-document",
                             f"/processes/pressupostos-2027/proposals/{text.id}/admin/participatory-text"]),
        "system admin": (as_system_admin, ["/system"]),
    }


@dataclass(frozen=True)
class Stored:
    """What the test needs of a stored upload, read while its row was there."""

    path: str
    url: str
    is_image: bool
    content_type: str
    original_name: str
    organization_id: int


async def uploads(db) -> int:
    await db.rollback()  # a new read transaction: see what the application committed since
    return await db.scalar(select(func.count(Upload.id)))


async def last_id(db) -> int:
    await db.rollback()
    return await db.scalar(select(func.max(Upload.id))) or 0


async def test_every_upload_field_refuses_or_neutralises_hostile_files(app, client, db, settings, personas):
    routes = upload_routes(app)
    assert len(routes) >= 4, routes  # the avatar, a space's hero and files, a proposal's files at least
    forms = {}
    for persona, (log_in_as, starts) in personas.items():
        await log_in_as()
        for page_path, page in (await crawl(client, starts)).items():
            for form in page.forms:
                if form["method"] != "post" or not any(kind == "file" for _, kind, _, _ in form["fields"]):
                    continue
                action = urljoin(page_path, form["action"] or page_path)
                template = template_of(action, routes)
                assert template is not None, f"{page_path}: a form with a file field posts to {action}, which " \
                                             "does not accept a multipart body (request_max_body_size)"
                assert form["enctype"] == "multipart/form-data", f"{page_path}: {action} is not a multipart form"
                forms.setdefault(routes[template][0], (persona, template, page_path, action, form))
    missing = {template for template, (function, _) in routes.items() if function not in forms}
    assert not missing, f"upload routes whose form no persona found by crawling: {sorted(missing)}"

    problems, tried, accepted_uploads = [], 0, []
    for persona, template, page_path, action, form in sorted(forms.values(), key=lambda found: found[:2]):
        await personas[persona][0]()
        limit = routes[template][1] - MEGABYTE  # the kind's limit: the body limit leaves a megabyte for fields
        for field in [name for _, kind, name, _ in form["fields"] if kind == "file"]:
            for case, (name, content, content_type, expected) in cases(limit).items():
                page = await client.get(page_path)  # a fresh form, as a person would have
                token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
                data = {**fields_of(form), "_csrf_token": token}
                before, newest, files_before = await uploads(db), await last_id(db), set(stored_files(settings))
                response = await client.post(action, data=data, files={field: (name, content, content_type)},
                                             follow_redirects=False)
                tried += 1
                where = f"{action} [{field}] {case}"
                if active(response.text):
                    problems.append(f"{where}: the answer carries active markup")
                refused = response.status_code in (400, 413)
                if expected == "too_large_request":
                    if response.status_code != 413:
                        problems.append(f"{where}: {response.status_code}, not 413")
                elif refused:
                    if 'role="alert"' not in response.text and "field__error" not in response.text:
                        problems.append(f"{where}: refused without a message at the field")
                    if any(message in response.text for message in REFUSALS) and 'aria-invalid="true"' not in \
                            response.text:
                        problems.append(f"{where}: the file field is not marked invalid")
                    if TYPED in data.values() and TYPED not in response.text:
                        problems.append(f"{where}: what was typed is lost")
                elif response.status_code == 303:
                    # Accepted: only if what is stored is harmless (checked below for every new file).
                    if expected == "too_large":
                        problems.append(f"{where}: a file over the limit was accepted")
                    await db.rollback()
                    accepted_uploads += [
                        Stored(upload.path, upload.url, upload.is_image, upload.content_type, upload.original_name,
                               upload.organization_id)
                        for upload in await db.scalars(select(Upload).where(Upload.id > newest))]
                else:
                    problems.append(f"{where}: answered {response.status_code}")
                if refused and (await uploads(db) != before or set(stored_files(settings)) - files_before):
                    problems.append(f"{where}: refused, yet something was stored")
    assert tried >= len(forms) * 10

    # What was accepted is a new file, written from decoded pixels or a checked document, under a clean name,
    # served back to the person who sent it (the organization administrator, who may see every such file).
    assert accepted_uploads
    await personas["admin"][0]()
    for upload in accepted_uploads:
        path = settings.data_path / "uploads" / upload.path
        stored = path.read_bytes() if path.exists() else b""  # an avatar or a hero replaced since is gone
        if stored and upload.is_image and not stored.startswith((b"\x89PNG", b"\xff\xd8\xff", b"RIFF")):
            problems.append(f"{upload.url}: an image stored as it came, not re-encoded")
        if any(marker in stored.lower() for marker in (b"<script", b"<html", b"<svg", b"onload=", b"onerror=")):
            problems.append(f"{upload.url}: active markup stored ({upload.content_type})")
        for character in ("/", "\\", "<", ">", '"'):
            assert character not in upload.original_name, upload.original_name
        assert upload.path.startswith(f"{upload.organization_id}/") and ".." not in upload.path
        if stored:
            served = await client.get(upload.url)
            if served.status_code != 200:
                problems.append(f"{upload.url}: not served back to its uploader ({served.status_code})")
                continue
            headers = served.headers
            if headers.get("x-content-type-options") != "nosniff":
                problems.append(f"{upload.url}: without nosniff")
            if "sandbox" not in headers.get("content-security-policy", ""):
                problems.append(f"{upload.url}: without the sandbox CSP")
            disposition = headers.get("content-disposition", "")
            if not disposition.startswith("inline; " if upload.is_image else "attachment; "):
                problems.append(f"{upload.url}: served as {disposition!r}")
            if not headers.get("content-type", "").startswith(upload.content_type):
                problems.append(f"{upload.url}: served as {headers.get('content-type')}")
    # And no page that shows them carries anything active.
    for path in [*personas["admin"][1], "/processes/pressupostos-2027", "/", "/profiles/boss", "/groups/veins"]:
        response = await client.get(path)
        if active(response.text):
            problems.append(f"{path} carries {active(response.text)}")
    assert not problems, "\n".join(problems)
