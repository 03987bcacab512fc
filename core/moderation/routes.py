"""HTTP of moderation: the report form (inside components, beside their comment routes) and the
moderation page of a space's administration (``/admin/spaces/<id>/moderation``).

The permission guard has loaded the space named by ``space_id`` in this organization before the
moderation pages run (404 for another organization's, 403 for someone who may not moderate it).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from core.accounts.routes import form_data
from core.admin import schemas as admin_schemas
from core.admin import services as admin_services
from core.auth import flash
from core.forms import Form
from core.i18n import N_
from core.models import Component, Organization, Space
from core.moderation import services
from core.moderation.schemas import ReportForm
from core.permissions import actor_of, allowed
from core.spaces.public import CurrentComponent, component_url
from core.web import DB, CurrentOrganization, render

REPORT = {"permission": "moderation.report"}
MODERATE = {"permission": "space.moderate"}
ORGANIZATION_ADMIN = {"permission": "organization.admin"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


# ---------------------------------------------------------------- reporting


async def _reported(request: Request, component: Component, resource_type: str,
                    resource_id: int | None) -> services.Reported:
    try:
        return await services.reportable(request.state.db, request.app.state.registry, component, resource_type,
                                         resource_id)
    except services.ResourceNotFound:
        raise NotFoundException() from None


def _report_page(request: Request, component: Component, reported: services.Reported, form: Form,
                 status_code: int = 200) -> Template:
    return render(request, "moderation/report.html", component=component, space=component.space, reported=reported,
                  form=form, action=f"{component_url(request.app.state.registry, component)}/reports",
                  status_code=status_code)


def _report_form(request: Request, data: Any = None) -> Form:
    return Form(ReportForm, request.app.state.catalogs.gettext, data)


@get("/reports/new", opt=REPORT)
async def report_page(request: Request, component: CurrentComponent, resource_type: FromQuery[str] = "",
                      resource_id: FromQuery[int | None] = None) -> Template:
    """The form to report a comment or a reportable resource to the space's moderators."""
    reported = await _reported(request, component, resource_type, resource_id)
    return _report_page(request, component, reported, _report_form(request))


