"""Tables of comments: the comments, their earlier versions and the votes on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow
from core.groups.models import UserGroup

IN_FAVOUR, NEUTRAL, AGAINST = 1, 0, -1
UP, DOWN = 1, -1


class Comment(Base):
    """One comment on a resource ``(resource_type, resource_id)`` of a component, or a reply to one."""

    __tablename__ = "core_comments"
    __table_args__ = (Index("ix_core_comments_resource", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    user_group_id: Mapped[int | None]
    """The group (core.groups) the author wrote on behalf of. A plain integer: see the user groups revision."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_comments.id", ondelete="CASCADE"))
    root_id: Mapped[int | None] = mapped_column(ForeignKey("core_comments.id", ondelete="CASCADE"), index=True)
    """The top-level comment of the thread (None for a top-level comment): a page of the thread is its
    top-level comments and everything under them, loaded in one query."""
    depth: Mapped[int] = mapped_column(SmallInteger, default=1)
    """1 for a top-level comment, 2 for a reply to it, up to ``services.MAX_DEPTH``."""
    body: Mapped[str] = mapped_column(Text)
    """Plain text with line breaks; emptied when the author deletes the comment."""
    alignment: Mapped[int] = mapped_column(SmallInteger, default=NEUTRAL)
    """IN_FAVOUR, NEUTRAL or AGAINST what it comments on."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    user_group: Mapped[UserGroup | None] = relationship(
        primaryjoin="foreign(Comment.user_group_id) == UserGroup.id", lazy="joined", viewonly=True)
    """Shown with the author in the thread, so it comes with the comment (one join, no query)."""


class CommentVersion(Base):
    """A text a comment had before its author edited it."""

    __tablename__ = "core_comment_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("core_comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
    """When this text was written (the comment's creation or an earlier edit)."""
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentVote(Base):
    """One person's up (+1) or down (-1) vote on a comment; the constraint keeps it one."""

    __tablename__ = "core_comment_votes"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("core_comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
