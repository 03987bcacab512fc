"""Areas: the thematic areas of an organization, grouped by area type, kept by its admins; a space belongs to
one, and the lists of spaces, the home page and search filter by it; another organization's are never seen
nor used. Deleting an area leaves its spaces without one.

The demo has the sectors "Mobilitat i espai públic" (the mobility plan's) and "Joventut" (the youth
council's), and the department "Economia i hisenda", which no space has (core/areas/demo.py).
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from core.adminlog import AdminLogEntry
from core.areas import services
from core.areas.models import Area, AreaType
from core.forms import MESSAGES
from core.models import Space
from core.roles import grant_organization_role
from core.spaces import services as space_services
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in, translated_in
from tests.test_search import found, space_form

BUDGET, MOBILITY, YOUTH = "Pressupostos participatius 2027", "Pla de mobilitat urbana", "Consell de joves"


@pytest.fixture
async def admin(demo, db):
    user = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, user.id, "admin")
    await db.commit()
    return user


async def post(client, page: str, action: str | None = None, data=None, **fields):
    """Open the page, then post its form with the CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **(data or {}), **fields},
                             follow_redirects=False)


async def area_named(db, organization, name: str) -> Area | None:
    areas = (await db.scalars(select(Area).where(Area.organization_id == organization.id)
                              .execution_options(populate_existing=True))).all()
    return next((area for area in areas if area.name.get("ca") == name), None)


async def type_named(db, organization, name: str) -> AreaType | None:
    kinds = (await db.scalars(select(AreaType).where(AreaType.organization_id == organization.id)
                              .execution_options(populate_existing=True))).all()
    return next((kind for kind in kinds if kind.name.get("ca") == name), None)


def area_fields(name="Cultura", area_type_id="") -> dict[str, str]:
    return {"name.ca": name, "name.es": "", "name.en": "", "area_type_id": str(area_type_id)}


async def space(db, slug: str) -> Space:
    return await db.scalar(select(Space).where(Space.slug == slug).execution_options(populate_existing=True))


def message(app, text: str, **variables) -> str:
    """A message as the English page shows it, escaped like the template does."""
    return str(escape(translated_in(app, "en", text, **variables)))


def titles(html: str) -> set[str]:
    """The spaces the page lists as cards."""
    return set(re.findall(r'class="card__title"><a href="/(?:processes|assemblies)/[^"]+">([^<]+)</a>', html))


# ---------------------------------------------------------------- administration


async def test_an_admin_creates_edits_and_deletes_area_types_and_areas(app, client, demo, db, admin):
    await log_in(client, admin)
    listing = await client.get("/admin/areas")
    assert listing.status_code == 200 and 'href="/admin/areas" aria-current="page"' in listing.text
    assert "Youth" in listing.text and "Sectors" in listing.text and 'href="/admin/areas/types/new"' in listing.text
    assert 'href="/admin/areas"' in (await client.get("/admin/scopes")).text  # beside the scopes in the menu

    created_type = await post(client, "/admin/areas/types/new",
                              **{"name.ca": "Eix", "name.en": "Axis", "plural.ca": "Eixos", "plural.en": "Axes"})
    assert created_type.status_code == 303 and created_type.headers["location"] == "/admin/areas"
    axis = await type_named(db, demo, "Eix")
    assert (axis.name, axis.plural) == ({"ca": "Eix", "en": "Axis"}, {"ca": "Eixos", "en": "Axes"})

    form = (await client.get("/admin/areas/new")).text
    assert f'<option value="{axis.id}">Axis</option>' in form  # the admin reads English
    created = await post(client, "/admin/areas/new", **area_fields(area_type_id=axis.id))
    assert created.status_code == 303
    culture = await area_named(db, demo, "Cultura")
    assert (culture.name, culture.area_type_id) == ({"ca": "Cultura"}, axis.id)

    edit = await client.get(f"/admin/areas/{culture.id}")
    assert 'value="Cultura"' in edit.text and f'<option value="{axis.id}" selected>' in edit.text
    changed = await post(client, f"/admin/areas/{culture.id}", **area_fields(name="Cultura i festes"))
    assert changed.status_code == 303
    culture = await area_named(db, demo, "Cultura i festes")
    assert culture is not None and culture.area_type_id is None

    renamed = await post(client, f"/admin/areas/types/{axis.id}", **{"name.ca": "Àmbit", "plural.ca": "Àmbits"})
    assert renamed.status_code == 303 and (await type_named(db, demo, "Àmbit")).plural == {"ca": "Àmbits"}
    confirmation = await client.get(f"/admin/areas/{culture.id}/delete")
    assert confirmation.status_code == 200 and f'action="/admin/areas/{culture.id}/delete"' in confirmation.text
    assert await area_named(db, demo, "Cultura i festes") is not None  # opening the confirmation deletes nothing
    assert (await post(client, f"/admin/areas/{culture.id}/delete")).status_code == 303
    assert await area_named(db, demo, "Cultura i festes") is None
    assert (await post(client, f"/admin/areas/types/{axis.id}/delete")).status_code == 303
    assert await db.get(AreaType, axis.id, populate_existing=True) is None

    actions = (await db.scalars(select(AdminLogEntry.action).where(
        AdminLogEntry.organization_id == demo.id, AdminLogEntry.action.like("area%")).order_by(AdminLogEntry.id))).all()
    assert actions == ["area_type.create", "area.create", "area.update", "area_type.update", "area.delete",
                       "area_type.delete"]
    log = await client.get("/admin/log")
    assert message(app, "created the area %(target)s", target="Cultura") in log.text


