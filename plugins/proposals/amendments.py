"""Amendments: where the component enables them, participants propose a new title and body for someone
else's published proposal; its authors accept or reject each one.

An amendment is a draft while its author writes it (only they see it), then pending until the proposal's
authors (its author and the co-authors who accepted) answer. Accepting gives the proposal the amendment's
text, writes a version of the history (plugins/proposals/versions.py) naming the amender, and makes the
amender a co-author. A rejected amendment stays visible, marked so, and its author may make a proposal of
their own of it: it becomes their draft, which the wizard publishes under the usual rules.

One amendment being written or waiting per person and proposal: a partial unique index on
(proposal, author) where the state is draft or pending. Amendments live on their proposal: a proposal
hidden by moderation hides them, since every route reaches them through ``services.proposal_for``.
They are commentable and reportable on their own page too; a hidden one leaves its proposal's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import events, search
from core.db import utcnow
from core.events import Resource
from core.follows import follow
from core.i18n import N_
from core.manifest import ResourceInfo
from core.models import Component
from core.moderation.services import not_hidden
from core.richtext import plain_text
from core.spaces import component_url
from plugins.proposals import services, versions
from plugins.proposals.amendment_models import Amendment
from plugins.proposals.models import Coauthorship, Proposal
from plugins.proposals.schemas import ProposalText
from plugins.proposals.services import ProposalError

RESOURCE_TYPE = "proposals.amendment"
RECEIVED = "proposals.amendment_received"
ACCEPTED = "proposals.amendment_accepted"
REJECTED = "proposals.amendment_rejected"
"""The event types (declared in plugins/proposals/events.py)."""
PUBLIC_STATES = ("pending", "accepted", "rejected")
"""What anybody sees on the proposal's page; drafts only their author, withdrawn ones nobody."""
ALREADY_OPEN = N_("You already have an amendment to this proposal waiting for its authors.")


def enabled(registry: Any, component: Component) -> bool:
    """Whether the component takes amendments at all (its authors answer them whatever the phase)."""
    return services.settings(registry, component).amendments_enabled


def may_create(registry: Any, component: Component) -> bool:
    """Whether participants may propose amendments now: enabled, and the active phase allows it."""
    return enabled(registry, component) and services.phase(registry, component).amendment_creation_enabled


def amendable(registry: Any, component: Component, proposal: Proposal, user: Any) -> bool:
    """Whether this person may propose an amendment to this proposal now: someone else's, published
    (not withdrawn; hidden ones are never loaded), while the phase allows it."""
    return (user is not None and may_create(registry, component) and proposal.state == "published"
            and not proposal.authored_by(user.id))


def authors_of(proposal: Proposal) -> list[int]:
    """Who answers its amendments: its author and the co-authors who accepted (``coauthorships`` loaded)."""
    people = [proposal.author_id] if proposal.author_id is not None else []
    return people + [row.user_id for row in proposal.coauthorships if row.accepted_at is not None]


def _resource(registry: Any, component: Component, proposal: Proposal, amendment: Amendment) -> Resource:
    return Resource(type=RESOURCE_TYPE, id=amendment.id, title=proposal.title,
                    path=f"{component_url(registry, component)}/{proposal.id}/amendments/{amendment.id}")


# ------------------------------------------------------------------------------------ reading

async def open_of(session: AsyncSession, proposal: Proposal, user: Any) -> Amendment | None:
    """This person's amendment to the proposal that is being written or waits for an answer, if any."""
    return await session.scalar(select(Amendment).where(
        Amendment.proposal_id == proposal.id, Amendment.author_id == user.id,
        Amendment.state.in_(("draft", "pending"))))


async def amendment_of(session: AsyncSession, component: Component, proposal: Proposal, amendment_id: int,
                       user: Any) -> Amendment:
    """An amendment of this proposal (of this component) that this person may see; else LookupError.
    A draft is its author's alone; a withdrawn one is nobody's business but its author's."""
    amendment = await session.scalar(select(Amendment).where(
        Amendment.id == amendment_id, Amendment.proposal_id == proposal.id, Amendment.component_id == component.id,
        not_hidden(Amendment.id, RESOURCE_TYPE)))
    if amendment is None:
        raise LookupError(amendment_id)
    if amendment.state not in PUBLIC_STATES and (user is None or amendment.author_id != user.id):
        raise LookupError(amendment_id)
    return amendment


@dataclass(frozen=True)
class Shown:
    """An amendment as pages show it: its differences from the text it was written against."""

    amendment: Amendment
    title: Markup
    body: Markup
    promoted_published: bool
    """Whether the proposal its author made of it is published (a link then goes to it)."""


