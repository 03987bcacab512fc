"""Scopes: the districts, neighbourhoods and themes of an organization, kept by its admins and used to
filter spaces, proposals, search and newsletters; another organization's are never seen nor used.

The demo has the districts D1 (North, with Sant Roc and Les Planes), D2 (Centre, with the Old Town) and
D3 (South, with The Harbour and La Riera); the mobility plan is about the Centre (core/scopes/demo.py).
"""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.follows import follow
from core.forms import MESSAGES
from core.models import Component, Space
from core.newsletters.models import Newsletter, NewsletterDelivery
from core.roles import grant_organization_role
from core.scopes import services
from core.scopes.models import Scope, ScopeType
from core.scopes.schemas import ScopeForm
from core.spaces import services as space_services
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_newsletters import draft, fresh, mails_to, reader
from tests.test_notifications import log_in, translated_in
from tests.test_search import found, space_form


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


async def scope_of(db, organization, code: str) -> Scope | None:
    return await db.scalar(select(Scope).where(Scope.organization_id == organization.id, Scope.code == code)
                           .execution_options(populate_existing=True))


def scope_fields(name="Can Mir", code="D1-03", scope_type_id="", parent_id="") -> dict[str, str]:
    return {"name.ca": name, "name.es": "", "name.en": "", "code": code, "scope_type_id": str(scope_type_id),
            "parent_id": str(parent_id)}


async def space(db, slug: str) -> Space:
    return await db.scalar(select(Space).where(Space.slug == slug).execution_options(populate_existing=True))


def message(app, text: str, **variables) -> str:
    """A message as the English page shows it, escaped like the template does."""
    return str(escape(translated_in(app, "en", text, **variables)))


# ---------------------------------------------------------------- administration


async def test_an_admin_creates_edits_and_deletes_scope_types_and_scopes(app, client, demo, db, admin):
    await log_in(client, admin)
    listing = await client.get("/admin/scopes")
    assert listing.status_code == 200 and 'href="/admin/scopes" aria-current="page"' in listing.text
    assert "Sant Roc" in listing.text and "D1-01" in listing.text and 'href="/admin/scopes/types/new"' in listing.text

    created_type = await post(client, "/admin/scopes/types/new", **{"name.ca": "Zona", "name.en": "Zone"})
    assert created_type.status_code == 303 and created_type.headers["location"] == "/admin/scopes"
    zone = await db.scalar(select(ScopeType).where(ScopeType.organization_id == demo.id,
                                                   ScopeType.name["ca"].as_string() == "Zona"))
    assert zone.name == {"ca": "Zona", "en": "Zone"}

    north = await scope_of(db, demo, "D1")
    form = (await client.get("/admin/scopes/new")).text
    assert f'<option value="{north.id}">North</option>' in form  # the admin reads English
    assert f'<option value="{zone.id}">Zone</option>' in form
    created = await post(client, "/admin/scopes/new", **scope_fields(scope_type_id=zone.id, parent_id=north.id))
    assert created.status_code == 303
    can_mir = await scope_of(db, demo, "D1-03")
    assert (can_mir.name, can_mir.parent_id, can_mir.scope_type_id) == ({"ca": "Can Mir"}, north.id, zone.id)
    assert "North / Can Mir" in (await client.get("/admin/spaces/new/process")).text  # offered by its full name

    edit = await client.get(f"/admin/scopes/{can_mir.id}")
    assert 'value="D1-03"' in edit.text and f'<option value="{north.id}" selected>' in edit.text
    changed = await post(client, f"/admin/scopes/{can_mir.id}", **scope_fields(name="Can Mir Nou", code="D1-09"))
    assert changed.status_code == 303
    can_mir = await scope_of(db, demo, "D1-09")
    assert can_mir.name == {"ca": "Can Mir Nou"} and can_mir.parent_id is None and can_mir.scope_type_id is None

    confirmation = await client.get(f"/admin/scopes/{can_mir.id}/delete")
    assert confirmation.status_code == 200 and f'action="/admin/scopes/{can_mir.id}/delete"' in confirmation.text
    assert await scope_of(db, demo, "D1-09") is not None  # opening the confirmation deletes nothing
    assert (await post(client, f"/admin/scopes/{can_mir.id}/delete")).status_code == 303
    assert await scope_of(db, demo, "D1-09") is None

    renamed = await post(client, f"/admin/scopes/types/{zone.id}", **{"name.ca": "Àmbit"})
    assert renamed.status_code == 303
    assert (await post(client, f"/admin/scopes/types/{zone.id}/delete")).status_code == 303
    assert await db.get(ScopeType, zone.id, populate_existing=True) is None

    actions = (await db.scalars(select(AdminLogEntry.action).where(
        AdminLogEntry.organization_id == demo.id, AdminLogEntry.action.like("scope%")).order_by(AdminLogEntry.id))).all()
    assert actions == ["scope_type.create", "scope.create", "scope.update", "scope.delete", "scope_type.update",
                       "scope_type.delete"]


