"""The table of static pages: one row per page of an organization, found by its slug."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class StaticPage(Base):
    """A page of the organization itself (help, about), at ``/pages/<slug>``."""

    __tablename__ = "core_static_pages"
    __table_args__ = (UniqueConstraint("organization_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    """Its address below /pages; unique in the organization, another one may use it too."""
    title: Mapped[dict[str, str]]
    body: Mapped[dict[str, str]]
    """Sanitised rich text, per language."""
    weight: Mapped[int] = mapped_column(default=0)
    """Its place in the lists and the footer, smallest first."""
    show_in_footer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
