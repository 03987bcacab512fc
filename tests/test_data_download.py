"""A person's download of all their data: asked for on the account pages, prepared in the background,
announced by mail, and theirs alone until it expires.

Tasks run for real: through the queue in immediate mode behind the buttons, and with ``Queue.run_now``
for the periodic cleanup, as in tests/test_exports.py. Mail goes to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.data_downloads import services
from core.data_downloads.models import DataDownload
from core.db import make_sessionmaker, utcnow
from core.follows import Follow
from core.groups.models import GroupMembership, UserGroup
from core.queue import Queue
from core.roles import grant_organization_role
from plugins.proposals.models import Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in
from tests.test_open_data import add_comment, add_proposal, proposals_of
from tests.test_uploads import image_bytes

# Mail goes to the real SMTP server of the ``inbox`` fixture.
pytestmark = pytest.mark.mail


@pytest.fixture
async def person(demo, db):
    """Somebody who took part: a proposal published and a draft, a support, a comment, a follow."""
    user = await make_user(db, demo, email="laura@example.org", nickname="laura", name="Laura Vidal", locale="en",
                           newsletter_consent_at=utcnow())
    someone = await make_user(db, demo, email="pere@example.org", nickname="pere", name="Pere Puig")
    component = await proposals_of(db)
    await add_proposal(db, component, user, "Més bancs a la plaça")
    await add_proposal(db, component, user, "Una idea a mig escriure", state="draft")
    theirs = await add_proposal(db, component, someone, "Carril bici")
    db.add(Support(proposal_id=theirs.id, user_id=user.id, component_id=component.id))
    db.add(Follow(user_id=user.id, resource_type="proposals.proposal", resource_id=theirs.id))
    await add_comment(db, component, theirs, user, "M'agrada molt")
    await add_comment(db, component, theirs, someone, "Un comentari d'algú altre")
    group = UserGroup(organization_id=demo.id, name="Veïns del Carme", nickname="veins_carme")
    db.add(group)
    await db.flush()
    db.add(GroupMembership(user_group_id=group.id, user_id=user.id, role="member", joined_at=utcnow()))
    await db.commit()
    return user


async def post(client, page: str, action: str | None = None, **fields):
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


async def ask(client) -> None:
    response = await post(client, "/account/data")
    assert response.status_code == 303 and response.headers["location"] == "/account/data"


async def latest(engine, user) -> DataDownload | None:
    async with make_sessionmaker(engine)() as session:
        return await session.scalar(select(DataDownload).where(DataDownload.user_id == user.id)
                                    .order_by(DataDownload.id.desc()).limit(1))


def read(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_a_person_asks_for_their_data_gets_a_mail_and_downloads_it(client, settings, demo, db, engine, person,
                                                                         inbox):
    await log_in(client, person)
    uploaded = await client.post("/account/avatar", data={"_csrf_token": csrf((await client.get("/account/settings")).text)},
                                 files={"avatar": ("me.png", image_bytes(), "image/png")}, follow_redirects=False)
    assert uploaded.status_code == 303
    assert 'href="/account/data"' in (await client.get("/account/settings")).text
    page = await client.get("/account/data")
    assert page.status_code == 200 and 'action="/account/data"' in page.text

    await ask(client)  # the queue runs the task at once (immediate mode)
    download = await latest(engine, person)
    assert download.finished_at is not None
    assert download.expires_at - download.finished_at == timedelta(days=settings.data_download_retention_days)
    page = await client.get("/account/data")
    assert f'href="/account/data/{download.id}"' in page.text

    [mail] = inbox.messages()
    assert mail["To"] == "laura@example.org"
    assert "Your data is ready to download" in mail["Subject"]
    text = mail.get_content()
    assert "http://vilademo.test/account/data" in text or "https://vilademo.test/account/data" in text

    response = await client.get(f"/account/data/{download.id}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="{demo.slug}-my-data-' in response.headers["content-disposition"]
    assert "no-store" in response.headers["cache-control"]
    files = read(response.content)
    for name in ("profile", "settings", "consents", "follows", "notifications", "comments", "comment_votes",
                 "reports", "roles", "space_memberships", "group_memberships", "uploads", "proposals_proposals",
                 "proposals_supports"):
        assert {f"{name}.json", f"{name}.csv"} <= set(files), name
    [profile] = json.loads(files["profile.json"])
    assert profile["email"] == "laura@example.org" and profile["nickname"] == "laura"
    assert profile["avatar"] == "avatar.png" and files["avatar.png"].startswith(b"\x89PNG")
    assert {row["title"] for row in json.loads(files["proposals_proposals.json"])} == {
        "Més bancs a la plaça", "Una idea a mig escriure"}  # their drafts too: it is their data
    assert len(json.loads(files["proposals_supports.json"])) == 1
    assert [row["body"] for row in json.loads(files["comments.json"])] == ["M'agrada molt"]
    assert [row["resource_type"] for row in json.loads(files["follows.json"])] == ["proposals.proposal"]
    consents = {row["consent"]: row for row in json.loads(files["consents.json"])}
    assert consents["newsletter"]["given_at"] and consents["terms_of_use"]["version"] == demo.terms_version
    assert [row["purpose"] for row in json.loads(files["uploads.json"])] == ["avatar"]
    assert [(row["group_nickname"], row["role"]) for row in json.loads(files["group_memberships.json"])] == [
        ("veins_carme", "member")]
    everything = b"".join(files.values())
    assert b"pere@example.org" not in everything and "Un comentari d'algú altre".encode() not in everything

    # The file lives under the data folder, not under anything served as it is.
    path = services.path_of(settings, download)
    assert path.is_file() and settings.data_path in path.parents and "static" not in path.parts


async def test_only_its_owner_logged_in_gets_the_archive(client, settings, demo, db, engine, person):
    await log_in(client, person)
    await ask(client)
    download = await latest(engine, person)
    url = f"/account/data/{download.id}"
    assert (await client.get(url)).status_code == 200

    client.cookies.clear()
    assert (await client.get(url)).status_code == 404  # anonymous: not even a login page
    neighbour = await make_user(db, demo, email="pere2@example.org", nickname="pere2")
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    other = await other_organization(db)
    foreign = await make_user(db, other, email="laura@example.org", nickname="laura")
    await db.commit()
    for somebody in (neighbour, admin):
        client.cookies.clear()
        await log_in(client, somebody)
        assert (await client.get(url)).status_code == 404
    client.cookies.clear()
    await log_in(client, foreign, host=f"http://{OTHER_HOST}")
    assert (await client.get(f"http://{OTHER_HOST}{url}")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}/account/data")).status_code == 200
    assert f'href="{url}"' not in (await client.get(f"http://{OTHER_HOST}/account/data")).text


async def test_one_request_is_prepared_at_a_time(client, demo, db, engine, person):
    db.add(DataDownload(organization_id=demo.id, user_id=person.id))  # asked for, the worker has not run yet
    await db.commit()
    await log_in(client, person)
    page = await client.get("/account/data")
    assert "Your data is being prepared." in page.text and 'action="/account/data"' not in page.text
    refused = await post(client, "/account/data", "/account/data")
    assert refused.status_code == 409 and 'role="alert"' in refused.text and "<title>Error:" in refused.text
    assert len((await db.scalars(select(DataDownload).where(DataDownload.user_id == person.id))).all()) == 1

    # The database refuses a second pending request too, whatever two clicks at once would do.
    async with make_sessionmaker(engine)() as session:
        session.add(DataDownload(organization_id=demo.id, user_id=person.id))
        with pytest.raises(IntegrityError):
            await session.commit()

    # A request that a dead worker left pending for long no longer stands in the way.
    await db.execute(update(DataDownload).values(requested_at=utcnow() - timedelta(hours=2)))
    await db.commit()
    await ask(client)
    [row] = (await db.scalars(select(DataDownload).where(DataDownload.user_id == person.id)
                              .execution_options(populate_existing=True))).all()
    assert row.finished_at is not None  # the lost request was marked failed, then replaced by this one


async def test_a_new_copy_replaces_the_older_one(client, settings, demo, db, engine, person):
    await log_in(client, person)
    await ask(client)
    first = await latest(engine, person)
    await ask(client)
    second = await latest(engine, person)
    assert second.id != first.id
    assert not services.path_of(settings, first).exists()
    assert (await client.get(f"/account/data/{first.id}")).status_code == 404
    assert (await client.get(f"/account/data/{second.id}")).status_code == 200


async def test_expired_archives_are_deleted_with_their_files(client, settings, registry, demo, db, engine, person):
    await log_in(client, person)
    await ask(client)
    download = await latest(engine, person)
    path = services.path_of(settings, download)
    assert path.is_file()

    await db.execute(update(DataDownload).where(DataDownload.id == download.id)
                     .values(expires_at=utcnow() - timedelta(minutes=1)))
    await db.commit()
    assert (await client.get(f"/account/data/{download.id}")).status_code == 404  # expired: gone at once
    assert f'href="/account/data/{download.id}"' not in (await client.get("/account/data")).text

    task = registry.tasks["core.delete_expired_data_downloads"]
    assert task.schedule is not None
    assert await Queue(settings, registry).run_now("core.delete_expired_data_downloads") == 1
    assert await latest(engine, person) is None and not path.exists()


async def test_a_deleted_accounts_archive_is_deleted(client, settings, registry, demo, db, engine, person):
    await log_in(client, person)
    await ask(client)
    download = await latest(engine, person)
    await db.execute(update(type(person)).where(type(person).id == person.id).values(deleted_at=utcnow()))
    await db.commit()
    assert await Queue(settings, registry).run_now("core.delete_expired_data_downloads") == 1
    assert not services.path_of(settings, download).exists()


async def test_the_pages_need_a_login(client, demo):
    response = await client.get("/account/data", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/account/login?next=")
