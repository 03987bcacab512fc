"""HTTP of areas: the organization admin's pages under /admin/areas.

The rules are in core.areas.services. An area or area type is looked up in the request's organization
only, so another organization's id is a 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.areas import services
from core.areas.models import Area, AreaType
from core.areas.schemas import AreaForm, AreaTypeForm
from core.auth import flash
from core.forms import Form
from core.i18n import N_, translated
from core.models import Organization
from core.spaces.admin import locales_of
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}
LIST = "/admin/areas"


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _message(request: Request, error: services.AreaError) -> str:
    return _(request, error.message, **error.variables)


async def _area(db: DB, organization: Organization, area_id: int) -> Area:
    area = await services.area_of(db, organization, area_id)
    if area is None:
        raise NotFoundException()
    return area


async def _area_type(db: DB, organization: Organization, area_type_id: int) -> AreaType:
    area_type = await services.area_type_of(db, organization, area_type_id)
    if area_type is None:
        raise NotFoundException()
    return area_type


async def _area_form(request: Request, db: DB, area: Area | None = None, data: Any = None) -> Form:
    """The area's form; its type is chosen among the organization's own (left out while there are none)."""
    types = await services.area_types_of(db, request.state.organization)
    initial = {"name": area.name, "area_type_id": area.area_type_id} if area is not None else None
    options = [(str(kind.id), translated(kind.name)) for kind in types]
    return Form(AreaForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization),
                choices={"area_type_id": [("", _(request, N_("No type"))), *options] if options else []})


def _type_form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(AreaTypeForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization))


# ---------------------------------------------------------------- the list


@get(LIST, opt=ADMIN)
async def area_list(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """The organization's areas by type, and the types they can be of."""
    areas = await services.areas_of(db, organization)
    types = await services.area_types_of(db, organization)
    return render(request, "admin/areas/list.html", areas=areas, types={kind.id: kind for kind in types},
                  area_types=types)


# ---------------------------------------------------------------- areas


@get(f"{LIST}/new", opt=ADMIN)
async def new_area(request: Request, db: DB) -> Template:
    return render(request, "admin/areas/area.html", area=None, form=await _area_form(request, db))


