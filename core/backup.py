"""Backups and restores of the database.

SQLite is copied through its online backup API (a file copy of a live database can
be torn) and checked with ``PRAGMA integrity_check``; PostgreSQL goes through
``pg_dump``/``pg_restore``. Each run is recorded in ``core_backups`` so admins and
health checks can see when the last one succeeded; old files are pruned.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.db import utcnow
from core.models import Backup
from core.settings import Settings

logger = logging.getLogger("participa.backup")


class BackupError(Exception):
    """A backup or restore failed; the message says why."""


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.effective_database_url).database or "")


def _libpq_url(settings: Settings) -> str:
    return make_url(settings.effective_database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _integrity(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:  # not an SQLite database at all
        raise BackupError(f"{path} is not a usable SQLite database: {exc}") from None
    finally:
        connection.close()
    if result != "ok":
        raise BackupError(f"integrity check of {path} failed: {result}")


def make_backup(settings: Settings, target_dir: Path | None = None) -> Path:
    """Write a consistent copy of the live database and return its path."""
    target_dir = target_dir or settings.backup_path
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    if settings.is_sqlite:
        live = _sqlite_path(settings)
        if not live.is_file():  # sqlite3.connect would create an empty database and back that up
            raise BackupError(f"database {live} does not exist")
        target = target_dir / f"participa-{stamp}.sqlite3"
        try:
            source = sqlite3.connect(f"{live.resolve().as_uri()}?mode=rw", uri=True)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            _integrity(target)
        except (sqlite3.Error, BackupError) as exc:
            target.unlink(missing_ok=True)
            raise BackupError(f"backup of {live} failed: {exc}") from None
        return target
    target = target_dir / f"participa-{stamp}.dump"
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(settings)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def restore_backup(settings: Settings, source: Path) -> None:
    """Replace the database with a backup. Stop the app processes and workers first."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if settings.is_sqlite:
        _integrity(source)
        live = _sqlite_path(settings)
        live.parent.mkdir(parents=True, exist_ok=True)
        # A -wal left from the old database would be replayed over the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        tmp = live.with_name(live.name + ".restoring")
        shutil.copyfile(source, tmp)
        os.replace(tmp, live)
        _integrity(live)
        return
    result = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_libpq_url(settings)}", str(source)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def prune(settings: Settings, now: datetime | None = None) -> list[Path]:
    """Delete backup files older than the retention period; returns what was deleted."""
    now = now or datetime.now(timezone.utc)
    limit = now - timedelta(days=settings.backup_retention_days)
    removed = []
    for path in settings.backup_path.glob("participa-*"):
        if datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) < limit:
            path.unlink()
            removed.append(path)
    return removed


async def backup_task(ctx, target_dir: str | None = None) -> str:
    """Task ``core.backup`` (daily, and ``participa backup``): back up, record the outcome, prune.

    The outcome is written after the backup, so a backup never carries a run of its own
    that looks unfinished once restored.
    """
    started = utcnow()
    try:
        path = make_backup(ctx.settings, Path(target_dir) if target_dir else None)
    except Exception as exc:
        try:
            async with ctx.sessionmaker.begin() as session:
                session.add(Backup(started_at=started, finished_at=utcnow(), path=target_dir or "",
                                   succeeded=False, error=str(exc)[:2000]))
        except Exception:  # the database itself may be what failed: keep the backup's own error
            logger.exception("could not record the failed backup")
        raise
    async with ctx.sessionmaker.begin() as session:
        session.add(Backup(started_at=started, finished_at=utcnow(), path=str(path),
                           size_bytes=path.stat().st_size, succeeded=True))
    prune(ctx.settings)
    return str(path)


async def last_successful(session) -> Backup | None:
    return await session.scalar(
        select(Backup).where(Backup.succeeded.is_(True)).order_by(Backup.finished_at.desc()).limit(1)
    )
