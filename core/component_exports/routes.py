"""HTTP of component exports: the export page of a component's administration and its downloads.

The permission guard has loaded the space named by ``space_id`` in this organization and checked that
the person administers it (organization admins do) before any handler runs: another organization's
space is a 404, a citizen gets a 403. A file is only ever sent by ``download``, after that check.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from core.auth import flash
from core.component_exports import services
from core.exports import archive_response
from core.i18n import N_
from core.models import Component, Organization
from core.web import DB, CurrentOrganization, render

SPACE_ADMIN = {"permission": "space.admin"}
EXPORTS = "/admin/spaces/{space_id:int}/components/{component_id:int}/exports"


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


async def _component(request: Request, db: DB, organization: Organization, space_id: int,
                     component_id: int) -> Component:
    component = await services.component_of(db, organization, space_id, component_id)
    if component is None or component.component_type not in request.app.state.registry.component_types:
        raise NotFoundException()
    return component


def _url(component: Component) -> str:
    return f"/admin/spaces/{component.space_id}/components/{component.id}/exports"


async def _page(request: Request, db: DB, component: Component, error: str = "", status_code: int = 200) -> Template:
    registry = request.app.state.registry
    space = component.space
    return render(request, "admin/spaces/exports.html", space=space, component=component,
                  manifest=registry.component_types[component.component_type],
                  exports=await services.exports_of(db, component), url=_url(component), error=error,
                  retention_days=request.app.state.settings.export_retention_days,
                  public_url=f"/{registry.space_types[space.space_type].url_prefix}/{space.slug}",
                  status_code=status_code)


@get(EXPORTS, opt=SPACE_ADMIN)
async def export_list(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                      component_id: FromPath[int]) -> Template:
    """The component's exports that can still be downloaded, and the button that asks for a new one."""
    return await _page(request, db, await _component(request, db, organization, space_id, component_id))


@post(EXPORTS, opt=SPACE_ADMIN)
async def request_export(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                         component_id: FromPath[int]) -> Template | Redirect:
    component = await _component(request, db, organization, space_id, component_id)
    try:
        export = await services.request_export(db, component, request.state.user)
    except services.ExportError as error:
        return await _page(request, db, component, _(request, error.message), status_code=409)
    await db.commit()
    await request.app.state.queue.enqueue("core.prepare_component_export", export_id=export.id)
    flash(request, _(request, N_("The export is being prepared. You will get an e-mail when it is ready.")))
    return Redirect(_url(component), status_code=303)


@get(EXPORTS + "/{export_id:int}", opt=SPACE_ADMIN)
async def download(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                   component_id: FromPath[int], export_id: FromPath[int]) -> File:
    """The file of a ready export; an expired, unfinished or foreign one is not found."""
    component = await _component(request, db, organization, space_id, component_id)
    export = await services.finished_export(db, component, export_id)
    if export is None:
        raise NotFoundException()
    return archive_response(services.path_of(request.app.state.settings, export),
                            services.download_name(component, export))


ROUTES = [export_list, request_export, download]
