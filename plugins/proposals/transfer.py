"""A person who deleted their account and verified the same identity again keeps their supports and
endorsements (the ``transfer_participation`` hook): they show as theirs, count once, and the per-participant
limit counts them.

The supports of the deleted account move to the new one; where both supported the same proposal the old
support goes. Stored counters stay what ``services.support`` would have made them: each removed support is
taken from ``supports_total`` (and from ``supports_count`` if it counted), the two participant rows of a
component become one (``supports_given`` their sum less the supports removed), and whether that person's
supports count follows the component's minimum, like after any support or withdrawal. A merged
``supports_given`` may exceed the per-participant limit (both accounts gave their supports within it); the
person then cannot support more until they withdraw some.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.endorsements import services as endorsements
from core.models import Component, Organization
from plugins.proposals.models import Participant, Proposal, Support
from plugins.proposals.services import RESOURCE_TYPE, settings


async def _recount(session: AsyncSession, proposal_ids: Any, change: int) -> None:
    await session.execute(update(Proposal).where(Proposal.id.in_(proposal_ids))
                          .values(supports_count=Proposal.supports_count + change))


async def _merge(session: AsyncSession, registry: Any, component: Component, old: Row[Any], new: Row[Any] | None,
                 to_user_id: int) -> None:
    """The old account's supports in one component become the new account's, counted as one person's."""
    in_component = [Support.component_id == component.id]
    supported_by_new = select(Support.proposal_id).where(*in_component, Support.user_id == to_user_id)
    twice: list[int] = []
    if new is not None:
        twice = list((await session.execute(
            delete(Support).where(*in_component, Support.user_id == old.user_id,
                                  Support.proposal_id.in_(supported_by_new))
            .returning(Support.proposal_id)
        )).scalars())
    if twice:
        await session.execute(update(Proposal).where(Proposal.id.in_(twice)).values(
            supports_total=Proposal.supports_total - 1,
            supports_count=Proposal.supports_count - (1 if old.counting else 0)))
    given = old.supports_given - len(twice) + (new.supports_given if new is not None else 0)
    counts = given >= settings(registry, component).minimum_supports_per_participant
    if old.counting != counts:
        await _recount(session, select(Support.proposal_id).where(*in_component, Support.user_id == old.user_id),
                       1 if counts else -1)
    if new is not None and new.counting != counts:
        await _recount(session, supported_by_new, 1 if counts else -1)
    await session.execute(update(Support).where(*in_component, Support.user_id == old.user_id)
                          .values(user_id=to_user_id))
    old_row = [Participant.component_id == component.id, Participant.user_id == old.user_id]
    if new is None:
        await session.execute(update(Participant).where(*old_row)
                              .values(user_id=to_user_id, supports_given=given, counting=counts))
    else:
        await session.execute(update(Participant).where(Participant.component_id == component.id,
                                                        Participant.user_id == to_user_id)
                              .values(supports_given=given, counting=counts))
        await session.execute(delete(Participant).where(*old_row))


async def transfer_participation(session: AsyncSession, registry: Any, organization: Organization,
                                 from_user_id: int, to_user_id: int) -> None:
    """Move the deleted account's supports and personal endorsements of proposals to the new account."""
    # Plain rows, not ORM objects: the statements below change their keys.
    columns = (Participant.component_id, Participant.user_id, Participant.supports_given, Participant.counting)
    old_rows = (await session.execute(select(*columns).where(Participant.user_id == from_user_id))).all()
    if old_rows:
        components = {row.id: row for row in await session.scalars(
            select(Component).where(Component.id.in_([row.component_id for row in old_rows])))}
        new_rows = {row.component_id: row for row in await session.execute(
            select(*columns).where(Participant.user_id == to_user_id,
                                   Participant.component_id.in_(list(components))))}
        for old in old_rows:
            await _merge(session, registry, components[old.component_id], old, new_rows.get(old.component_id),
                         to_user_id)
    twice = await endorsements.transfer(session, RESOURCE_TYPE, from_user_id, to_user_id)
    if twice:
        await session.execute(update(Proposal).where(Proposal.id.in_(twice))
                              .values(endorsements_count=Proposal.endorsements_count - 1))
