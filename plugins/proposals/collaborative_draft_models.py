"""Tables of collaborative drafts (plugins/proposals/collaborative_drafts.py has the rules).

A draft's "one per" rules are unique constraints: one collaborator row and one access request per
(draft, person). Its state and its version change only by conditional UPDATEs, so two people pressing
"Publish" at once make one proposal and two people saving at once do not overwrite each other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow

DRAFT_STATES = ("open", "withdrawn", "published")
REQUEST_STATES = ("pending", "accepted", "rejected")


class CollaborativeDraft(Base):
    """A text several people write together before one of them publishes it as a proposal."""

    __tablename__ = "proposals_collaborative_drafts"
    # The list reads a component's open and published drafts, newest first, along this index; a proposal's
    # page finds the draft it was published from along the second (services.proposal_and_support).
    __table_args__ = (Index("ix_proposals_collaborative_drafts_listing", "component_id", "state", "id"),
                      Index("ix_proposals_collaborative_drafts_proposal_id", "proposal_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    """Who started it: the author of the proposal it becomes; the other collaborators are its co-authors."""
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Sanitised HTML (core.richtext), made like a proposal's from the plain text typed."""
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="open")
    """"open" (its collaborators edit it), "withdrawn" or "published" (both read-only for good)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised by every save: a save made from an older version is refused instead of overwriting."""
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    """Who saved the current version."""
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="SET NULL"))
    """The proposal it was published as."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the current version was saved."""
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id], lazy="joined", viewonly=True)
    """Shown with the draft ("last edited by"), so it comes with it."""
    collaborators: Mapped[list[Collaborator]] = relationship(order_by="Collaborator.id", viewonly=True)
    requests: Mapped[list[AccessRequest]] = relationship(order_by="AccessRequest.id", viewonly=True)
    """Load both where the draft's page needs them (``collaborative_drafts.draft_for`` does)."""


class Collaborator(Base):
    """A person who writes the draft: its author, and everyone whose access request was accepted."""

    __tablename__ = "proposals_collaborative_draft_collaborators"
    __table_args__ = (UniqueConstraint("draft_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("proposals_collaborative_drafts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class AccessRequest(Base):
    """A person asking the collaborators of a draft to let them write it too."""

    __tablename__ = "proposals_collaborative_draft_requests"
    __table_args__ = (UniqueConstraint("draft_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("proposals_collaborative_drafts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """"pending", "accepted" or "rejected"; a rejected person may ask again, which makes it pending."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
