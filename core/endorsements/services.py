"""Endorsements of any resource: a person stands behind a proposal (or anything a plugin offers), for
themselves or on behalf of a user group they belong to.

A resource is a ``(resource_type, resource_id)`` pair, as for follows and comments; the plugin that owns
it decides whether it may be endorsed now (its phase, its state) and keeps a stored count if its lists
order by it, changing that count in the same transaction as ``endorse``/``withdraw`` (which say whether
they changed anything). The unique key (resource, endorser) makes a second endorsement impossible
whatever the clicks: ``endorse`` is one ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.db import dialect_insert, utcnow
from core.endorsements.models import GROUP, PERSON, Endorsement
from core.events import RESOURCE_TYPE
from core.groups.models import UserGroup
from core.groups.services import author_groups, may_act_for
from core.i18n import N_

ENDORSERS_SHOWN = 50


class EndorsementError(Exception):
    """A rule said no; ``message`` is an untranslated message id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _endorser(user: User, group_id: int | None) -> tuple[str, int]:
    return (GROUP, group_id) if group_id is not None else (PERSON, user.id)


async def _check(session: AsyncSession, resource_type: str, user: User, group_id: int | None) -> None:
    if not RESOURCE_TYPE.match(resource_type):
        raise ValueError(f"resource type {resource_type!r} must be '<plugin>.<thing>'")
    if group_id is not None and not await may_act_for(session, user, group_id):
        raise EndorsementError(N_("You can only endorse on behalf of a group you belong to."))


async def endorse(session: AsyncSession, resource_type: str, resource_id: int, user: User,
                  group_id: int | None = None) -> bool:
    """Endorse a resource, personally or for ``group_id``; False when that endorser already had (nothing is
    written then). Part of the caller's transaction."""
    await _check(session, resource_type, user, group_id)
    endorser_type, endorser_id = _endorser(user, group_id)
    statement = (
        dialect_insert(session)(Endorsement)
        .values(resource_type=resource_type, resource_id=resource_id, endorser_type=endorser_type,
                endorser_id=endorser_id, user_id=user.id, user_group_id=group_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["resource_type", "resource_id", "endorser_type", "endorser_id"])
        .returning(Endorsement.id)
    )
    return (await session.execute(statement)).first() is not None


async def withdraw(session: AsyncSession, resource_type: str, resource_id: int, user: User,
                   group_id: int | None = None) -> bool:
    """Take an endorsement back (a group's: by any of its members); False when there was none."""
    await _check(session, resource_type, user, group_id)
    endorser_type, endorser_id = _endorser(user, group_id)
    result = await session.execute(delete(Endorsement).where(
        Endorsement.resource_type == resource_type, Endorsement.resource_id == resource_id,
        Endorsement.endorser_type == endorser_type, Endorsement.endorser_id == endorser_id,
    ).returning(Endorsement.id))
    return result.first() is not None


@dataclass
class Endorser:
    """One line of the list of endorsers: a person or a group, with the address of its page."""

    name: str
    path: str | None
    group: bool


async def count(session: AsyncSession, resource_type: str, resource_id: int) -> int:
    """How many endorsements a resource has (for a resource whose plugin keeps no stored count)."""
    return await session.scalar(select(func.count(Endorsement.id)).where(
        Endorsement.resource_type == resource_type, Endorsement.resource_id == resource_id)) or 0


def _shown(endorser_type: str, person: User, group: UserGroup | None) -> Endorser:
    if endorser_type == GROUP and group is not None:
        return Endorser(group.name, f"/groups/{group.nickname}", True)
    if person.deleted_at is not None:
        return Endorser("", None, False)  # the template says "Deleted participant"
    return Endorser(person.name, None if person.blocked_at else f"/profiles/{person.nickname}", False)


@dataclass
class Choices:
    """Who this person may endorse as (themselves, then their groups), and what each of them endorsed."""

    groups: list[UserGroup]
    personal: set[int]
    """Ids of the resources this person endorsed for themselves."""
    by_group: dict[int, set[int]]
    """Per resource id, the ids of this person's groups that endorsed it."""

    def done(self, resource_id: int, group: UserGroup | None = None) -> bool:
        """Whether this person (or, with ``group``, that group of theirs) endorsed the resource."""
        if group is None:
            return resource_id in self.personal
        return group.id in self.by_group.get(resource_id, set())


