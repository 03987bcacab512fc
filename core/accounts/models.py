"""Tables of people's accounts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, relationship, utcnow

if TYPE_CHECKING:
    from core.uploads import Upload


class User(Base):
    """A person registered in one organization (the same person in two municipalities has two)."""

    __tablename__ = "core_users"
    __table_args__ = (UniqueConstraint("organization_id", "email"), UniqueConstraint("organization_id", "nickname"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    """Stored lowercased, so that uniqueness ignores case."""
    nickname: Mapped[str] = mapped_column(String(32))
    """Stored lowercased; shown as @nickname."""
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """argon2; empty for people who take part at a municipal desk without an account password."""
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    terms_accepted_version: Mapped[int | None]
    newsletter_consent_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    inactivity_warned_at: Mapped[datetime | None]
    """When the person was told their unused account would be deleted (core.accounts.inactivity); a login clears it."""
    blocked_at: Mapped[datetime | None]
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    deleted_at: Mapped[datetime | None]
    """Set when the person deleted their account: the row stays (what they did still counts), anonymised."""
    managed: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A participant without an account of their own (no e-mail, no password), who takes part through
    staff at a municipal desk (``core.verifications.managed``); nobody logs in as them."""
    avatar_upload_id: Mapped[int | None] = mapped_column(
        # use_alter: core_uploads also points here (its owner), and the two tables must still sort.
        ForeignKey("core_uploads.id", ondelete="SET NULL", use_alter=True))
    avatar: Mapped[Upload | None] = relationship("Upload", foreign_keys=[avatar_upload_id])
    """Their picture (``core.uploads``); load it with ``joinedload(User.avatar)`` where a page shows it."""

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def initial(self) -> str:
        """The letter shown in place of a picture."""
        return (self.name.strip()[:1] or self.nickname[:1]).upper()


class AccountToken(Base):
    """A single-use secret sent by mail (confirm an address, reset a password).

    Only a digest is stored, so a database leak reveals no usable token; a token works for
    its own organization only, once, and until it expires.
    """

    __tablename__ = "core_account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    payload: Mapped[str | None] = mapped_column(String(254))
    """What the token is about, when its user is not enough (the new address of an e-mail change)."""
