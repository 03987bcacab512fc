"""The rules of proposals: writing, publishing, listing, supporting and answering.

Routes translate HTTP to these calls; every limit lives here and in the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import escape, unescape
from typing import Any
from urllib.parse import urlencode

import msgspec
from sqlalchemy import (
    Integer,
    String,
    and_,
    delete,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core import events, search
from core.categories import services as category_services
from core.categories.models import Category
from core.comments.models import Comment
from core.db import dialect_insert, utcnow
from core.follows import follow
from core.groups import services as groups
from core.i18n import N_, translated
from core.manifest import ResourceInfo, SearchDocument
from core.models import Component, Organization, Space
from core.moderation.services import COMMENT, not_hidden, visible_count
from core.richtext import plain_text, sanitize
from core.scopes import services as scope_services
from core.scopes.models import Scope
from core.spaces import phase_settings_of, settings_of
from plugins.proposals import geolocation, versions
from plugins.proposals.collaborative_draft_models import CollaborativeDraft
from plugins.proposals.events import resource_of
from plugins.proposals.models import SHUFFLE_RANGE, AnswerState, Participant, Proposal, Support
from plugins.proposals.schemas import (
    ProposalDetails,
    ProposalsPhaseSettings,
    ProposalsSettings,
    ProposalText,
)

PER_PAGE = 20
RESOURCE_TYPE = "proposals.proposal"
SIMILAR = 5
ORDERS = ("random", "recent", "most_supported", "most_commented", "most_endorsed")
STATE_FILTERS = ("accepted", "rejected", "evaluating", "not_answered", "withdrawn")
ANSWER_STATE_TOKEN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
"""A component's own answer states (plugins/proposals/evaluation.py) filter the list by their token."""
# The words that make two unrelated proposals look alike, in the three languages of the platform.
_STOP_WORDS = (
    "a al als amb de del dels el els en es et i la les lo los o per perque pel pels que se si un una uns "
    "unes com mes molt tambe cal ha hi ho is no on son sobre "
    "con las para por unos unas como mas muy tambien hay "
    "the an and of to in for are be with that this it as at by or from we our should more"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())


PARTICIPATORY_TEXT = N_("This component holds a participatory text: comment on its articles instead of making "
                        "a proposal.")
"""Why participants make no proposal where the proposals are a text's articles (participatory_texts.py)."""


class ProposalError(Exception):
    """A rule said no; ``message`` is an untranslated message id for the person."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------ settings

def settings(registry: Any, component: Component) -> ProposalsSettings:
    return settings_of(registry, component)  # type: ignore[return-value]


def phase(registry: Any, component: Component) -> ProposalsPhaseSettings:
    return phase_settings_of(registry, component)  # type: ignore[return-value]


# ------------------------------------------------------------------------------------ words

def words_of(text: str) -> str:
    """Lowercase words without accents or markup: "Més arbres, <b>ARA</b>!" → "mes arbres ara"."""
    decomposed = unicodedata.normalize("NFKD", plain_text(text).lower())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.findall(r"[a-z0-9]+", bare))


def _significant(words: str) -> set[str]:
    return {word for word in words.split() if len(word) > 2 and word not in STOP_WORDS}


def _like(word: str) -> str:
    """A LIKE pattern that matches the word literally: the user's % and _ are not wildcards."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# ------------------------------------------------------------------------------------ writing

def _check_creation(registry: Any, component: Component) -> None:
    if settings(registry, component).participatory_texts_enabled:
        raise ProposalError(PARTICIPATORY_TEXT)
    if not phase(registry, component).creation_enabled:
        raise ProposalError(N_("Proposals cannot be created in this phase."))


async def draft_of(session: AsyncSession, component: Component, user: Any) -> Proposal | None:
    """The author's draft in this component: there is at most one, kept between sessions."""
    return await session.scalar(
        select(Proposal).where(Proposal.component_id == component.id, Proposal.author_id == user.id,
                               Proposal.state == "draft")
    )


def _set_text(proposal: Proposal, title: str, body: str) -> None:
    proposal.title = " ".join(title.split())
    proposal.body = text_to_html(body)
    proposal.words = words_of(f"{proposal.title} {proposal.body}")


def text_to_html(text: str) -> str:
    """Plain text from a form as paragraphs of safe HTML: whatever markup it holds is shown, not run."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text.replace("\r", "")) if part.strip()]
    return sanitize("".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs))


def html_to_text(html: str) -> str:
    """The body back as the plain text its author typed, for the edit forms."""
    text = re.sub(r"</p>\s*<p>", "\n\n", re.sub(r"<br\s*/?>", "\n", html))
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


async def save_draft(session: AsyncSession, registry: Any, component: Component, user: Any, text: ProposalText,
                     language: str) -> Proposal:
    """Start (or rewrite) the author's draft with its title and body."""
    _check_creation(registry, component)
    proposal = await draft_of(session, component, user)
    if proposal is None:
        proposal = Proposal(component_id=component.id, author_id=user.id, state="draft", language=language)
        session.add(proposal)
    _set_text(proposal, text.title, text.body)
    proposal.language = language
    await session.flush()
    return proposal


