"""Comments as people use them: on a page of the pages plugin (the worked example) and on a test
component type, "ideas", that declares per-component and per-phase settings and an unpublished thing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.comments import services
from core.comments.models import Comment, CommentVersion, CommentVote
from core.events import Event, event_sessionmaker
from core.follows import follow
from core.manifest import Commentable, ComponentManifest, ResourceInfo
from core.models import Component, Space
from core.moderation.services import hidden_ids, is_hidden
from core.plugins import Registry
from core.spaces import CurrentComponent
from core.web import DB, base_context
from plugins.pages.models import Page
from tests.conftest import other_organization, shared_registry
from tests.test_accounts import csrf, make_user
from tests.test_admin import log_in as log_in_as
from tests.test_plugins import plugin_module

# ---------------------------------------------------------------- a second commentable component type

IDEAS: dict[int, dict] = {}
"""Ideas of the test component type, by id: {"component_id": ..., "visible": ..., "author_id": ...}."""


class IdeasSettings(msgspec.Struct, kw_only=True):
    comments_enabled: bool = True


class IdeasPhase(msgspec.Struct, kw_only=True):
    comments_blocked: bool = False


async def load_idea(session, component, idea_id: int) -> ResourceInfo | None:
    idea = IDEAS.get(idea_id)
    if idea is None or idea["component_id"] != component.id:
        return None
    return ResourceInfo(title={"ca": f"Idea {idea_id}", "en": f"Idea {idea_id}"}, path=f"/{idea_id}",
                        visible=idea.get("visible", True), author_id=idea.get("author_id"))


IDEA_PAGE = ('{% extends "base.html" %}{% from "comments/macros.html" import comment_thread, report_link with context %}'
             '{% block content %}<h1>{{ title }}</h1>{{ report_link(thread.url, "ideas.idea", thread.resource_id) }}'
             '{{ comment_thread(thread) }}{% endblock %}')
LIST_PAGE = ('{% extends "base.html" %}{% block content %}<h1>Ideas</h1><ul>'
             '{% for id in ids %}<li>Idea {{ id }}</li>{% endfor %}</ul>{% endblock %}')


@get("/", opt={"permission": "public"})
async def ideas_list(request: Request, db: DB, component: CurrentComponent) -> Template:
    """A plugin's list leaves hidden things out with core.moderation.services.hidden_ids."""
    ids = [key for key, idea in sorted(IDEAS.items()) if idea["component_id"] == component.id
           and idea.get("visible", True)]
    hidden = await hidden_ids(db, "ideas.idea", ids)
    return Template(template_str=LIST_PAGE,
                    context={**base_context(request), "ids": [key for key in ids if key not in hidden]})


@get("/{idea_id:int}", opt={"permission": "public"})
async def idea_page(request: Request, db: DB, component: CurrentComponent, idea_id: FromPath[int]) -> Template:
    info = await load_idea(db, component, idea_id)
    if info is None or not info.visible or await is_hidden(db, "ideas.idea", idea_id):
        raise NotFoundException()
    thread = await services.thread_for(request, component, "ideas.idea", idea_id)
    return Template(template_str=IDEA_PAGE,
                    context={**base_context(request), "thread": thread, "title": f"Idea {idea_id}"})


IDEAS_TYPE = ComponentManifest(
    name="ideas", title="Ideas", settings=IdeasSettings, phase_settings=IdeasPhase,
    public_routes=(ideas_list, idea_page), commentable=(Commentable(resource_type="ideas.idea", load=load_idea),),
)


def ideas_registry(settings) -> Registry:
    """The default plugins plus the "ideas" component type."""
    return Registry(settings, extra=[("ideas", plugin_module("ideas", register_component_types=lambda: [IDEAS_TYPE]))])


@pytest.fixture
def registry(settings):
    return shared_registry(settings, "ideas", ideas_registry)


