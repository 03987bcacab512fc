"""HTTP of the organization's logo on the admin appearance page (/admin/appearance); the rules are in
core.logos, shared with the system area."""

from __future__ import annotations

from litestar import Request, post
from litestar.response import Redirect, Template

from core import logos
from core.admin import schemas
from core.adminlog import record
from core.auth import flash
from core.forms import Form
from core.i18n import N_
from core.uploads import KINDS, UploadRefused, check, storage
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}


@post("/admin/appearance/logo", opt=ADMIN, request_max_body_size=KINDS["image"].body_limit)
async def upload_logo(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """A new logo from a multipart form: checked and re-encoded by core.uploads, the old one deleted."""
    form = await request.form()
    gettext = request.app.state.catalogs.gettext
    try:
        checked = await check(form.get("logo"), "image", box=logos.BOX)
        await logos.set_logo(db, storage(request.app.state.settings), organization, checked, request.state.user.id)
    except UploadRefused as refused:
        colours = Form(schemas.Appearance, gettext, initial={"primary_color": organization.primary_color,
                                                             "secondary_color": organization.secondary_color})
        return render(request, "admin/appearance.html", form=colours, logo_kind=KINDS["image"],
                      logo_error=refused.translated(gettext), status_code=400)
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()
    record(db, organization.id, request.state.user, "organization.logo")
    await db.commit()
    flash(request, gettext(N_("The logo is saved.")))
    return Redirect("/admin/appearance", status_code=303)


@post("/admin/appearance/logo/remove", opt=ADMIN)
async def remove_logo(request: Request, db: DB, organization: CurrentOrganization) -> Redirect:
    if organization.logo:
        await logos.remove_logo(db, storage(request.app.state.settings), organization)
        record(db, organization.id, request.state.user, "organization.logo_remove")
        await db.commit()
        flash(request, request.app.state.catalogs.gettext(N_("The logo is removed.")))
    return Redirect("/admin/appearance", status_code=303)


ROUTES = [upload_logo, remove_logo]