async def complete_draft(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                         details: ProposalDetails) -> None:
    _check_creation(registry, component)
    _set_text(proposal, details.title, details.body)
    proposal.address = details.address or None
    _locate(proposal, details)
    await classify(session, component, proposal, details.category_id, details.scope_id)


def _locate(proposal: Proposal, details: ProposalDetails) -> None:
    try:
        geolocation.locate(proposal, details)
    except geolocation.LocationError as error:
        raise ProposalError(error.message, error.field) from None


async def publish(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                  user_group_id: int | None = None) -> None:
    """Publish a draft: from now on everyone sees it and can support it when the phase allows.

    Its author follows it from now on (so they hear of answers), and followers of the space are told.
    With ``user_group_id`` it is published on behalf of that group, which its author must belong to.
    """
    _check_creation(registry, component)
    if proposal.state != "draft":
        raise ProposalError(N_("This proposal is already published."))
    if user_group_id is not None:
        if proposal.author is None or not await groups.may_act_for(session, proposal.author, user_group_id):
            raise ProposalError(groups.NOT_A_MEMBER)
        proposal.user_group_id = user_group_id
    proposal.state = "published"
    proposal.published_at = utcnow()
    await session.flush()
    await versions.record(session, proposal, proposal.author_id)
    await search.index(session, component, [search_document(proposal)])
    if proposal.author_id is not None:
        await follow(session, proposal.author_id, "proposals.proposal", proposal.id)
    await events.publish(session, "proposals.proposal_published", organization_id=component.space.organization_id,
                         resource=resource_of(registry, component, proposal), actor_id=proposal.author_id)


async def discard_draft(session: AsyncSession, proposal: Proposal) -> None:
    if proposal.state == "draft":
        await session.delete(proposal)


def editable(registry: Any, component: Component, proposal: Proposal, user: Any) -> bool:
    """Authors (and co-authors who accepted) edit their published proposal for a while after publishing
    it, not after."""
    if user is None or not proposal.authored_by(user.id) or proposal.state != "published" or proposal.answer_visible:
        return False
    limit = timedelta(minutes=settings(registry, component).edit_minutes)
    return proposal.published_at is not None and utcnow() - proposal.published_at <= limit


async def lock_text(session: AsyncSession, proposal: Proposal) -> None:
    """Lock the proposal's row until the transaction ends and read its text again, changed maybe by the
    transaction we waited for: an author's edit and accepted amendments then follow one another, each
    version built on the text the one before left (SQLite runs one writer at a time anyway)."""
    await session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
    await session.refresh(proposal, attribute_names=["title", "body", "words", "state"])


async def edit(session: AsyncSession, registry: Any, component: Component, proposal: Proposal, user: Any,
               details: ProposalDetails) -> None:
    if not editable(registry, component, proposal, user):
        raise ProposalError(N_("This proposal can no longer be edited."))
    await lock_text(session, proposal)
    before = (proposal.title, proposal.body)
    _set_text(proposal, details.title, details.body)
    proposal.address = details.address or None
    _locate(proposal, details)
    await classify(session, component, proposal, details.category_id, details.scope_id)
    await versions.record(session, proposal, user.id, before=before)
    await search.index(session, component, [search_document(proposal)])


async def classify(session: AsyncSession, component: Component, proposal: Proposal, category_id: int | None,
                   scope_id: int | None) -> None:
    """File the proposal under one of its space's categories and one of its organization's scopes (or none);
    an id of another space or organization (a forged form) is refused. ``component.space`` is loaded."""
    if not await category_services.is_category_of(session, component.space_id, category_id):
        raise ProposalError(N_("Choose one of this space's categories."), "category_id")
    if not await scope_services.is_scope_of(session, component.space.organization_id, scope_id):
        raise ProposalError(N_("Choose one of the organization's scopes."), "scope_id")
    proposal.category_id, proposal.scope_id = category_id, scope_id


async def reclassify(session: AsyncSession, component: Component, proposal: Proposal, category_id: int | None,
                     scope_id: int | None) -> None:
    """An admin files a proposal anew, whatever its state and its author's edit window; search follows."""
    await classify(session, component, proposal, category_id, scope_id)
    if proposal.state != "draft":
        await search.index(session, component, [search_document(proposal)])


_CLASSIFICATIONS = "proposals.classifications"
STATE_ROWS = "proposals.answer_state_rows"
"""Per component id, its answer states as ``classifications`` read them: (token, name, kind) in order,
for ``evaluation.states_of``, which then needs no query of its own."""


