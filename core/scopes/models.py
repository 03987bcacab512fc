"""The tables of scopes: their types (district, neighbourhood, theme) and the scopes themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class ScopeType(Base):
    """A kind of scope of an organization: "district", "neighbourhood", "theme"."""

    __tablename__ = "core_scope_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict[str, str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Scope(Base):
    """A territory or theme of an organization; a neighbourhood sits inside its district (``parent_id``).

    Spaces, proposals and search documents point at a scope. Deleting one in use is refused by the
    services, and the foreign keys of what points at it have no ``ON DELETE``, so the database refuses
    too, even for a plugin's table that core does not read.
    """

    __tablename__ = "core_scopes"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    scope_type_id: Mapped[int | None] = mapped_column(ForeignKey("core_scope_types.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_scopes.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    """The municipality's own code for it (a district number, a statistical code); unique in the organization."""
    name: Mapped[dict[str, str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