@dataclass
class World:
    process: Space
    pages: Component
    page: Page
    ideas: Component
    users: dict[str, User]
    sessions: Any = None
    """Sessions that publish events, on the test's engine (the app's belongs to the client's event loop)."""

    @property
    def page_url(self) -> str:
        return f"/processes/pressupostos-2027/pages/{self.pages.id}/{self.page.id}"

    @property
    def pages_comments(self) -> str:
        return f"/processes/pressupostos-2027/pages/{self.pages.id}/comments"

    def idea_url(self, idea_id: int) -> str:
        return f"/processes/pressupostos-2027/ideas/{self.ideas.id}/{idea_id}"

    @property
    def ideas_comments(self) -> str:
        return f"/processes/pressupostos-2027/ideas/{self.ideas.id}/comments"


PEOPLE = ("anna", "biel", "carla", "dani")


@pytest.fixture
async def world(app, engine, demo, db) -> World:
    return await make_world(app, engine, demo, db)


async def make_world(app, engine, demo, db) -> World:
    """The demo's budget process with its pages, an "ideas" component, and four people."""
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    pages = await db.scalar(select(Component).where(Component.space_id == process.id,
                                                    Component.component_type == "pages"))
    page = await db.scalar(select(Page).where(Page.component_id == pages.id).order_by(Page.id))
    ideas = Component(space_id=process.id, component_type="ideas", name={"ca": "Idees"}, published=True,
                      settings={}, phase_settings={})
    db.add(ideas)
    await db.commit()
    users = {name: await make_user(db, demo, email=f"{name}@example.org", nickname=name, name=name.capitalize())
             for name in PEOPLE}
    IDEAS.clear()
    IDEAS.update({101: {"component_id": ideas.id}, 102: {"component_id": ideas.id, "visible": False},
                  103: {"component_id": ideas.id, "author_id": users["dani"].id}})
    return World(process, pages, page, ideas, users,
                 sessions=event_sessionmaker(engine, app.state.registry, app.state.queue))


async def log_in(client, email: str) -> None:
    """Log in and read the site in English, the language of the message ids."""
    await log_in_as(client, email)
    client.cookies.set("participa_locale", "en", domain="vilademo.test")


async def post_form(client, page: str, action: str, **fields):
    """Post a form the way a browser does from ``page``: with the page's CSRF token."""
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


async def comment(client, world: World, body: str = "Molt bona idea.", *, url: str | None = None,
                  action: str | None = None, resource: tuple[str, int] | None = None, **extra):
    resource_type, resource_id = resource or ("pages.page", world.page.id)
    return await post_form(client, url or world.page_url, action or world.pages_comments, **{
        "comment.body": body, "resource_type": resource_type, "resource_id": str(resource_id), **extra})


def new_id(response) -> int:
    return int(response.headers["location"].rsplit("#comment-", 1)[1])


async def component_with_space(session, component_id: int) -> Component:
    return await session.scalar(select(Component).where(Component.id == component_id)
                                .options(selectinload(Component.space)))


async def add_comment(app, world: World, author: str, body: str = "Hola", parent_id: int | None = None) -> int:
    """A comment written through the service, in a session of the application (it publishes events)."""
    async with world.sessions() as session:
        component = await component_with_space(session, world.pages.id)
        parent = await session.get(Comment, parent_id) if parent_id else None
        created = await services.create_comment(session, app.state.registry, component,
                                                await session.get(User, world.users[author].id), "pages.page",
                                                world.page.id, body, parent=parent)
        await session.commit()
        return created.id


async def cast_vote(app, world: World, comment_id: int, user_id: int, value: int) -> None:
    """One vote in a session (and a database connection) of its own."""
    async with world.sessions() as session:
        component = await component_with_space(session, world.pages.id)
        await services.vote(session, app.state.registry, component, await session.get(User, user_id),
                            await session.get(Comment, comment_id), value)
        await session.commit()


# ---------------------------------------------------------------- writing and reading


async def test_visitors_read_the_thread_and_are_invited_to_log_in(client, world):
    page = await client.get(world.page_url, headers={"accept-language": "en"})
    assert page.status_code == 200
    assert 'id="comments"' in page.text and "comment.body" not in page.text and "0 comments" in page.text
    assert f'/account/login?next={world.page_url}' in page.text