async def test_area_forms_keep_what_was_typed_and_say_what_is_wrong(app, client, demo, db, admin):
    await log_in(client, admin)
    sector = await type_named(db, demo, "Sector")
    taken = await post(client, "/admin/areas/new", **area_fields(name="joventut ", area_type_id=sector.id))
    assert taken.status_code == 400 and "<title>Error:" in taken.text
    assert message(app, services.NAME_TAKEN) in taken.text and 'value="joventut"' in taken.text
    assert f'<option value="{sector.id}" selected>' in taken.text
    # The same name in another type (or in none) is another area.
    assert (await post(client, "/admin/areas/new", **area_fields(name="Joventut"))).status_code == 303

    nameless = await post(client, "/admin/areas/new", **{**area_fields(name=""), "name.en": "Culture"})
    assert nameless.status_code == 400
    assert message(app, MESSAGES["required_in"], language="Català") in nameless.text
    assert 'value="Culture"' in nameless.text

    too_long = await post(client, "/admin/areas/new", **area_fields(name="x" * 151))
    assert too_long.status_code == 400 and message(app, MESSAGES["too_long"], limit=150) in too_long.text

    forged = await post(client, "/admin/areas/new", **area_fields(name="Cultura", area_type_id=999999))
    assert forged.status_code == 400 and message(app, MESSAGES["choice"]) in forged.text
    assert 'value="Cultura"' in forged.text and await area_named(db, demo, "Cultura") is None

    pluralless = await post(client, "/admin/areas/types/new", **{"name.ca": "Eix", "plural.ca": ""})
    assert pluralless.status_code == 400 and 'value="Eix"' in pluralless.text
    assert await type_named(db, demo, "Eix") is None

    # A type that areas are of is not deleted: the page says which, and offers no button.
    refusal = await client.get(f"/admin/areas/types/{sector.id}/delete")
    assert refusal.status_code == 200 and "Youth" in refusal.text
    assert f'action="/admin/areas/types/{sector.id}/delete"' not in refusal.text
    refused = await post(client, f"/admin/areas/types/{sector.id}", f"/admin/areas/types/{sector.id}/delete")
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert await db.get(AreaType, sector.id, populate_existing=True) is not None


