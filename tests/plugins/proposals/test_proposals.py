"""Proposals as participants and admins use them: the wizard, the list, supports and answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.comments.models import Comment
from core.db import utcnow
from core.events import Event, event_sessionmaker
from core.follows import Follow
from core.models import Component, Space
from core.roles import grant_space_role
from plugins.proposals import services
from plugins.proposals.models import Participant, Proposal, Support
from tests.conftest import other_organization
from tests.test_accounts import csrf, make_user, submit
from tests.test_admin import log_in

BASE = "/processes/pressupostos-2027/proposals"


async def demo_component(db) -> Component:
    return await db.scalar(
        select(Component).join(Space).options(selectinload(Component.space))
        .where(Space.slug == "pressupostos-2027", Component.component_type == "proposals")
    )


async def set_rules(db, component: Component, **settings) -> None:
    await db.execute(update(Component).where(Component.id == component.id)
                     .values(settings={**component.settings, **settings}))
    await db.commit()


async def set_phase(db, component: Component, **phase_settings) -> None:
    """The settings of the space's active phase."""
    key = str(component.space.active_phase_id)
    await db.execute(update(Component).where(Component.id == component.id)
                     .values(phase_settings={**component.phase_settings, key: phase_settings}))
    await db.commit()


@pytest.fixture
async def service_db(engine, registry):
    """A session like the application's, which services can publish events in."""
    async with event_sessionmaker(engine, registry, None)() as session:
        yield session


@pytest.fixture
async def citizens(demo, db):
    return [await make_user(db, demo, email=f"vei{index}@example.org", nickname=f"vei{index}",
                            name=f"Veí {index}") for index in range(3)]


async def post(client, page: str, action: str, **fields):
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


async def test_a_citizen_writes_compares_completes_and_publishes(client, demo, db, citizens):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    assert (await client.get(f"{url}/new", follow_redirects=False)).status_code in (302, 303)  # log in first
    await log_in(client, "vei0@example.org")

    short = await submit(client, f"{url}/new", title="Arbres", body="Sí")
    assert short.status_code == 400 and 'value="Arbres"' in short.text and short.text.count("field__error") == 2

    written = await submit(client, f"{url}/new", title="Mes arbres a la placa major del poble",
                           body="Necessitem ombra a la placa a l'estiu.")
    assert written.status_code == 303 and written.headers["location"].endswith("/compare")
    proposal_id = int(written.headers["location"].split("/")[-2])
    compare = await client.get(written.headers["location"])
    # Without accents, in other words, still similar to the demo's "Més arbres i ombra a la plaça Major".
    assert "Més arbres i ombra a la plaça Major" in compare.text

    # The draft is kept: leaving and coming back finds it; nobody else sees it.
    again = await client.get(f"{url}/new")
    assert "Mes arbres a la placa major del poble" in again.text
    completed = await submit(client, f"{url}/{proposal_id}/complete", title="Més arbres a la plaça Major, ara",
                             body="Necessitem ombra.\n\nI bancs <b>nous</b>.", address="Plaça Major, 1")
    assert completed.status_code == 303 and completed.headers["location"].endswith("/preview")
    preview = await client.get(completed.headers["location"])
    assert "&lt;b&gt;nous&lt;/b&gt;" in preview.text and "<b>nous</b>" not in preview.text  # shown, not run
    await log_in(client, "vei1@example.org")
    assert (await client.get(f"{url}/{proposal_id}")).status_code == 404
    assert "Més arbres a la plaça Major, ara" not in (await client.get(f"{url}/?order=recent")).text

    await log_in(client, "vei0@example.org")
    published = await post(client, f"{url}/{proposal_id}/preview", f"{url}/{proposal_id}/publish")
    assert published.status_code == 303
    page = await client.get(f"{url}/{proposal_id}")
    assert page.status_code == 200 and "Plaça Major, 1" in page.text
    # Followers of the space are told; the author follows it, to hear of its answer.
    assert await db.scalar(select(func.count(Event.id)).where(
        Event.event_type == "proposals.proposal_published", Event.resource_id == proposal_id)) == 1
    assert await db.scalar(select(func.count(Follow.id)).where(
        Follow.user_id == citizens[0].id, Follow.resource_type == "proposals.proposal",
        Follow.resource_id == proposal_id)) == 1
    client.cookies.clear()
    assert "Més arbres a la plaça Major, ara" in (await client.get(f"{url}/?order=recent")).text


