"""The table of endorsements: a person, or a user group through one of its members, stands behind a resource."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

PERSON, GROUP = "user", "group"


class Endorsement(Base):
    """One endorsement of one resource ("<plugin>.<thing>", id), by a person or a group, once each.

    The endorser is ``(endorser_type, endorser_id)``: ("user", the person's id) or ("group", the group's
    id), both never empty, so the unique key has no nullable column and the database itself refuses a
    second endorsement by the same endorser. ``user_id`` is who pressed the button (for a group, one of
    its members); ``user_group_id`` ties a group's endorsement to the group, so it goes with it.
    """

    __tablename__ = "core_endorsements"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id", "endorser_type", "endorser_id"),
        Index("ix_core_endorsements_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    endorser_type: Mapped[str] = mapped_column(String(8))
    """"user" or "group"."""
    endorser_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    user_group_id: Mapped[int | None] = mapped_column(ForeignKey("core_user_groups.id", ondelete="CASCADE"),
                                                      index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