async def test_another_organization_neither_sees_nor_edits_an_area(app, client, demo, db, admin):
    other = await other_organization(db)
    foreign_admin = await make_user(db, other, email="boss@altra.test", nickname="boss", locale="en")
    await grant_organization_role(db, other.id, foreign_admin.id, "admin")
    theirs = Area(organization_id=other.id, name={"ca": "Àrea d'Altra"})
    db.add(theirs)
    await db.commit()
    youth = await area_named(db, demo, "Joventut")
    sector_id = youth.area_type_id

    host = f"http://{OTHER_HOST}"
    await log_in(client, foreign_admin, host)
    listing = await client.get(f"{host}/admin/areas")
    assert listing.status_code == 200 and "Àrea d&#39;Altra" in listing.text and "Youth" not in listing.text
    for url in (f"/admin/areas/{youth.id}", f"/admin/areas/{youth.id}/delete",
                f"/admin/areas/types/{sector_id}", f"/admin/areas/types/{sector_id}/delete"):
        assert (await client.get(f"{host}{url}")).status_code == 404, url
    html = (await client.get(f"{host}/admin/areas/new")).text
    for url in (f"/admin/areas/{youth.id}", f"/admin/areas/{youth.id}/delete",
                f"/admin/areas/types/{sector_id}/delete"):
        response = await client.post(f"{host}{url}", data={"_csrf_token": csrf(html), **area_fields()},
                                     follow_redirects=False)
        assert response.status_code == 404, url
    assert (await area_named(db, demo, "Joventut")).name["en"] == "Youth"
    assert await db.get(AreaType, sector_id) is not None

    # Someone of the demo who is no admin is refused the pages altogether.
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    await log_in(client, citizen)
    for url in ("/admin/areas", "/admin/areas/new", f"/admin/areas/{youth.id}", f"/admin/areas/{youth.id}/delete"):
        assert (await client.get(url)).status_code == 403, url
    html = (await client.get("/")).text
    refused = await client.post(f"/admin/areas/{youth.id}/delete", data={"_csrf_token": csrf(html)},
                                follow_redirects=False)
    assert refused.status_code == 403 and await area_named(db, demo, "Joventut") is not None

    # A space never gets another organization's area, from the form or the service.
    await log_in(client, admin)
    new = (await client.get("/admin/spaces/new/process")).text
    assert f'value="{theirs.id}"' not in new.split('id="field-area-id"', 1)[1].split("</select>", 1)[0]
    budget = await space(db, "pressupostos-2027")
    refused = await post(client, f"/admin/spaces/{budget.id}", **{
        "title.ca": BUDGET, "slug": "pressupostos-2027", "area_id": str(theirs.id)})
    assert refused.status_code == 400 and message(app, MESSAGES["choice"]) in refused.text
    assert (await space(db, "pressupostos-2027")).area_id is None
    with pytest.raises(space_services.SpaceError) as error:
        await space_services.update_space(db, budget, admin, space_form(
            title={"ca": "Pressupostos"}, slug="pressupostos-2027", area_id=theirs.id))
    assert error.value.field == "area_id"
    await db.rollback()


# ---------------------------------------------------------------- spaces, lists and search


