"""HTTP of statistics: ``/statistics`` (the organization) and ``/<space prefix>/<slug>/statistics`` (a space),
with charts drawn as inline SVG on the server and the same numbers as text."""

from __future__ import annotations

from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from core.activity.routes import public_space
from core.activity.services import kinds
from core.i18n import current_locale
from core.models import Organization, Space
from core.statistics.charts import bar_chart, line_chart
from core.statistics.services import STORE, Statistics, statistics_of
from core.web import DB, CurrentOrganization, render

PUBLIC = {"permission": "public"}


def format_number(value: int) -> str:
    """A count as people of the current language write it (1.234 in Catalan, 1,234 in English)."""
    return format_decimal(value, locale=current_locale.get())


async def figures_of(request: Request, organization: Organization, space: Space | None = None) -> Statistics:
    """The statistics of the organization or of a space, from the cache when counted lately."""
    return await statistics_of(request.state.db, request.app.state.registry, organization, space,
                               store=request.app.stores.get(STORE))


def charts(request: Request, statistics: Statistics) -> dict[str, Any]:
    """What the statistics template draws: the figures as bars, and public activity per week as lines."""
    gettext = request.app.state.catalogs.gettext
    locale = current_locale.get()
    figures = [(gettext(figure.title), figure.value) for figure in statistics.figures]
    weeks = [format_skeleton("MMMd", week.start, locale=locale) for week in statistics.weeks]
    series = [(kind, gettext(title), [week.counts.get(kind, 0) for week in statistics.weeks])
              for kind, title in kinds(request.app.state.registry).items()]
    total = sum(sum(values) for _, _, values in series)
    description = request.app.state.catalogs.ngettext(
        "%(num)s public contribution in the last %(weeks)s weeks; the table below gives the count of each week.",
        "%(num)s public contributions in the last %(weeks)s weeks; the table below gives the count of each week.",
        total, weeks=len(weeks), num=format_number(total))
    return {"figures": figures, "bars": bar_chart(figures), "weeks": weeks, "series": series,
            "lines": line_chart(weeks, series), "lines_description": description, "number": format_number}


@get("/statistics", name="statistics", opt=PUBLIC)
async def organization_statistics(request: Request, organization: CurrentOrganization) -> Template:
    """The organization in numbers."""
    return render(request, "statistics/index.html", space=None,
                  **charts(request, await figures_of(request, organization)))


def space_routes(space_type: Any) -> list[Any]:
    """The statistics page of each space of a type, mounted below ``/<url_prefix>/{space_slug}``."""

    @get("/statistics", name=f"space_statistics:{space_type.name}", opt=PUBLIC)
    async def space_statistics(request: Request, db: DB, organization: CurrentOrganization,
                               space_slug: FromPath[str]) -> Template:
        """One space in numbers; a draft or private space has no public statistics (404)."""
        space = await public_space(db, organization.id, space_type.name, space_slug)
        return render(request, "statistics/index.html", space=space, space_type=space_type,
                      **charts(request, await figures_of(request, organization, space)))

    return [space_statistics]


ROUTES = [organization_statistics]
