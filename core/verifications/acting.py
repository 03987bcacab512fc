"""While staff act on behalf of a managed participant, the request is the participant's.

``ActingMiddleware`` runs right after ``core.auth.UserMiddleware``: when the logged-in staff member's
session names an open ``ManagedSession`` (one query, only then), it puts the participant in
``request.state.user`` with no roles, so every permission check, every page and everything done (a
support, a proposal) is the participant's, and keeps the staff member in ``request.state.acting``
for the banner every page shows. A session that has ended or expired is dropped from the cookie
session with a message; the staff member is themselves again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.accounts.models import User
from core.auth import SESSION_FLASH
from core.i18n import N_
from core.verifications.managed import open_session

SESSION_ACTING = "acting_session_id"


@dataclass(frozen=True)
class Acting:
    """Who is acting for whom, for the banner and for ending the session."""

    session_id: int
    staff: User
    participant: User
    expires_at: datetime


class ActingMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "no_request_context"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        session = scope.get("session")
        staff = state.get("user")
        acting_id = session.get(SESSION_ACTING) if isinstance(session, dict) else None
        if staff is not None and acting_id is not None:
            managed_session = await open_session(state["db"], state["organization"].id, staff.id, acting_id)
            if managed_session is None:
                catalogs = scope["litestar_app"].state.catalogs
                remaining = {key: value for key, value in session.items() if key != SESSION_ACTING}
                remaining[SESSION_FLASH] = [*remaining.get(SESSION_FLASH, []), catalogs.gettext(
                    N_("The session on behalf of another person has ended."))]
                scope["session"] = remaining
            else:
                participant = managed_session.participant
                state["acting"] = Acting(managed_session.id, staff, participant, managed_session.expires_at)
                state["user"] = participant
                state["organization_roles"] = frozenset()
                state["space_roles"] = {}
                state["unread_notifications"] = 0
        await next_app(scope, receive, send)


def template_context(request: Any) -> dict[str, Any]:
    """``acting`` for the banner of base.html (read from the request's state: no query)."""
    return {"acting": request.state.get("acting")}
