"""What search engines are told: ``/robots.txt`` and the sitemaps of an organization.

A sitemap lists only what anybody may open: it reads the search index through the same visibility
rules as search (``core.search.services.visible_documents``), so a draft, private, unpublished, archived
or hidden thing is never listed, and nothing of another organization is. ``/sitemap.xml`` is a sitemap
index; ``/sitemaps/1`` holds the organization's own pages, its spaces' lists, its process groups and
the components of its public spaces, and ``/sitemaps/2`` on the documents of the index (spaces,
proposals, static pages...), ``PER_SITEMAP`` each, the protocol allowing 50,000.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import select

from core.models import Component, Space
from core.process_groups.models import ProcessGroup
from core.search import services as search
from core.web import DB, CurrentOrganization

PUBLIC = {"permission": "public"}
PER_SITEMAP = 10_000
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML = "application/xml; charset=utf-8"
PRIVATE_AREAS = ("/admin", "/account", "/system", "/notifications", "/uploads/guarded")
"""Pages for one person or for staff: nothing a crawler can read, so it is told not to try."""


def _base(request: Request) -> str:
    # The organization is found by the host asked for, so its links stay on that host (and scheme,
    # which uvicorn takes from the trusted proxy's headers).
    return str(request.base_url).rstrip("/")


def _xml(root: ElementTree.Element) -> Response[bytes]:
    return Response(content=ElementTree.tostring(root, encoding="utf-8", xml_declaration=True), media_type=XML,
                    headers={"Cache-Control": "public, max-age=3600"})


def _url(urlset: ElementTree.Element, location: str, modified: datetime | None = None) -> None:
    url = ElementTree.SubElement(urlset, "url")
    ElementTree.SubElement(url, "loc").text = location
    if modified is not None:
        ElementTree.SubElement(url, "lastmod").text = modified.date().isoformat()


@get("/robots.txt", opt=PUBLIC, media_type="text/plain")
async def robots(request: Request, organization: CurrentOrganization) -> str:
    """Crawlers may read everything public; the sitemap says where it is."""
    lines = ["User-agent: *", *(f"Disallow: {area}/" for area in PRIVATE_AREAS), "",
             f"Sitemap: {_base(request)}/sitemap.xml", ""]
    return "\n".join(lines)


@get("/sitemap.xml", opt=PUBLIC)
async def sitemap_index(request: Request, db: DB, organization: CurrentOrganization) -> Response[bytes]:
    """The list of the organization's sitemaps: one of its pages, then one per ``PER_SITEMAP`` documents."""
    documents = await search.count_visible_documents(db, request.app.state.registry, organization)
    root = ElementTree.Element("sitemapindex", xmlns=NAMESPACE)
    for number in range(1, 2 + -(-documents // PER_SITEMAP)):
        ElementTree.SubElement(ElementTree.SubElement(root, "sitemap"), "loc").text = \
            f"{_base(request)}/sitemaps/{number}"
    return _xml(root)


@get("/sitemaps/{number:int}", opt=PUBLIC)
async def sitemap(request: Request, db: DB, organization: CurrentOrganization,
                  number: FromPath[int]) -> Response[bytes]:
    """One sitemap; a number past the last one is a 404, as a crawler expects."""
    registry, base = request.app.state.registry, _base(request)
    urlset = ElementTree.Element("urlset", xmlns=NAMESPACE)
    if number == 1:
        for path in ("/", *(f"/{space_type.url_prefix}" for space_type in registry.space_types.values()),
                     "/activity", "/statistics", "/search"):
            _url(urlset, base + path)
        for group_id in await db.scalars(select(ProcessGroup.id).where(
                ProcessGroup.organization_id == organization.id).order_by(ProcessGroup.id)):
            _url(urlset, f"{base}/process-groups/{group_id}")
        for path in await _component_paths(db, registry, organization.id):
            _url(urlset, base + path)
    elif number > 1:
        found = await search.visible_documents(db, registry, organization, offset=(number - 2) * PER_SITEMAP,
                                               limit=PER_SITEMAP)
        if not found:
            raise NotFoundException()
        for path, published_at in found:
            _url(urlset, base + path, published_at)
    else:
        raise NotFoundException()
    return _xml(urlset)


async def _component_paths(db: DB, registry: Any, organization_id: int) -> list[str]:
    """The addresses of the published components of the organization's published, public spaces."""
    rows = await db.execute(
        select(Component.id, Component.component_type, Space.slug, Space.space_type).join(Space)
        .where(Space.organization_id == organization_id, Space.published.is_(True), Space.private.is_(False),
               Space.space_type.in_(list(registry.space_types)), Component.published.is_(True),
               Component.archived_at.is_(None), Component.component_type.in_(list(registry.component_types)))
        .order_by(Space.id, Component.weight, Component.id))
    return [f"/{registry.space_types[space_type].url_prefix}/{slug}/{component_type}/{component_id}"
            for component_id, component_type, slug, space_type in rows]


ROUTES = [robots, sitemap_index, sitemap]
