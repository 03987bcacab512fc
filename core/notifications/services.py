"""Who is told of an event, the in-app list, delivery preferences and the mail summaries.

``core.dispatch_event`` runs once an event's transaction has committed: it gives a notification to
each recipient and, for people who want mail at once, puts a message in the outbox. The summaries
(``core.send_daily_digests``, ``core.send_weekly_digests``) gather the notifications nobody has
read or been mailed yet into one message per person and period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from huey import crontab
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import outbox
from core.accounts.models import User
from core.activity.services import visible
from core.db import dialect_insert, utcnow
from core.events import Event
from core.follows import Follow
from core.i18n import N_
from core.manifest import Task
from core.models import Organization, Space, SpaceMember
from core.notifications.mails import event_title, render_mail, site_url
from core.notifications.models import DEFAULT_DELIVERY, Notification, NotificationPreference
from core.roles import OrganizationRole, SpaceRole

PER_PAGE = 20
CHUNK = 500
DIGEST_LIMIT = 50
"""A summary lists this many notifications, newest first, and links to the page for the rest."""
DIGEST_HOUR = 6
"""UTC hour of the summaries: in the inbox in the morning in Europe."""
PENDING_GRACE = timedelta(minutes=1)
"""Committed events younger than this are left to the dispatch their commit queued."""
DIGEST_SUBJECTS = {"daily": N_("Your daily summary"), "weekly": N_("Your weekly summary")}


def _actor() -> Any:
    """Who acted, beside the person the notification is for (aliased when used: mappers are
    configured only once every table module is imported)."""
    return aliased(User)


# ---------------------------------------------------------------- recipients and dispatch


async def author_followers(session: AsyncSession, registry: Any, event: Event) -> ColumnElement[bool] | None:
    """Who of the followers of the person who acted are told of ``event`` (a condition on ``User``), or None.

    Only for a type that says so (``EventType.author_followers``), an actor who is still active, and what
    the event is about as public activity shows it now (``core.activity.services.visible``: a published
    space and component, nothing hidden by moderation or deleted), so a draft, an unpublished component or
    hidden content reaches nobody. In a published private space only its members, the people with a role
    in it and the organization's admins, who see it, are told. An action on behalf of a group
    (``user_group_id``) is still the person's: their followers are told (groups are not followed).
    """
    declared = registry.event_types.get(event.event_type)
    if event.actor_id is None or declared is None or not declared.author_followers or event.space_id is None:
        return None
    active_actor = exists().where(User.id == event.actor_id, User.deleted_at.is_(None), User.blocked_at.is_(None))
    private = await session.scalar(
        visible(select(Space.private).select_from(Event), registry, event.organization_id, private=True)
        .where(Event.id == event.id, active_actor)
    )
    if private is None:
        return None
    condition = User.id.in_(select(Follow.user_id).where(Follow.resource_type == "user",
                                                         Follow.resource_id == event.actor_id))
    if not private:
        return condition
    return and_(condition, or_(
        User.id.in_(select(SpaceMember.user_id).where(SpaceMember.space_id == event.space_id)),
        User.id.in_(select(SpaceRole.user_id).where(SpaceRole.space_id == event.space_id)),
        User.id.in_(select(OrganizationRole.user_id).where(OrganizationRole.organization_id == event.organization_id,
                                                           OrganizationRole.role == "admin")),
    ))


async def recipients(session: AsyncSession, event: Event, followers: bool = True,
                     also: ColumnElement[bool] | None = None) -> Sequence[Any]:
    """(user, delivery) of everyone told of ``event``: followers of its resource and of the resource's
    parents (unless its type says otherwise: ``EventType.followers``), the people the publisher named and
    those ``also`` chooses (``author_followers``), each once; never the actor, and only active people of
    the event's organization."""
    followed = [(event.resource_type, event.resource_id), *((kind, ident) for kind, ident in event.parents)]
    following = select(Follow.user_id).where(or_(*(
        and_(Follow.resource_type == kind, Follow.resource_id == ident) for kind, ident in followed
    )))
    told: list[ColumnElement[bool]] = [User.id.in_(following)] if followers else []
    if event.recipients or not told:
        told.append(User.id.in_(event.recipients))
    if also is not None:
        told.append(also)
    chosen = or_(*told) if len(told) > 1 else told[0]
    query = (
        select(User, func.coalesce(NotificationPreference.delivery, DEFAULT_DELIVERY))
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.organization_id == event.organization_id, User.deleted_at.is_(None), User.blocked_at.is_(None),
               chosen)
        .order_by(User.id)
    )
    if event.actor_id is not None:
        query = query.where(User.id != event.actor_id)
    return (await session.execute(query)).all()


