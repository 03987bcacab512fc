"""HTTP of open data: the page that describes the file, the file itself, and an admin's "build it now".

The file is public: anyone gets it, without a session (so the response carries no cookie).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import File, Redirect, Template

from core.auth import flash
from core.exports import archive_response
from core.i18n import N_
from core.open_data import services
from core.web import CurrentOrganization, render

PUBLIC = {"permission": "public"}
PUBLIC_FILE = {"permission": "public", "skip_session": True, "exclude_from_csrf": True}
ORGANIZATION_ADMIN = {"permission": "organization.admin"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


@get("/open-data", opt=PUBLIC)
async def open_data(request: Request, organization: CurrentOrganization) -> Template:
    """What the open data file holds, its licence, its date and the link to download it."""
    return render(request, "open_data/index.html",
                  file=services.current_file(request.app.state.settings, organization),
                  files=services.files(request.app.state.registry, request.app.state.catalogs.gettext),
                  licence=services.LICENCE, licence_url=services.LICENCE_URL)


@get("/open-data/download", opt=PUBLIC_FILE)
async def download(request: Request, organization: CurrentOrganization) -> File:
    """The file as last built; 404 before it was first built."""
    current = services.current_file(request.app.state.settings, organization)
    if current is None:
        raise NotFoundException()
    # Caches may keep it for a while; it changes once a day.
    return archive_response(current.path, services.download_name(organization, current.built_at),
                            cache_control="public, max-age=3600")


@post("/open-data/build", opt=ORGANIZATION_ADMIN)
async def build(request: Request, organization: CurrentOrganization) -> Redirect:
    """Build the file now instead of waiting for the night (after publishing a space, say)."""
    await request.app.state.queue.enqueue("core.build_open_data", organization_id=organization.id)
    flash(request, _(request, N_("The open data file is being built again; it is replaced when it is ready.")))
    return Redirect("/open-data", status_code=303)


ROUTES = [open_data, download, build]