async def classifications(session: AsyncSession, component: Component) -> tuple[list[Any], list[Any]]:
    """The categories of the component's space and the scopes of its organization, in their order: what the
    forms offer, what the list filters by and names.

    One query for both, and for the component's answer states too (a UNION ALL of the three small
    tables), for the list's budget of queries; the rows become detached Category and Scope objects, only
    ever read. The session, which lives as long as the request, remembers them, so the several parts of a
    page that ask cost that one query."""
    known = session.info.setdefault(_CLASSIFICATIONS, {})
    if component.space_id in known:
        categories, scopes = known[component.space_id]
        return list(categories), list(scopes)
    number, text = sa_cast(null(), Integer), sa_cast(null(), String)
    rows = (await session.execute(union_all(
        select(literal("category").label("kind"), Category.id, Category.parent_id, Category.name,
               Category.weight, text.label("code"), number.label("scope_type_id"), Category.created_at,
               text.label("state_kind"))
        .where(Category.space_id == component.space_id),
        select(literal("scope"), Scope.id, Scope.parent_id, Scope.name, number, Scope.code, Scope.scope_type_id,
               Scope.created_at, text)
        .where(Scope.organization_id == component.space.organization_id),
        select(literal("state"), AnswerState.id, number, AnswerState.name, AnswerState.weight, AnswerState.token,
               number, AnswerState.created_at, AnswerState.kind)
        .where(AnswerState.component_id == component.id),
    ))).all()
    categories = [Category(id=row.id, space_id=component.space_id, parent_id=row.parent_id, name=row.name,
                           weight=row.weight, created_at=row.created_at) for row in rows if row.kind == "category"]
    scopes = [Scope(id=row.id, organization_id=component.space.organization_id, parent_id=row.parent_id,
                    name=row.name, code=row.code, scope_type_id=row.scope_type_id, created_at=row.created_at)
              for row in rows if row.kind == "scope"]
    states = sorted((row for row in rows if row.kind == "state"), key=lambda row: (row.weight, row.id))
    session.info.setdefault(STATE_ROWS, {})[component.id] = [(row.code, row.name, row.state_kind) for row in states]
    found = ([category for category, _ in category_services.tree(categories)],
             [scope for scope, _ in scope_services.tree(scopes)])
    known[component.space_id] = found
    return list(found[0]), list(found[1])


async def withdraw(session: AsyncSession, proposal: Proposal, user: Any) -> None:
    """The author takes the proposal back; it stays visible as withdrawn and takes no more supports."""
    if proposal.author_id != user.id or proposal.state != "published":
        raise ProposalError(N_("Only its author can withdraw a published proposal."))
    proposal.state = "withdrawn"
    proposal.withdrawn_at = utcnow()


async def similar(session: AsyncSession, component: Component, proposal: Proposal) -> list[Proposal]:
    """Published proposals of the component that share the most significant words with this one."""
    mine = _significant(proposal.words)
    if not mine:
        return []
    probes = sorted(mine, key=len, reverse=True)[:8]
    candidates = (await session.scalars(
        select(Proposal).where(
            Proposal.component_id == component.id, Proposal.state == "published", Proposal.id != proposal.id,
            Proposal.language == proposal.language, not_hidden(Proposal.id, RESOURCE_TYPE),
            or_(*(Proposal.words.like(_like(word), escape="\\") for word in probes)),
        ).limit(200)
    )).all()
    scored = []
    for candidate in candidates:
        theirs = _significant(candidate.words)
        shared = len(mine & theirs)
        if shared >= 2 or (shared and shared == len(mine)):
            scored.append((shared / len(mine | theirs), candidate))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [candidate for _, candidate in scored[:SIMILAR]]


# ------------------------------------------------------------------------------------ reading

def _readable(component: Component, proposal_id: int):
    # The co-authors come in the same query (a join; ``unique`` folds their rows into one proposal).
    return (
        select(Proposal).options(joinedload(Proposal.author), joinedload(Proposal.coauthorships))
        .where(Proposal.id == proposal_id, Proposal.component_id == component.id,
               not_hidden(Proposal.id, RESOURCE_TYPE))
    )


def _may_read(proposal: Proposal | None, proposal_id: int, user: Any) -> Proposal:
    if proposal is None or (proposal.state == "draft" and (user is None or proposal.author_id != user.id)):
        raise LookupError(proposal_id)
    return proposal


async def proposal_for(session: AsyncSession, component: Component, proposal_id: int, user: Any) -> Proposal:
    """A proposal of this component that this person may read: published or withdrawn, or their own draft."""
    proposal = (await session.scalars(_readable(component, proposal_id))).unique().first()
    return _may_read(proposal, proposal_id, user)


def _published_from() -> Any:
    return CollaborativeDraft.proposal_id == Proposal.id, CollaborativeDraft.component_id == Proposal.component_id


async def collaborative_draft_of(session: AsyncSession, proposal: Proposal) -> tuple[int, str] | None:
    """The id and title of the collaborative draft the proposal was published from, if it was (one query)."""
    row = (await session.execute(select(CollaborativeDraft.id, CollaborativeDraft.title).where(
        CollaborativeDraft.proposal_id == proposal.id, CollaborativeDraft.component_id == proposal.component_id)
        .order_by(CollaborativeDraft.id).limit(1))).first()
    return (row.id, row.title) if row else None