@post("/reports", opt=REPORT)
async def create_report(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    data = await form_data(request)
    try:
        resource_id = int(data.get("resource_id") or "")
    except ValueError:
        raise NotFoundException() from None
    reported = await _reported(request, component, str(data.get("resource_type") or ""), resource_id)
    form = _report_form(request, data)
    if form.validate():
        try:
            moderation = await services.report(db, request.app.state.settings, component, request.state.user,
                                               reported, form.result.reason, form.result.details)
        except services.ModerationError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            hidden = moderation.hidden_at is not None
            await db.commit()
            flash(request, _(request, N_("Thank you. The moderators of this space will review it.")))
            # Something hidden just now has no page any more; a hidden comment leaves a placeholder.
            target = reported.path if not hidden or reported.resource_type == services.COMMENT else (
                component_url(request.app.state.registry, component))
            return Redirect(target, status_code=303)
    return _report_page(request, component, reported, form, status_code=400)


REPORT_ROUTES = [report_page, create_report]


# ---------------------------------------------------------------- the moderation page


def _public_url(request: Request, space: Space) -> str:
    return f"/{request.app.state.registry.space_types[space.space_type].url_prefix}/{space.slug}"


@get("/admin/spaces/{space_id:int}/moderation", opt=MODERATE)
async def moderation_page(request: Request, db: DB, space_id: FromPath[int], show: FromQuery[str] = "reported",
                          page: FromQuery[int] = 1) -> Template:
    """Reported content waiting for review, or hidden content, with reasons, counts and actions."""
    space = request.state.space
    hidden = show == "hidden"
    items, total = await services.moderations_of(db, space, hidden, page)
    pages = max(1, -(-total // services.PER_PAGE))
    actor = await actor_of(request)
    rules = request.app.state.registry.permissions
    return render(
        request, "moderation/index.html", space=space, items=items, total=total, page=min(max(page, 1), pages),
        pages=pages, show="hidden" if hidden else "reported", reasons=services.REASON_LABELS,
        public_url=_public_url(request, space), may_administer=allowed(rules, actor, "space.admin", space),
        may_block=allowed(rules, actor, "organization.admin"), comment_type=services.COMMENT,
    )


async def _moderation(request: Request, space: Space, moderation_id: int) -> Any:
    if not services.valid_id(moderation_id):
        raise NotFoundException()
    moderation = await services.moderation_of(request.state.db, space, moderation_id)
    if moderation is None:
        raise NotFoundException()
    return moderation


def _back(space: Space, hidden: bool) -> Redirect:
    return Redirect(f"/admin/spaces/{space.id}/moderation" + ("?show=hidden" if hidden else ""), status_code=303)


@post("/admin/spaces/{space_id:int}/moderation/{moderation_id:int}/hide", opt=MODERATE)
async def hide(request: Request, db: DB, space_id: FromPath[int], moderation_id: FromPath[int]) -> Redirect:
    space = request.state.space
    moderation = await _moderation(request, space, moderation_id)
    await services.hide(db, space, moderation, request.state.user)
    await db.commit()
    flash(request, _(request, N_("The content is hidden.")))
    return _back(space, hidden=False)


@post("/admin/spaces/{space_id:int}/moderation/{moderation_id:int}/unhide", opt=MODERATE)
async def unhide(request: Request, db: DB, space_id: FromPath[int], moderation_id: FromPath[int]) -> Redirect:
    """Show hidden content again, or keep reported content visible; either way its reports are cleared."""
    space = request.state.space
    moderation = await _moderation(request, space, moderation_id)
    was_hidden = moderation.hidden_at is not None
    await services.unhide(db, space, moderation, request.state.user)
    await db.commit()
    flash(request, _(request, N_("The content is visible again and its reports are cleared.") if was_hidden
                     else N_("The reports are dismissed; the content stays visible.")))
    return _back(space, hidden=was_hidden)


# ---------------------------------------------------------------- blocking the author


async def _space(db: DB, organization: Organization, space_id: int) -> Space:
    space = await db.scalar(select(Space).where(Space.id == space_id, Space.organization_id == organization.id))
    if space is None:
        raise NotFoundException()
    return space


async def _block_context(request: Request, db: DB, organization: Organization, space_id: int,
                         moderation_id: int) -> tuple[Space, Any, Any]:
    space = await _space(db, organization, space_id)
    moderation = await _moderation(request, space, moderation_id)
    author = await services.author_of(db, organization, moderation)
    if author is None:
        raise NotFoundException()
    return space, moderation, author


def _block_page(request: Request, space: Space, moderation: Any, author: Any, form: Form,
                status_code: int = 200) -> Template:
    return render(request, "moderation/block.html", space=space, moderation=moderation, author=author, form=form,
                  status_code=status_code)


@get("/admin/spaces/{space_id:int}/moderation/{moderation_id:int}/block", opt=ORGANIZATION_ADMIN)
async def block_page(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                     moderation_id: FromPath[int]) -> Template:
    """Confirm blocking the author of reported content, with a reason for the admin log."""
    space, moderation, author = await _block_context(request, db, organization, space_id, moderation_id)
    return _block_page(request, space, moderation, author,
                       Form(admin_schemas.Block, request.app.state.catalogs.gettext))


@post("/admin/spaces/{space_id:int}/moderation/{moderation_id:int}/block", opt=ORGANIZATION_ADMIN)
async def block_author(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                       moderation_id: FromPath[int]) -> Template | Redirect:
    space, moderation, author = await _block_context(request, db, organization, space_id, moderation_id)
    form = Form(admin_schemas.Block, request.app.state.catalogs.gettext, await form_data(request))
    if form.validate():
        try:
            await admin_services.block(db, organization, request.state.user, author, form.result.reason)
        except admin_services.AdminError as error:
            form.add_error("__all__", _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("%(name)s is blocked."), name=author.name))
            return _back(space, hidden=moderation.hidden_at is not None)
    return _block_page(request, space, moderation, author, form, status_code=400)


ROUTES = [moderation_page, hide, unhide, block_page, block_author]
