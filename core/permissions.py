"""One answer to "may this person do this action here?", for every route and every service.

An action is a name ("public", "organization.admin", "space.moderate", "proposals.support")
bound to a rule: a function of the actor and, for some actions, the thing acted on. Core
registers its rules through the ``register_permissions`` hook like any plugin. Every route
names its action in ``opt["permission"]``; ``permission_guard`` checks it before the handler
runs, and services check finer rules with ``allowed``/``require`` on the object itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select

from core.accounts.models import User
from core.models import Organization, Space
from core.roles import Roles, space_roles


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (or nobody) in an organization, with their roles."""

    user: User | None
    organization: Organization | None
    roles: Roles
    system_admin: Any = None
    """The install's administrator of a /system session (core.system); never set on an organization's pages."""

    @property
    def organization_admin(self) -> bool:
        return "admin" in self.roles.organization


@dataclass(frozen=True)
class Rule:
    """``check(actor, resource)``; ``resource`` names what the route guard loads first ("space")."""

    check: Callable[[Actor, Any], bool]
    resource: str | None = None


def _space_roles(actor: Actor, space: Space, *wanted: str) -> bool:
    return actor.organization_admin or bool(actor.roles.in_space(space.id) & set(wanted))


CORE_RULES: dict[str, Rule] = {
    "public": Rule(lambda actor, _: True),
    "authenticated": Rule(lambda actor, _: actor.user is not None),
    "organization.admin": Rule(lambda actor, _: actor.organization_admin),
    "organization.manage_users": Rule(
        lambda actor, _: bool(actor.roles.organization & {"admin", "user_manager"})
    ),
    "space.admin": Rule(lambda actor, space: _space_roles(actor, space, "admin"), resource="space"),
    "space.moderate": Rule(lambda actor, space: _space_roles(actor, space, "admin", "moderator"), resource="space"),
    "space.collaborate": Rule(
        lambda actor, space: _space_roles(actor, space, "admin", "collaborator"), resource="space"
    ),
    "space.valuate": Rule(lambda actor, space: _space_roles(actor, space, "admin", "valuator"), resource="space"),
    # Checked by core.uploads on the file itself: a public one for anybody, a private one for its owner.
    "upload.read": Rule(lambda actor, upload: actor.organization is not None
                        and upload.organization_id == actor.organization.id
                        and (not upload.private or (actor.user is not None and upload.owner_user_id == actor.user.id))),
}


async def actor_of(connection: ASGIConnection) -> Actor:
    """The request's actor; roles are loaded once, and only for a logged-in person."""
    state = connection.state
    actor = state.get("actor")
    if actor is None:
        user = state.get("user")
        organization = state.get("organization")
        if user is None or organization is None:
            roles = Roles()
        elif "space_roles" in state:  # loaded with the user (core.auth)
            roles = Roles(state.organization_roles, state.space_roles)
        else:
            roles = Roles(state.organization_roles, await space_roles(state.db, user.id))
        actor = Actor(user=user, organization=organization, roles=roles, system_admin=state.get("system_admin"))
        state.actor = actor
    return actor


def allowed(rules: dict[str, Rule], actor: Actor, action: str, resource: Any = None) -> bool:
    rule = rules.get(action)
    if rule is None:
        raise KeyError(f"no permission rule for action {action!r}")
    return bool(rule.check(actor, resource))


async def require(connection: ASGIConnection, action: str, resource: Any = None) -> Actor:
    """Stop the request unless the actor may do ``action``: 401 for nobody, 403 for somebody."""
    actor = await actor_of(connection)
    if not allowed(connection.app.state.registry.permissions, actor, action, resource):
        if actor.user is None:
            raise NotAuthorizedException()
        raise PermissionDeniedException()
    return actor


async def _route_resource(connection: ASGIConnection, handler: BaseRouteHandler, kind: str) -> Any:
    if kind == "space":
        # Public pages name a space by type and slug; admin pages by id. Either way, in this organization.
        condition = [Space.organization_id == connection.state.organization.id]
        if "space_id" in connection.path_params:
            condition.append(Space.id == connection.path_params["space_id"])
        else:
            condition += [Space.space_type == handler.opt.get("space_type"),
                          Space.slug == connection.path_params.get("space_slug")]
        space = await connection.state.db.scalar(select(Space).where(*condition))
        if space is None:
            raise NotFoundException()
        connection.state.space = space
        return space
    raise KeyError(f"the route guard cannot load a {kind!r}")


async def permission_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Applied to every route: check the action the route declares in ``opt["permission"]``."""
    if handler.opt.get("no_request_context") or handler.opt["permission"] == "public":
        return  # everyone may: no need to know who asks (operations routes, static files, public pages)
    rule = connection.app.state.registry.permissions[handler.opt["permission"]]
    resource = await _route_resource(connection, handler, rule.resource) if rule.resource else None
    await require(connection, handler.opt["permission"], resource)
