"""The rules of data downloads: one request being prepared per person at a time, the archive of
everything the platform keeps about them (core's tables and each plugin's ``personal_data``), the mail,
and deleting the archive when it expires or when the account is deleted.

The archive is theirs alone: only ``download_of`` finds it, for the person it belongs to, in their
organization. The caller commits; the tasks commit themselves.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from huey import crontab
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.comments.models import Comment, CommentVote
from core.data_downloads.models import DataDownload
from core.db import utcnow
from core.events import Event
from core.exports import Archive, delete_with_files, mail_when_ready
from core.follows import Follow
from core.groups.models import GroupMembership, UserGroup
from core.i18n import N_
from core.manifest import Task
from core.models import Organization, SpaceMember
from core.moderation.models import Moderation, Report
from core.notifications.models import Notification, NotificationPreference
from core.roles import OrganizationRole, SpaceRole
from core.uploads import Upload, storage

logger = logging.getLogger("participa.data_downloads")

ALREADY_PREPARING = N_("Your data is already being prepared. You will get an e-mail when it is ready.")
READY = N_("Your data is ready to download")
LOST_AFTER = timedelta(hours=1)
"""A request still pending after this was lost by a worker that died: it no longer stops a new one."""
CORE_TABLES = ("profile", "settings", "consents", "follows", "notifications", "comments", "comment_votes",
               "reports", "roles", "space_memberships", "group_memberships", "uploads")
"""The tables core writes itself; a plugin's names start with its own name (``proposals_supports``)."""


class DataDownloadError(Exception):
    """A request that breaks a rule; ``message`` is a message id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- reading


def _alive(now: datetime) -> Any:
    return or_(DataDownload.expires_at.is_(None), DataDownload.expires_at > now)


async def latest_of(session: AsyncSession, user: User) -> DataDownload | None:
    """The person's newest request that has not expired: pending, ready or failed."""
    return await session.scalar(
        select(DataDownload).where(DataDownload.user_id == user.id, DataDownload.organization_id == user.organization_id,
                                   _alive(utcnow()))
        .order_by(DataDownload.requested_at.desc(), DataDownload.id.desc()).limit(1)
    )


async def download_of(session: AsyncSession, organization: Organization, download_id: int) -> DataDownload | None:
    """A ready, unexpired download of this organization; whose it is, the rule ``data_download.read`` decides."""
    return await session.scalar(select(DataDownload).where(
        DataDownload.id == download_id, DataDownload.organization_id == organization.id,
        DataDownload.finished_at.is_not(None), DataDownload.expires_at > utcnow(),
    ))


def folder_of(settings: Any, organization_id: int) -> Path:
    """Under the data folder, never a public path."""
    return settings.data_path / "data_downloads" / str(organization_id)


def path_of(settings: Any, download: DataDownload) -> Path:
    return folder_of(settings, download.organization_id) / (download.file_name or "missing")


def download_name(organization: Organization, download: DataDownload) -> str:
    day = (download.finished_at or download.requested_at).strftime("%Y-%m-%d")
    return f"{organization.slug}-my-data-{day}.zip"


# ---------------------------------------------------------------- asking


async def request_download(session: AsyncSession, user: User) -> DataDownload:
    """Ask for all of a person's data; refused while another request of theirs is being prepared (the
    partial unique index refuses a second one even when two clicks race). Queue
    ``core.prepare_data_download`` with its id after the commit."""
    now = utcnow()
    pending = and_(DataDownload.user_id == user.id, DataDownload.finished_at.is_(None),
                   DataDownload.failed_at.is_(None))
    if await session.scalar(select(DataDownload.id).where(pending, DataDownload.requested_at > now - LOST_AFTER)):
        raise DataDownloadError(ALREADY_PREPARING)
    # A request a dead worker left pending must not stand in the way of this one.
    await session.execute(update(DataDownload).where(pending).values(failed_at=now))
    download = DataDownload(organization_id=user.organization_id, user_id=user.id, requested_at=now)
    session.add(download)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DataDownloadError(ALREADY_PREPARING) from None
    return download


# ---------------------------------------------------------------- what goes in


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _rows(items: Sequence[Any], *columns: str, **renamed: str) -> list[dict[str, Any]]:
    """One dict per row with these attributes (``renamed``: column name in the file = attribute)."""
    fields = [(name, name) for name in columns] + list(renamed.items())
    return [{name: _plain(getattr(item, attribute)) for name, attribute in fields} for item in items]


