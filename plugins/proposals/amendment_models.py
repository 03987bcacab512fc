"""Tables of amendments to proposals and of the versions of proposals (plugins/proposals/amendments.py
and versions.py hold their rules).

A version is written for each text a published proposal has had; an amendment keeps the proposal's
text it was written against, so its differences read the same after the proposal changed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow

AMENDMENT_STATES = ("draft", "pending", "accepted", "rejected", "withdrawn")
OPEN = "state IN ('draft', 'pending')"
"""An amendment its author is writing or waiting on: one per person and proposal (a partial unique index)."""


class Amendment(Base):
    """A participant's proposed new title and body for someone else's published proposal.

    "draft" while its author writes it (only they see it), "pending" once sent to the proposal's authors,
    then "accepted" (the proposal took its text), "rejected" or "withdrawn" (by its author).
    """

    __tablename__ = "proposals_amendments"
    __table_args__ = (
        Index("ix_proposals_amendments_open_author", "proposal_id", "author_id", unique=True,
              sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Sanitised HTML, made like a proposal's body (``services.text_to_html``)."""
    base_title: Mapped[str] = mapped_column(String(200))
    base_body: Mapped[str] = mapped_column(Text)
    """The proposal's text when the amendment was written: what its differences are shown against."""
    state: Mapped[str] = mapped_column(String(16), default="draft")
    promoted_proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals_proposals.id", ondelete="SET NULL"))
    """The proposal its author made of it once rejected (a draft first, published through the wizard)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    """When the proposal's authors accepted or rejected it, or its author withdrew it."""

    author: Mapped[User | None] = relationship(lazy="joined")
    """Its name is shown with the amendment, so the person comes with the row."""


class Version(Base):
    """One text a published proposal has had: number 1 when published, one more at each change."""

    __tablename__ = "proposals_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Sanitised HTML, as the proposal had it."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    """Who made this text: the proposal's author, an admin, or the author of the amendment accepted."""
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("proposals_amendments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")
