"""HTTP of the map view of a component's proposals.

The page is the list's filters with, instead of the cards, the located proposals as a plain list
(title, address, link) that works without JavaScript and without tiles. Leaflet (about 150 KB)
is not loaded with the page: js/proposals-map.js loads it when the visitor asks for the map and
draws the markers from the list's data attributes, so the map shows exactly what the list does.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from core.categories import services as category_services
from core.observability import content_security_policy
from core.permissions import actor_of
from core.scopes import services as scope_services
from core.spaces import CurrentComponent
from core.web import DB
from plugins.proposals import evaluation, geolocation, services
from plugins.proposals.routes import CACHED, _kept_seed, _page, _vary_on_seed


@get("/map", opt=CACHED)
async def proposals_map(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The located proposals that the list, filtered the same way, shows; only where the component
    places proposals on a map (and holds proposals, not a participatory text)."""
    registry = request.app.state.registry
    rules = services.settings(registry, component)
    if not rules.geolocation_enabled or rules.participatory_texts_enabled:  # a text's articles have no place
        raise NotFoundException()
    # The list's random order keeps its seed in a cookie: the map's link back to the list keeps it too.
    filters = services.Filters.parse(request.query_params, _kept_seed(request) or 1)
    _vary_on_seed(request, filters)
    categories, scopes = await services.classifications(db, component)
    filters.narrow(categories, scopes, component.space.scope_id)
    user = request.state.get("user")
    conditions = services.listing_conditions(db, registry, component, user, filters)
    located, total = await geolocation.on_map(db, conditions)
    app_settings = request.app.state.settings
    response = _page(
        request, "proposals/map.html", component, located=located, total=total, limit=geolocation.MAP_LIMIT,
        filters=filters, answer_states=await evaluation.states_of(db, component),
        may_evaluate=user is not None and evaluation.may_evaluate(await actor_of(request), component.space),
        category_choices=category_services.choices(categories, "")[1:],
        scope_choices=scope_services.choices(scopes, "")[1:],
        tiles_url=app_settings.map_tiles_url, tiles_attribution=app_settings.map_attribution,
        tiles_host=app_settings.map_tiles_origin.partition("://")[2].removeprefix("*."), view="map",
    )
    # Only this page lets images come from the tile server.
    response.headers["content-security-policy"] = content_security_policy([app_settings.map_tiles_origin])
    return response


ROUTES = [proposals_map]
