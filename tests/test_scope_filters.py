"""The home page and the lists of spaces filtered by scope: a plain GET form (no JavaScript), with the
one allow-listed parameter ``scope``; an id that is not one of this organization's scopes filters nothing.

The demo's mobility plan is about the Centre (D2); the budget and the youth council have no scope.
"""

from __future__ import annotations

import re

from sqlalchemy import update

from core.models import Space
from core.scopes.models import Scope
from tests.conftest import other_organization
from tests.test_notifications import translated_in
from tests.test_scopes import scope_of

BUDGET, MOBILITY, YOUTH = "Pressupostos participatius 2027", "Pla de mobilitat urbana", "Consell de joves"


def titles(html: str) -> set[str]:
    """The spaces the page lists as cards (the home page's recent activity names spaces too, unfiltered)."""
    return set(re.findall(r'class="card__title"><a href="/(?:processes|assemblies)/[^"]+">([^<]+)</a>', html))


async def test_the_home_page_filters_its_spaces_by_scope(app, client, demo, db, count_queries):
    centre, old_town, north = [await scope_of(db, demo, code) for code in ("D2", "D2-01", "D1")]
    home = await client.get("/")
    assert titles(home.text) == {BUDGET, MOBILITY, YOUTH}
    assert 'action="/"' in home.text and 'name="scope"' in home.text
    assert f'<option value="{centre.id}">' in home.text

    centred = await client.get(f"/?scope={centre.id}")
    assert centred.status_code == 200 and titles(centred.text) == {MOBILITY}
    assert f'<option value="{centre.id}" selected>' in centred.text
    # A space of a neighbourhood is found through its district.
    await db.execute(update(Space).where(Space.slug == "consell-de-joves").values(scope_id=old_town.id))
    await db.commit()
    assert titles((await client.get(f"/?scope={centre.id}")).text) == {MOBILITY, YOUTH}

    empty = await client.get(f"/?scope={north.id}")
    assert empty.status_code == 200 and titles(empty.text) == set()
    assert translated_in(app, "ca", "Nothing here has the scope %(scope)s yet.", scope="Nord") in empty.text

    for junk in ("abc", "999999", "1 OR 1=1", "-1", ""):  # an unknown value filters nothing
        response = await client.get("/", params={"scope": junk})
        assert response.status_code == 200 and titles(response.text) == {BUDGET, MOBILITY, YOUTH}, junk

    async def cost() -> int:
        with count_queries() as counter:
            assert (await client.get(f"/?scope={centre.id}")).status_code == 200
        return counter.count

    before = await cost()
    for index in range(20):
        db.add(Scope(organization_id=demo.id, code=f"C-{index}", name={"ca": f"Veïnat {index}"}, parent_id=centre.id))
    await db.commit()
    assert await cost() == before


async def test_another_organizations_scope_filters_nothing_anywhere(app, client, demo, db):
    other = await other_organization(db)
    theirs = Scope(organization_id=other.id, code="A1", name={"ca": "Barri d'Altra"})
    db.add(theirs)
    await db.commit()
    # The same id put on one of the demo's spaces would be a leak if it were used as a filter.
    for url, expected in (("/", {BUDGET, MOBILITY, YOUTH}), ("/processes", {BUDGET, MOBILITY}),
                          ("/assemblies", {YOUTH})):
        response = await client.get(url, params={"scope": str(theirs.id)})
        assert response.status_code == 200 and titles(response.text) == expected, url
        assert "Barri d&#39;Altra" not in response.text and f'value="{theirs.id}"' not in response.text
