"""Pages kept for anonymous visitors (core.page_cache): served again without rendering, never to the wrong person."""

from __future__ import annotations

import asyncio
import re

import httpx
from litestar import Litestar, Request, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.response import Response
from litestar.testing import AsyncTestClient
from litestar.utils.scope.state import ScopeState
from sqlalchemy import select, update

from core import page_cache
from core.page_cache import PageCache, PageCacheMiddleware
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.plugins.proposals.test_proposals import BASE, demo_component
from tests.test_accounts import make_user
from tests.test_admin import log_in

TITLES = re.compile(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a>')


def expire(cache: PageCache) -> None:
    """Make every kept page as old as the cache lets pages get."""
    for page in cache.pages.values():
        page.stored -= cache.seconds


# ------------------------------------------------------------------------------------ on the proposals pages

async def test_an_anonymous_visitor_gets_the_kept_page_without_a_query_until_something_changes(
        client, demo, db, count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/?order=recent"
    first = await client.get(url)  # sets the visitor's cookies (CSRF, seed): not kept
    second = await client.get(url)
    assert first.status_code == second.status_code == 200 and "age" not in second.headers
    with count_queries(rendered=False) as counter:
        kept = await client.get(url)
    assert kept.status_code == 200 and counter.count == 0 and kept.headers["age"] == "0"
    assert kept.text == second.text and kept.headers["content-security-policy"] == second.headers[
        "content-security-policy"]

    newest = await db.scalar(select(Proposal).where(Proposal.component_id == component.id,
                                                    Proposal.state == "published").order_by(Proposal.id.desc()))
    await db.execute(update(Proposal).where(Proposal.id == newest.id).values(title="Un banc nou al parc"))
    await db.commit()
    with count_queries(rendered=False) as counter:
        changed = await client.get(url)
    assert counter.count > 0 and "age" not in changed.headers
    assert "Un banc nou al parc" in changed.text


async def test_a_kept_page_is_rendered_again_once_it_is_older_than_the_setting(client, app, demo, db, count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/?order=recent"
    for _ in range(2):
        await client.get(url)
    with count_queries(rendered=False) as counter:
        await client.get(url)
    assert counter.count == 0
    expire(app.state.page_cache)
    with count_queries(rendered=False) as counter:
        again = await client.get(url)
    assert again.status_code == 200 and counter.count > 0 and "age" not in again.headers


async def test_logged_in_people_never_get_a_kept_page_nor_leave_theirs(client, demo, db, count_queries):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/{(await first_published(db, component.id))}"
    for _ in range(2):
        await client.get(url)
    await make_user(db, demo, email="veina@example.org", nickname="veina", name="Veïna Lluïsa")
    await log_in(client, "veina@example.org")
    for _ in range(2):
        with count_queries(rendered=False) as counter:
            mine = await client.get(url)
        assert counter.count > 0 and "age" not in mine.headers and "Veïna Lluïsa" in mine.text

    client.cookies.clear()  # somebody else, not logged in, at the same computer
    for _ in range(3):
        theirs = await client.get(url)
    assert theirs.status_code == 200 and "Veïna Lluïsa" not in theirs.text and "/account/login" in theirs.text
    assert theirs.headers["age"] == "0"


async def test_pages_are_kept_per_organization_and_per_language(client, demo, db):
    component = await demo_component(db)
    await other_organization(db)
    await db.commit()
    url = f"{BASE}/{component.id}/?order=recent"
    for _ in range(3):
        catalan = await client.get(url, headers={"accept-language": "ca"})
    assert catalan.headers["age"] == "0" and '<html lang="ca"' in catalan.text
    spanish = await client.get(url, headers={"accept-language": "es"})
    assert "age" not in spanish.headers and '<html lang="es"' in spanish.text
    await client.get("/locale/en", params={"next": "/"})  # the language switcher wins over the browser's
    english = await client.get(url, headers={"accept-language": "ca"})
    assert "age" not in english.headers and '<html lang="en"' in english.text

    # Another municipality at the same address: its own answer (it has no such component), never the page kept.
    for _ in range(3):
        answer = await client.get(f"http://{OTHER_HOST}{url}")
    assert answer.status_code == 404 and "age" not in answer.headers and "Altra Vila" in answer.text


async def test_each_visitor_keeps_their_own_random_order(client, demo, db):
    component = await demo_component(db)
    url = f"{BASE}/{component.id}/"

    async def order(seed: int) -> list[str]:
        return TITLES.findall((await client.get(url, params={"seed": seed})).text)

    first = await order(11)
    other = 11
    while other < 999_999 and await order(other) == first:  # a seed that starts elsewhere in the shuffle
        other += 49_999
    orders = {}
    for seed in ("11", str(other)):
        client.cookies.clear()  # another visitor
        client.cookies.set("proposals_seed", seed)
        pages = [await client.get(url) for _ in range(3)]
        assert "set-cookie" not in pages[-1].headers and pages[-1].headers["age"] == "0"
        explicit = await client.get(url, params={"seed": seed})
        orders[seed] = TITLES.findall(pages[-1].text)
        assert orders[seed] == TITLES.findall(explicit.text) and len(orders[seed]) > 3
    assert orders["11"] != orders[str(other)]

    # In another order the seed is in no link: one page for every visitor, whatever their seed.
    recent = []
    for seed in ("11", str(other)):
        client.cookies.clear()
        client.cookies.set("proposals_seed", seed)
        await client.get("/locale/ca", params={"next": "/"})  # takes the CSRF cookie
        recent.append(await client.get(url, params={"order": "recent"}))
    assert "set-cookie" not in recent[0].headers and "age" not in recent[0].headers
    assert recent[1].headers["age"] == "0" and recent[1].text == recent[0].text


async def first_published(db, component_id: int) -> int:
    return await db.scalar(select(Proposal.id).where(Proposal.component_id == component_id,
                                                     Proposal.state == "published").order_by(Proposal.id))


# ------------------------------------------------------------------------------------ the middleware alone

def small_app(calls: list[str], seconds: float = 10) -> Litestar:
    """An application with a few cached routes that count how often they are rendered."""
    cached = {"page_cache": True}

    @get("/page", opt=cached, media_type="text/html")
    async def page() -> str:
        calls.append("page")
        await asyncio.sleep(0.05)  # long enough for the other requests to arrive meanwhile
        return f"<p>page {len(calls)}</p>"

    @get("/form", opt=cached, media_type="text/html")
    async def form(request: Request) -> str:
        calls.append("form")
        return f'<form><input name="_csrf_token" value="{ScopeState.from_scope(request.scope).csrf_token}"></form>'

    @get("/cookie", opt=cached, media_type="text/html")
    async def cookie() -> Response[str]:
        calls.append("cookie")
        response = Response("<p>cookie</p>", media_type="text/html")
        response.set_cookie("choice", "a")
        return response

    @get("/large", opt=cached, media_type="text/html")
    async def large() -> str:
        calls.append("large")
        return "x" * (page_cache.MAX_BODY + 1)

    @get("/plain", media_type="text/html")
    async def plain() -> str:
        calls.append("plain")
        return "<p>not opted in</p>"

    return Litestar([page, form, cookie, large, plain], middleware=[PageCacheMiddleware()],
                    csrf_config=CSRFConfig(secret="s" * 40), state=State({"page_cache": PageCache(seconds, 100, "session")}))


async def test_only_pages_that_are_the_same_for_every_anonymous_visitor_are_kept():
    calls: list[str] = []
    async with AsyncTestClient(app=small_app(calls)) as client:
        await client.get("/plain")  # takes the CSRF cookie
        for path in ("/form", "/cookie", "/large", "/plain", "/page"):
            for _ in range(3):
                assert (await client.get(path)).status_code == 200
        # A form with this visitor's token, a cookie, a large page and a page not opted in: rendered each time.
        assert calls.count("form") == calls.count("cookie") == calls.count("large") == 3
        assert calls.count("plain") == 4 and calls.count("page") == 1

        client.cookies.set("session", "abc")
        for _ in range(2):
            assert (await client.get("/page")).text.startswith("<p>page")
        assert calls.count("page") == 3


async def test_simultaneous_visitors_wait_for_one_rendering_and_take_the_old_page_while_it_is_renewed():
    calls: list[str] = []
    app = small_app(calls)
    # httpx's ASGI transport runs each request as its own task, so that they overlap as on a server.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        await client.get("/plain")
        answers = await asyncio.gather(*(client.get("/page") for _ in range(8)))
        assert calls.count("page") == 1 and {answer.text for answer in answers} == {"<p>page 2</p>"}

        expire(app.state.page_cache)
        answers = await asyncio.gather(*(client.get("/page") for _ in range(8)))
        assert calls.count("page") == 2
        # One renewed it; the others were given the page it replaced, rather than rendering it again.
        assert sorted(answer.text for answer in answers).count("<p>page 2</p>") == 7
        assert (await client.get("/page")).text == "<p>page 3</p>"

        page_cache.invalidate()  # a write: the old page may no longer be shown to anyone
        answers = await asyncio.gather(*(client.get("/page") for _ in range(8)))
        assert calls.count("page") == 3 and {answer.text for answer in answers} == {"<p>page 4</p>"}


async def test_off_when_the_setting_is_zero():
    calls: list[str] = []
    async with AsyncTestClient(app=small_app(calls, seconds=0)) as client:
        await client.get("/plain")
        for _ in range(3):
            await client.get("/page")
    assert calls.count("page") == 3