async def test_a_comment_and_a_reply_lead_back_to_themselves_on_the_page(client, world, db):
    await log_in(client, "anna@example.org")
    first = await comment(client, world, "Cal més ombra a la plaça.", **{"comment.alignment": "in_favour"})
    assert first.status_code == 303
    assert first.headers["location"].startswith(world.page_url + "#comment-")
    first_id = new_id(first)

    await log_in(client, "biel@example.org")
    reply = await comment(client, world, "D'acord, i més bancs.", url=f"{world.pages_comments}/{first_id}/reply",
                          parent_id=str(first_id), **{"comment.alignment": "against"})
    assert reply.status_code == 303
    stored = await db.get(Comment, new_id(reply))
    assert (stored.parent_id, stored.root_id, stored.depth, stored.alignment) == (first_id, first_id, 2, -1)
    original = await db.get(Comment, first_id)
    assert original.alignment == 1 and original.depth == 1 and original.author_id == world.users["anna"].id

    page = (await client.get(world.page_url)).text
    assert "2 comments" in page
    assert page.index("Cal més ombra") < page.index("més bancs")
    assert 'comment__alignment--in-favour' in page and 'comment__alignment--against' in page
    replies = page.split(f'id="comment-{first_id}"', 1)[1]
    assert f'id="comment-{stored.id}"' in replies.split("</li>\n  </ol>", 1)[0]  # nested under its parent
    assert "Your comment is published." in page


async def test_replies_stop_at_the_deepest_level_and_continue_beside_it(app, world, db):
    ids = [await add_comment(app, world, "anna", "1")]
    for text in ("2", "3", "4", "5"):
        ids.append(await add_comment(app, world, "biel", text, parent_id=ids[-1]))
    rows = {row.id: row for row in await db.scalars(select(Comment).where(Comment.id.in_(ids)))}
    assert [rows[key].depth for key in ids] == [1, 2, 3, 3, 3]
    assert rows[ids[3]].parent_id == ids[1] and rows[ids[4]].parent_id == ids[1]  # beside, under level 2
    assert {rows[key].root_id for key in ids[1:]} == {ids[0]}


async def test_the_author_edits_and_the_earlier_text_is_kept(client, world, db):
    await log_in(client, "anna@example.org")
    comment_id = new_id(await comment(client, world, "Primera versió"))
    edit_url = f"{world.pages_comments}/{comment_id}/edit"
    form = await client.get(edit_url)
    assert form.status_code == 200 and "Primera versió" in form.text
    saved = await post_form(client, edit_url, edit_url, **{"comment.body": "Segona versió"})
    assert saved.status_code == 303 and saved.headers["location"].endswith(f"#comment-{comment_id}")
    await post_form(client, edit_url, edit_url, **{"comment.body": "Tercera versió"})

    stored = await db.get(Comment, comment_id)
    await db.refresh(stored)
    assert stored.body == "Tercera versió" and stored.edited_at is not None
    versions = await db.scalars(select(CommentVersion.body).where(CommentVersion.comment_id == comment_id)
                                .order_by(CommentVersion.id))
    assert list(versions) == ["Primera versió", "Segona versió"]
    assert "edited" in (await client.get(world.page_url)).text

    await log_in(client, "biel@example.org")
    assert (await client.get(edit_url)).status_code == 403
    refused = await post_form(client, world.page_url, edit_url, **{"comment.body": "Vandalisme"})
    assert refused.status_code == 403
    delete = await post_form(client, world.page_url, f"{world.pages_comments}/{comment_id}/delete")
    assert delete.status_code == 403
    await db.refresh(stored)
    assert stored.body == "Tercera versió" and stored.deleted_at is None


