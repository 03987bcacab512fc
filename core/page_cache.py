"""A short-lived cache of whole pages for anonymous visitors (a "micro-cache").

Most visits to a busy list or page come from people who are not logged in, and for them the page
is the same from one request to the next. A route handler opts in with ``opt={"page_cache": True}``;
its ``200`` answers to anonymous ``GET`` requests are then kept in the app process for
``page_cache_seconds`` and served again without opening a database session, finding the
organization or rendering a template.

What makes it safe:

- Only anonymous requests: a request with a session cookie (logged in, or carrying a message or a
  form kept for the next page) is never served from the cache and never stored.
- The key is everything an anonymous page depends on: scheme, host (so the organization), path, query
  string, the language switcher's cookie and ``Accept-Language``, and the cookies the handler said
  it read (``vary``; the proposals list's seed of the random order).
- An answer is not kept when it sets a cookie, carries the visitor's CSRF token, is not a ``200``,
  or is larger than ``MAX_BODY``.
- Any write to the database from this process (an ``INSERT``, ``UPDATE`` or ``DELETE`` on an engine of
  ``core.db.make_engine``, at once and again at its commit) drops every kept page, so whoever
  changes something sees it at once, logged in or not. Writes from other app processes and the
  passing of time (a phase that opens at ten) show after at most ``page_cache_seconds``.

Permission checks run as route guards, after this middleware. A kept page was allowed to an
anonymous request with the same key, and anonymous requests carry no identity, so the decision
would be the same; a change of permissions is a write, which drops the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.i18n import LOCALE_COOKIE
from core.web import scope_cookies, scope_header

CSRF_COOKIE = "csrftoken"
MAX_BODY = 256 * 1024
WAIT = 10.0
"""Seconds a request waits for another one rendering the same page before it renders the page itself."""
VARY_STATE = "page_cache_vary"
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)

_generation = 0
"""Bumped by every write to the database from this process; a page kept under another value is stale."""


def generation() -> int:
    return _generation


def invalidate() -> None:
    """Drop every kept page of this process (a write happened)."""
    global _generation
    _generation += 1


def watch_writes(engine: AsyncEngine) -> None:
    """Drop kept pages whenever ``engine`` writes, and again when that write commits (an anonymous
    page rendered in between read the old rows and was kept under the new generation)."""

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if WRITE.match(statement):
            conn.info["page_cache_wrote"] = True
            invalidate()

    def committed(conn: Any) -> None:
        if conn.info.pop("page_cache_wrote", False):
            invalidate()

    def rolled_back(conn: Any) -> None:
        conn.info.pop("page_cache_wrote", None)

    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    event.listen(engine.sync_engine, "commit", committed)
    event.listen(engine.sync_engine, "rollback", rolled_back)


def vary(request: Request, cookie: str) -> None:
    """Tell the cache that this page depends on ``cookie`` (the handler read it)."""
    request.scope.setdefault("state", {}).setdefault(VARY_STATE, []).append(cookie)


@dataclass(slots=True)
class Page:
    stored: float
    generation: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCache:
    """Kept pages of one app process, least recently used first out."""

    def __init__(self, seconds: float, entries: int, session_cookie: str) -> None:
        self.seconds = seconds
        self.entries = entries
        self.session_cookie = session_cookie
        self.pages: OrderedDict[tuple, Page] = OrderedDict()
        self.varies: dict[tuple, tuple[str, ...]] = {}
        """Per base key, the cookies its page said it depends on (learnt from the last answer kept)."""
        self.rendering: dict[tuple, asyncio.Event] = {}
        """Keys whose page a request is rendering now; the others wait for it or take the one it replaces."""

    @property
    def enabled(self) -> bool:
        return self.seconds > 0 and self.entries > 0

    def usable(self, key: tuple) -> tuple[Page | None, bool]:
        """The page kept under ``key`` if no write happened since, and whether it is still fresh."""
        page = self.pages.get(key)
        if page is None or page.generation != _generation:
            return None, False
        self.pages.move_to_end(key)
        return page, time.monotonic() - page.stored < self.seconds

    def put(self, key: tuple, page: Page) -> None:
        self.pages[key] = page
        self.pages.move_to_end(key)
        while len(self.pages) > self.entries:
            self.pages.popitem(last=False)

    def learn(self, base: tuple, names: tuple[str, ...]) -> None:
        if not names:
            self.varies.pop(base, None)
            return
        if len(self.varies) >= 4 * self.entries:  # bounded, whatever query strings visitors make up
            self.varies.clear()
        self.varies[base] = names

    def clear(self) -> None:
        self.pages.clear()
        self.varies.clear()


def _full_key(base: tuple, names: Iterable[str], cookies: dict[str, str]) -> tuple:
    return (*base, tuple((name, cookies.get(name)) for name in names))


async def _serve(page: Page, send: Send) -> None:
    age = str(int(time.monotonic() - page.stored)).encode()
    await send({"type": "http.response.start", "status": page.status, "headers": [*page.headers, (b"age", age)]})
    await send({"type": "http.response.body", "body": page.body})


class PageCacheMiddleware(ASGIMiddleware):
    """Serves and keeps the pages of handlers with ``opt={"page_cache": True}`` for anonymous GETs."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cache: PageCache | None = getattr(scope["litestar_app"].state, "page_cache", None)
        if (cache is None or not cache.enabled or scope["method"] != "GET"
                or not scope["route_handler"].opt.get("page_cache")):
            await next_app(scope, receive, send)
            return
        cookies = scope_cookies(scope)
        if cache.session_cookie in cookies:
            await next_app(scope, receive, send)
            return
        base = (scope.get("scheme", "http"), scope_header(scope, b"host").lower(), scope["path"], scope["query_string"],
                cookies.get(LOCALE_COOKIE), scope_header(scope, b"accept-language"))
        key = _full_key(base, cache.varies.get(base, ()), cookies)
        page, fresh = cache.usable(key)
        rendering = cache.rendering.get(key)
        if page is not None and (fresh or rendering is not None):
            # Fresh, or just expired while another request renders it again: no change was written since
            # it was rendered, so it is at most a render's time older than a fresh one.
            await _serve(page, send)
            return
        if rendering is not None:
            # Another request is rendering this very page (the first visits after a change): wait for it
            # rather than render it once more, then take it if it was kept.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rendering.wait(), timeout=WAIT)
            page, fresh = cache.usable(key)
            if page is not None:
                await _serve(page, send)
                return
        await self.render(cache, scope, receive, send, next_app, base, key, cookies)

    async def render(self, cache: PageCache, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp,
                     base: tuple, key: tuple, cookies: dict[str, str]) -> None:
        done = cache.rendering.setdefault(key, asyncio.Event())
        started = _generation
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        keep = True

        async def keeping(message: Message) -> None:
            nonlocal keep
            if message["type"] == "http.response.start":
                start.update(message)
                keep = message["status"] == 200 and not any(
                    name.lower() == b"set-cookie" for name, _ in message.get("headers", []))
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                keep = sum(map(len, chunks)) <= MAX_BODY
            await send(message)

        try:
            await next_app(scope, receive, keeping)
            body = b"".join(chunks)
            token = cookies.get(CSRF_COOKIE)
            # Not kept: a change was written meanwhile, or a form carries this visitor's CSRF token.
            if keep and start and started == _generation and not (token and token.encode("latin-1") in body):
                names = tuple(dict.fromkeys(scope.get("state", {}).get(VARY_STATE, ())))
                cache.learn(base, names)
                cache.put(_full_key(base, names, cookies),
                          Page(time.monotonic(), started, start["status"], list(start.get("headers", [])), body))
        finally:
            if cache.rendering.get(key) is done:
                del cache.rendering[key]
            done.set()
