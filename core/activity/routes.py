"""HTTP of public activity: ``/activity`` (the organization), ``/<space prefix>/<slug>/activity`` (a space) and
``/profiles/<nickname>/activity`` (a person). Everything anybody may see, so every page is public; what is
shown is decided in core.activity.services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activity import services
from core.models import Space
from core.profiles import find_profile
from core.web import DB, CurrentOrganization, render

PUBLIC = {"permission": "public"}


def _links(base: str, kind: str | None, page: services.Timeline) -> dict[str, str | None]:
    """The addresses of the newer and older pages, keeping the kind chosen."""
    def link(**position: int) -> str:
        return f"{base}?{urlencode({**({'kind': kind} if kind else {}), **position})}"

    return {"newer_url": link(after=page.newer) if page.newer is not None else None,
            "older_url": link(before=page.older) if page.older is not None else None}


async def _timeline(request: Request, organization_id: int, base: str, kind: str | None, before: int | None,
                    after: int | None, **scope: Any) -> dict[str, Any]:
    """The page of activity asked for and what the template needs to show it, its filter and its links."""
    registry = request.app.state.registry
    kinds = services.kinds(registry)
    kind = kind if kind in kinds else None  # anything else: all activity, as the filter shows
    page = await services.timeline(request.state.db, registry, request.app.state.catalogs.gettext, organization_id,
                                   kind=kind, before=before, after=after, **scope)
    return {"timeline": page, "kinds": kinds, "kind": kind, "base": base, "paged": before is not None
            or after is not None, **_links(base, kind, page)}


@get("/activity", name="activity", opt=PUBLIC)
async def organization_activity(request: Request, organization: CurrentOrganization, kind: FromQuery[str | None] = None,
                                before: FromQuery[int | None] = None, after: FromQuery[int | None] = None) -> Template:
    """What happened lately in the organization's public spaces."""
    return render(request, "activity/timeline.html", space=None, person=None,
                  **await _timeline(request, organization.id, "/activity", kind, before, after))


@get("/profiles/{nickname:str}/activity", name="profile_activity", opt=PUBLIC)
async def person_activity(request: Request, db: DB, organization: CurrentOrganization, nickname: FromPath[str],
                          kind: FromQuery[str | None] = None, before: FromQuery[int | None] = None,
                          after: FromQuery[int | None] = None) -> Template:
    """What a person did in public; only for people whose profile can be seen."""
    person = await find_profile(db, organization.id, nickname)
    if person is None:
        raise NotFoundException()
    return render(request, "activity/timeline.html", space=None, person=person,
                  **await _timeline(request, organization.id, f"/profiles/{person.nickname}/activity", kind, before,
                                    after, actor_id=person.id))


async def public_space(db: AsyncSession, organization_id: int, space_type: str, slug: str) -> Space:
    """A published, public space of the organization (without its components); else 404."""
    space = await db.scalar(select(Space).where(
        Space.organization_id == organization_id, Space.space_type == space_type, Space.slug == slug,
        Space.published.is_(True), Space.private.is_(False)))
    if space is None:
        raise NotFoundException()
    return space


def space_routes(space_type: Any) -> list[Any]:
    """The activity page of each space of a type, mounted below ``/<url_prefix>/{space_slug}``."""

    @get("/activity", name=f"space_activity:{space_type.name}", opt=PUBLIC)
    async def space_activity(request: Request, db: DB, organization: CurrentOrganization, space_slug: FromPath[str],
                             kind: FromQuery[str | None] = None, before: FromQuery[int | None] = None,
                             after: FromQuery[int | None] = None) -> Template:
        """What happened lately in one space; a draft or private space has no public activity (404)."""
        space = await public_space(db, organization.id, space_type.name, space_slug)
        base = f"/{space_type.url_prefix}/{space.slug}/activity"
        return render(request, "activity/timeline.html", space=space, space_type=space_type, person=None,
                      **await _timeline(request, organization.id, base, kind, before, after, space_id=space.id))

    return [space_activity]


ROUTES = [organization_activity, person_activity]
