"""Demo areas: the sectors of Vilademo's council, and the area of some demo spaces."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.areas.models import Area, AreaType
from core.models import Organization, Space

TYPES = {
    "sector": ({"ca": "Sector", "es": "Sector", "en": "Sector"},
               {"ca": "Sectors", "es": "Sectores", "en": "Sectors"}),
    "department": ({"ca": "Regidoria", "es": "Concejalía", "en": "Department"},
                   {"ca": "Regidories", "es": "Concejalías", "en": "Departments"}),
}
AREAS = [
    # (key, type, name)
    ("mobility", "sector", {"ca": "Mobilitat i espai públic", "es": "Movilidad y espacio público",
                            "en": "Mobility and public space"}),
    ("youth", "sector", {"ca": "Joventut", "es": "Juventud", "en": "Youth"}),
    ("economy", "department", {"ca": "Economia i hisenda", "es": "Economía y hacienda", "en": "Economy and finance"}),
]
SPACE_AREAS = {"pla-de-mobilitat": "mobility", "consell-de-joves": "youth"}
"""The budget has no area: it is about everything the council spends."""


async def seed_areas(session: AsyncSession, organization: Organization) -> dict[str, Area]:
    """The organization's demo area types and areas; the areas by key."""
    types = {key: AreaType(organization_id=organization.id, name=name, plural=plural)
             for key, (name, plural) in TYPES.items()}
    session.add_all(types.values())
    await session.flush()
    areas = {key: Area(organization_id=organization.id, name=name, area_type_id=types[kind].id)
             for key, kind, name in AREAS}
    session.add_all(areas.values())
    await session.flush()
    return areas


def area_space(space: Space, areas: dict[str, Area]) -> None:
    """Give a demo space its area, if it has one."""
    key = SPACE_AREAS.get(space.slug)
    space.area_id = areas[key].id if key in areas else None
