"""The rules of areas and area types, and the helpers other features use to offer and filter by area.

An area belongs to one organization; ``is_area_of`` is the check every feature makes on an id it is
given, so another organization's area is refused. Unlike a scope, an area in use may be deleted: the
spaces that had it keep existing, without an area. Changes write the admin log in the caller's
transaction (the caller commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession

from core.adminlog import record
from core.areas.models import Area, AreaType
from core.areas.schemas import AreaForm, AreaTypeForm
from core.i18n import N_, translated
from core.models import Organization, Space

NOT_ONE_OF_OURS = N_("Choose one of the options.")
NAME_TAKEN = N_("Another area of this type already has this name: choose another one.")
NAMES_SHOWN = 5


class AreaError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__", **variables: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.variables = variables


# ---------------------------------------------------------------- reading


async def area_types_of(session: AsyncSession, organization: Organization | int) -> Sequence[AreaType]:
    """The organization's area types, oldest first."""
    organization_id = organization if isinstance(organization, int) else organization.id
    return (await session.scalars(
        select(AreaType).where(AreaType.organization_id == organization_id).order_by(AreaType.id)
    )).all()


async def areas_of(session: AsyncSession, organization: Organization | int) -> list[Area]:
    """The organization's areas, by type (in the order of the types, areas of no type first) and then by
    name in the current language. One query: an organization has a few dozen areas."""
    organization_id = organization if isinstance(organization, int) else organization.id
    areas = (await session.scalars(select(Area).where(Area.organization_id == organization_id))).all()
    return sorted(areas, key=lambda area: (area.area_type_id or 0, translated(area.name).casefold(), area.id))


async def area_of(session: AsyncSession, organization: Organization, area_id: int) -> Area | None:
    """An area of this organization only: another one's id is not found."""
    return await session.scalar(select(Area).where(Area.id == area_id, Area.organization_id == organization.id))


async def area_type_of(session: AsyncSession, organization: Organization, area_type_id: int) -> AreaType | None:
    """An area type of this organization only."""
    return await session.scalar(select(AreaType).where(AreaType.id == area_type_id,
                                                       AreaType.organization_id == organization.id))


async def is_area_of(session: AsyncSession, organization_id: int, area_id: int | None) -> bool:
    """Whether ``area_id`` names an area of this organization (None, no area, is fine too). Every feature
    that stores an area id it was sent asks this first."""
    if area_id is None:
        return True
    return await session.scalar(select(Area.id).where(Area.id == area_id,
                                                      Area.organization_id == organization_id)) is not None


def choices(areas: Sequence[Area], empty: str) -> list[tuple[str, str]]:
    """Options of a select: ``empty`` (already translated) first, then every area by name, in the order of
    ``areas_of``; none at all when the organization has no areas, so that the field is left out
    (``core.forms``)."""
    options = [(str(area.id), translated(area.name)) for area in areas]
    return [("", empty), *options] if options else []


def groups(areas: Sequence[Area], types: Sequence[AreaType]) -> dict[str, str]:
    """The heading of each area's group in a select (its type's plural, or its name); areas of no type
    are in no group."""
    headings = {kind.id: translated(kind.plural) or translated(kind.name) for kind in types}
    return {str(area.id): headings[area.area_type_id] for area in areas if area.area_type_id in headings}


