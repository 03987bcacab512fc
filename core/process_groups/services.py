"""The rules of process groups: texts sanitised, processes of this organization only, one group per
process, the picture through core.uploads, and the admin log, all in the transaction of the change
(the caller commits).

What visitors see of a group is only its published, public processes; a group is listed with the
processes only once it has one of those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from core.adminlog import record
from core.db import utcnow
from core.i18n import N_, translated
from core.models import Organization, Space
from core.process_groups.models import ProcessGroup, ProcessGroupProcess
from core.process_groups.schemas import ProcessGroupForm
from core.uploads import Checked, Storage

PROCESS = "process"
HERO_PURPOSE = "process_group_hero"
HERO_BOX = (1600, 900)


class ProcessGroupError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _visible() -> list[object]:
    return [Space.published.is_(True), Space.private.is_(False)]


# ---------------------------------------------------------------- reading


async def groups_for_admin(session: AsyncSession, organization: Organization) -> list[tuple[ProcessGroup, int]]:
    """The organization's groups in their order, each with how many processes it holds (one query)."""
    count = (select(func.count(ProcessGroupProcess.id)).where(ProcessGroupProcess.group_id == ProcessGroup.id)
             .correlate(ProcessGroup).scalar_subquery())
    rows = (await session.execute(
        select(ProcessGroup, count).where(ProcessGroup.organization_id == organization.id)
        .order_by(ProcessGroup.weight, ProcessGroup.id)
    )).all()
    return [(group, processes) for group, processes in rows]


async def group_of(session: AsyncSession, organization: Organization, group_id: int) -> ProcessGroup | None:
    """A group of this organization only (with its picture): an id from another one is not found."""
    return await session.scalar(select(ProcessGroup).options(joinedload(ProcessGroup.hero)).where(
        ProcessGroup.id == group_id, ProcessGroup.organization_id == organization.id))


async def process_ids_of(session: AsyncSession, group: ProcessGroup) -> list[int]:
    return list((await session.scalars(select(ProcessGroupProcess.space_id).where(
        ProcessGroupProcess.group_id == group.id))).all())


@dataclass
class Choice:
    """A process an admin may put in a group, and the group it is in now (if any)."""

    space: Space
    group_id: int | None


async def processes_to_choose(session: AsyncSession, organization: Organization) -> list[Choice]:
    """Every process of the organization, drafts too, newest first, with its current group (one query)."""
    rows = (await session.execute(
        select(Space, ProcessGroupProcess.group_id)
        .outerjoin(ProcessGroupProcess, ProcessGroupProcess.space_id == Space.id)
        .where(Space.organization_id == organization.id, Space.space_type == PROCESS)
        .order_by(Space.created_at.desc(), Space.id.desc())
    )).all()
    return [Choice(space, group_id) for space, group_id in rows]


async def public_processes(session: AsyncSession, group: ProcessGroup) -> Sequence[Space]:
    """The group's published, public processes, the most recent first, with their active phase."""
    return (await session.scalars(
        select(Space).join(ProcessGroupProcess, ProcessGroupProcess.space_id == Space.id)
        .where(ProcessGroupProcess.group_id == group.id, Space.organization_id == group.organization_id,
               Space.space_type == PROCESS, *_visible())
        .options(selectinload(Space.active_phase))
        .order_by(Space.promoted.desc(), Space.start_date.desc().nulls_last(), Space.id.desc())
    )).all()


async def groups_for_listing(session: AsyncSession, organization: Organization) -> list[tuple[ProcessGroup, int]]:
    """The groups shown on the list of processes: those with at least one published, public process, with
    how many they have (one query)."""
    visible = (
        select(ProcessGroupProcess.group_id, func.count(Space.id).label("processes"))
        .join(Space, Space.id == ProcessGroupProcess.space_id)
        .where(Space.organization_id == organization.id, Space.space_type == PROCESS, *_visible())
        .group_by(ProcessGroupProcess.group_id).subquery()
    )
    rows = (await session.execute(
        select(ProcessGroup, visible.c.processes).join(visible, visible.c.group_id == ProcessGroup.id)
        .where(ProcessGroup.organization_id == organization.id).order_by(ProcessGroup.weight, ProcessGroup.id)
    )).all()
    return [(group, processes) for group, processes in rows]


