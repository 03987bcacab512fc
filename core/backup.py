"""Backups and restores of the database and of the files people uploaded.

SQLite is copied through its online backup API (a file copy of a live database can
be torn) and checked with ``PRAGMA integrity_check``; PostgreSQL goes through
``pg_dump``/``pg_restore``. The uploads folder goes into a tar archive beside the
database's file, with the same name and ``.uploads.tar`` (taken after the database, so
every file the database names is in it). Each run is recorded in ``core_backups`` so
admins and health checks can see when the last one succeeded; old files are pruned.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
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


def uploads_folder(settings: Settings) -> Path:
    return settings.data_path / "uploads"


def uploads_archive_of(backup: Path) -> Path:
    """The archive of the uploads folder that goes with a database backup."""
    return backup.with_name(f"{backup.stem}.uploads.tar")


def _archive_uploads(settings: Settings, backup: Path) -> Path | None:
    """Archive the uploads folder beside ``backup``; None when nothing was ever uploaded."""
    folder = uploads_folder(settings)
    if not folder.is_dir():
        return None
    target = uploads_archive_of(backup)
    partial = target.with_name(target.name + ".part")
    try:
        with tarfile.open(partial, "w") as archive:
            archive.add(folder, arcname="uploads", recursive=False)
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder)
                if path.name.endswith(".part") or relative.parts[0].startswith("."):
                    continue  # a file being written (its row is not committed yet), or a restore's leftovers
                try:
                    archive.add(path, arcname=f"uploads/{relative.as_posix()}", recursive=False)
                except FileNotFoundError:
                    continue  # deleted meanwhile (a replaced picture)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"archiving {folder} failed: {exc}") from None
    return target


def _check_uploads_archive(archive: Path) -> None:
    """Refuse an archive that is unreadable or holds anything but files and folders under ``uploads/``."""
    try:
        with tarfile.open(archive, "r") as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if (not (member.isfile() or member.isdir()) or not parts or parts[0] != "uploads"
                        or ".." in parts or member.name.startswith("/")):
                    raise BackupError(f"{archive} holds an unexpected entry: {member.name!r}")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive} is not a usable uploads archive: {exc}") from None


def _restore_uploads(settings: Settings, archive: Path) -> None:
    """Replace what the uploads folder holds with the archive's.

    Everything is extracted first, inside the folder itself (so the moves stay on its file
    system even when the folder is a shared mount), then the entries are swapped by renaming.
    """
    folder = uploads_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    staging, replaced = folder / ".restoring", folder / ".replaced"
    for leftover in (staging, replaced):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    with tarfile.open(archive, "r") as tar:
        tar.extractall(staging, filter="data")
    replaced.mkdir()
    for entry in folder.iterdir():
        if entry not in (staging, replaced):
            os.replace(entry, replaced / entry.name)
    restored = staging / "uploads"
    for entry in restored.iterdir() if restored.is_dir() else ():
        os.replace(entry, folder / entry.name)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(replaced, ignore_errors=True)


def make_backup(settings: Settings, target_dir: Path | None = None) -> Path:
    """Write a consistent copy of the live database, and the uploads archive beside it; return the database's."""
    target = _backup_database(settings, target_dir)
    try:
        _archive_uploads(settings, target)
    except BackupError:
        target.unlink(missing_ok=True)
        raise
    return target


def _backup_database(settings: Settings, target_dir: Path | None) -> Path:
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
    """Replace the database, and the uploads folder when the backup has its archive, with a backup.

    Stop the app processes and workers first. A backup without an uploads archive (taken before
    anything was uploaded, or before uploads were backed up) leaves the uploads folder as it is.
    """
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    archive = uploads_archive_of(source)
    if archive.exists():
        _check_uploads_archive(archive)  # before anything is replaced
    else:
        logger.warning("%s has no uploads archive beside it; the uploads folder is left as it is", source)
    _restore_database(settings, source)
    if archive.exists():
        _restore_uploads(settings, archive)


def _restore_database(settings: Settings, source: Path) -> None:
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
    archive = uploads_archive_of(path)
    size = path.stat().st_size + (archive.stat().st_size if archive.exists() else 0)
    async with ctx.sessionmaker.begin() as session:
        session.add(Backup(started_at=started, finished_at=utcnow(), path=str(path), size_bytes=size,
                           succeeded=True))
    prune(ctx.settings)
    return str(path)


async def last_successful(session) -> Backup | None:
    return await session.scalar(
        select(Backup).where(Backup.succeeded.is_(True)).order_by(Backup.finished_at.desc()).limit(1)
    )
