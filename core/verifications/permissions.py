"""Who may manage verifications, and the check a component's action makes before it runs.

``require_authorization(request, component, action)`` is what a plugin's route calls for an action
that admins may make depend on verifications (proposals: ``create`` and ``support``). It asks
``services.authorization`` and, when a required verification is missing, raises
``AuthorizationRequired``: a 403 whose page says what is missing and links to where to verify.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from core.models import Component
from core.permissions import Actor, Rule
from core.verifications import services
from core.web import safe_next


def _staff(actor: Actor, _resource: object) -> bool:
    return bool(actor.roles.organization & {"admin", "user_manager"})


RULES = {
    # Census uploads, identity documents to review, and the municipal desk: people's business.
    "verifications.review": Rule(_staff),
    "verifications.act_on_behalf": Rule(_staff),
    # Taking a verification back, and reading who acted on behalf of whom: administrators only.
    "verifications.revoke": Rule(lambda actor, _: actor.organization_admin),
    "verifications.read_sessions": Rule(lambda actor, _: actor.organization_admin),
}


class AuthorizationRequired(PermissionDeniedException):
    """The action needs verifications this person does not have (yet)."""

    def __init__(self, authorization: services.Authorization, back: str) -> None:
        super().__init__()
        self.authorization = authorization
        self.back = back


async def require_authorization(request: Request, component: Component, action: str,
                                back: str | None = None) -> None:
    """Stop the request with AuthorizationRequired unless the actor has every verification the
    component's ``action`` requires. ``back`` is where to return after verifying (default: the page
    the request came from, if on this site)."""
    result = await services.authorization(request.state.db, request.app.state.registry, request.state.get("user"),
                                          component, action)
    if not result.ok:
        referer = request.headers.get("referer", "")
        base = str(request.base_url).rstrip("/")
        fallback = referer[len(base):] if referer.startswith(base + "/") else "/"
        raise AuthorizationRequired(result, safe_next(back, safe_next(fallback)))


def describe(request: Any, authorization: services.Authorization) -> list[dict[str, Any]]:
    """What the refusal page lists: each missing verification's message and where to get it."""
    gettext = request.app.state.catalogs.gettext
    items = []
    for missing in authorization.missing:
        variables = {key: gettext(value) if key == "handler" else value for key, value in missing.variables.items()}
        items.append({"message": gettext(missing.message, **variables),
                      "title": gettext(missing.handler.title) if missing.handler else missing.handler_name,
                      "verify_path": missing.handler.verify_path if missing.handler else None})
    return items
