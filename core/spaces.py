"""Space pages and the mounting of component routes inside spaces.

Each space type gets ``/<url_prefix>/<slug>``; each component type's public routes
are mounted at ``/<url_prefix>/<slug>/<component type>/<component id>`` with the
``space`` and ``component`` already loaded (one query) and checked: they belong to
this organization, are of this type and are published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from core.models import Component, Organization, Space
from core.web import DB, CurrentOrganization, render


async def published_space(session: AsyncSession, organization: Organization, space_type: str, slug: str) -> Space:
    """A published, public space of this organization, with its published components; else 404."""
    space = await session.scalar(
        select(Space)
        .where(
            Space.organization_id == organization.id, Space.space_type == space_type, Space.slug == slug,
            Space.published.is_(True), Space.private.is_(False),
        )
        .options(selectinload(Space.components))
    )
    if space is None:
        raise NotFoundException()
    return space


def _component_provider(space_type: str, component_type: str) -> Callable[..., Any]:
    async def provide_component(
        db: DB, organization: CurrentOrganization, space_slug: FromPath[str], component_id: FromPath[int]
    ) -> Component:
        component = await db.scalar(
            select(Component)
            .join(Component.space)
            .where(
                Component.id == component_id, Component.component_type == component_type,
                Component.published.is_(True), Space.organization_id == organization.id,
                Space.space_type == space_type, Space.slug == space_slug, Space.published.is_(True),
                Space.private.is_(False),
            )
            .options(contains_eager(Component.space))
        )
        if component is None:
            raise NotFoundException()
        return component

    return provide_component


def _space_page(space_type: str) -> Any:
    @get("/", name=f"space:{space_type}", opt={"permission": "public"})
    async def space_page(
        request: Request, db: DB, organization: CurrentOrganization, space_slug: FromPath[str]
    ) -> Template:
        space = await published_space(db, organization, space_type, space_slug)
        registry = request.app.state.registry
        prefix = registry.space_types[space_type].url_prefix
        components = [
            (component, f"/{prefix}/{space.slug}/{component.component_type}/{component.id}")
            for component in space.components
            if component.published and component.component_type in registry.component_types
        ]
        return render(request, "spaces/space.html", space=space, space_type=registry.space_types[space_type],
                      components=components)

    return space_page


CurrentComponent: TypeAlias = NamedDependency[Component]
"""What a component type's handler declares to receive its (checked) component, space loaded."""


def component_url(registry: Any, component: Component) -> str:
    """The public address of a component (its space must be loaded)."""
    prefix = registry.space_types[component.space.space_type].url_prefix
    return f"/{prefix}/{component.space.slug}/{component.component_type}/{component.id}"


def routers(registry: Any) -> list[Router]:
    """One router per space type: its page, its own routes and every component type's routes."""
    result = []
    for space_type in registry.space_types.values():
        handlers: list[Any] = [_space_page(space_type.name), *space_type.routes]
        for manifest in registry.component_types.values():
            if not manifest.public_routes:
                continue
            handlers.append(
                Router(
                    path=f"/{manifest.name}/{{component_id:int}}",
                    route_handlers=list(manifest.public_routes),
                    dependencies={"component": Provide(_component_provider(space_type.name, manifest.name))},
                )
            )
        result.append(Router(path=f"/{space_type.url_prefix}/{{space_slug:str}}", route_handlers=handlers,
                             opt={"space_type": space_type.name}))
    return result
