"""Where proposals are: their coordinates, and which proposals the map view shows.

Coordinates are typed by the author (or picked on the map in the browser); the server never
geocodes an address, so no request of a visitor ever makes it fetch a URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import N_
from plugins.proposals.models import Proposal
from plugins.proposals.schemas import LocatedProposalDetails, ProposalDetails, ProposalsSettings

MAP_LIMIT = 500
"""The most proposals one map shows: more markers than this help nobody and weigh on the page."""
ADDRESS_FILTERS = ("with", "without")
"""The list's "address" filter: proposals with an address, or without one."""


class LocationError(ValueError):
    """Coordinates that cannot be kept; ``message`` is an untranslated message id, ``field`` the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def details_schema(settings: ProposalsSettings) -> type[ProposalDetails]:
    """The form of a proposal's details: with coordinates where the component places proposals on a map."""
    return LocatedProposalDetails if settings.geolocation_enabled else ProposalDetails


def locate(proposal: Proposal, details: ProposalDetails) -> None:
    """Keep the coordinates of the details form, when it has them: both or neither.

    A form without coordinates (the component does not place proposals) leaves those already kept."""
    if not isinstance(details, LocatedProposalDetails):
        return
    if (details.latitude is None) != (details.longitude is None):
        missing = "longitude" if details.longitude is None else "latitude"
        raise LocationError(N_("Give both the latitude and the longitude, or neither."), missing)
    proposal.latitude, proposal.longitude = details.latitude, details.longitude


def address_condition(choice: str) -> Any:
    """The list filter "with an address" / "without an address"; None for any other choice."""
    if choice == "with":
        return Proposal.address.is_not(None) & (Proposal.address != "")
    if choice == "without":
        return Proposal.address.is_(None) | (Proposal.address == "")
    return None


def located() -> Any:
    return Proposal.latitude.is_not(None) & Proposal.longitude.is_not(None)


async def on_map(session: AsyncSession, conditions: Sequence[Any]) -> tuple[Sequence[Any], int]:
    """The located proposals among those the list's ``conditions`` let through, most recent first, at most
    MAP_LIMIT, and how many there are: two queries, whatever their number. Rows carry only what the map and
    its list show (id, title, address, coordinates)."""
    where = [*conditions, located()]
    total = await session.scalar(select(func.count(Proposal.id)).where(*where)) or 0
    rows = (await session.execute(
        select(Proposal.id, Proposal.title, Proposal.address, Proposal.latitude, Proposal.longitude)
        .where(*where).order_by(Proposal.published_at.desc(), Proposal.id.desc()).limit(MAP_LIMIT)
    )).all()
    return rows, total


async def near(session: AsyncSession, component_id: int) -> tuple[float, float] | None:
    """Where the map picker opens when the proposal has no place yet: at the component's most recently
    published located proposal (one query), or None when it has none."""
    row = (await session.execute(
        select(Proposal.latitude, Proposal.longitude)
        .where(Proposal.component_id == component_id, Proposal.state == "published", located())
        .order_by(Proposal.published_at.desc(), Proposal.id.desc()).limit(1)
    )).first()
    return (row.latitude, row.longitude) if row else None
