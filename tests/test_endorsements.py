"""Endorsements of proposals: people (or their groups) stand behind a proposal once, can take it back, the
proposal's stored count follows in the same transaction, the list orders by it, and only the active phase
opens it; on SQLite and PostgreSQL, double clicks included."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import make_sessionmaker, utcnow
from core.endorsements.models import Endorsement
from core.events import event_sessionmaker
from core.groups.models import GroupMembership, UserGroup
from core.moderation.models import Moderation
from core.ratelimit import DatabaseCounters, RateLimit
from plugins.proposals import endorsements, services
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.plugins.proposals.test_proposals import BASE, demo_component, published_proposals, set_phase
from tests.test_accounts import csrf, make_user
from tests.test_admin import log_in
from tests.test_notifications import log_in as log_in_at
from tests.test_notifications import translated_in

RESOURCE = "proposals.proposal"


@pytest.fixture
async def component(demo, db):
    component = await demo_component(db)
    await set_phase(db, component, endorsements_enabled=True)
    return await demo_component(db)


@pytest.fixture
async def citizens(demo, db):
    return [await make_user(db, demo, email=f"vei{index}@example.org", nickname=f"vei{index}", name=f"Veí {index}",
                            locale="en") for index in range(3)]


async def press(client, page: str, action: str, **fields):
    """Open the page, then press a button of it: post with its CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


async def count_of(db, proposal_id: int) -> tuple[int, int]:
    """(the stored count, the rows), read fresh."""
    stored = await db.scalar(select(Proposal.endorsements_count).where(Proposal.id == proposal_id)
                             .execution_options(populate_existing=True))
    rows = await db.scalar(select(func.count(Endorsement.id)).where(
        Endorsement.resource_type == RESOURCE, Endorsement.resource_id == proposal_id))
    return stored, rows


async def group_of(db, organization, nickname: str, *people) -> UserGroup:
    group = UserGroup(organization_id=organization.id, name=f"Associació {nickname}", nickname=nickname)
    db.add(group)
    await db.flush()
    db.add_all(GroupMembership(user_group_id=group.id, user_id=person.id, role="member", joined_at=utcnow())
               for person in people)
    await db.commit()
    return group


async def test_a_citizen_endorses_once_and_withdraws(app, client, demo, db, citizens, component):
    [proposal_id] = await published_proposals(db, component, 1)
    page = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei0@example.org")
    before = await client.get(page)
    assert f'action="{page}/endorse"' in before.text

    endorsed = await press(client, page, f"{page}/endorse", next=page)
    assert endorsed.status_code == 303 and endorsed.headers["location"] == page
    assert await count_of(db, proposal_id) == (1, 1)
    after = await client.get(page)
    assert translated_in(app, "en", "Your endorsement is counted.") in after.text
    assert f'action="{page}/unendorse"' in after.text
    assert 'href="/profiles/vei0">Veí 0</a>' in after.text  # the list of endorsers

    twice = await press(client, page, f"{page}/endorse")
    assert twice.status_code == 303 and await count_of(db, proposal_id) == (1, 1)
    assert translated_in(app, "en", "This proposal is already endorsed by you.") in (await client.get(page)).text

    withdrawn = await press(client, page, f"{page}/unendorse")
    assert withdrawn.status_code == 303 and await count_of(db, proposal_id) == (0, 0)
    again = await press(client, page, f"{page}/unendorse")
    assert again.status_code == 303 and await count_of(db, proposal_id) == (0, 0)
    assert translated_in(app, "en", "There is no endorsement to withdraw.") in (await client.get(page)).text


async def test_the_database_refuses_a_second_endorsement_by_the_same_endorser(demo, db, citizens, component):
    [proposal_id] = await published_proposals(db, component, 1)
    first, second = citizens[0].id, citizens[1].id
    row = {"resource_type": RESOURCE, "resource_id": proposal_id, "endorser_type": "user",
           "endorser_id": first, "user_id": first}
    db.add(Endorsement(**row))
    await db.commit()
    db.add(Endorsement(**row))
    with pytest.raises(IntegrityError):
        await db.commit()
    await db.rollback()
    # The same person may still endorse on behalf of a group, and someone else for themselves.
    group = UserGroup(organization_id=demo.id, name="Associació veïnal", nickname="veins")
    db.add(group)
    await db.flush()
    db.add(Endorsement(**{**row, "endorser_type": "group", "endorser_id": group.id, "user_group_id": group.id}))
    db.add(Endorsement(**{**row, "endorser_id": second, "user_id": second}))
    await db.commit()
    assert (await count_of(db, proposal_id))[1] == 3