async def test_deleting_leaves_a_placeholder_that_keeps_the_replies(app, client, world, db):
    first = await add_comment(app, world, "anna", "Un text que marxarà")
    await add_comment(app, world, "biel", "Una resposta que es queda", parent_id=first)
    await log_in(client, "anna@example.org")
    edit_url = f"{world.pages_comments}/{first}/edit"
    await post_form(client, edit_url, edit_url, **{"comment.body": "Un text editat que marxarà"})
    deleted = await post_form(client, world.page_url, f"{world.pages_comments}/{first}/delete")
    assert deleted.status_code == 303

    page = (await client.get(world.page_url)).text
    assert "marxarà" not in page and "Comment deleted" in page and "Una resposta que es queda" in page
    stored = await db.get(Comment, first)
    assert stored.deleted_at is not None and stored.body == ""
    assert await db.scalar(select(func.count()).select_from(CommentVersion)
                           .where(CommentVersion.comment_id == first)) == 0
    assert (await client.get(f"{world.pages_comments}/{first}/edit")).status_code == 404
    assert (await client.get(f"{world.pages_comments}/{first}/reply")).status_code == 404


async def test_one_vote_per_person_that_can_change_or_be_withdrawn(app, client, world, db):
    comment_id = await add_comment(app, world, "anna")
    vote_url = f"{world.pages_comments}/{comment_id}/vote"
    await log_in(client, "biel@example.org")
    for value in ("up", "up"):
        assert (await post_form(client, world.page_url, vote_url, value=value)).status_code == 303
    assert await services.vote_counts(db, [comment_id]) == {comment_id: (1, 0)}
    page = (await client.get(world.page_url)).text
    assert 'value="none" class="vote-button" aria-pressed="true"' in page

    await post_form(client, world.page_url, vote_url, value="down")
    assert await services.vote_counts(db, [comment_id]) == {comment_id: (0, 1)}
    await post_form(client, world.page_url, vote_url, value="none")
    assert await services.vote_counts(db, [comment_id]) == {}

    await log_in(client, "anna@example.org")  # nobody votes for themselves
    await post_form(client, world.page_url, vote_url, value="up")
    assert await services.vote_counts(db, [comment_id]) == {}
    assert "You cannot vote on your own comment." in (await client.get(world.page_url)).text


async def test_parallel_votes_are_each_counted_once(app, world, db, demo):
    comment_id = await add_comment(app, world, "anna")
    voters = [await make_user(db, demo, email=f"voter{n}@example.org", nickname=f"voter{n}") for n in range(8)]
    # Every voter clicks "up" three times at once, and one of them also clicks "down" in between.
    clicks = [cast_vote(app, world, comment_id, voter.id, 1) for voter in voters for _ in range(3)]
    clicks += [cast_vote(app, world, comment_id, voters[0].id, -1)]
    await asyncio.gather(*clicks)
    up, down = (await services.vote_counts(db, [comment_id]))[comment_id]
    assert up + down == len(voters) and down in (0, 1)
    assert await db.scalar(select(func.count()).select_from(CommentVote)
                           .where(CommentVote.comment_id == comment_id)) == len(voters)
    await asyncio.gather(*(cast_vote(app, world, comment_id, voter.id, -1) for voter in voters))
    assert (await services.vote_counts(db, [comment_id]))[comment_id] == (0, len(voters))


# ---------------------------------------------------------------- where comments are accepted


async def test_comments_closed_for_the_component_or_the_phase_are_refused_with_what_was_typed(client, world, db):
    await log_in(client, "anna@example.org")
    url = world.idea_url(101)
    assert "comment.body" in (await client.get(url)).text
    world.ideas.settings = {"comments_enabled": False}
    await db.commit()
    page = (await client.get(url)).text
    assert "comment.body" not in page and "Comments are closed here." in page
    refused = await comment(client, world, "Text que no es perd", url=url, action=world.ideas_comments,
                            resource=("ideas.idea", 101))
    assert refused.status_code == 400
    assert "Comments are closed here." in refused.text and "Text que no es perd" in refused.text

    world.ideas.settings = {"comments_enabled": True}
    world.ideas.phase_settings = {str(world.process.active_phase_id): {"comments_blocked": True}}
    await db.commit()
    assert "comment.body" not in (await client.get(url)).text
    refused = await comment(client, world, "En aquesta fase no", url=url, action=world.ideas_comments,
                            resource=("ideas.idea", 101))
    assert refused.status_code == 400 and "En aquesta fase no" in refused.text
    assert "Comments are closed in this phase." in refused.text
    assert await db.scalar(select(func.count()).select_from(Comment)) == 0

    world.ideas.phase_settings = {}
    await db.commit()
    accepted = await comment(client, world, "Ara sí", url=url, action=world.ideas_comments,
                             resource=("ideas.idea", 101))
    assert accepted.status_code == 303 and accepted.headers["location"].startswith(url + "#comment-")


