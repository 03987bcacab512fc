"""The rules of spaces, their phases and their components; the admin routes only call these.

Every change here is recorded in the admin log in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from msgspec import inspect as mi
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import adminlog, search
from core.accounts.models import User
from core.areas.services import is_area_of
from core.categories.services import copy_categories
from core.db import utcnow
from core.forms import describe
from core.i18n import N_, translated
from core.models import Component, Organization, Phase, Space, SpaceMember
from core.scopes.services import is_scope_of
from core.spaces.deletion import remove_files
from core.spaces.schemas import DATE_ORDER, SLUG_TAKEN, CopyForm, MemberForm, PhaseForm, SpaceForm
from core.uploads import Storage

PER_PAGE = 30


class SpaceError(Exception):
    """A change that breaks a rule; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------ reading

async def space_of(session: AsyncSession, organization: Organization, space_id: int) -> Space | None:
    """A space of this organization, with its phases and components, whatever its state."""
    return await session.scalar(
        select(Space)
        .where(Space.id == space_id, Space.organization_id == organization.id)
        .options(selectinload(Space.phases), selectinload(Space.components))
    )


async def spaces_for_admin(session: AsyncSession, organization: Organization, space_type: str | None,
                           page: int) -> tuple[list[Space], int]:
    """The organization's spaces, newest first, a page at a time, with how many there are."""
    condition = [Space.organization_id == organization.id]
    if space_type:
        condition.append(Space.space_type == space_type)
    total = await session.scalar(select(func.count(Space.id)).where(*condition)) or 0
    spaces = (await session.scalars(
        select(Space).where(*condition).order_by(Space.created_at.desc(), Space.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )).all()
    return list(spaces), total


def active_phase(space: Space) -> Phase | None:
    """The space's active phase (its phases must be loaded)."""
    return next((phase for phase in space.phases if phase.id == space.active_phase_id), None)


def settings_of(registry: Any, component: Component) -> msgspec.Struct:
    """The component's global settings as its manifest's Struct; missing values take their defaults."""
    manifest = registry.component_types[component.component_type]
    return msgspec.convert(component.settings or {}, manifest.settings)


def phase_settings_of(registry: Any, component: Component, phase_id: int | None = None) -> msgspec.Struct:
    """The component's settings for a phase, by default the space's active one (``component.space`` loaded).

    A space without an active phase, or a phase never configured, gets the defaults, which allow
    nothing that a phase must switch on.
    """
    manifest = registry.component_types[component.component_type]
    if phase_id is None:
        phase_id = component.space.active_phase_id
    values = component.phase_settings.get(str(phase_id), {}) if phase_id is not None else {}
    return msgspec.convert(values, manifest.phase_settings)


# ------------------------------------------------------------------------------------ spaces

def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise SpaceError(DATE_ORDER, "end_date")


async def _slug_free(session: AsyncSession, organization_id: int, space_type: str, slug: str,
                     space_id: int | None = None) -> None:
    query = select(Space.id).where(Space.organization_id == organization_id, Space.space_type == space_type,
                                   Space.slug == slug)
    if space_id is not None:
        query = query.where(Space.id != space_id)
    if await session.scalar(query) is not None:
        raise SpaceError(SLUG_TAKEN, "slug")


def _apply(space: Space, data: SpaceForm) -> None:
    for name in ("title", "slug", "subtitle", "short_description", "description", "announcement", "start_date",
                 "end_date", "private", "promoted", "scope_id", "area_id"):
        setattr(space, name, getattr(data, name))


async def _check_scope(session: AsyncSession, organization_id: int, scope_id: int | None) -> None:
    """Only a scope of the space's own organization (a forged id from another one is refused)."""
    if not await is_scope_of(session, organization_id, scope_id):
        raise SpaceError(N_("Choose one of the options."), "scope_id")


async def _check_area(session: AsyncSession, organization_id: int, area_id: int | None) -> None:
    """Only an area of the space's own organization (a forged id from another one is refused)."""
    if not await is_area_of(session, organization_id, area_id):
        raise SpaceError(N_("Choose one of the options."), "area_id")


async def create_space(session: AsyncSession, organization: Organization, admin: Any, space_type: str,
                       data: SpaceForm) -> Space:
    """A new space, unpublished until an admin publishes it."""
    _check_dates(data.start_date, data.end_date)
    await _slug_free(session, organization.id, space_type, data.slug)
    await _check_scope(session, organization.id, data.scope_id)
    await _check_area(session, organization.id, data.area_id)
    space = Space(organization_id=organization.id, space_type=space_type, published=False, title={}, slug="")
    _apply(space, data)
    session.add(space)
    await _flush_unique(session)
    await search.index_space(session, space)
    adminlog.record(session, organization.id, admin, "space.create", translated(space.title), space_id=space.id)
    return space


async def update_space(session: AsyncSession, space: Space, admin: Any, data: SpaceForm) -> None:
    _check_dates(data.start_date, data.end_date)
    await _slug_free(session, space.organization_id, space.space_type, data.slug, space.id)
    await _check_scope(session, space.organization_id, data.scope_id)
    await _check_area(session, space.organization_id, data.area_id)
    _apply(space, data)
    await _flush_unique(session)
    await search.index_space(session, space)
    adminlog.record(session, space.organization_id, admin, "space.update", translated(space.title),
                    space_id=space.id)


async def set_space_published(session: AsyncSession, space: Space, admin: Any, published: bool) -> None:
    space.published = published
    adminlog.record(session, space.organization_id, admin, "space.publish" if published else "space.unpublish",
                    translated(space.title), space_id=space.id)


async def copy_space(session: AsyncSession, registry: Any, space: Space, admin: Any, data: CopyForm) -> Space:
    """A draft copy of a space with its phases and, if asked, its components and their settings.

    Nothing people contributed is copied: the copy starts empty, for next year's edition.
    """
    await _slug_free(session, space.organization_id, space.space_type, data.slug)
    copy = Space(
        organization_id=space.organization_id, space_type=space.space_type, slug=data.slug,
        title={locale: text for locale, text in space.title.items()}, subtitle=dict(space.subtitle),
        short_description=dict(space.short_description), description=dict(space.description),
        announcement={}, start_date=None, end_date=None, published=False, private=space.private, promoted=False,
        scope_id=space.scope_id, area_id=space.area_id,
    )
    session.add(copy)
    await _flush_unique(session)
    await search.index_space(session, copy)
    phase_ids: dict[str, str] = {}
    for phase in space.phases:
        new = Phase(space_id=copy.id, title=dict(phase.title), description=dict(phase.description),
                    weight=phase.weight)
        session.add(new)
        await session.flush()
        phase_ids[str(phase.id)] = str(new.id)
    await copy_categories(session, space.id, copy.id)
    if data.with_components:
        for component in space.components:
            if component.archived_at is not None or component.component_type not in registry.component_types:
                continue
            session.add(Component(
                space_id=copy.id, component_type=component.component_type, name=dict(component.name),
                weight=component.weight, published=False, settings=dict(component.settings),
                phase_settings={phase_ids[key]: dict(value) for key, value in component.phase_settings.items()
                                if key in phase_ids},
            ))
    adminlog.record(session, space.organization_id, admin, "space.copy", translated(space.title),
                    space_id=space.id, copy_id=copy.id)
    await session.flush()
    return copy


async def _flush_unique(session: AsyncSession) -> None:
    """Flush; a slug taken between the check and the write (a race) is the same clear message."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise SpaceError(SLUG_TAKEN, "slug") from None


# ------------------------------------------------------------------------------------ phases

async def add_phase(session: AsyncSession, space: Space, admin: Any, data: PhaseForm) -> Phase:
    """A phase at the end of the space's phases; the first phase of a space becomes active."""
    _check_dates(data.start_date, data.end_date)
    weight = max((phase.weight for phase in space.phases), default=-1) + 1
    phase = Phase(space_id=space.id, title=data.title, description=data.description,
                  start_date=data.start_date, end_date=data.end_date, weight=weight)
    session.add(phase)
    await session.flush()
    space.phases.append(phase)
    if space.active_phase_id is None:
        space.active_phase_id = phase.id
    adminlog.record(session, space.organization_id, admin, "phase.create", translated(phase.title),
                    space_id=space.id, phase_id=phase.id)
    return phase


async def update_phase(session: AsyncSession, space: Space, phase: Phase, admin: Any, data: PhaseForm) -> None:
    _check_dates(data.start_date, data.end_date)
    phase.title, phase.description = data.title, data.description
    phase.start_date, phase.end_date = data.start_date, data.end_date
    adminlog.record(session, space.organization_id, admin, "phase.update", translated(phase.title),
                    space_id=space.id, phase_id=phase.id)


async def activate_phase(session: AsyncSession, space: Space, phase: Phase, admin: Any) -> None:
    """Make ``phase`` the one that decides what the space's components allow."""
    space.active_phase_id = phase.id
    adminlog.record(session, space.organization_id, admin, "phase.activate", translated(phase.title),
                    space_id=space.id, phase_id=phase.id)


async def move_phase(session: AsyncSession, space: Space, phase: Phase, admin: Any, offset: int) -> None:
    """Swap a phase with its neighbour before (-1) or after (+1)."""
    _move(space.phases, phase, offset)
    adminlog.record(session, space.organization_id, admin, "phase.update", translated(phase.title),
                    space_id=space.id, phase_id=phase.id)


async def delete_phase(session: AsyncSession, space: Space, phase: Phase, admin: Any) -> None:
    """Delete a phase and its component settings; the space's active phase is then none, or the first."""
    for component in space.components:
        if str(phase.id) in component.phase_settings:
            component.phase_settings = {key: value for key, value in component.phase_settings.items()
                                        if key != str(phase.id)}
    remaining = [other for other in space.phases if other.id != phase.id]
    if space.active_phase_id == phase.id:
        space.active_phase_id = remaining[0].id if remaining else None
    adminlog.record(session, space.organization_id, admin, "phase.delete", translated(phase.title),
                    space_id=space.id, phase_id=phase.id)
    await session.flush()
    await session.delete(phase)
    space.phases.remove(phase)


def _move(items: list[Any], item: Any, offset: int) -> None:
    ordered = sorted(items, key=lambda each: (each.weight, each.id))
    index = ordered.index(item)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for weight, each in enumerate(ordered):
        each.weight = weight


# ------------------------------------------------------------------------------------ components

async def add_component(session: AsyncSession, registry: Any, space: Space, admin: Any,
                        component_type: str) -> Component:
    """A component of an enabled type at the end of the space, unpublished, with default settings."""
    manifest = registry.component_types.get(component_type)
    if manifest is None:
        raise SpaceError(N_("Choose one of the options."), "component_type")
    weight = max((component.weight for component in space.components), default=-1) + 1
    component = Component(
        space_id=space.id, component_type=component_type, name={"en": manifest.title}, weight=weight,
        published=False, settings=manifest.default_settings(), phase_settings={},
    )
    session.add(component)
    await session.flush()
    space.components.append(component)
    adminlog.record(session, space.organization_id, admin, "component.create", manifest.title,
                    space_id=space.id, component_id=component.id)
    return component


async def update_component(session: AsyncSession, space: Space, component: Component, admin: Any,
                           name: dict[str, str], settings: msgspec.Struct,
                           phase_settings: dict[int, msgspec.Struct]) -> None:
    """Store a component's name, global settings and per-phase settings (validated Structs)."""
    component.name = name
    component.settings = msgspec.to_builtins(settings)
    component.phase_settings = {str(phase_id): msgspec.to_builtins(values)
                                for phase_id, values in phase_settings.items()}
    adminlog.record(session, space.organization_id, admin, "component.update", translated(name),
                    space_id=space.id, component_id=component.id)


async def set_component_published(session: AsyncSession, space: Space, component: Component, admin: Any,
                                  published: bool) -> None:
    if component.archived_at is not None and published:
        raise SpaceError(N_("An archived component cannot be published again."))
    component.published = published
    adminlog.record(session, space.organization_id, admin,
                    "component.publish" if published else "component.unpublish", translated(component.name),
                    space_id=space.id, component_id=component.id)


async def move_component(session: AsyncSession, space: Space, component: Component, admin: Any,
                         offset: int) -> None:
    _move(space.components, component, offset)
    adminlog.record(session, space.organization_id, admin, "component.update", translated(component.name),
                    space_id=space.id, component_id=component.id)


async def participation_in(session: AsyncSession, registry: Any, component: Component) -> int:
    manifest = registry.component_types.get(component.component_type)
    if manifest is None or manifest.participation is None:
        return 0
    return int(await manifest.participation(session, component))


async def remove_component(session: AsyncSession, registry: Any, space: Space, component: Component,
                           admin: Any, files: Storage) -> bool:
    """Delete a component nobody took part in, with its attachments (their files once committed); archive
    (unpublish, keep) one with participation.

    Returns whether it was deleted.
    """
    if await participation_in(session, registry, component):
        component.published = False
        component.archived_at = utcnow()
        adminlog.record(session, space.organization_id, admin, "component.archive", translated(component.name),
                        space_id=space.id, component_id=component.id)
        return False
    adminlog.record(session, space.organization_id, admin, "component.delete", translated(component.name),
                    space_id=space.id, component_id=component.id)
    await remove_files(session, files, space, [component.id])
    await session.delete(component)
    space.components.remove(component)
    return True


# ------------------------------------------------------------------------------------ details, parent, members

def details_of(registry: Any, space: Space) -> msgspec.Struct:
    """The space's type-specific details as its type's Struct; missing values take their defaults."""
    return msgspec.convert(space.details or {}, registry.space_types[space.space_type].details)


def detail_items(registry: Any, space: Space) -> list[tuple[str, Any, str]]:
    """The filled-in details to show on the space's page: (title message id, value, kind).

    ``kind`` is "richtext" (sanitised HTML per language), "text" (text per language) or "choice"
    (the message id of the chosen option's label).
    """
    schema = registry.space_types[space.space_type].details
    values = details_of(registry, space)
    items = []
    for field in mi.type_info(schema).fields:  # type: ignore[attr-defined]
        spec = describe(field.type)
        value = getattr(values, field.name)
        title = spec.title or field.name
        if isinstance(spec.kind, mi.DictType):
            if any(value.values()):
                items.append((title, value, "richtext" if spec.extra.get("input") == "richtext" else "text"))
        elif isinstance(spec.kind, mi.LiteralType):
            items.append((title, spec.extra.get("labels", {}).get(value, str(value)), "choice"))
    return items


async def update_details(session: AsyncSession, space: Space, admin: Any, details: msgspec.Struct) -> None:
    space.details = msgspec.to_builtins(details)
    adminlog.record(session, space.organization_id, admin, "space.update", translated(space.title),
                    space_id=space.id)


async def parent_choices(session: AsyncSession, space: Space) -> list[Space]:
    """Spaces of the same type and organization that may be this one's parent (no cycles)."""
    candidates = (await session.scalars(
        select(Space).where(Space.organization_id == space.organization_id, Space.space_type == space.space_type,
                            Space.id != space.id).order_by(Space.id)
    )).all()
    parents = {candidate.id: candidate.parent_id for candidate in candidates}

    def descends_from_space(space_id: int | None) -> bool:
        seen = set()
        while space_id is not None and space_id not in seen:
            if space_id == space.id:
                return True
            seen.add(space_id)
            space_id = parents.get(space_id)
        return False

    return [candidate for candidate in candidates if not descends_from_space(candidate.parent_id)]


async def set_parent(session: AsyncSession, space: Space, admin: Any, parent_id: int | None) -> None:
    """Make ``space`` a child of ``parent_id`` (or of none); a parent that would make a cycle is refused."""
    if parent_id is not None and parent_id not in {choice.id for choice in await parent_choices(session, space)}:
        raise SpaceError(N_("Choose one of the options."), "parent_id")
    space.parent_id = parent_id
    adminlog.record(session, space.organization_id, admin, "space.update", translated(space.title),
                    space_id=space.id, parent_id=parent_id)


async def members_of(session: AsyncSession, space: Space) -> list[tuple[SpaceMember, User | None]]:
    """The members in their order, with the account of those who have one (one query)."""
    rows = (await session.execute(
        select(SpaceMember, User).outerjoin(User, User.id == SpaceMember.user_id)
        .where(SpaceMember.space_id == space.id).order_by(SpaceMember.weight, SpaceMember.id)
    )).all()
    return [(member, user if user is not None and user.deleted_at is None else None) for member, user in rows]


async def add_member(session: AsyncSession, space: Space, admin: Any, data: MemberForm) -> SpaceMember:
    user = None
    if data.nickname:
        user = await session.scalar(select(User).where(
            User.organization_id == space.organization_id, User.nickname == data.nickname.lstrip("@"),
            User.deleted_at.is_(None)))
        if user is None:
            raise SpaceError(N_("Nobody here has this nickname."), "nickname")
        taken = await session.scalar(select(SpaceMember.id).where(SpaceMember.space_id == space.id,
                                                                   SpaceMember.user_id == user.id))
        if taken is not None:
            raise SpaceError(N_("This person is already a member."), "nickname")
    elif not data.name:
        raise SpaceError(N_("Give the nickname of a participant or a name."), "name")
    if data.position == "other" and not data.position_other:
        raise SpaceError(N_("Say which position."), "position_other")
    weight = await session.scalar(select(func.coalesce(func.max(SpaceMember.weight), -1))
                                  .where(SpaceMember.space_id == space.id)) + 1
    member = SpaceMember(space_id=space.id, user_id=user.id if user else None, name="" if user else data.name,
                         position=data.position, position_other=data.position_other if data.position == "other"
                         else "", weight=weight)
    session.add(member)
    await session.flush()
    adminlog.record(session, space.organization_id, admin, "space.member_add", user.name if user else data.name,
                    space_id=space.id, member_id=member.id)
    return member


async def remove_member(session: AsyncSession, space: Space, admin: Any, member_id: int) -> None:
    member = await session.scalar(select(SpaceMember).where(SpaceMember.id == member_id,
                                                            SpaceMember.space_id == space.id))
    if member is None:
        raise LookupError(member_id)
    adminlog.record(session, space.organization_id, admin, "space.member_remove", member.name or "",
                    space_id=space.id, member_id=member.id)
    await session.delete(member)


async def is_member(session: AsyncSession, space: Space, user: Any) -> bool:
    if user is None:
        return False
    return await session.scalar(select(SpaceMember.id).where(SpaceMember.space_id == space.id,
                                                            SpaceMember.user_id == user.id)) is not None
