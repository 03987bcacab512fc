"""The request context every page relies on: database session, organization, locale.

A request reaches a handler with ``request.state.db`` (one AsyncSession for the whole
request), ``request.state.organization`` (found by host name; an unknown host gets a
plain 404) and the locale set for gettext. Handlers render pages with ``render``.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias
from urllib.parse import urlencode, urlsplit

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import take_flashes
from core.i18n import LANGUAGE_NAMES, LOCALE_COOKIE, N_, current_locale, current_time_zone, negotiate
from core.models import Organization, OrganizationHost
from core.static_pages.models import StaticPage

logger = logging.getLogger("participa")
STORE_DOWN = (RedisConnectionError, RedisTimeoutError)
"""Redis (sessions, rate limits, queue) unreachable: the visitor gets 503, "try again soon"."""

# What handlers declare to receive the request context (litestar injects them by name).
DB: TypeAlias = NamedDependency[AsyncSession]
CurrentOrganization: TypeAlias = NamedDependency[Organization]


def host_of(scope: Scope) -> str:
    """The request's host name without port, lowercased ("[::1]:8000" gives "::1")."""
    host = scope_header(scope, b"host").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def organization_and_footer(session: AsyncSession,
                                  host: str) -> tuple[Organization | None, list[tuple[str, dict[str, str]]]]:
    """The organization of a host and the (slug, title) of its static pages linked in the footer.

    One query, the one every request makes anyway: the footer pages are joined to the organization's
    row (one row per page, few by nature), so every page shows them without a query of its own.
    """
    rows = (await session.execute(
        select(Organization, StaticPage.slug, StaticPage.title).join(OrganizationHost)
        .outerjoin(StaticPage, and_(StaticPage.organization_id == Organization.id,
                                    StaticPage.show_in_footer.is_(True)))
        .where(OrganizationHost.host == host)
        .order_by(StaticPage.weight, StaticPage.id)
    )).all()
    if not rows:
        return None, []
    return rows[0][0], [(slug, title) for _, slug, title in rows if slug is not None]


def scope_cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, read from its headers (for middleware, which runs before a Request exists)."""
    cookies: dict[str, str] = {}
    for header, value in scope["headers"]:
        if header == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key:
                    cookies[key] = val.strip('"')
    return cookies


def scope_header(scope: Scope, name: bytes) -> str:
    for header, value in scope["headers"]:
        if header == name:
            return value.decode("latin-1")
    return ""


def choose_locale(scope: Scope, organization: Organization | None, default: str) -> str:
    """Cookie (the language switcher), then the browser's languages, then the organization's default."""
    available = organization.available_locales if organization else list(LANGUAGE_NAMES)
    fallback = organization.default_locale if organization else default
    chosen = scope_cookies(scope).get(LOCALE_COOKIE)
    if chosen in available:
        return chosen  # type: ignore[return-value]
    return negotiate(scope_header(scope, b"accept-language"), available, fallback)


def system_host(scope: Scope, host: str, settings: Any) -> bool:
    """Whether this is the system area (core.system) on ``PARTICIPA_SYSTEM_HOST``, a host of no organization:
    only there does a request go on without an organization."""
    return (bool(settings.system_host) and host == settings.system_host.lower()
            and bool(scope["route_handler"].opt.get("system_area")))


class RequestContextMiddleware(ASGIMiddleware):
    """Opens the request's database session, finds its organization and sets its locale."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "no_request_context"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app = scope["litestar_app"]
        async with app.state.sessionmaker() as session:
            state = scope.setdefault("state", {})
            state["db"] = session
            host = host_of(scope)
            organization, footer_pages = await organization_and_footer(session, host)
            if organization is None and not system_host(scope, host, app.state.settings):
                raise NotFoundException("No organization is served at this address.")
            state["organization"] = organization
            state["footer_pages"] = footer_pages
            token = current_locale.set(choose_locale(scope, organization, app.state.settings.default_locale))
            zone_token = current_time_zone.set(organization.time_zone if organization is not None else "UTC")
            try:
                await next_app(scope, receive, send)
            finally:
                current_time_zone.reset(zone_token)
                current_locale.reset(token)


