"""Demo groups: a verified neighbours' association run by Laia and a cycling collective, so that the
group list, group pages, badges and the groups of a profile have something to show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.db import utcnow
from core.groups.models import ADMIN, MEMBER, GroupMembership, UserGroup
from core.models import Organization

GROUPS = [
    # (nickname, name, description, verified, [(member nickname, role)])
    ("veins_centre", "Associació de Veïns del Centre",
     "<p>Veïns i veïnes del barri del Centre que treballem per uns carrers més vius, verds i segurs.</p>",
     True, [("laia", ADMIN), ("admin", MEMBER)]),
    ("colla_ciclista", "Colla Ciclista de Vilademo",
     "<p>Anem en bicicleta a la feina i a l'escola, i volem carrils bici que arribin a tot arreu.</p>",
     False, [("admin", ADMIN)]),
]


async def seed_groups(session: AsyncSession, organization: Organization) -> None:
    """Write the demo groups of the demo organization, with the demo people as their members."""
    people = {user.nickname: user for user in await session.scalars(
        select(User).where(User.organization_id == organization.id))}
    now = utcnow()
    for nickname, name, description, verified, members in GROUPS:
        group = UserGroup(organization_id=organization.id, nickname=nickname, name=name, description=description,
                          verified_at=now if verified else None, created_at=now)
        session.add(group)
        await session.flush()
        for member, role in members:
            if member in people:
                session.add(GroupMembership(user_group_id=group.id, user_id=people[member].id, role=role,
                                            created_at=now, joined_at=now))