async def group_of_process(session: AsyncSession, space: Space) -> ProcessGroup | None:
    """The group a process is in, for its page (one query; none for other kinds of space)."""
    if space.space_type != PROCESS:
        return None
    return await session.scalar(select(ProcessGroup).join(
        ProcessGroupProcess, ProcessGroupProcess.group_id == ProcessGroup.id).where(
        ProcessGroupProcess.space_id == space.id, ProcessGroup.organization_id == space.organization_id))


# ---------------------------------------------------------------- changing


def _texts(organization: Organization, data: ProcessGroupForm) -> tuple[dict[str, str], dict[str, str]]:
    languages = set(organization.available_locales)
    title = {locale: " ".join(text.split()) for locale, text in data.title.items() if locale in languages}
    description = {locale: text for locale, text in data.description.items() if locale in languages and text}
    if not title.get(organization.default_locale):
        raise ProcessGroupError(N_("Write the title at least in the organization's default language."), "title")
    return title, description


async def _set_processes(session: AsyncSession, organization: Organization, group: ProcessGroup,
                         space_ids: Sequence[int]) -> None:
    """Make exactly these processes the group's; a process taken from another group leaves that one."""
    wanted = set(space_ids)
    found = set((await session.scalars(select(Space.id).where(
        Space.id.in_(wanted), Space.organization_id == organization.id, Space.space_type == PROCESS))).all())
    if found != wanted:
        raise ProcessGroupError(N_("Choose processes from the list."), "space_ids")
    await session.execute(delete(ProcessGroupProcess).where(
        ProcessGroupProcess.group_id == group.id, ProcessGroupProcess.space_id.not_in(wanted)))
    current = set((await session.scalars(select(ProcessGroupProcess.space_id).where(
        ProcessGroupProcess.group_id == group.id))).all())
    moving = wanted - current
    if moving:
        await session.execute(delete(ProcessGroupProcess).where(ProcessGroupProcess.space_id.in_(moving)))
        session.add_all(ProcessGroupProcess(group_id=group.id, space_id=space_id) for space_id in sorted(moving))
    await session.flush()


async def _set_hero(session: AsyncSession, storage: Storage, group: ProcessGroup, actor: object,
                    hero: Checked | None, remove_hero: bool) -> None:
    if (hero is not None or remove_hero) and group.hero_upload_id is not None:
        previous = group.hero
        group.hero_upload_id = None
        if previous is not None:
            await storage.remove(session, previous)
    if hero is not None:
        upload = await storage.save(session, hero, organization_id=group.organization_id,
                                    owner_user_id=getattr(actor, "id", None), kind="image", purpose=HERO_PURPOSE)
        group.hero_upload_id = upload.id


async def create(session: AsyncSession, storage: Storage, organization: Organization, actor: object,
                 data: ProcessGroupForm, space_ids: Sequence[int], hero: Checked | None = None) -> ProcessGroup:
    """A new group with its processes (and picture), in the admin log."""
    title, description = _texts(organization, data)
    group = ProcessGroup(organization_id=organization.id, title=title, description=description, weight=data.weight)
    session.add(group)
    await session.flush()
    await _set_processes(session, organization, group, space_ids)
    if hero is not None:
        await _set_hero(session, storage, group, actor, hero, False)
    record(session, organization.id, actor, "process_group.create", translated(title), process_group_id=group.id)
    return group


async def update(session: AsyncSession, storage: Storage, organization: Organization, actor: object,
                 group: ProcessGroup, data: ProcessGroupForm, space_ids: Sequence[int], hero: Checked | None = None,
                 remove_hero: bool = False) -> None:
    """Change a group's texts, processes and picture (a replaced picture's file goes with the commit)."""
    title, description = _texts(organization, data)
    group.title, group.description, group.weight, group.updated_at = title, description, data.weight, utcnow()
    await _set_processes(session, organization, group, space_ids)
    await _set_hero(session, storage, group, actor, hero, remove_hero)
    record(session, organization.id, actor, "process_group.update", translated(title), process_group_id=group.id)


async def delete_group(session: AsyncSession, storage: Storage, organization: Organization, actor: object,
                       group: ProcessGroup) -> None:
    """Delete a group; its processes stay, in no group."""
    record(session, organization.id, actor, "process_group.delete", translated(group.title))
    if group.hero is not None:
        await storage.remove(session, group.hero)
    await session.delete(group)
