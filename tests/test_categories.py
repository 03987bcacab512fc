"""Categories: the themes of a space, kept by its admins; proposals are filed under them (and under a
scope) and the proposals list filters by both. Another space's categories are never used here.

The demo budget has "Public space" (with "Urban greenery"), "Mobility" and "Facilities"; the mobility
plan has "Walking", "Cycling" and "Public transport" (core/categories/demo.py). Its proposals are
filed as plugins/proposals/seeds.py says.
"""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from core.adminlog import AdminLogEntry
from core.categories import services
from core.categories.models import Category
from core.categories.schemas import CategoryForm
from core.forms import MESSAGES
from core.models import Space
from core.roles import grant_organization_role, grant_space_role
from core.scopes.models import Scope
from core.search.models import IndexedDocument
from plugins.proposals import services as proposal_services
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.plugins.proposals.test_proposals import BASE, demo_component, published_proposals
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in, translated_in

TITLES = {  # the demo's proposals, as their titles show in a page
    "trees": "Més arbres i ombra a la plaça Major", "bike": "Carril bici segregat fins a l&#39;institut",
    "fountains": "Fonts d&#39;aigua potable als parcs", "court": "Cubrir la pista del polideportivo",
    "library": "Biblioteca oberta els diumenges al matí", "gardens": "Horts urbans al solar del carrer Nou",
}


@pytest.fixture
async def budget(demo, db) -> Space:
    return await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))


@pytest.fixture
async def space_admin(demo, db, budget):
    """An admin of the budget only (not of the organization), who reads English."""
    user = await make_user(db, demo, email="gestora@example.org", nickname="gestora", name="Gestora", locale="en")
    await grant_space_role(db, budget.id, user.id, "admin")
    await db.commit()
    return user


async def post(client, page: str, action: str | None = None, **fields):
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


async def category(db, space_slug: str, english_name: str) -> Category:
    return await db.scalar(select(Category).join(Space, Space.id == Category.space_id)
                           .where(Space.slug == space_slug, Category.name["en"].as_string() == english_name)
                           .execution_options(populate_existing=True))


async def scope(db, demo, code: str) -> Scope:
    return await db.scalar(select(Scope).where(Scope.organization_id == demo.id, Scope.code == code))


def fields(name="Parcs", parent_id="", weight="3") -> dict[str, str]:
    return {"name.ca": name, "name.es": "", "name.en": "", "parent_id": str(parent_id), "weight": weight}


def message(app, text: str, **variables) -> str:
    return str(escape(translated_in(app, "en", text, **variables)))


def shown(html: str) -> set[str]:
    """Which demo proposals a list page shows."""
    return {key for key, title in TITLES.items() if title in html}


# ---------------------------------------------------------------- administration


async def test_a_space_admin_creates_edits_and_deletes_categories(app, client, demo, db, budget, space_admin):
    await log_in(client, space_admin)
    base = f"/admin/spaces/{budget.id}/categories"
    listing = await client.get(base)
    assert listing.status_code == 200 and f'href="{base}" aria-current="page"' in listing.text  # the space's menu
    assert "Public space" in listing.text and "Urban greenery" in listing.text
    assert f'href="{base}"' in (await client.get(f"/admin/spaces/{budget.id}/phases")).text

    public_space = await category(db, "pressupostos-2027", "Public space")
    created = await post(client, base, **fields(parent_id=public_space.id))
    assert created.status_code == 303 and created.headers["location"] == base
    parks = await db.scalar(select(Category).where(Category.space_id == budget.id,
                                                   Category.name["ca"].as_string() == "Parcs"))
    assert (parks.parent_id, parks.weight) == (public_space.id, 3)

    edit = await client.get(f"{base}/{parks.id}")
    assert edit.status_code == 200 and f'<option value="{public_space.id}" selected>' in edit.text
    changed = await post(client, f"{base}/{parks.id}", **fields(name="Parcs i jardins", weight="9"))
    assert changed.status_code == 303
    await db.refresh(parks)
    assert (parks.name, parks.parent_id, parks.weight) == ({"ca": "Parcs i jardins"}, None, 9)

    confirmation = await client.get(f"{base}/{parks.id}/delete")
    assert confirmation.status_code == 200 and f'action="{base}/{parks.id}/delete"' in confirmation.text
    assert (await post(client, f"{base}/{parks.id}/delete")).status_code == 303
    assert await db.scalar(select(func.count(Category.id)).where(Category.id == parks.id)) == 0

    actions = (await db.scalars(select(AdminLogEntry.action).where(
        AdminLogEntry.organization_id == demo.id, AdminLogEntry.action.like("category.%"))
        .order_by(AdminLogEntry.id))).all()
    assert actions == ["category.create", "category.update", "category.delete"]


