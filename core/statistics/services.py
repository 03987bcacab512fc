"""Statistics: how much participation there is in an organization and in each of its spaces.

The figures are counts of what anybody may see: only published, public spaces of an installed type and
their published, unarchived components of an enabled type are counted. Core counts people, participants
(whoever contributed in a component, as its ``ComponentManifest.participants`` says, or commented),
spaces, comments and followers; each component type adds its own ``ComponentManifest.statistics``
(proposals, supports, pages...), called with the ids of its visible components. Participation over time
is the public activity (core.activity: the same visibility rules) of the last ``WEEKS`` weeks, per week
and kind.

Cost: one query for the visible components, then at most one per figure, whatever the amount of data;
the result is kept ``CACHE_SECONDS`` in the shared store (Redis or the database), so a busy home page
counts once every few minutes per organization and space, and figures may lag that long behind.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.stores.base import Store
from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.activity.services import COMMENT, kind_of, visible
from core.comments.models import Comment
from core.events import Event
from core.follows import Follow
from core.i18n import N_, from_local, local_today, zone
from core.models import Component, Organization, Space
from core.moderation.services import not_hidden

CACHE_SECONDS = 300
WEEKS = 12
logger = logging.getLogger("participa.statistics")
STORE = "statistics"
"""The namespace of the cached statistics in the application's stores (``app.stores.get(STORE)``)."""

PEOPLE = N_("People")
PARTICIPANTS = N_("Participants")
COMMENTS = N_("Comments")
FOLLOWERS = N_("Followers")


class Figure(msgspec.Struct, frozen=True):
    """One number: ``name`` is stable ("participants", "proposals.supports"), ``title`` a message id."""

    name: str
    title: str
    value: int


class Week(msgspec.Struct, frozen=True):
    """Public activity in the week starting on Monday ``start``, per kind ("comments", "proposals")."""

    start: date
    counts: dict[str, int]


class Statistics(msgspec.Struct, frozen=True):
    figures: list[Figure]
    weeks: list[Week]


def _visible_components(registry: Any, organization_id: int, space_id: int | None) -> Any:
    query = (
        select(Component.id, Component.component_type).join(Space, Space.id == Component.space_id)
        .where(Space.organization_id == organization_id, Space.published.is_(True), Space.private.is_(False),
               Space.space_type.in_(list(registry.space_types)), Component.published.is_(True),
               Component.archived_at.is_(None), Component.component_type.in_(list(registry.component_types)))
    )
    return query.where(Space.id == space_id) if space_id is not None else query


def _day(session: AsyncSession, time_zone: str) -> Any:
    """The day of an event in the organization's zone. PostgreSQL knows the zone's rules; SQLite's
    ``date()`` reads the stored UTC text and is moved by the zone's offset of today (in the weeks around a
    change of summer time, an event in the hour after midnight may fall on the day before)."""
    known = zone(time_zone)  # UTC for a name the time zone database does not have
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(known.key, Event.created_at), Date)
    offset = datetime.now(UTC).astimezone(known).utcoffset() or timedelta()
    return func.date(Event.created_at, f"{int(offset.total_seconds() // 60):+d} minutes")


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, oldest first, the current week last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


async def _weeks(session: AsyncSession, registry: Any, organization_id: int, space_id: int | None,
                 time_zone: str) -> list[Week]:
    starts = week_starts(local_today(time_zone))
    since = from_local(starts[0], time(), time_zone)
    day = _day(session, time_zone).label("day")
    query = visible(select(day, Event.event_type, func.count(Event.id)), registry, organization_id).where(
        Event.created_at >= since)
    if space_id is not None:
        query = query.where(Event.space_id == space_id)
    counts: dict[date, dict[str, int]] = {start: {} for start in starts}
    for value, event_type, count in (await session.execute(query.group_by(day, Event.event_type))).all():
        when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        week = counts.get(when - timedelta(days=when.weekday()))
        if week is not None:
            kind = kind_of(event_type)
            week[kind] = week.get(kind, 0) + count
    return [Week(start=start, counts=counts[start]) for start in starts]


