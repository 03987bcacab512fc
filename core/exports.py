"""Per-component exports, built in the background: one zip with a JSON and a CSV file per export.

CSV is written for spreadsheets: UTF-8 with a byte-order mark (so Excel reads accents), a
column per language for translated texts, and cells that a spreadsheet would run as a
formula (starting with =, +, -, @) prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from core.models import Component, Organization

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


async def export_component_task(ctx, component_id: int) -> str:
    """Task ``core.export_component``: write every export of a component into one zip; returns its path."""
    async with ctx.sessionmaker() as session:
        component = await session.scalar(
            select(Component).join(Component.space).where(Component.id == component_id)
            .options(contains_eager(Component.space))
        )
        if component is None:
            raise LookupError(f"component {component_id} does not exist")
        manifest = ctx.registry.component_types[component.component_type]
        organization = await session.get(Organization, component.space.organization_id)
        locales = organization.available_locales
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        folder = ctx.settings.data_path / "exports" / str(organization.id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"component-{component.id}-{stamp}.zip"
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for export in manifest.exports:
                rows = [row async for row in export.rows(session, component)]
                archive.writestr(f"{export.name}.json", json.dumps(rows, ensure_ascii=False, indent=1, default=str))
                archive.writestr(f"{export.name}.csv", to_csv(rows, locales))
    partial.rename(target)  # a half-written file never looks finished
    return str(target)

