"""Tables of the proposals plugin.

Every "one per" rule is a unique constraint without nullable columns, and every counter that a
limit reads (a participant's supports, a proposal's supports) is a column changed by a
conditional UPDATE in the transaction that records the support, so two requests can never
both pass a limit (see services.support).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.db import Base, relationship, utcnow

STATES = ("draft", "published", "withdrawn")
ANSWER_STATES = ("evaluating", "accepted", "rejected")
SHUFFLE_RANGE = 2**31


class Proposal(Base):
    """An idea a participant (or the organization, if official) puts forward in a component."""

    __tablename__ = "proposals_proposals"
    # The lists' indexes end with the id, so PostgreSQL counts and pages from the index alone (the
    # moderation filter needs the id); SQLite has the rowid in every index anyway.
    __table_args__ = (
        Index("ix_proposals_proposals_listing", "component_id", "state", "published_at", "id"),
        Index("ix_proposals_proposals_shuffled", "component_id", "state", "shuffle", "id"),
        Index("ix_proposals_proposals_supported", "component_id", "state", "supports_count", "id"),
        Index("ix_proposals_proposals_answered", "component_id", "state", "answer_state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Sanitised HTML (core.richtext)."""
    language: Mapped[str] = mapped_column(String(8))
    """The language it was written in: similar proposals are looked for in it."""
    words: Mapped[str] = mapped_column(Text, default="")
    """Title and body without accents, capitals or markup: for similarity and the text filter."""
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    """"draft" (only its author sees it), "published" or "withdrawn" (by its author; stays visible)."""
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    answer_state: Mapped[str | None] = mapped_column(String(32))
    """"evaluating", "accepted" or "rejected" once the organization answers; None before."""
    answer: Mapped[dict[str, str]] = mapped_column(default=dict)
    answer_cost: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None]
    answer_published_at: Mapped[datetime | None]
    """Answers can be prepared and published later, together."""
    supports_total: Mapped[int] = mapped_column(Integer, default=0)
    """Every support received; the threshold cap applies to it."""
    supports_count: Mapped[int] = mapped_column(Integer, default=0)
    """Supports that count: those of participants who gave at least the minimum."""
    shuffle: Mapped[int] = mapped_column(Integer, default=lambda: secrets.randbelow(SHUFFLE_RANGE))
    """A random number drawn once: the random order reads the proposals by it from a point the visitor's
    seed picks, along an index, instead of sorting every proposal on each page."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship()

    @property
    def answer_visible(self) -> bool:
        return self.answer_state is not None and self.answer_published_at is not None


class Support(Base):
    """One participant's support of one proposal."""

    __tablename__ = "proposals_supports"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_proposals_supports_participant", "component_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Participant(Base):
    """What one person has given in one component: the row that the per-person limits lock."""

    __tablename__ = "proposals_participants"

    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"),
                                              primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), primary_key=True)
    supports_given: Mapped[int] = mapped_column(Integer, default=0)
    counting: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether this person's supports count now (they gave at least the minimum in force at their last
    support or withdrawal): stored, so that a minimum changed while supports are open applies from
    the person's next action and never counts a support twice or leaves one counted."""
