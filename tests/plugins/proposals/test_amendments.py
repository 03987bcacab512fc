"""Amendments to proposals and the history of proposals, as participants use them."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.db import utcnow
from core.events import event_sessionmaker
from core.models import Component, Space
from core.moderation.models import Moderation
from plugins.proposals import amendments
from plugins.proposals.amendment_models import Amendment, Version
from plugins.proposals.models import Coauthorship, Proposal
from tests.conftest import other_organization
from tests.plugins.proposals.test_proposals import (  # noqa: F401  (citizens is a fixture)
    BASE,
    citizens,
    demo_component,
    post,
    set_phase,
    set_rules,
)
from tests.test_accounts import csrf, make_user, submit
from tests.test_admin import log_in
from tests.test_groups import told

TITLE = "Més arbres i bancs a la plaça del Mercat"
BODY = "<p>Volem ombra a la plaça a l'estiu.</p>"
NEW_TITLE = "Més arbres, bancs i fonts a la plaça del Mercat"
NEW_BODY = "Volem ombra i aigua a la plaça a l'estiu."


async def open_amendments(db, component: Component, creation: bool = False) -> None:
    await set_rules(db, component, amendments_enabled=True)
    await set_phase(db, component, amendment_creation_enabled=True, creation_enabled=creation)


async def proposal_of(db, component: Component, author) -> int:
    proposal = Proposal(component_id=component.id, author_id=author.id, title=TITLE, body=BODY, language="ca",
                        state="published", published_at=utcnow(), words="mes arbres bancs placa mercat")
    db.add(proposal)
    await db.commit()
    return proposal.id


async def amendment_sent(client, url: str, email: str, title: str = NEW_TITLE) -> int:
    """``email`` logs in, writes an amendment and sends it; its id."""
    await log_in(client, email)
    written = await submit(client, f"{url}/amend", title=title, body=NEW_BODY)
    assert written.status_code == 303, written.text[written.text.find("<main"):written.text.find("</main")]
    amendment_url = written.headers["location"]
    assert (await post(client, amendment_url, f"{amendment_url}/submit")).status_code == 303
    return int(amendment_url.rsplit("/", 1)[1])


async def state_of(db, amendment_id: int) -> str:
    return await db.scalar(select(Amendment.state).where(Amendment.id == amendment_id))


async def test_without_the_setting_nobody_amends(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei1@example.org")
    page = await client.get(url)
    assert f"{url}/amend" not in page.text and 'id="amendments-heading"' not in page.text
    assert (await client.get(f"{url}/amend")).status_code == 404
    refused = await client.post(f"{url}/amend", data={"_csrf_token": csrf(page.text), "title": NEW_TITLE,
                                                      "body": NEW_BODY}, follow_redirects=False)
    assert refused.status_code == 400
    # Enabled for the component but not in this phase: the list shows, the form does not.
    await set_rules(db, component, amendments_enabled=True)
    page = await client.get(url)
    assert 'id="amendments-heading"' in page.text and f"{url}/amend" not in page.text
    assert (await client.get(f"{url}/amend")).status_code == 404
    assert await db.scalar(select(func.count(Amendment.id))) == 0


async def test_an_amendment_is_written_sent_and_accepted_and_the_history_shows_it(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    author, amender, other = citizens
    proposal_id = await proposal_of(db, component, author)
    url = f"{BASE}/{component.id}/{proposal_id}"

    # The author does not amend their own proposal.
    await log_in(client, "vei0@example.org")
    assert f"{url}/amend" not in (await client.get(url)).text
    assert (await client.get(f"{url}/amend")).status_code == 404

    await log_in(client, "vei1@example.org")
    assert f'href="{url}/amend"' in (await client.get(url)).text
    form = await client.get(f"{url}/amend")
    assert form.status_code == 200 and f'value="{TITLE}"' in form.text  # the current text, to change
    short = await submit(client, f"{url}/amend", title="Curt", body="Un text nou prou llarg per passar.")
    assert short.status_code == 400 and 'value="Curt"' in short.text and "Un text nou prou llarg" in short.text
    same = await submit(client, f"{url}/amend", title=TITLE, body="Volem ombra a la plaça a l'estiu.")
    assert same.status_code == 400 and "una esmena proposa un text diferent" in same.text

    written = await submit(client, f"{url}/amend", title=NEW_TITLE, body=NEW_BODY)
    assert written.status_code == 303
    draft_url = written.headers["location"]
    draft = await client.get(draft_url)
    assert "<ins>fonts </ins>" in draft.text and "<ins>i aigua </ins>" in draft.text
    # The draft is the amender's alone; coming back to the form finds it.
    assert f'value="{NEW_TITLE}"' in (await client.get(f"{url}/amend")).text
    await log_in(client, "vei2@example.org")
    assert (await client.get(draft_url)).status_code == 404
    assert "<ins>fonts </ins>" not in (await client.get(url)).text

    await log_in(client, "vei1@example.org")
    assert (await post(client, draft_url, f"{draft_url}/submit")).status_code == 303
    amendment_id = int(draft_url.rsplit("/", 1)[1])
    assert await state_of(db, amendment_id) == "pending"
    assert await told(db, author, amendments.RECEIVED) == 1
    assert await told(db, other, amendments.RECEIVED) == 0
    # One amendment waiting per person and proposal.
    again = await client.get(f"{url}/amend", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == draft_url

    # Somebody else cannot answer it; the author can.
    await log_in(client, "vei2@example.org")
    assert (await post(client, url, f"{draft_url}/accept")).status_code == 404
    assert (await post(client, url, f"{draft_url}/reject")).status_code == 404
    assert await state_of(db, amendment_id) == "pending"
    await log_in(client, "vei0@example.org")
    page = await client.get(url)
    assert f'action="{draft_url}/accept"' in page.text and "<ins>fonts </ins>" in page.text
    assert (await post(client, url, f"{draft_url}/accept")).status_code == 303
    assert await state_of(db, amendment_id) == "accepted"
    proposal = await db.scalar(select(Proposal).where(Proposal.id == proposal_id)
                               .execution_options(populate_existing=True))
    assert proposal.title == NEW_TITLE and "aigua" in proposal.body
    assert await db.scalar(select(Coauthorship.accepted_at).where(
        Coauthorship.proposal_id == proposal_id, Coauthorship.user_id == amender.id)) is not None
    assert await told(db, amender, amendments.ACCEPTED) == 1
    assert (await post(client, url, f"{draft_url}/reject")).status_code == 303  # answered already
    assert await state_of(db, amendment_id) == "accepted"

    # The history: the text as published, then the amendment's, with what it changed.
    client.cookies.clear()
    history = await client.get(f"{url}/versions")
    assert history.status_code == 200
    assert "Versió 1" in history.text and "Versió 2" in history.text
    assert "<ins>i aigua </ins>" in history.text and "<del>bancs </del>" in history.text
    numbers = (await db.scalars(select(Version.number).where(Version.proposal_id == proposal_id)
                                .order_by(Version.number))).all()
    assert list(numbers) == [1, 2]
    assert await db.scalar(select(Version.author_id).where(Version.proposal_id == proposal_id,
                                                           Version.number == 2)) == amender.id


async def test_a_rejected_amendment_becomes_its_authors_proposal(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component, creation=True)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"
    amendment_id = await amendment_sent(client, url, "vei1@example.org")
    amendment_url = f"{url}/amendments/{amendment_id}"

    await log_in(client, "vei0@example.org")
    assert (await post(client, url, f"{amendment_url}/reject")).status_code == 303
    assert await state_of(db, amendment_id) == "rejected"
    assert await told(db, citizens[1], amendments.REJECTED) == 1
    assert await db.scalar(select(Proposal.title).where(Proposal.id == proposal_id)) == TITLE
    client.cookies.clear()
    page = (await client.get(url)).text
    assert "badge--rejected" in page and "<ins>fonts </ins>" in page

    # Only its author makes a proposal of it.
    await log_in(client, "vei2@example.org")
    assert (await post(client, url, f"{amendment_url}/promote")).status_code == 404
    await log_in(client, "vei1@example.org")
    promoted = await post(client, url, f"{amendment_url}/promote")
    assert promoted.status_code == 303 and promoted.headers["location"].endswith("/compare")
    new_id = int(promoted.headers["location"].split("/")[-2])
    draft = await db.scalar(select(Proposal).where(Proposal.id == new_id))
    assert draft.state == "draft" and draft.author_id == citizens[1].id and draft.title == NEW_TITLE
    # It goes on through the wizard, and the amendment links to it once published.
    published = await post(client, f"{BASE}/{component.id}/{new_id}/preview", f"{BASE}/{component.id}/{new_id}/publish")
    assert published.status_code == 303
    assert f'href="{BASE}/{component.id}/{new_id}"' in (await client.get(url)).text
    assert (await post(client, url, f"{amendment_url}/promote")).status_code == 303  # refused with a reason
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title == NEW_TITLE)) == 1


async def test_the_amender_withdraws_and_may_write_another(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"
    amendment_id = await amendment_sent(client, url, "vei1@example.org")
    amendment_url = f"{url}/amendments/{amendment_id}"

    await log_in(client, "vei0@example.org")  # the proposal's author cannot withdraw it
    assert (await post(client, url, f"{amendment_url}/withdraw")).status_code == 404
    await log_in(client, "vei1@example.org")
    assert (await post(client, url, f"{amendment_url}/withdraw")).status_code == 303
    assert await state_of(db, amendment_id) == "withdrawn"
    client.cookies.clear()
    assert "<ins>fonts </ins>" not in (await client.get(url)).text
    assert (await client.get(amendment_url)).status_code == 404
    assert await amendment_sent(client, url, "vei1@example.org", title="Una altra esmena a la plaça del Mercat")


async def test_one_open_amendment_per_person_and_proposal_in_the_database(demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    proposal_id = await proposal_of(db, component, citizens[0])

    def row(state: str) -> Amendment:
        return Amendment(proposal_id=proposal_id, component_id=component.id, author_id=citizens[1].id, title=NEW_TITLE,
                         body=NEW_BODY, base_title=TITLE, base_body=BODY, state=state)

    db.add_all([row("rejected"), row("withdrawn"), row("pending")])
    await db.commit()
    db.add(row("draft"))
    with pytest.raises(IntegrityError):
        await db.commit()
    await db.rollback()


async def test_amendments_of_other_proposals_components_and_organizations_are_not_found(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    proposal_id = await proposal_of(db, component, citizens[0])
    other_id = await proposal_of(db, component, citizens[2])
    url = f"{BASE}/{component.id}/{proposal_id}"
    amendment_id = await amendment_sent(client, url, "vei1@example.org")

    # Under another proposal, or another component's: not found, even for its own author.
    assert (await client.get(f"{BASE}/{component.id}/{other_id}/amendments/{amendment_id}")).status_code == 404
    assert (await post(client, url, f"{BASE}/{component.id}/{other_id}/amendments/{amendment_id}/withdraw")
            ).status_code == 404
    other = await db.scalar(select(Component).join(Space).options(selectinload(Component.space)).where(
        Space.slug == "pla-de-mobilitat", Component.component_type == "proposals"))
    await open_amendments(db, other)
    foreign = await db.scalar(select(Proposal.id).where(Proposal.component_id == other.id,
                                                        Proposal.state == "published"))
    other_url = f"/processes/pla-de-mobilitat/proposals/{other.id}"
    assert (await client.get(f"{other_url}/{foreign}/amendments/{amendment_id}")).status_code == 404
    assert (await client.get(f"{other_url}/{proposal_id}/amendments/{amendment_id}")).status_code == 404
    elsewhere = await other_organization(db)
    await db.commit()
    assert elsewhere.id and (await client.get(f"http://altra.test{url}/amendments/{amendment_id}")).status_code == 404
    assert (await client.get(f"http://altra.test{url}/versions")).status_code == 404

    # A proposal hidden by moderation hides its amendments and its history.
    await log_in(client, "vei0@example.org")
    db.add(Moderation(organization_id=demo.id, space_id=component.space_id, component_id=component.id,
                      resource_type="proposals.proposal", resource_id=proposal_id, report_count=3,
                      hidden_at=utcnow()))
    await db.commit()
    assert (await client.get(f"{url}/amendments/{amendment_id}")).status_code == 404
    assert (await client.get(f"{url}/versions")).status_code == 404
    assert (await client.get(f"{url}/amend")).status_code == 404
    assert await state_of(db, amendment_id) == "pending"


async def test_an_authors_edit_is_a_version_and_a_proposal_without_history_shows_its_text(client, demo, db,
                                                                                        citizens):  # noqa: F811
    component = await demo_component(db)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"
    history = await client.get(f"{url}/versions")
    assert history.status_code == 200 and "Versió 1" in history.text and "Versió 2" not in history.text
    assert TITLE in history.text and f'href="{url}/versions"' in (await client.get(url)).text

    await log_in(client, "vei0@example.org")
    edited = await submit(client, f"{url}/edit", title="Més arbres a la plaça del Mercat", body="Volem ombra, i prou.")
    assert edited.status_code == 303, edited.text[edited.text.find("<main"):edited.text.find("</main")]
    history = await client.get(f"{url}/versions")
    assert "Versió 2" in history.text and "<del>i bancs </del>" in history.text
    assert "<ins>ombra, i prou.</ins>" in history.text


async def test_personal_data_holds_the_amendments(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    proposal_id = await proposal_of(db, component, citizens[0])
    await amendment_sent(client, f"{BASE}/{component.id}/{proposal_id}", "vei1@example.org")
    data = await amendments.personal_data(db, citizens[1])
    assert [row["title"] for row in data["proposals_amendments"]] == [NEW_TITLE]
    assert (await amendments.personal_data(db, citizens[0]))["proposals_amendments"] == []


async def test_the_proposal_page_costs_the_same_whatever_its_amendments(client, demo, db, citizens, count_queries):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"

    async def cost():
        with count_queries() as counter:
            assert (await client.get(url)).status_code == 200
        return counter

    await amendment_sent(client, url, "vei1@example.org")
    await client.get(url)  # shows (and so writes away) the flash message, a one-off
    few = await cost()
    for index in range(8):
        db.add(Amendment(proposal_id=proposal_id, component_id=component.id, author_id=citizens[2].id,
                         title=f"Una esmena rebutjada número {index}", body=NEW_BODY, base_title=TITLE,
                         base_body=BODY, state="rejected"))
    await db.commit()
    many = await cost()
    assert "número 7" in (await client.get(url)).text
    assert many.count == few.count
    assert many.count <= 8, "\n".join(many.statements)


async def test_an_amendment_hidden_by_reports_leaves_the_proposal(client, demo, db, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    proposal_id = await proposal_of(db, component, citizens[0])
    url = f"{BASE}/{component.id}/{proposal_id}"
    amendment_id = await amendment_sent(client, url, "vei1@example.org")
    amendment_url = f"{url}/amendments/{amendment_id}"
    await make_user(db, demo, email="vei3@example.org", nickname="vei3", name="Veí 3")
    for email in ("vei0@example.org", "vei2@example.org", "vei3@example.org"):  # the default threshold
        await log_in(client, email)
        assert f"resource_id={amendment_id}" in (await client.get(amendment_url)).text  # the report link
        reports = f"{BASE}/{component.id}/reports"
        form = f"{reports}/new?resource_type=proposals.amendment&resource_id={amendment_id}"
        reported = await submit(client, form, reports, resource_type="proposals.amendment",
                                resource_id=str(amendment_id), reason="spam")
        assert reported.status_code == 303
    client.cookies.clear()
    assert (await client.get(amendment_url)).status_code == 404
    assert "<ins>fonts </ins>" not in (await client.get(url)).text


async def test_two_amendments_accepted_at_once_become_two_versions_one_after_the_other(
        demo, db, engine, registry, citizens):  # noqa: F811
    component = await demo_component(db)
    await open_amendments(db, component)
    author, first, second = citizens[0], citizens[1], citizens[2]
    proposal_id = await proposal_of(db, component, author)
    ids = []
    for amender, title in ((first, "Més arbres i ombra a la plaça del Mercat"),
                           (second, "Més bancs i fonts a la plaça del Mercat")):
        amendment = Amendment(proposal_id=proposal_id, component_id=component.id, author_id=amender.id, title=title,
                              body=f"<p>{title}.</p>", base_title=TITLE, base_body=BODY, state="pending")
        db.add(amendment)
        await db.flush()
        ids.append(amendment.id)
    await db.commit()
    sessions = event_sessionmaker(engine, registry, None)

    async def accept(session, amendment_id: int) -> None:
        found = await session.scalar(select(Component).where(Component.id == component.id)
                                     .options(selectinload(Component.space)))
        proposal = await session.scalar(select(Proposal).where(Proposal.id == proposal_id)
                                        .options(selectinload(Proposal.coauthorships)))
        amendment = await session.get(Amendment, amendment_id)
        await amendments.accept(session, registry, found, proposal, amendment, await session.get(User, author.id))

    async def accept_alone(amendment_id: int) -> None:
        async with sessions() as session:
            await accept(session, amendment_id)
            await session.commit()

    async with sessions() as session:
        await accept(session, ids[0])
        # The second author's accept starts while the first holds the proposal's row (on SQLite, the
        # database's one write lock): it waits for it, and is not refused.
        later = asyncio.create_task(accept_alone(ids[1]))
        await asyncio.sleep(0.5)
        assert not later.done()
        await session.commit()
    await later
    versions = (await db.execute(select(Version.number, Version.title, Version.amendment_id)
                                 .where(Version.proposal_id == proposal_id).order_by(Version.number))).all()
    assert [version.number for version in versions] == [1, 2, 3]
    assert versions[0].title == TITLE and [versions[1].amendment_id, versions[2].amendment_id] == ids
    final = await db.scalar(select(Proposal.title).where(Proposal.id == proposal_id)
                            .execution_options(populate_existing=True))
    assert final == versions[2].title == "Més bancs i fonts a la plaça del Mercat"
    assert {await state_of(db, amendment_id) for amendment_id in ids} == {"accepted"}
