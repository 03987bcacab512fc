"""Tables of newsletters: the newsletter itself and one delivery row per person it goes to.

The deliveries are the list of recipients, written once when the newsletter is sent; their unique
key (newsletter, person) and their status make the sending resumable: a batch claims pending rows,
writes their mails into the outbox and marks them in one transaction, so a worker that dies
mid-batch leaves them pending for the next run, and nobody is written twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

RECIPIENT_KINDS = ("all", "followers", "participants", "scopes")


class Newsletter(Base):
    """A mail an organization's admins write once and send to many; a draft until ``sent_at``."""

    __tablename__ = "core_newsletters"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    subject: Mapped[dict[str, str]]
    body: Mapped[dict[str, str]]
    """Sanitised rich text, per language."""
    recipients: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Who it goes to, as the admin chose: ``{"kind": "all" | "followers" | "participants" | "scopes",
    "space_ids": [...], "scope_ids": [...]}``; empty until chosen."""
    recipients_count: Mapped[int] = mapped_column(default=0)
    """How many people it was sent to (its deliveries), counted when it was sent."""
    sent_count: Mapped[int] = mapped_column(default=0)
    """How many of their mails are written into the outbox so far (the progress of the sending)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(index=True)
    """When a draft is to start sending by itself (``core.send_scheduled_newsletters``); None unless scheduled."""
    scheduled_by_id: Mapped[int | None]
    """The admin who scheduled it: the sending is logged in their name. No foreign key: SQLite cannot add
    one to an existing table without rebuilding it; an id whose account is gone is simply not found."""
    sent_at: Mapped[datetime | None]
    """When an admin sent it (or its schedule started it); from then on it cannot be changed."""
    completed_at: Mapped[datetime | None]
    """When every delivery was handled (written into the outbox, or skipped)."""

    @property
    def draft(self) -> bool:
        return self.sent_at is None


class NewsletterDelivery(Base):
    """One person a sent newsletter goes to."""

    __tablename__ = "core_newsletter_deliveries"
    __table_args__ = (
        UniqueConstraint("newsletter_id", "user_id"),
        Index("ix_core_newsletter_deliveries_newsletter_id_status", "newsletter_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newsletter_id: Mapped[int] = mapped_column(ForeignKey("core_newsletters.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, queued (its mail is in the outbox) or skipped (they stopped the newsletter, were blocked
    or left before their turn came)."""
    queued_at: Mapped[datetime | None]
