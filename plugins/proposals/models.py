"""Tables of the proposals plugin.

Every "one per" rule is a unique constraint without nullable columns, and every counter that a
limit reads (a participant's supports, a proposal's supports) is a column changed by a
conditional UPDATE in the transaction that records the support, so two requests can never
both pass a limit (see services.support).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.models import User
from core.categories.models import Category
from core.db import Base, relationship, utcnow
from core.groups.models import UserGroup
from core.scopes.models import Scope

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
        Index("ix_proposals_proposals_endorsed", "component_id", "state", "endorsements_count", "id"),
        Index("ix_proposals_proposals_answered", "component_id", "state", "answer_state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    user_group_id: Mapped[int | None]
    """The group (core.groups) its author published it on behalf of. A plain integer, like comments' own:
    groups go only with their organization, which takes the proposals with it."""
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str | None] = mapped_column(String(16))
    """Where an official proposal comes from: "meeting" (``origin_meeting`` on ``origin_date``) or
    "assembly" (``origin_space_id``); None for the organization's own (official.py)."""
    origin_space_id: Mapped[int | None]
    origin_meeting: Mapped[str | None] = mapped_column(String(200))
    origin_date: Mapped[date | None]
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
    category_id: Mapped[int | None] = mapped_column(ForeignKey("core_categories.id"), index=True)
    """One of its space's categories (core.categories); a category with proposals cannot be deleted."""
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("core_scopes.id"), index=True)
    """The district, neighbourhood or theme it is about (core.scopes); without one, its space's applies."""
    state: Mapped[str] = mapped_column(String(16), default="draft")
    """"draft" (only its author sees it), "published" or "withdrawn" (by its author; stays visible)."""
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    answer_state: Mapped[str | None] = mapped_column(String(32))
    """"evaluating", "accepted", "rejected" or the token of one of the component's own answer states
    (evaluation.AnswerState) once the organization answers; None before."""
    answer: Mapped[dict[str, str]] = mapped_column(default=dict)
    answer_cost: Mapped[int | None] = mapped_column(Integer)
    answer_cost_report: Mapped[dict[str, str]] = mapped_column(default=dict)
    """What the cost is made of, per language (sanitised HTML); given with an accepted answer's cost."""
    answer_execution_period: Mapped[dict[str, str]] = mapped_column(default=dict)
    """When it would be done, per language (plain text); given with an accepted answer's cost."""
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether ``proposals_links`` names it (merged, split, imported): its page reads the links only then."""
    answered_at: Mapped[datetime | None]
    answer_published_at: Mapped[datetime | None]
    """Answers can be prepared and published later, together."""
    supports_total: Mapped[int] = mapped_column(Integer, default=0)
    """Every support received; the threshold cap applies to it."""
    supports_count: Mapped[int] = mapped_column(Integer, default=0)
    """Supports that count: those of participants who gave at least the minimum."""
    endorsements_count: Mapped[int] = mapped_column(Integer, default=0)
    """Its endorsements (core_endorsements), kept by plugins.proposals.endorsements for the "most endorsed" order."""
    shuffle: Mapped[int] = mapped_column(Integer, default=lambda: secrets.randbelow(SHUFFLE_RANGE))
    """A random number drawn once: the random order reads the proposals by it from a point the visitor's
    seed picks, along an index, instead of sorting every proposal on each page."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    participatory_text_level: Mapped[str | None] = mapped_column(String(16))
    """"section", "sub_section" or "article" when it is a piece of the component's participatory text
    (plugins/proposals/participatory_texts.py); None for every other proposal."""
    position: Mapped[int | None] = mapped_column(Integer)
    """Its place in the participatory text, from 0; None outside one."""

    author: Mapped[User | None] = relationship()
    user_group: Mapped[UserGroup | None] = relationship(
        primaryjoin="foreign(Proposal.user_group_id) == UserGroup.id", lazy="joined", viewonly=True)
    """Shown with the author wherever the proposal is, so it comes with it (one join, no query)."""
    coauthorships: Mapped[list[Coauthorship]] = relationship(order_by="Coauthorship.id", viewonly=True)
    """Load it where co-authors count (``services.proposal_for`` does, with its proposal)."""
    category: Mapped[Category | None] = relationship(lazy="joined", viewonly=True)
    scope: Mapped[Scope | None] = relationship(lazy="joined", viewonly=True)
    """Their names are shown wherever the proposal is, so they come with it (a join each, no query)."""

    def authored_by(self, user_id: int) -> bool:
        """Whether this person wrote it: its author, or a co-author who accepted. Without ``coauthorships``
        loaded only the author counts, so a page that forgot to load them refuses rather than allows."""
        if self.author_id == user_id:
            return True
        if "coauthorships" in inspect(self).unloaded:
            return False
        return any(c.user_id == user_id and c.accepted_at is not None for c in self.coauthorships)

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


