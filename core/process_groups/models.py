"""Tables of process groups: a group of an organization, and which processes are in it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, relationship, utcnow

if TYPE_CHECKING:
    from core.uploads import Upload


class ProcessGroup(Base):
    """Related participatory processes bundled together (the budgets of every year, a city plan's parts)."""

    __tablename__ = "core_process_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    title: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    """Sanitised rich text, per language."""
    hero_upload_id: Mapped[int | None] = mapped_column(ForeignKey("core_uploads.id", ondelete="SET NULL"))
    """An optional picture on top of the group's page (core.uploads)."""
    weight: Mapped[int] = mapped_column(default=0)
    """Its place in the lists, smallest first."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    hero: Mapped[Upload | None] = relationship("Upload", foreign_keys=[hero_upload_id])


class ProcessGroupProcess(Base):
    """A process in a group; a process is in one group at most (the unique space)."""

    __tablename__ = "core_process_group_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("core_process_groups.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), unique=True)
