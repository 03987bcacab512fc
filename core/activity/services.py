"""Public activity: what happened in an organization, in a space or by a person, read from ``core_events``.

Which events are activity is declared, not guessed: an ``EventType`` with ``public=True``. Whether one of
them may be shown is decided when the timeline is read, never when the event was recorded, so that
unpublishing, making a space private, archiving a component, hiding something by moderation or deleting
a comment takes it out of every timeline at once:

- the event's space (``Event.space_id``, set by ``core.events.publish``) belongs to the organization and is
  published and public, and of a space type that is installed;
- the event happened in a component (``Event.component_id``) that is published, not archived and of an
  enabled type; only a space's own events (resource type "space") need no component;
- moderation has not hidden the resource it is about, and when the event names a comment
  (``data["comment_id"]``, as comment events do) that comment is neither deleted nor hidden;
- people who deleted their account are shown as "Deleted participant", and only people whose profile
  can be seen are linked to it.

A page of a timeline is one query, whatever the number of events: the checks are joins and ``EXISTS``
on indexed columns, and pages are read from a position, the date and id of an event (keyset:
``before``/``after`` name the event), never with an offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, and_, exists, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.comments.models import Comment
from core.events import REGISTRY, Event, Resource, place_of
from core.i18n import N_, translated
from core.manifest import EventType
from core.models import Component, Space
from core.moderation.models import Moderation
from core.settings import LOCALES

PER_PAGE = 20
COMMENT = "comments.comment"
DELETED_PARTICIPANT = N_("Deleted participant")
SOMEONE = N_("Someone")
KIND_TITLES = {"comments": N_("Comments"), "space": N_("Spaces")}
"""Titles of the kinds core knows; a component type's kind is titled like the component type."""


def public_types(registry: Any) -> dict[str, EventType]:
    """The event types that are public activity, by name."""
    return {name: event_type for name, event_type in registry.event_types.items() if event_type.public}


def kind_of(event_type: str) -> str:
    """An event's kind, what the timeline filters by: the first part of its type ("comments", "proposals")."""
    return event_type.split(".", 1)[0]


def kinds(registry: Any) -> dict[str, str]:
    """The kinds of public activity and their (untranslated) titles, in a stable order."""
    found: dict[str, str] = {}
    for name, event_type in sorted(public_types(registry).items()):
        kind = kind_of(name)
        manifest = registry.component_types.get(kind)
        found.setdefault(kind, manifest.title if manifest is not None else KIND_TITLES.get(kind, event_type.title))
    return found


def _hidden(resource_type: Any, resource_id: Any) -> Any:
    return exists().where(Moderation.resource_type == resource_type, Moderation.resource_id == resource_id,
                          Moderation.hidden_at.is_not(None))


def visible(query: Select[Any], registry: Any, organization_id: int, *, private: bool = False) -> Select[Any]:
    """``query`` (a SELECT from ``core_events``) joined and narrowed to the public activity of an organization
    that anybody may see now: the one place where these rules are written, for timelines and statistics.

    ``private``: in published private spaces too, where the caller decides who may see it (the notifications
    of a person's followers, core/notifications/services.py)."""
    comment_id = Event.data["comment_id"].as_integer()
    public = () if private else (Space.private.is_(False),)
    return (
        query.join(Space, Space.id == Event.space_id)
        .outerjoin(Component, Component.id == Event.component_id)
        .outerjoin(Comment, Comment.id == comment_id)
        .where(
            Event.organization_id == organization_id,
            Event.event_type.in_(list(public_types(registry))),
            Space.organization_id == organization_id, Space.published.is_(True), *public,
            Space.space_type.in_(list(registry.space_types)),
            or_(
                and_(Event.component_id.is_(None), Event.resource_type == "space"),
                and_(Component.space_id == Space.id, Component.published.is_(True), Component.archived_at.is_(None),
                     Component.component_type.in_(list(registry.component_types))),
            ),
            ~_hidden(Event.resource_type, Event.resource_id),
            or_(comment_id.is_(None),
                and_(Comment.id.is_not(None), Comment.deleted_at.is_(None), ~_hidden(literal(COMMENT), Comment.id))),
        )
    )


@dataclass(frozen=True)
class Entry:
    """One line of a timeline, ready to show."""

    id: int
    kind: str
    text: Markup
    """The event's message in the reader's language, the actor and the resource linked."""
    created_at: datetime
    space_title: dict[str, str]
    space_path: str
    path: str = ""
    """The address of what the event is about (a comment's anchor included), for feeds."""


@dataclass(frozen=True)
class Timeline:
    """A page of a timeline, newest first, and the ids the links to the next pages start from."""

    entries: list[Entry] = field(default_factory=list)
    newer: int | None = None
    """``after=`` for the page of newer entries, None on the newest page."""
    older: int | None = None
    """``before=`` for the page of older entries, None on the oldest page."""


