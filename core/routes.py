"""Core's public pages: the organization's home page, the language switcher and the terms of use."""

from __future__ import annotations

import re
from datetime import date

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.activity.services import timeline
from core.areas import services as area_services
from core.i18n import LANGUAGE_NAMES, local_today
from core.models import Phase, Space
from core.organizations import terms_in_force
from core.scopes import services as scope_services
from core.statistics.routes import figures_of, format_number
from core.web import DB, LOCALE_COOKIE, CurrentOrganization, render, safe_next

HOME_SPACES = 24
DEADLINES = 5
HOME_ACTIVITY = 5


def open_on(phase: Phase | None, day: date) -> bool:
    """Whether a phase is open on a calendar day (the organization's: ``core.i18n.local_today``), from its
    start date to its end date, both included; a date left empty leaves that side open."""
    return phase is not None and (phase.start_date is None or phase.start_date <= day) and (
        phase.end_date is None or phase.end_date >= day)


@get("/", name="home", opt={"permission": "public"})
async def home(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """Highlighted spaces first, then the other published public spaces, newest first; the phases open now
    and those that close soonest, so nobody misses a deadline; the organization in numbers and its latest
    activity. A fixed number of queries, whatever the number of spaces, events and comments (the figures
    come from the statistics cache most of the time). ``?scope=<id>`` keeps the spaces of one of the
    organization's scopes and of the scopes inside it, as the lists of spaces do, and ``?area=<id>`` those of
    one of its areas; any other value filters nothing."""
    condition = [Space.organization_id == organization.id, Space.published.is_(True), Space.private.is_(False)]
    # Read by hand: Litestar keeps the parameter name "scope" for the ASGI scope.
    scopes = await scope_services.scopes_of(db, organization)
    chosen = scope_services.pick(scopes, request.query_params.get("scope"))
    if chosen is not None:
        condition.append(Space.scope_id.in_(scope_services.within(scopes, chosen.id)))
    areas = await area_services.areas_of(db, organization)
    area = area_services.pick(areas, request.query_params.get("area"))
    if area is not None:
        condition.append(Space.area_id == area.id)
    spaces = (
        await db.scalars(
            select(Space)
            .where(*condition)
            .options(selectinload(Space.active_phase), selectinload(Space.hero))
            .order_by(Space.promoted.desc(), Space.created_at.desc(), Space.id.desc())
            .limit(HOME_SPACES)
        )
    ).all()
    registry = request.app.state.registry
    cards = [
        (space, registry.space_types[space.space_type], f"/{registry.space_types[space.space_type].url_prefix}/{space.slug}")
        for space in spaces
        if space.space_type in registry.space_types
    ]
    today = local_today(organization.time_zone)  # a phase ends at midnight where its people live, not in UTC
    deadlines = sorted(
        (card for card in cards if card[0].active_phase and card[0].active_phase.end_date
         and card[0].active_phase.end_date >= today),
        key=lambda card: card[0].active_phase.end_date,
    )[:DEADLINES]
    open_now = [card for card in cards if open_on(card[0].active_phase, today)]
    gettext = request.app.state.catalogs.gettext
    activity = await timeline(db, registry, gettext, organization.id, limit=HOME_ACTIVITY)
    figures = [(gettext(figure.title), figure.value) for figure in (await figures_of(request, organization)).figures]
    return render(request, "home.html", highlighted=[card for card in cards if card[0].promoted],
                  spaces=[card for card in cards if not card[0].promoted], open_now=open_now, deadlines=deadlines,
                  activity=activity.entries, figures=figures, number=format_number,
                  scope_choices=scope_services.choices(scopes, "")[1:], scope=chosen,
                  area_choices=area_services.choices(areas, "")[1:], area=area)


@get("/locale/{code:str}", name="locale", opt={"permission": "public", "terms_exempt": True})
async def switch_locale(
    organization: CurrentOrganization, code: FromPath[str], next: FromQuery[str | None] = None
) -> Redirect:
    """Remember the chosen language in a cookie and go back to the page the visitor was on."""
    if code not in LANGUAGE_NAMES or code not in organization.available_locales:
        raise NotFoundException()
    response = Redirect(path=safe_next(next), status_code=303)
    response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


@get("/terms", name="terms", opt={"permission": "public", "terms_exempt": True})
async def terms(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """The terms of use in force."""
    return render(request, "terms.html", terms=await terms_in_force(db, organization))


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@get("/organization.css", name="organization_css", opt={"permission": "public", "terms_exempt": True})
async def organization_css(organization: CurrentOrganization) -> Response[str]:
    """The organization's colours as CSS custom properties (inline styles are forbidden by our CSP)."""
    primary = organization.primary_color if HEX_COLOUR.match(organization.primary_color) else "#1f5f8b"
    surface = organization.secondary_color if HEX_COLOUR.match(organization.secondary_color) else "#f4f6f8"
    body = f":root {{ --primary: {primary}; --primary-contrast: {contrast(primary)}; --surface: {surface}; }}\n"
    return Response(body, media_type="text/css", headers={"cache-control": "public, max-age=300"})


def contrast(hex_colour: str) -> str:
    """Black or white text, whichever reads better on the colour (WCAG relative luminance)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