async def compute(session: AsyncSession, registry: Any, organization_id: int,
                  space_id: int | None = None, time_zone: str = "UTC") -> Statistics:
    """The statistics of an organization, or of one of its spaces, counted now; weeks run from Monday to
    Sunday in ``time_zone`` (the organization's)."""
    rows = (await session.execute(_visible_components(registry, organization_id, space_id))).all()
    by_type: dict[str, list[int]] = {}
    for component_id, component_type in rows:
        by_type.setdefault(component_type, []).append(component_id)
    visible_ids = _visible_components(registry, organization_id, space_id).with_only_columns(Component.id)
    figures: list[Figure] = []

    if space_id is None:
        people = await session.scalar(select(func.count(User.id)).where(
            User.organization_id == organization_id, User.confirmed_at.is_not(None), User.deleted_at.is_(None),
            User.blocked_at.is_(None)))
        figures.append(Figure("people", PEOPLE, people or 0))

    # Participants: everyone the component types name, and who commented, each person once. (A manifest's
    # SELECT may be a UNION itself, which SQLite cannot nest in another: each is an IN of its own.)
    contributors = [select(Comment.author_id).where(Comment.component_id.in_(visible_ids))]
    for name in by_type:
        manifest = registry.component_types[name]
        if manifest.participants is not None:
            contributors.append(manifest.participants(visible_ids.where(Component.component_type == name)))
    participants = await session.scalar(select(func.count(User.id)).where(
        User.organization_id == organization_id, or_(*(User.id.in_(part) for part in contributors))))
    figures.append(Figure("participants", PARTICIPANTS, participants or 0))

    if space_id is None:
        spaces = dict((await session.execute(
            select(Space.space_type, func.count(Space.id)).where(
                Space.organization_id == organization_id, Space.published.is_(True), Space.private.is_(False),
                Space.space_type.in_(list(registry.space_types))).group_by(Space.space_type))).all())
        figures += [Figure(f"spaces.{name}", space_type.title, spaces.get(name, 0))
                    for name, space_type in registry.space_types.items()]

    for name, manifest in registry.component_types.items():
        for statistic in manifest.statistics:
            ids = by_type.get(name, [])
            value = await statistic.count(session, ids) if ids else 0  # nothing to count: no query
            figures.append(Figure(f"{name}.{statistic.name}", statistic.title, int(value or 0)))

    comments = await session.scalar(select(func.count(Comment.id)).where(
        Comment.component_id.in_(visible_ids), Comment.deleted_at.is_(None), not_hidden(Comment.id, COMMENT)))
    figures.append(Figure("comments", COMMENTS, comments or 0))

    followers = select(func.count(func.distinct(Follow.user_id)))
    if space_id is not None:
        followers = followers.where(Follow.resource_type == "space", Follow.resource_id == space_id)
    else:
        followers = followers.join(User, User.id == Follow.user_id).where(User.organization_id == organization_id)
    figures.append(Figure("followers", FOLLOWERS, await session.scalar(followers) or 0))

    return Statistics(figures=figures, weeks=await _weeks(session, registry, organization_id, space_id, time_zone))


async def statistics_of(session: AsyncSession, registry: Any, organization: Organization, space: Space | None = None,
                        store: Store | None = None) -> Statistics:
    """The statistics of an organization or of one of its spaces, from the store when counted lately."""
    key = f"{organization.id}:{space.id if space is not None else 'organization'}"
    # The cache only saves work: with Redis down the public pages that show figures must still answer.
    if store is not None:
        try:
            cached = await store.get(key)
        except Exception as exc:  # noqa: BLE001  (whatever the store's failure, count instead)
            logger.warning("statistics cache unreachable: %s", exc)
            store, cached = None, None
        if cached is not None:
            try:
                return msgspec.json.decode(cached, type=Statistics)
            except msgspec.DecodeError:  # written by another version: count again
                pass
    result = await compute(session, registry, organization.id, space.id if space is not None else None,
                           organization.time_zone)
    if store is not None:
        try:
            await store.set(key, msgspec.json.encode(result), expires_in=CACHE_SECONDS)
        except Exception as exc:  # noqa: BLE001
            logger.warning("statistics cache unreachable: %s", exc)
    return result