async def test_no_proposals_are_made_when_the_phase_does_not_allow_it(client, demo, db, citizens):
    component = await demo_component(db)
    await set_phase(db, component, supports_enabled=True)
    await log_in(client, "vei0@example.org")
    url = f"{BASE}/{component.id}"
    assert f'href="{url}/new"' not in (await client.get(f"{url}/")).text
    refused = await submit(client, f"{url}/new", title="Una proposta fora de termini", body="Ja és tard per fer-la.")
    assert refused.status_code == 400 and "Una proposta fora de termini" in refused.text
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.title.like("Una proposta%"))) == 0


async def published_proposals(db, component, count: int) -> list[int]:
    ids = []
    for index in range(count):
        proposal = Proposal(component_id=component.id, title=f"Proposta de prova número {index}", body="<p>Text</p>",
                            language="ca", state="published", published_at=utcnow(), words=f"proposta prova {index}")
        db.add(proposal)
        await db.flush()
        ids.append(proposal.id)
    await db.commit()
    return ids


async def test_supports_respect_the_limit_and_can_be_withdrawn(client, demo, db, citizens):
    component = await demo_component(db)
    await set_rules(db, component, supports_per_participant=2)
    ids = await published_proposals(db, component, 3)
    url = f"{BASE}/{component.id}"
    me = citizens[0].id
    await log_in(client, "vei0@example.org")
    for proposal_id in ids[:2]:
        assert (await post(client, f"{url}/{proposal_id}", f"{url}/{proposal_id}/support")).status_code == 303
    refused = await post(client, f"{url}/{ids[2]}", f"{url}/{ids[2]}/support")
    page = await client.get(refused.headers["location"])
    assert "flash" in page.text
    twice = await post(client, f"{url}/{ids[0]}", f"{url}/{ids[0]}/support")
    assert twice.status_code == 303
    rows = (await db.scalars(select(Support.proposal_id).where(Support.user_id == me))).all()
    assert sorted(rows) == ids[:2]

    await post(client, f"{url}/{ids[0]}", f"{url}/{ids[0]}/unsupport")
    await post(client, f"{url}/{ids[2]}", f"{url}/{ids[2]}/support")
    db.expire_all()
    rows = (await db.scalars(select(Support.proposal_id).where(Support.user_id == me))).all()
    assert sorted(rows) == [ids[1], ids[2]]
    counts = dict((await db.execute(select(Proposal.id, Proposal.supports_count).where(Proposal.id.in_(ids)))).all())
    assert counts == {ids[0]: 0, ids[1]: 1, ids[2]: 1}


async def test_supports_count_only_from_the_minimum_and_stop_at_the_threshold(demo, db, citizens, registry,
                                                                              service_db):
    component = await demo_component(db)
    await set_rules(db, component, minimum_supports_per_participant=2, threshold_per_proposal=2,
                    can_exceed_threshold=False)
    component = await demo_component(db)
    first, second, third = await published_proposals(db, component, 3)

    async def counts():  # column values, read fresh (the objects in the session are not)
        return dict((await db.execute(select(Proposal.id, Proposal.supports_count)
                                      .where(Proposal.id.in_([first, second, third])))).all())

    await services.support(service_db, registry, component, first, citizens[0])
    assert (await counts())[first] == 0  # one support: below the minimum, not counted yet
    await services.support(service_db, registry, component, second, citizens[0])
    assert await counts() == {first: 1, second: 1, third: 0}  # the minimum reached: both count
    await services.withdraw_support(service_db, registry, component, second, citizens[0])
    assert await counts() == {first: 0, second: 0, third: 0}  # below it again

    for citizen in citizens[:2]:
        await services.support(service_db, registry, component, third, citizen)
    with pytest.raises(services.ProposalError, match="threshold"):
        await services.support(service_db, registry, component, third, citizens[2])
    total = await db.scalar(select(Proposal.supports_total).where(Proposal.id == third))
    assert total == 2

    # Reaching the threshold is told once, when it happens, even where supports may go beyond it.
    await set_rules(db, component, minimum_supports_per_participant=0, can_exceed_threshold=True)
    component = await demo_component(db)
    [fourth] = await published_proposals(db, component, 1)
    for citizen in citizens:
        await services.support(service_db, registry, component, fourth, citizen)
    told = (await db.execute(select(Event.id).where(
        Event.event_type == "proposals.threshold_reached", Event.resource_id == fourth))).all()
    assert len(told) == 1


