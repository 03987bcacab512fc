"""Collaborative drafts: several people write a text together, then one of them publishes it as a proposal
that names them all (modelled on Decidim's collaborative drafts).

Whoever may make a proposal starts a draft and is its first collaborator. Other people of the organization
ask for access; any collaborator accepts or rejects them. Any collaborator edits the text, withdraws the
draft or publishes it. Publishing goes through ``services.publish``, so the component's rules, limits and
phase apply as to any proposal: the draft's author becomes the proposal's author and the other
collaborators its co-authors (``Coauthorship`` rows, accepted). The draft stays, read-only, linking to it.

Every change of state is a conditional UPDATE on the draft's row (or the request's), so two people
pressing the same button at once do it once: one proposal, one answer. Saves carry the version they
were made from; a save from an older version is refused and the person's text is shown back to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import events
from core.db import dialect_insert, utcnow
from core.events import Resource
from core.follows import follow
from core.i18n import N_
from core.models import Component
from core.richtext import plain_text
from core.spaces import component_url
from plugins.proposals import services
from plugins.proposals.collaborative_draft_models import AccessRequest, CollaborativeDraft, Collaborator
from plugins.proposals.models import Coauthorship, Proposal
from plugins.proposals.schemas import ProposalText
from plugins.proposals.services import ProposalError

PER_PAGE = 20
RESOURCE_TYPE = "proposals.collaborative_draft"
LISTED = ("open", "published")
ACCESS_REQUESTED = "proposals.draft_access_requested"
ACCESS_ACCEPTED = "proposals.draft_access_accepted"
ACCESS_REJECTED = "proposals.draft_access_rejected"
"""The event types of access requests (declared in plugins/proposals/events.py): nobody follows a draft,
so only the people named hear of them."""
NOT_OPEN = N_("This draft is no longer open.")
ANSWERED = N_("This request has been answered already.")
CHANGED = N_("Somebody saved the draft while you were editing it. Your text is below: compare it with the "
             "draft's and save again.")


def enabled(registry: Any, component: Component) -> bool:
    """Whether the component's admins turned collaborative drafts on."""
    return services.settings(registry, component).collaborative_drafts_enabled


def drafts_url(registry: Any, component: Component) -> str:
    """The address of the component's collaborative drafts."""
    return f"{component_url(registry, component)}/collaborative-drafts"


def path_of(registry: Any, component: Component, draft: CollaborativeDraft) -> str:
    return f"{drafts_url(registry, component)}/{draft.id}"


def is_collaborator(draft: CollaborativeDraft, user: Any) -> bool:
    """Whether this person writes the draft (``draft.collaborators`` loaded)."""
    return user is not None and any(row.user_id == user.id for row in draft.collaborators)


def request_of(draft: CollaborativeDraft, user: Any) -> AccessRequest | None:
    """This person's access request to the draft, whatever its state (``draft.requests`` loaded)."""
    return next((row for row in draft.requests if user is not None and row.user_id == user.id), None)


def pending_requests(draft: CollaborativeDraft) -> list[AccessRequest]:
    """The requests waiting for an answer, of people who still have an account."""
    return [row for row in draft.requests if row.state == "pending" and row.user.deleted_at is None]


# ------------------------------------------------------------------------------------ reading

