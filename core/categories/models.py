"""The table of categories: one row per category of a space."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class Category(Base):
    """A theme of a space ("Mobility", and under it "Cycling"); ``parent_id`` makes it a subcategory.

    What is filed under a category points at it with a foreign key without ``ON DELETE``: deleting a
    category in use is refused by the services, and by the database too.
    """

    __tablename__ = "core_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_categories.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict[str, str]]
    weight: Mapped[int] = mapped_column(default=0)
    """Its place among its siblings, smallest first."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