async def test_supports_follow_the_phase(client, demo, db, citizens, registry):
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    await set_phase(db, component, supports_enabled=True, supports_blocked=True)
    component = await demo_component(db)
    with pytest.raises(services.ProposalError):
        await services.support(db, registry, component, proposal_id, citizens[0])
    page = (await client.get(f"{BASE}/{component.id}/{proposal_id}")).text
    assert "/support" not in page
    await set_phase(db, component)
    component = await demo_component(db)
    with pytest.raises(services.ProposalError):
        await services.support(db, registry, component, proposal_id, citizens[0])
    assert await db.scalar(select(func.count(Support.id)).where(Support.proposal_id == proposal_id)) == 0


async def test_admins_answer_and_publish_answers_together(client, demo, db, citizens):
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    await set_phase(db, component, answers_published=False)
    url = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei0@example.org")
    page = await client.get(url)
    refused = await client.post(f"{url}/answer", data={"_csrf_token": csrf(page.text), "state": "accepted"},
                                follow_redirects=False)
    assert refused.status_code == 403

    space = component.space
    await grant_space_role(db, space.id, citizens[1].id, "admin")
    await db.commit()
    await log_in(client, "vei1@example.org")
    bad = await post(client, url, f"{url}/answer", state="maybe", **{"answer.ca": "Potser"})
    assert bad.status_code == 400 and "Potser" in bad.text
    done = await post(client, url, f"{url}/answer", state="accepted", cost="12000",
                      **{"answer.ca": "<p>Ho farem <script>alert(1)</script></p>"})
    assert done.status_code == 303
    client.cookies.clear()
    assert "Ho farem" not in (await client.get(url)).text  # kept back until published
    await log_in(client, "vei1@example.org")
    page = await client.get(url)
    assert f'action="{BASE}/{component.id}/publish-answers"' in page.text  # published from the proposal's page
    published = await client.post(f"{BASE}/{component.id}/publish-answers",
                                  data={"_csrf_token": csrf(page.text), "next": url}, follow_redirects=False)
    assert published.status_code == 303 and published.headers["location"] == url
    client.cookies.clear()
    public = (await client.get(url)).text
    assert "Ho farem" in public and "<script>alert" not in public and "12000" in public
    accepted = (await client.get(f"{BASE}/{component.id}/?state=accepted")).text
    assert f"/{proposal_id}\"" in accepted
    assert await db.scalar(select(func.count(Event.id)).where(
        Event.event_type == "proposals.proposal_answered", Event.resource_id == proposal_id)) == 1


async def test_filters_orders_and_pages_take_only_what_they_know(client, demo, db, citizens):
    component = await demo_component(db)
    ids = await published_proposals(db, component, 45)
    url = f"{BASE}/{component.id}/"
    every = ids + list((await db.scalars(select(Proposal.id).where(
        Proposal.component_id == component.id, Proposal.id.not_in(ids), Proposal.state == "published"))).all())
    for seed in ("77", "1", "5", "424242", "999999"):  # starts all over the shuffle numbers, some wrap
        pages = [await client.get(url, params={"order": "random", "seed": seed, "page": str(number)})
                 for number in (1, 2, 3)]
        seen = []
        for page in pages:
            seen += [int(part.split('"')[0]) for part in page.text.split(f'{BASE}/{component.id}/')[1:]
                     if part.split('"')[0].isdigit()]
        assert sorted(seen) == sorted(every), seed  # each proposal exactly once over the pages of one shuffle
    first = await client.get(url, params={"order": "random", "seed": "77"})
    assert first.text == (await client.get(url, params={"order": "random", "seed": "77"})).text
    other_seed = (await client.get(url, params={"order": "random", "seed": "78"})).text
    assert other_seed.split('class="cards"')[1] != first.text.split('class="cards"')[1]
    for hostile in ({"order": "id; DROP TABLE proposals_proposals"}, {"state": "' OR 1=1 --"},
                    {"page": "-5"}, {"seed": "abc"}, {"q": "%_%"}):
        assert (await client.get(url, params=hostile)).status_code == 200
    assert 'class="cards"' not in (await client.get(url, params={"q": "zz%"})).text  # % is no wildcard
    accentless = await client.get(url, params={"q": "placa major"})
    assert "Més arbres i ombra a la plaça Major" in accentless.text