async def test_resources_of_another_component_organization_or_not_visible_are_not_found(client, world, db):
    other_space_pages = await db.scalar(select(Component).join(Space).where(
        Space.slug == "pla-de-mobilitat", Component.component_type == "pages"))
    foreign_page = await db.scalar(select(Page.id).where(Page.component_id == other_space_pages.id))
    other = await other_organization(db)
    space = Space(organization_id=other.id, space_type="process", slug="altre", title={"ca": "Altre"},
                  published=True)
    db.add(space)
    await db.flush()
    elsewhere = Component(space_id=space.id, component_type="pages", name={"ca": "P"}, published=True, settings={})
    db.add(elsewhere)
    await db.flush()
    far_page = Page(component_id=elsewhere.id, title={"ca": "Lluny"}, body={"ca": "<p>x</p>"})
    db.add(far_page)
    await db.commit()

    await log_in(client, "anna@example.org")
    for resource, action in (
        (("pages.page", foreign_page), world.pages_comments),  # a page of another component
        (("pages.page", far_page.id), world.pages_comments),  # of another organization
        (("pages.page", far_page.id), f"/processes/altre/pages/{elsewhere.id}/comments"),
        (("ideas.idea", 102), world.ideas_comments),  # unpublished
        (("ideas.idea", 999), world.ideas_comments),  # does not exist
        (("ideas.idea", 2**40), world.ideas_comments),  # no row can have such an id
        (("ideas.idea", 101), world.pages_comments),  # a type the component does not declare
        (("pages.page", world.page.id), world.ideas_comments),
    ):
        response = await comment(client, world, "Aquí no", action=action, resource=resource)
        assert response.status_code == 404, (resource, action)
    assert await db.scalar(select(func.count()).select_from(Comment)) == 0
    assert (await client.get(f"{world.pages_comments}/{2**40}/reply")).status_code == 404


async def test_a_reply_to_a_comment_of_another_resource_is_not_found(app, client, world):
    first = await add_comment(app, world, "anna")
    await log_in(client, "biel@example.org")
    response = await comment(client, world, "Resposta", url=world.idea_url(101), action=world.ideas_comments,
                             resource=("ideas.idea", 101), parent_id=str(first))
    assert response.status_code == 404


# ---------------------------------------------------------------- what is shown, and how


async def test_the_queries_of_a_page_do_not_grow_with_its_comments(app, client, world, count_queries):
    first = await add_comment(app, world, "anna", "primer")
    await cast_vote(app, world, first, world.users["biel"].id, 1)
    await log_in(client, "carla@example.org")
    await client.get(world.page_url)  # the session and its cookie settle
    with count_queries() as few:
        assert (await client.get(world.page_url)).status_code == 200
    for n in range(12):
        top = await add_comment(app, world, PEOPLE[n % 4], f"comentari {n}")
        reply = await add_comment(app, world, PEOPLE[(n + 1) % 4], f"resposta {n}", parent_id=top)
        await add_comment(app, world, PEOPLE[(n + 2) % 4], f"més {n}", parent_id=reply)
        voter = world.users[PEOPLE[(n + 3) % 4]].id  # nobody else's vote is their own
        await cast_vote(app, world, top, voter, -1)
        await cast_vote(app, world, reply, voter, 1)
    with count_queries() as many:
        page = await client.get(world.page_url)
    assert page.text.count('class="comment"') == 37
    assert many.count == few.count, "\n".join(many.statements)


