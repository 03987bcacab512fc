"""Co-authors of proposals: the author of a published proposal asks other people of the organization to
sign it too; each one accepts or declines.

A co-author who accepted is shown with the proposal and edits it under the author's own rule
(``services.editable`` asks ``Proposal.authored_by``), and follows it from then on, to hear of its
answer. One row per (proposal, person), under a unique constraint: a second invitation of the same
person is refused, and declining deletes the row, so they can be asked again. The invitation is an
event that names a co-authorship, which nobody follows: only the invited person is told.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.db import utcnow
from core.events import Resource
from core.follows import follow
from core.groups.services import NOBODY, find_person
from core.i18n import N_
from core.models import Component
from core.spaces import component_url
from plugins.proposals.models import Coauthorship, Proposal
from plugins.proposals.services import ProposalError

INVITED = "proposals.coauthor_invited"
"""The event type of an invitation (declared in plugins/proposals/events.py)."""
ALREADY_INVITED = N_("This person is already invited.")


def coauthorship_of(proposal: Proposal, user_id: int) -> Coauthorship | None:
    """This person's row on the proposal, invited or accepted (``proposal.coauthorships`` loaded)."""
    return next((row for row in proposal.coauthorships if row.user_id == user_id), None)


def coauthors(proposal: Proposal) -> list[Any]:
    """The people who accepted, in the order they were invited (for the proposal's page)."""
    return [row.user for row in proposal.coauthorships if row.accepted_at is not None]


async def invite(session: AsyncSession, registry: Any, component: Component, proposal: Proposal, actor: Any,
                 person: str) -> Any:
    """The author of a published proposal invites a person of the organization (by nickname or e-mail);
    they are told. Returns the person invited."""
    if proposal.author_id != actor.id or proposal.state != "published":
        raise ProposalError(N_("Only the author of a published proposal can invite co-authors."))
    invited = await find_person(session, component.space.organization_id, person)
    if invited is None:
        raise ProposalError(NOBODY, "person")
    if invited.id == proposal.author_id:
        raise ProposalError(N_("You are the author of this proposal already."), "person")
    existing = coauthorship_of(proposal, invited.id)
    if existing is not None:
        raise ProposalError(N_("This person is a co-author already.") if existing.accepted_at else ALREADY_INVITED,
                            "person")
    row = Coauthorship(proposal_id=proposal.id, user_id=invited.id, created_at=utcnow())
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # invited a moment ago, from another tab
        raise ProposalError(ALREADY_INVITED, "person") from None
    await events.publish(
        session, INVITED, organization_id=component.space.organization_id,
        resource=Resource(type="proposals.coauthorship", id=row.id, title=proposal.title,
                          path=f"{component_url(registry, component)}/{proposal.id}"),
        actor_id=actor.id, recipients=[invited.id])
    return invited


async def answer(session: AsyncSession, proposal: Proposal, user: Any, accept: bool) -> None:
    """The invited person becomes a co-author (and follows the proposal), or declines."""
    row = coauthorship_of(proposal, user.id)
    if row is None or row.accepted_at is not None:
        raise ProposalError(N_("There is no invitation to co-author this proposal waiting for your answer."))
    if accept:
        row.accepted_at = utcnow()
        await follow(session, user.id, "proposals.proposal", proposal.id)
    else:
        await session.delete(row)


async def remove(session: AsyncSession, proposal: Proposal, actor: Any, user_id: int) -> None:
    """The author takes back an invitation or removes a co-author; a co-author stops being one."""
    if actor.id not in (proposal.author_id, user_id):
        raise ProposalError(N_("Only the author of the proposal can remove its co-authors."))
    row = coauthorship_of(proposal, user_id)
    if row is None:
        raise ProposalError(N_("This person is not a co-author of the proposal."))
    await session.delete(row)
