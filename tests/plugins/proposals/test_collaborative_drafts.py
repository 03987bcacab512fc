"""Collaborative drafts as participants use them: start one, ask to write it, accept or reject, edit,
withdraw, and publish it as one proposal that names every collaborator, even when pressed twice at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.db import utcnow
from core.events import Event, event_sessionmaker
from core.models import Component
from plugins.proposals import collaborative_drafts, services
from plugins.proposals.collaborative_draft_models import AccessRequest, CollaborativeDraft, Collaborator
from plugins.proposals.models import Coauthorship, Proposal
from tests.plugins.proposals.test_proposals import BASE, citizens, demo_component, post, set_phase, set_rules
from tests.test_accounts import csrf, submit
from tests.test_admin import log_in

__all__ = ["citizens"]  # the fixture, used by every test here

TITLE = "Un hort comunitari al solar del carrer Nou"
BODY = "Proposem un hort per als veïns.\n\nEl podem cuidar entre tots."


async def enabled_component(db) -> Component:
    component = await demo_component(db)
    await set_rules(db, component, collaborative_drafts_enabled=True)
    return component


def drafts_url(component: Component) -> str:
    return f"{BASE}/{component.id}/collaborative-drafts"


async def start_draft(client, component: Component, title: str = TITLE) -> int:
    response = await submit(client, f"{drafts_url(component)}/new", title=title, body=BODY)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def edit_draft(client, url: str, **fields):
    html = (await client.get(f"{url}/edit")).text
    version = html.split('name="version" value="')[1].split('"')[0]
    return await client.post(f"{url}/edit", data={"_csrf_token": csrf(html), "version": version, **fields},
                             follow_redirects=False)


async def test_nothing_shows_until_the_admins_turn_collaborative_drafts_on(client, demo, db, citizens):
    component = await demo_component(db)
    await log_in(client, "vei0@example.org")
    url = drafts_url(component)
    assert "collaborative-drafts" not in (await client.get(f"{BASE}/{component.id}/")).text
    for page in (url, f"{url}/new", f"{url}/1"):
        assert (await client.get(page)).status_code == 404, page
    await set_rules(db, component, collaborative_drafts_enabled=True)
    assert f'href="{url}"' in (await client.get(f"{BASE}/{component.id}/")).text
    assert (await client.get(url)).status_code == 200


async def test_a_draft_is_started_with_its_errors_shown_and_the_text_kept(client, demo, db, citizens):
    component = await enabled_component(db)
    url = drafts_url(component)
    assert (await client.get(f"{url}/new", follow_redirects=False)).status_code in (302, 303)  # log in first
    await log_in(client, "vei0@example.org")
    short = await submit(client, f"{url}/new", title="Un hort", body="<b>Sí</b>")
    assert short.status_code == 400 and 'value="Un hort"' in short.text and "&lt;b&gt;Sí&lt;/b&gt;" in short.text
    assert short.text.count("field__error") == 2
    assert await db.scalar(select(func.count(CollaborativeDraft.id))) == 0

    draft_id = await start_draft(client, component, title=TITLE + " <script>alert(1)</script>")
    page = await client.get(f"{url}/{draft_id}")
    assert page.status_code == 200 and "Veí 0" in page.text and "<script>alert(1)" not in page.text
    assert "<p>El podem cuidar entre tots.</p>" in page.text
    assert await db.scalar(select(Collaborator.user_id).where(Collaborator.draft_id == draft_id)) == citizens[0].id
    listing = await client.get(url)
    assert f'href="{url}/{draft_id}"' in listing.text


async def test_no_draft_is_started_when_the_phase_does_not_allow_proposals(client, demo, db, citizens):
    component = await enabled_component(db)
    await set_phase(db, component, supports_enabled=True)
    await log_in(client, "vei0@example.org")
    refused = await submit(client, f"{drafts_url(component)}/new", title=TITLE, body=BODY)
    assert refused.status_code == 400 and TITLE in refused.text
    assert await db.scalar(select(func.count(CollaborativeDraft.id))) == 0


async def test_a_person_asks_is_accepted_and_then_edits_the_draft(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"

    await log_in(client, "vei1@example.org")
    page = await client.get(url)
    assert f'action="{url}/request-access"' in page.text and f'href="{url}/edit"' not in page.text
    assert (await client.get(f"{url}/edit")).status_code == 403
    assert (await post(client, url, f"{url}/request-access")).status_code == 303
    assert (await post(client, url, f"{url}/request-access")).status_code == 303  # twice: one request
    assert await db.scalar(select(func.count(AccessRequest.id)).where(AccessRequest.draft_id == draft_id)) == 1
    asked = await db.scalar(select(Event).where(Event.event_type == collaborative_drafts.ACCESS_REQUESTED))
    assert asked.recipients == [citizens[0].id] and asked.actor_id == citizens[1].id

    await log_in(client, "vei0@example.org")
    request_id = await db.scalar(select(AccessRequest.id).where(AccessRequest.draft_id == draft_id))
    page = await client.get(url)
    assert "Veí 1" in page.text and f"{url}/requests/{request_id}/accept" in page.text
    assert (await post(client, url, f"{url}/requests/{request_id}/accept")).status_code == 303
    accepted = await db.scalar(select(Event).where(Event.event_type == collaborative_drafts.ACCESS_ACCEPTED))
    assert accepted.recipients == [citizens[1].id]

    await log_in(client, "vei1@example.org")
    saved = await edit_draft(client, url, title=TITLE + ", amb bancs", body=BODY)
    assert saved.status_code == 303
    assert TITLE + ", amb bancs" in (await client.get(url)).text
    version, editor = (await db.execute(
        select(CollaborativeDraft.version, CollaborativeDraft.edited_by_id).where(CollaborativeDraft.id == draft_id)
        .execution_options(populate_existing=True))).one()
    assert (version, editor) == (2, citizens[1].id)
    assert set(await db.scalars(select(Collaborator.user_id).where(Collaborator.draft_id == draft_id))) == {
        citizens[0].id, citizens[1].id}


async def test_a_rejected_person_cannot_edit_and_may_ask_again(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"
    await log_in(client, "vei1@example.org")
    await post(client, url, f"{url}/request-access")
    request_id = await db.scalar(select(AccessRequest.id).where(AccessRequest.draft_id == draft_id))

    await log_in(client, "vei0@example.org")
    assert (await post(client, url, f"{url}/requests/{request_id}/reject")).status_code == 303
    # Answering again (another tab) changes nothing.
    await post(client, url, f"{url}/requests/{request_id}/accept")
    assert await db.scalar(select(func.count(Collaborator.id)).where(Collaborator.draft_id == draft_id)) == 1
    rejected = await db.scalar(select(Event).where(Event.event_type == collaborative_drafts.ACCESS_REJECTED))
    assert rejected.recipients == [citizens[1].id]

    await log_in(client, "vei1@example.org")
    assert (await client.get(f"{url}/edit")).status_code == 403
    assert f'action="{url}/request-access"' in (await client.get(url)).text
    await post(client, url, f"{url}/request-access")
    state = await db.scalar(select(AccessRequest.state).where(AccessRequest.id == request_id)
                            .execution_options(populate_existing=True))
    assert state == "pending"


async def test_people_who_do_not_write_the_draft_are_refused(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"
    await log_in(client, "vei2@example.org")
    await post(client, url, f"{url}/request-access")
    request_id = await db.scalar(select(AccessRequest.id).where(AccessRequest.draft_id == draft_id))

    await log_in(client, "vei1@example.org")
    token = csrf((await client.get(url)).text)
    for action in ("edit", "withdraw", "publish", f"requests/{request_id}/accept", f"requests/{request_id}/reject"):
        response = await client.post(f"{url}/{action}", data={"_csrf_token": token, "title": "x" * 20,
                                                               "body": "y" * 20, "version": "1"})
        assert response.status_code == 403, action
    assert (await db.scalar(select(CollaborativeDraft.state).where(CollaborativeDraft.id == draft_id))) == "open"
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == TITLE)) == 0

    client.cookies.clear()
    assert (await client.post(f"{url}/withdraw", follow_redirects=False)).status_code in (302, 303, 401, 403)

    # Another component's draft is not found here, whoever asks.
    other = await db.scalar(select(Component).where(Component.id != component.id).limit(1))
    theirs = CollaborativeDraft(component_id=other.id, title=TITLE, body="<p>x</p>", language="ca")
    db.add(theirs)
    await db.commit()
    await log_in(client, "vei0@example.org")
    assert (await client.get(f"{drafts_url(component)}/{theirs.id}")).status_code == 404
    assert (await client.get(f"{drafts_url(component)}/{theirs.id}/edit")).status_code == 404


async def test_a_save_from_an_older_version_keeps_the_text_and_overwrites_nothing(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"
    html = (await client.get(f"{url}/edit")).text
    assert (await edit_draft(client, url, title=TITLE + " (primera)", body=BODY)).status_code == 303
    stale = await client.post(f"{url}/edit", data={"_csrf_token": csrf(html), "version": "1",
                                                  "title": TITLE + " (segona)", "body": BODY})
    assert stale.status_code == 409
    assert 'value="' + TITLE + ' (segona)"' in stale.text and 'id="current-heading"' in stale.text
    assert 'name="version" value="2"' in stale.text
    title = await db.scalar(select(CollaborativeDraft.title).where(CollaborativeDraft.id == draft_id)
                            .execution_options(populate_existing=True))
    assert title == TITLE + " (primera)"


async def test_publishing_makes_one_proposal_with_every_collaborator(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    db.add_all([Collaborator(draft_id=draft_id, user_id=citizens[1].id),
                Collaborator(draft_id=draft_id, user_id=citizens[2].id)])
    await db.commit()
    url = f"{drafts_url(component)}/{draft_id}"

    await log_in(client, "vei1@example.org")
    published = await post(client, url, f"{url}/publish")
    assert published.status_code == 303
    proposal = await db.scalar(select(Proposal).where(Proposal.title == TITLE))
    assert published.headers["location"] == f"{BASE}/{component.id}/{proposal.id}"
    assert proposal.state == "published" and proposal.author_id == citizens[0].id
    coauthors = (await db.execute(select(Coauthorship.user_id, Coauthorship.accepted_at)
                                  .where(Coauthorship.proposal_id == proposal.id))).all()
    assert {user_id for user_id, _ in coauthors} == {citizens[1].id, citizens[2].id}
    assert all(accepted_at is not None for _, accepted_at in coauthors)
    page = await client.get(published.headers["location"])
    assert "Veí 2" in page.text  # shown as a co-author

    draft = await client.get(url)
    assert f'href="{BASE}/{component.id}/{proposal.id}"' in draft.text and f"{url}/publish" not in draft.text
    again = await client.post(f"{url}/publish", data={"_csrf_token": csrf(draft.text)}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == url
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == TITLE)) == 1


async def test_publishing_follows_the_rules_of_proposals(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    await set_phase(db, component, supports_enabled=True)
    url = f"{drafts_url(component)}/{draft_id}"
    token = csrf((await client.get(url)).text)
    refused = await client.post(f"{url}/publish", data={"_csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == url
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == TITLE)) == 0
    state = await db.scalar(select(CollaborativeDraft.state).where(CollaborativeDraft.id == draft_id)
                            .execution_options(populate_existing=True))
    assert state == "open"


async def test_two_publications_at_once_make_one_proposal(engine, registry, demo, db, client, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    db.add(Collaborator(draft_id=draft_id, user_id=citizens[1].id))
    await db.commit()
    sessionmaker = event_sessionmaker(engine, registry, None)

    async def publish(person):
        async with sessionmaker() as session:
            loaded = await session.scalar(select(Component).where(Component.id == component.id))
            await session.refresh(loaded, ["space"])
            draft = await collaborative_drafts.draft_for(session, loaded, draft_id)
            try:
                await collaborative_drafts.publish(session, registry, loaded, draft, person)
                return "ok"
            except services.ProposalError as error:
                return error.message

    results = await asyncio.gather(*(publish(person) for person in (citizens[0], citizens[1]) * 3))
    assert results.count("ok") == 1
    assert set(results) == {"ok", collaborative_drafts.NOT_OPEN}
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == TITLE)) == 1
    proposal_id = await db.scalar(select(CollaborativeDraft.proposal_id).where(CollaborativeDraft.id == draft_id)
                                  .execution_options(populate_existing=True))
    assert await db.scalar(select(Proposal.id).where(Proposal.title == TITLE)) == proposal_id


async def test_a_withdrawn_draft_is_read_only(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"
    html = (await client.get(url)).text
    assert (await client.post(f"{url}/withdraw", data={"_csrf_token": csrf(html)},
                              follow_redirects=False)).status_code == 303
    page = await client.get(url)
    assert f"{url}/edit" not in page.text and f"{url}/withdraw" not in page.text
    assert (await client.get(f"{url}/edit")).status_code == 404
    await client.post(f"{url}/publish", data={"_csrf_token": csrf(page.text)})
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == TITLE)) == 0
    # Withdrawn drafts leave the list.
    assert f'href="{url}"' not in (await client.get(drafts_url(component))).text

    await log_in(client, "vei1@example.org")
    assert f"{url}/request-access" not in (await client.get(url)).text


async def test_the_list_costs_the_same_queries_whatever_the_number_of_drafts(client, demo, db, citizens,
                                                                             count_queries):
    component = await enabled_component(db)
    url = drafts_url(component)

    async def add(count: int) -> None:
        for index in range(count):
            draft = CollaborativeDraft(component_id=component.id, title=f"Esborrany compartit {index}",
                                       body="<p>x</p>", language="ca", author_id=citizens[0].id,
                                       edited_by_id=citizens[index % 3].id)
            db.add(draft)
            await db.flush()
            db.add_all([Collaborator(draft_id=draft.id, user_id=person.id) for person in citizens])
        await db.commit()

    await add(1)
    await client.get(url)  # warm up
    with count_queries() as one:
        assert (await client.get(url)).status_code == 200
    await add(15)
    with count_queries() as many:
        page = await client.get(url)
    assert page.text.count('class="card"') == 16
    assert many.count == one.count


async def test_personal_data_names_the_drafts_a_person_writes(client, demo, db, citizens):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    data = await collaborative_drafts.personal_data(db, citizens[0])
    assert [row["id"] for row in data["proposals_collaborative_drafts"]] == [draft_id]
    assert (await collaborative_drafts.personal_data(db, citizens[1]))["proposals_collaborative_drafts"] == []


async def test_the_proposal_and_its_draft_link_to_each_other(client, demo, db, citizens, count_queries):
    component = await enabled_component(db)
    await log_in(client, "vei0@example.org")
    draft_id = await start_draft(client, component)
    url = f"{drafts_url(component)}/{draft_id}"
    published = await post(client, url, f"{url}/publish")
    proposal_url = published.headers["location"]
    client.cookies.clear()
    await client.get("/locale/en?next=/")

    with count_queries() as reading:
        proposal_page = (await client.get(proposal_url)).text
    assert f'<a href="{url}">{TITLE}</a>' in proposal_page
    assert "Written together in the collaborative draft" in proposal_page
    assert f'href="{proposal_url}"' in (await client.get(url)).text
    with count_queries() as unrelated:  # the draft comes with the proposal: no query more than another's
        assert (await client.get(f"{BASE}/{component.id}/{await other_proposal(db, component)}")).status_code == 200
    assert reading.count == unrelated.count

    # Drafts turned off: their pages are gone, and so is the link to them.
    await set_rules(db, component, collaborative_drafts_enabled=False)
    proposal_page = (await client.get(proposal_url)).text
    assert (await client.get(url)).status_code == 404 and url not in proposal_page
    assert TITLE in proposal_page


async def other_proposal(db, component: Component) -> int:
    proposal = Proposal(component_id=component.id, title="Una altra proposta sense esborrany", body="<p>x</p>",
                        language="ca", state="published", published_at=utcnow())
    db.add(proposal)
    await db.commit()
    return proposal.id
