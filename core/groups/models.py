"""Tables of user groups: the groups and who belongs to them, in which role.

A membership is one row per (group, person) under a unique constraint, whatever its stage: invited
by a group admin, requested by the person, then member or admin. Declining or leaving deletes the
row, so the same person can be invited again later.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow

if TYPE_CHECKING:
    from core.uploads import Upload

ADMIN, MEMBER, INVITED, REQUESTED = "admin", "member", "invited", "requested"
ROLES = (ADMIN, MEMBER, INVITED, REQUESTED)
BELONGS = (ADMIN, MEMBER)
"""The roles of people who belong to the group (and may write on its behalf)."""


class UserGroup(Base):
    """An association or collective of people of one organization, at ``/groups/<nickname>``."""

    __tablename__ = "core_user_groups"
    __table_args__ = (UniqueConstraint("organization_id", "nickname"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    nickname: Mapped[str] = mapped_column(String(32))
    """Stored lowercased, unique in the organization; the end of the group's address."""
    description: Mapped[str] = mapped_column(Text, default="")
    """Sanitised rich text (core.richtext)."""
    avatar_upload_id: Mapped[int | None] = mapped_column(ForeignKey("core_uploads.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    """Set by an organization admin or user manager who checked that the group is what it says."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    avatar: Mapped[Upload | None] = relationship("Upload", foreign_keys=[avatar_upload_id])
    """Its logo (``core.uploads``); the ``avatar`` macro shows it, or the initial."""

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def initial(self) -> str:
        """The letter shown in place of a logo."""
        return (self.name.strip()[:1] or self.nickname[:1]).upper()


class GroupMembership(Base):
    """One person's place in one group: invited, requested, member or admin."""

    __tablename__ = "core_user_group_memberships"
    __table_args__ = (
        UniqueConstraint("user_group_id", "user_id"),
        Index("ix_core_user_group_memberships_user_id_role", "user_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_group_id: Mapped[int] = mapped_column(ForeignKey("core_user_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    """One of ``ROLES``."""
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    """The group admin who invited them, for an invitation."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    """When they became a member (an invitation accepted, a request accepted, or the group created)."""

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    user_group: Mapped[UserGroup] = relationship()
