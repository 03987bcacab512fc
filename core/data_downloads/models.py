"""The table of data downloads: one row per time a person asked for all their data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

PENDING = "finished_at IS NULL AND failed_at IS NULL"


class DataDownload(Base):
    """A person's request for their data: pending until the worker wrote the archive, then kept until
    ``expires_at``. The partial unique index lets each person have one request being prepared at a time."""

    __tablename__ = "core_data_downloads"
    __table_args__ = (
        Index("ix_core_data_downloads_pending_user_id", "user_id", unique=True,
              sqlite_where=text(PENDING), postgresql_where=text(PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """When the archive is deleted (``data_download_retention_days`` after it was written)."""
    file_name: Mapped[str | None] = mapped_column(String(255))
    """The archive under ``<data_dir>/data_downloads/<organization id>/``."""
    size: Mapped[int | None] = mapped_column(Integer)

    @property
    def pending(self) -> bool:
        return self.finished_at is None and self.failed_at is None
