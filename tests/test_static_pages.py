"""Static pages of the organization (help, about): written by its admins, read by everybody, linked in
the footer and found by search; another organization's are never seen nor touched."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from core.adminlog import AdminLogEntry
from core.roles import grant_organization_role
from core.search.models import IndexedDocument
from core.static_pages.models import StaticPage
from core.static_pages.services import SLUG_TAKEN
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in, translated_in
from tests.test_search import found


@pytest.fixture
async def admin(demo, db):
    user = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, user.id, "admin")
    await db.commit()
    return user


async def post(client, page: str, action: str | None = None, **fields):
    """Open the page, then post its form with the CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


def fields(slug="horaris", title="Horaris d'atenció", body="<p>De dilluns a divendres, de 9 a 14 h.</p>",
           **more) -> dict[str, str]:
    return {"slug": slug, "title.ca": title, "title.es": "", "title.en": "", "body.ca": body, "body.es": "",
            "body.en": "", "weight": "5", **more}


async def page_of(db, organization, slug) -> StaticPage | None:
    return await db.scalar(select(StaticPage).where(StaticPage.organization_id == organization.id,
                                                    StaticPage.slug == slug)
                           .execution_options(populate_existing=True))


async def test_an_admin_creates_edits_and_deletes_a_page(app, client, demo, db, admin):
    await log_in(client, admin)
    listing = await client.get("/admin/pages")
    assert listing.status_code == 200 and 'href="/admin/pages/new"' in listing.text
    assert 'href="/admin/pages" aria-current="page"' in listing.text  # the admin navigation

    created = await post(client, "/admin/pages/new", **fields(show_in_footer="on"))
    assert created.status_code == 303 and created.headers["location"] == "/admin/pages"
    page = await page_of(db, demo, "horaris")
    assert page.title == {"ca": "Horaris d'atenció"} and page.weight == 5 and page.show_in_footer

    public = await client.get("/pages/horaris")
    assert public.status_code == 200
    assert "De dilluns a divendres" in public.text
    assert 'href="/pages/horaris" aria-current="page"' in public.text  # in the footer
    assert 'href="/pages/horaris"' in (await client.get("/")).text
    assert 'href="/pages/horaris"' in (await client.get("/pages")).text

    edit = await client.get(f"/admin/pages/{page.id}")
    assert 'value="horaris"' in edit.text
    changed = await post(client, f"/admin/pages/{page.id}", **fields(slug="horari", title="Horari"))
    assert changed.status_code == 303
    page = await page_of(db, demo, "horari")
    assert page.title == {"ca": "Horari"} and not page.show_in_footer
    assert (await client.get("/pages/horaris")).status_code == 404
    assert 'href="/pages/horari"' not in (await client.get("/")).text  # no longer in the footer

    confirmation = await client.get(f"/admin/pages/{page.id}/delete")
    assert confirmation.status_code == 200 and f'action="/admin/pages/{page.id}/delete"' in confirmation.text
    assert await page_of(db, demo, "horari") is not None  # opening the confirmation deletes nothing
    deleted = await post(client, f"/admin/pages/{page.id}/delete")
    assert deleted.status_code == 303
    assert await page_of(db, demo, "horari") is None
    assert (await client.get("/pages/horari")).status_code == 404

    actions = (await db.scalars(select(AdminLogEntry.action).where(AdminLogEntry.organization_id == demo.id,
                                                                   AdminLogEntry.action.like("static_page.%"))
                                .order_by(AdminLogEntry.id))).all()
    assert actions == ["static_page.create", "static_page.update", "static_page.delete"]


async def test_errors_keep_what_was_typed_and_slugs_are_checked(app, client, demo, db, admin):
    await log_in(client, admin)
    bad_slug = await post(client, "/admin/pages/new", **fields(slug="Sobre Nosaltres!", title="Qui som"))
    assert bad_slug.status_code == 400
    assert translated_in(app, "en", "Use only lowercase letters, digits and hyphens, for example about-us.") \
        in bad_slug.text
    assert 'value="Sobre Nosaltres!"' in bad_slug.text and 'value="Qui som"' in bad_slug.text

    no_title = await post(client, "/admin/pages/new", **fields(title="", body="<p>Text que es queda</p>"))
    assert no_title.status_code == 400 and "Text que es queda" in no_title.text

    only_script = await post(client, "/admin/pages/new", **fields(body="<script>alert(1)</script>"))
    assert only_script.status_code == 400
    assert escape(translated_in(app, "en", "Write the text at least in the organization's default language.")) \
        in only_script.text

    # The demo has an "about" page: the same address is refused, with the form as typed.
    taken = await post(client, "/admin/pages/new", **fields(slug="about", title="Una altra"))
    assert taken.status_code == 400
    assert translated_in(app, "en", SLUG_TAKEN) in taken.text and 'value="Una altra"' in taken.text
    help_page = await page_of(db, demo, "help")
    renamed = await post(client, f"/admin/pages/{help_page.id}", **fields(slug="about", title="Ajuda"))
    assert renamed.status_code == 400 and translated_in(app, "en", SLUG_TAKEN) in renamed.text
    assert (await page_of(db, demo, "help")) is not None

    # Another organization may use the same address.
    other = await other_organization(db)
    db.add(StaticPage(organization_id=other.id, slug="horaris", title={"ca": "Horaris d'Altra"},
                      body={"ca": "<p>Altra</p>"}))
    await db.commit()
    created = await post(client, "/admin/pages/new", **fields())
    assert created.status_code == 303
    assert (await client.get("/pages/horaris")).text.count("De dilluns a divendres") == 1
    assert "Altra</p>" not in (await client.get("/pages/horaris")).text


