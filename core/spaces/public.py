"""Space pages and the mounting of component routes inside spaces.

Each space type gets a list at ``/<url_prefix>`` and a page at ``/<url_prefix>/<slug>``; each
component type's public routes are mounted at ``/<url_prefix>/<slug>/<component type>/<component id>``
with the ``space`` and ``component`` already loaded (one query) and checked: they belong to this
organization, are of this type and are published. A space's admins also see it, and its
components, before they are published (a preview) and while it is private.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from core.areas import services as area_services
from core.areas.models import Area
from core.follows import is_following
from core.models import Component, Organization, Space
from core.permissions import actor_of, allowed
from core.process_groups.services import group_of_process, groups_for_listing
from core.scopes import services as scope_services
from core.scopes.models import Scope
from core.spaces.schemas import POSITIONS
from core.spaces.services import detail_items, is_member, members_of
from core.web import DB, CurrentOrganization, render

PER_PAGE = 20


def _visible_to_everyone() -> list[Any]:
    return [Space.published.is_(True), Space.private.is_(False)]


async def _may_preview(request: Request, space: Space) -> bool:
    """Whether this person sees the space (and its components) unpublished or private: its admins do."""
    if request.state.get("user") is None:
        return False
    actor = await actor_of(request)
    if allowed(request.app.state.registry.permissions, actor, "space.admin", space):
        return True
    if not (space.private and space.published):
        return False
    return bool(actor.roles.in_space(space.id)) or await is_member(request.state.db, space, actor.user)


async def published_space(session: AsyncSession, organization: Organization, space_type: str, slug: str) -> Space:
    """A published, public space of this organization, with its published components; else 404."""
    space = await session.scalar(
        select(Space)
        .where(Space.organization_id == organization.id, Space.space_type == space_type, Space.slug == slug,
               *_visible_to_everyone())
        .options(selectinload(Space.components))
    )
    if space is None:
        raise NotFoundException()
    return space


async def _space_for(request: Request, session: AsyncSession, organization: Organization, space_type: str,
                     slug: str) -> tuple[Space, bool]:
    """The space with its phases and components, and whether the page is a preview; else 404."""
    space = await session.scalar(
        select(Space)
        .where(Space.organization_id == organization.id, Space.space_type == space_type, Space.slug == slug)
        .options(selectinload(Space.components), selectinload(Space.phases), selectinload(Space.hero))
    )
    if space is None:
        raise NotFoundException()
    if space.published and not space.private:
        return space, False
    if await _may_preview(request, space):
        return space, True
    raise NotFoundException()


def _component_provider(space_type: str, component_type: str) -> Callable[..., Any]:
    async def provide_component(
        request: Request, db: DB, organization: CurrentOrganization, space_slug: FromPath[str],
        component_id: FromPath[int],
    ) -> Component:
        checks = [Component.id == component_id, Component.component_type == component_type,
                  Space.organization_id == organization.id, Space.space_type == space_type, Space.slug == space_slug]
        component = await db.scalar(
            select(Component).join(Component.space)
            .where(*checks, Component.published.is_(True), *_visible_to_everyone())
            .options(contains_eager(Component.space))
        )
        if component is None:
            # Only a 404 costs the second look: is this an admin previewing a draft?
            component = await db.scalar(
                select(Component).join(Component.space).where(*checks, Component.archived_at.is_(None))
                .options(contains_eager(Component.space))
            )
            if component is None or not await _may_preview(request, component.space):
                raise NotFoundException()
        return component

    return provide_component


def _space_list(space_type: Any) -> Any:
    @get("/", name=f"spaces:{space_type.name}", opt={"permission": "public"})
    async def space_list(request: Request, db: DB, organization: CurrentOrganization,
                         page: FromQuery[int] = 1) -> Template:
        condition = [Space.organization_id == organization.id, Space.space_type == space_type.name,
                     *_visible_to_everyone()]
        # A scope of this organization and the scopes inside it (a district with its neighbourhoods); any
        # other value filters nothing. Read by hand: Litestar keeps the parameter name "scope" for the ASGI scope.
        scopes = await scope_services.scopes_of(db, organization)
        chosen = scope_services.pick(scopes, request.query_params.get("scope"))
        if chosen is not None:
            condition.append(Space.scope_id.in_(scope_services.within(scopes, chosen.id)))
        # An area of this organization, picked from an allow-list of ids; any other value filters nothing.
        areas = await area_services.areas_of(db, organization)
        area = area_services.pick(areas, request.query_params.get("area"))
        if area is not None:
            condition.append(Space.area_id == area.id)
        total = await db.scalar(select(func.count(Space.id)).where(*condition)) or 0
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        spaces = (await db.scalars(
            select(Space).where(*condition).options(selectinload(Space.active_phase))
            .order_by(Space.promoted.desc(), Space.start_date.desc().nulls_last(), Space.id.desc())
            .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        )).all()
        # Process groups lead the first page of the processes (core.process_groups), in one query.
        groups = await groups_for_listing(db, organization) if space_type.name == "process" and page == 1 else []
        return render(request, "spaces/list.html", spaces=spaces, space_type=space_type, page=page, pages=pages,
                      total=total, process_groups=groups, scope_choices=scope_services.choices(scopes, "")[1:],
                      scope=chosen, scopes={each.id: each for each in scopes},
                      area_choices=area_services.choices(areas, "")[1:], area=area,
                      areas={each.id: each for each in areas})

    return space_list


def _space_page(space_type: str) -> Any:
    @get("/", name=f"space:{space_type}", opt={"permission": "public"})
    async def space_page(
        request: Request, db: DB, organization: CurrentOrganization, space_slug: FromPath[str]
    ) -> Template:
        space, preview = await _space_for(request, db, organization, space_type, space_slug)
        registry = request.app.state.registry
        prefix = registry.space_types[space_type].url_prefix
        components = [
            (component, f"/{prefix}/{space.slug}/{component.component_type}/{component.id}")
            for component in space.components
            if (component.published or preview) and component.archived_at is None
            and component.component_type in registry.component_types
        ]
        may_administer = request.state.get("user") is not None and allowed(
            registry.permissions, await actor_of(request), "space.admin", space)
        following = await is_following(db, request.state.get("user"), "space", space.id)  # none for visitors
        kind = registry.space_types[space_type]
        related: dict[str, Any] = {}
        if kind.members:
            related = {
                "members": await members_of(db, space),
                "children": (await db.scalars(select(Space).where(
                    Space.parent_id == space.id, Space.organization_id == organization.id, *_visible_to_everyone(),
                ).order_by(Space.id))).all(),
                "parent": await db.scalar(select(Space).where(Space.id == space.parent_id, *_visible_to_everyone()))
                if space.parent_id else None,
            }
        from core.attachments.services import files_of  # imported here: core.attachments imports this module

        files = await files_of(db, organization.id, "space", space.id)  # its documents and gallery
        return render(request, "spaces/space.html", space=space, space_type=kind, components=components, files=files,
                      phases=space.phases if kind.phases else [], preview=preview, may_administer=may_administer,
                      following=following, details=detail_items(registry, space), positions=POSITIONS,
                      process_group=await group_of_process(db, space), **related,
                      scope=await db.get(Scope, space.scope_id) if space.scope_id else None,
                      area=await db.get(Area, space.area_id) if space.area_id else None)

    return space_page


CurrentComponent: TypeAlias = NamedDependency[Component]
"""What a component type's handler declares to receive its (checked) component, space loaded."""


