"""Proposals made from others, and the stable links that say so: merging, splitting and importing.

Every new proposal keeps a row in ``proposals_links`` naming where it came from ("merged_from",
"split_from", "imported_from"); pages read the links in both directions, and a later budget or
accountability component can link its projects to proposals the same way.

Supports are never moved or summed. As in Decidim, the proposal made by a merge, a split or an
import is the organization's own (official) and starts with no supports: a support is one person's
choice of one text, and adding the supports of several texts could count a person twice and break
the limits per participant. The originals keep their supports, comments and answers, are marked
withdrawn (so they take no more supports) and link to what replaced them. Unlike Decidim, a merge
inside one component does not delete the originals: people's supports and comments stay visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, contains_eager

from core import search
from core.db import dialect_insert, utcnow
from core.follows import follow
from core.i18n import N_
from core.models import Component, Space
from core.moderation.services import not_hidden
from core.permissions import Actor
from core.spaces import component_url
from plugins.proposals.evaluation import is_admin
from plugins.proposals.models import Link, Proposal
from plugins.proposals.services import (
    RESOURCE_TYPE,
    ProposalError,
    search_document,
    state_condition,
    text_to_html,
    words_of,
)

NAMES = ("merged_from", "split_from", "imported_from")
LABELS = {
    # (name, this proposal is the link's "from" side): how its page names the other proposal.
    ("merged_from", True): N_("Merged from"),
    ("merged_from", False): N_("Merged into"),
    ("split_from", True): N_("Split from"),
    ("split_from", False): N_("Split into"),
    ("imported_from", True): N_("Imported from"),
    ("imported_from", False): N_("Imported into"),
}
MAX_PARTS = 5


async def add_link(session: AsyncSession, organization_id: int, from_id: int, to_id: int, name: str,
                   from_type: str = RESOURCE_TYPE, to_type: str = RESOURCE_TYPE) -> None:
    """Record that ``from`` came from ``to``; recording it twice changes nothing."""
    if name not in NAMES:
        raise ValueError(f"unknown link {name!r}")
    await session.execute(dialect_insert(session)(Link).values(
        organization_id=organization_id, from_type=from_type, from_id=from_id, to_type=to_type, to_id=to_id,
        name=name, created_at=utcnow()).on_conflict_do_nothing())
    ends = [end for kind, end in ((from_type, from_id), (to_type, to_id)) if kind == RESOURCE_TYPE]
    await session.execute(update(Proposal).where(Proposal.id.in_(ends)).values(linked=True)
                          .execution_options(synchronize_session="fetch"))


@dataclass(frozen=True)
class LinkedProposal:
    """One link as the proposal's page shows it."""

    label: str
    title: str
    url: str


async def links_of(session: AsyncSession, registry: Any, organization_id: int,
                   proposal: Proposal) -> list[LinkedProposal]:
    """The proposals this one came from or gave rise to, that everyone may see (one query): published or
    withdrawn, not hidden, in a published component of a published, public space of the organization.
    A proposal that was never linked costs no query."""
    if not proposal.linked:
        return []
    other = aliased(Proposal)
    mine = Link.from_id == proposal.id
    rows = (await session.execute(
        select(Link.name, mine.label("outgoing"), other.id, other.title, Component)
        .join(other, other.id == case((mine, Link.to_id), else_=Link.from_id))
        .join(Component, Component.id == other.component_id).join(Component.space)
        .options(contains_eager(Component.space))
        .where(Link.organization_id == organization_id, Link.from_type == RESOURCE_TYPE,
               Link.to_type == RESOURCE_TYPE, or_(mine, Link.to_id == proposal.id),
               Space.organization_id == organization_id, Space.published.is_(True), Space.private.is_(False),
               Component.published.is_(True), Component.archived_at.is_(None),
               other.state.in_(("published", "withdrawn")), not_hidden(other.id, RESOURCE_TYPE))
        .order_by(Link.id)
    )).all()
    found = []
    for name, outgoing, other_id, title, component in rows:
        found.append(LinkedProposal(LABELS[(name, bool(outgoing))], title,
                                    f"{component_url(registry, component)}/{other_id}"))
    return found


async def originals(session: AsyncSession, component: Component, proposal_ids: Sequence[int]) -> list[Proposal]:
    """The proposals of this component among ``proposal_ids`` (another component's ids are left out)."""
    return list((await session.scalars(select(Proposal).where(
        Proposal.component_id == component.id, Proposal.id.in_(proposal_ids)).order_by(Proposal.id))).all())