async def test_the_author_edits_for_a_while_and_withdraws(client, demo, db, citizens):
    component = await demo_component(db)
    proposal = Proposal(component_id=component.id, author_id=citizens[0].id, title="Una proposta per editar ara",
                        body="<p>Text</p>", language="ca", state="published", published_at=utcnow())
    db.add(proposal)
    await db.commit()
    proposal_id = proposal.id
    url = f"{BASE}/{component.id}/{proposal_id}"
    await log_in(client, "vei1@example.org")
    assert (await client.get(f"{url}/edit")).status_code == 404  # not theirs
    await post(client, url, f"{url}/withdraw")
    assert await db.scalar(select(Proposal.state).where(Proposal.id == proposal_id)) == "published"

    await log_in(client, "vei0@example.org")
    edited = await submit(client, f"{url}/edit", title="Una proposta editada a temps", body="Text nou i llarg.")
    assert edited.status_code == 303
    await db.execute(update(Proposal).where(Proposal.id == proposal_id)
                     .values(published_at=utcnow() - timedelta(hours=2)))
    await db.commit()
    assert (await client.get(f"{url}/edit")).status_code == 404
    await post(client, url, f"{url}/withdraw")
    db.expire_all()
    assert await db.scalar(select(Proposal.state).where(Proposal.id == proposal_id)) == "withdrawn"


async def test_proposals_of_other_components_and_organizations_are_not_found(client, demo, db):
    component = await demo_component(db)
    other_space = await db.scalar(select(Space).where(Space.slug == "pla-de-mobilitat"))
    other = await db.scalar(select(Component).where(Component.space_id == other_space.id,
                                                    Component.component_type == "proposals"))
    foreign_proposal = await db.scalar(select(Proposal.id).where(Proposal.component_id == other.id))
    assert (await client.get(f"{BASE}/{component.id}/{foreign_proposal}")).status_code == 404
    elsewhere = await other_organization(db)
    await db.commit()
    response = await client.get(f"http://altra.test{BASE}/{component.id}/")
    assert response.status_code == 404 and elsewhere.id


async def test_the_list_costs_the_same_whatever_the_number_of_proposals(client, demo, db, citizens,
                                                                       count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/"

    async def cost():
        with count_queries() as counter:
            assert (await client.get(url, params={"order": "most_supported"})).status_code == 200
        return counter.count

    await published_proposals(db, component, 3)
    anonymous_small = await cost()
    await log_in(client, "vei0@example.org")
    await client.get(url)  # shows (and so writes away) the login's flash message, a one-off
    logged_small = await cost()
    await published_proposals(db, component, 40)
    assert await cost() == logged_small
    client.cookies.clear()
    assert await cost() == anonymous_small
    # One of them reads the component's own answer states (the state filter's options and the badges).
    assert anonymous_small <= 8 and logged_small <= 8, (anonymous_small, logged_small)


async def test_exports_hold_public_proposals_and_published_answers_only(demo, db, citizens, registry):
    component = await demo_component(db)
    db.add(Proposal(component_id=component.id, author_id=citizens[0].id, title="Un esborrany secret de prova",
                    body="<p>x</p>", language="ca", state="draft"))
    db.add(Proposal(component_id=component.id, title="Resposta pendent de publicar", body="<p>x</p>",
                    language="ca", state="published", published_at=utcnow(), answer_state="rejected",
                    answer={"ca": "No"}, answered_at=utcnow()))
    await db.commit()
    rows = [row async for row in services.export_rows(db, component)]
    titles = {row["title"]: row for row in rows}
    assert "Un esborrany secret de prova" not in titles
    assert titles["Resposta pendent de publicar"]["answer_state"] is None
    assert all("vei0@example.org" not in str(row) for row in rows)
    assert await services.participation(db, component) > 0
    assert await db.scalar(select(func.count(Participant.user_id))) >= 1


async def test_a_proposal_hidden_by_reports_disappears_everywhere(client, demo, db, citizens, registry):
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    url = f"{BASE}/{component.id}"
    await log_in(client, "vei0@example.org")
    page = await client.get(f"{url}/{proposal_id}")
    assert f"resource_id={proposal_id}" in page.text  # the report link
    for index in range(3):  # the default threshold of reports
        await log_in(client, f"vei{index}@example.org")
        form = f"{url}/reports/new?resource_type=proposals.proposal&resource_id={proposal_id}"
        reported = await submit(client, form, f"{url}/reports", resource_type="proposals.proposal",
                                resource_id=str(proposal_id), reason="spam")
        assert reported.status_code == 303
    client.cookies.clear()
    assert (await client.get(f"{url}/{proposal_id}")).status_code == 404
    assert f"/{proposal_id}\"" not in (await client.get(f"{url}/?order=recent")).text
    assert proposal_id not in [row["id"] async for row in services.export_rows(db, component)]
    assert proposal_id not in [doc.resource_id async for doc in services.search_documents(db, component)]


async def test_the_proposal_page_costs_the_same_whatever_its_comments_and_supports(app, client, demo, db, citizens,
                                                                                  count_queries):
    component = await demo_component(db)
    await set_phase(db, component, supports_enabled=True)
    [proposal_id] = await published_proposals(db, component, 1)
    url = f"{BASE}/{component.id}/{proposal_id}"

    async def cost():
        with count_queries() as counter:
            assert (await client.get(url)).status_code == 200
        return counter

    db.add(Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=proposal_id,
                   author_id=citizens[1].id, body="El primer comentari", depth=1))
    await db.commit()
    await log_in(client, "vei0@example.org")
    await client.get(url)  # shows (and so writes away) the login's flash message, a one-off
    few = await cost()
    for index in range(12):
        db.add(Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=proposal_id,
                       author_id=citizens[index % 3].id, body=f"Comentari {index}", depth=1))
        db.add(Support(component_id=component.id, proposal_id=proposal_id, user_id=(
            await make_user(db, demo, email=f"suport{index}@example.org", nickname=f"suport{index}")).id))
    await db.commit()
    many = await cost()
    assert many.count == few.count
    assert many.count <= 8, "\n".join(many.statements)
    client.cookies.clear()
    assert (await cost()).count <= 8