def shown(amendment: Amendment, promoted_published: bool = False) -> Shown:
    title, body = versions.text_diff(amendment.base_title, amendment.base_body, amendment.title, amendment.body)
    return Shown(amendment, title, body, promoted_published)


async def listing(session: AsyncSession, proposal: Proposal, user: Any) -> list[Shown]:
    """The proposal's amendments for its page, in one query: the public ones, and this person's own draft."""
    visible = Amendment.state.in_(PUBLIC_STATES)
    if user is not None:
        visible = or_(visible, and_(Amendment.author_id == user.id, Amendment.state == "draft"))
    promoted = aliased(Proposal)
    rows = (await session.execute(
        select(Amendment, promoted.state).outerjoin(promoted, promoted.id == Amendment.promoted_proposal_id)
        .where(Amendment.proposal_id == proposal.id, visible, not_hidden(Amendment.id, RESOURCE_TYPE))
        .order_by(Amendment.id)
    )).all()
    return [shown(amendment, state in ("published", "withdrawn")) for amendment, state in rows]


# ------------------------------------------------------------------------------------ the amender

def _check_text(proposal: Proposal, title: str, body: str) -> None:
    if (title, services.html_to_text(body)) == (proposal.title, services.html_to_text(proposal.body)):
        raise ProposalError(N_("Change the title or the description: an amendment proposes another text."))


async def save_draft(session: AsyncSession, registry: Any, component: Component, proposal: Proposal, user: Any,
                     text: ProposalText) -> Amendment:
    """Start (or rewrite) this person's amendment to the proposal, kept as a draft until they send it."""
    if not amendable(registry, component, proposal, user):
        raise ProposalError(N_("You cannot propose an amendment to this proposal."))
    title, body = " ".join(text.title.split()), services.text_to_html(text.body)
    _check_text(proposal, title, body)
    amendment = await open_of(session, proposal, user)
    if amendment is not None and amendment.state != "draft":
        raise ProposalError(ALREADY_OPEN)
    if amendment is None:
        amendment = Amendment(proposal_id=proposal.id, component_id=component.id, author_id=user.id,
                              state="draft", created_at=utcnow())
        session.add(amendment)
    amendment.title, amendment.body = title, body
    # Written against the text the proposal has now: its differences are shown from it.
    amendment.base_title, amendment.base_body = proposal.title, proposal.body
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # started a moment ago, from another tab
        raise ProposalError(ALREADY_OPEN) from None
    return amendment


async def submit(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                 amendment: Amendment, user: Any) -> None:
    """Send the draft to the proposal's authors, who are told."""
    if amendment.author_id != user.id or amendment.state != "draft":
        raise ProposalError(N_("This amendment is not a draft of yours."))
    if not amendable(registry, component, proposal, user):
        raise ProposalError(N_("You cannot propose an amendment to this proposal."))
    amendment.state = "pending"
    amendment.submitted_at = utcnow()
    await session.flush()
    await events.publish(session, RECEIVED, organization_id=component.space.organization_id,
                         resource=_resource(registry, component, proposal, amendment), actor_id=user.id,
                         recipients=authors_of(proposal))


async def withdraw(session: AsyncSession, amendment: Amendment, user: Any) -> None:
    """Its author takes the amendment back: a draft is deleted, a pending one marked withdrawn."""
    if amendment.author_id != user.id or amendment.state not in ("draft", "pending"):
        raise ProposalError(N_("Only its author can withdraw an amendment that waits for an answer."))
    if amendment.state == "draft":
        await session.delete(amendment)
        return
    amendment.state = "withdrawn"
    amendment.answered_at = utcnow()


async def promote(session: AsyncSession, registry: Any, component: Component, amendment: Amendment, user: Any,
                  language: str) -> Proposal:
    """Make a proposal of one's rejected amendment: it becomes one's draft, published through the wizard
    (so the phase and every rule of proposals apply there)."""
    if amendment.author_id != user.id or amendment.state != "rejected":
        raise ProposalError(N_("Only the author of a rejected amendment can make a proposal of it."))
    if amendment.promoted_proposal_id is not None:
        raise ProposalError(N_("You have already made a proposal of this amendment."))
    if await services.draft_of(session, component, user) is not None:
        # The wizard keeps one draft per person: theirs would be overwritten.
        raise ProposalError(N_("You have a proposal draft in this component: publish or discard it first."))
    draft = await services.save_draft(session, registry, component, user, ProposalText(
        title=amendment.title, body=services.html_to_text(amendment.body)), language)
    amendment.promoted_proposal_id = draft.id
    return draft


