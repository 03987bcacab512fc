"""HTTP of data downloads: the page under the account settings and the download of the archive.

The download's gate is open (``public``) on purpose: the rule ``data_download.read``, checked on the
download itself, lets only its owner, logged in, in its organization, have it, and everyone else (another
person, an anonymous visitor, another organization) gets the same 404, not a login page that would
tell that the download exists.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from core.auth import flash
from core.data_downloads import services
from core.data_downloads.models import DataDownload
from core.exports import archive_response
from core.i18n import N_
from core.permissions import Rule, actor_of, allowed
from core.web import DB, CurrentOrganization, render

SIGNED_IN = {"permission": "authenticated"}
OWNER_ONLY = {"permission": "public"}
"""The rule ``data_download.read`` is checked on the download itself; see the module's docstring."""

RULES = {
    "data_download.read": Rule(lambda actor, download: actor.user is not None and actor.organization is not None
                               and download.organization_id == actor.organization.id
                               and download.user_id == actor.user.id),
}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


async def _page(request: Request, db: DB, error: str = "", status_code: int = 200) -> Template:
    return render(request, "accounts/data.html", download=await services.latest_of(db, request.state.user),
                  retention_days=request.app.state.settings.data_download_retention_days, error=error,
                  status_code=status_code)


@get("/account/data", opt=SIGNED_IN)
async def data_page(request: Request, db: DB) -> Template:
    """What the archive holds, the state of the person's latest request and the button to ask for one."""
    return await _page(request, db)


@post("/account/data", opt=SIGNED_IN)
async def request_download(request: Request, db: DB) -> Template | Redirect:
    try:
        download = await services.request_download(db, request.state.user)
    except services.DataDownloadError as error:
        return await _page(request, db, _(request, error.message), status_code=409)
    await db.commit()
    await request.app.state.queue.enqueue("core.prepare_data_download", download_id=download.id)
    flash(request, _(request, N_("Your data is being prepared. You will get an e-mail when it is ready.")))
    return Redirect("/account/data", status_code=303)


@get("/account/data/{download_id:int}", opt=OWNER_ONLY)
async def download(request: Request, db: DB, organization: CurrentOrganization, download_id: FromPath[int]) -> File:
    """The archive, for its owner only; anybody else, and an expired or unfinished one, is not found."""
    found: DataDownload | None = await services.download_of(db, organization, download_id)
    if found is None or not allowed(request.app.state.registry.permissions, await actor_of(request),
                                    "data_download.read", found):
        raise NotFoundException()
    return archive_response(services.path_of(request.app.state.settings, found),
                            services.download_name(organization, found))


ROUTES = [data_page, request_download, download]