async def proposal_and_support(session: AsyncSession, component: Component, proposal_id: int, user: Any
                               ) -> tuple[Proposal, bool, AnswerState | None, tuple[int, str] | None]:
    """``proposal_for``, whether this person supports it, the component's own answer state the proposal is
    in (None for a built-in one or none) and the collaborative draft it was published from (``collaborative_draft_of``),
    in one query (the proposal page's budget). The state is a detached AnswerState, only ever read."""
    supported = (exists().where(Support.proposal_id == Proposal.id, Support.user_id == user.id)
                 if user is not None else false())
    custom = [Proposal.answer_state.is_not(None), AnswerState.component_id == Proposal.component_id,
              AnswerState.token == Proposal.answer_state]
    draft = select(CollaborativeDraft.id).where(*_published_from()).order_by(CollaborativeDraft.id).limit(1)
    row = (await session.execute(_readable(component, proposal_id).add_columns(
        supported.label("supported"),
        select(AnswerState.name).where(*custom).scalar_subquery().label("state_name"),
        select(AnswerState.kind).where(*custom).scalar_subquery().label("state_kind"),
        draft.scalar_subquery().label("draft_id"),
        draft.with_only_columns(CollaborativeDraft.title).scalar_subquery().label("draft_title"),
    ))).unique(lambda row: row[0].id).first()  # the state's name, a dict, cannot be hashed
    proposal = _may_read(row[0] if row else None, proposal_id, user)
    state = (AnswerState(component_id=component.id, token=proposal.answer_state, name=row.state_name,
                         kind=row.state_kind) if row.state_kind is not None else None)
    return (proposal, bool(row.supported), state,
            (row.draft_id, row.draft_title) if row.draft_id is not None else None)


@dataclass
class Filters:
    """What a visitor may ask the list for; everything else in the query string is ignored."""

    q: str = ""
    state: str = ""
    mine: bool = False
    supported: bool = False
    over_threshold: bool = False
    order: str = "random"
    seed: int = 1
    page: int = 1
    category: int | None = None
    """A category of the space (``narrow`` drops any other), with its subcategories in ``category_ids``."""
    scope: int | None = None
    """A scope of the organization (``narrow`` drops any other), with the scopes inside it in ``scope_ids``."""
    category_ids: tuple[int, ...] = ()
    scope_ids: tuple[int, ...] = ()
    space_in_scope: bool = False
    """Whether the space's own scope is among ``scope_ids``: its proposals without a scope then match too."""
    address: str = ""
    """"with" or "without" an address (geolocation.ADDRESS_FILTERS); empty for both."""

    def narrow(self, categories: Sequence[Any], scopes: Sequence[Any], space_scope_id: int | None) -> Filters:
        """Keep the category and scope asked for only if they are the space's and the organization's, and take
        in what sits inside them (a category's subcategories, a district's neighbourhoods)."""
        category = category_services.pick(categories, self.category)
        scope = scope_services.pick(scopes, self.scope)
        self.category = category.id if category else None
        self.scope = scope.id if scope else None
        self.category_ids = tuple(sorted(category_services.within(categories, category.id))) if category else ()
        self.scope_ids = tuple(sorted(scope_services.within(scopes, scope.id))) if scope else ()
        self.space_in_scope = space_scope_id in self.scope_ids
        return self

    @classmethod
    def parse(cls, params: Any, default_seed: int) -> Filters:
        def flag(name: str) -> bool:
            return params.get(name) in ("1", "on", "true")

        def number(name: str, default: int, low: int, high: int) -> int:
            try:
                return min(max(int(params.get(name, default)), low), high)
            except (TypeError, ValueError):
                return default

        order = params.get("order", "random")
        state = params.get("state", "")
        return cls(
            q=" ".join(str(params.get("q", "")).split())[:100],
            state=state if state in STATE_FILTERS or ANSWER_STATE_TOKEN.match(str(state)) else "",
            mine=flag("mine"), supported=flag("supported"), over_threshold=flag("over_threshold"),
            order=order if order in ORDERS else "random",
            seed=number("seed", default_seed, 1, 999_999), page=number("page", 1, 1, 100_000),
            category=number("category", 0, 0, 2**31 - 1) or None, scope=number("scope", 0, 0, 2**31 - 1) or None,
            address=params.get("address") if params.get("address") in geolocation.ADDRESS_FILTERS else "",
        )

    def query_string(self) -> str:
        """The filters as a query string (without the page), for links that keep them: the map view, the list.
        The seed only in the random order: in any other, the visitor's cookie keeps it for when they go back."""
        values = {"q": self.q, "state": self.state, "order": self.order,
                  "seed": self.seed if self.order == "random" else "",
                  "mine": "1" if self.mine else "", "supported": "1" if self.supported else "",
                  "over_threshold": "1" if self.over_threshold else "", "category": self.category or "",
                  "scope": self.scope or "", "address": self.address}
        return urlencode({name: value for name, value in values.items() if value})


def state_condition(component_id: int, state: str) -> Any:
    """The filter of one answer state: "accepted" and "rejected" take in the component's own states of that
    kind (evaluation.py), through a subquery on its few states, so the list runs no query more."""
    if state in ("accepted", "rejected"):
        return or_(Proposal.answer_state == state, Proposal.answer_state.in_(
            select(AnswerState.token).where(AnswerState.component_id == component_id, AnswerState.kind == state)))
    return Proposal.answer_state == state