def pick(areas: Sequence[Area], raw: Any) -> Area | None:
    """The area a query parameter names, if it is one of ``areas`` (the organization's); else None, so an
    unknown, foreign or malformed id filters nothing."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return next((area for area in areas if area.id == int(text)), None)


async def spaces_with(session: AsyncSession, area: Area) -> int:
    """How many spaces have this area (what deleting it leaves without one)."""
    return await session.scalar(select(func.count(Space.id)).where(Space.area_id == area.id)) or 0


def _names(rows: Sequence[Any]) -> str:
    shown = ", ".join(translated(row.name) for row in rows[:NAMES_SHOWN])
    return shown + (", …" if len(rows) > NAMES_SHOWN else "")


def _name(organization: Organization, name: dict[str, str]) -> dict[str, str]:
    languages = set(organization.available_locales)
    return {locale: " ".join(text.split()) for locale, text in name.items() if locale in languages and text.strip()}


# ---------------------------------------------------------------- area types


async def create_type(session: AsyncSession, organization: Organization, actor: Any, data: AreaTypeForm) -> AreaType:
    """A new area type, in the admin log."""
    area_type = AreaType(organization_id=organization.id, name=_name(organization, data.name),
                         plural=_name(organization, data.plural))
    session.add(area_type)
    await session.flush()
    record(session, organization.id, actor, "area_type.create", translated(area_type.name),
           area_type_id=area_type.id)
    return area_type


async def update_type(session: AsyncSession, organization: Organization, actor: Any, area_type: AreaType,
                      data: AreaTypeForm) -> None:
    area_type.name, area_type.plural = _name(organization, data.name), _name(organization, data.plural)
    record(session, organization.id, actor, "area_type.update", translated(area_type.name),
           area_type_id=area_type.id)


async def type_refusal(session: AsyncSession, area_type: AreaType) -> AreaError | None:
    """Why this type cannot be deleted now (areas are of it), or None."""
    used = (await session.scalars(select(Area).where(Area.area_type_id == area_type.id).order_by(Area.id)
                                  .limit(NAMES_SHOWN + 1))).all()
    if used:
        return AreaError(N_("Areas are of this type (%(names)s): give them another type or delete them first."),
                         names=_names(used))
    return None


async def delete_type(session: AsyncSession, organization: Organization, actor: Any, area_type: AreaType) -> None:
    """Delete a type no area is of; else AreaError says why not."""
    refusal = await type_refusal(session, area_type)
    if refusal is not None:
        raise refusal
    record(session, organization.id, actor, "area_type.delete", translated(area_type.name))
    await session.delete(area_type)


# ---------------------------------------------------------------- areas


async def _check(session: AsyncSession, organization: Organization, data: AreaForm, area: Area | None) -> None:
    if data.area_type_id is not None and await area_type_of(session, organization, data.area_type_id) is None:
        raise AreaError(NOT_ONE_OF_OURS, "area_type_id")
    # Two areas of one type with the same name could not be told apart in the select of a space.
    same_type = select(Area).where(Area.organization_id == organization.id,
                                   Area.area_type_id.is_(None) if data.area_type_id is None
                                   else Area.area_type_id == data.area_type_id)
    if area is not None:
        same_type = same_type.where(Area.id != area.id)
    names = {" ".join(text.split()).casefold() for text in data.name.values() if text.strip()}
    for other in (await session.scalars(same_type)).all():
        if names & {text.casefold() for text in other.name.values()}:
            raise AreaError(NAME_TAKEN, "name")


async def create(session: AsyncSession, organization: Organization, actor: Any, data: AreaForm) -> Area:
    """A new area of the organization, in the admin log."""
    await _check(session, organization, data, None)
    area = Area(organization_id=organization.id, name=_name(organization, data.name), area_type_id=data.area_type_id)
    session.add(area)
    await session.flush()
    record(session, organization.id, actor, "area.create", translated(area.name), area_id=area.id)
    return area


async def update(session: AsyncSession, organization: Organization, actor: Any, area: Area, data: AreaForm) -> None:
    """Change an area; the spaces that have it keep it."""
    await _check(session, organization, data, area)
    area.name, area.area_type_id = _name(organization, data.name), data.area_type_id
    await session.flush()
    record(session, organization.id, actor, "area.update", translated(area.name), area_id=area.id)


async def delete(session: AsyncSession, organization: Organization, actor: Any, area: Area) -> int:
    """Delete an area; the spaces that had it keep existing, with no area. How many spaces lost it.

    The foreign key says ``ON DELETE SET NULL`` too; clearing it here keeps the spaces already in the
    session right and counts them for the admin log."""
    cleared = (await session.execute(
        update_rows(Space).where(Space.area_id == area.id).values(area_id=None).execution_options(synchronize_session="fetch")
    )).rowcount or 0
    record(session, organization.id, actor, "area.delete", translated(area.name), spaces=cleared)
    await session.delete(area)
    await session.flush()
    return cleared