async def test_rich_text_is_sanitised(client, demo, db, admin):
    await log_in(client, admin)
    body = ('<p>Hola <a href="javascript:alert(1)">clica</a></p><script>alert(2)</script>'
            '<p><a href="https://vilademo.example/">web</a></p>')
    assert (await post(client, "/admin/pages/new", **fields(body=body))).status_code == 303
    page = await page_of(db, demo, "horaris")
    assert "<script" not in page.body["ca"] and "javascript:" not in page.body["ca"]
    public = (await client.get("/pages/horaris")).text
    assert "alert(" not in public and "javascript:" not in public
    assert 'href="https://vilademo.example/"' in public


async def test_only_the_organizations_admins_reach_the_admin_pages(client, demo, db, admin):
    citizen = await make_user(db, demo, email="laia@example.org", nickname="laia2")
    help_page = await page_of(db, demo, "help")
    await log_in(client, citizen)
    for url in ("/admin/pages", "/admin/pages/new", f"/admin/pages/{help_page.id}",
                f"/admin/pages/{help_page.id}/delete"):
        assert (await client.get(url)).status_code == 403, url
    html = (await client.get("/pages")).text
    refused = await client.post(f"/admin/pages/{help_page.id}/delete", data={"_csrf_token": csrf(html)},
                                follow_redirects=False)
    assert refused.status_code == 403
    assert await page_of(db, demo, "help") is not None
    assert (await client.get("/pages/help")).status_code == 200  # reading is for everybody


async def test_another_organizations_admin_neither_sees_nor_changes_a_page(client, demo, db):
    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()
    help_page = await page_of(db, demo, "help")
    host = f"http://{OTHER_HOST}"
    await log_in(client, foreign, host)

    listing = await client.get(f"{host}/admin/pages")
    assert listing.status_code == 200 and "/pages/help" not in listing.text
    assert (await client.get(f"{host}/admin/pages/{help_page.id}")).status_code == 404
    assert (await client.get(f"{host}/pages/help")).status_code == 404
    assert "/pages/help" not in (await client.get(f"{host}/")).text  # nor in their footer
    html = (await client.get(f"{host}/admin/pages/new")).text
    for action in (f"/admin/pages/{help_page.id}", f"/admin/pages/{help_page.id}/delete"):
        response = await client.post(f"{host}{action}", data={"_csrf_token": csrf(html), **fields(slug="x")},
                                     follow_redirects=False)
        assert response.status_code == 404, action
    assert (await page_of(db, demo, "help")).title["en"] == "Help"


async def test_the_demo_pages_are_public_and_in_the_footer(client, demo):
    home = (await client.get("/")).text
    assert 'href="/pages/about"' in home and 'href="/pages/help"' in home
    index = await client.get("/pages")
    assert index.status_code == 200 and 'href="/pages/about"' in index.text
    assert (await client.get("/pages/unknown")).status_code == 404


async def test_search_finds_a_page_until_it_is_deleted(client, demo, db, admin):
    await log_in(client, admin)
    created = await post(client, "/admin/pages/new",
                         **fields(slug="deixalleria", title="Deixalleria municipal",
                                  body="<p>Porta-hi els electrodomèstics vells.</p>"))
    assert created.status_code == 303
    assert ("/pages/deixalleria", "Deixalleria municipal") in await found(client, "electrodomestics")
    assert await found(client, "electrodomestics", type="static_pages") == [
        ("/pages/deixalleria", "Deixalleria municipal")]
    page = await page_of(db, demo, "deixalleria")
    await post(client, f"/admin/pages/{page.id}", **fields(slug="punt-net", title="Punt net",
                                                           body="<p>Porta-hi els electrodomèstics vells.</p>"))
    assert await found(client, "electrodomestics") == [("/pages/punt-net", "Punt net")]

    await post(client, f"/admin/pages/{page.id}/delete")
    assert await found(client, "electrodomestics") == []
    assert await db.scalar(select(IndexedDocument.id).where(IndexedDocument.resource_type == "static_pages.page",
                                                            IndexedDocument.resource_id == page.id)) is None
    # The demo's pages were indexed when the demo was written (search.rebuild).
    assert await found(client, "ajuda", type="static_pages") == [("/pages/help", "Help")]  # the admin reads English
