"""Exports of a component and its search documents: what leaves the platform, and how."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from sqlalchemy import select

from core.models import Component, Space
from core.queue import Queue
from plugins.pages.services import add_page


async def pages_component(db) -> Component:
    return await db.scalar(
        select(Component).join(Space).where(Space.slug == "pressupostos-2027", Component.component_type == "pages")
    )


async def test_a_component_export_is_a_zip_of_json_and_spreadsheet_ready_csv(settings, registry, demo, db):
    component = await pages_component(db)
    await add_page(db, component, {"ca": "=HYPERLINK(\"http://evil\")", "es": "Fórmula"}, {"ca": "<p>x</p>"})
    await db.commit()
    path = await Queue(settings, registry).run_now("core.export_component", component_id=component.id)
    assert path.startswith(str(settings.data_path / "exports" / str(demo.id)))

    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {"pages.json", "pages.csv"}
        rows = json.loads(archive.read("pages.json"))
        raw_csv = archive.read("pages.csv")
    assert [row["title"]["ca"] for row in rows][:2] == ["Què és aquest procés", "Com participar"]
    assert raw_csv.startswith("\ufeff".encode())  # spreadsheets read the accents right
    table = list(csv.DictReader(io.StringIO(raw_csv.decode("utf-8-sig"))))
    assert {"title_ca", "title_es", "title_en", "body_ca"} <= set(table[0])
    assert table[1]["title_es"] == "Cómo participar"
    assert table[-1]["title_ca"] == "'=HYPERLINK(\"http://evil\")"  # never run as a formula
    assert len(table) == len(rows)


async def test_pages_are_offered_to_search_as_plain_text(registry, demo, db):
    component = await pages_component(db)
    manifest = registry.component_types["pages"]
    documents = [document async for document in manifest.search(db, component)]
    assert [d.title["ca"] for d in documents] == ["Què és aquest procés", "Com participar"]
    how = documents[1]
    assert how.resource_type == "pages.page" and how.path == f"/{how.resource_id}"
    assert how.text["es"].startswith("Regístrate con tu correo. Haz propuestas")
    assert "<" not in how.text["ca"]
