"""The demo's process group (``participa demo``): the participatory budgets, year after year."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Organization, Space
from core.process_groups.models import ProcessGroup, ProcessGroupProcess


async def seed_process_groups(session: AsyncSession, organization: Organization) -> None:
    budgets = await session.scalar(select(Space).where(
        Space.organization_id == organization.id, Space.space_type == "process", Space.slug == "pressupostos-2027"))
    if budgets is None:
        return
    group = ProcessGroup(
        organization_id=organization.id,
        title={"ca": "Pressupostos participatius", "es": "Presupuestos participativos", "en": "Participatory budgets"},
        description={"ca": "<p>Cada any, el veïnat decideix una part de les inversions de la ciutat.</p>",
                     "es": "<p>Cada año, el vecindario decide una parte de las inversiones de la ciudad.</p>",
                     "en": "<p>Every year, residents decide part of the city's investments.</p>"},
    )
    session.add(group)
    await session.flush()
    session.add(ProcessGroupProcess(group_id=group.id, space_id=budgets.id))
    await session.flush()
