"""Follows: a person asks to be told what happens to a space, a resource, a group or another person.

A follow is a ``(user, resource_type, resource_id)`` row, once each. Resource types are the same
strings events use: "space", "user", "<plugin>.<thing>" ("proposals.proposal"). People follow with
the button of ``macros/follow.html`` (a form posting to ``/follow`` or ``/unfollow``); a plugin
makes someone follow what they created by calling ``follow`` in the same transaction. The routes
are in core/notifications/routes.py, with the other pages of notifications.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column

from core.accounts.models import User
from core.db import Base, dialect_insert, utcnow
from core.events import RESOURCE_TYPE
from core.models import Organization, Space


class Follow(Base):
    """One person following one resource."""

    __tablename__ = "core_follows"
    __table_args__ = (
        UniqueConstraint("user_id", "resource_type", "resource_id"),
        Index("ix_core_follows_resource", "resource_type", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- services


async def follow(session: AsyncSession, user_id: int, resource_type: str, resource_id: int) -> bool:
    """Make a person follow a resource (True when they did not already); part of the caller's transaction.

    A plugin calls it for the author of what was just created, so they hear about answers and comments.
    """
    if not RESOURCE_TYPE.match(resource_type):
        raise ValueError(f"resource type {resource_type!r} must be 'space', 'user' or '<plugin>.<thing>'")
    statement = (
        dialect_insert(session)(Follow)
        .values(user_id=user_id, resource_type=resource_type, resource_id=resource_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "resource_type", "resource_id"])
        .returning(Follow.id)
    )
    return (await session.execute(statement)).first() is not None


async def unfollow(session: AsyncSession, user_id: int, resource_type: str, resource_id: int) -> bool:
    """Stop following (True when there was something to stop)."""
    result = await session.execute(delete(Follow).where(
        Follow.user_id == user_id, Follow.resource_type == resource_type, Follow.resource_id == resource_id,
    ))
    return bool(result.rowcount)


async def is_following(session: AsyncSession, user: User | None, resource_type: str, resource_id: int) -> bool:
    """Whether this person follows the resource; no query for a visitor who is not logged in."""
    if user is None:
        return False
    return await session.scalar(select(Follow.id).where(
        Follow.user_id == user.id, Follow.resource_type == resource_type, Follow.resource_id == resource_id,
    )) is not None


async def followable(session: AsyncSession, registry: Any, organization: Organization, user: User,
                     resource_type: str, resource_id: int) -> bool:
    """What a follow button may ask for: a published, public space or another active person of this
    organization, or a resource type of an enabled plugin ("<plugin>.<thing>"), whose pages decide
    whether to show the button."""
    if resource_type == "space":
        return await session.scalar(select(Space.id).where(
            Space.id == resource_id, Space.organization_id == organization.id, Space.published.is_(True),
            Space.private.is_(False),
        )) is not None
    if resource_type == "user":
        return resource_id != user.id and await session.scalar(select(User.id).where(
            User.id == resource_id, User.organization_id == organization.id, User.deleted_at.is_(None),
            User.blocked_at.is_(None),
        )) is not None
    plugin, _, thing = resource_type.partition(".")
    enabled = {info.name for info in registry.enabled()} | set(registry.component_types)
    return bool(thing) and plugin in enabled and RESOURCE_TYPE.match(resource_type) is not None


FOLLOWERS_SHOWN = 24
"""The followers a profile lists; the others are on /profiles/<nickname>/followers."""
FOLLOWERS_PER_PAGE = 50


async def followers_of(session: AsyncSession, person_id: int, page: int = 1,
                       per_page: int = FOLLOWERS_PER_PAGE) -> tuple[list[User], int]:
    """The active people who follow a person, who followed last first, one page of them, with how many
    there are: two queries however many they are. Deleted people's follows went with their account."""
    conditions = (Follow.resource_type == "user", Follow.resource_id == person_id, User.deleted_at.is_(None),
                  User.blocked_at.is_(None))
    total = await session.scalar(select(func.count(Follow.id)).join(User, User.id == Follow.user_id)
                                 .where(*conditions)) or 0
    if not total:
        return [], 0
    people = (await session.scalars(
        select(User).join(Follow, Follow.user_id == User.id).where(*conditions).options(joinedload(User.avatar))
        .order_by(Follow.created_at.desc(), Follow.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
    )).all()
    return list(people), total