async def dispatch(ctx: Any, event_id: int) -> int:
    """Notify the recipients of a committed event, once; how many were notified (0 when already done)."""
    async with ctx.sessionmaker() as session:
        # The first statement writes: the event is ours until this transaction ends (SQLite: the
        # writer's lock from the start; PostgreSQL: the row's lock, so a second dispatcher waits,
        # then finds it dispatched).
        claimed = await session.execute(
            update(Event).where(Event.id == event_id, Event.dispatched_at.is_(None)).values(dispatched_at=utcnow())
        )
        if claimed.rowcount != 1:
            await session.rollback()
            return 0
        event = await session.get(Event, event_id)
        assert event is not None
        declared = ctx.registry.event_types.get(event.event_type)
        people = await recipients(session, event, followers=declared is None or declared.followers,
                                  also=await author_followers(session, ctx.registry, event))
        now = utcnow()
        for start in range(0, len(people), CHUNK):
            await session.execute(
                dialect_insert(session)(Notification)
                .values([{"user_id": user.id, "event_id": event.id, "created_at": now}
                         for user, _ in people[start:start + CHUNK]])
                .on_conflict_do_nothing(index_elements=["event_id", "user_id"])
            )
        at_once = [user for user, delivery in people if delivery == "immediate" and user.confirmed_at is not None]
        if at_once:
            await _mail_at_once(ctx, session, event, at_once, now)
        await session.commit()
    if at_once and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    return len(people)


async def _mail_at_once(ctx: Any, session: AsyncSession, event: Event, people: list[User], now: datetime) -> None:
    organization = await session.get(Organization, event.organization_id)
    assert organization is not None
    actor = await session.scalar(select(User.name).where(User.id == event.actor_id)) if event.actor_id else None
    base_url = await site_url(session, organization)
    for user in people:
        subject, text, headers = render_mail(ctx.settings, ctx.registry, organization, user, "notification",
                                             event_title(ctx.registry, event), base_url, [(event, actor)])
        await outbox.enqueue(session, key=f"notification:{event.id}:{user.id}", organization_id=organization.id,
                             user_id=user.id, to=user.email, subject=subject, text=text, headers=headers)
    for start in range(0, len(people), CHUNK):
        await session.execute(
            update(Notification)
            .where(Notification.event_id == event.id,
                   Notification.user_id.in_([user.id for user in people[start:start + CHUNK]]))
            .values(mailed_at=now)
        )


async def dispatch_event_task(ctx: Any, event_id: int) -> int:
    """Task ``core.dispatch_event``, queued by the session that committed the event."""
    return await dispatch(ctx, event_id)


async def dispatch_pending_events_task(ctx: Any) -> int:
    """Task ``core.dispatch_pending_events``: events committed but never dispatched (the process died
    between the commit and the queueing, or the queue was down)."""
    async with ctx.sessionmaker() as session:
        waiting = (await session.scalars(
            select(Event.id).where(Event.dispatched_at.is_(None), Event.created_at < utcnow() - PENDING_GRACE)
            .order_by(Event.id).limit(CHUNK)
        )).all()
    return sum([await dispatch(ctx, event_id) for event_id in waiting])


# ---------------------------------------------------------------- the in-app list