async def test_a_space_gets_an_area_chosen_by_type_and_its_copy_keeps_it(app, client, demo, db, admin):
    await log_in(client, admin)
    budget, economy = await space(db, "pressupostos-2027"), await area_named(db, demo, "Economia i hisenda")
    edit = await client.get(f"/admin/spaces/{budget.id}")
    areas = edit.text.split('id="field-area-id"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="Departments">' in areas and '<optgroup label="Sectors">' in areas
    departments = areas.split('<optgroup label="Departments">', 1)[1].split("</optgroup>", 1)[0]
    assert f'<option value="{economy.id}">Economy and finance</option>' in departments
    assert "Youth" not in departments

    saved = await post(client, f"/admin/spaces/{budget.id}", **{
        "title.ca": BUDGET, "slug": "pressupostos-2027", "area_id": str(economy.id)})
    assert saved.status_code == 303 and (await space(db, "pressupostos-2027")).area_id == economy.id
    assert f'<option value="{economy.id}" selected>' in (await client.get(f"/admin/spaces/{budget.id}")).text

    created = await post(client, "/admin/spaces/new/assembly", **{
        "title.ca": "Consell de cultura", "slug": "consell-de-cultura", "area_id": str(economy.id)})
    assert created.status_code == 303 and (await space(db, "consell-de-cultura")).area_id == economy.id

    copied = await post(client, f"/admin/spaces/{budget.id}", f"/admin/spaces/{budget.id}/copy",
                        **{"copy.slug": "pressupostos-2028", "copy.with_components": "on"})
    assert copied.status_code == 303 and (await space(db, "pressupostos-2028")).area_id == economy.id

    emptied = await post(client, f"/admin/spaces/{budget.id}", **{
        "title.ca": BUDGET, "slug": "pressupostos-2027", "area_id": ""})
    assert emptied.status_code == 303 and (await space(db, "pressupostos-2027")).area_id is None

    client.cookies.clear()
    youth = await area_named(db, demo, "Joventut")
    page = await client.get("/assemblies/consell-de-joves")
    assert f'href="/assemblies?area={youth.id}">Joventut</a>' in page.text


async def test_the_lists_and_the_home_page_filter_by_area(app, client, demo, db, admin):
    mobility, youth, economy = [await area_named(db, demo, name)
                                for name in ("Mobilitat i espai públic", "Joventut", "Economia i hisenda")]
    processes = await client.get("/processes")
    assert titles(processes.text) == {BUDGET, MOBILITY} and 'name="area"' in processes.text
    assert 'name="scope"' in processes.text and f'<option value="{mobility.id}">' in processes.text
    filtered = await client.get(f"/processes?area={mobility.id}")
    assert filtered.status_code == 200 and titles(filtered.text) == {MOBILITY}
    assert f'<option value="{mobility.id}" selected>' in filtered.text
    assert translated_in(app, "ca", "Area: %(area)s", area="Mobilitat i espai públic") in filtered.text
    assert titles((await client.get(f"/assemblies?area={youth.id}")).text) == {YOUTH}
    assert titles((await client.get(f"/assemblies?area={mobility.id}")).text) == set()

    empty = await client.get(f"/processes?area={economy.id}")
    assert empty.status_code == 200 and titles(empty.text) == set()
    assert translated_in(app, "ca", "Nothing here has the area %(area)s yet.", area="Economia i hisenda") in empty.text

    home = await client.get("/")
    assert 'action="/"' in home.text and 'name="area"' in home.text
    assert titles((await client.get(f"/?area={youth.id}")).text) == {YOUTH}

    # With a scope too, both apply: the mobility plan is about the Centre.
    centre_id = int(re.search(r'<option value="(\d+)">Centre</option>', home.text).group(1))
    assert titles((await client.get("/", params={"scope": centre_id, "area": mobility.id})).text) == {MOBILITY}
    assert titles((await client.get("/", params={"scope": centre_id, "area": youth.id})).text) == set()

    for junk in ("abc", "999999", "1 OR 1=1", "-1", "", str(economy.id) + "'"):  # an unknown value filters nothing
        response = await client.get("/processes", params={"area": junk})
        assert response.status_code == 200 and titles(response.text) == {BUDGET, MOBILITY}, junk
        response = await client.get("/", params={"area": junk})
        assert response.status_code == 200 and titles(response.text) == {BUDGET, MOBILITY, YOUTH}, junk

    # Another organization's area filters nothing either.
    other = await other_organization(db)
    theirs = Area(organization_id=other.id, name={"ca": "Àrea d'Altra"})
    db.add(theirs)
    await db.commit()
    assert titles((await client.get(f"/processes?area={theirs.id}")).text) == {BUDGET, MOBILITY}

    # Pages keep the filter.
    db.add_all([Space(organization_id=demo.id, space_type="process", slug=f"p-{index}", title={"ca": f"Procés {index}"},
                      published=True, area_id=mobility.id) for index in range(25)])
    await db.commit()
    first = await client.get(f"/processes?area={mobility.id}")
    assert f'href="/processes?area={mobility.id}&amp;page=2"' in first.text


async def test_search_filters_by_area(app, client, demo, db):
    mobility, youth = await area_named(db, demo, "Mobilitat i espai públic"), await area_named(db, demo, "Joventut")
    everything = await found(client, "mobilitat")
    assert ("/processes/pla-de-mobilitat", MOBILITY) in everything
    within = await found(client, "mobilitat", area=str(mobility.id))
    assert ("/processes/pla-de-mobilitat", MOBILITY) in within
    assert all(url.startswith("/processes/pla-de-mobilitat") for url, _ in within)
    assert all(not url.startswith("/processes/pla-de-mobilitat") for url, _ in
               await found(client, "mobilitat", area=str(youth.id)))
    page = await client.get("/search", params={"q": "mobilitat", "area": str(mobility.id)})
    assert f'<option value="{mobility.id}" selected>' in page.text
    assert await found(client, "mobilitat", area="x") == everything


async def test_deleting_an_area_keeps_its_spaces_without_one(app, client, demo, db, admin):
    mobility = await area_named(db, demo, "Mobilitat i espai públic")
    await db.execute(update(Space).where(Space.slug == "pressupostos-2027").values(area_id=mobility.id))
    await db.commit()
    await log_in(client, admin)
    confirmation = await client.get(f"/admin/areas/{mobility.id}/delete")
    assert confirmation.status_code == 200
    assert "2 spaces have this area: they will keep existing, with no area." in confirmation.text  # read in English

    deleted = await post(client, f"/admin/areas/{mobility.id}/delete")
    assert deleted.status_code == 303
    assert await area_named(db, demo, "Mobilitat i espai públic") is None
    for slug in ("pla-de-mobilitat", "pressupostos-2027"):
        kept = await space(db, slug)
        assert kept is not None and kept.area_id is None
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "area.delete"))
    assert entry.user_id == admin.id and entry.details == {"spaces": 2}
    assert (await client.get("/processes/pla-de-mobilitat")).status_code == 200

    # The database clears what the service did not see (ON DELETE SET NULL).
    youth = await area_named(db, demo, "Joventut")
    await db.delete(youth)
    await db.commit()
    assert (await space(db, "consell-de-joves")).area_id is None