def listing_conditions(session: AsyncSession, registry: Any, component: Component, user: Any,
                       filters: Filters, *, moderated: bool = True) -> list[Any]:
    """What a proposal must meet to be in the list as filtered: the list and its map view read by them.
    ``moderated=False`` leaves out "not hidden by moderation", for ``visible_count``."""
    conditions = [Proposal.component_id == component.id]
    if moderated:
        conditions.append(not_hidden(Proposal.id, RESOURCE_TYPE))
    if filters.state == "withdrawn":
        conditions.append(Proposal.state == "withdrawn")
    else:
        conditions.append(Proposal.state == "published")
        answered = Proposal.answer_published_at.is_not(None)
        if filters.state == "not_answered":
            conditions.append(or_(Proposal.answer_state.is_(None), ~answered))
        elif filters.state:
            conditions += [state_condition(component.id, filters.state), answered]
    matching = search.matching(session, RESOURCE_TYPE, filters.q)
    if matching is not None:
        conditions.append(Proposal.id.in_(matching))
    if filters.category_ids:
        conditions.append(Proposal.category_id.in_(filters.category_ids))
    if filters.scope_ids:
        own = Proposal.scope_id.in_(filters.scope_ids)
        # Without a scope of its own, a proposal is about its space's scope.
        conditions.append(or_(own, Proposal.scope_id.is_(None)) if filters.space_in_scope else own)
    if user is not None and filters.mine:
        conditions.append(Proposal.author_id == user.id)
    if user is not None and filters.supported:
        conditions.append(Proposal.id.in_(
            select(Support.proposal_id).where(Support.user_id == user.id, Support.component_id == component.id)))
    threshold = settings(registry, component).threshold_per_proposal
    if filters.over_threshold and threshold:
        conditions.append(Proposal.supports_count >= threshold)
    address = geolocation.address_condition(filters.address)
    if address is not None:
        conditions.append(address)
    return conditions


async def listing(session: AsyncSession, registry: Any, component: Component, user: Any,
                  filters: Filters) -> tuple[Sequence[Proposal], int]:
    """One page of the component's proposals as filtered and ordered, and how many match."""
    unmoderated = listing_conditions(session, registry, component, user, filters, moderated=False)
    conditions = [*unmoderated, not_hidden(Proposal.id, RESOURCE_TYPE)]
    offset = (filters.page - 1) * PER_PAGE
    author = joinedload(Proposal.author)
    if filters.order in ("recent", "most_supported", "most_endorsed"):
        # Two queries, not one with count(*) OVER (): the window makes the database build and sort
        # every match before it can return the first page; alone, the count reads the listing index
        # and the page stops after PER_PAGE rows of it.
        total = await session.scalar(select(visible_count(Proposal.id, RESOURCE_TYPE, unmoderated))) or 0
        key = {"recent": Proposal.published_at, "most_supported": Proposal.supports_count,
               "most_endorsed": Proposal.endorsements_count}[filters.order]
        proposals = (await session.scalars(
            select(Proposal).options(author).where(*conditions).order_by(key.desc(), Proposal.id.desc())
            .limit(PER_PAGE).offset(offset)
        )).all()
        return proposals, total
    if filters.order == "most_commented":
        total = await session.scalar(select(visible_count(Proposal.id, RESOURCE_TYPE, unmoderated))) or 0
        comments = comment_counts(component)
        proposals = (await session.scalars(
            select(Proposal).options(author).outerjoin(comments, comments.c.proposal_id == Proposal.id)
            .where(*conditions).order_by(func.coalesce(comments.c.comments, 0).desc(), Proposal.id.desc())
            .limit(PER_PAGE).offset(offset)
        )).all()
        return proposals, total
    return await _shuffled(session, conditions, unmoderated, filters.seed, offset)


def comment_counts(component: Component) -> Any:
    """How many comments each proposal of the component has that people can read (not deleted, not
    hidden), as a subquery (``proposal_id``, ``comments``): counted when asked, along the comments'
    index on their resource, so no counter has to follow every comment, deletion and moderation."""
    return (select(Comment.resource_id.label("proposal_id"), func.count(Comment.id).label("comments"))
            .where(Comment.component_id == component.id, Comment.resource_type == RESOURCE_TYPE,
                   Comment.deleted_at.is_(None), not_hidden(Comment.id, COMMENT))
            .group_by(Comment.resource_id).subquery())


def shuffle_start(seed: int) -> int:
    """Where a visitor's random order starts (Knuth's multiplicative hash spreads close seeds apart)."""
    return (seed * 2654435761) % SHUFFLE_RANGE


