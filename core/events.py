"""Events: what happened, recorded in the transaction that made it happen, dispatched after it commits.

A plugin calls ``await publish(session, "proposals.answered", organization_id=..., resource=Resource(...),
actor_id=..., data={...})`` beside the change it talks about. The event is a row of ``core_events``
written in that same transaction, so a rollback takes it away with everything else. When the
transaction commits, the session queues the task ``core.dispatch_event`` for it; the task finds who
is told (core/notifications) and marks the event dispatched.

The row is the truth and the queued task only a prompt: the periodic ``core.dispatch_pending_events``
dispatches what was committed but never queued (the process died right after the commit, or the
queue was unreachable), and dispatching an event twice does nothing the second time.

Sessions learn the registry (to check event types) and the queue through ``session.info``: use a
session of the application (``request.state.db``, the ``DB`` dependency) or of a task
(``ctx.sessionmaker``), both made by ``event_sessionmaker``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from core.db import Base, utcnow
from core.models import Component, Space
from core.settings import LOCALES

logger = logging.getLogger("participa.events")

REGISTRY = "participa.registry"
QUEUE = "participa.queue"
_PENDING = "participa.pending_events"
_COMMITTED = "participa.committed_events"

RESOURCE_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
COMPONENT_PATH = re.compile(r"^/([a-z][a-z0-9-]*)/([^/]+)/([a-z][a-z0-9_]*)/(\d+)(?:/|$)")
"""Where core mounts every component: /<space prefix>/<space slug>/<component type>/<component id>."""


class UnknownEventType(LookupError):
    """``publish`` was given an event type that no enabled plugin declares (a programming error)."""


class Resource(msgspec.Struct, kw_only=True, frozen=True):
    """What an event is about: a stable ``(type, id)`` pair, a title and a path for links.

    ``type`` is "space", "user" or "<plugin>.<thing>" ("proposals.proposal"); ``parents`` are the
    ``(type, id)`` pairs it lives in (a proposal's space): their followers are told too.
    """

    type: str
    id: int
    title: dict[str, str] | str
    """Per language, like the titles of spaces; a plain text is used for every language."""
    path: str
    """Its address on the organization's site ("/processes/budget/proposals/4/12")."""
    parents: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for kind in (self.type, *(parent[0] for parent in self.parents)):
            if not RESOURCE_TYPE.match(kind):
                raise ValueError(f"resource type {kind!r} must be 'space', 'user' or '<plugin>.<thing>'")
        if not self.path.startswith("/") or self.path.startswith("//"):
            raise ValueError(f"resource path {self.path!r} must be a path on the site, starting with one /")

    @property
    def ref(self) -> tuple[str, int]:
        return (self.type, self.id)


def space_resource(registry: Any, space: Any) -> Resource:
    """The Resource of a space (what a component's resources name as their parent)."""
    prefix = registry.space_types[space.space_type].url_prefix
    return Resource(type="space", id=space.id, title=space.title, path=f"/{prefix}/{space.slug}")


class Event(Base):
    """Something that happened in an organization, kept with what its notifications need to be shown."""

    __tablename__ = "core_events"
    __table_args__ = (
        # Public activity reads the newest events of an organization, a space or a person (core/activity).
        Index("ix_core_events_organization_id_created_at", "organization_id", "created_at", "id"),
        Index("ix_core_events_space_id_created_at", "space_id", "created_at", "id"),
        Index("ix_core_events_actor_id_created_at", "actor_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(String(255))
    """Untranslated message id of the notification text, copied from the EventType when published,
    so notifications still read right when the plugin that declared it is gone."""
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    resource_title: Mapped[dict[str, str]]
    resource_path: Mapped[str] = mapped_column(String(500))
    parents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Values for the message's placeholders: texts, numbers, or texts per language."""
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    """People told besides the followers (the author of an answered proposal)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("core_spaces.id", ondelete="SET NULL"))
    """The space it happened in, and ``component_id`` the component (None for a space's own events): set by
    ``publish`` from the resource, so public activity can check at query time that both are still visible.
    Neither known (or either deleted since): the event is in nobody's public activity."""
    component_id: Mapped[int | None] = mapped_column(ForeignKey("core_components.id", ondelete="SET NULL"),
                                                     index=True)


async def place_of(session: AsyncSession, registry: Any, organization_id: int,
                   resource: Resource) -> tuple[int | None, int | None]:
    """The (space id, component id) a resource lives in, read from what it is and where its address is.

    A space is its own place; anything of a component has an address below the component's, where core
    mounts it (``COMPONENT_PATH``), so no plugin has to say it. The component and space usually are in
    the session already (the request or task loaded them), and then this costs no query. Anything else
    (a person, the organization's own pages) has no place: (None, None).
    """
    if resource.type == "space":
        space = await session.get(Space, resource.id)
        return (space.id, None) if space is not None and space.organization_id == organization_id else (None, None)
    match = COMPONENT_PATH.match(resource.path)
    if match is None:
        return None, None
    prefix, slug, component_type, component_id = match.groups()
    component = await session.get(Component, int(component_id))
    if component is None or component.component_type != component_type:
        return None, None
    space = await session.get(Space, component.space_id)
    space_type = registry.space_types.get(space.space_type) if space is not None else None
    if (space is None or space.organization_id != organization_id or space.slug != slug or space_type is None
            or space_type.url_prefix != prefix):
        return None, None
    return space.id, component.id


def _plain(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Placeholder values are stored as JSON and shown in any language: texts, numbers or per-language texts."""
    values = dict(data or {})
    for key, value in values.items():
        if isinstance(value, dict):
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise ValueError(f"event data {key!r}: a translated text maps languages to texts")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValueError(f"event data {key!r}: {type(value).__name__} is not a text, a number or a translated text")
    return values


async def publish(session: AsyncSession, event_type: str, *, organization_id: int, resource: Resource,
                  actor_id: int | None, data: Mapping[str, Any] | None = None,
                  recipients: Iterable[int] = ()) -> Event:
    """Record an event in the session's transaction; it is dispatched only once that transaction commits.

    Followers of ``resource`` and of its parents are notified, and so are ``recipients`` (user
    ids), but never the actor and only active people of ``organization_id``. Raises
    ``UnknownEventType`` for a type that no enabled plugin declares.
    """
    registry = session.info.get(REGISTRY)
    if registry is None:
        raise RuntimeError("publish() needs a session of the application or of a task (core.events.event_sessionmaker)")
    declared = registry.event_types.get(event_type)
    if declared is None:
        raise UnknownEventType(
            f"event type {event_type!r} is not registered: declare it in a ComponentManifest's event_types "
            "or return it from register_event_types"
        )
    title = resource.title if isinstance(resource.title, dict) else {locale: resource.title for locale in LOCALES}
    space_id, component_id = await place_of(session, registry, organization_id, resource)
    published = Event(
        space_id=space_id, component_id=component_id,
        organization_id=organization_id, event_type=event_type, message=declared.message or declared.title,
        resource_type=resource.type, resource_id=resource.id, resource_title=dict(title),
        resource_path=resource.path, parents=[list(parent) for parent in resource.parents], actor_id=actor_id,
        data=_plain(data), recipients=sorted({int(user_id) for user_id in recipients}),
    )
    session.add(published)
    await session.flush()
    session.info.setdefault(_PENDING, []).append(published.id)
    return published


# The sync Session's events see every transaction, however it was committed (``await
# session.commit()`` or ``async with sessionmaker.begin()``): events move from pending to
# committed here, and the async session queues them right after (EventSession below).


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without a commit (rollback, or a session closed): its events never happened."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


async def _queue_committed(session: AsyncSession) -> None:
    committed = session.info.pop(_COMMITTED, None)
    queue = session.info.get(QUEUE)
    if not committed or queue is None:
        return
    for event_id in committed:
        try:
            await queue.enqueue("core.dispatch_event", event_id=event_id)
        except Exception:  # the commit stands; core.dispatch_pending_events picks the event up later
            logger.warning("could not queue the dispatch of event %s", event_id, exc_info=True)


class EventSession(AsyncSession):
    """An AsyncSession that queues ``core.dispatch_event`` for the events its transactions committed."""

    async def commit(self) -> None:
        await super().commit()
        await _queue_committed(self)

    async def close(self) -> None:
        await _queue_committed(self)  # committed by ``async with sessionmaker.begin()``
        await super().close()


def event_sessionmaker(engine: AsyncEngine, registry: Any, queue: Any) -> async_sessionmaker[AsyncSession]:
    """The sessionmaker of the application and of tasks: its sessions can ``publish`` events."""
    return async_sessionmaker(engine, class_=EventSession, expire_on_commit=False,
                              info={REGISTRY: registry, QUEUE: queue})