def _actor(gettext: Callable[[str], str], name: str | None, nickname: str | None, confirmed: Any, blocked: Any,
           deleted: Any) -> Markup:
    if nickname is None:  # nobody acted (an answer published by the organization), or the row is gone
        return escape(gettext(SOMEONE))
    if deleted is not None:
        return escape(gettext(DELETED_PARTICIPANT))
    if confirmed is None or blocked is not None:  # no profile to link to
        return escape(name)
    return Markup('<a href="/profiles/{}">{}</a>').format(nickname, name)


class _Values(dict):
    """Placeholders the event's data does not give are left empty rather than breaking the text."""

    def __missing__(self, key: str) -> str:
        return ""


def _path(event: Event) -> str:
    if isinstance(event.data, dict) and isinstance(event.data.get("comment_id"), int):
        return f"{event.resource_path}#comment-{event.data['comment_id']}"
    return event.resource_path


def describe(gettext: Callable[[str], str], event: Event, actor: Markup) -> Markup:
    """The text of a public event: its message with the actor and the resource as links, everything escaped."""
    values = _Values({key: translated(value) if isinstance(value, dict) else ("" if value is None else value)
                      for key, value in (event.data or {}).items()})
    values["resource"] = Markup('<a href="{}">{}</a>').format(_path(event), translated(event.resource_title))
    values["actor"] = actor
    text = escape(gettext(event.message))
    try:
        return text % values if "%(" in text else text
    except (KeyError, TypeError, ValueError):  # a stray % or a broken translation must not hide the entry
        return text


def _position(event_id: int) -> Any:
    """Where a page starts: the (date, id) of the event named, read inside the page's own query."""
    return tuple_(select(Event.created_at).where(Event.id == event_id).scalar_subquery(), literal(event_id))


async def timeline(session: AsyncSession, registry: Any, gettext: Callable[[str], str], organization_id: int, *,
                   space_id: int | None = None, actor_id: int | None = None, kind: str | None = None,
                   before: int | None = None, after: int | None = None, limit: int = PER_PAGE) -> Timeline:
    """A page of the public activity of an organization, or of one of its spaces (``space_id``), or of one
    person (``actor_id``), newest first: ``limit`` entries older than the event ``before`` or newer than the
    event ``after`` (the newest without either), of one ``kind`` if given (an unknown kind shows nothing).
    Ordered by date, then id (an event recorded later may have happened earlier: demo content). One query."""
    query = select(Event, Space.title, Space.slug, Space.space_type, User.name, User.nickname, User.confirmed_at,
                   User.blocked_at, User.deleted_at)
    query = visible(query, registry, organization_id).outerjoin(User, User.id == Event.actor_id)
    conditions: list[ColumnElement[bool]] = []
    if space_id is not None:
        conditions.append(Event.space_id == space_id)
    if actor_id is not None:
        conditions.append(Event.actor_id == actor_id)
    if kind is not None:
        conditions.append(Event.event_type.in_([name for name in public_types(registry) if kind_of(name) == kind]))
    when = tuple_(Event.created_at, Event.id)
    if after is not None:
        query = query.where(*conditions, when > _position(after)).order_by(Event.created_at.asc(), Event.id.asc())
    else:
        if before is not None:
            conditions.append(when < _position(before))
        query = query.where(*conditions).order_by(Event.created_at.desc(), Event.id.desc())
    rows = (await session.execute(query.limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if after is not None:
        rows.reverse()
    entries = []
    for event, space_title, slug, space_type, *person in rows:
        prefix = registry.space_types[space_type].url_prefix
        entries.append(Entry(id=event.id, kind=kind_of(event.event_type), text=describe(gettext, event,
                             _actor(gettext, *person)), created_at=event.created_at, space_title=space_title,
                             space_path=f"/{prefix}/{slug}", path=_path(event)))
    if not entries:
        return Timeline()
    if after is not None:
        return Timeline(entries, newer=entries[0].id if more else None, older=entries[-1].id)
    return Timeline(entries, newer=entries[0].id if before is not None else None,
                    older=entries[-1].id if more else None)


async def recorded_earlier(session: AsyncSession, event_type: str, *, organization_id: int, resource: Resource,
                           actor_id: int | None, created_at: datetime, data: dict[str, Any] | None = None) -> Event:
    """Record an event that happened before it could be recorded (demo content, an import): it shows in
    public activity at its date and is never dispatched, as nobody is to be told now of what happened then.

    Like ``publish``, it needs a session that knows the registry (``session.info``) and a declared type.
    """
    registry = session.info[REGISTRY]
    declared = registry.event_types[event_type]
    space_id, component_id = await place_of(session, registry, organization_id, resource)
    title = resource.title if isinstance(resource.title, dict) else {locale: resource.title for locale in LOCALES}
    event = Event(
        organization_id=organization_id, event_type=event_type, message=declared.message or declared.title,
        resource_type=resource.type, resource_id=resource.id, resource_title=dict(title),
        resource_path=resource.path, parents=[list(parent) for parent in resource.parents], actor_id=actor_id,
        data=dict(data or {}), recipients=[], created_at=created_at, dispatched_at=created_at,
        space_id=space_id, component_id=component_id,
    )
    session.add(event)
    return event