async def choices(session: AsyncSession, user: User | None, resource_type: str,
                  resource_ids: Sequence[int]) -> Choices:
    """The endorse buttons of a page: this person's groups and what they (or their groups) endorsed among
    these resources (two queries for a whole page; none for a visitor)."""
    if user is None or not resource_ids:
        return Choices([], set(), {})
    groups = await author_groups(session, user)
    mine = and_(Endorsement.endorser_type == PERSON, Endorsement.endorser_id == user.id)
    theirs = and_(Endorsement.endorser_type == GROUP, Endorsement.endorser_id.in_([group.id for group in groups]))
    result = Choices(groups, set(), {})
    for resource_id, endorser_type, endorser_id in await session.execute(
        select(Endorsement.resource_id, Endorsement.endorser_type, Endorsement.endorser_id).where(
            Endorsement.resource_type == resource_type, Endorsement.resource_id.in_(resource_ids),
            or_(mine, theirs) if groups else mine)
    ):
        if endorser_type == PERSON:
            result.personal.add(resource_id)
        else:
            result.by_group.setdefault(resource_id, set()).add(endorser_id)
    return result


async def transfer(session: AsyncSession, resource_type: str, from_user_id: int, to_user_id: int) -> list[int]:
    """Make the personal endorsements of ``resource_type`` by the deleted account ``from_user_id`` those of the
    same person's new account (``transfer_participation``). Where the new account already endorsed the same
    resource the old endorsement goes: the ids of those resources are returned, so that the plugin owning
    them takes one from its stored count. Part of the caller's transaction."""
    personal = [Endorsement.resource_type == resource_type, Endorsement.endorser_type == PERSON]
    already = select(Endorsement.resource_id).where(*personal, Endorsement.endorser_id == to_user_id)
    twice = (await session.execute(
        delete(Endorsement).where(*personal, Endorsement.endorser_id == from_user_id,
                                  Endorsement.resource_id.in_(already))
        .returning(Endorsement.resource_id)
    )).scalars().all()
    await session.execute(update(Endorsement).where(*personal, Endorsement.endorser_id == from_user_id)
                          .values(endorser_id=to_user_id, user_id=to_user_id))
    return sorted(twice)


async def endorsers_and_choices(session: AsyncSession, user: User | None, resource_type: str, resource_id: int,
                                listed: bool = True, limit: int = ENDORSERS_SHOWN) -> tuple[list[Endorser], Choices]:
    """What one resource's page shows of endorsements in one query: its first endorsers (``endorsers``; only
    with ``listed``) and the endorse buttons of ``user`` (``choices``; for a visitor, None, none). The rows
    of the person and of their groups come with the first ones, whichever place they have among them; their
    groups are ``author_groups``, which the user's own query brought (``core.auth``). No query when there is
    neither a list to show nor a person."""
    choices = Choices(await author_groups(session, user), set(), {}) if user is not None else Choices([], set(), {})
    if not listed and user is None:
        return [], choices
    of_resource = [Endorsement.resource_type == resource_type, Endorsement.resource_id == resource_id]
    first = (select(Endorsement.id).where(*of_resource).order_by(Endorsement.created_at, Endorsement.id)
             .limit(limit))
    wanted = [Endorsement.id.in_(first)] if listed else []
    if user is not None:
        wanted.append(and_(Endorsement.endorser_type == PERSON, Endorsement.endorser_id == user.id))
        if choices.groups:
            wanted.append(and_(Endorsement.endorser_type == GROUP,
                               Endorsement.endorser_id.in_([group.id for group in choices.groups])))
    in_list = Endorsement.id.in_(first) if listed else false()
    rows = (await session.execute(
        select(Endorsement.endorser_type, Endorsement.endorser_id, in_list.label("listed"), User, UserGroup)
        .join(User, User.id == Endorsement.user_id)
        .outerjoin(UserGroup, UserGroup.id == Endorsement.user_group_id)
        .where(*of_resource, or_(*wanted)).order_by(Endorsement.created_at, Endorsement.id)
    )).all()
    found = []
    for endorser_type, endorser_id, shown, person, group in rows:
        if shown:
            found.append(_shown(endorser_type, person, group))
        if user is None:
            continue
        if endorser_type == PERSON and endorser_id == user.id:
            choices.personal.add(resource_id)
        elif endorser_type == GROUP and any(mine.id == endorser_id for mine in choices.groups):
            choices.by_group.setdefault(resource_id, set()).add(endorser_id)
    return found, choices
