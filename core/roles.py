"""Roles: what a person may administer, in an organization or in one space.

Organization roles: ``admin`` (everything in the organization) and ``user_manager``
(people, groups and verifications). Space roles: ``admin``, ``collaborator`` (sees drafts,
comments on them), ``moderator`` (hides reported content) and ``valuator`` (evaluates
proposals). Every role is one row; a unique constraint keeps it one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, cast, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.i18n import N_

ORGANIZATION_ROLES = {"admin": N_("Administrator"), "user_manager": N_("User manager")}
SPACE_ROLES = {
    "admin": N_("Space administrator"), "collaborator": N_("Collaborator"), "moderator": N_("Moderator"),
    "valuator": N_("Valuator"),
}


class OrganizationRole(Base):
    __tablename__ = "core_organization_roles"
    __table_args__ = (UniqueConstraint("organization_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpaceRole(Base):
    __tablename__ = "core_space_roles"
    __table_args__ = (UniqueConstraint("space_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Roles:
    """Every role of one person, loaded once per request."""

    organization: frozenset[str] = frozenset()
    spaces: dict[int, frozenset[str]] = field(default_factory=dict)

    def in_space(self, space_id: int) -> frozenset[str]:
        return self.spaces.get(space_id, frozenset())


def organization_roles_column(user_id: Any, organization_id: Any) -> Any:
    """The person's organization roles as one comma-separated text, to load with another query."""
    return (select(func.aggregate_strings(OrganizationRole.role, ","))
            .where(OrganizationRole.user_id == user_id, OrganizationRole.organization_id == organization_id)
            .scalar_subquery())


def parse_roles(value: str | None) -> frozenset[str]:
    return frozenset(role for role in (value or "").split(",") if role)


def space_roles_column(user_id: Any) -> Any:
    """The person's roles in spaces as one text ("4:admin,9:moderator"), to load with another query."""
    return (select(func.aggregate_strings(cast(SpaceRole.space_id, String) + ":" + SpaceRole.role, ","))
            .where(SpaceRole.user_id == user_id).scalar_subquery())


def parse_space_roles(value: str | None) -> dict[int, frozenset[str]]:
    spaces: dict[int, set[str]] = {}
    for pair in (value or "").split(","):
        if pair:
            space_id, role = pair.split(":", 1)
            spaces.setdefault(int(space_id), set()).add(role)
    return {key: frozenset(roles) for key, roles in spaces.items()}


async def organization_roles(session: AsyncSession, user_id: int, organization_id: int) -> frozenset[str]:
    return frozenset(await session.scalars(
        select(OrganizationRole.role).where(
            OrganizationRole.user_id == user_id, OrganizationRole.organization_id == organization_id
        )
    ))


async def space_roles(session: AsyncSession, user_id: int) -> dict[int, frozenset[str]]:
    spaces: dict[int, set[str]] = {}
    for space_id, role in await session.execute(
        select(SpaceRole.space_id, SpaceRole.role).where(SpaceRole.user_id == user_id)
    ):
        spaces.setdefault(space_id, set()).add(role)
    return {key: frozenset(value) for key, value in spaces.items()}


async def roles_of(session: AsyncSession, user_id: int, organization_id: int) -> Roles:
    """Both kinds of role in two small indexed queries."""
    return Roles(await organization_roles(session, user_id, organization_id), await space_roles(session, user_id))


async def grant_organization_role(session: AsyncSession, organization_id: int, user_id: int, role: str) -> None:
    """Give a role; giving it twice changes nothing."""
    if role not in ORGANIZATION_ROLES:
        raise ValueError(f"unknown organization role {role!r}")
    await _add_once(session, OrganizationRole(organization_id=organization_id, user_id=user_id, role=role))


async def set_organization_roles(session: AsyncSession, organization_id: int, user_id: int, roles: set[str]) -> None:
    """Make ``roles`` exactly the person's organization roles."""
    unknown = roles - set(ORGANIZATION_ROLES)
    if unknown:
        raise ValueError(f"unknown organization roles {sorted(unknown)}")
    current = await organization_roles(session, user_id, organization_id)
    for role in roles - current:
        await grant_organization_role(session, organization_id, user_id, role)
    if current - roles:
        await session.execute(delete(OrganizationRole).where(
            OrganizationRole.organization_id == organization_id, OrganizationRole.user_id == user_id,
            OrganizationRole.role.in_(current - roles),
        ))


async def grant_space_role(session: AsyncSession, space_id: int, user_id: int, role: str) -> None:
    if role not in SPACE_ROLES:
        raise ValueError(f"unknown space role {role!r}")
    await _add_once(session, SpaceRole(space_id=space_id, user_id=user_id, role=role))


async def _add_once(session: AsyncSession, row: OrganizationRole | SpaceRole) -> None:
    """Insert a role row; the unique constraint makes a second grant a no-op, even when two race."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass
