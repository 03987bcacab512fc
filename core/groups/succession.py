"""Groups are never left without someone to run them when their only admin goes.

A group admin cannot leave or step down while they are the last one (``services._keeps_an_admin``), but
deleting their account or being blocked does not ask the group. When that happens, each group where the
person was the only active admin gets the member who joined the longest ago as admin, who is told
(``groups.admin_appointed``). A group with no active member left stays as it is; the organization's
admins see it marked "without admin" at /admin/groups and appoint someone there (``appoint``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.accounts.models import User
from core.adminlog import record
from core.db import utcnow
from core.events import publish
from core.groups.models import ADMIN, MEMBER, GroupMembership, UserGroup
from core.groups.services import NOBODY, GroupError, _active, _forget, _lock, _resource, find_person, label
from core.i18n import N_
from core.models import Organization


def has_active_admin() -> Any:
    """Whether the group of the row has an admin who is neither deleted nor blocked (a correlated EXISTS)."""
    return exists(select(GroupMembership.id).join(User, User.id == GroupMembership.user_id)
                  .where(GroupMembership.user_group_id == UserGroup.id, GroupMembership.role == ADMIN,
                         *_active(User)))


async def without_admin(session: AsyncSession, group_ids: list[int]) -> set[int]:
    """Which of these groups have no active admin (one query for a page of groups)."""
    if not group_ids:
        return set()
    return set((await session.scalars(
        select(UserGroup.id).where(UserGroup.id.in_(group_ids), ~has_active_admin()))).all())


async def replace_admin(session: AsyncSession, user_id: int) -> list[UserGroup]:
    """The person ``user_id`` is being deleted or blocked: in each group where they were the only active
    admin, the active member who joined first becomes admin and is told. Returns the groups left with
    nobody to run them. Part of the caller's transaction."""
    others = aliased(GroupMembership)
    other_people = aliased(User)
    other_admin = exists(select(others.id).join(other_people, other_people.id == others.user_id).where(
        others.user_group_id == GroupMembership.user_group_id, others.role == ADMIN, others.user_id != user_id,
        *_active(other_people)))
    groups = (await session.scalars(
        select(UserGroup).join(GroupMembership, GroupMembership.user_group_id == UserGroup.id)
        .where(GroupMembership.user_id == user_id, GroupMembership.role == ADMIN, ~other_admin)
        .order_by(UserGroup.id)
    )).all()
    orphans = []
    for group in groups:
        await _lock(session, group)
        successor = await session.scalar(
            select(GroupMembership).join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.user_group_id == group.id, GroupMembership.role == MEMBER,
                   GroupMembership.user_id != user_id, *_active(User))
            .order_by(func.coalesce(GroupMembership.joined_at, GroupMembership.created_at), GroupMembership.id)
            .limit(1))
        if successor is None:
            orphans.append(group)
            continue
        successor.role = ADMIN
        await session.flush()
        await publish(session, "groups.admin_appointed", organization_id=group.organization_id,
                      resource=_resource(group, successor, f"/groups/{group.nickname}/members"), actor_id=None,
                      recipients=[successor.user_id])
    _forget(session)
    return orphans


async def appoint(session: AsyncSession, organization: Organization, actor: User, group: UserGroup,
                  person: str) -> User:
    """An organization admin makes a person (by nickname or e-mail) admin of a group without an active
    admin; someone not in the group joins it as admin. In the admin log."""
    await _lock(session, group)
    if await session.scalar(select(has_active_admin()).where(UserGroup.id == group.id)):
        raise GroupError(N_("This group has an admin: its admins run it."))
    appointed = await find_person(session, organization.id, person)
    if appointed is None:
        raise GroupError(NOBODY, "person")
    membership = await session.scalar(select(GroupMembership).where(GroupMembership.user_group_id == group.id,
                                                                     GroupMembership.user_id == appointed.id))
    if membership is None:
        membership = GroupMembership(user_group_id=group.id, user_id=appointed.id, role=ADMIN,
                                     created_at=utcnow())
        session.add(membership)
    membership.role = ADMIN
    membership.joined_at = membership.joined_at or utcnow()
    await session.flush()
    _forget(session)
    record(session, organization.id, actor, "group.appoint_admin", label(group), person=appointed.nickname,
           user_group_id=group.id)
    await publish(session, "groups.admin_appointed", organization_id=group.organization_id,
                  resource=_resource(group, membership, f"/groups/{group.nickname}/members"), actor_id=actor.id,
                  recipients=[appointed.id])
    return appointed