# ------------------------------------------------------------------------------------ the authors

async def _answer(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                  amendment: Amendment, user: Any, state: str) -> None:
    """Mark the amendment answered, if it still waits: a conditional UPDATE, so two authors answering at
    once (or one pressing twice) answer it once."""
    if not enabled(registry, component) or not proposal.authored_by(user.id):
        raise ProposalError(N_("Only the authors of the proposal can answer its amendments."))
    answered = None
    if proposal.state == "published":
        answered = (await session.execute(
            update(Amendment).where(Amendment.id == amendment.id, Amendment.state == "pending")
            .values(state=state, answered_at=utcnow()).returning(Amendment.id))).scalar()
    if answered is None:
        raise ProposalError(N_("This amendment no longer waits for an answer."))


async def accept(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                 amendment: Amendment, user: Any) -> None:
    """The proposal takes the amendment's text: a new version names the amender, who becomes a co-author
    (if they are not one yet) and is told."""
    # The proposal's row is locked and read again first: two amendments accepted at once (or an author's
    # edit meanwhile) then follow each other, each version built on the text the other left.
    await services.lock_text(session, proposal)
    await _answer(session, registry, component, proposal, amendment, user, "accepted")
    before = (proposal.title, proposal.body)
    proposal.title, proposal.body = amendment.title, amendment.body
    proposal.words = services.words_of(f"{proposal.title} {proposal.body}")
    await versions.record(session, proposal, amendment.author_id, amendment.id, before=before)
    if amendment.author_id is not None and amendment.author_id != proposal.author_id:
        await _make_coauthor(session, proposal, amendment.author_id)
    await search.index(session, component, [services.search_document(proposal)])
    await events.publish(session, ACCEPTED, organization_id=component.space.organization_id,
                         resource=_resource(registry, component, proposal, amendment), actor_id=user.id,
                         recipients=[amendment.author_id] if amendment.author_id else [])


async def _make_coauthor(session: AsyncSession, proposal: Proposal, user_id: int) -> None:
    """The amender signs the proposal too (an invitation waiting for them counts as accepted)."""
    row = next((row for row in proposal.coauthorships if row.user_id == user_id), None)
    if row is None:
        session.add(Coauthorship(proposal_id=proposal.id, user_id=user_id, created_at=utcnow(), accepted_at=utcnow()))
    elif row.accepted_at is None:
        row.accepted_at = utcnow()
    await session.flush()
    await follow(session, user_id, services.RESOURCE_TYPE, proposal.id)


async def reject(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                 amendment: Amendment, user: Any) -> None:
    """The proposal keeps its text; the amendment stays visible as rejected and its author is told."""
    await _answer(session, registry, component, proposal, amendment, user, "rejected")
    await events.publish(session, REJECTED, organization_id=component.space.organization_id,
                         resource=_resource(registry, component, proposal, amendment), actor_id=user.id,
                         recipients=[amendment.author_id] if amendment.author_id else [])


# ------------------------------------------------------------------------------------ contract

async def commentable_amendment(session: AsyncSession, component: Component,
                                amendment_id: int) -> ResourceInfo | None:
    """Comments and reports: an amendment of this component, visible once sent while its proposal is."""
    row = (await session.execute(
        select(Amendment, Proposal.state).join(Proposal, Proposal.id == Amendment.proposal_id)
        .where(Amendment.id == amendment_id, Amendment.component_id == component.id,
               not_hidden(Proposal.id, services.RESOURCE_TYPE))
    )).first()
    if row is None:
        return None
    amendment, proposal_state = row
    return ResourceInfo(title=amendment.title, path=f"/{amendment.proposal_id}/amendments/{amendment.id}",
                        visible=amendment.state in PUBLIC_STATES and proposal_state != "draft",
                        author_id=amendment.author_id)


async def personal_data(session: AsyncSession, user: Any) -> dict[str, list[dict[str, Any]]]:
    """For a person's download of their data: the amendments they wrote, whatever their state."""
    rows: Sequence[Amendment] = (await session.scalars(
        select(Amendment).where(Amendment.author_id == user.id).order_by(Amendment.id))).all()
    return {"proposals_amendments": [{
        "id": row.id, "proposal_id": row.proposal_id, "component_id": row.component_id, "title": row.title,
        "body": plain_text(row.body), "state": row.state, "created_at": row.created_at,
        "submitted_at": row.submitted_at, "answered_at": row.answered_at,
    } for row in rows]}
