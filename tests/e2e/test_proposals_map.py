"""A visitor opens the map view of the demo's proposals: the located proposals are a plain list that
works without JavaScript and without tiles; with JavaScript, "Show the map" downloads Leaflet only then
and draws a marker per proposal, which the keyboard reaches and whose popup links to the proposal.

The browser never reaches the internet: tile requests get an empty image, anything else foreign fails.
"""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from tests.e2e.test_quality import WEIGHT_LIMIT, _axe_violations

EMPTY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
LOCATED = ("Més arbres i ombra a la plaça Major", "Carril bici segregat fins a l'institut",
           "Fonts d'aigua potable als parcs", "Cubrir la pista del polideportivo",
           "Horts urbans al solar del carrer Nou")


def test_the_map_view_lists_located_proposals_and_draws_them_on_request(journey):
    page = journey.page
    tiles: list[str] = []

    def offline(route):
        if "tile.openstreetmap.org" in route.request.url:
            tiles.append(route.request.url)
            route.fulfill(status=200, content_type="image/png", body=EMPTY_PNG)
        else:
            route.abort()

    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), offline)
    leaflet: list[str] = []
    page.on("request", lambda request: leaflet.append(request.url) if "vendor/leaflet" in request.url else None)
    weights: dict[str, int] = {}

    def weigh(response):
        if response.request.resource_type in {"document", "stylesheet", "script"}:
            weights[response.url] = len(response.body())

    journey.goto("/processes/pressupostos-2027")
    page.locator("main a[href*='/proposals/']").first.click()
    page.on("response", weigh)
    page.locator(".view-switch a[href*='/map?']").click()
    page.wait_for_load_state("load")
    page.remove_listener("response", weigh)
    journey.step("map view")
    expect(page).to_have_url(re.compile(r"/proposals/\d+/map\?"))
    assert sum(weights.values()) < WEIGHT_LIMIT, weights

    items = page.locator("#map-list > li")
    expect(items).to_have_count(len(LOCATED))
    for title in LOCATED:
        expect(page.locator("#map-list").get_by_role("link", name=title)).to_be_visible()
    expect(page.locator("#map-list")).not_to_contain_text("Biblioteca oberta els diumenges al matí")
    expect(page.locator("#map-list")).to_contain_text("Plaça Major, 1")
    assert not leaflet, "Leaflet is downloaded only when the visitor asks for the map"

    if not journey.javascript:
        expect(page.locator("#map-show")).to_be_hidden()
        page.locator("#map-list").get_by_role("link", name=LOCATED[0]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(LOCATED[0])
        return

    show = page.locator("#map-show")
    expect(show).to_be_visible()
    assert not _axe_violations(page)
    show.click()
    markers = page.locator("#proposals-map .leaflet-marker-icon")
    expect(markers).to_have_count(len(LOCATED))
    journey.step("map shown")
    assert any(url.endswith("leaflet.js") for url in leaflet) and any(url.endswith("leaflet.css") for url in leaflet)
    expect(page.get_by_role("region", name=re.compile("."))).to_be_focused()
    expect(page.locator("#proposals-map .leaflet-control-attribution")).to_contain_text("OpenStreetMap contributors")
    page.wait_for_timeout(200)
    assert tiles and all(url.startswith("https://tile.openstreetmap.org/") for url in tiles)
    assert not _axe_violations(page), "the drawn map passes axe too"

    # A marker is a keyboard stop named after its proposal; Enter opens a popup linking to it.
    marker = page.locator(f"#proposals-map .leaflet-marker-icon[alt=\"{LOCATED[0]}\"]")
    marker.focus()
    page.keyboard.press("Enter")
    popup_link = page.locator("#proposals-map .leaflet-popup-content a")
    expect(popup_link).to_have_text(LOCATED[0])
    journey.step("popup")
    popup_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LOCATED[0])
