"""The rules of user groups; the caller commits.

- A group belongs to one organization; its nickname is unique there (lowercased, like people's).
- Whoever creates a group is its first admin. Admins invite people (who accept or decline), accept or
  reject requests to join, appoint and demote admins and remove members; members leave. A group never
  loses its last active admin: the change that would do it is refused, and the group's row is locked
  first so two admins demoting each other at once cannot both pass (PostgreSQL; SQLite has one writer).
- Organization admins and user managers verify groups; each verification is in the admin log.
- Writing on behalf of a group (comments, proposals) is allowed to its members and admins only, checked
  by ``may_act_for`` when the thing is stored, whatever the form offered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, case, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.adminlog import record
from core.db import utcnow
from core.events import Resource, publish
from core.groups.models import ADMIN, BELONGS, INVITED, MEMBER, REQUESTED, GroupMembership, UserGroup
from core.groups.schemas import NICKNAME_PATTERN, GroupForm
from core.i18n import N_
from core.manifest import EventType
from core.models import Organization
from core.richtext import plain_text, sanitize
from core.uploads import Checked, Storage

PER_PAGE = 20
MEMBERS_PER_PAGE = 50
RESERVED = frozenset({"new", "invitations"})
"""Nicknames that are pages of /groups themselves."""
AVATAR_BOX = (512, 512)
_AUTHOR_GROUPS = "participa.author_groups"

NICKNAME_TAKEN = N_("Another group already has this nickname: choose another one.")
NOT_ADMIN = N_("Only the admins of the group can do this.")
NOT_A_MEMBER = N_("You are not a member of this group: you can only write on behalf of a group you belong to.")
LAST_ADMIN = N_("A group needs at least one admin: appoint another admin first.")
NOBODY = N_("Nobody with an account here has this nickname or e-mail.")

EVENT_TYPES = [
    EventType(name="groups.invitation_received", title=N_("Invitations to join a group"),
              message=N_("%(actor)s invited you to join the group %(resource)s")),
    EventType(name="groups.join_requested", title=N_("Requests to join the groups I run"),
              message=N_("%(actor)s asked to join the group %(resource)s")),
    EventType(name="groups.request_accepted", title=N_("Answers to my requests to join a group"),
              message=N_("%(actor)s accepted you in the group %(resource)s")),
    EventType(name="groups.admin_appointed", title=N_("Becoming an admin of a group that lost its admin"),
              message=N_("You are now an admin of the group %(resource)s, which had no other admin")),
]
"""Each names a membership (``groups.membership``), which nobody follows: only the people named hear."""


class GroupError(Exception):
    """A refused change; ``message`` is a message id, ``field`` the form field it belongs to and
    ``forbidden`` set when it is not this person's to make."""

    def __init__(self, message: str, field: str = "__all__", forbidden: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.forbidden = forbidden


def _like(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally: % and _ from a search box are not wildcards."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _active(user: Any) -> Any:
    return (user.deleted_at.is_(None), user.blocked_at.is_(None))


def pages_for(total: int, per_page: int, page: int) -> tuple[int, int]:
    """(the page to show, the number of pages): an out-of-range page number shows the nearest page."""
    pages = max(1, -(-total // per_page))
    return min(max(page, 1), pages), pages


# ---------------------------------------------------------------- reading


def _member_count() -> Any:
    """How many active people belong to the group of the row (a correlated count along the unique index)."""
    return (select(func.count(GroupMembership.id)).join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.user_group_id == UserGroup.id, GroupMembership.role.in_(BELONGS),
                   *_active(User)).scalar_subquery())


async def groups_page(session: AsyncSession, organization: Organization, query: str = "", page: int = 1,
                      per_page: int = PER_PAGE) -> tuple[list[tuple[UserGroup, int]], int, int, int]:
    """(group, members) of one page of the organization's groups, verified first then by name, with the
    total, the page shown and the number of pages: two queries however many groups and members."""
    conditions = [UserGroup.organization_id == organization.id]
    words = " ".join(query.split())[:100].lower()
    if words:
        pattern = _like(words)
        conditions.append(or_(func.lower(UserGroup.name).like(pattern, escape="\\"),
                              UserGroup.nickname.like(pattern, escape="\\")))
    total = await session.scalar(select(func.count(UserGroup.id)).where(*conditions)) or 0
    page, pages = pages_for(total, per_page, page)
    rows = (await session.execute(
        select(UserGroup, _member_count()).options(joinedload(UserGroup.avatar)).where(*conditions)
        .order_by(UserGroup.verified_at.is_(None), func.lower(UserGroup.name), UserGroup.id)
        .limit(per_page).offset((page - 1) * per_page)
    )).all() if total else []
    return [(group, members) for group, members in rows], total, page, pages


async def group_by_nickname(session: AsyncSession, organization: Organization, nickname: str) -> UserGroup | None:
    """The organization's group at /groups/<nickname>; another organization's group is not found."""
    return await session.scalar(select(UserGroup).options(joinedload(UserGroup.avatar)).where(
        UserGroup.organization_id == organization.id, UserGroup.nickname == nickname.lower()))


async def group_of(session: AsyncSession, organization: Organization, group_id: int) -> UserGroup | None:
    """A group of this organization only, by id (the admin pages)."""
    return await session.scalar(select(UserGroup).where(UserGroup.id == group_id,
                                                        UserGroup.organization_id == organization.id))


async def members_page(session: AsyncSession, group: UserGroup, page: int = 1,
                       per_page: int = MEMBERS_PER_PAGE) -> tuple[list[GroupMembership], int, int, int]:
    """One page of the group's active admins and members (admins first, then by name) with their
    pictures, the total, the page shown and the number of pages: two queries."""
    conditions = [GroupMembership.user_group_id == group.id, GroupMembership.role.in_(BELONGS), *_active(User)]
    total = await session.scalar(select(func.count(GroupMembership.id)).join(GroupMembership.user)
                                 .where(*conditions)) or 0
    page, pages = pages_for(total, per_page, page)
    rows = (await session.scalars(
        select(GroupMembership).join(GroupMembership.user)
        .options(joinedload(GroupMembership.user).joinedload(User.avatar)).where(*conditions)
        .order_by(case((GroupMembership.role == ADMIN, 0), else_=1), func.lower(User.name), User.id)
        .limit(per_page).offset((page - 1) * per_page)
    )).all() if total else []
    return list(rows), total, page, pages


async def memberships_of_group(session: AsyncSession, group: UserGroup) -> list[GroupMembership]:
    """Every row of the group, pending ones too, with the people (the admins' page): one query."""
    return list((await session.scalars(
        select(GroupMembership).join(GroupMembership.user)
        .options(joinedload(GroupMembership.user).joinedload(User.avatar))
        .where(GroupMembership.user_group_id == group.id, *_active(User))
        .order_by(case((GroupMembership.role == ADMIN, 0), else_=1), func.lower(User.name), User.id)
    )).all())


async def membership_of(session: AsyncSession, group: UserGroup, user: User | None) -> GroupMembership | None:
    """This person's row in the group, whatever its stage; no query for a visitor."""
    if user is None:
        return None
    return await session.scalar(select(GroupMembership).where(GroupMembership.user_group_id == group.id,
                                                              GroupMembership.user_id == user.id))


async def groups_of_person(session: AsyncSession, user_id: int) -> list[tuple[UserGroup, str]]:
    """(group, role) of every group a person belongs to, by name (their profile): one query."""
    rows = await session.execute(
        select(UserGroup, GroupMembership.role).join(GroupMembership, GroupMembership.user_group_id == UserGroup.id)
        .options(joinedload(UserGroup.avatar))
        .where(GroupMembership.user_id == user_id, GroupMembership.role.in_(BELONGS))
        .order_by(func.lower(UserGroup.name), UserGroup.id)
    )
    return [(group, role) for group, role in rows]


_FIELD, _RECORD = "\x1f", "\x1e"
"""Separators of ``author_groups_column``: control characters, which no id or nickname holds."""


def author_groups_column(user_id: Any, organization_id: Any) -> Any:
    """The groups a person may write on behalf of, as one text to load with their own query (``core.auth``):
    each group's id, nickname and name; ``remember_author_groups`` reads it."""
    return (select(func.aggregate_strings(
        cast(UserGroup.id, String) + _FIELD + UserGroup.nickname + _FIELD + UserGroup.name, _RECORD))
        .join(GroupMembership, GroupMembership.user_group_id == UserGroup.id)
        .where(GroupMembership.user_id == user_id, GroupMembership.role.in_(BELONGS),
               UserGroup.organization_id == organization_id).scalar_subquery())


def remember_author_groups(session: AsyncSession, user: User, value: str | None) -> None:
    """Keep what ``author_groups_column`` read as this person's ``author_groups`` for the request, so the
    pages that show them (the comment form, the endorsement buttons) ask no more. The groups are detached
    UserGroup objects with their id, nickname and name, only ever read. A text that does not read back
    cleanly (a name with a separator in it) is not kept: ``author_groups`` then asks the database."""
    groups = []
    for entry in value.split(_RECORD) if value else []:
        group_id, nickname, name = [*entry.split(_FIELD, 2), "", ""][:3]
        if not group_id.isdigit() or not re.fullmatch(NICKNAME_PATTERN, nickname) or not name:
            return
        groups.append(UserGroup(id=int(group_id), organization_id=user.organization_id, nickname=nickname,
                                name=name))
    groups.sort(key=lambda group: (group.name.lower(), group.id))
    session.info.setdefault(_AUTHOR_GROUPS, {})[user.id] = groups


async def author_groups(session: AsyncSession, user: User | None) -> list[UserGroup]:
    """The groups a person may write on behalf of (they belong to them), by name; none for a visitor.

    Several parts of one page ask (the comment form, the endorsement buttons), so the answer is kept on
    the session, which lives as long as the request; every change of memberships here forgets it. The
    user's own query usually brought them already (``remember_author_groups``).
    """
    if user is None:
        return []
    known = session.info.setdefault(_AUTHOR_GROUPS, {})
    if user.id not in known:
        known[user.id] = list((await session.scalars(
            select(UserGroup).join(GroupMembership, GroupMembership.user_group_id == UserGroup.id)
            .where(GroupMembership.user_id == user.id, GroupMembership.role.in_(BELONGS),
                   UserGroup.organization_id == user.organization_id)
            .order_by(func.lower(UserGroup.name), UserGroup.id)
        )).all())
    return list(known[user.id])


async def invitations_of(session: AsyncSession, user: User) -> list[GroupMembership]:
    """The invitations waiting for this person's answer, newest first, with their groups."""
    return list((await session.scalars(
        select(GroupMembership).options(joinedload(GroupMembership.user_group).joinedload(UserGroup.avatar))
        .where(GroupMembership.user_id == user.id, GroupMembership.role == INVITED)
        .order_by(GroupMembership.id.desc())
    )).all())


async def may_act_for(session: AsyncSession, user: User, group_id: int) -> bool:
    """Whether this person may write on behalf of this group: a member or admin of a group of their
    organization. Asked when a comment or proposal is stored, so a forged group id is refused."""
    return await session.scalar(
        select(GroupMembership.id).join(UserGroup, UserGroup.id == GroupMembership.user_group_id)
        .where(GroupMembership.user_group_id == group_id, GroupMembership.user_id == user.id,
               GroupMembership.role.in_(BELONGS), UserGroup.organization_id == user.organization_id)
    ) is not None


def parse_group_id(value: Any) -> int | None:
    """The group chosen in a form: None for "myself" (nothing or ""), -1 for anything that is not an
    id, which no group has, so ``may_act_for`` refuses it."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        return -1
    return number if 0 < number < 2**31 else -1


async def find_person(session: AsyncSession, organization_id: int, text: str) -> User | None:
    """An active person of the organization named as people name each other: @nickname, nickname or e-mail."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    named = User.email == wanted if "@" in wanted.lstrip("@") else User.nickname == wanted.lstrip("@")
    return await session.scalar(select(User).where(
        User.organization_id == organization_id, named, User.confirmed_at.is_not(None), *_active(User)))


# ---------------------------------------------------------------- the group itself


def description_html(text: str) -> str:
    """What is stored of a description: sanitised HTML; text without paragraphs of its own (typed in a
    plain text area) gets one per blank line, and a line break per new line."""
    clean = sanitize(text.replace("\r\n", "\n").strip())
    if re.search(r"<(p|ul|ol|h[2-4]|blockquote|pre|table)\b", clean):
        return clean
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", clean) if part.strip()]
    return sanitize("".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in paragraphs))


async def _check_nickname(session: AsyncSession, organization: Organization, nickname: str,
                          group: UserGroup | None = None) -> str:
    nickname = nickname.strip().lower()
    if not re.fullmatch(NICKNAME_PATTERN, nickname) or not 3 <= len(nickname) <= 32:
        raise GroupError(N_("Use only letters, numbers and _."), "nickname")
    if nickname in RESERVED:
        raise GroupError(NICKNAME_TAKEN, "nickname")
    taken = select(UserGroup.id).where(UserGroup.organization_id == organization.id, UserGroup.nickname == nickname)
    if group is not None:
        taken = taken.where(UserGroup.id != group.id)
    if await session.scalar(taken) is not None:
        raise GroupError(NICKNAME_TAKEN, "nickname")
    return nickname


def _forget(session: AsyncSession) -> None:
    """Memberships change: what ``author_groups`` remembered for this session is stale."""
    session.info.pop(_AUTHOR_GROUPS, None)


async def _flush(session: AsyncSession, message: str, field: str = "__all__") -> None:
    """Write the rows; a unique constraint that refuses them (two requests at once) becomes ``message``."""
    _forget(session)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise GroupError(message, field) from None


async def create(session: AsyncSession, organization: Organization, user: User, data: GroupForm) -> UserGroup:
    """A new group, with its creator as its first admin."""
    nickname = await _check_nickname(session, organization, data.nickname)
    if not " ".join(data.name.split()):
        raise GroupError(N_("Fill in this field."), "name")
    group = UserGroup(organization_id=organization.id, name=" ".join(data.name.split()), nickname=nickname,
                      description=description_html(data.description))
    session.add(group)
    await _flush(session, NICKNAME_TAKEN, "nickname")
    now = utcnow()
    session.add(GroupMembership(user_group_id=group.id, user_id=user.id, role=ADMIN, created_at=now, joined_at=now))
    _forget(session)
    await session.flush()
    return group


async def require_admin(session: AsyncSession, group: UserGroup, user: User) -> GroupMembership:
    """This person's membership when they are an admin of the group; else a forbidden ``GroupError``."""
    membership = await membership_of(session, group, user)
    if membership is None or membership.role != ADMIN:
        raise GroupError(NOT_ADMIN, forbidden=True)
    return membership


async def update(session: AsyncSession, organization: Organization, group: UserGroup, actor: User,
                 data: GroupForm) -> None:
    """An admin changes the group's name, nickname (its address) or description."""
    await require_admin(session, group, actor)
    nickname = await _check_nickname(session, organization, data.nickname, group)
    if not " ".join(data.name.split()):
        raise GroupError(N_("Fill in this field."), "name")
    group.name, group.nickname = " ".join(data.name.split()), nickname
    group.description = description_html(data.description)
    await _flush(session, NICKNAME_TAKEN, "nickname")


async def set_avatar(session: AsyncSession, files: Storage, group: UserGroup, actor: User, checked: Checked) -> None:
    """An admin gives the group a logo; the one it replaces is deleted with its file (``group.avatar`` loaded)."""
    await require_admin(session, group, actor)
    previous = group.avatar
    group.avatar = await files.save(session, checked, organization_id=group.organization_id, owner_user_id=actor.id,
                                    kind="image", purpose="group_avatar")
    if previous is not None:
        await session.flush()  # the group points at the new logo before the old row goes
        await files.remove(session, previous)


async def remove_avatar(session: AsyncSession, files: Storage, group: UserGroup, actor: User) -> None:
    """Back to the initial letter; the logo's file is deleted once this is committed."""
    await require_admin(session, group, actor)
    previous = group.avatar
    if previous is not None:
        group.avatar = None
        await session.flush()
        await files.remove(session, previous)


# ---------------------------------------------------------------- members


def _resource(group: UserGroup, membership: GroupMembership, path: str) -> Resource:
    return Resource(type="groups.membership", id=membership.id, title=group.name, path=path)


async def _lock(session: AsyncSession, group: UserGroup) -> None:
    """Changes of admins wait for each other on the group's row (PostgreSQL; SQLite has one writer)."""
    await session.execute(select(UserGroup.id).where(UserGroup.id == group.id).with_for_update())


async def _keeps_an_admin(session: AsyncSession, group: UserGroup, leaving_user_id: int) -> None:
    """Refuse a change that would leave the group without an active admin besides ``leaving_user_id``."""
    others = await session.scalar(
        select(func.count(GroupMembership.id)).join(User, User.id == GroupMembership.user_id)
        .where(GroupMembership.user_group_id == group.id, GroupMembership.role == ADMIN,
               GroupMembership.user_id != leaving_user_id, *_active(User)))
    if not others:
        raise GroupError(LAST_ADMIN)


async def _row(session: AsyncSession, group: UserGroup, user_id: int) -> GroupMembership | None:
    return await session.scalar(select(GroupMembership).where(GroupMembership.user_group_id == group.id,
                                                              GroupMembership.user_id == user_id))


async def _admin_ids(session: AsyncSession, group: UserGroup) -> list[int]:
    return list((await session.scalars(select(GroupMembership.user_id).where(
        GroupMembership.user_group_id == group.id, GroupMembership.role == ADMIN))).all())


async def _make_member(session: AsyncSession, membership: GroupMembership) -> None:
    membership.role, membership.joined_at = MEMBER, utcnow()
    _forget(session)
    await session.flush()


async def invite(session: AsyncSession, group: UserGroup, actor: User, person: str) -> tuple[User, GroupMembership]:
    """An admin invites a person of the organization (by nickname or e-mail); they are told and answer.

    Somebody who had asked to join is accepted at once instead: they asked for it.
    """
    await require_admin(session, group, actor)
    invited = await find_person(session, group.organization_id, person)
    if invited is None:
        raise GroupError(NOBODY, "person")
    membership = await _row(session, group, invited.id)
    if membership is not None:
        if membership.role == REQUESTED:
            await _accept(session, group, actor, membership)
            return invited, membership
        raise GroupError(N_("This person already belongs to the group.") if membership.role in BELONGS
                         else N_("This person is already invited."), "person")
    membership = GroupMembership(user_group_id=group.id, user_id=invited.id, role=INVITED, invited_by_id=actor.id,
                                 created_at=utcnow())
    session.add(membership)
    await _flush(session, N_("This person is already invited."), "person")
    await publish(session, "groups.invitation_received", organization_id=group.organization_id,
                  resource=_resource(group, membership, "/groups/invitations"), actor_id=actor.id,
                  recipients=[invited.id])
    return invited, membership


async def answer_invitation(session: AsyncSession, group: UserGroup, user: User, accept: bool) -> None:
    """The invited person joins the group, or declines (the invitation is gone, a new one may come)."""
    membership = await _row(session, group, user.id)
    if membership is None or membership.role != INVITED:
        raise GroupError(N_("There is no invitation of this group waiting for your answer."))
    if accept:
        await _make_member(session, membership)
    else:
        await session.delete(membership)
        _forget(session)


async def request_to_join(session: AsyncSession, group: UserGroup, user: User) -> str:
    """A person asks to join; the group's admins are told. Somebody already invited joins at once.
    Returns the person's role afterwards."""
    membership = await _row(session, group, user.id)
    if membership is not None:
        if membership.role == INVITED:
            await _make_member(session, membership)
            return MEMBER
        raise GroupError(N_("You already belong to this group.") if membership.role in BELONGS
                         else N_("You have already asked to join this group."))
    membership = GroupMembership(user_group_id=group.id, user_id=user.id, role=REQUESTED, created_at=utcnow())
    session.add(membership)
    await _flush(session, N_("You have already asked to join this group."))
    await publish(session, "groups.join_requested", organization_id=group.organization_id,
                  resource=_resource(group, membership, f"/groups/{group.nickname}/members"), actor_id=user.id,
                  recipients=await _admin_ids(session, group))
    return REQUESTED


async def _accept(session: AsyncSession, group: UserGroup, actor: User, membership: GroupMembership) -> None:
    await _make_member(session, membership)
    await publish(session, "groups.request_accepted", organization_id=group.organization_id,
                  resource=_resource(group, membership, f"/groups/{group.nickname}"), actor_id=actor.id,
                  recipients=[membership.user_id])


async def answer_request(session: AsyncSession, group: UserGroup, actor: User, user_id: int, accept: bool) -> None:
    """An admin accepts (the person is told) or rejects a request to join."""
    await require_admin(session, group, actor)
    membership = await _row(session, group, user_id)
    if membership is None or membership.role != REQUESTED:
        raise GroupError(N_("This request is no longer waiting."))
    if accept:
        await _accept(session, group, actor, membership)
    else:
        await session.delete(membership)
        _forget(session)


async def set_admin(session: AsyncSession, group: UserGroup, actor: User, user_id: int, admin: bool) -> None:
    """An admin appoints a member admin, or makes an admin (themselves too) a plain member again."""
    await require_admin(session, group, actor)
    await _lock(session, group)
    membership = await _row(session, group, user_id)
    if membership is None or membership.role not in BELONGS:
        raise GroupError(N_("This person does not belong to the group."))
    if not admin and membership.role == ADMIN:
        await _keeps_an_admin(session, group, user_id)
    membership.role = ADMIN if admin else MEMBER
    _forget(session)


async def remove(session: AsyncSession, group: UserGroup, actor: User, user_id: int) -> None:
    """An admin removes a member or an admin, or takes back an invitation."""
    await require_admin(session, group, actor)
    await _lock(session, group)
    membership = await _row(session, group, user_id)
    if membership is None or membership.role == REQUESTED:
        raise GroupError(N_("This person does not belong to the group."))
    if membership.role == ADMIN:
        await _keeps_an_admin(session, group, user_id)
    await session.delete(membership)
    _forget(session)


async def leave(session: AsyncSession, group: UserGroup, user: User) -> None:
    """A member leaves the group (or withdraws their request to join); the last admin cannot."""
    await _lock(session, group)
    membership = await _row(session, group, user.id)
    if membership is None or membership.role == INVITED:
        raise GroupError(N_("You do not belong to this group."))
    if membership.role == ADMIN:
        await _keeps_an_admin(session, group, user.id)
    await session.delete(membership)
    _forget(session)


# ---------------------------------------------------------------- verification


def label(group: UserGroup) -> str:
    """How the admin log names a group."""
    return f"{group.name} (@{group.nickname})"


async def set_verified(session: AsyncSession, organization: Organization, actor: User, group: UserGroup,
                       verified: bool) -> None:
    """An organization admin or user manager verifies the group (or takes it back), in the admin log."""
    if verified == group.verified:
        return
    group.verified_at = utcnow() if verified else None
    record(session, organization.id, actor, "group.verify" if verified else "group.unverify", label(group),
           user_group_id=group.id)


def excerpt(group: UserGroup, length: int = 160) -> str:
    """The start of the description, as plain text, for lists."""
    text = plain_text(group.description)
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def roles_by_group(memberships: Sequence[GroupMembership]) -> dict[str, list[GroupMembership]]:
    """The admins' page splits the rows of a group by stage."""
    split: dict[str, list[GroupMembership]] = {ADMIN: [], MEMBER: [], INVITED: [], REQUESTED: []}
    for membership in memberships:
        split[membership.role].append(membership)
    return split
