"""The rules of moderation: which resources exist and may be seen, reports, hiding, and the filter
that keeps hidden things out of every list.

A resource is ``(resource_type, resource_id)``: a comment ("comments.comment") or something a
component declares in its manifest's ``commentable``. Plugins leave hidden things out of their lists,
pages, exports and search with ``not_hidden(Model.id, "plugin.thing")`` in a query, or with
``hidden_ids``/``is_hidden`` for things already loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from core import adminlog
from core.accounts.models import User
from core.comments.models import Comment
from core.db import UTCDateTime, dialect_insert, utcnow
from core.events import REGISTRY, Resource, publish
from core.i18n import N_, translated
from core.manifest import Commentable, EventType, ResourceInfo
from core.models import Component, Organization, Space
from core.moderation.models import REASONS, Moderation, Report
from core.spaces.public import component_url

COMMENT = "comments.comment"
"""The resource type of comments themselves, in reports and in the moderation tables."""
PER_PAGE = 30
EXCERPT = 300
MAX_ID = 2**31 - 1
"""Ids are 32-bit integers on PostgreSQL: a bigger number from a form is no resource, not an error."""

REASON_LABELS = {
    "spam": N_("Spam: advertising, scams or repeated messages"),
    "offensive": N_("Offensive: insults, harassment, hate or discrimination"),
    "does_not_belong": N_("It does not belong here: off topic, personal data, illegal content"),
    "other": N_("Another reason"),
}
DETAILS_NEEDED = N_("Tell the moderators what the problem is.")
ALREADY_REPORTED = N_("You have already reported this; the moderators will review it.")
OWN_CONTENT = N_("You cannot report what you wrote yourself.")
CONTENT_HIDDEN = "moderation.content_hidden"
EVENT_TYPES = [
    EventType(name=CONTENT_HIDDEN, title=N_("Your contributions hidden by moderation"),
              message=N_("What you wrote, \u201c%(resource)s\u201d, is hidden after reports or by a moderator: "
                         "nobody sees it now. If you think this is a mistake, write to the organization."),
              followers=False),
]
"""Told to the author alone: their followers must not learn of it from a notification."""


class ModerationError(Exception):
    """A refused report or moderation step; ``message`` is a message id."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ResourceNotFound(LookupError):
    """No such resource in this component, or one nobody may see (unpublished, hidden): a 404."""


# ---------------------------------------------------------------- the filter plugins use


def not_hidden(column: Any, resource_type: str) -> ColumnElement[bool]:
    """A WHERE condition keeping rows whose ``column`` (the id) is not hidden by moderation:
    ``select(Proposal).where(not_hidden(Proposal.id, "proposals.proposal"))``."""
    # NOT IN, not NOT EXISTS: the few hidden ids are read once (SQLite keeps them in a small in-memory
    # index, PostgreSQL hashes them) instead of a lookup per row, a third faster over a long list.
    return column.not_in(select(Moderation.resource_id).where(Moderation.resource_type == resource_type,
                                                              Moderation.hidden_at.is_not(None)))


def visible_count(column: Any, resource_type: str, conditions: Sequence[Any]) -> Any:
    """How many rows meet ``conditions`` and are not hidden, as a scalar subquery: all of them counted along
    an index, less the hidden ones among them (found by their few ids). A long list's count checked row by
    row against the hidden ids (``not_hidden``) costs three times as much on SQLite."""
    hidden = column.in_(select(Moderation.resource_id).where(Moderation.resource_type == resource_type,
                                                             Moderation.hidden_at.is_not(None)))
    every = select(func.count()).select_from(column.table).where(*conditions).scalar_subquery()
    taken_off = select(func.count()).select_from(column.table).where(*conditions, hidden).scalar_subquery()
    return every - taken_off


