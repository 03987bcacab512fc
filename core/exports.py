"""What leaves the platform as files: zips of tables, each as JSON and as CSV, built in the background.

Per-component exports (``core.export_component``, and the admins' export pages of
``core.component_exports``), the organization's open data (``core.open_data``) and a person's download
of all their data (``core.data_downloads``) are all written by ``Archive`` and served by
``archive_response``.

CSV is written for spreadsheets: UTF-8 with a byte-order mark (so Excel reads accents), a
column per language for translated texts, and cells that a spreadsheet would run as a
formula (starting with =, +, -, @) prefixed with an apostrophe.

An archive is written beside its final name and moved into place when complete (``os.replace``,
atomic on one file system): a reader gets the previous file or the new one, never half of one.
Every file lives under the data folder, never under a public path; only a route that checked who
asks sends it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from litestar.exceptions import NotFoundException
from litestar.response import File
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from core import outbox
from core.accounts.models import User
from core.i18n import current_locale, translated
from core.manifest import Export
from core.models import Component, Organization
from core.notifications.mails import environment, locale_of, site_url

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _flatten(row: dict[str, Any], locales: list[str]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and all(isinstance(k, str) and len(k) == 2 for k in value):
            for locale in locales:
                flat[f"{key}_{locale}"] = value.get(locale, "")
        elif isinstance(value, (dict, list)):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = value
    return flat


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]], locales: list[str]) -> bytes:
    flat = [_flatten(row, locales) for row in rows]
    columns = list(dict.fromkeys(key for row in flat for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in flat:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1, default=str).encode("utf-8")


class Archive:
    """A zip being written: ``with Archive(target, locales) as archive: archive.add_table(...)``.

    It is written to a partial file of its own (two builds at once do not mix) and replaces ``target``
    only when the block ends without an error; after an error the partial file is removed.
    """

    def __init__(self, target: Path, locales: list[str]) -> None:
        self.target = target
        self.locales = locales
        self.partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        self.names: list[str] = []
        self._zip: zipfile.ZipFile | None = None

    def __enter__(self) -> Self:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self.partial, "w", compression=zipfile.ZIP_DEFLATED)
        return self

    def add_table(self, name: str, rows: list[dict[str, Any]]) -> None:
        """``<name>.json`` and ``<name>.csv``."""
        self.add_file(f"{name}.json", to_json(rows))
        self.add_file(f"{name}.csv", to_csv(rows, self.locales))

    def add_file(self, name: str, data: bytes | str) -> None:
        if name in self.names:
            raise ValueError(f"the archive already has a file named {name!r}")
        self.names.append(name)
        assert self._zip is not None
        self._zip.writestr(name, data)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._zip is not None
        self._zip.close()
        if kind is None:
            os.replace(self.partial, self.target)
        else:
            self.partial.unlink(missing_ok=True)

    @property
    def size(self) -> int:
        return self.target.stat().st_size


async def component_tables(session: AsyncSession, registry: Any, component: Component, *,
                           public_only: bool = False) -> AsyncIterator[tuple[Export, list[dict[str, Any]]]]:
    """Each export of the component with its rows; ``public_only``: only those declared ``public``."""
    manifest = registry.component_types[component.component_type]
    for export in manifest.exports:
        if public_only and not export.public:
            continue
        yield export, [row async for row in export.rows(session, component)]


def exports_folder(settings: Any, organization_id: int) -> Path:
    """Where an organization's component exports are kept: under the data folder, never a public path."""
    return settings.data_path / "exports" / str(organization_id)


def clean_file_name(name: str) -> str:
    """A file name that every browser and file system takes: lowercase letters, digits, dots and hyphens."""
    cleaned = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.")
    return cleaned or "download"


def archive_response(path: Path, file_name: str, cache_control: str = "private, no-store") -> File:
    """Send an archive as a download named ``file_name``; 404 when the file is gone (deleted, expired)."""
    if not path.is_file():
        raise NotFoundException()
    name = clean_file_name(file_name)
    return File(
        path=path, media_type="application/zip", filename=name,
        headers={
            "content-disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": cache_control,
        },
    )


async def mail_when_ready(session: AsyncSession, settings: Any, registry: Any, organization: Organization,
                          user: User, *, key: str, template: str, subject: str, **context: Any) -> bool:
    """Write the mail that says a file is ready into the outbox, in the person's language (the caller
    commits, then queues ``core.send_outbox``). Nobody is written to after deleting their account."""
    if user.deleted_at is not None:
        return False
    env, catalogs = environment(settings, registry)
    base_url = await site_url(session, organization)
    token = current_locale.set(locale_of(user, organization))
    try:
        text = env.get_template(f"mails/{template}.txt").render(user=user, organization=organization,
                                                               site_url=base_url, **context)
        subject_text = f"{translated(organization.name)}: {catalogs.gettext(subject)}"
    finally:
        current_locale.reset(token)
    return await outbox.enqueue(session, key=key, organization_id=organization.id, to=user.email,
                                subject=subject_text, text=text, user_id=user.id)


async def export_component_task(ctx, component_id: int) -> str:
    """Task ``core.export_component``: write every export of a component into one zip; returns its path."""
    async with ctx.sessionmaker() as session:
        component = await session.scalar(
            select(Component).join(Component.space).where(Component.id == component_id)
            .options(contains_eager(Component.space))
        )
        if component is None:
            raise LookupError(f"component {component_id} does not exist")
        organization = await session.get(Organization, component.space.organization_id)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = exports_folder(ctx.settings, organization.id) / f"component-{component.id}-{stamp}.zip"
        with Archive(target, organization.available_locales) as archive:
            async for export, rows in component_tables(session, ctx.registry, component):
                archive.add_table(export.name, rows)
    return str(target)


async def delete_with_files(session: AsyncSession, rows: Any, path_of: Any) -> int:
    """Delete prepared files' rows, commit, then their files; how many rows.

    The rows go first: a file whose row is gone is never offered, while a row without its file would be.
    ``path_of(row)`` is the row's file, or None for one never finished."""
    rows = list(rows)
    paths = [path for path in map(path_of, rows) if path is not None]
    for row in rows:
        await session.delete(row)
    await session.commit()
    for path in paths:
        path.unlink(missing_ok=True)
    return len(rows)
