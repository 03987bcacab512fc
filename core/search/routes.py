"""The organization's search page: one box over everything public, with filters."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select

from core.areas import services as area_services
from core.models import Space
from core.scopes import services as scope_services
from core.search.services import PER_PAGE, PERIODS, Query, kinds_of, search
from core.web import DB, CurrentOrganization, render

SPACE_CHOICES = 200


@get("/search", name="search", opt={"permission": "public"})
async def search_page(request: Request, db: DB, organization: CurrentOrganization, q: FromQuery[str] = "",
                      type: FromQuery[str] = "", space: FromQuery[int | None] = None,
                      period: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
    """Results for the words typed, most relevant first, with how many of each kind were found."""
    registry = request.app.state.registry
    kinds = kinds_of(registry)
    scopes = await scope_services.scopes_of(db, organization)
    # "scope" is read from the query string by hand: Litestar keeps that parameter name for the ASGI scope.
    areas = await area_services.areas_of(db, organization)
    query = (Query.of(q, type, space, period, page, kinds).within_scope(scopes, request.query_params.get("scope"))
             .within_area(areas, request.query_params.get("area")))
    results, total, per_kind = await search(db, registry, organization, query)
    spaces = (await db.scalars(
        select(Space).where(Space.organization_id == organization.id, Space.published.is_(True),
                            Space.private.is_(False), Space.space_type.in_(list(registry.space_types)))
        .order_by(Space.created_at.desc(), Space.id.desc()).limit(SPACE_CHOICES)
    )).all()
    return render(request, "search/results.html", query=query, results=results, total=total, per_kind=per_kind,
                  kinds=kinds, spaces=spaces, periods=list(PERIODS), pages=max(1, -(-total // PER_PAGE)),
                  scopes=scope_services.choices(scopes, "")[1:], areas=area_services.choices(areas, "")[1:])


ROUTES = [search_page]
