"""Server-side sessions in the shared store, written only when there is something to keep.

Litestar's stock backend stores an empty session for every anonymous visit; on a
public site that is one write per page view for nothing. Here an anonymous visitor
gets no session at all, and an unchanged session is not written again (the store
renews its expiry when it is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

LOADED = "participa_session_loaded"
ROTATE = "participa_rotate_session"


def rotate(connection: ASGIConnection) -> None:
    """Give the session a new id when this response is sent (after a login: no session fixation)."""
    connection.scope[ROTATE] = True  # type: ignore[literal-required]


class SessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if session_id := connection.cookies.get(self.config.key):
            raw = await self.get(session_id, store=self.config.get_store_from_app(connection.scope["app"]))
            if raw is not None:
                data = self.deserialize_data(raw)
        connection.scope[LOADED] = data.copy()  # type: ignore[literal-required]
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        if connection.scope.get(ROTATE):
            return self.generate_session_id()
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        had_cookie = self.config.key in connection.cookies
        if connection.scope.get(ROTATE) and had_cookie:
            await self.delete(connection.cookies[self.config.key], store=self.config.get_store_from_app(connection.scope["app"]))
        if not scope_session and not had_cookie:
            return
        if scope_session and had_cookie and scope_session == connection.scope.get(LOADED) and not connection.scope.get(ROTATE):
            # Unchanged: only refresh the cookie's lifetime.
            params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
            MutableScopeHeaders.from_message(message).add(
                "Set-Cookie",
                Cookie(value=connection.cookies[self.config.key], key=self.config.key, **params).to_header(header=""),
            )
            return
        await super().store_in_message(scope_session if scope_session else Empty, message, connection)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend  # type: ignore[assignment]
