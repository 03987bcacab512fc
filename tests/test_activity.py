"""Public activity as visitors read it: the organization's timeline at /activity, a space's, and a person's on
their profile. What is shown is what anybody may see now: nothing of draft or private spaces, unpublished or
archived components, hidden or deleted content, another organization; deleted people lose their name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.activity.services import recorded_earlier
from core.comments import services as comments
from core.comments.models import Comment
from core.db import utcnow
from core.events import Event, Resource, event_sessionmaker
from core.i18n import translated
from core.models import Component, Space
from core.moderation.models import Moderation
from plugins.pages.models import Page
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import make_user

PROCESS = "/processes/pressupostos-2027"


@dataclass
class Scene:
    """The demo's budget process with its pages component and first page, and three people."""

    app: Any
    engine: Any
    process: Space
    pages: Component
    page: Page
    people: dict[str, User]

    @property
    def page_path(self) -> str:
        return f"{PROCESS}/pages/{self.pages.id}/{self.page.id}"

    @property
    def page_title(self) -> str:
        return translated(self.page.title, "en")

    def sessions(self) -> Any:
        """Sessions that know the registry, as the application's do (no queue: nobody is told here)."""
        return event_sessionmaker(self.engine, self.app.state.registry, None)


@pytest.fixture
async def scene(app, engine, demo, db, client) -> Scene:
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    pages = await db.scalar(select(Component).where(Component.space_id == process.id,
                                                    Component.component_type == "pages"))
    page = await db.scalar(select(Page).where(Page.component_id == pages.id).order_by(Page.id))
    people = {name: await make_user(db, demo, email=f"{name}@example.org", nickname=name, name=name.capitalize())
              for name in ("anna", "biel", "carla")}
    client.cookies.set("participa_locale", "en", domain="vilademo.test")  # message ids are English
    return Scene(app, engine, process, pages, page, people)


async def comment(scene: Scene, author: str, body: str = "Hi") -> int:
    """A comment on the page, written through the comments service: it publishes its event."""
    async with scene.sessions()() as session:
        component = await session.scalar(select(Component).where(Component.id == scene.pages.id)
                                         .options(selectinload(Component.space)))
        created = await comments.create_comment(session, scene.app.state.registry, component,
                                                await session.get(User, scene.people[author].id), "pages.page",
                                                scene.page.id, body)
        await session.commit()
        return created.id


async def happened(scene: Scene, title: str, *, actor: str | None = "anna", space: Space | None = None,
                   component: Component | None = None, resource_id: int = 9001, when=None) -> int:
    """A public event about a thing of a component, recorded as if it had happened at ``when``."""
    space, component = space or scene.process, component or scene.pages
    prefix = scene.app.state.registry.space_types[space.space_type].url_prefix
    async with scene.sessions()() as session:
        event = await recorded_earlier(
            session, "proposals.proposal_published", organization_id=space.organization_id,
            resource=Resource(type="proposals.proposal", id=resource_id, title=title,
                              path=f"/{prefix}/{space.slug}/{component.component_type}/{component.id}/{resource_id}"),
            actor_id=scene.people[actor].id if actor else None, created_at=when or utcnow())
        await session.commit()
        return event.id


def entries(html: str) -> list[str]:
    """The text of each entry of the page's activity list, tags removed."""
    found = re.findall(r'<li class="activity-entry">\s*<p class="activity-entry__text">(.*?)</p>', html, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in found]


async def test_a_comment_is_told_in_the_organizations_and_its_spaces_activity(client, scene, db):
    comment_id = await comment(scene, "anna", "Molt d'acord")
    event = await db.scalar(select(Event).where(Event.event_type == "comments.comment_created"))
    assert (event.space_id, event.component_id) == (scene.process.id, scene.pages.id)  # found by publish

    page = (await client.get("/activity")).text
    assert entries(page)[0] == f"Anna commented on {scene.page_title}"
    assert ('<a href="/profiles/anna">Anna</a> commented on '
            f'<a href="{scene.page_path}#comment-{comment_id}">{scene.page_title}</a>') in page
    assert f'<a href="{PROCESS}">{translated(scene.process.title, "en")}</a>' in page  # where it happened
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">', page)  # valid HTML: no microseconds
    # The demo's proposals were published before, with their answers.
    assert "Laia Puig published a new proposal: Horts urbans al solar del carrer Nou" in entries(page)
    assert "The proposal Més arbres i ombra a la plaça Major has an answer" in entries(page)

    space_page = (await client.get(f"{PROCESS}/activity")).text
    assert entries(space_page)[0] == f"Anna commented on {scene.page_title}"
    other_space = await db.scalar(select(Space).where(Space.organization_id == scene.process.organization_id,
                                                      Space.id != scene.process.id, Space.published.is_(True)))
    prefix = scene.app.state.registry.space_types[other_space.space_type].url_prefix
    elsewhere = (await client.get(f"/{prefix}/{other_space.slug}/activity")).text
    assert "Anna commented" not in elsewhere and "Horts urbans" in elsewhere  # its own proposals only

    home = (await client.get("/")).text
    assert f"Anna commented on {scene.page_title}" in entries(home)
    assert len(entries(home)) == 5 and '<a href="/activity">' in home
    assert f'href="{PROCESS}/activity"' in (await client.get(PROCESS)).text


