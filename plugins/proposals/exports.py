"""The proposals of a component as an Excel workbook (.xlsx), beside core's JSON and CSV exports.

It holds exactly the rows of the manifest's public export (``services.export_rows``): public proposals,
answers once published, nothing private (no notes, no valuators, no supporter). Translated texts get
a column per language, as in the CSV. Text that a spreadsheet would run as a formula (=, +, -, @...)
is written as text with an apostrophe in front, as core.exports does for CSV, and every text cell is
stored with the string type, so no cell of the file is ever a formula.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.ext.asyncio import AsyncSession

from core.exports import FORMULA_START
from core.models import Component
from plugins.proposals.services import export_rows

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that XML 1.0 (and so an .xlsx file) cannot hold; people paste them from other programs.
_ILLEGAL = dict.fromkeys([*range(9), 11, 12, *range(14, 32)])


def _flatten(row: dict[str, Any], locales: list[str]) -> dict[str, Any]:
    """A column per language for translated texts ("answer_ca", "answer_es"...), as in the CSV; other
    structures as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and all(isinstance(k, str) and len(k) == 2 for k in value):
            for locale in locales:
                flat[f"{key}_{locale}"] = value.get(locale, "")
        elif isinstance(value, (dict, list)):
            flat[key] = json.dumps(value, ensure_ascii=False, default=str)
        else:
            flat[key] = value
    return flat


def safe_cell(value: Any) -> Any:
    """A value as a cell may hold it without ever being run: text that looks like a formula is kept as
    text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.translate(_ILLEGAL)
        return "'" + value if value.startswith(FORMULA_START) else value
    return value


async def workbook(session: AsyncSession, component: Component, locales: list[str], title: str) -> bytes:
    """The component's public export as the bytes of an .xlsx file."""
    rows = [_flatten(row, locales) async for row in export_rows(session, component)]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(title.translate(str.maketrans("", "", "[]:*?/\\")) or "proposals")[:31])
    sheet.append(columns)
    for row in rows:
        cells = []
        for key in columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(row.get(key)))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f", whatever the text says
            cells.append(cell)
        sheet.append(cells)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