async def core_tables(session: AsyncSession, user: User) -> dict[str, list[dict[str, Any]]]:
    """What core keeps about the person, table by table (``CORE_TABLES``)."""
    uid = user.id

    async def all_of(statement: Any) -> Sequence[Any]:
        return (await session.scalars(statement)).all()

    avatar = await session.get(Upload, user.avatar_upload_id) if user.avatar_upload_id else None
    delivery = await session.scalar(select(NotificationPreference.delivery).where(NotificationPreference.user_id == uid))
    notifications = (await session.execute(
        select(Notification, Event).join(Event, Event.id == Notification.event_id)
        .where(Notification.user_id == uid).order_by(Notification.id))).all()
    reports = (await session.execute(
        select(Report, Moderation).join(Moderation, Moderation.id == Report.moderation_id)
        .where(Report.user_id == uid).order_by(Report.id))).all()
    organization_roles = await all_of(select(OrganizationRole).where(OrganizationRole.user_id == uid)
                                      .order_by(OrganizationRole.id))
    space_roles = await all_of(select(SpaceRole).where(SpaceRole.user_id == uid).order_by(SpaceRole.id))
    groups = (await session.execute(
        select(GroupMembership, UserGroup).join(UserGroup, UserGroup.id == GroupMembership.user_group_id)
        .where(GroupMembership.user_id == uid).order_by(GroupMembership.id))).all()
    return {
        "profile": [{
            "id": user.id, "email": user.email, "nickname": user.nickname, "name": user.name,
            "created_at": _plain(user.created_at), "confirmed_at": _plain(user.confirmed_at),
            "last_login_at": _plain(user.last_login_at), "blocked_at": _plain(user.blocked_at),
            "blocked_reason": user.blocked_reason, "avatar": avatar_name(avatar) if avatar else None,
        }],
        "settings": [{"setting": "language", "value": user.locale},
                     {"setting": "notification_mail", "value": delivery or "daily"}],
        "consents": [
            {"consent": "terms_of_use", "version": user.terms_accepted_version, "given_at": None},
            {"consent": "newsletter", "version": None, "given_at": _plain(user.newsletter_consent_at)},
        ],
        "follows": _rows(await all_of(select(Follow).where(Follow.user_id == uid).order_by(Follow.id)),
                         "resource_type", "resource_id", "created_at"),
        "notifications": [{
            "event": event.event_type, "resource_type": event.resource_type, "resource_id": event.resource_id,
            "resource_title": event.resource_title, "path": event.resource_path,
            "created_at": _plain(notification.created_at), "read_at": _plain(notification.read_at),
            "mailed_at": _plain(notification.mailed_at),
        } for notification, event in notifications],
        "comments": _rows(await all_of(select(Comment).where(Comment.author_id == uid).order_by(Comment.id)),
                          "id", "component_id", "resource_type", "resource_id", "parent_id", "body", "alignment",
                          "created_at", "edited_at", "deleted_at"),
        "comment_votes": _rows(await all_of(select(CommentVote).where(CommentVote.user_id == uid)
                                            .order_by(CommentVote.id)), "comment_id", "value", "created_at"),
        "reports": [{
            "resource_type": moderation.resource_type, "resource_id": moderation.resource_id,
            "reason": report.reason, "details": report.details, "created_at": _plain(report.created_at),
        } for report, moderation in reports],
        "roles": [{"role": role.role, "space_id": None, "granted_at": _plain(role.granted_at)}
                  for role in organization_roles]
        + [{"role": role.role, "space_id": role.space_id, "granted_at": _plain(role.granted_at)}
           for role in space_roles],
        "space_memberships": _rows(await all_of(select(SpaceMember).where(SpaceMember.user_id == uid)
                                                .order_by(SpaceMember.id)),
                                   "space_id", "position", "position_other", "created_at"),
        "group_memberships": [{
            "group_nickname": group.nickname, "group_name": group.name, "role": membership.role,
            "created_at": _plain(membership.created_at), "joined_at": _plain(membership.joined_at),
        } for membership, group in groups],
        "uploads": _rows(await all_of(select(Upload).where(Upload.owner_user_id == uid).order_by(Upload.id)),
                         "kind", "purpose", "content_type", "size", "width", "height", "original_name", "private",
                         "created_at"),
    }


