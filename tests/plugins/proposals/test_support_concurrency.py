"""Supports fired in parallel, each on its own database connection, as from many app processes:
no limit is ever exceeded and no support is counted twice, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.events import event_sessionmaker
from core.models import Component, Space
from plugins.proposals import services
from plugins.proposals.models import Participant, Proposal, Support
from tests.test_accounts import make_user

LIMIT = 3
PEOPLE = 8
PROPOSALS = 6


async def arrange(db, demo, **rules):
    component = await db.scalar(
        select(Component).join(Space).where(Space.slug == "pressupostos-2027", Component.component_type == "proposals")
    )
    await db.execute(update(Component).where(Component.id == component.id)
                     .values(settings={**component.settings, "supports_per_participant": LIMIT, **rules}))
    ids = []
    for index in range(PROPOSALS):
        proposal = Proposal(component_id=component.id, title=f"Proposta concurrent {index}", body="<p>x</p>",
                            language="ca", state="published", published_at=utcnow())
        db.add(proposal)
        await db.flush()
        ids.append(proposal.id)
    await db.commit()
    people = [await make_user(db, demo, email=f"p{index}@example.org", nickname=f"p{index}") for index in
              range(PEOPLE)]
    component = await db.scalar(select(Component).options(selectinload(Component.space))
                                .where(Component.id == component.id))
    return component, ids, people


async def fire(engine, registry, component, attempts):
    """Each attempt (person, proposal, add?) in its own session, all at once."""
    sessionmaker = event_sessionmaker(engine, registry, None)  # events stay recorded for the worker's sweep

    async def one(person, proposal_id, add):
        async with sessionmaker() as session:
            try:
                if add:
                    await services.support(session, registry, component, proposal_id, person)
                else:
                    await services.withdraw_support(session, registry, component, proposal_id, person)
                return "ok"
            except services.ProposalError as error:
                return error.message

    return await asyncio.gather(*(one(*attempt) for attempt in attempts))


async def check_counters(db, component, ids):
    """Every counter equals the rows it counts."""
    rows = dict((await db.execute(select(Support.proposal_id, func.count()).where(Support.proposal_id.in_(ids))
                                  .group_by(Support.proposal_id))).all())
    fresh = select(Proposal).where(Proposal.id.in_(ids)).execution_options(populate_existing=True)
    for proposal in (await db.scalars(fresh)).all():
        assert proposal.supports_total == rows.get(proposal.id, 0) == proposal.supports_count, proposal.id
    given = dict((await db.execute(select(Participant.user_id, Participant.supports_given)
                                   .where(Participant.component_id == component.id))).all())
    per_person = dict((await db.execute(select(Support.user_id, func.count()).where(
        Support.component_id == component.id, Support.proposal_id.in_(ids)).group_by(Support.user_id))).all())
    for user_id, count in per_person.items():
        assert given[user_id] == count <= LIMIT, user_id
    return rows, per_person


async def test_many_people_supporting_many_proposals_at_once_never_pass_the_limit(engine, registry, demo, db):
    component, ids, people = await arrange(db, demo)
    # Everyone tries every proposal, several times over, all at the same time.
    attempts = [(person, proposal_id, True) for person in people for proposal_id in ids for _ in range(2)]
    results = await fire(engine, registry, component, attempts)
    assert set(results) <= {"ok", "You have used all your supports in this space.",
                            "You already support this proposal."}
    rows, per_person = await check_counters(db, component, ids)
    assert results.count("ok") == sum(rows.values()) == PEOPLE * LIMIT
    assert all(count == LIMIT for count in per_person.values())


async def test_supports_and_withdrawals_racing_leave_the_counters_right(engine, registry, demo, db):
    component, ids, people = await arrange(db, demo)
    first = [(person, proposal_id, True) for person in people for proposal_id in ids[:2]]
    await fire(engine, registry, component, first)
    mixed = [(person, proposal_id, add) for person in people for proposal_id in ids[:3] for add in (False, True)]
    await fire(engine, registry, component, mixed)
    await check_counters(db, component, ids)


async def test_the_threshold_is_never_exceeded_when_it_may_not_be(engine, registry, demo, db):
    component, ids, people = await arrange(db, demo, threshold_per_proposal=5, can_exceed_threshold=False)
    results = await fire(engine, registry, component, [(person, ids[0], True) for person in people])
    assert results.count("ok") == 5
    rows, _ = await check_counters(db, component, ids)
    assert rows[ids[0]] == 5

