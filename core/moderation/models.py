"""Tables of moderation: what was reported (or hidden) and each person's report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

REASONS = ("spam", "offensive", "does_not_belong", "other")


class Moderation(Base):
    """The moderation state of one resource: how many reports it has and whether it is hidden.

    A resource is ``(resource_type, resource_id)``: "comments.comment" or a plugin's commentable type.
    What it said and where it lives are kept from the first report, so the moderation page needs no
    plugin code and still shows what was reported after the author changed it.
    """

    __tablename__ = "core_moderations"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id"),
        Index("ix_core_moderations_space_id_hidden_at", "space_id", "hidden_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"))
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    excerpt: Mapped[str] = mapped_column(Text, default="")
    """The title or the first words of what was reported, as it was then."""
    path: Mapped[str] = mapped_column(String(500), default="")
    """Its address on the site."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    report_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    """The moderator who hid it; None when the reports hid it automatically."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]
    """The latest report."""


class Report(Base):
    """One person's report of one resource, with a reason; the constraint keeps it one per person."""

    __tablename__ = "core_reports"
    __table_args__ = (UniqueConstraint("moderation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    moderation_id: Mapped[int] = mapped_column(ForeignKey("core_moderations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