async def test_category_forms_keep_what_was_typed_and_say_what_is_wrong(app, client, demo, db, budget,
                                                                        space_admin):
    await log_in(client, space_admin)
    base = f"/admin/spaces/{budget.id}/categories"
    nameless = await post(client, base, **fields(name="", weight="7"))
    assert nameless.status_code == 400 and "<title>Error:" in nameless.text
    assert message(app, MESSAGES["required_in"], language="Català") in nameless.text and 'value="7"' in nameless.text
    too_far = await post(client, base, **fields(weight="5000"))
    assert too_far.status_code == 400 and message(app, MESSAGES["too_large"], limit=1000) in too_far.text
    assert 'value="Parcs"' in too_far.text

    # One level only: a subcategory is not offered as a parent, and a forged form is refused.
    greenery = await category(db, "pressupostos-2027", "Urban greenery")
    form = (await client.get(base)).text
    parents = form.split('id="field-parent-id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{greenery.id}"' not in parents
    deeper = await post(client, base, **fields(parent_id=greenery.id))
    assert deeper.status_code == 400 and message(app, MESSAGES["choice"]) in deeper.text
    with pytest.raises(services.CategoryError) as refused:
        await services.create(db, demo, space_admin, budget, CategoryForm(name={"ca": "Parcs"}, parent_id=greenery.id))
    assert refused.value.message == "A subcategory cannot have subcategories: choose a first-level category."

    # A category with subcategories stays at the first level: its page offers no parent.
    public_space, mobility = [await category(db, "pressupostos-2027", name) for name in ("Public space", "Mobility")]
    assert 'id="field-parent-id"' not in (await client.get(f"{base}/{public_space.id}")).text
    with pytest.raises(services.CategoryError) as refused:
        await services.update(db, demo, space_admin, budget, public_space,
                              CategoryForm(name={"ca": "Espai públic"}, parent_id=mobility.id))
    assert refused.value.message == "This category has subcategories, so it cannot become one."
    await db.rollback()


async def test_a_category_in_use_is_not_deleted(app, client, demo, db, budget, space_admin):
    await log_in(client, space_admin)
    base = f"/admin/spaces/{budget.id}/categories"
    public_space = await category(db, "pressupostos-2027", "Public space")
    page = await client.get(f"{base}/{public_space.id}/delete")
    assert page.status_code == 200 and "Urban greenery" in page.text
    assert f'action="{base}/{public_space.id}/delete"' not in page.text  # no button while it is in use
    refused = await post(client, f"{base}/{public_space.id}", f"{base}/{public_space.id}/delete")
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert await category(db, "pressupostos-2027", "Public space") is not None

    mobility = await category(db, "pressupostos-2027", "Mobility")  # the bike lane proposal is filed under it
    refused = await post(client, f"{base}/{mobility.id}", f"{base}/{mobility.id}/delete")
    assert refused.status_code == 409 and message(app, services.IN_USE) in refused.text
    assert await category(db, "pressupostos-2027", "Mobility") is not None
    assert await db.scalar(select(func.count(AdminLogEntry.id)).where(AdminLogEntry.action == "category.delete")) == 0


async def test_categories_of_another_space_or_organization_are_out_of_reach(app, client, demo, db, budget,
                                                                            space_admin):
    plan = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    walking = await category(db, "pla-de-mobilitat", "Walking")
    await log_in(client, space_admin)
    base = f"/admin/spaces/{budget.id}/categories"
    for url in (f"{base}/{walking.id}", f"{base}/{walking.id}/delete"):
        assert (await client.get(url)).status_code == 404, url
    html = (await client.get(base)).text
    for url in (f"{base}/{walking.id}", f"{base}/{walking.id}/delete"):
        response = await client.post(url, data={"_csrf_token": csrf(html), **fields()}, follow_redirects=False)
        assert response.status_code == 404, url
    assert await category(db, "pla-de-mobilitat", "Walking") is not None
    # Administering the budget gives nothing in the mobility plan.
    assert (await client.get(f"/admin/spaces/{plan.id}/categories")).status_code == 403

    other = await other_organization(db)
    foreign_admin = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign_admin.id, "admin")
    await db.commit()
    await log_in(client, foreign_admin, f"http://{OTHER_HOST}")
    assert (await client.get(f"http://{OTHER_HOST}{base}")).status_code == 404


