"""Demo scopes: the districts and neighbourhoods of Vilademo, and the scope of each demo space."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Organization, Space
from core.scopes.models import Scope, ScopeType

TYPES = {
    "district": {"ca": "Districte", "es": "Distrito", "en": "District"},
    "neighbourhood": {"ca": "Barri", "es": "Barrio", "en": "Neighbourhood"},
}
SCOPES = [
    # (code, type, parent code, name)
    ("D1", "district", None, {"ca": "Nord", "es": "Norte", "en": "North"}),
    ("D1-01", "neighbourhood", "D1", {"ca": "Sant Roc", "es": "Sant Roc", "en": "Sant Roc"}),
    ("D1-02", "neighbourhood", "D1", {"ca": "Les Planes", "es": "Les Planes", "en": "Les Planes"}),
    ("D2", "district", None, {"ca": "Centre", "es": "Centro", "en": "Centre"}),
    ("D2-01", "neighbourhood", "D2", {"ca": "Vila Vella", "es": "Vila Vella", "en": "Old Town"}),
    ("D3", "district", None, {"ca": "Sud", "es": "Sur", "en": "South"}),
    ("D3-01", "neighbourhood", "D3", {"ca": "El Port", "es": "El Port", "en": "The Harbour"}),
    ("D3-02", "neighbourhood", "D3", {"ca": "La Riera", "es": "La Riera", "en": "La Riera"}),
]
SPACE_SCOPES = {"pla-de-mobilitat": "D2"}
"""The mobility plan is about the centre; the budget and the youth council are for the whole town."""


async def seed_scopes(session: AsyncSession, organization: Organization) -> dict[str, Scope]:
    """The organization's demo scope types and scopes; the scopes by code."""
    types = {key: ScopeType(organization_id=organization.id, name=name) for key, name in TYPES.items()}
    session.add_all(types.values())
    await session.flush()
    scopes: dict[str, Scope] = {}
    for code, kind, parent, name in SCOPES:
        scope = Scope(organization_id=organization.id, code=code, name=name, scope_type_id=types[kind].id,
                      parent_id=scopes[parent].id if parent else None)
        session.add(scope)
        await session.flush()
        scopes[code] = scope
    return scopes


def scope_space(space: Space, scopes: dict[str, Scope]) -> None:
    """Give a demo space its scope, if it has one."""
    code = SPACE_SCOPES.get(space.slug)
    space.scope_id = scopes[code].id if code in scopes else None
