"""Endorsing proposals: core's endorsements (core.endorsements) with the rules of a proposals component.

The active phase opens endorsing (``endorsements_enabled``); only a published proposal takes them. The
proposal keeps ``endorsements_count`` for the list's "most endorsed" order, changed by one UPDATE in the
transaction that writes or deletes the endorsement, so the count and the rows never disagree: when the
endorsement was already there (a double click, a second tab) nothing is written and the count stays.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.endorsements import services as endorsements
from core.i18n import N_
from core.models import Component
from plugins.proposals.models import Proposal
from plugins.proposals.services import RESOURCE_TYPE, ProposalError, phase, retrying


def may_endorse(registry: Any, component: Component) -> bool:
    """Whether the active phase lets participants endorse."""
    return phase(registry, component).endorsements_enabled


async def _count(session: AsyncSession, component: Component, proposal_id: int, change: int) -> None:
    changed = (await session.execute(
        update(Proposal).where(Proposal.id == proposal_id, Proposal.component_id == component.id,
                               Proposal.state == "published")
        .values(endorsements_count=Proposal.endorsements_count + change).returning(Proposal.id)
    )).scalar()
    if changed is None:
        raise ProposalError(N_("This proposal cannot be endorsed."))


async def endorse(session: AsyncSession, registry: Any, component: Component, proposal_id: int, user: Any,
                  group_id: int | None = None) -> None:
    """Endorse a published proposal, personally or on behalf of a group of the person; ProposalError says
    why not. The request's read transaction ends first (SQLite: a transaction that has read cannot always
    start writing), then the endorsement and the count are one transaction."""
    if not may_endorse(registry, component):
        raise ProposalError(N_("Endorsements are closed in this phase."))
    await session.commit()

    async def write() -> None:
        try:
            added = await endorsements.endorse(session, RESOURCE_TYPE, proposal_id, user, group_id)
        except endorsements.EndorsementError as error:
            raise ProposalError(error.message) from None
        if not added:
            raise ProposalError(N_("This proposal is already endorsed by you.") if group_id is None
                                else N_("This proposal is already endorsed by this group."))
        await _count(session, component, proposal_id, +1)

    await retrying(session, write)


async def withdraw(session: AsyncSession, registry: Any, component: Component, proposal_id: int, user: Any,
                   group_id: int | None = None) -> None:
    """Take an endorsement back while endorsing is open; ProposalError when there was none."""
    if not may_endorse(registry, component):
        raise ProposalError(N_("Endorsements are closed in this phase."))
    await session.commit()

    async def write() -> None:
        try:
            removed = await endorsements.withdraw(session, RESOURCE_TYPE, proposal_id, user, group_id)
        except endorsements.EndorsementError as error:
            raise ProposalError(error.message) from None
        if not removed:
            raise ProposalError(N_("There is no endorsement to withdraw."))
        await _count(session, component, proposal_id, -1)

    await retrying(session, write)