async def _shuffled(session: AsyncSession, conditions: list[Any], unmoderated: list[Any], seed: int,
                    offset: int) -> tuple[Sequence[Proposal], int]:
    """The random order: every proposal holds a random ``shuffle`` number; a visitor's seed picks a
    starting number, and the list runs from there to the end and on from the beginning. Each visitor
    sees another first page, always the same one for their seed, and each part of the list is read
    along the (component, state, shuffle) index, never sorting every proposal.

    The first page reads on from the start and, only if that part runs out, from the beginning. A
    later page needs to know how many proposals lie after the start, which the count tells too.
    """
    after = Proposal.shuffle >= shuffle_start(seed)

    def part(lap: int, limit: int, skip: int) -> Any:
        return (select(Proposal.id, literal(lap).label("lap"), Proposal.shuffle)
                .where(*conditions, after if lap == 0 else ~after)
                .order_by(Proposal.shuffle, Proposal.id).limit(limit).offset(skip))

    def load(*parts: Any) -> Any:
        page = (parts[0] if len(parts) == 1 else union_all(*(select(p.subquery()) for p in parts))).subquery()
        return (select(Proposal).options(joinedload(Proposal.author)).join(page, page.c.id == Proposal.id)
                .order_by(page.c.lap, page.c.shuffle, page.c.id))

    if offset == 0:
        total = await session.scalar(select(visible_count(Proposal.id, RESOURCE_TYPE, unmoderated))) or 0
        proposals = list((await session.scalars(load(part(0, PER_PAGE, 0)))).all())
        if len(proposals) < min(PER_PAGE, total):
            proposals += (await session.scalars(load(part(1, PER_PAGE - len(proposals), 0)))).all()
        return proposals, total
    total, first_lap = (await session.execute(
        select(visible_count(Proposal.id, RESOURCE_TYPE, unmoderated),
               visible_count(Proposal.id, RESOURCE_TYPE, [*unmoderated, after]))
    )).one()
    taken = max(0, min(PER_PAGE, first_lap - offset))
    parts = [part(0, taken, offset)] if taken else []
    if taken < PER_PAGE:
        parts.append(part(1, PER_PAGE - taken, max(0, offset - first_lap)))
    return (await session.scalars(load(*parts))).all(), total


async def supported_ids(session: AsyncSession, user: Any, proposal_ids: Sequence[int]) -> set[int]:
    """Which of these proposals this person supports (one query for a whole page)."""
    if user is None or not proposal_ids:
        return set()
    return set((await session.scalars(
        select(Support.proposal_id).where(Support.user_id == user.id, Support.proposal_id.in_(proposal_ids))
    )).all())


async def supports_given(session: AsyncSession, component: Component, user: Any) -> int:
    if user is None:
        return 0
    return await session.scalar(select(Participant.supports_given).where(
        Participant.component_id == component.id, Participant.user_id == user.id)) or 0


# ------------------------------------------------------------------------------------ supports

def may_support(registry: Any, component: Component) -> bool:
    current = phase(registry, component)
    return current.supports_enabled and not current.supports_blocked


async def retrying(session: AsyncSession, write: Any) -> Any:
    """Run a write transaction and commit it, again if the database chose it as a deadlock victim or was
    busy; for every one-per-person write of the plugin (supports, endorsements)."""
    for attempt in range(5):
        try:
            result = await write()
            await session.commit()
            return result
        except ProposalError:
            await session.rollback()
            raise
        except DBAPIError as error:
            await session.rollback()
            code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
            transient = code in ("40P01", "40001") or "database is locked" in str(error.orig)
            if not transient or attempt == 4:
                raise
    raise AssertionError("unreachable")


async def support(session: AsyncSession, registry: Any, component: Component, proposal_id: int, user: Any) -> None:
    """Support a proposal, within every limit, or raise ProposalError saying which limit said no.

    The current read transaction ends first: on SQLite a transaction that has read and then
    writes can be refused, and the limits below must be read and written in one step anyway.
    Each limit is a conditional UPDATE of the row that holds its counter (the participant's row,
    then the proposal's), so concurrent supports wait for each other and re-check the limit.
    """
    if not may_support(registry, component):
        raise ProposalError(N_("Supports are closed in this phase."))
    rules = settings(registry, component)
    await session.commit()

    async def write() -> None:
        await session.execute(dialect_insert(session)(Participant).values(
            component_id=component.id, user_id=user.id, supports_given=0).on_conflict_do_nothing())
        given_condition = [Participant.component_id == component.id, Participant.user_id == user.id]
        if rules.supports_per_participant:
            given_condition.append(Participant.supports_given < rules.supports_per_participant)
        given, counted = (await session.execute(
            update(Participant).where(*given_condition)
            .values(supports_given=Participant.supports_given + 1)
            .returning(Participant.supports_given, Participant.counting)
        )).one_or_none() or (None, False)
        if given is None:
            raise ProposalError(N_("You have used all your supports in this space."))
        inserted = (await session.execute(
            dialect_insert(session)(Support).values(proposal_id=proposal_id, user_id=user.id,
                                                   component_id=component.id, created_at=utcnow())
            .on_conflict_do_nothing().returning(Support.id)
        )).scalar()
        if inserted is None:
            raise ProposalError(N_("You already support this proposal."))
        counts = given >= rules.minimum_supports_per_participant
        proposal_condition = [Proposal.id == proposal_id, Proposal.component_id == component.id,
                              Proposal.state == "published"]
        if rules.threshold_per_proposal and not rules.can_exceed_threshold:
            proposal_condition.append(Proposal.supports_total < rules.threshold_per_proposal)
        changed = (await session.execute(
            update(Proposal).where(*proposal_condition).values(
                supports_total=Proposal.supports_total + 1,
                supports_count=Proposal.supports_count + (1 if counts else 0),
            ).returning(Proposal.id)
        )).scalar()
        if changed is None:
            state = await session.scalar(select(Proposal.state).where(
                Proposal.id == proposal_id, Proposal.component_id == component.id))
            if state == "published":
                raise ProposalError(N_("This proposal has reached its threshold and takes no more supports."))
            raise ProposalError(N_("This proposal cannot be supported."))
        # Reaching the minimum makes the earlier supports count too (or, after the minimum was
        # raised, a person who had stopped counting starts again).
        await _set_counting(session, component, user, proposal_id, counted, counts)
        threshold = rules.threshold_per_proposal
        if threshold and counts:
            reached = await session.scalar(select(Proposal).where(
                Proposal.id == proposal_id, Proposal.supports_count == threshold))
            if reached is not None:
                await events.publish(
                    session, "proposals.threshold_reached", organization_id=component.space.organization_id,
                    resource=resource_of(registry, component, reached), actor_id=None,
                    recipients=[reached.author_id] if reached.author_id else [])

    await retrying(session, write)