async def test_activity_filters_by_kind(client, scene):
    await comment(scene, "anna")
    comments_only = entries((await client.get("/activity?kind=comments")).text)
    assert comments_only == [f"Anna commented on {scene.page_title}"]
    proposals_only = entries((await client.get("/activity?kind=proposals")).text)
    assert proposals_only and not any("commented" in entry for entry in proposals_only)
    page = (await client.get("/activity?kind=nonsense")).text  # unknown: everything, as the filter says
    assert '<option value="" selected>All activity</option>' in page and len(entries(page)) == 20
    assert '<option value="comments">Comments</option>' in page and '<option value="proposals">Proposals</option>' in page


async def test_nothing_shows_from_what_anybody_may_not_see(client, scene, db):
    """Each change takes the entry out of every timeline at once, and undoing it brings it back."""
    comment_id = await comment(scene, "anna", "Primer")
    wanted = f"Anna commented on {scene.page_title}"

    async def shown() -> bool:
        found = [wanted in entries((await client.get(path)).text) for path in ("/activity", "/profiles/anna")]
        assert found[0] == found[1]
        return found[0]

    assert await shown()
    changes = [
        (Space, scene.process.id, {"private": True}, {"private": False}),
        (Space, scene.process.id, {"published": False}, {"published": True}),
        (Component, scene.pages.id, {"published": False}, {"published": True}),
        (Component, scene.pages.id, {"archived_at": utcnow()}, {"archived_at": None}),
        (Comment, comment_id, {"deleted_at": utcnow()}, {"deleted_at": None}),
    ]
    for model, ident, change, undo in changes:
        await db.execute(update(model).where(model.id == ident).values(**change))
        await db.commit()
        assert not await shown(), change
        if model is Space:
            assert (await client.get(f"{PROCESS}/activity")).status_code == 404
        await db.execute(update(model).where(model.id == ident).values(**undo))
        await db.commit()
        assert await shown(), undo

    # Hidden by moderation: the comment itself, or the page it is about.
    for resource_type, resource_id in (("comments.comment", comment_id), ("pages.page", scene.page.id)):
        hidden = Moderation(organization_id=scene.process.organization_id, space_id=scene.process.id,
                            component_id=scene.pages.id, resource_type=resource_type, resource_id=resource_id,
                            hidden_at=utcnow())
        db.add(hidden)
        await db.commit()
        assert not await shown(), resource_type
        await db.delete(hidden)
        await db.commit()
        assert await shown()


async def test_another_organizations_activity_never_shows(client, scene, db):
    other = await other_organization(db)
    space = Space(organization_id=other.id, space_type="process", slug="pressupostos-2027", title={"ca": "Altre"},
                  published=True)
    db.add(space)
    await db.flush()
    component = Component(space_id=space.id, component_type="pages", name={"ca": "Pàgines"}, published=True)
    db.add(component)
    stranger = await make_user(db, other, email="anna@altra.test", nickname="anna", name="Anna d'Altra")
    scene.people["stranger"] = stranger
    await happened(scene, "Proposta de l'altra vila", actor="stranger", space=space, component=component)
    # Another organization's ids written on an event of the demo's are not enough either.
    forged = await happened(scene, "Proposta forastera", space=space, component=component, actor="anna")
    await db.execute(update(Event).where(Event.id == forged).values(organization_id=scene.process.organization_id))
    await db.commit()

    for path in ("/activity", f"{PROCESS}/activity", "/profiles/anna", "/", "/activity?kind=proposals"):
        text = (await client.get(path)).text
        assert "altra vila" not in text and "Proposta forastera" not in text, path
    client.cookies.set("participa_locale", "en", domain=OTHER_HOST)
    text = (await client.get(f"http://{OTHER_HOST}/activity")).text
    assert "Proposta de l&#39;altra vila" in text and "Horts urbans" not in text
    assert "Proposta forastera" not in text  # it names the demo as its organization: nowhere
    # Same nickname, another person: only what she did there.
    assert entries((await client.get(f"http://{OTHER_HOST}/profiles/anna/activity")).text) == [
        "Anna d&#39;Altra published a new proposal: Proposta de l&#39;altra vila"]


