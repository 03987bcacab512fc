"""Public pages of a pages component; core has already checked the space and component."""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from core.comments.services import thread_for
from core.models import Component
from core.spaces import CurrentComponent, component_url
from core.web import DB, render
from plugins.pages import services
from plugins.pages.schemas import PagesSettings

READ = {"permission": "public"}


def _settings(component: Component) -> PagesSettings:
    return msgspec.convert(component.settings, PagesSettings)


@get("/", opt=READ)
async def index(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The first page of the component, with the others listed beside it."""
    pages = await services.pages_of(db, component)
    return await _page_response(request, component, pages, pages[0] if pages else None)


@get("/{page_id:int}", opt=READ)
async def show(request: Request, db: DB, component: CurrentComponent, page_id: FromPath[int]) -> Template:
    pages = await services.pages_of(db, component)
    page = next((page for page in pages if page.id == page_id), None)
    if page is None:
        raise NotFoundException()
    return await _page_response(request, component, pages, page)


async def _page_response(request: Request, component: Component, pages, page) -> Template:
    base = component_url(request.app.state.registry, component)
    thread = await thread_for(request, component, "pages.page", page.id) if page else None
    return render(
        request, "pages/page.html", component=component, space=component.space, page=page, pages=pages,
        base_url=base, settings=_settings(component), thread=thread,
    )
