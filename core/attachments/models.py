"""Attachments and their collections: files of a space, or of a resource of a component (a proposal).

What a file belongs to is a ``(resource_type, resource_id)`` pair, as for comments: ``"space"`` and the
space's id for a space's own files, ``"proposals.proposal"`` and its id for a proposal's. The space (and
the component, for a resource) are kept on the row too, so that a file's visibility is decided from
its own row, and so that the database deletes the rows of a space or a component that goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, relationship, utcnow
from core.models import Component, Space

if TYPE_CHECKING:
    from core.uploads import Upload

SPACE = "space"
"""The resource type of a space's own attachments."""


class AttachmentCollection(Base):
    """A folder of the documents of one resource ("Minutes", "Technical reports")."""

    __tablename__ = "core_attachment_collections"
    __table_args__ = (Index("ix_core_attachment_collections_resource", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"),
                                                     index=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int]
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    weight: Mapped[int] = mapped_column(Integer, default=0)
    """Its place among the resource's folders, smallest first."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """One file of a resource: a document to download or an image of its gallery."""

    __tablename__ = "core_attachments"
    __table_args__ = (Index("ix_core_attachments_resource", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"),
                                                     index=True)
    """Empty for a space's own files."""
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int]
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_attachment_collections.id", ondelete="SET NULL"), index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("core_uploads.id", ondelete="CASCADE"), unique=True)
    thumbnail_upload_id: Mapped[int | None] = mapped_column(ForeignKey("core_uploads.id", ondelete="SET NULL"),
                                                            unique=True)
    """For an image: the small copy its gallery shows."""
    title: Mapped[dict[str, str]]
    """Per language; an image's alternative text too."""
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    weight: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    upload: Mapped[Upload] = relationship("Upload", foreign_keys=[upload_id])
    thumbnail: Mapped[Upload | None] = relationship("Upload", foreign_keys=[thumbnail_upload_id])
    space: Mapped[Space] = relationship(Space)
    component: Mapped[Component | None] = relationship(Component)

    @property
    def is_image(self) -> bool:
        return self.upload.is_image

    @property
    def preview(self) -> Upload:
        """What a gallery shows: the thumbnail, or the image itself when it is small enough to have none."""
        return self.thumbnail or self.upload