async def test_deleted_people_lose_their_name_and_blocked_ones_their_link(client, scene, db):
    await comment(scene, "anna")
    await comment(scene, "biel")
    await db.execute(update(User).where(User.id == scene.people["anna"].id)
                     .values(deleted_at=utcnow(), name="", nickname=f"deleted_{scene.people['anna'].id}"))
    await db.execute(update(User).where(User.id == scene.people["biel"].id).values(blocked_at=utcnow()))
    await db.commit()
    page = (await client.get("/activity?kind=comments")).text
    assert entries(page) == [f"Biel commented on {scene.page_title}",
                             f"Deleted participant commented on {scene.page_title}"]
    assert "/profiles/biel" not in page and "/profiles/deleted_" not in page
    assert (await client.get("/profiles/biel/activity")).status_code == 404
    assert (await client.get(f"/profiles/deleted_{scene.people['anna'].id}/activity")).status_code == 404


async def test_a_profile_shows_what_the_person_did_in_public(client, scene, db):
    await comment(scene, "anna", "U")
    await comment(scene, "biel", "Dos")
    await comment(scene, "anna", "Tres")
    profile = (await client.get("/profiles/anna")).text
    assert 'id="profile-activity-heading">Activity</h2>' in profile
    assert entries(profile) == [f"Anna commented on {scene.page_title}"] * 2
    assert '<a href="/profiles/anna/activity">All the activity of Anna</a>' in profile
    full = await client.get("/profiles/anna/activity")
    assert full.status_code == 200 and "<h1>Activity of Anna</h1>" in full.text
    assert entries(full.text) == [f"Anna commented on {scene.page_title}"] * 2

    quiet = (await client.get("/profiles/carla")).text
    assert "profile-activity-heading" not in quiet  # no empty section
    assert "Nothing has happened here yet." in (await client.get("/profiles/carla/activity")).text
    # What anna did in a space that became private is nobody's business now.
    await db.execute(update(Space).where(Space.id == scene.process.id).values(private=True))
    await db.commit()
    assert not entries((await client.get("/profiles/anna")).text)
    assert (await client.get("/profiles/nobody/activity")).status_code == 404


async def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(client, scene, db):
    start = utcnow() - timedelta(days=1)
    for number in range(45):
        await happened(scene, f"Pàgina {number:02d}", when=start + timedelta(minutes=number))
    await happened(scene, "Antiga", when=start - timedelta(days=90))  # recorded last, happened first
    seen: list[str] = []
    pages: list[str] = []
    url = f"{PROCESS}/activity"
    while url:
        text = (await client.get(url)).text
        pages.append(text)
        seen += entries(text)
        older = re.search(r'<a href="([^"]+)" rel="next">Older</a>', text)
        url = older.group(1).replace("&amp;", "&") if older else None
    mine = [entry for entry in seen if "Pàgina" in entry]
    assert mine == [f"Anna published a new proposal: Pàgina {number:02d}" for number in range(44, -1, -1)]
    assert seen[-1] == "Anna published a new proposal: Antiga"  # by date, whatever the order of recording
    assert len(seen) == await db.scalar(select(func.count(Event.id)).where(Event.space_id == scene.process.id))
    assert [len(entries(text)) for text in pages[:-1]] == [20] * (len(pages) - 1)
    assert 'rel="prev"' not in pages[0] and 'rel="next"' not in pages[-1]
    # Newer, from the second page, is the first page again.
    newer = re.search(r'<a href="([^"]+)" rel="prev">Newer</a>', pages[1]).group(1).replace("&amp;", "&")
    assert entries((await client.get(newer)).text) == entries(pages[0])
    # A filter is kept from page to page.
    filtered = (await client.get(f"{PROCESS}/activity?kind=proposals")).text
    assert "kind=proposals&amp;before=" in filtered
    oldest = await db.scalar(select(Event.id).where(Event.space_id == scene.process.id)
                             .order_by(Event.created_at, Event.id).limit(1))
    beyond = (await client.get(f"{PROCESS}/activity?before={oldest}")).text
    assert "There is nothing more here." in beyond and not entries(beyond)
    assert (await client.get(f"{PROCESS}/activity?before=abc")).status_code == 400


async def test_a_timeline_costs_the_same_whatever_the_number_of_events(client, scene, count_queries):
    paths = ("/activity", f"{PROCESS}/activity", "/profiles/anna", "/profiles/anna/activity",
             "/activity?kind=comments")

    async def costs() -> list[int]:
        result = []
        for path in paths:
            with count_queries() as counter:
                assert (await client.get(path)).status_code == 200
            result.append(counter.count)
        return result

    await comment(scene, "anna")
    few = await costs()
    for number in range(40):
        await happened(scene, f"Més {number}")
    for _ in range(5):
        await comment(scene, "anna")
    assert await costs() == few
    assert few[0] <= 2 and max(few) <= 5  # the organization, the page's own lookup, the timeline (a profile:
    # its groups and its followers too)
