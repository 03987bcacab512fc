"""The tables of areas: their types (sector, department) and the areas themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class AreaType(Base):
    """A kind of area of an organization: "sector", "department"; ``plural`` names a group of them in
    selects and lists ("Sectors")."""

    __tablename__ = "core_area_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict[str, str]]
    plural: Mapped[dict[str, str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Area(Base):
    """A thematic area of an organization (culture, mobility), of a type or of none.

    Spaces point at an area with ``ON DELETE SET NULL``: deleting an area leaves its spaces without one.
    A type with areas is not deleted (the services refuse, and so does the foreign key).
    """

    __tablename__ = "core_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    area_type_id: Mapped[int | None] = mapped_column(ForeignKey("core_area_types.id"), index=True)
    name: Mapped[dict[str, str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