async def listing(session: AsyncSession, component: Component, page: int) -> tuple[Sequence[Any], int]:
    """One page of the component's open and published drafts, newest first, each with its number of
    collaborators (a subquery of the same query), and how many there are."""
    conditions = (CollaborativeDraft.component_id == component.id, CollaborativeDraft.state.in_(LISTED))
    total = await session.scalar(select(func.count(CollaborativeDraft.id)).where(*conditions)) or 0
    collaborators = (select(func.count(Collaborator.id)).where(Collaborator.draft_id == CollaborativeDraft.id)
                     .scalar_subquery())
    rows = (await session.execute(
        select(CollaborativeDraft, collaborators.label("collaborators")).where(*conditions)
        .order_by(CollaborativeDraft.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )).all()
    return rows, total


async def draft_for(session: AsyncSession, component: Component, draft_id: int) -> CollaborativeDraft:
    """A draft of this component, with its collaborators and requests; LookupError for any other id."""
    draft = await session.scalar(
        select(CollaborativeDraft)
        .options(selectinload(CollaborativeDraft.collaborators), selectinload(CollaborativeDraft.requests))
        .where(CollaborativeDraft.id == draft_id, CollaborativeDraft.component_id == component.id)
    )
    if draft is None:
        raise LookupError(draft_id)
    return draft


# ------------------------------------------------------------------------------------ writing

def _check_open(draft: CollaborativeDraft) -> None:
    if draft.state != "open":
        raise ProposalError(NOT_OPEN)


async def create(session: AsyncSession, registry: Any, component: Component, user: Any, text: ProposalText,
                 language: str) -> CollaborativeDraft:
    """Start a draft, under the rule of making a proposal (the phase must allow it); its author is its
    first collaborator."""
    services._check_creation(registry, component)  # the one rule of starting a proposal, whatever it holds
    now = utcnow()
    draft = CollaborativeDraft(component_id=component.id, author_id=user.id, title=" ".join(text.title.split()),
                               body=services.text_to_html(text.body), language=language, state="open", version=1,
                               edited_by_id=user.id, created_at=now, updated_at=now)
    session.add(draft)
    await session.flush()
    session.add(Collaborator(draft_id=draft.id, user_id=user.id, created_at=now))
    await session.flush()
    return draft


async def edit(session: AsyncSession, draft: CollaborativeDraft, user: Any, text: ProposalText,
               version: int) -> None:
    """A collaborator saves a new version of the open draft, made from ``version``; if somebody saved
    another one since, nothing changes and ProposalError says so."""
    _check_open(draft)
    if not is_collaborator(draft, user):
        raise ProposalError(N_("Only the collaborators of a draft can edit it."))
    if draft.version != version:  # seen when the draft was read: refused without writing anything
        raise ProposalError(CHANGED)
    saved = (await session.execute(
        update(CollaborativeDraft)
        .where(CollaborativeDraft.id == draft.id, CollaborativeDraft.state == "open",
               CollaborativeDraft.version == version)
        .values(title=" ".join(text.title.split()), body=services.text_to_html(text.body),
                version=CollaborativeDraft.version + 1, edited_by_id=user.id, updated_at=utcnow())
        .returning(CollaborativeDraft.id).execution_options(synchronize_session=False)
    )).scalar()
    if saved is None:  # saved by somebody else between that reading and now
        raise ProposalError(CHANGED, "version")


async def withdraw(session: AsyncSession, draft: CollaborativeDraft, user: Any) -> None:
    """A collaborator withdraws the open draft: it stays visible, read-only."""
    if not is_collaborator(draft, user):
        raise ProposalError(N_("Only the collaborators of a draft can withdraw it."))
    withdrawn = (await session.execute(
        update(CollaborativeDraft).where(CollaborativeDraft.id == draft.id, CollaborativeDraft.state == "open")
        .values(state="withdrawn", withdrawn_at=utcnow())
        .returning(CollaborativeDraft.id).execution_options(synchronize_session=False)
    )).scalar()
    if withdrawn is None:
        raise ProposalError(NOT_OPEN)


def _resource(registry: Any, component: Component, draft: CollaborativeDraft) -> Resource:
    return Resource(type=RESOURCE_TYPE, id=draft.id, title=draft.title, path=path_of(registry, component, draft))


async def request_access(session: AsyncSession, registry: Any, component: Component, draft: CollaborativeDraft,
                         user: Any) -> None:
    """A person asks to write the open draft; its collaborators are told. Asking again after a rejection
    makes the request pending again; asking twice at once records one request."""
    _check_open(draft)
    if is_collaborator(draft, user):
        raise ProposalError(N_("You are a collaborator of this draft already."))
    existing = request_of(draft, user)
    if existing is not None and existing.state == "pending":
        raise ProposalError(N_("You have asked for access already; the collaborators will answer."))
    now = utcnow()
    asked = (await session.execute(
        dialect_insert(session)(AccessRequest).values(draft_id=draft.id, user_id=user.id, state="pending",
                                                      created_at=now)
        .on_conflict_do_update(index_elements=["draft_id", "user_id"],
                               set_={"state": "pending", "created_at": now, "answered_at": None,
                                     "answered_by_id": None},
                               where=AccessRequest.state == "rejected")
        .returning(AccessRequest.id)
    )).scalar()
    if asked is None:
        raise ProposalError(N_("You have asked for access already; the collaborators will answer."))
    await events.publish(session, ACCESS_REQUESTED, organization_id=component.space.organization_id,
                         resource=_resource(registry, component, draft), actor_id=user.id,
                         recipients=[row.user_id for row in draft.collaborators])


async def answer_request(session: AsyncSession, registry: Any, component: Component, draft: CollaborativeDraft,
                         actor: Any, request_id: int, accept: bool) -> Any:
    """A collaborator accepts (the person becomes a collaborator) or rejects a pending request of the open
    draft; the person is told. Returns the person who asked."""
    _check_open(draft)
    if not is_collaborator(draft, actor):
        raise ProposalError(N_("Only the collaborators of a draft can answer access requests."))
    request = next((row for row in draft.requests if row.id == request_id), None)
    if request is None:
        raise LookupError(request_id)
    if request.state != "pending":
        raise ProposalError(ANSWERED)
    now = utcnow()
    answered = (await session.execute(
        update(AccessRequest).where(AccessRequest.id == request.id, AccessRequest.state == "pending")
        .values(state="accepted" if accept else "rejected", answered_at=now, answered_by_id=actor.id)
        .returning(AccessRequest.id).execution_options(synchronize_session=False)
    )).scalar()
    if answered is None:
        raise ProposalError(ANSWERED)
    if accept:
        await session.execute(dialect_insert(session)(Collaborator).values(
            draft_id=draft.id, user_id=request.user_id, created_at=now).on_conflict_do_nothing())
    await events.publish(session, ACCESS_ACCEPTED if accept else ACCESS_REJECTED,
                         organization_id=component.space.organization_id,
                         resource=_resource(registry, component, draft), actor_id=actor.id,
                         recipients=[request.user_id])
    return request.user


async def publish(session: AsyncSession, registry: Any, component: Component, draft: CollaborativeDraft,
                  user: Any) -> Proposal:
    """A collaborator publishes the open draft as a proposal, through ``services.publish`` (so every rule
    of publishing a proposal applies); the draft's author is its author, the other collaborators its
    co-authors, and they all follow it. Commits; on a refusal nothing is changed.

    The read transaction ends first, then the draft's row is claimed by a conditional UPDATE: a second
    publication at the same moment waits for that row and finds the draft published, so there is one
    proposal.
    """
    if not is_collaborator(draft, user):
        raise ProposalError(N_("Only the collaborators of a draft can publish it."))
    await session.commit()
    try:
        now = utcnow()
        claimed = (await session.execute(
            update(CollaborativeDraft)
            .where(CollaborativeDraft.id == draft.id, CollaborativeDraft.state == "open",
                   exists().where(Collaborator.draft_id == draft.id, Collaborator.user_id == user.id))
            .values(state="published", published_at=now)
            .returning(CollaborativeDraft.title, CollaborativeDraft.body, CollaborativeDraft.author_id)
            .execution_options(synchronize_session=False)
        )).one_or_none()
        if claimed is None:
            raise ProposalError(NOT_OPEN)
        collaborators = list((await session.scalars(
            select(Collaborator.user_id).where(Collaborator.draft_id == draft.id).order_by(Collaborator.id)
        )).all())
        author_id = claimed.author_id if claimed.author_id in collaborators else user.id
        proposal = Proposal(component_id=component.id, author_id=author_id, state="draft", language=draft.language,
                            title=claimed.title, body=claimed.body,
                            words=services.words_of(f"{claimed.title} {claimed.body}"))
        session.add(proposal)
        await session.flush()
        for user_id in collaborators:
            if user_id != author_id:
                session.add(Coauthorship(proposal_id=proposal.id, user_id=user_id, created_at=now, accepted_at=now))
                # As a co-author who accepts an invitation does (plugins/proposals/coauthors.py).
                await follow(session, user_id, "proposals.proposal", proposal.id)
        await services.publish(session, registry, component, proposal)
        await session.execute(update(CollaborativeDraft).where(CollaborativeDraft.id == draft.id)
                              .values(proposal_id=proposal.id).execution_options(synchronize_session=False))
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    return proposal


# ------------------------------------------------------------------------------------ contract

async def personal_data(session: AsyncSession, user: Any) -> dict[str, list[dict[str, Any]]]:
    """The drafts this person writes (or wrote) and the access they asked for."""
    drafts = (await session.scalars(
        select(CollaborativeDraft).where(CollaborativeDraft.id.in_(
            select(Collaborator.draft_id).where(Collaborator.user_id == user.id))).order_by(CollaborativeDraft.id)
    )).all()
    requests = (await session.scalars(
        select(AccessRequest).where(AccessRequest.user_id == user.id).order_by(AccessRequest.id))).all()
    return {
        "proposals_collaborative_drafts": [{
            "id": draft.id, "component_id": draft.component_id, "title": draft.title,
            "body": plain_text(draft.body), "state": draft.state, "started_by_you": draft.author_id == user.id,
            "created_at": draft.created_at, "published_at": draft.published_at, "proposal_id": draft.proposal_id,
        } for draft in drafts],
        "proposals_collaborative_draft_requests": [{
            "draft_id": row.draft_id, "state": row.state, "created_at": row.created_at,
            "answered_at": row.answered_at,
        } for row in requests],
    }