def component_url(registry: Any, component: Component) -> str:
    """The public address of a component (its space must be loaded)."""
    prefix = registry.space_types[component.space.space_type].url_prefix
    return f"/{prefix}/{component.space.slug}/{component.component_type}/{component.id}"


def routers(registry: Any) -> list[Router]:
    """Per space type: its list, its page, its own routes and every component type's routes."""
    from core.activity.feeds import space_routes as feed_routes
    from core.activity.routes import space_routes as activity_routes
    from core.attachments.routes import routes_for as attachment_routes_for  # (it imports this module too)
    from core.comments.routes import routes_for  # imported here: core.comments imports this module
    from core.embeds import space_routes as embed_routes
    from core.statistics.routes import space_routes as statistics_routes

    result = []
    for space_type in registry.space_types.values():
        handlers: list[Any] = [_space_page(space_type.name), *space_type.routes,
                               *activity_routes(space_type), *feed_routes(space_type), *embed_routes(space_type),
                               *statistics_routes(space_type)]
        for manifest in registry.component_types.values():
            # Comments and reports of the component's commentable resources live beside its own routes.
            component_handlers = [*manifest.public_routes, *routes_for(manifest), *attachment_routes_for(manifest)]
            if not component_handlers:
                continue
            handlers.append(
                Router(
                    path=f"/{manifest.name}/{{component_id:int}}",
                    route_handlers=component_handlers,
                    dependencies={"component": Provide(_component_provider(space_type.name, manifest.name))},
                )
            )
        result.append(Router(path=f"/{space_type.url_prefix}", route_handlers=[_space_list(space_type)]))
        result.append(Router(path=f"/{space_type.url_prefix}/{{space_slug:str}}", route_handlers=handlers,
                             opt={"space_type": space_type.name}))
    return result
