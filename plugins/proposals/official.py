"""Official proposals: the space's admins publish one in the organization's name, written by the
organization itself or brought from a meeting (its name and date) or from one of the organization's
assemblies. It is published at once, starts with no supports and is announced like any other.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import events, search
from core.i18n import N_
from core.models import Component, Space
from plugins.proposals import versions
from plugins.proposals.events import resource_of
from plugins.proposals.links import new_official
from plugins.proposals.models import Proposal
from plugins.proposals.services import ProposalError, lock_text, search_document, text_to_html, words_of

ORIGINS = {
    "organization": N_("The organization"),
    "meeting": N_("A meeting"),
    "assembly": N_("An assembly"),
}


async def assemblies_of(session: AsyncSession, component: Component) -> list[Space]:
    """The organization's published assemblies an official proposal may come from."""
    return list((await session.scalars(
        select(Space).where(Space.organization_id == component.space.organization_id,
                            Space.space_type == "assembly", Space.published.is_(True))
        .order_by(Space.id)
    )).all())


async def _set_origin(session: AsyncSession, component: Component, proposal: Proposal, origin: str,
                      assembly_id: int | None, meeting: str, meeting_date: date | None) -> None:
    if origin not in ORIGINS:
        raise ProposalError(N_("Choose where the proposal comes from."), "origin")
    proposal.origin = proposal.origin_space_id = proposal.origin_meeting = proposal.origin_date = None
    if origin == "assembly":
        chosen = {space.id for space in await assemblies_of(session, component)}
        if not chosen:
            raise ProposalError(N_("The organization has no published assembly."), "origin")
        if assembly_id not in chosen:
            raise ProposalError(N_("Choose the assembly it comes from."), "assembly")
        proposal.origin, proposal.origin_space_id = origin, assembly_id
    elif origin == "meeting":
        meeting = " ".join(meeting.split())
        if not meeting:
            raise ProposalError(N_("Write which meeting it comes from."), "meeting")
        if meeting_date is None:
            raise ProposalError(N_("Give the date of the meeting."), "meeting_date")
        proposal.origin, proposal.origin_meeting, proposal.origin_date = origin, meeting, meeting_date


async def publish_official(session: AsyncSession, registry: Any, component: Component, *, title: str, body: str,
                           language: str, origin: str = "organization", assembly_id: int | None = None,
                           meeting: str = "", meeting_date: date | None = None) -> Proposal:
    """Publish an official proposal in the component. The caller commits."""
    proposal = new_official(component, title, body, language)
    await _set_origin(session, component, proposal, origin, assembly_id, meeting, meeting_date)
    session.add(proposal)
    await session.flush()
    await versions.record(session, proposal, None)
    await search.index(session, component, [search_document(proposal)])
    await events.publish(session, "proposals.proposal_published", organization_id=component.space.organization_id,
                         resource=resource_of(registry, component, proposal), actor_id=None)
    return proposal


async def edit_official(session: AsyncSession, component: Component, proposal: Proposal, *, title: str, body: str,
                        origin: str = "organization", assembly_id: int | None = None, meeting: str = "",
                        meeting_date: date | None = None) -> None:
    """Change an official proposal's text or origin; a new text is a new version. The caller commits."""
    if not proposal.official or proposal.component_id != component.id or proposal.state != "published":
        raise ProposalError(N_("Only published official proposals are edited here."))
    await lock_text(session, proposal)
    before = (proposal.title, proposal.body)
    await _set_origin(session, component, proposal, origin, assembly_id, meeting, meeting_date)
    proposal.title, proposal.body = " ".join(title.split()), text_to_html(body)
    proposal.words = words_of(f"{proposal.title} {proposal.body}")
    await session.flush()
    await versions.record(session, proposal, None, before=before)
    await search.index(session, component, [search_document(proposal)])


async def origin_of(session: AsyncSession, registry: Any, proposal: Proposal) -> tuple[Space, str] | None:
    """The assembly an official proposal comes from and its address, while it is public (one query, only
    for such proposals)."""
    if proposal.origin != "assembly" or proposal.origin_space_id is None:
        return None
    space = await session.scalar(select(Space).where(Space.id == proposal.origin_space_id,
                                                     Space.published.is_(True), Space.private.is_(False)))
    if space is None or space.space_type not in registry.space_types:
        return None
    return space, f"/{registry.space_types[space.space_type].url_prefix}/{space.slug}"