# ------------------------------------------------------------------------------------ evaluation
# Valuators, their private notes, the answer states a component adds, and the links between
# proposals made from others (merged, split, imported): see plugins/proposals/evaluation.py and links.py.

class AnswerState(Base):
    """An answer state a space admin adds to one component, besides evaluating, accepted and rejected.

    ``kind`` says what it counts as: "accepted" and "rejected" states are found by those filters and
    share their colours; "neutral" ones only by their own filter.
    """

    __tablename__ = "proposals_answer_states"
    __table_args__ = (UniqueConstraint("component_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(32))
    """What ``Proposal.answer_state`` holds, the list filter's value and the CSV's state column."""
    name: Mapped[dict[str, str]]
    kind: Mapped[str] = mapped_column(String(16), default="neutral")
    weight: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ValuatorAssignment(Base):
    """A proposal given to a valuator of its space to evaluate."""

    __tablename__ = "proposals_valuator_assignments"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_proposals_valuator_assignments_valuator", "component_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"))
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Note(Base):
    """A private note on a proposal, for the admins and valuators of its space only: never on a public
    page, in an export, in the search index or in an event."""

    __tablename__ = "proposals_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    """Plain text, shown escaped."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Link(Base):
    """A stable link from one resource to another, named for how the first came from the second:
    "merged_from", "split_from", "imported_from". Types are resource types ("proposals.proposal"), so
    a budget or accountability component can later link its projects to the proposals they came from.
    Both ends always belong to ``organization_id``; readers join the resources, so a link to something
    deleted is never shown.
    """

    __tablename__ = "proposals_links"
    __table_args__ = (
        UniqueConstraint("from_type", "from_id", "to_type", "to_id", "name"),
        Index("ix_proposals_links_to", "to_type", "to_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"),
                                                 index=True)
    from_type: Mapped[str] = mapped_column(String(64))
    from_id: Mapped[int] = mapped_column(Integer)
    to_type: Mapped[str] = mapped_column(String(64))
    to_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coauthorship(Base):
    """A person the author of a published proposal asked to sign it too; a co-author once accepted."""

    __tablename__ = "proposals_coauthorships"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals_proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the author invited them."""
    accepted_at: Mapped[datetime | None]
    """None while the invitation waits; declining deletes the row."""

    user: Mapped[User] = relationship(lazy="joined")
    """Its names are shown with the proposal, so the person comes with the row."""


# ------------------------------------------------------------------------------------ participatory texts

class ParticipatoryText(Base):
    """The document of a component whose proposals are its sections and articles (participatory_texts.py)."""

    __tablename__ = "proposals_participatory_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_components.id", ondelete="CASCADE"), unique=True)
    title: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    """Sanitised HTML per language."""
    source: Mapped[str] = mapped_column(Text, default="")
    """The Markdown last imported (with the admin's edits of single articles), offered again for a new import."""
    published_at: Mapped[datetime | None]
    """Set when its proposals are published together; from then on it cannot be imported again."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