# ---------------------------------------------------------------- proposals


async def test_a_proposal_is_filed_under_a_category_and_a_scope(app, client, demo, db, budget, space_admin):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    author = await make_user(db, demo, email="vei@example.org", nickname="vei", locale="en")
    mobility, walking = await category(db, "pressupostos-2027", "Mobility"), await category(
        db, "pla-de-mobilitat", "Walking")
    sant_roc = await scope(db, demo, "D1-01")
    foreign = Scope(organization_id=(await other_organization(db)).id, code="A1", name={"ca": "Altra"})
    db.add(foreign)
    await db.commit()

    await log_in(client, author)
    written = await post(client, f"{url}/new", title="Un pas de vianants davant l'escola",
                         body="Els infants creuen sense semàfor cada matí.")
    proposal_id = int(written.headers["location"].split("/")[-2])
    complete = await client.get(f"{url}/{proposal_id}/complete")
    assert f'<option value="{mobility.id}">Mobility</option>' in complete.text
    assert f'<option value="{sant_roc.id}">North / Sant Roc</option>' in complete.text
    offered = complete.text.split('id="field-category-id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{walking.id}"' not in offered
    assert f'value="{foreign.id}"' not in complete.text.split('id="field-scope-id"', 1)[1].split("</select>", 1)[0]
    text = {"title": "Un pas de vianants davant l'escola", "body": "Els infants creuen sense semàfor cada matí."}
    for forged in ({"category_id": str(walking.id)}, {"scope_id": str(foreign.id)}, {"category_id": "1 OR 1=1"}):
        refused = await post(client, f"{url}/{proposal_id}/complete", **text, **forged)
        assert refused.status_code == 400 and message(app, MESSAGES["choice"]) in refused.text, forged
        assert "Els infants creuen sense semàfor cada matí." in refused.text
    completed = await post(client, f"{url}/{proposal_id}/complete", **text, category_id=str(mobility.id),
                           scope_id=str(sant_roc.id))
    assert completed.status_code == 303
    preview = await client.get(f"{url}/{proposal_id}/preview")
    assert "Mobility" in preview.text and "Sant Roc" in preview.text
    assert (await post(client, f"{url}/{proposal_id}/preview", f"{url}/{proposal_id}/publish")).status_code == 303
    page = await client.get(f"{url}/{proposal_id}")
    assert f'href="{url}/?category={mobility.id}">Mobility</a>' in page.text
    assert f'href="{url}/?scope={sant_roc.id}">Sant Roc</a>' in page.text
    assert f'action="{url}/{proposal_id}/classify"' not in page.text  # only the space's admins file proposals
    html = page.text
    assert (await client.post(f"{url}/{proposal_id}/classify", data={"_csrf_token": csrf(html)},
                              follow_redirects=False)).status_code == 403

    # The services check the same rule, whoever calls them.
    proposal = await db.get(Proposal, proposal_id)
    component = await demo_component(db)
    with pytest.raises(proposal_services.ProposalError) as refused:
        await proposal_services.classify(db, component, proposal, walking.id, None)
    assert refused.value.message == "Choose one of this space's categories."
    with pytest.raises(proposal_services.ProposalError) as refused:
        await proposal_services.classify(db, component, proposal, None, foreign.id)
    assert refused.value.message == "Choose one of the organization's scopes."

    # The space's admin files it anew, and search follows.
    facilities, south = await category(db, "pressupostos-2027", "Facilities"), await scope(db, demo, "D3")
    await log_in(client, space_admin)
    admin_page = await client.get(f"{url}/{proposal_id}")
    assert f'action="{url}/{proposal_id}/classify"' in admin_page.text
    forged = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/classify", category_id=str(walking.id))
    assert forged.status_code == 400 and "<title>Error:" in forged.text
    filed = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/classify",
                       category_id=str(facilities.id), scope_id=str(south.id))
    assert filed.status_code == 303
    db.expire_all()
    proposal = await db.get(Proposal, proposal_id)
    assert (proposal.category_id, proposal.scope_id) == (facilities.id, south.id)
    assert await db.scalar(select(IndexedDocument.scope_id).where(
        IndexedDocument.resource_type == "proposals.proposal", IndexedDocument.resource_id == proposal_id)) == south.id


