"""Atom feeds of public activity, for feed readers: ``/activity.atom`` (the organization),
``/<space prefix>/<slug>/activity.atom`` (a space) and ``/profiles/<nickname>/activity.atom`` (a person).

A feed is the newest page of the matching timeline (``core.activity.services.timeline``), so it shows
exactly what the activity pages show, through the same visibility rules, in the visitor's language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from markupsafe import Markup

from core.activity import services
from core.activity.routes import public_space
from core.i18n import N_, current_locale, translated
from core.profiles import find_profile
from core.web import DB, CurrentOrganization

PUBLIC = {"permission": "public"}
ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
FEED_TYPE = "application/atom+xml; charset=utf-8"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
ORGANIZATION_TITLE = N_("Activity")
SPACE_TITLE = N_("Activity in %(space)s")
PERSON_TITLE = N_("Activity of %(name)s")


def _timestamp(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")


async def _feed(request: Request, organization: Any, title: str, page_path: str, **scope: Any) -> Response[bytes]:
    registry = request.app.state.registry
    gettext = request.app.state.catalogs.gettext
    timeline = await services.timeline(request.state.db, registry, gettext, organization.id, limit=ENTRIES, **scope)
    base = str(request.base_url).rstrip("/")
    host = request.url.hostname or "localhost"
    feed = ElementTree.Element("feed", {"xmlns": ATOM, f"{{{XML_NAMESPACE}}}lang": current_locale.get(),
                                        f"{{{XML_NAMESPACE}}}base": base + "/"})
    ElementTree.SubElement(feed, "title").text = f"{title} · {translated(organization.name)}"
    ElementTree.SubElement(feed, "id").text = base + page_path
    ElementTree.SubElement(feed, "link", rel="alternate", type="text/html", href=base + page_path)
    ElementTree.SubElement(feed, "link", rel="self", type="application/atom+xml", href=f"{base}{page_path}.atom")
    ElementTree.SubElement(ElementTree.SubElement(feed, "author"), "name").text = translated(organization.name)
    newest = timeline.entries[0].created_at if timeline.entries else organization.created_at
    ElementTree.SubElement(feed, "updated").text = _timestamp(newest)
    for entry in timeline.entries:
        item = ElementTree.SubElement(feed, "entry")
        ElementTree.SubElement(item, "title").text = Markup(entry.text).striptags()
        # A tag URI: stable for the event whatever the feed it appears in (RFC 4151).
        ElementTree.SubElement(item, "id").text = f"tag:{host},{entry.created_at.year}:event-{entry.id}"
        ElementTree.SubElement(item, "link", rel="alternate", type="text/html", href=base + (entry.path or
                                                                                        entry.space_path))
        ElementTree.SubElement(item, "updated").text = _timestamp(entry.created_at)
        ElementTree.SubElement(item, "category", term=entry.kind)
        ElementTree.SubElement(item, "content", type="html").text = str(entry.text)
    # The ElementTree serialiser writes the default namespace only when given as an attribute, as here.
    return Response(content=ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True),
                    media_type=FEED_TYPE, headers={"Cache-Control": "public, max-age=300"})


@get("/activity.atom", opt=PUBLIC)
async def organization_feed(request: Request, organization: CurrentOrganization) -> Response[bytes]:
    """What happened lately in the organization's public spaces."""
    return await _feed(request, organization, request.app.state.catalogs.gettext(ORGANIZATION_TITLE), "/activity")


@get("/profiles/{nickname:str}/activity.atom", opt=PUBLIC)
async def person_feed(request: Request, db: DB, organization: CurrentOrganization,
                      nickname: FromPath[str]) -> Response[bytes]:
    """What a person did in public; only for people whose profile can be seen."""
    person = await find_profile(db, organization.id, nickname)
    if person is None:
        raise NotFoundException()
    title = request.app.state.catalogs.gettext(PERSON_TITLE, name=person.name)
    return await _feed(request, organization, title, f"/profiles/{person.nickname}/activity", actor_id=person.id)


def space_routes(space_type: Any) -> list[Any]:
    """The feed of each space of a type, mounted below ``/<url_prefix>/{space_slug}``."""

    @get("/activity.atom", name=f"space_activity_feed:{space_type.name}", opt=PUBLIC)
    async def space_feed(request: Request, db: DB, organization: CurrentOrganization,
                         space_slug: FromPath[str]) -> Response[bytes]:
        """What happened lately in one space; a draft or private space has no feed (404)."""
        space = await public_space(db, organization.id, space_type.name, space_slug)
        title = request.app.state.catalogs.gettext(SPACE_TITLE, space=translated(space.title))
        return await _feed(request, organization, title, f"/{space_type.url_prefix}/{space.slug}/activity",
                           space_id=space.id)

    return [space_feed]


ROUTES = [organization_feed, person_feed]