def avatar_name(upload: Upload) -> str:
    """The picture's name inside the archive."""
    return "avatar" + Path(upload.path).suffix


async def personal_tables(session: AsyncSession, registry: Any, user: User) -> dict[str, list[dict[str, Any]]]:
    """Core's tables, then every enabled plugin's (the ``personal_data`` hook), by name."""
    tables = await core_tables(session, user)
    for result in registry.call("personal_data", session=session, user=user):
        if inspect.isawaitable(result):
            result = await result
        for name, rows in (result or {}).items():
            if name in tables:
                raise ValueError(f"personal_data: two parts are named {name!r}")
            tables[name] = [{key: _plain(value) for key, value in row.items()} for row in rows]
    return tables


# ---------------------------------------------------------------- background work


async def prepare(ctx: Any, download_id: int) -> str | None:
    """Task ``core.prepare_data_download``: write the person's archive, mark it ready, delete their older
    archives and mail them; the archive's path, or None when nothing was done. A failure marks the
    request failed (the page says so and offers to ask again) instead of retrying it."""
    async with ctx.sessionmaker() as session:
        download = await session.get(DataDownload, download_id)
        if download is None or not download.pending:
            return None
        user = await session.get(User, download.user_id)
        organization = await session.get(Organization, download.organization_id)
        target = folder_of(ctx.settings, organization.id) / f"data-{user.id}-{download.id}-{utcnow():%Y%m%dT%H%M%SZ}.zip"
        try:
            if user.deleted_at is not None:
                raise LookupError("the account was deleted")
            tables = await personal_tables(session, ctx.registry, user)
            avatar = await session.get(Upload, user.avatar_upload_id) if user.avatar_upload_id else None
            picture = storage(ctx.settings).path_of(avatar) if avatar else None
            with Archive(target, organization.available_locales) as archive:
                for name, rows in tables.items():
                    archive.add_table(name, rows)
                if picture is not None and picture.is_file():
                    archive.add_file(avatar_name(avatar), await anyio.Path(picture).read_bytes())
        except Exception:
            logger.exception("the data download %s failed", download_id)
            await session.rollback()
            download = await session.get(DataDownload, download_id)
            download.failed_at = utcnow()
            await session.commit()
            return None
        now = utcnow()
        download.finished_at = now
        download.expires_at = now + timedelta(days=ctx.settings.data_download_retention_days)
        download.file_name, download.size = target.name, archive.size
        # Only the newest archive is kept: an older one holds the same data, staler.
        older = (await session.scalars(select(DataDownload).where(
            DataDownload.user_id == user.id, DataDownload.id != download.id))).all()
        paths = [path_of(ctx.settings, item) for item in older if item.file_name]
        for item in older:
            await session.delete(item)
        mailed = await mail_when_ready(
            session, ctx.settings, ctx.registry, organization, user, key=f"data_download:{download.id}",
            template="data_download_ready", subject=READY, expires_at=download.expires_at)
        await session.commit()
    for path in paths:
        path.unlink(missing_ok=True)
    if mailed and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    return str(target)


async def delete_expired(session: AsyncSession, settings: Any, now: datetime | None = None) -> int:
    """Delete expired downloads, those never finished after the retention time, and every download of a
    deleted account, with their files; how many. Rows first, so a file is never offered without its row."""
    now = now or utcnow()
    expired = (await session.scalars(select(DataDownload).where(or_(
        DataDownload.expires_at <= now,
        and_(DataDownload.finished_at.is_(None),
             DataDownload.requested_at <= now - timedelta(days=settings.data_download_retention_days)),
        DataDownload.user_id.in_(select(User.id).where(User.deleted_at.is_not(None))),
    )))).all()
    return await delete_with_files(session, expired,
                                   lambda download: path_of(settings, download) if download.file_name else None)


async def delete_expired_task(ctx: Any) -> int:
    """Task ``core.delete_expired_data_downloads`` (every hour)."""
    async with ctx.sessionmaker() as session:
        return await delete_expired(session, ctx.settings)


TASKS = [
    Task(name="core.prepare_data_download", run=prepare, retries=0),
    Task(name="core.delete_expired_data_downloads", run=delete_expired_task, schedule=crontab(minute="25")),
]
