"""Exports of a component for its admins: asked for on the component's admin page, prepared by the
worker, announced by mail, downloaded only after the space's admin rights were checked, and deleted
when they expire.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.adminlog import AdminLogEntry
from core.component_exports import services
from core.component_exports.models import ComponentExport
from core.db import make_sessionmaker, utcnow
from core.models import Component, Space
from core.queue import Queue
from core.roles import grant_organization_role, grant_space_role
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in
from tests.test_open_data import add_proposal, proposals_of

# Mail goes to the real SMTP server of the ``inbox`` fixture.
pytestmark = pytest.mark.mail


@pytest.fixture
async def admin(demo, db):
    user = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, user.id, "admin")
    await db.commit()
    return user


@pytest.fixture
async def component(demo, db) -> Component:
    found = await proposals_of(db)
    author = await make_user(db, demo, email="laura@example.org", nickname="laura")
    await add_proposal(db, found, author, "Més arbres al parc")
    await db.commit()
    return found


def exports_url(component: Component) -> str:
    return f"/admin/spaces/{component.space_id}/components/{component.id}/exports"


async def export(client, component: Component):
    page = await client.get(f"/admin/spaces/{component.space_id}/components/{component.id}")
    assert f'action="{exports_url(component)}"' in page.text  # the Export action of the component's page
    return await client.post(exports_url(component), data={"_csrf_token": csrf(page.text)}, follow_redirects=False)


async def newest(engine, component) -> ComponentExport | None:
    async with make_sessionmaker(engine)() as session:
        return await session.scalar(select(ComponentExport).where(ComponentExport.component_id == component.id)
                                    .order_by(ComponentExport.id.desc()).limit(1))


async def test_an_admin_exports_a_component_and_is_told_by_mail(client, settings, demo, db, engine, admin, component,
                                                                inbox):
    await log_in(client, admin)
    response = await export(client, component)
    assert response.status_code == 303 and response.headers["location"] == exports_url(component)
    done = await newest(engine, component)  # the queue ran the task at once (immediate mode)
    assert done.finished_at is not None and done.requested_by_id == admin.id
    assert done.expires_at - done.finished_at == timedelta(days=settings.export_retention_days)

    page = await client.get(exports_url(component))
    assert page.status_code == 200 and f'href="{exports_url(component)}/{done.id}"' in page.text
    assert "Rosa Admin" in page.text

    [mail] = inbox.messages()
    assert mail["To"] == "boss@example.org" and "Your export is ready" in mail["Subject"]
    assert f"vilademo.test{exports_url(component)}" in mail.get_content()

    download = await client.get(f"{exports_url(component)}/{done.id}")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert f'filename="pressupostos-2027-proposals-{component.id}-' in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert {"proposals.json", "proposals.csv"} <= set(archive.namelist())
        assert "Més arbres al parc" in {row["title"] for row in json.loads(archive.read("proposals.json"))}

    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "component.export"))
    assert entry.user_id == admin.id and entry.details["component_id"] == component.id
    path = services.path_of(settings, done)
    assert settings.data_path in path.parents and path.is_file()


async def test_who_may_export_and_download(client, demo, db, engine, admin, component):
    await log_in(client, admin)
    await export(client, component)
    done = await newest(engine, component)
    file_url = f"{exports_url(component)}/{done.id}"
    space = await db.get(Space, component.space_id)

    space_admin = await make_user(db, demo, email="space-admin@example.org", nickname="spaceadmin")
    await grant_space_role(db, space.id, space_admin.id, "admin")
    moderator = await make_user(db, demo, email="moderator@example.org", nickname="moderator")
    await grant_space_role(db, space.id, moderator.id, "moderator")
    citizen = await make_user(db, demo, email="citizen@example.org", nickname="citizen")
    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()

    for person, expected in ((space_admin, 200), (moderator, 403), (citizen, 403)):
        client.cookies.clear()
        await log_in(client, person)
        for url in (exports_url(component), file_url):
            assert (await client.get(url)).status_code == expected, (person.nickname, url)

    client.cookies.clear()
    for url in (exports_url(component), file_url):
        anonymous = await client.get(url, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/account/login")

    # An admin of another organization, on their own host, does not find this space at all.
    await log_in(client, foreign, host=f"http://{OTHER_HOST}")
    for url in (exports_url(component), file_url):
        assert (await client.get(f"http://{OTHER_HOST}{url}")).status_code == 404

    # The export of one component is not found under another component, even of the same space.
    client.cookies.clear()
    await log_in(client, admin)
    sibling = await db.scalar(select(Component).where(Component.space_id == space.id, Component.id != component.id))
    assert (await client.get(f"{exports_url(sibling)}/{done.id}")).status_code == 404


async def test_one_export_is_prepared_at_a_time(client, demo, db, engine, admin, component):
    db.add(ComponentExport(organization_id=demo.id, component_id=component.id, requested_by_id=admin.id))
    await db.commit()
    await log_in(client, admin)
    page = await client.get(exports_url(component))
    assert "Being prepared" in page.text
    refused = await export(client, component)
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert len((await db.scalars(select(ComponentExport))).all()) == 1


async def test_expired_exports_are_deleted_with_their_files(client, settings, registry, demo, db, engine, admin,
                                                            component):
    await log_in(client, admin)
    await export(client, component)
    done = await newest(engine, component)
    path = services.path_of(settings, done)
    await db.execute(update(ComponentExport).values(expires_at=utcnow() - timedelta(minutes=1)))
    await db.commit()
    assert (await client.get(f"{exports_url(component)}/{done.id}")).status_code == 404
    assert f'href="{exports_url(component)}/{done.id}"' not in (await client.get(exports_url(component))).text

    assert registry.tasks["core.delete_expired_exports"].schedule is not None
    assert await Queue(settings, registry).run_now("core.delete_expired_exports") == 1
    assert await newest(engine, component) is None and not path.exists()


async def test_the_list_costs_the_same_whatever_its_length(client, demo, db, admin, component, count_queries):
    await log_in(client, admin)
    await client.get(exports_url(component))
    with count_queries() as one:
        await client.get(exports_url(component))
    for _ in range(3):
        db.add(ComponentExport(organization_id=demo.id, component_id=component.id, requested_by_id=admin.id,
                               requested_at=utcnow() - timedelta(hours=2), failed_at=utcnow()))
    await db.commit()
    with count_queries() as several:
        page = await client.get(exports_url(component))
    assert page.text.count("Could not be prepared") == 3
    assert several.count == one.count