async def test_the_list_filters_by_category_and_by_scope(app, client, demo, db, budget, count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/"
    public_space, greenery, walking = [await category(db, slug, name) for slug, name in (
        ("pressupostos-2027", "Public space"), ("pressupostos-2027", "Urban greenery"),
        ("pla-de-mobilitat", "Walking"))]
    north, centre, south = [await scope(db, demo, code) for code in ("D1", "D2", "D3")]

    async def listed(**params) -> set[str]:
        response = await client.get(url, params={"order": "recent", **params})
        assert response.status_code == 200
        return shown(response.text)

    everything = await listed()
    assert everything == set(TITLES)
    page = await client.get(url)
    assert 'name="category"' in page.text and 'name="scope"' in page.text
    assert "Espai públic / Verd urbà" in page.text  # in the reader's language; a subcategory after its parent

    # A category takes in its subcategories; a district its neighbourhoods.
    assert await listed(category=public_space.id) == {"trees", "fountains", "gardens"}
    assert await listed(category=greenery.id) == {"trees", "gardens"}
    assert await listed(scope=north.id) == {"bike", "fountains"}
    assert await listed(scope=south.id) == {"court", "gardens"}
    assert await listed(category=public_space.id, scope=south.id) == {"gardens"}
    # Unknown values, another space's category, or anything else: no filter.
    for junk in ({"category": walking.id}, {"category": "999999"}, {"category": "abc"}, {"scope": "-4"},
                 {"scope": "1 OR 1=1"}):
        assert await listed(**junk) == everything, junk
    # Without a scope of its own, a proposal is about its space's scope.
    await db.execute(update(Space).where(Space.id == budget.id).values(scope_id=centre.id))
    await db.commit()
    assert await listed(scope=centre.id) == {"trees", "library"}
    filtered = await client.get(url, params={"order": "recent", "category": greenery.id})
    assert 'selected>Espai públic / Verd urbà' in filtered.text

    async def cost() -> int:
        with count_queries() as counter:
            response = await client.get(url, params={"order": "recent", "category": public_space.id,
                                                     "scope": north.id})
            assert response.status_code == 200
        return counter.count

    before = await cost()
    for index in range(15):
        db.add(Category(space_id=budget.id, parent_id=public_space.id, name={"ca": f"Tema {index}"}, weight=index))
        db.add(Scope(organization_id=demo.id, code=f"X-{index}", name={"ca": f"Barri {index}"}, parent_id=north.id))
    await db.commit()
    ids = await published_proposals(db, component, 25)
    await db.execute(update(Proposal).where(Proposal.id.in_(ids))
                     .values(category_id=public_space.id, scope_id=north.id))
    await db.commit()
    assert await cost() == before
    paged = await client.get(url, params={"order": "recent", "category": public_space.id, "scope": north.id})
    assert f"&amp;category={public_space.id}&amp;scope={north.id}&amp;page=2" in paged.text  # the next page keeps them


async def test_a_copy_of_a_space_keeps_its_categories_and_scope(client, demo, db, budget):
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", locale="en")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    centre = await scope(db, demo, "D2")
    await db.execute(update(Space).where(Space.id == budget.id).values(scope_id=centre.id))
    await db.commit()
    await log_in(client, admin)
    copied = await post(client, f"/admin/spaces/{budget.id}", f"/admin/spaces/{budget.id}/copy",
                        **{"copy.slug": "pressupostos-2028"})
    assert copied.status_code == 303
    copy = await db.scalar(select(Space).where(Space.slug == "pressupostos-2028"))
    assert copy.scope_id == centre.id
    names = {category.id: category for category in await services.categories_of(db, copy)}
    tree = [(category.name["en"], names[category.parent_id].name["en"] if category.parent_id else None)
            for category, _ in services.tree(names.values())]
    assert tree == [("Public space", None), ("Urban greenery", "Public space"), ("Mobility", None),
                    ("Facilities", None)]
    # The copy's categories are its own: the original's are untouched, and nothing is filed under the copies.
    assert len(await services.categories_of(db, budget)) == 4
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.category_id.in_(list(names)))) == 0