@post(f"{LIST}/new", opt=ADMIN)
async def create_area(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = await _area_form(request, db, data=await form_data(request))
    if form.validate():
        try:
            await services.create(db, organization, request.state.user, form.result)
        except services.AreaError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The area is saved.")))
            return Redirect(LIST, status_code=303)
    return render(request, "admin/areas/area.html", area=None, form=form, status_code=400)


@get(f"{LIST}/{{area_id:int}}", opt=ADMIN)
async def edit_area(request: Request, db: DB, organization: CurrentOrganization, area_id: FromPath[int]) -> Template:
    area = await _area(db, organization, area_id)
    return render(request, "admin/areas/area.html", area=area, form=await _area_form(request, db, area))


@post(f"{LIST}/{{area_id:int}}", opt=ADMIN)
async def update_area(request: Request, db: DB, organization: CurrentOrganization,
                      area_id: FromPath[int]) -> Template | Redirect:
    area = await _area(db, organization, area_id)
    form = await _area_form(request, db, area, await form_data(request))
    if form.validate():
        try:
            await services.update(db, organization, request.state.user, area, form.result)
        except services.AreaError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(LIST, status_code=303)
    return render(request, "admin/areas/area.html", area=area, form=form, status_code=400)


@get(f"{LIST}/{{area_id:int}}/delete", opt=ADMIN)
async def confirm_delete_area(request: Request, db: DB, organization: CurrentOrganization,
                              area_id: FromPath[int]) -> Template:
    """What deleting means: the spaces that have the area keep existing, without an area."""
    area = await _area(db, organization, area_id)
    return render(request, "admin/areas/delete.html", title=area.name, back=f"{LIST}/{area.id}",
                  action=f"{LIST}/{area.id}/delete", refusal="", kind="area",
                  spaces=await services.spaces_with(db, area))


@post(f"{LIST}/{{area_id:int}}/delete", opt=ADMIN)
async def delete_area(request: Request, db: DB, organization: CurrentOrganization,
                      area_id: FromPath[int]) -> Redirect:
    area = await _area(db, organization, area_id)
    cleared = await services.delete(db, organization, request.state.user, area)
    await db.commit()
    flash(request, request.app.state.catalogs.ngettext(
        "The area is deleted; %(num)s space no longer has an area.",
        "The area is deleted; %(num)s spaces no longer have an area.", cleared)
        if cleared else _(request, N_("The area is deleted.")))
    return Redirect(LIST, status_code=303)


# ---------------------------------------------------------------- area types


@get(f"{LIST}/types/new", opt=ADMIN)
async def new_area_type(request: Request) -> Template:
    return render(request, "admin/areas/type.html", area_type=None, form=_type_form(request))


@post(f"{LIST}/types/new", opt=ADMIN)
async def create_area_type(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _type_form(request, await form_data(request))
    if form.validate():
        await services.create_type(db, organization, request.state.user, form.result)
        await db.commit()
        flash(request, _(request, N_("The area type is saved.")))
        return Redirect(LIST, status_code=303)
    return render(request, "admin/areas/type.html", area_type=None, form=form, status_code=400)


@get(f"{LIST}/types/{{area_type_id:int}}", opt=ADMIN)
async def edit_area_type(request: Request, db: DB, organization: CurrentOrganization,
                         area_type_id: FromPath[int]) -> Template:
    area_type = await _area_type(db, organization, area_type_id)
    return render(request, "admin/areas/type.html", area_type=area_type,
                  form=_type_form(request, initial={"name": area_type.name, "plural": area_type.plural}))


@post(f"{LIST}/types/{{area_type_id:int}}", opt=ADMIN)
async def update_area_type(request: Request, db: DB, organization: CurrentOrganization,
                           area_type_id: FromPath[int]) -> Template | Redirect:
    area_type = await _area_type(db, organization, area_type_id)
    form = _type_form(request, await form_data(request))
    if form.validate():
        await services.update_type(db, organization, request.state.user, area_type, form.result)
        await db.commit()
        flash(request, _(request, N_("The changes are saved.")))
        return Redirect(LIST, status_code=303)
    return render(request, "admin/areas/type.html", area_type=area_type, form=form, status_code=400)


@get(f"{LIST}/types/{{area_type_id:int}}/delete", opt=ADMIN)
async def confirm_delete_area_type(request: Request, db: DB, organization: CurrentOrganization,
                                   area_type_id: FromPath[int]) -> Template:
    area_type = await _area_type(db, organization, area_type_id)
    refusal = await services.type_refusal(db, area_type)
    return render(request, "admin/areas/delete.html", title=area_type.name,
                  back=f"{LIST}/types/{area_type.id}", action=f"{LIST}/types/{area_type.id}/delete",
                  refusal=_message(request, refusal) if refusal else "", kind="type", spaces=0)


@post(f"{LIST}/types/{{area_type_id:int}}/delete", opt=ADMIN)
async def delete_area_type(request: Request, db: DB, organization: CurrentOrganization,
                           area_type_id: FromPath[int]) -> Template | Redirect:
    area_type = await _area_type(db, organization, area_type_id)
    try:
        await services.delete_type(db, organization, request.state.user, area_type)
    except services.AreaError as error:
        return render(request, "admin/areas/delete.html", title=area_type.name,
                      back=f"{LIST}/types/{area_type.id}", action=f"{LIST}/types/{area_type.id}/delete",
                      refusal=_message(request, error), kind="type", spaces=0, status_code=409)
    await db.commit()
    flash(request, _(request, N_("The area type is deleted.")))
    return Redirect(LIST, status_code=303)


ROUTES = [area_list, new_area, create_area, edit_area, update_area, confirm_delete_area, delete_area,
          new_area_type, create_area_type, edit_area_type, update_area_type, confirm_delete_area_type,
          delete_area_type]
