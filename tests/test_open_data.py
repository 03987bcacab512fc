"""Open data: everything public of an organization, as CSV and JSON in one zip, at a stable address.

The file is built by the real task (``Queue.run_now``, or the queue in immediate mode behind the admin's
button), read back from the zip, and checked for what must never be in it: private and unpublished
spaces and components, what moderation hid, e-mail addresses, deleted people's names, another
organization's data.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from core.comments.models import Comment
from core.db import utcnow
from core.i18n import to_local
from core.models import Component, Organization, Space
from core.moderation.models import Moderation
from core.open_data import services
from core.queue import Queue
from core.roles import grant_organization_role
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in


async def proposals_of(db, slug: str = "pressupostos-2027") -> Component:
    return await db.scalar(select(Component).join(Space).where(Space.slug == slug,
                                                              Component.component_type == "proposals"))


async def add_proposal(db, component: Component, author, title: str, state: str = "published") -> Proposal:
    proposal = Proposal(component_id=component.id, author_id=author.id, title=title, body=f"<p>{title}</p>",
                        language="ca", state=state, published_at=utcnow() if state != "draft" else None)
    db.add(proposal)
    await db.flush()
    return proposal


async def add_comment(db, component: Component, proposal: Proposal, author, body: str) -> Comment:
    comment = Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=proposal.id,
                      author_id=author.id, body=body)
    db.add(comment)
    await db.flush()
    return comment


async def hide(db, component: Component, resource_type: str, resource_id: int) -> None:
    """What moderation leaves behind when a resource is hidden (by reports or by a moderator)."""
    space = await db.get(Space, component.space_id)
    db.add(Moderation(organization_id=space.organization_id, space_id=space.id, component_id=component.id,
                      resource_type=resource_type, resource_id=resource_id, report_count=3, hidden_at=utcnow()))
    await db.flush()


async def add_space(db, organization: Organization, slug: str, *, published: bool = True, private: bool = False,
                    component_published: bool = True) -> Component:
    """A process with a proposals component."""
    space = Space(organization_id=organization.id, space_type="process", slug=slug, title={"ca": slug.title()},
                  published=published, private=private)
    db.add(space)
    await db.flush()
    component = Component(space_id=space.id, component_type="proposals", name={"ca": "Propostes"},
                          published=component_published)
    db.add(component)
    await db.flush()
    return component


def read(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def table(files: dict[str, bytes], name: str) -> list[dict]:
    rows = json.loads(files[f"{name}.json"])
    # The CSV holds the same rows, for spreadsheets.
    assert len(list(csv.DictReader(io.StringIO(files[f"{name}.csv"].decode("utf-8-sig"))))) == len(rows)
    return rows


async def build(settings, registry, organization) -> dict[str, bytes]:
    path = await Queue(settings, registry).run_now("core.build_open_data", organization_id=organization.id)
    assert path == str(services.path_of(settings, organization.id))
    return read(path)


@pytest.fixture
async def world(demo, db):
    """Public things beside private, unpublished and hidden ones, by people alive, deleted and blocked."""
    author = await make_user(db, demo, email="laura@example.org", nickname="laura", name="Laura Vidal")
    gone = await make_user(db, demo, email="gone@example.org", nickname="deleted_99", name="",
                           deleted_at=utcnow())
    blocked = await make_user(db, demo, email="troll@example.org", nickname="troll", name="Troll",
                              blocked_at=utcnow())
    public = await proposals_of(db)
    visible = await add_proposal(db, public, author, "Més arbres al parc")
    hidden = await add_proposal(db, public, author, "Proposta amagada")
    await add_proposal(db, public, author, "Esborrany personal", state="draft")
    await hide(db, public, "proposals.proposal", hidden.id)
    kept = await add_comment(db, public, visible, author, "Molt bona idea")
    hidden_comment = await add_comment(db, public, visible, author, "Comentari amagat")
    await hide(db, public, "comments.comment", hidden_comment.id)
    await add_comment(db, public, hidden, author, "Comentari d'una proposta amagada")
    await add_comment(db, public, visible, gone, "Ho deia una persona que ja no hi és")
    await add_comment(db, public, visible, blocked, "Ho deia una persona bloquejada")
    for slug, options in (("secreta", {"private": True}), ("esborrany", {"published": False}),
                          ("amb-eina-oculta", {"component_published": False})):
        component = await add_space(db, demo, slug, **options)
        proposal = await add_proposal(db, component, author, f"Proposta de {slug}")
        await add_comment(db, component, proposal, author, f"Comentari de {slug}")
    other = await other_organization(db)
    foreign = await make_user(db, other, email="altra@example.org", nickname="altra")
    component = await add_space(db, other, "de-l-altra")
    await add_proposal(db, component, foreign, "Proposta de l'altra vila")
    await db.commit()
    return {"author": author, "visible": visible, "hidden": hidden, "kept": kept, "other": other}


async def test_the_file_holds_every_public_thing_and_nothing_else(settings, registry, demo, db, world):
    files = await build(settings, registry, demo)
    names = set(files)
    for name in ("spaces", "phases", "components", "proposals_proposals", "pages_pages", "comments", "statistics"):
        assert {f"{name}.json", f"{name}.csv"} <= names, name
    assert "README.txt" in names
    readme = files["README.txt"].decode()
    assert services.LICENCE in readme and "proposals_proposals.csv" in readme

    spaces = table(files, "spaces")
    slugs = {space["slug"] for space in spaces}
    assert "pressupostos-2027" in slugs and "amb-eina-oculta" in slugs
    assert not slugs & {"secreta", "esborrany", "de-l-altra"}
    assert all(space["url"].startswith("http://vilademo.test/") or space["url"].startswith("https://vilademo.test/")
               for space in spaces)
    space_ids = {space["id"] for space in spaces}
    assert all(phase["space_id"] in space_ids for phase in table(files, "phases"))
    components = table(files, "components")
    assert all(component["space_id"] in space_ids for component in components)

    proposals = table(files, "proposals_proposals")
    titles = {row["title"] for row in proposals}
    assert "Més arbres al parc" in titles
    assert not titles & {"Proposta amagada", "Esborrany personal", "Proposta de secreta", "Proposta de esborrany",
                         "Proposta de amb-eina-oculta", "Proposta de l'altra vila"}
    row = next(row for row in proposals if row["id"] == world["visible"].id)
    assert row["component_id"] in {component["id"] for component in components} and row["space_id"] in space_ids

    comments = {row["body"]: row for row in table(files, "comments")}
    assert comments["Molt bona idea"]["author_nickname"] == "laura"
    assert comments["Molt bona idea"]["author_name"] == "Laura Vidal"
    assert "Comentari amagat" not in comments  # hidden by moderation
    assert "Comentari d'una proposta amagada" not in comments  # on something moderation hid
    assert not [body for body in comments if body.startswith("Comentari de ")]  # private, draft, unpublished
    for anonymous in ("Ho deia una persona que ja no hi és", "Ho deia una persona bloquejada"):
        assert comments[anonymous]["author_nickname"] is None and comments[anonymous]["author_name"] is None

    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert "@example.org" not in everything and "@demo.participa.test" not in everything  # no e-mail at all
    assert "deleted_99" not in everything and "Troll" not in everything

    statistics = table(files, "statistics")
    overall = {row["statistic"]: row["value"] for row in statistics if row["space_id"] is None}
    assert overall["spaces"] == len(spaces) and overall["components"] == len(components)
    assert overall["comments"] == len(comments)
    assert overall["proposals.proposals"] == len(proposals)  # hidden ones are not counted either
    assert {row["space_id"] for row in statistics} == space_ids | {None}
    assert next(row for row in statistics if row["statistic"] == "comments")["title"]["ca"]


async def test_each_organization_gets_its_own_file(settings, registry, demo, db, world):
    other = world["other"]
    await build(settings, registry, demo)
    files = await build(settings, registry, other)
    assert [space["slug"] for space in table(files, "spaces")] == ["de-l-altra"]
    assert [row["title"] for row in table(files, "proposals_proposals")] == ["Proposta de l'altra vila"]
    assert services.path_of(settings, other.id) != services.path_of(settings, demo.id)


async def test_the_page_describes_the_file_and_the_address_serves_it(app, client, settings, registry, demo, db,
                                                                    world):
    page = await client.get("/open-data")
    assert page.status_code == 200
    assert "proposals_proposals.csv" in page.text and services.LICENCE_URL in page.text
    assert 'href="/open-data/download"' not in page.text  # nothing to download before the first build
    assert (await client.get("/open-data/download")).status_code == 404
    assert 'href="/open-data"' in (await client.get("/")).text  # linked from every page's footer

    await build(settings, registry, demo)
    page = await client.get("/open-data")
    assert 'href="/open-data/download"' in page.text
    built = services.current_file(settings, demo)
    assert to_local(built.built_at, demo.time_zone).strftime("%H:%M") in page.text  # the organization's time

    response = await client.get("/open-data/download")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="{demo.slug}-open-data-{built.built_at:%Y-%m-%d}.zip"' in response.headers["content-disposition"]
    assert "set-cookie" not in response.headers  # public and cacheable: no session
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "spaces.csv" in archive.namelist()

    # Another organization's host serves that organization's file, which does not exist yet.
    assert (await client.get(f"http://{OTHER_HOST}/open-data/download")).status_code == 404


async def test_building_again_replaces_the_file_at_once(settings, registry, demo, db, world):
    first = await build(settings, registry, demo)
    assert "nova-consulta" not in first["spaces.json"].decode()
    await add_space(db, demo, "nova-consulta")
    await db.commit()
    second = await build(settings, registry, demo)
    assert "nova-consulta" in second["spaces.json"].decode()
    folder = services.path_of(settings, demo.id).parent
    assert [path.name for path in folder.iterdir()] == [services.FILE_NAME]  # no partial file left behind


async def test_the_daily_task_builds_every_organization(settings, registry, demo, db, world):
    task = registry.tasks["core.build_all_open_data"]
    assert task.schedule is not None  # periodic: the worker runs it every day
    assert await Queue(settings, registry).run_now("core.build_all_open_data") == 2
    assert services.current_file(settings, demo) is not None
    assert services.current_file(settings, world["other"]) is not None


async def test_an_admin_builds_it_now_and_nobody_else_may(client, settings, demo, db, world):
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    await log_in(client, citizen)
    page = await client.get("/open-data")
    assert 'action="/open-data/build"' not in page.text
    refused = await client.post("/open-data/build", data={"_csrf_token": csrf((await client.get("/account/settings")).text)},
                                follow_redirects=False)
    assert refused.status_code == 403 and services.current_file(settings, demo) is None

    client.cookies.clear()
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    await db.commit()
    await log_in(client, admin)
    page = await client.get("/open-data")
    built = await client.post("/open-data/build", data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert built.status_code == 303 and built.headers["location"] == "/open-data"
    assert services.current_file(settings, demo) is not None  # the queue ran the task (immediate mode)