async def withdraw_support(session: AsyncSession, registry: Any, component: Component, proposal_id: int,
                           user: Any) -> None:
    """Take a support back (while supports are open), keeping every counter right."""
    if not may_support(registry, component):
        raise ProposalError(N_("Supports are closed in this phase."))
    rules = settings(registry, component)
    await session.commit()

    async def write() -> None:
        given, counted = (await session.execute(
            update(Participant).where(Participant.component_id == component.id, Participant.user_id == user.id,
                                      Participant.supports_given > 0)
            .values(supports_given=Participant.supports_given - 1)
            .returning(Participant.supports_given, Participant.counting)
        )).one_or_none() or (None, False)
        removed = (await session.execute(
            delete(Support).where(Support.proposal_id == proposal_id, Support.user_id == user.id,
                                  Support.component_id == component.id).returning(Support.id)
        )).scalar()
        if given is None or removed is None:
            raise ProposalError(N_("You do not support this proposal."))
        # The support taken back counted if the person's supports counted until now.
        await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(
            supports_total=Proposal.supports_total - 1,
            supports_count=Proposal.supports_count - (1 if counted else 0),
        ))
        # Below the minimum now: the supports they keep stop counting (or start, if it was lowered).
        await _set_counting(session, component, user, proposal_id, counted,
                            given >= rules.minimum_supports_per_participant)

    await retrying(session, write)


async def _set_counting(session: AsyncSession, component: Component, user: Any, proposal_id: int,
                        counted: bool, counts: bool) -> None:
    """When a person's supports start or stop counting, record it and add or take one from each
    proposal they support (besides ``proposal_id``, which the caller has counted already)."""
    if counted == counts:
        return
    await session.execute(update(Participant).where(
        Participant.component_id == component.id, Participant.user_id == user.id).values(counting=counts))
    others = select(Support.proposal_id).where(Support.user_id == user.id, Support.component_id == component.id,
                                               Support.proposal_id != proposal_id)
    await session.execute(update(Proposal).where(Proposal.id.in_(others))
                          .values(supports_count=Proposal.supports_count + (1 if counts else -1)))


# ------------------------------------------------------------------------------------ answers

async def _tell_answered(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                         actor_id: int | None) -> None:
    await events.publish(session, "proposals.proposal_answered", organization_id=component.space.organization_id,
                         resource=resource_of(registry, component, proposal), actor_id=actor_id,
                         recipients=[proposal.author_id] if proposal.author_id else [])


async def publish_answers(session: AsyncSession, registry: Any, component: Component) -> int:
    """Publish every answer of the component that is still kept back; how many were published."""
    proposals = (await session.scalars(
        update(Proposal).where(Proposal.component_id == component.id, Proposal.answer_state.is_not(None),
                               Proposal.answer_published_at.is_(None))
        .values(answer_published_at=utcnow()).returning(Proposal)
    )).all()
    for proposal in proposals:
        await _tell_answered(session, registry, component, proposal, actor_id=None)
    return len(proposals)


# ------------------------------------------------------------------------------------ contract

async def commentable_proposal(session: AsyncSession, component: Component, proposal_id: int) -> ResourceInfo | None:
    """Comments and reports: a published or withdrawn proposal of this component (drafts are nobody's business)."""
    proposal = await session.scalar(select(Proposal).where(Proposal.id == proposal_id,
                                                           Proposal.component_id == component.id))
    if proposal is None:
        return None
    return ResourceInfo(title=proposal.title, path=f"/{proposal.id}", visible=proposal.state != "draft",
                        author_id=proposal.author_id)


async def author_may_attach(session: AsyncSession, registry: Any, component: Component, proposal_id: int,
                            user: Any) -> bool:
    """Attachments: the author adds and removes files while writing the draft and while they may edit it."""
    proposal = await session.scalar(select(Proposal).where(Proposal.id == proposal_id,
                                                           Proposal.component_id == component.id))
    if proposal is None or user is None or proposal.author_id != user.id:
        return False
    return proposal.state == "draft" or editable(registry, component, proposal, user)


