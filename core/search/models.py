"""The search index: one row per public thing of the organization, with its words ready for full text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class IndexedDocument(Base):
    """What search finds of one resource: its title and text in each language, and where it lives.

    Whether it may be shown is not stored: the space's, the component's and moderation's state are
    checked when searching, so publishing, hiding or making a space private needs no re-indexing.
    The full-text index over ``terms`` is made by the migration (FTS5 or PostgreSQL's GIN).
    """

    __tablename__ = "core_search_documents"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id"),
        Index("ix_core_search_documents_organization", "organization_id", "resource_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"),
                                                     index=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    parent_type: Mapped[str | None] = mapped_column(String(100))
    """What a comment is about: hiding that hides the comment from search too."""
    parent_id: Mapped[int | None]
    path: Mapped[str] = mapped_column(String(500))
    """Below the component's address ("/12"), or the space's for a space (""); the whole address of a
    thing outside any space ("/pages/help")."""
    title: Mapped[dict[str, str]]
    text: Mapped[dict[str, str]]
    """The beginning of the plain text in each language, for the result's excerpt."""
    terms: Mapped[str] = mapped_column(Text)
    """Every word of every language, lower-case and without accents (see services.normalize)."""
    published_at: Mapped[datetime | None]
    scope_id: Mapped[int | None] = mapped_column(index=True)
    """Its own scope (``core.scopes``); without one, its space's applies when filtering. No foreign key: the
    index is derived data, and an id that names no scope any more matches nothing."""