async def test_long_threads_are_split_into_pages_of_top_level_comments(app, client, world, monkeypatch):
    monkeypatch.setattr(services, "ROOTS_PER_PAGE", 2)
    ids = [await add_comment(app, world, "anna", f"arrel {n}") for n in range(3)]
    reply = await add_comment(app, world, "biel", "resposta a la tercera", parent_id=ids[2])
    first = (await client.get(world.page_url)).text
    assert "arrel 0" in first and "arrel 2" not in first and "?comments_page=2#comments" in first
    second = (await client.get(world.page_url + "?comments_page=2")).text
    assert "arrel 2" in second and "resposta a la tercera" in second and "arrel 0" not in second
    await log_in(client, "carla@example.org")
    vote = await post_form(client, world.page_url, f"{world.pages_comments}/{reply}/vote", value="up")
    assert vote.headers["location"] == f"{world.page_url}?comments_page=2#comment-{reply}"


XSS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
       '<a href="javascript:alert(1)">clic</a>', "https://example.org/\"onmouseover=alert(1)")


async def test_hostile_text_in_comments_is_shown_as_text(client, world):
    await log_in(client, "anna@example.org")
    for payload in XSS:
        assert (await comment(client, world, payload)).status_code == 303
    page = (await client.get(world.page_url)).text
    thread = page[page.index('id="comments"'):]
    assert "<script>alert" not in thread and "<img" not in thread and 'href="javascript:' not in thread
    assert "onerror=alert" not in thread.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thread
    assert '<a href="https://example.org/" rel="nofollow ugc noopener noreferrer">' in thread


def test_comment_text_becomes_paragraphs_and_safe_links():
    html = str(services.format_body("Mireu https://example.org/a?b=1&c=2.\nSegona línia\n\n<b>No</b> javascript:x"))
    assert html == ('<p>Mireu <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener noreferrer">'
                    'https://example.org/a?b=1&amp;c=2</a>.<br>Segona línia</p><p>&lt;b&gt;No&lt;/b&gt; javascript:x</p>')


async def test_bad_input_is_refused_with_what_was_typed(client, world, settings):
    await log_in(client, "anna@example.org")
    empty = await comment(client, world, "   ")
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.text and 'role="alert"' in empty.text
    too_long = "Paraules llargues " * 80
    refused = await comment(client, world, too_long, **{"comment.alignment": "against"})
    assert refused.status_code == 400
    assert too_long.strip() in refused.text and '<option value="against" selected>' in refused.text
    assert f'name="resource_id" value="{world.page.id}"' in refused.text


async def test_many_comments_in_a_short_time_are_held_back_without_losing_the_text(client, world, monkeypatch):
    from core.comments import routes

    monkeypatch.setattr(routes, "COMMENTS_PER_WINDOW", 2)
    await log_in(client, "anna@example.org")
    assert (await comment(client, world, "u")).status_code == 303
    assert (await comment(client, world, "dos")).status_code == 303
    held = await comment(client, world, "el tercer, que no es perd")
    assert held.status_code == 400 and "el tercer, que no es perd" in held.text


async def test_followers_and_the_author_answered_are_told(app, client, world, db):
    async with world.sessions() as session:
        await follow(session, world.users["carla"].id, "pages.page", world.page.id)
        await session.commit()
    first = await add_comment(app, world, "anna", "Pregunta")
    await add_comment(app, world, "biel", "Resposta", parent_id=first)
    events = (await db.scalars(select(Event).where(Event.event_type.like("comments.%")).order_by(Event.id))).all()
    assert [event.event_type for event in events] == ["comments.comment_created", "comments.comment_created",
                                                      "comments.reply_received"]
    assert events[2].recipients == [world.users["anna"].id] and events[2].resource_path == world.page_url
    assert events[0].resource_type == "pages.page" and events[0].resource_id == world.page.id

    await log_in(client, "anna@example.org")
    notifications = (await client.get("/notifications")).text
    assert "Biel replied to your comment on" in notifications