async def test_members_endorse_on_behalf_of_their_group_once(app, client, demo, db, citizens, component):
    [proposal_id] = await published_proposals(db, component, 1)
    group = await group_of(db, demo, "veinsdelbarri", citizens[0], citizens[1])
    page = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei0@example.org")
    assert f'name="user_group_id" value="{group.id}"' in (await client.get(page)).text
    assert (await press(client, page, f"{page}/endorse", user_group_id=str(group.id))).status_code == 303
    assert await count_of(db, proposal_id) == (1, 1)
    shown = await client.get(page)
    assert f'href="/groups/{group.nickname}">{group.name}</a>' in shown.text

    # Another member sees it done, and may take it back; their own endorsement is another one.
    client.cookies.clear()
    await log_in(client, "vei1@example.org")
    await press(client, page, f"{page}/endorse", user_group_id=str(group.id))
    assert await count_of(db, proposal_id) == (1, 1)
    await press(client, page, f"{page}/endorse")
    assert await count_of(db, proposal_id) == (2, 2)
    await press(client, page, f"{page}/unendorse", user_group_id=str(group.id))
    assert await count_of(db, proposal_id) == (1, 1)

    # Someone outside the group cannot endorse for it, whatever they send.
    client.cookies.clear()
    await log_in(client, "vei2@example.org")
    forged = await press(client, page, f"{page}/endorse", user_group_id=str(group.id))
    assert forged.status_code == 303 and await count_of(db, proposal_id) == (1, 1)
    assert translated_in(app, "en", "You can only endorse on behalf of a group you belong to.") \
        in (await client.get(page)).text
    await press(client, page, f"{page}/endorse", user_group_id="not-a-number")
    assert await count_of(db, proposal_id) == (1, 1)


async def test_the_list_orders_by_the_most_endorsed(client, demo, db, citizens, component, registry):
    ids = await published_proposals(db, component, 3)
    async with event_sessionmaker(db.bind, registry, None)() as session:
        for person in citizens:
            await endorsements.endorse(session, registry, component, ids[1], person)
        await endorsements.endorse(session, registry, component, ids[2], citizens[0])
    listing = await client.get(f"{BASE}/{component.id}/?order=most_endorsed")
    assert 'value="most_endorsed" selected' in listing.text
    positions = [listing.text.index(f'href="{BASE}/{component.id}/{proposal_id}"') for proposal_id in ids]
    assert positions[1] < positions[2] < positions[0]
    assert [(await count_of(db, proposal_id))[0] for proposal_id in ids] == [0, 3, 1]


async def test_the_phase_decides_whether_endorsing_is_open(app, client, demo, db, citizens):
    component = await demo_component(db)
    await set_phase(db, component, supports_enabled=True)  # endorsements closed
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    page = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei0@example.org")
    closed = await client.get(page)
    assert f"{page}/endorse" not in closed.text
    assert 'value="most_endorsed"' not in (await client.get(f"{BASE}/{component.id}/")).text
    refused = await press(client, page, f"{page}/endorse")
    assert refused.status_code == 303 and await count_of(db, proposal_id) == (0, 0)
    assert translated_in(app, "en", "Endorsements are closed in this phase.") in (await client.get(page)).text

    await set_phase(db, component, endorsements_enabled=True)
    await press(client, page, f"{page}/endorse")
    assert await count_of(db, proposal_id) == (1, 1)
    # Closing the phase again keeps the endorsements, shown, but nobody adds or takes one back.
    await set_phase(db, await demo_component(db), endorsements_enabled=False)
    frozen = await client.get(page)
    assert 'href="/profiles/vei0"' in frozen.text and f"{page}/unendorse" not in frozen.text
    await press(client, page, f"{page}/unendorse")
    assert await count_of(db, proposal_id) == (1, 1)


async def test_who_may_endorse_what(app, client, demo, db, citizens, component):
    published, withdrawn_id = await published_proposals(db, component, 2)
    await db.execute(update(Proposal).where(Proposal.id == withdrawn_id).values(state="withdrawn"))
    draft = Proposal(component_id=component.id, author_id=citizens[1].id, title="Un esborrany que ningú veu",
                     body="<p>x</p>", language="ca", state="draft")
    hidden = Proposal(component_id=component.id, title="Una proposta amagada", body="<p>x</p>", language="ca",
                      state="published", published_at=utcnow())
    db.add_all([draft, hidden])
    await db.flush()
    db.add(Moderation(organization_id=demo.id, space_id=component.space_id, component_id=component.id,
                      resource_type=RESOURCE, resource_id=hidden.id, report_count=3, hidden_at=utcnow()))
    await db.commit()
    page = f"{BASE}/{component.id}/{published}"

    # Nobody: a link to log in instead of the button, and 401 for a post.
    html = (await client.get(page)).text
    assert f"{page}/endorse" not in html and "/account/login?next=" in html
    token = csrf((await client.get("/account/login")).text)
    anonymous = await client.post(f"{page}/endorse", data={"_csrf_token": token}, follow_redirects=False)
    assert anonymous.status_code == 401 and await count_of(db, published) == (0, 0)
    without_token = await client.post(f"{page}/endorse", follow_redirects=False)
    assert without_token.status_code == 403

    await log_in(client, "vei0@example.org")
    for refused_id, status in ((withdrawn_id, 303), (draft.id, 404), (hidden.id, 404), (999_999, 404)):
        response = await press(client, page, f"{BASE}/{component.id}/{refused_id}/endorse")
        assert response.status_code == status, refused_id
        assert await count_of(db, refused_id) == ((0, 0) if refused_id != 999_999 else (None, 0))
    assert (await press(client, page, f"{page}/endorse")).status_code == 303
    assert await count_of(db, published) == (1, 1)


