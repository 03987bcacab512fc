"""What a visitor of an organization's site gets: pages, languages, errors and headers."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.models import Component, Organization, OrganizationHost, Space


async def test_home_page_shows_the_organization_and_its_published_spaces(client, demo):
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="ca">' in response.text  # the organization's default language
    assert "Ajuntament de Vilademo" in response.text
    assert "Pressupostos participatius 2027" in response.text
    assert 'href="/processes/pressupostos-2027"' in response.text
    assert 'class="skip-link" href="#main"' in response.text
    assert '<main id="main"' in response.text


async def test_unpublished_and_private_spaces_stay_hidden(client, demo, db):
    db.add_all([
        Space(organization_id=demo.id, space_type="process", slug="draft", title={"ca": "Esborrany secret"}),
        Space(organization_id=demo.id, space_type="process", slug="private", title={"ca": "Procés privat"},
              published=True, private=True),
    ])
    await db.commit()
    home = await client.get("/")
    assert "Esborrany secret" not in home.text and "Procés privat" not in home.text
    assert (await client.get("/processes/draft")).status_code == 404
    assert (await client.get("/processes/private")).status_code == 404


async def test_unknown_host_gets_a_plain_404(app, demo):
    async with AsyncTestClient(app=app, base_url="http://elsewhere.test") as other:
        response = await other.get("/")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/plain")
        assert "Vilademo" not in response.text
        missing = await other.get("/no/such/page")
        assert missing.status_code == 404 and "Vilademo" not in missing.text


async def test_unknown_path_gets_the_organizations_404_page_in_its_language(client, demo):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Aquesta pàgina no existeix" in response.text
    assert "Ajuntament de Vilademo" in response.text


async def test_language_switcher_changes_the_language_and_returns_to_the_page(client, demo):
    response = await client.get("/locale/es?next=/processes/pressupostos-2027", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/processes/pressupostos-2027"
    page = await client.get("/processes/pressupostos-2027")
    assert '<html lang="es">' in page.text
    assert "Presupuestos participativos 2027" in page.text
    assert "Saltar al contenido" in page.text
    english = await client.get("/locale/en?next=/", follow_redirects=True)
    assert '<html lang="en">' in english.text and "Where you can take part" in english.text


async def test_language_switcher_links_are_on_every_page(client, demo):
    for path in ("/", "/processes/pressupostos-2027", "/terms", "/no/such/page"):
        text = (await client.get(path)).text
        assert 'hreflang="es"' in text and 'hreflang="en"' in text, path


async def test_browser_language_is_used_until_the_visitor_chooses(client, demo):
    page = await client.get("/", headers={"accept-language": "es-ES,es;q=0.9,en;q=0.8"})
    assert '<html lang="es">' in page.text
    page = await client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert '<html lang="ca">' in page.text  # not offered: the organization's default


async def test_language_switcher_never_redirects_to_another_host(client, demo):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = await client.get("/locale/es", params={"next": target}, follow_redirects=False)
        assert response.headers["location"] == "/", target
    assert (await client.get("/locale/fr?next=/", follow_redirects=False)).status_code == 404


async def test_security_headers_on_pages_errors_and_static_files(client, demo):
    for path in ("/", "/no/such/page", "/static/css/participa.css", "/healthz"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_https_requests_get_hsts_and_secure_cookies(app, demo, db):
    db.add(OrganizationHost(organization_id=demo.id, host="secure.test"))
    await db.commit()
    async with AsyncTestClient(app=app, base_url="https://secure.test") as secure:
        response = await secure.get("/")
        assert response.status_code == 200
        assert response.headers["strict-transport-security"].startswith("max-age=")
        cookies = response.headers.get_list("set-cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies)


async def test_anonymous_visits_create_no_session(client, demo, db):
    response = await client.get("/")
    assert not any(c.startswith("session=") for c in response.headers.get_list("set-cookie"))


async def test_organization_colours_are_served_as_css(client, demo, db):
    organization = await db.get(Organization, demo.id)
    organization.primary_color = "#ffcc00"
    await db.commit()
    css = (await client.get("/organization.css")).text
    assert "--primary: #ffcc00" in css
    assert "--primary-contrast: #000000" in css  # dark text on a light colour


async def test_organization_logo_is_shown_beside_the_platform_logo(client, demo, db):
    organization = await db.get(Organization, demo.id)
    organization.logo = "data:image/svg+xml;base64,PHN2Zy8+"
    await db.commit()
    text = (await client.get("/")).text
    assert 'src="/static/img/participa.svg"' in text
    assert 'src="data:image/svg+xml;base64,PHN2Zy8+"' in text


async def test_terms_of_use_page_shows_the_current_version(client, demo):
    text = (await client.get("/terms")).text
    assert "Condicions d&#39;ús" in text or "Condicions d'ús" in text
    assert "tractar amb respecte" in text


async def test_space_page_lists_its_published_components(client, demo, db):
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    db.add(Component(space_id=space.id, component_type="pages", name={"ca": "Ocult"}, published=False))
    await db.commit()
    text = (await client.get("/processes/pressupostos-2027")).text
    assert "Informació" in text
    assert "Ocult" not in text


async def test_home_page_queries_do_not_grow_with_the_number_of_spaces(client, demo, db, count_queries):
    await client.get("/")
    with count_queries() as few:
        await client.get("/")
    for index in range(15):
        db.add(Space(organization_id=demo.id, space_type="process", slug=f"extra-{index}",
                     title={"ca": f"Procés {index}"}, published=True))
    await db.commit()
    with count_queries() as many:
        await client.get("/")
    assert many.count == few.count <= 6  # organization, spaces, phases, pictures, activity, scopes, areas
