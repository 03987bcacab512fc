"""A person who deletes their account and comes back: once they verify the same identity again, what the
deleted account gave (supports, endorsements, comment votes) is the new account's, counted once, and the
per-participant limit counts it (the ``transfer_participation`` hook)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.comments.models import Comment, CommentVote
from core.endorsements.models import Endorsement
from core.models import Component, Space
from plugins.proposals import endorsements, services
from plugins.proposals.models import Participant, Proposal, Support
from tests.plugins.proposals.test_proposals import published_proposals, service_db  # noqa: F401  (fixture)
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_notifications import log_in
from tests.test_verifications import CENSUS, citizen, post_form, staff, upload_census, verify  # noqa: F401

BASE = "/processes/pressupostos-2027/proposals"


async def component_with(db, settings: dict, phase: dict) -> Component:
    component = await db.scalar(
        select(Component).join(Space).options(selectinload(Component.space))
        .where(Space.slug == "pressupostos-2027", Component.component_type == "proposals"))
    key = str(component.space.active_phase_id)
    await db.execute(update(Component).where(Component.id == component.id).values(
        settings={**component.settings, **settings}, phase_settings={**component.phase_settings, key: phase}))
    await db.commit()
    return await db.scalar(select(Component).where(Component.id == component.id)
                           .options(selectinload(Component.space)).execution_options(populate_existing=True))


async def delete_account(client) -> None:
    page = await client.get("/account/settings")
    deleted = await client.post("/account/delete", data={"_csrf_token": csrf(page.text),
                                                         "current_password": PASSWORD, "understood": "on"})
    assert deleted.status_code in (200, 303)


async def counters(db, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(supports_total, supports_count, endorsements_count) per proposal, read fresh."""
    rows = await db.execute(select(Proposal.id, Proposal.supports_total, Proposal.supports_count,
                                   Proposal.endorsements_count).where(Proposal.id.in_(ids)))
    return {row.id: (row.supports_total, row.supports_count, row.endorsements_count) for row in rows}


async def participants(db, component: Component, *people) -> list[tuple[int, int, bool]]:
    """(person, supports given, counting) of these people's participant rows in the component."""
    return [tuple(row) for row in await db.execute(
        select(Participant.user_id, Participant.supports_given, Participant.counting)
        .where(Participant.component_id == component.id, Participant.user_id.in_([p.id for p in people]))
        .order_by(Participant.user_id))]


async def test_a_returning_person_keeps_their_supports_and_cannot_support_twice(
        client, demo, db, staff, citizen):  # noqa: F811
    _, manager = staff
    component = await component_with(db, {"supports_per_participant": 3, "minimum_supports_per_participant": 2},
                                      {"supports_enabled": True})
    ids = await published_proposals(db, component, 4)
    url = f"{BASE}/{component.id}"
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    for proposal_id in ids[:2]:
        assert (await post_form(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/support")).status_code == 303
    before = await counters(db, ids)
    assert before[ids[0]][:2] == before[ids[1]][:2] == (1, 1)
    await delete_account(client)
    assert await counters(db, ids) == before  # a deleted account's supports still count

    returning = await make_user(db, demo, email="laia.torna@example.org", nickname="laia2", name="Laia",
                                locale="en")
    await log_in(client, returning)
    assert "Withdraw my support" not in (await client.get(f"{url}/{ids[0]}")).text  # not verified yet
    assert (await verify(client)).status_code == 303

    page = await client.get(f"{url}/{ids[0]}")
    assert "Withdraw my support" in page.text
    again = await post_form(client, f"{url}/{ids[0]}", f"{url}/{ids[0]}/support")
    assert again.status_code == 303
    assert "You already support this proposal." in (await client.get(again.headers["location"])).text
    assert await counters(db, ids) == before
    assert sorted((await db.scalars(select(Support.proposal_id).where(Support.user_id == returning.id))).all()) \
        == ids[:2]
    assert await participants(db, component, citizen, returning) == [(returning.id, 2, True)]

    # The limit of three counts the two supports given before the deletion.
    assert (await post_form(client, f"{url}/{ids[2]}", f"{url}/{ids[2]}/support")).status_code == 303
    over = await post_form(client, f"{url}/{ids[3]}", f"{url}/{ids[3]}/support")
    assert "You have used all your supports in this space." in (await client.get(over.headers["location"])).text
    assert await db.scalar(select(func.count(Support.id)).where(Support.proposal_id == ids[3])) == 0
    assert await participants(db, component, citizen, returning) == [(returning.id, 3, True)]


async def test_what_both_accounts_gave_counts_once(
        client, demo, db, registry, service_db, staff, citizen):  # noqa: F811
    _, manager = staff
    component = await component_with(db, {"minimum_supports_per_participant": 2},
                                      {"supports_enabled": True, "endorsements_enabled": True})
    first, second = await published_proposals(db, component, 2)
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    other = await make_user(db, demo, email="pere@example.org", nickname="pere", name="Pere", locale="en")
    comment = Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=first,
                      author_id=other.id, body="Bona idea")
    db.add(comment)
    await db.commit()

    # The first account supports and endorses both proposals and votes the comment up.
    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    for proposal_id in (first, second):
        await services.support(service_db, registry, component, proposal_id, citizen)
        await endorsements.endorse(service_db, registry, component, proposal_id, citizen)
    db.add(CommentVote(comment_id=comment.id, user_id=citizen.id, value=1))
    await db.commit()
    await delete_account(client)

    # Back with a new account, before verifying, the person supports and endorses the second one again and
    # votes the comment down: below the minimum, that support does not count yet.
    returning = await make_user(db, demo, email="laia.torna@example.org", nickname="laia2", name="Laia",
                                locale="en")
    await services.support(service_db, registry, component, second, returning)
    await endorsements.endorse(service_db, registry, component, second, returning)
    db.add(CommentVote(comment_id=comment.id, user_id=returning.id, value=-1))
    await db.commit()
    assert await counters(db, [first, second]) == {first: (1, 1, 1), second: (2, 1, 2)}

    await log_in(client, returning)
    assert (await verify(client)).status_code == 303
    # One person: one support and one endorsement each, and their two supports now reach the minimum.
    assert await counters(db, [first, second]) == {first: (1, 1, 1), second: (1, 1, 1)}
    assert await participants(db, component, citizen, returning) == [(returning.id, 2, True)]
    assert sorted((await db.execute(select(Support.proposal_id, Support.user_id)
                                    .where(Support.proposal_id.in_([first, second])))).all()) == [
        (first, returning.id), (second, returning.id)]
    assert sorted((await db.execute(select(Endorsement.resource_id, Endorsement.endorser_id, Endorsement.user_id)
                                    .where(Endorsement.resource_id.in_([first, second])))).all()) == [
        (first, returning.id, returning.id), (second, returning.id, returning.id)]
    assert (await db.execute(select(CommentVote.user_id, CommentVote.value)
                             .where(CommentVote.comment_id == comment.id))).all() == [(returning.id, -1)]

    # Withdrawing keeps every counter exact: one support left, below the minimum, so it stops counting.
    await services.withdraw_support(service_db, registry, component, second, returning)
    assert await counters(db, [first, second]) == {first: (1, 0, 1), second: (0, 0, 1)}