async def test_another_organization_cannot_reach_these_endorsements(client, demo, db, citizens, component):
    [proposal_id] = await published_proposals(db, component, 1)
    other = await other_organization(db)
    stranger = await make_user(db, other, email="foraster@example.org", nickname="foraster")
    await db.commit()
    # Their session is for their own host; here they are nobody.
    await log_in_at(client, stranger, host=f"http://{OTHER_HOST}")
    page = f"{BASE}/{component.id}/{proposal_id}"
    token = csrf((await client.get("/account/login")).text)
    response = await client.post(f"{page}/endorse", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401
    # The demo's proposal at the other organization's address does not exist.
    there = await client.get(f"http://{OTHER_HOST}{page}")
    assert there.status_code == 404
    assert await count_of(db, proposal_id) == (0, 0)
    # A group of another organization is no group of this person's either.
    foreign_group = await group_of(db, other, "forans", stranger)
    await log_in(client, "vei0@example.org")
    await press(client, page, f"{page}/endorse", user_group_id=str(foreign_group.id))
    assert await count_of(db, proposal_id) == (0, 0)


async def test_endorsements_are_rate_limited_like_supports(app, client, demo, db, engine, citizens, component):
    [proposal_id] = await published_proposals(db, component, 1)
    # The same counters as the app's (the database's), through the test's own connections.
    limit = RateLimit(DatabaseCounters(make_sessionmaker(engine)), "proposals-endorse", limit=60, window=60)
    for _ in range(60):
        await limit.hit(str(citizens[0].id))
    await log_in(client, "vei0@example.org")
    page = f"{BASE}/{component.id}/{proposal_id}"
    await press(client, page, f"{page}/endorse")
    assert await count_of(db, proposal_id) == (0, 0)
    assert translated_in(app, "en", "Too many attempts; wait a moment and try again") in (await client.get(page)).text


async def test_double_clicks_and_crowds_count_each_endorser_once(engine, registry, demo, db, citizens, component):
    ids = await published_proposals(db, component, 2)
    crowd = citizens + [await make_user(db, demo, email=f"crowd{index}@example.org", nickname=f"crowd{index}")
                        for index in range(5)]
    sessionmaker = event_sessionmaker(engine, registry, None)

    async def click(person, proposal_id, add=True):
        async with sessionmaker() as session:
            try:
                action = endorsements.endorse if add else endorsements.withdraw
                await action(session, registry, component, proposal_id, person)
                return "ok"
            except services.ProposalError as error:
                return error.message

    # One person clicking five times at once: one endorsement.
    results = await asyncio.gather(*(click(citizens[0], ids[0]) for _ in range(5)))
    assert results.count("ok") == 1 and set(results) == {"ok", "This proposal is already endorsed by you."}
    assert await count_of(db, ids[0]) == (1, 1)

    # Everyone, twice each, while some take theirs back: the count is the rows.
    attempts = [click(person, ids[1]) for person in crowd for _ in range(2)]
    attempts += [click(person, ids[1], add=False) for person in crowd[:3]]
    await asyncio.gather(*attempts)
    stored, rows = await count_of(db, ids[1])
    assert stored == rows and len(crowd) - 3 <= rows <= len(crowd)


async def test_the_proposal_page_costs_the_same_whatever_its_endorsers(client, demo, db, citizens, component,
                                                                       count_queries, registry):
    [proposal_id] = await published_proposals(db, component, 1)
    page = f"{BASE}/{component.id}/{proposal_id}"
    async with event_sessionmaker(db.bind, registry, None)() as session:
        await endorsements.endorse(session, registry, component, proposal_id, citizens[1])
    await log_in(client, "vei0@example.org")
    await client.get(page)  # shows (and so writes away) the login's flash message
    with count_queries() as few:
        await client.get(page)
    async with event_sessionmaker(db.bind, registry, None)() as session:
        for index in range(10):
            person = await make_user(db, demo, email=f"fan{index}@example.org", nickname=f"fan{index}")
            await endorsements.endorse(session, registry, component, proposal_id, person)
    with count_queries() as many:
        shown = await client.get(page)
    assert shown.text.count('href="/profiles/fan') == 10
    assert many.count == few.count
