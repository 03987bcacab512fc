"""Official proposals: the space's admins publish one in the organization's name, from the organization
itself, a meeting or one of its assemblies; nobody else may."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.events import Event
from core.models import Component, Space
from core.roles import grant_organization_role
from core.search.models import IndexedDocument
from plugins.proposals.amendment_models import Version
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.plugins.proposals.test_evaluation import BASE, component_of, people  # noqa: F401
from tests.test_accounts import PASSWORD, csrf, make_user, submit
from tests.test_admin import log_in

TITLE = "Obrir la biblioteca els diumenges al matí"
BODY = "Ho va demanar el veïnat: moltes famílies només hi poden anar el cap de setmana."


async def publish(client, url: str, **fields):
    page = await client.get(f"{url}/admin/official")
    return await client.post(f"{url}/admin/official", data={"_csrf_token": csrf(page.text), **fields},
                             follow_redirects=False)


async def made(db, response) -> Proposal:
    proposal_id = int(response.headers["location"].rsplit("/", 1)[1])
    return await db.scalar(select(Proposal).where(Proposal.id == proposal_id).execution_options(populate_existing=True))


async def as_the_admin(client, db) -> tuple[Component, str, Space]:
    """The demo's proposals component, with its admin logged in (pages in English), and the demo's assembly."""
    component = await component_of(db)
    assembly = await db.scalar(select(Space).where(Space.slug == "consell-de-joves"))
    await log_in(client, "admin@example.org")
    await client.get("/locale/en?next=/")
    return component, f"{BASE}/{component.id}", assembly


async def test_official_proposals_from_a_meeting_and_an_assembly(client, demo, db, people):  # noqa: F811
    _, url, assembly = await as_the_admin(client, db)
    form = await client.get(f"{url}/admin/official")
    assert form.status_code == 200 and "New official proposal" in form.text and assembly.title["en"] in form.text

    from_meeting = await publish(client, url, title=TITLE, body=BODY, origin="meeting",
                                 meeting="Neighbourhood meeting at the civic centre", meeting_date="2026-11-12")
    assert from_meeting.status_code == 303
    proposal = await made(db, from_meeting)
    assert (proposal.official, proposal.state, proposal.author_id, proposal.supports_count) == (True, "published",
                                                                                              None, 0)
    assert (proposal.origin, proposal.origin_meeting, proposal.origin_date) == (
        "meeting", "Neighbourhood meeting at the civic centre", date(2026, 11, 12))
    page = await client.get(f"{url}/{proposal.id}")
    assert "Official proposal" in page.text and "Neighbourhood meeting at the civic centre" in page.text
    assert await db.scalar(select(IndexedDocument.id).where(IndexedDocument.resource_type == "proposals.proposal",
                                                           IndexedDocument.resource_id == proposal.id))
    assert await db.scalar(select(Event.id).where(Event.event_type == "proposals.proposal_published",
                                                  Event.resource_id == proposal.id))

    from_assembly = await publish(client, url, title=TITLE + " i els dissabtes", body=BODY, origin="assembly",
                                  assembly=str(assembly.id))
    proposal = await made(db, from_assembly)
    assert (proposal.origin, proposal.origin_space_id) == ("assembly", assembly.id)
    page = await client.get(f"{url}/{proposal.id}")
    assert f'href="/assemblies/{assembly.slug}"' in page.text and "It comes from the assembly" in page.text


async def test_the_form_says_what_is_missing_and_keeps_what_was_typed(client, demo, db, people):  # noqa: F811
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    other = await other_organization(db)
    foreign = Space(organization_id=other.id, space_type="assembly", slug="alienes", title={"ca": "Aliena"},
                    published=True)
    db.add(foreign)
    await db.commit()
    await log_in(client, "admin@example.org")
    await client.get("/locale/en?next=/")
    before = await db.scalar(select(Proposal.id).order_by(Proposal.id.desc()).limit(1))
    cases = [
        ({"title": "Curt", "body": BODY}, BODY),
        ({"title": TITLE, "body": BODY, "origin": "meeting", "meeting_date": "2026-11-12"},
         "Write which meeting it comes from."),
        ({"title": TITLE, "body": BODY, "origin": "meeting", "meeting": "Plenary"}, "Give the date of the meeting."),
        ({"title": TITLE, "body": BODY, "origin": "assembly"}, "Choose the assembly it comes from."),
        ({"title": TITLE, "body": BODY, "origin": "assembly", "assembly": str(foreign.id)}, TITLE),
        ({"title": TITLE, "body": BODY, "origin": "somewhere"}, TITLE),
    ]
    for fields, expected in cases:
        response = await publish(client, url, **fields)
        assert response.status_code == 400, fields
        assert expected in response.text, fields
    assert await db.scalar(select(Proposal.id).order_by(Proposal.id.desc()).limit(1)) == before


async def test_only_the_spaces_admins_publish_official_proposals(client, demo, db, people):  # noqa: F811
    component = await component_of(db)
    url = f"{BASE}/{component.id}"
    other = await other_organization(db)
    stranger = await make_user(db, other, email="admin@altra.test", nickname="altra_admin")
    await grant_organization_role(db, other.id, stranger.id, "admin")
    await db.commit()
    for email in ("citizen@example.org", "valuator@example.org"):
        await log_in(client, email)
        assert (await client.get(f"{url}/admin/official")).status_code == 403
        page = await client.get(f"{url}/")
        refused = await client.post(f"{url}/admin/official", data={"_csrf_token": csrf(page.text), "title": TITLE,
                                                                    "body": BODY}, follow_redirects=False)
        assert refused.status_code == 403
        client.cookies.clear()
    client.cookies.clear()
    login = f"http://{OTHER_HOST}/account/login"
    assert (await submit(client, login, email="admin@altra.test", password=PASSWORD)).status_code == 303
    assert (await client.get(f"http://{OTHER_HOST}{url}/admin/official")).status_code == 404
    assert await db.scalar(select(Proposal.id).where(Proposal.title == TITLE)) is None


async def test_the_spaces_admins_edit_an_official_proposal_and_keep_its_history(client, demo, db, people):  # noqa: F811
    component, url, assembly = await as_the_admin(client, db)
    proposal = await made(db, await publish(client, url, title=TITLE, body=BODY, origin="meeting",
                                            meeting="Plenary of the district", meeting_date="2026-10-01"))
    page = await client.get(f"{url}/{proposal.id}")
    assert f'href="{url}/admin/official/{proposal.id}"' in page.text
    form = await client.get(f"{url}/admin/official/{proposal.id}")
    assert form.status_code == 200 and "Plenary of the district" in form.text and "2026-10-01" in form.text
    missing = await client.post(f"{url}/admin/official/{proposal.id}", data={
        "_csrf_token": csrf(form.text), "title": TITLE, "body": BODY, "origin": "assembly"})
    assert missing.status_code == 400 and "Choose the assembly it comes from." in missing.text and TITLE in missing.text
    saved = await client.post(f"{url}/admin/official/{proposal.id}", data={
        "_csrf_token": csrf(form.text), "title": TITLE + " i els festius", "body": BODY, "origin": "assembly",
        "assembly": str(assembly.id)}, follow_redirects=False)
    assert saved.status_code == 303
    proposal = await made(db, saved)
    assert (proposal.title, proposal.origin, proposal.origin_space_id, proposal.origin_meeting) == (
        TITLE + " i els festius", "assembly", assembly.id, None)
    assert list(await db.scalars(select(Version.number).where(Version.proposal_id == proposal.id)
                                 .order_by(Version.number))) == [1, 2]
    citizens_own = await db.scalar(select(Proposal.id).where(Proposal.component_id == component.id,
                                                             Proposal.official.is_(False)))
    assert (await client.get(f"{url}/admin/official/{citizens_own}")).status_code == 404  # a demo citizen's
    await log_in(client, "citizen@example.org")
    assert (await client.get(f"{url}/admin/official/{proposal.id}")).status_code == 403