async def test_scope_forms_keep_what_was_typed_and_say_what_is_wrong(app, client, demo, db, admin):
    await log_in(client, admin)
    taken = await post(client, "/admin/scopes/new", **scope_fields(name="Nord bis", code="D1"))
    assert taken.status_code == 400 and "<title>Error:" in taken.text
    assert message(app, services.CODE_TAKEN) in taken.text and 'value="Nord bis"' in taken.text

    bad_code = await post(client, "/admin/scopes/new", **scope_fields(code="D 1!"))
    assert bad_code.status_code == 400
    assert message(app, "Use letters, digits, dots, hyphens and underscores, for example D-03.") in bad_code.text
    assert 'value="D 1!"' in bad_code.text

    nameless = await post(client, "/admin/scopes/new", **scope_fields(name=""))
    assert nameless.status_code == 400
    assert message(app, MESSAGES["required_in"], language="Català") in nameless.text

    # A scope inside one of its own sub-scopes is not even offered; a forged form is refused all the same.
    north, sant_roc = await scope_of(db, demo, "D1"), await scope_of(db, demo, "D1-01")
    edit = (await client.get(f"/admin/scopes/{north.id}")).text
    parents = edit.split('id="field-parent-id"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{sant_roc.id}"' not in parents and f'<option value="{north.id}"' not in parents
    assert f'<option value="{(await scope_of(db, demo, "D2")).id}"' in parents
    cycle = await post(client, f"/admin/scopes/{north.id}", **scope_fields(name="Nord", code="D1",
                                                                          parent_id=sant_roc.id))
    assert cycle.status_code == 400 and message(app, MESSAGES["choice"]) in cycle.text
    assert (await scope_of(db, demo, "D1")).parent_id is None
    with pytest.raises(services.ScopeError) as refused:
        await services.update(db, demo, admin, north, ScopeForm(name={"ca": "Nord"}, code="D1",
                                                               parent_id=sant_roc.id))
    assert refused.value.message == "A scope cannot be inside itself or inside one of its own sub-scopes."
    await db.rollback()


async def test_a_scope_in_use_is_not_deleted(app, client, demo, db, admin):
    await log_in(client, admin)
    north = await scope_of(db, demo, "D1")
    page = await client.get(f"/admin/scopes/{north.id}/delete")
    assert page.status_code == 200 and "Sant Roc" in page.text and "Les Planes" in page.text
    assert f'action="/admin/scopes/{north.id}/delete"' not in page.text  # no button while it is in use
    refused = await post(client, f"/admin/scopes/{north.id}/delete", f"/admin/scopes/{north.id}/delete")
    assert refused.status_code == 409 and 'role="alert"' in refused.text and "Sant Roc" in refused.text
    assert await scope_of(db, demo, "D1") is not None

    # The Old Town has no sub-scope and no space, but demo proposals are about it: the database says so.
    old_town = await scope_of(db, demo, "D2-01")
    assert (await client.get(f"/admin/scopes/{old_town.id}/delete")).status_code == 200
    refused = await post(client, f"/admin/scopes/{old_town.id}", f"/admin/scopes/{old_town.id}/delete")
    assert refused.status_code == 409 and message(app, services.IN_USE_ELSEWHERE) in refused.text
    assert await scope_of(db, demo, "D2-01") is not None

    # A scope a space has names the space.
    harbour = await scope_of(db, demo, "D3-02")
    await db.execute(update(Space).where(Space.slug == "consell-de-joves").values(scope_id=harbour.id))
    await db.commit()
    refused = await post(client, f"/admin/scopes/{harbour.id}", f"/admin/scopes/{harbour.id}/delete")
    assert refused.status_code == 409 and "Youth council" in refused.text
    assert await scope_of(db, demo, "D3-02") is not None

    district = await db.scalar(select(ScopeType).where(ScopeType.id == north.scope_type_id))
    refused = await post(client, f"/admin/scopes/types/{district.id}", f"/admin/scopes/types/{district.id}/delete")
    assert refused.status_code == 409 and "North" in refused.text
    assert await db.get(ScopeType, district.id) is not None


async def test_another_organization_neither_sees_nor_uses_a_scope(app, client, demo, db, admin):
    other = await other_organization(db)
    foreign_admin = await make_user(db, other, email="boss@altra.test", nickname="boss", locale="en")
    await grant_organization_role(db, other.id, foreign_admin.id, "admin")
    theirs = Scope(organization_id=other.id, code="A1", name={"ca": "Barri d'Altra"})
    db.add(theirs)
    await db.commit()
    north = await scope_of(db, demo, "D1")
    district_id = north.scope_type_id

    host = f"http://{OTHER_HOST}"
    await log_in(client, foreign_admin, host)
    listing = await client.get(f"{host}/admin/scopes")
    assert listing.status_code == 200 and "Barri d&#39;Altra" in listing.text and "Sant Roc" not in listing.text
    for url in (f"/admin/scopes/{north.id}", f"/admin/scopes/{north.id}/delete",
                f"/admin/scopes/types/{district_id}", f"/admin/scopes/types/{district_id}/delete"):
        assert (await client.get(f"{host}{url}")).status_code == 404, url
    html = (await client.get(f"{host}/admin/scopes/new")).text
    for url in (f"/admin/scopes/{north.id}", f"/admin/scopes/{north.id}/delete"):
        response = await client.post(f"{host}{url}", data={"_csrf_token": csrf(html), **scope_fields(code="Z")},
                                     follow_redirects=False)
        assert response.status_code == 404, url
    assert (await scope_of(db, demo, "D1")).name["en"] == "North"
    # Nor is a parent of theirs taken by the demo's admin.
    await log_in(client, admin)
    assert f'value="{theirs.id}"' not in (await client.get("/admin/scopes/new")).text
    forged = await post(client, "/admin/scopes/new", **scope_fields(parent_id=theirs.id))
    assert forged.status_code == 400 and await scope_of(db, demo, "D1-03") is None

    # A space never gets another organization's scope, from the form or the service.
    budget = await space(db, "pressupostos-2027")
    refused = await post(client, f"/admin/spaces/{budget.id}", **{
        "title.ca": "Pressupostos participatius 2027", "slug": "pressupostos-2027", "scope_id": str(theirs.id)})
    assert refused.status_code == 400 and message(app, MESSAGES["choice"]) in refused.text
    assert (await space(db, "pressupostos-2027")).scope_id is None
    with pytest.raises(space_services.SpaceError):
        await space_services.update_space(db, budget, admin, space_form(
            title={"ca": "Pressupostos"}, slug="pressupostos-2027", scope_id=theirs.id))
    await db.rollback()


# ---------------------------------------------------------------- spaces, search and newsletters


async def test_a_space_gets_a_scope_and_lists_filter_by_it(app, client, demo, db, admin, count_queries):
    await log_in(client, admin)
    budget, sant_roc = await space(db, "pressupostos-2027"), await scope_of(db, demo, "D1-01")
    edit = await client.get(f"/admin/spaces/{budget.id}")
    assert f'<option value="{sant_roc.id}">North / Sant Roc</option>' in edit.text
    saved = await post(client, f"/admin/spaces/{budget.id}", **{
        "title.ca": "Pressupostos participatius 2027", "slug": "pressupostos-2027", "scope_id": str(sant_roc.id)})
    assert saved.status_code == 303
    assert (await space(db, "pressupostos-2027")).scope_id == sant_roc.id

    client.cookies.clear()
    page = await client.get("/processes/pressupostos-2027")
    assert f'href="/processes?scope={sant_roc.id}">Sant Roc</a>' in page.text

    def titles(html: str) -> set[str]:
        return {title for title in ("Pressupostos participatius 2027", "Pla de mobilitat urbana") if title in html}

    north, centre, south = [await scope_of(db, demo, code) for code in ("D1", "D2", "D3")]
    everything = await client.get("/processes")
    assert titles(everything.text) == {"Pressupostos participatius 2027", "Pla de mobilitat urbana"}
    assert 'name="scope"' in everything.text
    assert titles((await client.get(f"/processes?scope={sant_roc.id}")).text) == {"Pressupostos participatius 2027"}
    # A district takes in its neighbourhoods.
    assert titles((await client.get(f"/processes?scope={north.id}")).text) == {"Pressupostos participatius 2027"}
    assert titles((await client.get(f"/processes?scope={centre.id}")).text) == {"Pla de mobilitat urbana"}
    empty = await client.get(f"/processes?scope={south.id}")
    assert empty.status_code == 200 and titles(empty.text) == set()
    assert translated_in(app, "ca", "Nothing here has the scope %(scope)s yet.", scope="Sud") in empty.text
    for junk in ("abc", "999999", "1 OR 1=1", "-1"):  # an unknown value filters nothing
        response = await client.get("/processes", params={"scope": junk})
        assert response.status_code == 200 and len(titles(response.text)) == 2, junk

    async def cost() -> int:
        with count_queries() as counter:
            assert (await client.get(f"/processes?scope={north.id}")).status_code == 200
        return counter.count

    before = await cost()
    for index in range(30):
        db.add(Scope(organization_id=demo.id, code=f"N-{index}", name={"ca": f"Veïnat {index}"},
                     parent_id=north.id))
    await db.commit()
    assert await cost() == before


async def test_search_filters_by_scope_with_the_scopes_inside_it(app, client, demo, db):
    north, centre, south, sant_roc = [await scope_of(db, demo, code) for code in ("D1", "D2", "D3", "D1-01")]
    # "Fonts d'aigua potable als parcs" is about Sant Roc, in both demo processes.
    fountains = await found(client, "fonts aigua")
    assert len(fountains) >= 2
    assert await found(client, "fonts aigua", scope=str(sant_roc.id)) == fountains
    assert await found(client, "fonts aigua", scope=str(north.id)) == fountains  # a district holds its neighbourhoods
    assert await found(client, "fonts aigua", scope=str(south.id)) == []
    # The library proposal has no scope of its own: in the mobility plan it is about the plan's scope, the Centre.
    library = await found(client, "biblioteca", scope=str(centre.id))
    assert [url.split("/")[2] for url, _ in library] == ["pla-de-mobilitat"]
    assert len(await found(client, "biblioteca")) >= 2
    # The space itself is found by its scope too.
    assert ("/processes/pla-de-mobilitat", "Pla de mobilitat urbana") in await found(client, "mobilitat",
                                                                                    scope=str(centre.id))
    assert all(url.split("/")[2] != "pla-de-mobilitat" for url, _ in await found(client, "mobilitat",
                                                                                 scope=str(south.id)))
    page = await client.get("/search", params={"q": "fonts", "scope": str(north.id)})
    assert f'<option value="{north.id}" selected>' in page.text
    assert (await client.get("/search", params={"q": "fonts", "scope": "x"})).status_code == 200


@pytest.mark.mail
async def test_a_newsletter_by_scope_reaches_the_people_of_its_scopes(app, client, demo, db, engine, inbox, admin):
    plan, budget = await space(db, "pla-de-mobilitat"), await space(db, "pressupostos-2027")
    people = {name: await reader(db, demo, name) for name in (
        "plan_fan", "budget_fan", "author", "supporter", "plan_author", "bystander", "shy_author")}
    await db.execute(update(User).where(User.id == people["shy_author"].id).values(newsletter_consent_at=None))
    await follow(db, people["plan_fan"].id, "space", plan.id)
    await follow(db, people["budget_fan"].id, "space", budget.id)
    proposals = {space_id: await db.scalar(select(Component.id).where(Component.space_id == space_id,
                                                                       Component.component_type == "proposals"))
                 for space_id in (plan.id, budget.id)}
    harbour, sant_roc = await scope_of(db, demo, "D3-01"), await scope_of(db, demo, "D1-01")
    about_harbour = Proposal(component_id=proposals[budget.id], author_id=people["author"].id, title="Un moll obert",
                             body="<p>x</p>", language="ca", state="published", scope_id=harbour.id)
    unscoped_in_plan = Proposal(component_id=proposals[plan.id], author_id=people["plan_author"].id,
                                title="Voreres amples", body="<p>x</p>", language="ca", state="published")
    draft_about_harbour = Proposal(component_id=proposals[budget.id], author_id=people["bystander"].id,
                                   title="Esborrany", body="<p>x</p>", language="ca", scope_id=harbour.id)
    shy = Proposal(component_id=proposals[budget.id], author_id=people["shy_author"].id, title="Tímida",
                   body="<p>x</p>", language="ca", state="published", scope_id=harbour.id)
    db.add_all([about_harbour, unscoped_in_plan, draft_about_harbour, shy])
    await db.flush()
    db.add(Support(proposal_id=about_harbour.id, user_id=people["supporter"].id, component_id=proposals[budget.id]))
    await db.commit()
    south, centre = await scope_of(db, demo, "D3"), await scope_of(db, demo, "D2")

    await log_in(client, admin)
    by_south = await draft(db, demo, admin)
    page = f"/admin/newsletters/{by_south.id}/recipients"
    form = (await client.get(page)).text
    assert 'value="scopes"' in form and f'name="scope_ids" value="{south.id}"' in form
    none_chosen = await post(client, page, kind="scopes")
    assert none_chosen.status_code == 400 and "Choose at least one scope." in none_chosen.text
    foreign = Scope(organization_id=(await other_organization(db)).id, code="A1", name={"ca": "Altra"})
    db.add(foreign)
    await db.commit()
    for forged in ([str(foreign.id)], ["1 OR 1=1"], [str(south.id), str(foreign.id)]):
        refused = await post(client, page, data={"scope_ids": forged}, kind="scopes")
        assert refused.status_code == 400 and "Choose scopes from the list." in refused.text, forged
    chosen = await post(client, page, data={"scope_ids": [str(south.id)]}, kind="scopes")
    assert chosen.status_code == 303
    confirm = await client.get(f"/admin/newsletters/{by_south.id}/confirm")
    assert "South" in confirm.text
    sent = await post(client, f"/admin/newsletters/{by_south.id}/confirm", f"/admin/newsletters/{by_south.id}/send")
    assert sent.status_code == 303

    async def reached(newsletter: Newsletter) -> set[str]:
        rows = await fresh(engine, select(User.nickname).join(NewsletterDelivery, NewsletterDelivery.user_id == User.id)
                           .where(NewsletterDelivery.newsletter_id == newsletter.id))
        return {row[0] for row in rows}

    # The district takes in the Harbour: the author and the supporter of a proposal about it, in a city-wide
    # process; not a draft's author, nor whoever did not accept the newsletter.
    assert await reached(by_south) == {"author", "supporter"}
    mails = mails_to(inbox)
    assert set(mails) == {"author@example.org", "supporter@example.org"}

    by_centre = await draft(db, demo, admin)
    chosen = await post(client, f"/admin/newsletters/{by_centre.id}/recipients",
                        data={"scope_ids": [str(centre.id), str(sant_roc.id)]}, kind="scopes")
    assert chosen.status_code == 303
    await post(client, f"/admin/newsletters/{by_centre.id}/confirm", f"/admin/newsletters/{by_centre.id}/send")
    # The Centre's space: who follows it and who took part in it (a proposal without a scope of its own).
    assert await reached(by_centre) == {"plan_fan", "plan_author"}