def provide_db(request: Request) -> AsyncSession:
    return request.state.db


def provide_organization(request: Request) -> Organization:
    return request.state.organization


def provide_user(request: Request) -> Any:
    return request.state.get("user")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A redirect target from a request: only a path on this same site is accepted."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def base_context(request: Request) -> dict[str, Any]:
    """Variables every page has: the organization, languages, navigation, the footer's static pages and
    plugin additions."""
    organization = getattr(request.state, "organization", None)
    registry = request.app.state.registry
    locale = current_locale.get()
    available = organization.available_locales if organization else list(LANGUAGE_NAMES)
    context: dict[str, Any] = {
        "organization": organization,
        "current_user": request.state.get("user"),
        "organization_roles": request.state.get("organization_roles", frozenset()),
        "space_roles": request.state.get("space_roles") or {},
        "unread_notifications": request.state.get("unread_notifications", 0),
        "flashes": take_flashes(request),
        "locale": locale,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in available if code in LANGUAGE_NAMES],
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "site_url": str(request.base_url).rstrip("/"),  # the host asked for, for code other sites paste (embeds)
        "nav_links": [],
        "footer_pages": request.state.get("footer_pages", []),
        "session_seconds": request.app.state.settings.session_max_age,
    }
    if organization is not None:
        for links in registry.call("menu_links", request=request, organization=organization):
            context["nav_links"].extend(links)
        for extra in registry.call("template_context", request=request, organization=organization):
            context.update(extra)
    return context


def render(request: Request, template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render a page of the current theme with the base context and the handler's variables."""
    return Template(template_name=template_name, context={**base_context(request), **context}, status_code=status_code)


ERROR_TITLES = {
    400: N_("The request could not be understood"),
    401: N_("Log in to see this page"),
    403: N_("You are not allowed to see this page"),
    404: N_("This page does not exist"),
    405: N_("This action is not available here"),
    413: N_("What you sent is too large"),
    429: N_("Too many attempts; wait a moment and try again"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is temporarily unavailable"),
}


def error_page(request: Request, exc: Exception) -> Response[Any]:
    """Errors render as pages of the theme, in the visitor's language, never as a traceback.

    Without an organization (unknown host, or an operations route) the answer is plain text.
    """
    status = exc.status_code if isinstance(exc, HTTPException) else 503 if isinstance(exc, STORE_DOWN) else 500
    if status == 401 and request.method == "GET":
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        handler = request.scope.get("route_handler")  # the system area has a login page of its own
        login = handler.opt.get("login_path", "/account/login") if handler is not None else "/account/login"
        return Redirect(f"{login}?{urlencode({'next': path})}", status_code=303)
    if isinstance(exc, STORE_DOWN):  # an outage, not a bug: one line per request, no traceback
        logger.warning("Redis (sessions, rate limits or queue) unreachable on %s: %s", request.url.path, exc)
    elif status >= 500:
        logger.error("unhandled error on %s", request.url.path, exc_info=exc)
    title = ERROR_TITLES.get(status, ERROR_TITLES[500])
    organization = request.state.get("organization")
    if organization is None:
        return Response(content=f"{status} {title}\n", status_code=status, media_type="text/plain; charset=utf-8")
    token = current_locale.set(choose_locale(request.scope, organization, request.app.state.settings.default_locale))
    try:
        context = {**base_context(request), "request": request, "status": status, "title": title}
        html = request.app.template_engine.get_template("errors/error.html").render(**context)
    finally:
        current_locale.reset(token)
    return Response(content=html, status_code=status, media_type="text/html; charset=utf-8")


@get(["/{path:path}"], name="not_found", opt={"permission": "public"}, include_in_schema=False)
async def not_found(path: FromPath[str]) -> None:
    """Any address no route claims: the organization's own 404 page (after the host was checked)."""
    raise NotFoundException()
