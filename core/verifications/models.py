"""Tables of verifications, the census, identity documents under review, action requirements and
the sessions of staff acting on behalf of managed participants."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, relationship, utcnow

if TYPE_CHECKING:
    from core.accounts.models import User
    from core.uploads import Upload


class Verification(Base):
    """A person proved who they are with one handler.

    ``unique_digest`` is a keyed hash of the identity (``core.verifications.identity``): the unique
    constraint makes one identity verify one account per handler, and the row is kept when the account
    is deleted (only ``details`` is erased), so the identity stays bound to what that account did.
    """

    __tablename__ = "core_verifications"
    __table_args__ = (UniqueConstraint("organization_id", "handler", "unique_digest"),
                      UniqueConstraint("user_id", "handler"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(63))
    unique_digest: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the conditions of actions read (``birth_date``, ``postal_code``); never the identity itself."""
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    transferred_from_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    """The deleted account this identity was bound to before its owner verified this one."""

    user: Mapped[User] = relationship("User", foreign_keys=[user_id])


class CensusEntry(Base):
    """One person of the census an admin uploaded: only the keyed digest of document number and birth date."""

    __tablename__ = "core_census_entries"
    __table_args__ = (UniqueConstraint("organization_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityDocument(Base):
    """A person's identity document waiting for review, or rejected with a reason (one per person).

    The number and the file are kept only while a reviewer may need them: an approval turns the row
    into a ``Verification`` and deletes it, a rejection deletes the file and the number.
    """

    __tablename__ = "core_identity_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"),
                                                 index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), unique=True)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("core_uploads.id", ondelete="SET NULL"))
    document_type: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    postal_code: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """"pending" or "rejected"."""
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship("User", foreign_keys=[user_id])
    upload: Mapped[Upload | None] = relationship("Upload", foreign_keys=[upload_id])


class ActionRequirement(Base):
    """A component's action needs a verification with this handler, maybe with conditions."""

    __tablename__ = "core_action_requirements"
    __table_args__ = (UniqueConstraint("component_id", "action", "handler"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(63))
    handler: Mapped[str] = mapped_column(String(63))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """``{"minimum_age": 16, "postal_codes": ["08800", "08810"]}``; missing keys mean no condition."""


class ManagedSession(Base):
    """A staff member acting on behalf of a managed participant: who, for whom, why, from when to when."""

    __tablename__ = "core_managed_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    staff_name: Mapped[str] = mapped_column(String(120))
    """Kept as it was, like the admin log's, so the log still says who acted after that account is gone."""
    participant_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    handler: Mapped[str | None] = mapped_column(String(63))
    """The authorization handler staff verified the person with (None: sessions from before it was kept,
    all with the census)."""
    reason: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    """Set when the staff member ends it; a session not ended has ended at ``expires_at``."""

    participant: Mapped[User] = relationship("User", foreign_keys=[participant_id])
