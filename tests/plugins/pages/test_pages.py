"""The pages component as citizens read it."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Component, Space
from plugins.pages.services import add_page, pages_of
from tests.conftest import other_organization


async def demo_component(db) -> Component:
    return await db.scalar(
        select(Component).join(Space).where(Space.slug == "pressupostos-2027", Component.component_type == "pages")
    )


async def test_component_shows_its_first_page_and_lists_the_others(client, demo, db):
    component = await demo_component(db)
    response = await client.get(f"/processes/pressupostos-2027/pages/{component.id}")
    assert response.status_code == 200
    assert "<h1>Què és aquest procés</h1>" in response.text
    assert "Com participar" in response.text  # table of contents
    assert 'aria-current="page"' in response.text


async def test_each_page_has_its_own_address_in_every_language(client, demo, db):
    component = await demo_component(db)
    second = (await pages_of(db, component))[1]
    url = f"/processes/pressupostos-2027/pages/{component.id}/{second.id}"
    assert "<h1>Com participar</h1>" in (await client.get(url)).text
    await client.get("/locale/es")
    assert "<h1>Cómo participar</h1>" in (await client.get(url)).text


async def test_a_page_of_another_component_is_not_found_here(client, demo, db):
    component = await demo_component(db)
    other_space = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    other = await db.scalar(select(Component).where(Component.space_id == other_space.id))
    foreign_page = (await pages_of(db, other))[0]
    response = await client.get(f"/processes/pressupostos-2027/pages/{component.id}/{foreign_page.id}")
    assert response.status_code == 404


async def test_unpublished_component_is_not_found(client, demo, db):
    component = await demo_component(db)
    component.published = False
    await db.commit()
    assert (await client.get(f"/processes/pressupostos-2027/pages/{component.id}")).status_code == 404


async def test_another_organizations_component_is_not_found(client, demo, db):
    other = await other_organization(db)
    space = Space(organization_id=other.id, space_type="process", slug="pressupostos-2027",
                  title={"ca": "Pressupostos d'Altra"}, published=True)
    db.add(space)
    await db.flush()
    foreign = Component(space_id=space.id, component_type="pages", name={"ca": "Secret"}, published=True)
    db.add(foreign)
    await db.flush()
    await add_page(db, foreign, {"ca": "Pàgina d'Altra Vila"}, {"ca": "<p>Només per a Altra Vila</p>"})
    await db.commit()
    # Same space slug, the other organization's component id, on Vilademo's host.
    response = await client.get(f"/processes/pressupostos-2027/pages/{foreign.id}")
    assert response.status_code == 404
    assert "Altra Vila" not in response.text


async def test_page_bodies_are_sanitised_before_they_are_stored(client, demo, db):
    component = await demo_component(db)
    page = await add_page(db, component, {"ca": "Perill"}, {
        "ca": '<p onclick="steal()">Text<script>alert(1)</script><a href="javascript:alert(2)">enllaç</a>'
              '<img src=x onerror=alert(3)><svg onload=alert(4)></svg></p>',
    })
    await db.commit()
    assert "script" not in page.body["ca"] and "onclick" not in page.body["ca"]
    html = (await client.get(f"/processes/pressupostos-2027/pages/{component.id}/{page.id}")).text
    for needle in ("<script>alert", "javascript:alert", "onerror", "onload", "onclick"):
        assert needle not in html
    assert "Text" in html and "enllaç" in html


async def test_page_title_markup_is_escaped(client, demo, db):
    component = await demo_component(db)
    page = await add_page(db, component, {"ca": "<img src=x onerror=alert(1)>"}, {"ca": "<p>x</p>"})
    await db.commit()
    html = (await client.get(f"/processes/pressupostos-2027/pages/{component.id}/{page.id}")).text
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_page_queries_do_not_grow_with_the_number_of_pages(client, demo, db, count_queries):
    component = await demo_component(db)
    url = f"/processes/pressupostos-2027/pages/{component.id}"
    await client.get(url)
    with count_queries() as few:
        await client.get(url)
    for index in range(20):
        await add_page(db, component, {"ca": f"Pàgina {index}"}, {"ca": f"<p>{index}</p>"})
    await db.commit()
    with count_queries() as many:
        response = await client.get(url)
    assert "Pàgina 19" in response.text
    assert many.count == few.count <= 4
