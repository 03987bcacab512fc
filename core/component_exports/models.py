"""The table of component exports: one row per export an admin asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow


class ComponentExport(Base):
    """An export of one component: pending until the worker wrote its file, then kept until ``expires_at``."""

    __tablename__ = "core_component_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    """The admin who asked for it, told by mail when it is ready."""
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """When the file is deleted (``export_retention_days`` after it was written)."""
    file_name: Mapped[str | None] = mapped_column(String(255))
    """The file under ``<data_dir>/exports/<organization id>/``."""
    size: Mapped[int | None] = mapped_column(Integer)

    requested_by: Mapped[User | None] = relationship()

    @property
    def pending(self) -> bool:
        return self.finished_at is None and self.failed_at is None