async def hidden_ids(session: AsyncSession, resource_type: str, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` are hidden by moderation (one query; none for no ids)."""
    wanted = list(ids)
    if not wanted:
        return set()
    return set(await session.scalars(select(Moderation.resource_id).where(
        Moderation.resource_type == resource_type, Moderation.resource_id.in_(wanted),
        Moderation.hidden_at.is_not(None))))


async def is_hidden(session: AsyncSession, resource_type: str, resource_id: int) -> bool:
    """Whether one resource is hidden by moderation."""
    return bool(await hidden_ids(session, resource_type, [resource_id]))


# ---------------------------------------------------------------- resources of components


def commentable_of(registry: Any, component: Component, resource_type: str) -> Commentable | None:
    """The declaration of ``resource_type`` in the component's manifest, if it declares it."""
    manifest = registry.component_types.get(component.component_type)
    if manifest is None:
        return None
    return next((item for item in manifest.commentable if item.resource_type == resource_type), None)


async def visible_resource(session: AsyncSession, registry: Any, component: Component, resource_type: str,
                           resource_id: int | None) -> ResourceInfo:
    """The resource as its plugin describes it, with ``path`` made absolute, when it belongs to this
    component, is visible and is not hidden by moderation; else ``ResourceNotFound``."""
    declared = commentable_of(registry, component, resource_type)
    if declared is None or not valid_id(resource_id):
        raise ResourceNotFound(resource_type)
    info = await declared.load(session, component, resource_id)
    if info is None or not info.visible or await is_hidden(session, resource_type, resource_id):
        raise ResourceNotFound(resource_type)
    return ResourceInfo(title=info.title, path=component_url(registry, component) + info.path, visible=True,
                        author_id=info.author_id)


def valid_id(value: int | None) -> bool:
    """Whether ``value`` can be the id of a row."""
    return value is not None and 0 < value <= MAX_ID


@dataclass(frozen=True)
class Reported:
    """What a report is about, as the moderation page keeps it."""

    resource_type: str
    resource_id: int
    excerpt: str
    path: str
    author_id: int | None


async def reportable(session: AsyncSession, registry: Any, component: Component, resource_type: str,
                     resource_id: int | None) -> Reported:
    """A comment or a reportable resource of this component that anybody may see; else ``ResourceNotFound``."""
    if not valid_id(resource_id):
        raise ResourceNotFound(resource_type)
    if resource_type == COMMENT:
        comment = await session.scalar(select(Comment).where(
            Comment.id == resource_id, Comment.component_id == component.id, Comment.deleted_at.is_(None)))
        if comment is None or await is_hidden(session, COMMENT, comment.id):
            raise ResourceNotFound(resource_type)
        resource = await visible_resource(session, registry, component, comment.resource_type, comment.resource_id)
        return Reported(COMMENT, comment.id, _excerpt(comment.body), f"{resource.path}#comment-{comment.id}",
                        comment.author_id)
    declared = commentable_of(registry, component, resource_type)
    if declared is None or not declared.reportable:
        raise ResourceNotFound(resource_type)
    resource = await visible_resource(session, registry, component, resource_type, resource_id)
    title = resource.title if isinstance(resource.title, str) else translated(resource.title)
    return Reported(resource_type, resource_id, _excerpt(title), resource.path, resource.author_id)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


# ---------------------------------------------------------------- reports


async def report(session: AsyncSession, settings: Any, component: Component, user: User, reported: Reported,
                 reason: str, details: str = "") -> Moderation:
    """Record ``user``'s report; at ``settings.reports_to_hide`` reports the resource is hidden at once.

    One report per person and resource (a unique constraint, so two parallel reports by one person
    count once); the count is raised by one UPDATE in the same transaction, so none is lost. The
    caller commits.
    """
    if reason not in REASONS:
        raise ModerationError(N_("Choose one of the options."), "reason")
    details = details.strip()
    if reason == "other" and not details:
        raise ModerationError(DETAILS_NEEDED, "details")
    if reported.author_id == user.id:
        raise ModerationError(OWN_CONTENT)
    now = utcnow()
    insert = dialect_insert(session)
    await session.execute(
        insert(Moderation).values(
            organization_id=component.space.organization_id, space_id=component.space_id, component_id=component.id,
            resource_type=reported.resource_type, resource_id=reported.resource_id, excerpt=reported.excerpt,
            path=reported.path, author_id=reported.author_id, report_count=0, created_at=now,
        ).on_conflict_do_nothing(index_elements=["resource_type", "resource_id"])
    )
    moderation_id = await session.scalar(select(Moderation.id).where(
        Moderation.resource_type == reported.resource_type, Moderation.resource_id == reported.resource_id))
    added = (await session.execute(
        insert(Report).values(moderation_id=moderation_id, user_id=user.id, reason=reason, details=details,
                              created_at=now)
        .on_conflict_do_nothing(index_elements=["moderation_id", "user_id"]).returning(Report.id)
    )).first()
    if added is None:
        raise ModerationError(ALREADY_REPORTED)
    # One UPDATE counts the report and, at the threshold, hides the resource (hidden_by_id stays
    # None: nobody hid it, the reports did).
    reached = case((Moderation.report_count + 1 >= settings.reports_to_hide, literal(now, UTCDateTime())), else_=None)
    await session.execute(
        update(Moderation).where(Moderation.id == moderation_id).values(
            report_count=Moderation.report_count + 1, reported_at=now,
            hidden_at=func.coalesce(Moderation.hidden_at, reached),
        ).execution_options(synchronize_session=False)
    )
    moderation = await session.get(Moderation, moderation_id, populate_existing=True)
    assert moderation is not None
    if moderation.hidden_at == now:  # hidden by this report, not before
        await _tell_author(session, component, moderation, actor_id=None)
    return moderation


# ---------------------------------------------------------------- the moderation page


@dataclass
class ModerationItem:
    """One row of the moderation page."""

    moderation: Moderation
    component: Component
    author: User | None
    reasons: list[tuple[str, int]]
    details: list[str]


async def moderations_of(session: AsyncSession, space: Space, hidden: bool, page: int = 1
                         ) -> tuple[list[ModerationItem], int]:
    """The space's reported resources waiting for review (or its hidden ones), most reported first, with
    the reasons counted and the details people wrote; four queries whatever the number of rows."""
    condition = [Moderation.space_id == space.id, Moderation.organization_id == space.organization_id]
    if hidden:
        condition.append(Moderation.hidden_at.is_not(None))
    else:
        condition += [Moderation.hidden_at.is_(None), Moderation.report_count > 0]
    total = await session.scalar(select(func.count(Moderation.id)).where(*condition)) or 0
    author = aliased(User)
    rows = (await session.execute(
        select(Moderation, Component, author)
        .join(Component, Component.id == Moderation.component_id)
        .outerjoin(author, author.id == Moderation.author_id)
        .where(*condition)
        .order_by(Moderation.report_count.desc(), Moderation.reported_at.desc(), Moderation.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    items = [ModerationItem(moderation, component, person, [], []) for moderation, component, person in rows]
    by_id = {item.moderation.id: item for item in items}
    if by_id:
        for moderation_id, reason, count in await session.execute(
            select(Report.moderation_id, Report.reason, func.count(Report.id))
            .where(Report.moderation_id.in_(list(by_id)))
            .group_by(Report.moderation_id, Report.reason)
            .order_by(Report.moderation_id, func.count(Report.id).desc(), Report.reason)
        ):
            by_id[moderation_id].reasons.append((reason, count))
        for moderation_id, details in await session.execute(
            select(Report.moderation_id, Report.details)
            .where(Report.moderation_id.in_(list(by_id)), Report.details != "")
            .order_by(Report.id)
        ):
            by_id[moderation_id].details.append(details)
    return items, total


async def moderation_of(session: AsyncSession, space: Space, moderation_id: int) -> Moderation | None:
    """A moderation of this space (None for another space's)."""
    return await session.scalar(select(Moderation).where(
        Moderation.id == moderation_id, Moderation.space_id == space.id,
        Moderation.organization_id == space.organization_id))


async def hide(session: AsyncSession, space: Space, moderation: Moderation, moderator: User) -> None:
    """Hide a resource everywhere until a moderator unhides it; written to the admin log."""
    if moderation.hidden_at is None:
        moderation.hidden_at, moderation.hidden_by_id = utcnow(), moderator.id
        component = await session.scalar(select(Component).where(Component.id == moderation.component_id)
                                         .options(selectinload(Component.space)))
        if component is not None:
            await _tell_author(session, component, moderation, actor_id=moderator.id)
    adminlog.record(session, space.organization_id, moderator, "moderation.hide", _target(moderation),
                    space_id=space.id, resource_type=moderation.resource_type, resource_id=moderation.resource_id)


async def unhide(session: AsyncSession, space: Space, moderation: Moderation, moderator: User) -> None:
    """Show a resource again (or keep a reported one visible) and clear its reports; written to the admin log."""
    action = "moderation.unhide" if moderation.hidden_at is not None else "moderation.dismiss"
    moderation.hidden_at, moderation.hidden_by_id, moderation.report_count = None, None, 0
    await session.execute(delete(Report).where(Report.moderation_id == moderation.id))
    adminlog.record(session, space.organization_id, moderator, action, _target(moderation),
                    space_id=space.id, resource_type=moderation.resource_type, resource_id=moderation.resource_id)


async def author_of(session: AsyncSession, organization: Organization, moderation: Moderation) -> User | None:
    """The author of a reported resource, if they are a person of this organization and still have an account."""
    if moderation.author_id is None:
        return None
    return await session.scalar(select(User).where(
        User.id == moderation.author_id, User.organization_id == organization.id, User.deleted_at.is_(None)))


async def _tell_author(session: AsyncSession, component: Component, moderation: Moderation,
                       actor_id: int | None) -> None:
    """Tell the author that what they wrote is hidden (nobody else: ``followers=False``). The link goes to
    the component, which they can still open, not to the hidden thing."""
    if moderation.author_id is None:
        return
    await publish(session, CONTENT_HIDDEN, organization_id=component.space.organization_id, actor_id=actor_id,
                  recipients=[moderation.author_id],
                  resource=Resource(type=moderation.resource_type, id=moderation.resource_id,
                                    title=moderation.excerpt or "…",
                                    path=component_url(session.info[REGISTRY], component)))


def _target(moderation: Moderation) -> str:
    return moderation.excerpt[:255]