def new_official(component: Component, title: str, body: str, language: str) -> Proposal:
    """A published proposal of the organization itself (no author, no supports yet). The caller adds it."""
    proposal = Proposal(component_id=component.id, author_id=None, official=True, title=" ".join(title.split()),
                        body=text_to_html(body), language=language, state="published", published_at=utcnow())
    proposal.words = words_of(f"{proposal.title} {proposal.body}")
    return proposal


async def _replace(session: AsyncSession, component: Component, originals: list[Proposal],
                   made: list[Proposal], name: str) -> None:
    """Link what was made to the originals, withdraw the originals, and let their authors follow what
    replaced them (so they hear of its answer)."""
    organization_id = component.space.organization_id
    await search.index(session, component, [search_document(proposal) for proposal in made])
    for original in originals:
        original.state = "withdrawn"
        original.withdrawn_at = utcnow()
        for proposal in made:
            await add_link(session, organization_id, proposal.id, original.id, name)
            if original.author_id is not None:
                await follow(session, original.author_id, RESOURCE_TYPE, proposal.id)


async def merge(session: AsyncSession, component: Component, proposal_ids: Sequence[int], title: str, body: str,
                language: str) -> Proposal:
    """One new official proposal in place of several published ones of this component. The caller commits."""
    found = await originals(session, component, sorted(set(proposal_ids)))
    if len(found) < 2 or len(found) != len(set(proposal_ids)):
        raise ProposalError(N_("Select at least two proposals of this component."))
    if any(original.state != "published" for original in found):
        raise ProposalError(N_("Only published proposals can be merged; withdrawn ones cannot."))
    merged = new_official(component, title, body, language)
    session.add(merged)
    await session.flush()
    await _replace(session, component, found, [merged], "merged_from")
    return merged


async def split(session: AsyncSession, component: Component, proposal: Proposal,
                parts: Sequence[tuple[str, str]]) -> list[Proposal]:
    """Several new official proposals in place of one published proposal. The caller commits."""
    if proposal.component_id != component.id or proposal.state != "published":
        raise ProposalError(N_("Only published proposals can be split; withdrawn ones cannot."))
    if len(parts) < 2:
        raise ProposalError(N_("Write at least two proposals."))
    made = [new_official(component, title, body, proposal.language) for title, body in parts]
    session.add_all(made)
    await session.flush()
    await _replace(session, component, [proposal], made, "split_from")
    return made


async def import_sources(session: AsyncSession, component: Component, actor: Actor) -> list[Component]:
    """The proposals components that this one may import from: the organization's others, published in a
    public space, or in a space this person administers (whose drafts they may see anyway)."""
    candidates = (await session.scalars(
        select(Component).join(Component.space).options(contains_eager(Component.space))
        .where(Space.organization_id == component.space.organization_id, Component.component_type == "proposals",
               Component.id != component.id, Component.archived_at.is_(None))
        .order_by(Space.id, Component.weight, Component.id)
    )).all()
    return [candidate for candidate in candidates
            if (candidate.published and candidate.space.published and not candidate.space.private)
            or is_admin(actor, candidate.space)]


async def import_from(session: AsyncSession, component: Component, actor: Actor, source_id: int,
                      only_accepted: bool) -> int:
    """Copy the public proposals of another proposals component of the organization (only those accepted,
    with their answer published, if asked) as official proposals here, each linked to its original;
    proposals imported before are not copied twice. How many were copied. The caller commits."""
    source = next((item for item in await import_sources(session, component, actor) if item.id == source_id), None)
    if source is None:
        raise ProposalError(N_("Choose one of the components offered."), "source_id")
    already = select(Link.to_id).join(Proposal, and_(Proposal.id == Link.from_id,
                                                     Proposal.component_id == component.id)).where(
        Link.name == "imported_from", Link.from_type == RESOURCE_TYPE, Link.to_type == RESOURCE_TYPE)
    conditions = [Proposal.component_id == source.id, Proposal.state == "published",
                  not_hidden(Proposal.id, RESOURCE_TYPE), Proposal.id.not_in(already)]
    if only_accepted:
        conditions += [state_condition(source.id, "accepted"), Proposal.answer_published_at.is_not(None)]
    originals = (await session.scalars(select(Proposal).where(*conditions).order_by(Proposal.id))).all()
    copies = []
    for original in originals:
        copy = Proposal(component_id=component.id, author_id=original.author_id, official=original.official,
                        title=original.title, body=original.body, language=original.language, words=original.words,
                        address=original.address, latitude=original.latitude, longitude=original.longitude,
                        state="published", published_at=utcnow())
        session.add(copy)
        copies.append((original, copy))
    await session.flush()
    for original, copy in copies:
        await add_link(session, component.space.organization_id, copy.id, original.id, "imported_from")
    await search.index(session, component, [search_document(copy) for _, copy in copies])
    return len(copies)
