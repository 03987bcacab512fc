"""Tables of the pages plugin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class Page(Base):
    """A page of text inside a pages component (about the process, how to take part, FAQ...)."""

    __tablename__ = "pages_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    title: Mapped[dict[str, str]]
    body: Mapped[dict[str, str]]
    """Sanitised HTML per language (core.richtext.sanitize)."""
    weight: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
