"""Core tables: organizations and their hosts, terms of use, spaces and components.

Every table of core is prefixed ``core_``; plugins prefix theirs with their name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, relationship, utcnow

if TYPE_CHECKING:
    from core.uploads import Upload


class Organization(Base):
    """A municipality: everything else belongs to exactly one organization."""

    __tablename__ = "core_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict[str, str]]
    default_locale: Mapped[str] = mapped_column(String(8), default="ca")
    available_locales: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["ca", "es", "en"])
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f5f8b")
    secondary_color: Mapped[str] = mapped_column(String(7), default="#f4f6f8")
    logo: Mapped[str | None] = mapped_column(Text)
    """The municipality's arms as an SVG document or a data URI; the platform logo always stays."""
    minimum_age: Mapped[int] = mapped_column(Integer, default=14)
    registration_mode: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    terms_version: Mapped[int | None]
    """The version of the terms of use in force (kept here so no request has to look it up)."""
    """"open" (anyone registers), "invitation" (only invited people) or "closed"."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Madrid", server_default="Europe/Madrid")
    """The IANA name of the zone its people live in: times are shown and typed in it, stored in UTC."""

    hosts: Mapped[list[OrganizationHost]] = relationship(back_populates="organization")


class OrganizationHost(Base):
    """A host name that leads to an organization; one is the main host."""

    __tablename__ = "core_organization_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(back_populates="hosts")


class TermsOfUse(Base):
    """One published version of an organization's terms; the newest is in force."""

    __tablename__ = "core_terms_of_use"
    __table_args__ = (UniqueConstraint("organization_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"))
    version: Mapped[int]
    body: Mapped[dict[str, str]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class Space(Base):
    """Where participation happens: a process, an assembly, or a type a plugin adds."""

    __tablename__ = "core_spaces"
    __table_args__ = (UniqueConstraint("organization_id", "space_type", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    space_type: Mapped[str] = mapped_column(String(64))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[dict[str, str]]
    subtitle: Mapped[dict[str, str]] = mapped_column(default=dict)
    short_description: Mapped[dict[str, str]] = mapped_column(default=dict, server_default="{}")
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    """Sanitised rich text, per language."""
    announcement: Mapped[dict[str, str]] = mapped_column(default=dict, server_default="{}")
    """A notice shown on top of the space's pages (a deadline moved, a meeting tonight)."""
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    active_phase_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_phases.id", ondelete="SET NULL", use_alter=True)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_spaces.id", ondelete="SET NULL"), index=True)
    """A child assembly's parent (a commission of the council)."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """What only spaces of this type have, as the space type's ``details`` Struct (an assembly's purpose...)."""
    """Held on the space, so "one active phase" needs no rule and reading it needs no query."""
    hero_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_uploads.id", ondelete="SET NULL", use_alter=True))
    """The image shown on top of the space's page and on its card (``core.attachments``)."""
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("core_scopes.id"), index=True)
    """The district, neighbourhood or theme it is about (``core.scopes``); a scope with spaces is not deleted."""
    area_id: Mapped[int | None] = mapped_column(ForeignKey("core_areas.id", ondelete="SET NULL"), index=True)
    """The thematic area it belongs to (``core.areas``); deleting the area leaves the space without one."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hero: Mapped[Upload | None] = relationship("Upload", foreign_keys=[hero_upload_id])
    """Load it with ``selectinload(Space.hero)`` where a page shows it."""
    components: Mapped[list[Component]] = relationship(back_populates="space", order_by="Component.weight")
    phases: Mapped[list[Phase]] = relationship(
        back_populates="space", order_by="Phase.weight", foreign_keys="Phase.space_id"
    )
    active_phase: Mapped[Phase | None] = relationship(foreign_keys=[active_phase_id], viewonly=True)


class SpaceMember(Base):
    """A member of an assembly: a person with an account, or only a name (a representative of a body)."""

    __tablename__ = "core_space_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    """Shown when there is no account; with one, the account's name is shown."""
    position: Mapped[str] = mapped_column(String(32), default="member")
    position_other: Mapped[str] = mapped_column(String(120), default="")
    weight: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Phase(Base):
    """A step of a process with its dates; the active one decides what components allow."""

    __tablename__ = "core_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    title: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    weight: Mapped[int] = mapped_column(Integer, default=0)

    space: Mapped[Space] = relationship(back_populates="phases", foreign_keys=[space_id])


class Component(Base):
    """One participation tool switched on in a space, of a type a plugin registers."""

    __tablename__ = "core_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("core_spaces.id", ondelete="CASCADE"), index=True)
    component_type: Mapped[str] = mapped_column(String(64))
    name: Mapped[dict[str, str]]
    weight: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    phase_settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Settings per phase, keyed by the phase's id as text."""
    archived_at: Mapped[datetime | None]
    """Set instead of deleting a component that has participation: it leaves the site, its data stays."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship(back_populates="components")


class StoreEntry(Base):
    """Key-value entries with expiry: sessions, rate limits and caches when no Redis is configured."""

    __tablename__ = "core_store_entries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[bytes]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class Backup(Base):
    """A backup run, so admins and health checks can see when the last one succeeded."""

    __tablename__ = "core_backups"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int | None]
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
