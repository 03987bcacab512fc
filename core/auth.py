"""Who is making the request: the logged-in user, kept in the server-side session."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import TypeAlias
from urllib.parse import urlencode

from litestar import Request
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.accounts.services import terms_pending
from core.groups.services import author_groups_column, remember_author_groups
from core.i18n import LOCALE_COOKIE, current_locale
from core.notifications.models import unread_column
from core.roles import organization_roles_column, parse_roles, parse_space_roles, space_roles_column
from core.sessions import rotate

SESSION_USER = "user_id"
SESSION_FLASH = "flash"


class UserMiddleware(ASGIMiddleware):
    """Loads the session's user and organization roles (only when someone is logged in) into the state.

    A user of another organization, or a blocked one, is logged out at once.
    """

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "no_request_context"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        session = scope.get("session") or {}
        user, roles, spaces, unread = None, None, None, 0
        user_id = session.get(SESSION_USER) if isinstance(session, dict) else None
        if user_id is not None:
            # What every page needs of a person comes in one query: their picture, their roles (the
            # admin link, the permission checks), their unread notifications (the account menu) and the
            # groups they may write on behalf of (the comment form, the endorsement buttons).
            row = (await state["db"].execute(
                select(User, organization_roles_column(User.id, User.organization_id), space_roles_column(User.id),
                       unread_column(User.id), author_groups_column(User.id, User.organization_id))
                .options(joinedload(User.avatar)).where(User.id == user_id)
            )).first()
            user, roles, spaces, unread, groups = row if row is not None else (None, None, None, 0, None)
            if user is not None:
                remember_author_groups(state["db"], user, groups)
            if (user is None or user.organization_id != state["organization"].id or user.blocked_at is not None
                    or user.deleted_at is not None):
                user = None
                scope["session"] = {}
        state["user"] = user
        state["organization_roles"] = parse_roles(roles) if user else frozenset()
        state["space_roles"] = parse_space_roles(spaces) if user else {}
        state["unread_notifications"] = unread if user else 0
        if user is not None and not chose_locale(scope) and user.locale in state["organization"].available_locales:
            current_locale.set(user.locale)  # their preference, unless they chose with the switcher
        if terms_pending(state["organization"], user) and not scope["route_handler"].opt.get("terms_exempt"):
            # New terms are in force: accept them before anything else (before any form is filled).
            target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            location = "/account/terms?" + urlencode({"next": target})
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await next_app(scope, receive, send)


def chose_locale(scope: Scope) -> bool:
    """Whether the language switcher's cookie came with the request."""
    for name, value in scope["headers"]:
        if name == b"cookie" and LOCALE_COOKIE in SimpleCookie(value.decode("latin-1")):
            return True
    return False


def log_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new session id, nothing kept from before but messages)."""
    session = request.scope.get("session")
    flashes = session.get(SESSION_FLASH, []) if isinstance(session, dict) else []
    request.set_session({SESSION_USER: user.id, **({SESSION_FLASH: flashes} if flashes else {})})
    rotate(request)
    request.state.user = user


def log_out(request: Request) -> None:
    """End the session; whatever is kept after (a message) lives under a new id."""
    request.clear_session()
    rotate(request)
    request.state.user = None


def flash(request: Request, message: str) -> None:
    """A message shown once, on the next page this person sees (translated already)."""
    session = request.scope.get("session")
    session = dict(session) if isinstance(session, dict) else {}  # also right after a logout cleared it
    session[SESSION_FLASH] = [*session.get(SESSION_FLASH, []), message]
    request.set_session(session)


def take_flashes(request: Request) -> list[str]:
    session = request.scope.get("session")
    if not isinstance(session, dict) or SESSION_FLASH not in session:
        return []
    messages = session.pop(SESSION_FLASH)
    return messages


CurrentUser: TypeAlias = NamedDependency[User | None]
"""What a handler declares to receive the logged-in person (None for a visitor)."""
