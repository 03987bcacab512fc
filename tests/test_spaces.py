"""Spaces: an admin creates a process, gives it phases and components, sets them up and publishes it."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from msgspec import Meta
from sqlalchemy import func, select

from core.adminlog import AdminLogEntry
from core.app import create_app
from core.manifest import ComponentManifest
from core.models import Component, Phase, Space
from core.plugins import Registry
from core.roles import grant_organization_role, grant_space_role
from core.spaces import phase_settings_of
from tests.conftest import DEMO_HOST, other_organization, shared_registry
from tests.test_accounts import csrf, make_user, submit
from tests.test_admin import log_in
from tests.test_plugins import plugin_module


class PollPhase(msgspec.Struct, kw_only=True):
    """Per-phase settings of a test component type: what the phase switches on."""

    answering_enabled: Annotated[bool, Meta(title="Answering enabled")] = False
    answers_per_person: Annotated[int, Meta(ge=1, le=10, title="Answers per person")] = 1


class PollSettings(msgspec.Struct, kw_only=True):
    question: Annotated[str, Meta(max_length=100, title="Question")] = "What now?"


POLLS = ComponentManifest(name="polls", title="Polls", settings=PollSettings, phase_settings=PollPhase)


@pytest.fixture
def registry(settings):
    """The default plugins plus a component type with per-phase settings."""
    return shared_registry(settings, "polls", lambda settings: Registry(
        settings, extra=[("polls", plugin_module("polls", register_component_types=lambda: [POLLS]))]))


@pytest.fixture
async def people(demo, db):
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    space_admin = await make_user(db, demo, email="space@example.org", nickname="spaceadmin")
    await db.commit()
    return {"admin": admin, "citizen": citizen, "space_admin": space_admin}


PROCESS = {
    "title.ca": "Pressupostos 2028", "title.es": "Presupuestos 2028", "title.en": "Budget 2028",
    "slug": "pressupostos-2028", "subtitle.ca": "Tu decideixes", "start_date": "2028-01-10",
    "end_date": "2028-06-30", "description.ca": '<p>Com <a href="javascript:alert(1)">participar</a></p>'
                                                '<script>alert(1)</script>',
}


async def create_process(client, **changes) -> int:
    response = await submit(client, "/admin/spaces/new/process", **{**PROCESS, **changes})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_an_admin_creates_a_draft_process_that_only_admins_see(client, people, db):
    await log_in(client, "boss@example.org")
    space_id = await create_process(client)
    space = await db.get(Space, space_id)
    assert space.published is False and space.title["es"] == "Presupuestos 2028"
    assert "<script" not in space.description["ca"] and "javascript:" not in space.description["ca"]
    assert (await db.scalar(select(AdminLogEntry.action).where(AdminLogEntry.user_id == people["admin"].id))
            == "space.create")

    preview = await client.get("/processes/pressupostos-2028")
    assert preview.status_code == 200 and 'class="notice"' in preview.text
    client.cookies.clear()
    assert (await client.get("/processes/pressupostos-2028")).status_code == 404
    assert "pressupostos-2028" not in (await client.get("/processes")).text

    await log_in(client, "boss@example.org")
    page = await client.get(f"/admin/spaces/{space_id}")
    published = await client.post(f"/admin/spaces/{space_id}/publish", data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert published.status_code == 303
    client.cookies.clear()
    public = await client.get("/processes/pressupostos-2028")
    assert public.status_code == 200 and "Pressupostos 2028" in public.text
    assert "/processes/pressupostos-2028" in (await client.get("/processes")).text


async def test_bad_input_is_answered_field_by_field_keeping_what_was_typed(client, people, db):
    await log_in(client, "boss@example.org")
    response = await submit(client, "/admin/spaces/new/process", **{
        **PROCESS, "title.ca": "", "slug": "Not A Slug", "start_date": "2028-06-01", "end_date": "2027-01-01",
    })
    assert response.status_code == 400
    text = response.text
    assert "Presupuestos 2028" in text and "Not A Slug" in text  # kept
    assert 'id="field-title-ca"' in text and 'href="#field-title-ca"' in text  # the summary links to the input
    assert "Català" in text.split('class="error-summary"')[1].split("</div>")[0]  # which language is missing
    assert await db.scalar(select(func.count(Space.id)).where(Space.slug == "pressupostos-2028")) == 0

    dates = await submit(client, "/admin/spaces/new/process", **{**PROCESS, "end_date": "2027-01-01"})
    assert dates.status_code == 400 and 'href="#field-end-date"' in dates.text

    await create_process(client)
    taken = await submit(client, "/admin/spaces/new/process", **PROCESS)
    assert taken.status_code == 400 and 'href="#field-slug"' in taken.text
    assert await db.scalar(select(func.count(Space.id)).where(Space.slug == "pressupostos-2028")) == 1


async def test_phases_are_ordered_and_one_of_them_is_active(client, people, db):
    await log_in(client, "boss@example.org")
    space_id = await create_process(client)
    for title, start in (("Propostes", "2028-01-10"), ("Suports", "2028-03-01"), ("Resultats", "2028-05-01")):
        response = await submit(client, f"/admin/spaces/{space_id}/phases", **{"title.ca": title,
                                                                                "start_date": start})
        assert response.status_code == 303
    phases = (await db.scalars(select(Phase).where(Phase.space_id == space_id).order_by(Phase.weight))).all()
    assert [phase.title["ca"] for phase in phases] == ["Propostes", "Suports", "Resultats"]
    space = await db.get(Space, space_id)
    ids = [phase.id for phase in phases]
    assert space.active_phase_id == ids[0]  # the first phase becomes active

    page = await client.get(f"/admin/spaces/{space_id}/phases")
    token = csrf(page.text)
    await client.post(f"/admin/spaces/{space_id}/phases/{ids[1]}/activate", data={"_csrf_token": token}, follow_redirects=False)
    await client.post(f"/admin/spaces/{space_id}/phases/{ids[2]}/move",
                      data={"_csrf_token": token, "direction": "up"}, follow_redirects=False)
    db.expire_all()
    ordered = (await db.scalars(select(Phase).where(Phase.space_id == space_id).order_by(Phase.weight))).all()
    assert [phase.title["ca"] for phase in ordered] == ["Propostes", "Resultats", "Suports"]
    assert (await db.get(Space, space_id)).active_phase_id == ids[1]

    public = (await client.get("/processes/pressupostos-2028")).text
    current = public.split('aria-current="step"')[1].split("</h3>")[0]
    assert "Suports" in current and public.count('aria-current="step"') == 1

    bad = await submit(client, f"/admin/spaces/{space_id}/phases", **{"title.ca": "", "title.es": "Fase",
                                                                       "end_date": "someday"})
    assert bad.status_code == 400 and 'value="Fase"' in bad.text and 'value="someday"' in bad.text

    # Deleting the active phase makes the first remaining one active.
    await client.post(f"/admin/spaces/{space_id}/phases/{ids[1]}/delete", data={"_csrf_token": token}, follow_redirects=False)
    db.expire_all()
    assert (await db.get(Space, space_id)).active_phase_id == ids[0]
    assert await db.scalar(select(func.count(Phase.id)).where(Phase.space_id == space_id)) == 2


async def test_component_settings_forms_come_from_the_schema_and_follow_the_phases(client, people, db, app):
    await log_in(client, "boss@example.org")
    space_id = await create_process(client)
    for title in ("Debat", "Votació"):
        await submit(client, f"/admin/spaces/{space_id}/phases", **{"title.ca": title})
    debate_id, vote_id = (await db.scalars(
        select(Phase.id).where(Phase.space_id == space_id).order_by(Phase.weight))).all()

    added = await submit(client, f"/admin/spaces/{space_id}/components", component_type="polls")
    assert added.status_code == 303
    component_id = int(added.headers["location"].rsplit("/", 1)[1])
    url = f"/admin/spaces/{space_id}/components/{component_id}"
    form = (await client.get(url)).text
    for field in ("settings.question", f"phase-{debate_id}.answering_enabled",
                  f"phase-{vote_id}.answers_per_person", "name.ca"):
        assert f'name="{field}"' in form, field

    wrong = await submit(client, url, **{"name.ca": "Enquesta", "settings.question": "x" * 101,
                                         f"phase-{vote_id}.answers_per_person": "11",
                                         f"phase-{vote_id}.answering_enabled": "on"})
    assert wrong.status_code == 400
    assert "x" * 101 in wrong.text and 'value="11"' in wrong.text
    assert wrong.text.count('class="field__error"') == 2

    saved = await submit(client, url, **{"name.ca": "Enquesta", "name.en": "Poll", "settings.question": "Which?",
                                         f"phase-{vote_id}.answers_per_person": "3",
                                         f"phase-{vote_id}.answering_enabled": "on"})
    assert saved.status_code == 303
    db.expire_all()
    component = await db.scalar(select(Component).where(Component.id == component_id))
    assert component.name == {"ca": "Enquesta", "en": "Poll"} and component.settings == {"question": "Which?"}
    await db.refresh(component, ["space"])
    registry = app.state.registry
    # Debate is active: nothing switched on there. Then the vote phase becomes active.
    assert phase_settings_of(registry, component) == PollPhase(answering_enabled=False, answers_per_person=1)
    page = await client.get(f"/admin/spaces/{space_id}/phases")
    await client.post(f"/admin/spaces/{space_id}/phases/{vote_id}/activate", data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    db.expire_all()
    component = await db.scalar(select(Component).where(Component.id == component_id))
    await db.refresh(component, ["space"])
    assert phase_settings_of(registry, component) == PollPhase(answering_enabled=True, answers_per_person=3)


async def test_unpublished_components_are_for_admins_and_removal_keeps_participation(client, people, db, demo):
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    await log_in(client, "boss@example.org")
    added = await submit(client, f"/admin/spaces/{space.id}/components", component_type="pages")
    component_id = int(added.headers["location"].rsplit("/", 1)[1])
    url = f"/processes/pressupostos-2027/pages/{component_id}"
    assert (await client.get(url)).status_code == 200  # an admin previews it
    client.cookies.clear()
    assert (await client.get(url)).status_code == 404
    assert url not in (await client.get("/processes/pressupostos-2027")).text

    await log_in(client, "boss@example.org")
    page = await client.get(f"/admin/spaces/{space.id}/components")
    token = csrf(page.text)
    await client.post(f"/admin/spaces/{space.id}/components/{component_id}/publish", data={"_csrf_token": token}, follow_redirects=False)
    client.cookies.clear()
    assert (await client.get(url)).status_code == 200
    assert url in (await client.get("/processes/pressupostos-2027")).text

    await log_in(client, "boss@example.org")
    page = await client.get(f"/admin/spaces/{space.id}/components")
    deleted = await client.post(f"/admin/spaces/{space.id}/components/{component_id}/delete",
                                data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert deleted.status_code == 303
    assert await db.scalar(select(func.count(Component.id)).where(Component.id == component_id)) == 0


async def test_a_component_with_participation_is_archived_not_deleted(settings, demo, db, people):
    async def participation(session, component):
        return 3

    counted = ComponentManifest(name="petitions", title="Petitions", participation=participation)
    registry = Registry(settings, extra=[("petitions", plugin_module(
        "petitions", register_component_types=lambda: [counted]))])
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = Component(space_id=space.id, component_type="petitions", name={"ca": "Peticions"}, published=True)
    db.add(component)
    await db.commit()
    space_id, component_id = space.id, component.id
    async with AsyncTestClient(app=create_app(settings, registry), base_url=f"http://{DEMO_HOST}") as client:
        await log_in(client, "boss@example.org")
        page = await client.get(f"/admin/spaces/{space_id}/components")
        response = await client.post(f"/admin/spaces/{space_id}/components/{component_id}/delete",
                                     data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
        assert response.status_code == 303
        republish = await client.post(f"/admin/spaces/{space_id}/components/{component_id}/publish",
                                      data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
        assert republish.status_code == 400
    db.expire_all()
    kept = await db.get(Component, component_id)
    assert kept.archived_at is not None and kept.published is False


async def test_copying_a_process_keeps_phases_and_settings_but_no_participation(client, people, db):
    await log_in(client, "boss@example.org")
    space_id = await create_process(client)
    await submit(client, f"/admin/spaces/{space_id}/phases", **{"title.ca": "Votació"})
    phase = await db.scalar(select(Phase).where(Phase.space_id == space_id))
    added = await submit(client, f"/admin/spaces/{space_id}/components", component_type="polls")
    component_id = int(added.headers["location"].rsplit("/", 1)[1])
    await submit(client, f"/admin/spaces/{space_id}/components/{component_id}", **{
        "name.ca": "Enquesta", f"phase-{phase.id}.answering_enabled": "on",
        f"phase-{phase.id}.answers_per_person": "2"})

    taken = await submit(client, f"/admin/spaces/{space_id}", f"/admin/spaces/{space_id}/copy",
                         **{"copy.slug": "pressupostos-2028", "copy.with_components": "on"})
    assert taken.status_code == 400 and 'href="#field-copy-slug"' in taken.text
    copied = await submit(client, f"/admin/spaces/{space_id}", f"/admin/spaces/{space_id}/copy",
                          **{"copy.slug": "pressupostos-2029", "copy.with_components": "on"})
    assert copied.status_code == 303
    copy = await db.scalar(select(Space).where(Space.slug == "pressupostos-2029"))
    assert copy.published is False and copy.title["ca"] == "Pressupostos 2028"
    new_phase = await db.scalar(select(Phase).where(Phase.space_id == copy.id))
    new_component = await db.scalar(select(Component).where(Component.space_id == copy.id))
    assert new_phase.id != phase.id and new_component.published is False
    assert new_component.phase_settings == {str(new_phase.id): {"answering_enabled": True, "answers_per_person": 2}}


async def test_space_admins_run_their_space_only(client, people, db, demo):
    mine = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    other = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    await grant_space_role(db, mine.id, people["space_admin"].id, "admin")
    await db.commit()
    await log_in(client, "space@example.org")
    assert (await client.get(f"/admin/spaces/{mine.id}")).status_code == 200
    assert (await client.get(f"/admin/spaces/{mine.id}/components")).status_code == 200
    assert f"/admin/spaces/{mine.id}" in (await client.get("/processes/pressupostos-2027")).text
    assert (await client.get(f"/admin/spaces/{other.id}")).status_code == 403
    assert (await client.get("/admin/spaces")).status_code == 403
    assert (await client.get("/admin/spaces/new/process")).status_code == 403
    changed = await submit(client, f"/admin/spaces/{mine.id}", **{
        "title.ca": "Pressupostos", "slug": "pressupostos-2027"})
    assert changed.status_code == 303

    await log_in(client, "citizen@example.org")
    assert (await client.get(f"/admin/spaces/{mine.id}")).status_code == 403

    foreign = await other_organization(db)
    foreign_space = Space(organization_id=foreign.id, space_type="process", slug="secret", title={"ca": "Secret"})
    db.add(foreign_space)
    await db.commit()
    await log_in(client, "boss@example.org")
    assert (await client.get(f"/admin/spaces/{foreign_space.id}")).status_code == 404
    assert (await client.get(f"/admin/spaces/{mine.id}/phases/999999")).status_code == 404


async def test_space_pages_cost_the_same_whatever_their_size(client, people, db, demo, count_queries):
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))

    async def grow(n):
        for index in range(n):
            db.add(Phase(space_id=space.id, title={"ca": f"Fase {index}"}, weight=index))
            db.add(Component(space_id=space.id, component_type="pages", name={"ca": f"Pàgines {index}"},
                             published=True))
            db.add(Space(organization_id=demo.id, space_type="process", slug=f"proces-{index}-{n}",
                         title={"ca": f"Procés {index}"}, published=True))
        await db.commit()

    async def cost():
        counts = []
        for path in ("/processes/pressupostos-2027", "/processes", "/"):
            with count_queries() as counter:
                assert (await client.get(path)).status_code == 200
            counts.append(counter.count)
        return counts

    await grow(2)
    await client.get("/")  # the home page's figures are counted once, then kept a few minutes
    small = await cost()
    await grow(25)
    assert await cost() == small


async def test_an_assembly_shows_its_purpose_members_and_parent(client, people, db, demo):
    council = await db.scalar(select(Space).where(Space.slug == "consell-de-joves"))
    page = (await client.get("/assemblies/consell-de-joves")).text
    assert "Assessora l'Ajuntament" in page and "Marta Vidal" in page and "/profiles/laia" in page
    assert "El primer dimarts de cada mes" in page

    await log_in(client, "boss@example.org")
    bad = await submit(client, f"/admin/spaces/{council.id}", f"/admin/spaces/{council.id}/details", **{
        "details.assembly_type": "secret-society", "details.meets.ca": "x" * 301})
    assert bad.status_code == 400 and "x" * 301 in bad.text
    saved = await submit(client, f"/admin/spaces/{council.id}", f"/admin/spaces/{council.id}/details", **{
        "details.assembly_type": "commission", "details.purpose.ca": "<p>Vetllar pel <em>jovent</em></p>"})
    assert saved.status_code == 303

    commission = Space(organization_id=demo.id, space_type="assembly", slug="comissio-habitatge",
                       title={"ca": "Comissió d'habitatge"}, published=True)
    db.add(commission)
    await db.commit()
    cycle = await submit(client, f"/admin/spaces/{council.id}", f"/admin/spaces/{council.id}/parent",
                         parent_id=str(commission.id))
    assert cycle.status_code == 303
    loop = await submit(client, f"/admin/spaces/{commission.id}", f"/admin/spaces/{commission.id}/parent",
                        parent_id=str(council.id))
    assert loop.status_code == 400  # the council is already its child: no cycles
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    other_type = await submit(client, f"/admin/spaces/{council.id}", f"/admin/spaces/{council.id}/parent",
                              parent_id=str(process.id))
    assert other_type.status_code == 400

    client.cookies.clear()
    commission_page = (await client.get("/assemblies/comissio-habitatge")).text
    assert "/assemblies/consell-de-joves" in commission_page  # its part
    council_page = (await client.get("/assemblies/consell-de-joves")).text
    assert "/assemblies/comissio-habitatge" in council_page and "Vetllar pel <em>jovent</em>" in council_page


async def test_members_of_a_private_assembly_see_it_and_nobody_else(client, people, db, demo):
    council = await db.scalar(select(Space).where(Space.slug == "consell-de-joves"))
    council.private = True
    await db.commit()
    await log_in(client, "boss@example.org")
    unknown = await submit(client, f"/admin/spaces/{council.id}/members", nickname="nobody_here")
    assert unknown.status_code == 400 and "nobody_here" in unknown.text
    empty = await submit(client, f"/admin/spaces/{council.id}/members", position="other")
    assert empty.status_code == 400
    added = await submit(client, f"/admin/spaces/{council.id}/members", nickname="citizen", position="secretary")
    assert added.status_code == 303
    twice = await submit(client, f"/admin/spaces/{council.id}/members", nickname="citizen")
    assert twice.status_code == 400

    await log_in(client, "citizen@example.org")
    assert (await client.get("/assemblies/consell-de-joves")).status_code == 200
    await log_in(client, "space@example.org")
    assert (await client.get("/assemblies/consell-de-joves")).status_code == 404
    client.cookies.clear()
    assert (await client.get("/assemblies/consell-de-joves")).status_code == 404
    assert "consell-de-joves" not in (await client.get("/assemblies")).text


async def test_people_with_a_role_in_a_space_find_their_way_to_what_it_lets_them_do(client, people, db, demo):
    budget = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    mobility = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    moderator = people["citizen"]
    await grant_space_role(db, budget.id, moderator.id, "moderator")
    await grant_space_role(db, mobility.id, people["space_admin"].id, "admin")
    await db.commit()

    await log_in(client, "citizen@example.org")
    home = (await client.get("/")).text
    assert 'href="/admin/my-spaces"' in home and 'href="/admin"' not in home
    mine = (await client.get("/admin/my-spaces")).text
    assert f'href="/admin/spaces/{budget.id}/moderation"' in mine, mine.split("<main")[1]
    assert f'href="/admin/spaces/{budget.id}"' not in mine and str(mobility.id) + "/moderation" not in mine
    assert (await client.get(f"/admin/spaces/{budget.id}/moderation")).status_code == 200
    assert (await client.get(f"/admin/spaces/{budget.id}")).status_code == 403

    await log_in(client, "space@example.org")
    mine = (await client.get("/admin/my-spaces")).text
    assert f'href="/admin/spaces/{mobility.id}"' in mine and f'href="/admin/spaces/{mobility.id}/moderation"' in mine
    assert f"/admin/spaces/{budget.id}" not in mine

    await log_in(client, "boss@example.org")  # an organization admin without space roles
    client.cookies.set("participa_locale", "en", domain=DEMO_HOST)
    home = (await client.get("/")).text
    assert 'href="/admin/my-spaces"' not in home
    assert "You have no role in any space." in (await client.get("/admin/my-spaces")).text
    client.cookies.clear()
    assert (await client.get("/admin/my-spaces", follow_redirects=False)).status_code in (302, 303, 401)
