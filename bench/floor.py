"""The floor: the proposals index's first page from one hand-written SQL query.

A plugin used only by the benchmark (``bench.app`` registers it with ``Registry(extra=...)``; it is
never part of the product). ``/bench/floor/{component_id}`` goes through the same middleware as every
page (organization by host, session, user) and renders the very template of the proposals index,
so the HTML is the same; only the data access differs: one ``text()`` query, with bound parameters,
brings the component, its space, the number of matching proposals and the page's proposals with
their authors. What the index costs above this is what the ORM, the services and the component
lookup cost. Anonymous visitors only (no "supported" marks), ``order=recent`` or the random order
with ``seed``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import JSON, text

from core.db import UTCDateTime
from core.hookspecs import hookimpl
from core.web import DB, render
from plugins.proposals.schemas import ProposalsPhaseSettings, ProposalsSettings
from plugins.proposals.services import PER_PAGE, Filters, shuffle_start

PUBLISHED = "SELECT id, shuffle FROM proposals_proposals WHERE component_id = :component_id AND state = 'published'"
PAGES = {
    "recent": f"{PUBLISHED} ORDER BY published_at DESC, id DESC LIMIT :limit",
    # plugins.proposals.services' random order: from the seed's starting number on, then from the
    # beginning; each part read along the (component, state, shuffle) index, at most 2 x 20 rows sorted.
    "random": f"""SELECT id FROM (
        SELECT id, 0 AS lap, shuffle FROM ({PUBLISHED} AND shuffle >= :start ORDER BY shuffle, id LIMIT :limit) a
        UNION ALL
        SELECT id, 1 AS lap, shuffle FROM ({PUBLISHED} AND shuffle < :start ORDER BY shuffle, id LIMIT :limit) b
    ) parts ORDER BY lap, shuffle, id LIMIT :limit""",
}
OUTER = {"recent": "p.published_at DESC, p.id DESC", "random": "p.shuffle < :start, p.shuffle, p.id"}

# The page's ids are chosen from the covering indexes (component_id, state, published_at or shuffle,
# id) alone; only those twenty rows are read whole, with their authors. The count reads the same index.
QUERY = """
SELECT c.name AS component_name, c.settings, c.phase_settings, s.slug, s.space_type, s.title AS space_title,
       s.active_phase_id,
       (SELECT count(*) FROM proposals_proposals WHERE component_id = :component_id AND state = 'published') AS total,
       p.id, p.title, p.official, p.state, p.published_at, p.answer_state, p.answer_published_at,
       p.supports_count, u.name AS author_name, u.deleted_at AS author_deleted_at
FROM core_components c
JOIN core_spaces s ON s.id = c.space_id
LEFT JOIN ({page}) page ON 1 = 1
LEFT JOIN proposals_proposals p ON p.id = page.id
LEFT JOIN core_users u ON u.id = p.author_id
WHERE c.id = :component_id AND c.component_type = 'proposals' AND c.published AND s.organization_id = :organization_id
  AND s.published AND NOT s.private
ORDER BY {outer}
"""

STATEMENTS = {
    order: text(QUERY.format(page=page, outer=OUTER[order])).columns(
        component_name=JSON, settings=JSON, phase_settings=JSON, space_title=JSON, published_at=UTCDateTime(),
        answer_published_at=UTCDateTime(), author_deleted_at=UTCDateTime(),
    )
    for order, page in PAGES.items()
}


def _proposal(row: Any) -> SimpleNamespace:
    author = None if row.author_name is None else SimpleNamespace(name=row.author_name,
                                                                  deleted_at=row.author_deleted_at)
    return SimpleNamespace(
        id=row.id, title=row.title, official=bool(row.official), state=row.state, published_at=row.published_at,
        answer_state=row.answer_state, answer_visible=row.answer_state is not None and row.answer_published_at
        is not None, supports_count=row.supports_count, author=author,
    )


@get("/bench/floor/{component_id:int}", opt={"permission": "public"})
async def floor(request: Request, db: DB, component_id: FromPath[int]) -> Template:
    """The first page of a proposals component, as the index renders it, from one query."""
    filters = Filters.parse(request.query_params, default_seed=1)
    order = "recent" if filters.order == "recent" else "random"
    filters.order, filters.page = order, 1
    rows = (await db.execute(STATEMENTS[order], {
        "component_id": component_id, "organization_id": request.state.organization.id,
        "start": shuffle_start(filters.seed), "limit": PER_PAGE,
    })).all()
    if not rows:
        raise NotFoundException()
    first = rows[0]
    space = SimpleNamespace(slug=first.slug, space_type=first.space_type, title=first.space_title)
    prefix = request.app.state.registry.space_types[first.space_type].url_prefix
    phase = msgspec.convert((first.phase_settings or {}).get(str(first.active_phase_id), {}), ProposalsPhaseSettings)
    total = first.total
    return render(
        request, "proposals/index.html", component=SimpleNamespace(name=first.component_name), space=space,
        base_url=f"/{prefix}/{first.slug}/proposals/{component_id}",
        settings=msgspec.convert(first.settings or {}, ProposalsSettings), phase=phase,
        proposals=[_proposal(row) for row in rows if row.id is not None], total=total,
        pages=max(1, -(-total // PER_PAGE)), filters=filters, supported=set(),
        may_support=phase.supports_enabled and not phase.supports_blocked,
    )


@hookimpl
def register_routes():
    return [floor]