def _public(component_ids: Any) -> Any:
    return and_(Proposal.component_id.in_(component_ids), Proposal.state.in_(("published", "withdrawn")),
                not_hidden(Proposal.id, RESOURCE_TYPE))


async def count_proposals(session: AsyncSession, component_ids: Sequence[int]) -> int:
    return await session.scalar(select(func.count(Proposal.id)).where(_public(component_ids))) or 0


async def count_supports(session: AsyncSession, component_ids: Sequence[int]) -> int:
    return await session.scalar(select(func.count(Support.id)).where(Support.component_id.in_(component_ids))) or 0


async def participation(session: AsyncSession, component: Component) -> int:
    """Proposals (drafts too: someone wrote them) and supports: a component with any is archived, not deleted."""
    proposals = await session.scalar(select(func.count(Proposal.id)).where(Proposal.component_id == component.id))
    return (proposals or 0) + await count_supports(session, [component.id])


def participants(component_ids: Any) -> Any:
    """Who took part (for core to address them, e.g. a newsletter to a space's participants): authors
    of proposals they published (a draft is nobody's participation yet) and supporters."""
    return union(
        select(Proposal.author_id).where(Proposal.component_id.in_(component_ids), Proposal.state != "draft",
                                         Proposal.author_id.is_not(None)),
        select(Support.user_id).where(Support.component_id.in_(component_ids)),
    )


def participants_in_scopes(scope_ids: Any) -> Any:
    """Who took part with proposals of these scopes, wherever they are (a newsletter to a district): authors of
    the published ones and their supporters. Proposals without a scope of their own count through their
    space (core asks ``participants`` for the spaces of these scopes)."""
    about = select(Proposal.id).where(Proposal.scope_id.in_(scope_ids), Proposal.state != "draft")
    return union(
        select(Proposal.author_id).where(Proposal.id.in_(about), Proposal.author_id.is_not(None)),
        select(Support.user_id).where(Support.proposal_id.in_(about)),
    )


async def _public_proposals(session: AsyncSession, component: Component):
    return (await session.stream_scalars(
        select(Proposal).where(_public([component.id])).order_by(Proposal.id).execution_options(yield_per=500)
    ))


async def search_documents(session: AsyncSession, component: Component):
    async for proposal in await _public_proposals(session, component):
        yield search_document(proposal)


def search_document(proposal: Proposal) -> SearchDocument:
    return SearchDocument(
        resource_type=RESOURCE_TYPE, resource_id=proposal.id, path=f"/{proposal.id}",
        title={proposal.language: proposal.title}, text={proposal.language: plain_text(proposal.body)},
        published_at=proposal.published_at, scope_id=proposal.scope_id,
    )


async def export_rows(session: AsyncSession, component: Component):
    """One row per public proposal; answers only once published; supports only where they are shown; nothing
    that identifies a supporter.
    The category and the (proposal's own) scope by id and by name in the organization's default language:
    both come joined with each proposal, so a row costs no query."""
    locale = await session.scalar(select(Organization.default_locale).join(
        Space, Space.organization_id == Organization.id).where(Space.id == component.space_id))
    # A component that hides how many supports each proposal has does not publish them here either.
    counts_shown = not msgspec.convert(component.settings or {}, ProposalsSettings).supports_hidden
    async for proposal in await _public_proposals(session, component):
        published = proposal.answer_visible
        yield {
            "id": proposal.id, "title": proposal.title, "body": plain_text(proposal.body),
            "language": proposal.language, "state": proposal.state, "official": proposal.official,
            "address": proposal.address, "published_at": proposal.published_at.isoformat()
            if proposal.published_at else None,
            "latitude": proposal.latitude, "longitude": proposal.longitude,
            "supports": proposal.supports_count if counts_shown else None,
            "answer_state": proposal.answer_state if published else None,
            "answer": proposal.answer if published else {},
            "cost": proposal.answer_cost if published else None,
            "category_id": proposal.category_id,
            "category": translated(proposal.category.name, locale) if proposal.category is not None else "",
            "scope_id": proposal.scope_id,
            "scope": translated(proposal.scope.name, locale) if proposal.scope is not None else "",
        }


async def personal_data(session: AsyncSession, user: Any) -> dict[str, list[dict[str, Any]]]:
    """Everything this plugin keeps about one person: their proposals (whatever their state) and their supports."""
    proposals = (await session.scalars(
        select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id))).all()
    supports = (await session.scalars(
        select(Support).where(Support.user_id == user.id).order_by(Support.id))).all()
    return {
        "proposals_proposals": [{
            "id": proposal.id, "component_id": proposal.component_id, "title": proposal.title,
            "body": plain_text(proposal.body), "language": proposal.language, "state": proposal.state,
            "address": proposal.address, "created_at": proposal.created_at,
            "published_at": proposal.published_at, "withdrawn_at": proposal.withdrawn_at,
        } for proposal in proposals],
        "proposals_supports": [{"proposal_id": support.proposal_id, "component_id": support.component_id,
                                "created_at": support.created_at} for support in supports],
    }