async def page_of(session: AsyncSession, user_id: int, page: int) -> tuple[Sequence[Any], int, int]:
    """(notification, event, actor name) rows of one page, newest first, the page shown (an
    out-of-range number shows the nearest page) and the number of pages: two queries."""
    total = await session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user_id)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    actor = _actor()
    rows = (await session.execute(
        select(Notification, Event, actor.name)
        .join(Event, Event.id == Notification.event_id)
        .outerjoin(actor, actor.id == Event.actor_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )).all()
    return rows, page, pages


async def mark_all_read(session: AsyncSession, user_id: int) -> int:
    """Mark every unread notification of a person as read; how many there were."""
    result = await session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


# ---------------------------------------------------------------- preferences


async def delivery_of(session: AsyncSession, user_id: int) -> str:
    """How often this person wants mail: "immediate", "daily", "weekly" or "never"."""
    chosen = await session.scalar(
        select(NotificationPreference.delivery).where(NotificationPreference.user_id == user_id)
    )
    return chosen or DEFAULT_DELIVERY


async def set_delivery(session: AsyncSession, user_id: int, delivery: str) -> None:
    """Store a person's choice (one upsert: two tabs saving at once cannot collide)."""
    now = utcnow()
    await session.execute(
        dialect_insert(session)(NotificationPreference)
        .values(user_id=user_id, delivery=delivery, updated_at=now)
        .on_conflict_do_update(index_elements=["user_id"], set_={"delivery": delivery, "updated_at": now})
    )


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """When an account is deleted: what it followed, who followed it, its notifications, its
    preference and the mail not yet sent to it go too."""
    await session.execute(delete(Follow).where(Follow.user_id == user_id))
    await session.execute(delete(Follow).where(Follow.resource_type == "user", Follow.resource_id == user_id))
    await session.execute(delete(Notification).where(Notification.user_id == user_id))
    await session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    await outbox.cancel_for_user(session, user_id)


# ---------------------------------------------------------------- summaries


def period_of(frequency: str, now: datetime) -> str:
    """The period a summary covers, part of its outbox key: "2027-03-15" or "2027-W11"."""
    if frequency == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return now.date().isoformat()


async def send_digests(ctx: Any, frequency: str, now: datetime | None = None) -> int:
    """One summary per person who chose ``frequency`` and has notifications neither read nor mailed;
    how many were written. Running it again in the same period writes nothing new."""
    now = now or utcnow()
    period = period_of(frequency, now)
    async with ctx.sessionmaker() as session:
        people = (await session.scalars(
            select(User.id).distinct()
            .join(Notification, Notification.user_id == User.id)
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(func.coalesce(NotificationPreference.delivery, DEFAULT_DELIVERY) == frequency,
                   Notification.read_at.is_(None), Notification.mailed_at.is_(None), Notification.created_at <= now,
                   User.deleted_at.is_(None), User.blocked_at.is_(None), User.confirmed_at.is_not(None))
            .order_by(User.id)
        )).all()
    written = 0
    for user_id in people:
        written += await _digest(ctx, user_id, frequency, period, now)
    if written and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    return written


async def _digest(ctx: Any, user_id: int, frequency: str, period: str, now: datetime) -> bool:
    waiting = (Notification.user_id == user_id, Notification.read_at.is_(None), Notification.mailed_at.is_(None),
               Notification.created_at <= now)
    async with ctx.sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        organization = await session.get(Organization, user.organization_id)
        assert organization is not None
        included = (await session.scalars(select(Notification.id).where(*waiting))).all()
        actor = _actor()
        rows = (await session.execute(
            select(Event, actor.name)
            .join(Notification, Notification.event_id == Event.id)
            .outerjoin(actor, actor.id == Event.actor_id)
            .where(*waiting)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(DIGEST_LIMIT)
        )).all()
        base_url = await site_url(session, organization)
    if not rows:
        return False
    subject, text, headers = render_mail(ctx.settings, ctx.registry, organization, user, "digest",
                                         DIGEST_SUBJECTS[frequency], base_url, [(event, actor) for event, actor in rows],
                                         frequency=frequency, more=len(included) - len(rows))
    # Written in a transaction that starts with its INSERT (on SQLite, a writer from its first
    # statement); a summary already written for this period keeps its notifications for the next.
    async with ctx.sessionmaker.begin() as session:
        written = await outbox.enqueue(session, key=f"digest:{user_id}:{frequency}:{period}",
                                       organization_id=organization.id, user_id=user_id, to=user.email,
                                       subject=subject, text=text, headers=headers)
        for start in range(0, len(included) if written else 0, CHUNK):
            await session.execute(update(Notification).where(Notification.id.in_(included[start:start + CHUNK]))
                                  .values(mailed_at=now))
    return written


async def send_daily_digests_task(ctx: Any) -> int:
    """Task ``core.send_daily_digests``."""
    return await send_digests(ctx, "daily")


async def send_weekly_digests_task(ctx: Any) -> int:
    """Task ``core.send_weekly_digests`` (Mondays)."""
    return await send_digests(ctx, "weekly")


TASKS = [
    Task(name="core.dispatch_event", run=dispatch_event_task, retries=3, retry_delay=30),
    Task(name="core.dispatch_pending_events", run=dispatch_pending_events_task, schedule=crontab(minute="*/5"),
         retries=0),
    Task(name="core.send_daily_digests", run=send_daily_digests_task,
         schedule=crontab(minute="0", hour=str(DIGEST_HOUR)), retries=0),
    Task(name="core.send_weekly_digests", run=send_weekly_digests_task,
         schedule=crontab(minute="0", hour=str(DIGEST_HOUR), day_of_week="1"), retries=0),
]