async def test_hidden_proposals_are_neither_listed_nor_counted_in_any_order_or_page(demo, db, registry):
    from core.moderation.models import Moderation

    component = await demo_component(db)
    await published_proposals(db, component, 45)
    visible = set(await db.scalars(select(Proposal.id).where(Proposal.component_id == component.id,
                                                             Proposal.state == "published")))
    hidden = sorted(visible)[3::20]  # two of them, far apart in any order
    db.add_all([Moderation(organization_id=demo.id, space_id=component.space_id, component_id=component.id,
                           resource_type="proposals.proposal", resource_id=proposal_id, report_count=3,
                           hidden_at=utcnow()) for proposal_id in hidden])
    await db.commit()
    visible -= set(hidden)
    pages = -(-len(visible) // services.PER_PAGE)
    for order, seed in (("recent", 1), ("random", 1), ("random", 777_777)):
        seen = []
        for page in range(1, pages + 1):
            proposals, total = await services.listing(db, registry, component, None,
                                                      services.Filters(order=order, seed=seed, page=page))
            assert total == len(visible), (order, seed, page)
            seen += [proposal.id for proposal in proposals]
        assert sorted(seen) == sorted(visible), (order, seed)  # every visible one once, no hidden one


async def test_the_most_commented_come_first_counting_only_comments_people_can_read(client, demo, db, citizens,
                                                                                     registry):
    from core.moderation.models import Moderation

    component = await demo_component(db)
    first, second, third = await published_proposals(db, component, 3)
    comments = {}
    for proposal_id, count in ((first, 3), (second, 4), (third, 2)):
        comments[proposal_id] = [Comment(component_id=component.id, resource_type="proposals.proposal",
                                         resource_id=proposal_id, author_id=citizens[0].id, body=f"Comentari {n}")
                                 for n in range(count)]
        db.add_all(comments[proposal_id])
    await db.flush()
    # Of the second's four, two are deleted and one hidden by moderation: one is left to read.
    for comment in comments[second][:2]:
        comment.deleted_at = utcnow()
    db.add(Moderation(organization_id=demo.id, space_id=component.space_id, component_id=component.id,
                      resource_type="comments.comment", resource_id=comments[second][2].id, report_count=3,
                      hidden_at=utcnow()))
    await db.commit()
    proposals, total = await services.listing(db, registry, component, None,
                                              services.Filters(order="most_commented"))
    ids = [proposal.id for proposal in proposals]
    assert ids[:3] == [first, third, second]
    assert total == len(set(await db.scalars(select(Proposal.id).where(Proposal.component_id == component.id,
                                                                       Proposal.state == "published"))))
    page = await client.get(f"{BASE}/{component.id}/?order=most_commented")
    assert page.status_code == 200 and "<option value=\"most_commented\" selected>" in page.text
    assert page.text.index(f"/{first}\"") < page.text.index(f"/{third}\"") < page.text.index(f"/{second}\"")
