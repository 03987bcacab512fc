"""Tables of notifications: one row per person told of an event, and each person's delivery preference.

A notification is small on purpose (who, which event, read and mailed when): an event may reach
thousands of followers, and what it says (type, resource title and path, message id and its
values) is stored once, on the event. The text is rendered when it is shown, in the language of
the person reading it then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.i18n import N_

DELIVERIES = {
    "immediate": N_("At once, one e-mail for each notification"),
    "daily": N_("Once a day, a summary"),
    "weekly": N_("Once a week, a summary"),
    "never": N_("Never: I will look at my notifications on the site"),
}
DEFAULT_DELIVERY = "daily"
"""A daily summary: people who follow something hear of it without visiting the site, and at most
one mail a day reaches them however busy the things they follow are."""


class Notification(Base):
    """An event as one person is told of it."""

    __tablename__ = "core_notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_core_notifications_user_id_created_at", "user_id", "created_at"),
        Index("ix_core_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("core_events.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mailed_at: Mapped[datetime | None]
    """When a mail (at once, or a summary) included it, so no summary repeats it."""


class NotificationPreference(Base):
    """How often a person wants mail about their notifications; no row means ``DEFAULT_DELIVERY``."""

    __tablename__ = "core_notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def unread_column(user_id: Any) -> Any:
    """How many notifications the person has not read, to load with another query (the count reads
    the (user_id, read_at) index)."""
    return (select(func.count(Notification.id))
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())
