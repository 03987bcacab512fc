"""Evaluating and administering proposals: valuators and their private notes, the component's own answer
states, costs, answers from a CSV file, merging, splitting, importing, the Excel export, and who may do
each of these, in one organization only."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.events import Event
from core.models import Component, Space
from core.notifications.models import NotificationPreference
from core.roles import grant_organization_role, grant_space_role
from plugins.proposals import exports, services
from plugins.proposals.models import AnswerState, Link, Note, Proposal, Support, ValuatorAssignment
from tests.conftest import other_organization
from tests.mailbox import wait_for
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_admin import log_in

BASE = "/processes/pressupostos-2027/proposals"


async def component_of(db, slug: str = "pressupostos-2027") -> Component:
    return await db.scalar(
        select(Component).join(Space).options(selectinload(Component.space))
        .where(Space.slug == slug, Component.component_type == "proposals")
        .execution_options(populate_existing=True)
    )


async def set_rules(db, component: Component, **settings) -> None:
    await db.execute(update(Component).where(Component.id == component.id)
                     .values(settings={**component.settings, **settings}))
    await db.commit()


@pytest.fixture
async def people(demo, db):
    """A space admin, two valuators of the space, a valuator of another space, and a citizen."""
    component = await component_of(db)
    other_space = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    made = {}
    for name in ("admin", "valuator", "second", "outsider", "citizen"):
        made[name] = await make_user(db, demo, email=f"{name}@example.org", nickname=f"ev{name}", name=name.title())
    await grant_space_role(db, component.space_id, made["admin"].id, "admin")
    await grant_space_role(db, component.space_id, made["valuator"].id, "valuator")
    await grant_space_role(db, component.space_id, made["second"].id, "valuator")
    await grant_space_role(db, other_space.id, made["outsider"].id, "valuator")
    await db.commit()
    return made


async def proposals(db, component: Component, count: int, author=None, **fields) -> list[int]:
    ids = []
    for index in range(count):
        proposal = Proposal(component_id=component.id, title=fields.pop("title", None) or f"Proposta a avaluar {index}",
                            body="<p>Un text prou llarg</p>", language="ca", state="published", published_at=utcnow(),
                            words=f"proposta avaluar {index}", author_id=author.id if author else None, **fields)
        db.add(proposal)
        await db.flush()
        ids.append(proposal.id)
    await db.commit()
    return ids


async def post(client, page: str, action: str, data=None, files=None):
    """Open a page for its CSRF token, then post to ``action`` like a browser."""
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **(data or {})}, files=files,
                             follow_redirects=False)


async def test_an_admin_assigns_proposals_and_each_valuator_sees_only_theirs(client, demo, db, people):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    first, second, third = await proposals(db, component, 3)
    await log_in(client, "admin@example.org")
    page = await client.get(f"{url}/admin")
    assert page.status_code == 200 and "@evvaluator" in page.text and "@evsecond" in page.text
    assert "@evoutsider" not in page.text  # a valuator of another space is no choice here
    done = await post(client, f"{url}/admin", f"{url}/admin/assign", data={
        "proposal_ids": [str(first), str(second)], "valuator_id": str(people["valuator"].id), "action": "assign"})
    assert done.status_code == 303
    assigned = set((await db.scalars(select(ValuatorAssignment.proposal_id).where(
        ValuatorAssignment.user_id == people["valuator"].id))).all())
    assert assigned == {first, second}

    # Assigning to someone who is no valuator of the space is refused, and the selection is kept.
    refused = await post(client, f"{url}/admin", f"{url}/admin/assign", data={
        "proposal_ids": [str(third)], "valuator_id": str(people["outsider"].id), "action": "assign"})
    assert refused.status_code == 400 and "error-summary" in refused.text
    assert f'value="{third}" checked' in refused.text
    assert await db.scalar(select(func.count(ValuatorAssignment.id)).where(
        ValuatorAssignment.user_id == people["outsider"].id)) == 0

    await log_in(client, "valuator@example.org")
    mine = (await client.get(f"{url}/admin")).text
    assert f'{url}/{first}"' in mine and f'{url}/{second}"' in mine and f'{url}/{third}"' not in mine
    assert 'name="proposal_ids"' not in mine  # no bulk actions for valuators
    # Asking for everybody's changes nothing for a valuator.
    assert f'{url}/{third}"' not in (await client.get(f"{url}/admin", params={"valuator": ""})).text
    await log_in(client, "second@example.org")
    assert f'{url}/{first}"' not in (await client.get(f"{url}/admin")).text
    forbidden = await post(client, f"{url}/admin", f"{url}/admin/assign", data={
        "proposal_ids": [str(third)], "valuator_id": str(people["second"].id), "action": "assign"})
    assert forbidden.status_code == 403

    await log_in(client, "outsider@example.org")
    assert (await client.get(f"{url}/admin")).status_code == 403
    await log_in(client, "citizen@example.org")
    assert (await client.get(f"{url}/admin")).status_code == 403
    client.cookies.clear()
    assert (await client.get(f"{url}/admin", follow_redirects=False)).status_code in (302, 303)

    # Taking back.
    await log_in(client, "admin@example.org")
    back = await post(client, f"{url}/admin", f"{url}/admin/assign", data={
        "proposal_ids": [str(first)], "valuator_id": str(people["valuator"].id), "action": "unassign"})
    assert back.status_code == 303
    assert set((await db.scalars(select(ValuatorAssignment.proposal_id))).all()) == {second}


async def test_private_notes_are_seen_by_the_spaces_evaluators_only(client, demo, db, people, registry):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    [proposal_id] = await proposals(db, component, 1, author=people["citizen"])
    db.add(ValuatorAssignment(proposal_id=proposal_id, component_id=component.id, user_id=people["valuator"].id))
    await db.commit()
    secret = "Confidencialment xarxaxifrada pressupost"

    await log_in(client, "valuator@example.org")
    empty = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/notes", data={"body": "  "})
    assert empty.status_code == 400 and "field__error" in empty.text
    saved = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/notes", data={"body": secret})
    assert saved.status_code == 303
    assert secret in (await client.get(f"{url}/{proposal_id}")).text

    for email in ("admin@example.org", "second@example.org"):  # the other valuator of the space reads it too
        await log_in(client, email)
        assert secret in (await client.get(f"{url}/{proposal_id}")).text
    # ...but writes none on a proposal not assigned to them.
    assert 'action="' + f'{url}/{proposal_id}/notes"' not in (await client.get(f"{url}/{proposal_id}")).text
    refused = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/notes", data={"body": "Una altra"})
    assert refused.status_code == 403
    await log_in(client, "outsider@example.org")  # a valuator of another space
    assert secret not in (await client.get(f"{url}/{proposal_id}")).text
    assert (await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/notes",
                       data={"body": "Intrús"})).status_code == 403
    for email in ("citizen@example.org", None):  # its author, and anybody
        if email:
            await log_in(client, email)
        else:
            client.cookies.clear()
        page = (await client.get(f"{url}/{proposal_id}")).text
        assert secret not in page and "Private notes" not in page
        assert secret not in (await client.get("/search", params={"q": "xarxaxifrada"})).text
    rows = [row async for row in services.export_rows(db, component)]
    assert secret not in json.dumps(rows, ensure_ascii=False, default=str)
    book = await exports.workbook(db, component, ["ca", "es", "en"], "Propostes")
    assert "xarxaxifrada" not in str([cell.value for row in load_workbook(io.BytesIO(book)).active.iter_rows()
                                      for cell in row])
    assert await db.scalar(select(func.count(Note.id))) == 1
    events = (await db.execute(select(Event.message, Event.data, Event.resource_title))).all()
    assert secret not in json.dumps([list(row) for row in events], ensure_ascii=False, default=str)


async def test_a_components_own_answer_states_answer_filter_and_show(client, demo, db, people):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    partial, rejected, other = await proposals(db, component, 3)
    await log_in(client, "admin@example.org")
    reserved = await post(client, f"{url}/admin/states", f"{url}/admin/states", data={
        "name.ca": "Acceptada", "token": "accepted", "kind": "accepted"})
    assert reserved.status_code == 400 and 'value="accepted"' in reserved.text
    made = await post(client, f"{url}/admin/states", f"{url}/admin/states", data={
        "name.ca": "Acceptada en part", "name.en": "Partly accepted", "token": "partly", "kind": "accepted"})
    assert made.status_code == 303
    twice = await post(client, f"{url}/admin/states", f"{url}/admin/states", data={
        "name.ca": "Una altra", "token": "partly", "kind": "neutral"})
    assert twice.status_code == 400
    await post(client, f"{url}/admin/states", f"{url}/admin/states", data={
        "name.ca": "Descartada per duplicada", "token": "duplicate", "kind": "rejected"})

    page = await client.get(f"{url}/{partial}")
    assert '<option value="partly">Acceptada en part</option>' in page.text  # offered by the answer form
    assert (await post(client, f"{url}/{partial}", f"{url}/{partial}/answer", data={
        "state": "partly", "answer.ca": "<p>Una part sí</p>"})).status_code == 303
    assert (await post(client, f"{url}/{rejected}", f"{url}/{rejected}/answer", data={
        "state": "duplicate", "answer.ca": "<p>Ja hi és</p>"})).status_code == 303
    unknown = await post(client, f"{url}/{other}", f"{url}/{other}/answer", data={"state": "nope"})
    assert unknown.status_code == 400

    client.cookies.clear()
    public = (await client.get(f"{url}/{partial}")).text
    assert 'class="badge badge--accepted">Acceptada en part<' in public
    listing = await client.get(f"{url}/", params={"state": "accepted", "order": "recent"})
    assert f'{url}/{partial}"' in listing.text and f'{url}/{rejected}"' not in listing.text
    assert '<option value="partly">Acceptada en part</option>' in listing.text  # the filter offers it
    only = (await client.get(f"{url}/", params={"state": "partly", "order": "recent"})).text
    assert f'{url}/{partial}"' in only and f'{url}/{other}"' not in only
    refused = (await client.get(f"{url}/", params={"state": "rejected", "order": "recent"})).text
    assert f'{url}/{rejected}"' in refused and f'{url}/{partial}"' not in refused
    assert f'{url}/{partial}"' not in (await client.get(f"{url}/", params={"state": "not_answered"})).text

    # A state in use cannot be deleted; one renamed keeps its token.
    await log_in(client, "admin@example.org")
    state = await db.scalar(select(AnswerState).where(AnswerState.token == "partly"))
    kept = await post(client, f"{url}/admin/states", f"{url}/admin/states/{state.id}/delete")
    assert kept.status_code == 400 and await db.scalar(select(func.count(AnswerState.id)).where(
        AnswerState.component_id == component.id, AnswerState.token == "partly")) == 1
    renamed = await post(client, f"{url}/admin/states/{state.id}", f"{url}/admin/states/{state.id}",
                         data={"name.ca": "Acceptada parcialment", "kind": "accepted"})
    assert renamed.status_code == 303
    client.cookies.clear()
    assert "Acceptada parcialment" in (await client.get(f"{url}/{partial}")).text


async def test_accepted_answers_carry_their_cost_report_and_period_when_the_component_asks(client, demo, db,
                                                                                           people):
    component = await component_of(db)
    await set_rules(db, component, answers_with_costs=True)
    url = f"{BASE}/{component.id}"
    [proposal_id] = await proposals(db, component, 1)
    await log_in(client, "admin@example.org")
    missing = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/answer", data={
        "state": "accepted", "answer.ca": "<p>Sí</p>"})
    assert missing.status_code == 400
    assert missing.text.count("field__error") == 3  # cost, cost report and execution period, all at once
    assert "&lt;p&gt;Sí&lt;/p&gt;" in missing.text  # what was typed is kept
    no_reason = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/answer", data={"state": "rejected"})
    assert no_reason.status_code == 400
    done = await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/answer", data={
        "state": "accepted", "answer.ca": "<p>Ho farem</p>", "cost": "45000",
        "cost_report.ca": "<p>Obra civil i <strong>mobiliari</strong></p>", "execution_period.ca": "Tardor de 2027"})
    assert done.status_code == 303
    client.cookies.clear()
    page = (await client.get(f"{url}/{proposal_id}")).text
    assert "45000" in page and "<strong>mobiliari</strong>" in page and "Tardor de 2027" in page
    [row] = [row async for row in services.export_rows(db, component) if row["id"] == proposal_id]
    assert row["cost"] == 45000


async def test_valuators_answer_what_they_are_given_if_the_component_lets_them(client, demo, db, people):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    mine, theirs = await proposals(db, component, 2)
    db.add(ValuatorAssignment(proposal_id=mine, component_id=component.id, user_id=people["valuator"].id))
    await db.commit()
    await log_in(client, "valuator@example.org")
    assert 'action="' + f"{url}/{mine}/answer" not in (await client.get(f"{url}/{mine}")).text
    assert (await post(client, f"{url}/{mine}", f"{url}/{mine}/answer",
                       data={"state": "evaluating"})).status_code == 403  # the component does not let them

    await set_rules(db, component, valuators_may_answer=True)
    assert (await post(client, f"{url}/{theirs}", f"{url}/{theirs}/answer",
                       data={"state": "evaluating"})).status_code == 403  # not assigned to them
    assert (await post(client, f"{url}/{mine}", f"{url}/{mine}/answer",
                       data={"state": "evaluating"})).status_code == 303
    proposal = await db.scalar(select(Proposal).where(Proposal.id == mine).execution_options(populate_existing=True))
    assert proposal.answer_state == "evaluating" and proposal.answer_published_at is not None
    assert (await post(client, f"{url}/{mine}", f"{url}/{mine}/answer", data={
        "state": "accepted", "answer.ca": "<p>Proposem acceptar-la</p>"})).status_code == 303
    proposal = await db.scalar(select(Proposal).where(Proposal.id == mine).execution_options(populate_existing=True))
    assert proposal.answer_state == "accepted" and proposal.answer_published_at is None  # a draft for an admin
    client.cookies.clear()
    assert "Proposem acceptar-la" not in (await client.get(f"{url}/{mine}")).text
    await log_in(client, "admin@example.org")
    assert (await post(client, f"{url}/{mine}", f"{url}/publish-answers", data={})).status_code == 303
    client.cookies.clear()
    assert "Proposem acceptar-la" in (await client.get(f"{url}/{mine}")).text


def answers_csv(*lines: str) -> dict:
    return {"file": ("respostes.csv", ("\ufeff" + "\n".join(lines) + "\n").encode(), "text/csv")}


@pytest.mark.mail  # the answers' notifications go to a real SMTP server (the inbox fixture)
async def test_answers_from_a_csv_file_are_all_applied_or_none(client, demo, db, people, inbox):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    author = people["citizen"]
    db.add(NotificationPreference(user_id=author.id, delivery="immediate"))
    first, second = await proposals(db, component, 2, author=author)
    other_component = await component_of(db, "pla-de-mobilitat")
    [elsewhere] = await proposals(db, other_component, 1)
    elsewhere_org = await other_organization(db)
    space = Space(organization_id=elsewhere_org.id, space_type="process", slug="altre", title={"ca": "Altre"},
                  published=True)
    db.add(space)
    await db.flush()
    foreign_component = Component(space_id=space.id, component_type="proposals", name={"ca": "P"}, published=True,
                                  settings={}, phase_settings={})
    db.add(foreign_component)
    await db.commit()
    [foreign] = await proposals(db, foreign_component, 1)
    db.add(AnswerState(component_id=component.id, token="study", name={"ca": "En estudi"}, kind="neutral"))
    await db.commit()

    await log_in(client, "admin@example.org")
    form_page = await client.get(f"{url}/admin/answers")
    assert form_page.status_code == 200 and 'enctype="multipart/form-data"' in form_page.text
    wrong = await post(client, f"{url}/admin/answers", f"{url}/admin/answers", files=answers_csv(
        "id;state;answer/ca;cost",
        f"{first};accepted;<p>Sí</p>;1200",
        f"{second};maybe;<p>Potser</p>;",
        f"{elsewhere};rejected;<p>No</p>;",
        f"{foreign};rejected;<p>No</p>;",
        f"{first};rejected;<p>No</p>;",
        f"{second};rejected;;mil",
        "x;accepted;;",
    ))
    assert wrong.status_code == 400
    text = wrong.text
    for line, words in ((3, "maybe"), (4, str(elsewhere)), (5, str(foreign)), (6, str(first)), (7, "mil"), (8, "x")):
        assert f"Line {line}:" in text or f"Línia {line}:" in text, (line, text)
        assert words in text
    assert "Line 2:" not in text and "Línia 2:" not in text
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.answer_state.is_not(None),
                                                                 Proposal.id.in_([first, second]))) == 0
    assert inbox.messages() == []

    done = await post(client, f"{url}/admin/answers", f"{url}/admin/answers", files=answers_csv(
        "id,state,answer_ca,answer_es,cost",
        f'{first},accepted,"<p>Sí, la farem</p>",<p>Sí</p>,"1.200"',
        f"{second},study,<p>La mirem</p>,,",
    ))
    assert done.status_code == 303
    answered = dict((await db.execute(select(Proposal.id, Proposal.answer_state).where(
        Proposal.id.in_([first, second])))).all())
    assert answered == {first: "accepted", second: "study"}
    assert await db.scalar(select(Proposal.answer_cost).where(Proposal.id == first)) == 1200
    assert await db.scalar(select(func.count(Event.id)).where(
        Event.event_type == "proposals.proposal_answered", Event.resource_id.in_([first, second]))) == 2
    messages = wait_for(lambda: inbox.messages() if len(inbox.messages()) == 2 else None, what="two mails")
    assert {message["To"] for message in messages} == {"citizen@example.org"}
    assert await db.scalar(select(Proposal.answer_state).where(Proposal.id == foreign)) is None


async def test_merging_and_splitting_make_official_proposals_linked_both_ways(client, demo, db, people):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    first, second, third = await proposals(db, component, 3, author=people["citizen"])
    db.add(Support(proposal_id=first, user_id=people["second"].id, component_id=component.id))
    await db.execute(update(Proposal).where(Proposal.id == first).values(supports_count=1, supports_total=1))
    await db.commit()
    await log_in(client, "admin@example.org")
    alone = await post(client, f"{url}/admin", f"{url}/admin/merge", data={"proposal_ids": [str(first)]})
    assert alone.status_code == 400
    form = await post(client, f"{url}/admin", f"{url}/admin/merge", data={"proposal_ids": [str(first), str(second)]})
    assert form.status_code == 200 and "Proposta a avaluar 0" in form.text
    short = await post(client, f"{url}/admin", f"{url}/admin/merge", data={
        "proposal_ids": [str(first), str(second)], "title": "Curt", "body": "Un text prou llarg per a la fusió"})
    assert short.status_code == 400 and "Un text prou llarg per a la fusió" in short.text
    merged = await post(client, f"{url}/admin", f"{url}/admin/merge", data={
        "proposal_ids": [str(first), str(second)], "title": "Les dues propostes en una de sola",
        "body": "Un text prou llarg per a la fusió"})
    assert merged.status_code == 303
    merged_id = int(merged.headers["location"].rsplit("/", 1)[1])
    new = await db.scalar(select(Proposal).where(Proposal.id == merged_id).execution_options(populate_existing=True))
    assert new.official and new.state == "published" and new.supports_count == 0  # supports are not summed
    originals = (await db.scalars(select(Proposal).where(Proposal.id.in_([first, second]))
                               .execution_options(populate_existing=True))).all()
    assert {proposal.state for proposal in originals} == {"withdrawn"}
    assert {proposal.id: proposal.supports_count for proposal in originals} == {first: 1, second: 0}
    client.cookies.clear()
    assert f'{url}/{first}"' in (await client.get(f"{url}/{merged_id}")).text  # "Merged from"
    original_page = (await client.get(f"{url}/{first}")).text
    assert f'{url}/{merged_id}"' in original_page  # "Merged into"

    await log_in(client, "admin@example.org")
    withdrawn = await post(client, f"{url}/admin", f"{url}/admin/merge", data={
        "proposal_ids": [str(first), str(third)], "title": "Una fusió que no pot ser", "body": "Un text prou llarg"})
    assert withdrawn.status_code == 400
    incomplete = await post(client, f"{url}/admin/split/{third}", f"{url}/admin/split/{third}", data={
        "title_1": "La primera part de la proposta", "body_1": "El text de la primera part",
        "title_2": "La segona part de la proposta", "body_2": "El text de la segona part",
        "title_3": "Una tercera part sense text"})
    assert incomplete.status_code == 400 and "Una tercera part sense text" in incomplete.text
    split = await post(client, f"{url}/admin/split/{third}", f"{url}/admin/split/{third}", data={
        "title_1": "La primera part de la proposta", "body_1": "El text de la primera part",
        "title_2": "La segona part de la proposta", "body_2": "El text de la segona part"})
    assert split.status_code == 303
    parts = (await db.scalars(select(Link.from_id).where(Link.to_id == third, Link.name == "split_from"))).all()
    assert len(parts) == 2
    page = (await client.get(f"{url}/{third}")).text
    assert all(f'{url}/{part}"' in page for part in parts)
    assert (await client.get(f"{url}/admin/split/{third}")).status_code == 200
    assert (await post(client, f"{url}/admin/split/{third}", f"{url}/admin/split/{third}", data={
        "title_1": "La primera part de la proposta", "body_1": "El text de la primera part",
        "title_2": "La segona part de la proposta", "body_2": "El text de la segona part"})).status_code == 400


async def test_accepted_proposals_are_imported_once_with_a_link_to_their_original(client, demo, db, people):
    component = await component_of(db)
    source = await component_of(db, "pla-de-mobilitat")
    url = f"{BASE}/{component.id}"
    accepted, rejected = await proposals(db, source, 2, author=people["citizen"])
    [pending] = await proposals(db, source, 1, answer_state="accepted", answered_at=utcnow())  # not published
    db.add(AnswerState(component_id=source.id, token="partly", name={"ca": "En part"}, kind="accepted"))
    [partly] = await proposals(db, source, 1, answer_state="partly", answered_at=utcnow(),
                               answer_published_at=utcnow())
    await db.execute(update(Proposal).where(Proposal.id == accepted).values(
        answer_state="accepted", answered_at=utcnow(), answer_published_at=utcnow()))
    await db.execute(update(Proposal).where(Proposal.id == rejected).values(
        answer_state="rejected", answered_at=utcnow(), answer_published_at=utcnow()))
    await db.commit()
    elsewhere = await other_organization(db)
    space = Space(organization_id=elsewhere.id, space_type="process", slug="altre", title={"ca": "Altre"},
                  published=True)
    db.add(space)
    await db.flush()
    foreign = Component(space_id=space.id, component_type="proposals", name={"ca": "P"}, published=True,
                        settings={}, phase_settings={})
    db.add(foreign)
    await db.commit()
    await proposals(db, foreign, 1, answer_state="accepted", answer_published_at=utcnow())

    await log_in(client, "admin@example.org")
    page = await client.get(f"{url}/admin/import")
    assert f'<option value="{source.id}"' in page.text and f'value="{foreign.id}"' not in page.text
    forged = await post(client, f"{url}/admin/import", f"{url}/admin/import",
                        data={"source_id": str(foreign.id), "only_accepted": "on"})
    assert forged.status_code == 400
    done = await post(client, f"{url}/admin/import", f"{url}/admin/import",
                      data={"source_id": str(source.id), "only_accepted": "on"})
    assert done.status_code == 303
    demo_accepted = set((await db.scalars(select(Proposal.id).where(
        Proposal.component_id == source.id, Proposal.answer_state == "accepted",
        Proposal.answer_published_at.is_not(None), Proposal.id != accepted))).all())
    links = dict((await db.execute(select(Link.to_id, Link.from_id).where(Link.name == "imported_from"))).all())
    assert set(links) == {accepted, partly} | demo_accepted
    copy = await db.scalar(select(Proposal).where(Proposal.id == links[accepted]))
    assert copy.component_id == component.id and copy.author_id == people["citizen"].id and copy.supports_count == 0
    assert copy.answer_state is None
    again = await post(client, f"{url}/admin/import", f"{url}/admin/import",
                       data={"source_id": str(source.id), "only_accepted": "on"})
    assert again.status_code == 303
    assert await db.scalar(select(func.count(Link.id)).where(Link.name == "imported_from")) == len(links)
    everything = await post(client, f"{url}/admin/import", f"{url}/admin/import", data={"source_id": str(source.id)})
    assert everything.status_code == 303
    imported = set((await db.scalars(select(Link.to_id).where(Link.name == "imported_from"))).all())
    assert rejected in imported and pending in imported
    client.cookies.clear()
    source_url = f"/processes/pla-de-mobilitat/proposals/{source.id}/{accepted}"
    assert source_url in (await client.get(f"{url}/{links[accepted]}")).text  # "Imported from"
    assert f"{url}/{links[accepted]}" in (await client.get(source_url)).text  # "Imported into"


async def test_the_excel_export_holds_the_public_rows_and_runs_no_formula(client, demo, db, people):
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    await proposals(db, component, 1, title='=HYPERLINK("http://evil.example","Clica")')
    await log_in(client, "citizen@example.org")
    assert (await client.get(f"{url}/admin/export.xlsx")).status_code == 403
    await log_in(client, "valuator@example.org")
    assert (await client.get(f"{url}/admin/export.xlsx")).status_code == 403
    await log_in(client, "admin@example.org")
    response = await client.get(f"{url}/admin/export.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith(exports.CONTENT_TYPE)
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert {"id", "title", "answer_ca", "answer_es", "answer_en"} <= set(header)
    titles = [row[header.index("title")] for row in sheet.iter_rows(min_row=2)]
    [dangerous] = [cell for cell in titles if "HYPERLINK" in str(cell.value)]
    assert dangerous.value.startswith("'=") and dangerous.data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "Més arbres i ombra a la plaça Major" in [cell.value for cell in titles]


@pytest.mark.parametrize("persona, expected", [
    (None, {"GET": (302, 303), "POST": (401, 303)}),
    ("citizen", {"GET": (403,), "POST": (403,)}),
    ("outsider", {"GET": (403,), "POST": (403,)}),
    ("valuator", {"GET": (403,), "POST": (403,)}),
    ("admin", {"GET": (200,), "POST": (400, 303, 200)}),
])
async def test_who_may_use_the_administration_of_proposals(client, demo, db, people, persona, expected):
    """Every management route: admins of the space only (valuators only evaluate, tested above)."""
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    [proposal_id] = await proposals(db, component, 1)
    state = AnswerState(component_id=component.id, token="study", name={"ca": "En estudi"}, kind="neutral")
    db.add(state)
    await db.commit()
    if persona:
        await log_in(client, f"{persona}@example.org")
    token_page = (await client.get("/account/login" if persona is None else f"{url}/")).text
    token = csrf(token_page)
    for method, path in [("GET", "/admin/states"), ("GET", f"/admin/states/{state.id}"), ("GET", "/admin/answers"),
                         ("GET", "/admin/import"), ("GET", f"/admin/split/{proposal_id}"),
                         ("GET", "/admin/export.xlsx"), ("POST", "/admin/assign"), ("POST", "/admin/merge"),
                         ("POST", "/admin/states"), ("POST", f"/admin/states/{state.id}"),
                         ("POST", "/admin/import"), ("POST", f"/admin/split/{proposal_id}"),
                         ("POST", "/admin/answers")]:
        if method == "GET":
            response = await client.get(url + path, follow_redirects=False)
        else:
            response = await client.post(url + path, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code in expected[method], (persona, method, path, response.status_code)


async def test_nothing_crosses_components_or_organizations(client, demo, db, people):
    component = await component_of(db)
    other = await component_of(db, "pla-de-mobilitat")
    url = f"{BASE}/{component.id}"
    [foreign_id] = await proposals(db, other, 1)
    elsewhere = await other_organization(db)
    await db.commit()
    await log_in(client, "admin@example.org")
    # Another component's proposal is no proposal here: nothing is assigned, noted or split.
    refused = await post(client, f"{url}/admin", f"{url}/admin/assign", data={
        "proposal_ids": [str(foreign_id)], "valuator_id": str(people["valuator"].id), "action": "assign"})
    assert refused.status_code == 400
    assert await db.scalar(select(func.count(ValuatorAssignment.id))) == 0
    assert (await client.get(f"{url}/admin/split/{foreign_id}")).status_code == 404
    assert (await post(client, f"{url}/admin", f"{url}/{foreign_id}/notes", data={"body": "x"})).status_code == 404
    # Another organization's host knows nothing of this space, and its admin nothing of ours.
    assert (await client.get(f"http://altra.test{url}/admin")).status_code == 404
    foreign_admin = await make_user(db, elsewhere, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, elsewhere.id, foreign_admin.id, "admin")
    await db.commit()
    client.cookies.clear()
    page = await client.get("http://altra.test/account/login")
    logged = await client.post("http://altra.test/account/login", data={
        "_csrf_token": csrf(page.text), "email": "boss@altra.test", "password": PASSWORD}, follow_redirects=False)
    assert logged.status_code == 303
    assert (await client.get(f"http://altra.test{url}/admin")).status_code == 404
    session = client.cookies.get("session", domain="altra.test")
    response = await client.get(f"{url}/admin", headers={"cookie": f"session={session}"}, follow_redirects=False)
    assert response.status_code in (302, 303)  # nobody here: the session belongs to the other organization


async def test_the_admin_list_costs_the_same_whatever_the_number_of_proposals(client, demo, db, people,
                                                                             count_queries):
    component = await component_of(db)
    url = f"{BASE}/{component.id}/admin"

    async def arrange(count: int) -> None:
        for proposal_id in await proposals(db, component, count, author=people["citizen"]):
            db.add(ValuatorAssignment(proposal_id=proposal_id, component_id=component.id,
                                      user_id=people["valuator"].id))
            db.add(Note(proposal_id=proposal_id, component_id=component.id, author_id=people["admin"].id, body="n"))
        await db.commit()

    async def cost(email: str) -> int:
        await log_in(client, email)
        await client.get(url)  # the login's flash message
        with count_queries() as counter:
            assert (await client.get(url)).status_code == 200
        return counter.count

    await arrange(3)
    few = await cost("admin@example.org"), await cost("valuator@example.org")
    await arrange(40)
    many = await cost("admin@example.org"), await cost("valuator@example.org")
    assert many == few
    assert max(many) <= 14, many
