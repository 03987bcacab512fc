"""Exports of proposals name each one's category and scope: by id, and by name in the organization's
default language, in the component's JSON, CSV and XLSX exports and in the open data file; the names come
joined with the proposals, so a row costs no query."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select, update

from core.categories.models import Category
from core.models import Organization, Space
from core.queue import Queue
from core.scopes.models import Scope
from plugins.proposals import exports, services
from tests.conftest import QueryCounter
from tests.test_accounts import make_user
from tests.test_open_data import add_proposal, build, proposals_of, table

TREES = {"ca": "Medi ambient", "es": "Medio ambiente", "en": "Environment"}


async def classified(db, demo):
    """Two public proposals of the budget: one with a category and a scope, one with neither."""
    component = await proposals_of(db)
    author = await make_user(db, demo, email="laura@example.org", nickname="laura", name="Laura Vidal")
    category = Category(space_id=component.space_id, name=dict(TREES))
    db.add(category)
    north = await db.scalar(select(Scope).where(Scope.organization_id == demo.id, Scope.code == "D1"))
    await db.flush()
    with_both = await add_proposal(db, component, author, "Més arbres al parc")
    with_both.category_id, with_both.scope_id = category.id, north.id
    plain = await add_proposal(db, component, author, "Més bancs a la plaça")
    await db.commit()
    return component, category, north, with_both, plain


def by_id(rows, key="id"):
    return {int(row[key]): row for row in rows}


async def test_the_component_exports_carry_category_and_scope(settings, registry, demo, db, engine):
    component, category, north, with_both, plain = await classified(db, demo)
    path = await Queue(settings, registry).run_now("core.export_component", component_id=component.id)
    with zipfile.ZipFile(path) as archive:
        rows = by_id(json.loads(archive.read("proposals.json")))
        table_rows = by_id(csv.DictReader(io.StringIO(archive.read("proposals.csv").decode("utf-8-sig"))))
    assert (rows[with_both.id]["category_id"], rows[with_both.id]["category"]) == (category.id, "Medi ambient")
    assert (rows[with_both.id]["scope_id"], rows[with_both.id]["scope"]) == (north.id, "Nord")
    assert (rows[plain.id]["category_id"], rows[plain.id]["category"]) == (None, "")
    assert (rows[plain.id]["scope_id"], rows[plain.id]["scope"]) == (None, "")
    assert (table_rows[with_both.id]["category"], table_rows[with_both.id]["scope"]) == ("Medi ambient", "Nord")
    assert table_rows[with_both.id]["category_id"] == str(category.id)

    book = load_workbook(io.BytesIO(await exports.workbook(db, component, ["ca", "es", "en"], "Propostes"))).active
    header, *cells = [[cell.value for cell in row] for row in book.iter_rows()]
    sheet = {int(row[header.index("id")]): dict(zip(header, row, strict=True)) for row in cells}
    assert (sheet[with_both.id]["category"], sheet[with_both.id]["scope"]) == ("Medi ambient", "Nord")
    assert sheet[with_both.id]["scope_id"] == north.id

    # In the organization's default language, whoever asks.
    await db.execute(update(Organization).where(Organization.id == demo.id).values(default_locale="es"))
    await db.commit()
    rows = by_id([row async for row in services.export_rows(db, component)])
    assert (rows[with_both.id]["category"], rows[with_both.id]["scope"]) == ("Medio ambiente", "Norte")
    await db.rollback()


async def test_export_rows_cost_no_query_per_row(demo, db, engine):
    component, category, north, *_ = await classified(db, demo)

    async def cost() -> int:
        with QueryCounter(engine) as counter:
            assert len([row async for row in services.export_rows(db, component)]) > 0
        return counter.count

    before = await cost()
    author = await make_user(db, demo, email="marc@example.org", nickname="marc", name="Marc")
    for index in range(15):
        proposal = await add_proposal(db, component, author, f"Proposta {index}")
        proposal.category_id, proposal.scope_id = category.id, north.id
    await db.commit()
    assert await cost() == before


async def test_the_open_data_file_carries_category_and_scope(settings, registry, demo, db):
    component, category, north, with_both, plain = await classified(db, demo)
    rows = by_id(table(await build(settings, registry, demo), "proposals_proposals"))
    assert (rows[with_both.id]["category_id"], rows[with_both.id]["category"]) == (category.id, "Medi ambient")
    assert (rows[with_both.id]["scope_id"], rows[with_both.id]["scope"]) == (north.id, "Nord")
    assert rows[plain.id]["category"] == "" and rows[plain.id]["scope"] == ""
    assert rows[with_both.id]["space_id"] == (await db.get(Space, component.space_id)).id


async def test_exports_give_places_and_keep_hidden_support_counts_hidden(demo, db):
    component, *_ = await classified(db, demo)
    author = await make_user(db, demo, email="nuria@example.org", nickname="nuria", name="Núria")
    proposal = await add_proposal(db, component, author, "Un banc a la plaça")
    proposal.address, proposal.latitude, proposal.longitude = "Plaça Major, 1", 41.93, 2.25
    proposal.supports_count = 7
    await db.commit()

    async def row() -> dict:
        return next(found for found in [r async for r in services.export_rows(db, component)]
                    if found["id"] == proposal.id)

    shown = await row()
    assert (shown["address"], shown["latitude"], shown["longitude"], shown["supports"]) == (
        "Plaça Major, 1", 41.93, 2.25, 7)
    component.settings = {**component.settings, "supports_hidden": True}
    await db.commit()
    assert (await row())["supports"] is None
