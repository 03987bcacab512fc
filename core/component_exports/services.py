"""The rules of component exports: who may ask (checked by the route: the space's admins), one being
prepared per component at a time, the build in the background, the mail, and deleting them when
they expire. The caller commits; the tasks commit themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from huey import crontab
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from core.accounts.models import User
from core.adminlog import record
from core.component_exports.models import ComponentExport
from core.db import utcnow
from core.exports import Archive, component_tables, delete_with_files, exports_folder, mail_when_ready
from core.i18n import N_, translated
from core.manifest import Task
from core.models import Component, Organization, Space

logger = logging.getLogger("participa.exports")

ALREADY_PREPARING = N_("An export of this component is already being prepared. You will get an e-mail when it "
                       "is ready.")
READY = N_("Your export is ready")
LOST_AFTER = timedelta(hours=1)
"""A pending export older than this was lost by a worker that died: it no longer stops a new one."""


class ExportError(Exception):
    """A request that breaks a rule; ``message`` is a message id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- reading


async def component_of(session: AsyncSession, organization: Organization, space_id: int,
                       component_id: int) -> Component | None:
    """A component of this space of this organization, with its space; another one's is not found."""
    return await session.scalar(
        select(Component).join(Component.space)
        .where(Component.id == component_id, Component.space_id == space_id,
               Space.organization_id == organization.id)
        .options(contains_eager(Component.space))
    )


async def exports_of(session: AsyncSession, component: Component) -> Sequence[ComponentExport]:
    """The component's exports that have not expired, newest first, with who asked (one query)."""
    return (await session.scalars(
        select(ComponentExport)
        .where(ComponentExport.component_id == component.id,
               or_(ComponentExport.expires_at.is_(None), ComponentExport.expires_at > utcnow()))
        .options(joinedload(ComponentExport.requested_by))
        .order_by(ComponentExport.requested_at.desc(), ComponentExport.id.desc())
    )).all()


async def finished_export(session: AsyncSession, component: Component, export_id: int) -> ComponentExport | None:
    """A ready, unexpired export of this very component (an id of another component is not found)."""
    return await session.scalar(select(ComponentExport).where(
        ComponentExport.id == export_id, ComponentExport.component_id == component.id,
        ComponentExport.organization_id == component.space.organization_id,
        ComponentExport.finished_at.is_not(None), ComponentExport.expires_at > utcnow(),
    ))


def path_of(settings: Any, export: ComponentExport) -> Path:
    return exports_folder(settings, export.organization_id) / (export.file_name or "missing")


def download_name(component: Component, export: ComponentExport) -> str:
    """What the file is called on the admin's computer: the space, the component and the date."""
    day = (export.finished_at or export.requested_at).strftime("%Y-%m-%d")
    return f"{component.space.slug}-{component.component_type}-{component.id}-{day}.zip"


# ---------------------------------------------------------------- asking


async def request_export(session: AsyncSession, component: Component, actor: User) -> ComponentExport:
    """Ask for an export of the component, written to the admin log; refused while another is being prepared.

    Queue ``core.prepare_component_export`` with the export's id after the commit."""
    preparing = await session.scalar(select(ComponentExport.id).where(
        ComponentExport.component_id == component.id, ComponentExport.finished_at.is_(None),
        ComponentExport.failed_at.is_(None), ComponentExport.requested_at > utcnow() - LOST_AFTER,
    ).limit(1))
    if preparing is not None:
        raise ExportError(ALREADY_PREPARING)
    export = ComponentExport(organization_id=component.space.organization_id, component_id=component.id,
                             requested_by_id=actor.id)
    session.add(export)
    await session.flush()
    record(session, component.space.organization_id, actor, "component.export", translated(component.name),
           component_id=component.id, export_id=export.id)
    return export


# ---------------------------------------------------------------- background work


async def prepare(ctx: Any, export_id: int) -> str | None:
    """Task ``core.prepare_component_export``: write every export of the component (public or not) into
    one zip, mark the export ready and mail whoever asked; the file's path, or None when nothing was done.

    A failure marks the export failed (the page says so and a new one can be asked for) instead of
    being retried: the same data would fail the same way."""
    async with ctx.sessionmaker() as session:
        export = await session.get(ComponentExport, export_id)
        if export is None or not export.pending:
            return None
        component = await session.scalar(
            select(Component).join(Component.space).where(Component.id == export.component_id)
            .options(contains_eager(Component.space)))
        organization = await session.get(Organization, export.organization_id)
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        target = exports_folder(ctx.settings, organization.id) / f"component-{component.id}-{export.id}-{stamp}.zip"
        try:
            if component.component_type not in ctx.registry.component_types:
                raise LookupError(f"component type {component.component_type!r} is not enabled")
            with Archive(target, organization.available_locales) as archive:
                async for declared, rows in component_tables(session, ctx.registry, component):
                    archive.add_table(declared.name, rows)
        except Exception:
            logger.exception("the export %s of component %s failed", export.id, component.id)
            await session.rollback()
            export = await session.get(ComponentExport, export_id)
            export.failed_at = utcnow()
            await session.commit()
            return None
        now = utcnow()
        export.finished_at, export.expires_at = now, now + timedelta(days=ctx.settings.export_retention_days)
        export.file_name, export.size = target.name, archive.size
        requester = await session.get(User, export.requested_by_id) if export.requested_by_id else None
        mailed = requester is not None and await mail_when_ready(
            session, ctx.settings, ctx.registry, organization, requester, key=f"component_export:{export.id}",
            template="component_export_ready", subject=READY, component=component, space=component.space,
            path=f"/admin/spaces/{component.space_id}/components/{component.id}/exports",
            expires_at=export.expires_at,
        )
        await session.commit()
    if mailed and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    return str(target)


async def delete_expired(session: AsyncSession, settings: Any, now: datetime | None = None) -> int:
    """Delete expired exports, and those never finished after the retention time, with their files; how many.

    The rows go first: a file whose row is gone is never offered, while a row without its file would be."""
    now = now or utcnow()
    expired = (await session.scalars(select(ComponentExport).where(or_(
        ComponentExport.expires_at <= now,
        and_(ComponentExport.finished_at.is_(None),
             ComponentExport.requested_at <= now - timedelta(days=settings.export_retention_days)),
    )))).all()
    return await delete_with_files(session, expired,
                                   lambda export: path_of(settings, export) if export.file_name else None)


async def delete_expired_task(ctx: Any) -> int:
    """Task ``core.delete_expired_exports`` (every hour)."""
    async with ctx.sessionmaker() as session:
        return await delete_expired(session, ctx.settings)


TASKS = [
    Task(name="core.prepare_component_export", run=prepare, retries=0),
    Task(name="core.delete_expired_exports", run=delete_expired_task, schedule=crontab(minute="20")),
]
