"""HTTP of scopes: the organization admin's pages under /admin/scopes.

The rules are in core.scopes.services. A scope or scope type is looked up in the request's organization
only, so another organization's id is a 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.auth import flash
from core.forms import Form
from core.i18n import N_, translated
from core.models import Organization
from core.scopes import services
from core.scopes.models import Scope, ScopeType
from core.scopes.schemas import ScopeForm, ScopeTypeForm
from core.spaces.admin import locales_of
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}
LIST = "/admin/scopes"


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _message(request: Request, error: services.ScopeError) -> str:
    return _(request, error.message, **error.variables)


async def _scope(db: DB, organization: Organization, scope_id: int) -> Scope:
    scope = await services.scope_of(db, organization, scope_id)
    if scope is None:
        raise NotFoundException()
    return scope


async def _scope_type(db: DB, organization: Organization, scope_type_id: int) -> ScopeType:
    scope_type = await services.scope_type_of(db, organization, scope_type_id)
    if scope_type is None:
        raise NotFoundException()
    return scope_type


async def _scope_form(request: Request, db: DB, scope: Scope | None = None, data: Any = None) -> Form:
    """The scope's form; its type and the scope it sits in are chosen among the organization's own (never the
    scope itself or one inside it)."""
    organization = request.state.organization
    scopes = await services.scopes_of(db, organization)
    types = await services.scope_types_of(db, organization)
    initial = None
    if scope is not None:
        initial = {"name": scope.name, "code": scope.code, "scope_type_id": scope.scope_type_id,
                   "parent_id": scope.parent_id}
    excluded = services.within(scopes, scope.id) if scope is not None else set()
    return Form(ScopeForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(organization), choices={
                    "scope_type_id": [("", _(request, N_("No type"))),
                                      *((str(kind.id), translated(kind.name)) for kind in types)],
                    "parent_id": services.choices(scopes, _(request, N_("None: it is not inside another scope")),
                                                  exclude=excluded),
                })


def _type_form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(ScopeTypeForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization))


# ---------------------------------------------------------------- the list


@get(LIST, opt=ADMIN)
async def scope_list(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """The organization's scopes as a tree, and the types they can be of."""
    scopes = await services.scopes_of(db, organization)
    types = await services.scope_types_of(db, organization)
    return render(request, "admin/scopes/list.html", scopes=services.tree(scopes),
                  types={kind.id: kind for kind in types}, scope_types=types)


# ---------------------------------------------------------------- scopes


@get(f"{LIST}/new", opt=ADMIN)
async def new_scope(request: Request, db: DB) -> Template:
    return render(request, "admin/scopes/scope.html", scope=None, form=await _scope_form(request, db))


@post(f"{LIST}/new", opt=ADMIN)
async def create_scope(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = await _scope_form(request, db, data=await form_data(request))
    if form.validate():
        try:
            await services.create(db, organization, request.state.user, form.result)
        except services.ScopeError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The scope is saved.")))
            return Redirect(LIST, status_code=303)
    return render(request, "admin/scopes/scope.html", scope=None, form=form, status_code=400)


@get(f"{LIST}/{{scope_id:int}}", opt=ADMIN)
async def edit_scope(request: Request, db: DB, organization: CurrentOrganization, scope_id: FromPath[int]) -> Template:
    scope = await _scope(db, organization, scope_id)
    return render(request, "admin/scopes/scope.html", scope=scope, form=await _scope_form(request, db, scope))


@post(f"{LIST}/{{scope_id:int}}", opt=ADMIN)
async def update_scope(request: Request, db: DB, organization: CurrentOrganization,
                       scope_id: FromPath[int]) -> Template | Redirect:
    scope = await _scope(db, organization, scope_id)
    form = await _scope_form(request, db, scope, await form_data(request))
    if form.validate():
        try:
            await services.update(db, organization, request.state.user, scope, form.result)
        except services.ScopeError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(LIST, status_code=303)
    return render(request, "admin/scopes/scope.html", scope=scope, form=form, status_code=400)


@get(f"{LIST}/{{scope_id:int}}/delete", opt=ADMIN)
async def confirm_delete_scope(request: Request, db: DB, organization: CurrentOrganization,
                               scope_id: FromPath[int]) -> Template:
    """What deleting means and the button that does it; or, while the scope is in use, why it cannot go."""
    scope = await _scope(db, organization, scope_id)
    refusal = await services.refusal(db, scope)
    return render(request, "admin/scopes/delete.html", title=scope.name, back=f"{LIST}/{scope.id}",
                  action=f"{LIST}/{scope.id}/delete", refusal=_message(request, refusal) if refusal else "",
                  kind="scope")


@post(f"{LIST}/{{scope_id:int}}/delete", opt=ADMIN)
async def delete_scope(request: Request, db: DB, organization: CurrentOrganization,
                       scope_id: FromPath[int]) -> Template | Redirect:
    scope = await _scope(db, organization, scope_id)
    try:
        await services.delete(db, organization, request.state.user, scope)
    except services.ScopeError as error:
        return render(request, "admin/scopes/delete.html", title=scope.name, back=f"{LIST}/{scope.id}",
                      action=f"{LIST}/{scope.id}/delete", refusal=_message(request, error), kind="scope",
                      status_code=409)
    await db.commit()
    flash(request, _(request, N_("The scope is deleted.")))
    return Redirect(LIST, status_code=303)


# ---------------------------------------------------------------- scope types


@get(f"{LIST}/types/new", opt=ADMIN)
async def new_scope_type(request: Request) -> Template:
    return render(request, "admin/scopes/type.html", scope_type=None, form=_type_form(request))


@post(f"{LIST}/types/new", opt=ADMIN)
async def create_scope_type(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _type_form(request, await form_data(request))
    if form.validate():
        await services.create_type(db, organization, request.state.user, form.result)
        await db.commit()
        flash(request, _(request, N_("The scope type is saved.")))
        return Redirect(LIST, status_code=303)
    return render(request, "admin/scopes/type.html", scope_type=None, form=form, status_code=400)


@get(f"{LIST}/types/{{scope_type_id:int}}", opt=ADMIN)
async def edit_scope_type(request: Request, db: DB, organization: CurrentOrganization,
                          scope_type_id: FromPath[int]) -> Template:
    scope_type = await _scope_type(db, organization, scope_type_id)
    return render(request, "admin/scopes/type.html", scope_type=scope_type,
                  form=_type_form(request, initial={"name": scope_type.name}))


@post(f"{LIST}/types/{{scope_type_id:int}}", opt=ADMIN)
async def update_scope_type(request: Request, db: DB, organization: CurrentOrganization,
                            scope_type_id: FromPath[int]) -> Template | Redirect:
    scope_type = await _scope_type(db, organization, scope_type_id)
    form = _type_form(request, await form_data(request))
    if form.validate():
        await services.update_type(db, organization, request.state.user, scope_type, form.result)
        await db.commit()
        flash(request, _(request, N_("The changes are saved.")))
        return Redirect(LIST, status_code=303)
    return render(request, "admin/scopes/type.html", scope_type=scope_type, form=form, status_code=400)


@get(f"{LIST}/types/{{scope_type_id:int}}/delete", opt=ADMIN)
async def confirm_delete_scope_type(request: Request, db: DB, organization: CurrentOrganization,
                                    scope_type_id: FromPath[int]) -> Template:
    scope_type = await _scope_type(db, organization, scope_type_id)
    refusal = await services.type_refusal(db, scope_type)
    return render(request, "admin/scopes/delete.html", title=scope_type.name,
                  back=f"{LIST}/types/{scope_type.id}", action=f"{LIST}/types/{scope_type.id}/delete",
                  refusal=_message(request, refusal) if refusal else "", kind="type")


@post(f"{LIST}/types/{{scope_type_id:int}}/delete", opt=ADMIN)
async def delete_scope_type(request: Request, db: DB, organization: CurrentOrganization,
                            scope_type_id: FromPath[int]) -> Template | Redirect:
    scope_type = await _scope_type(db, organization, scope_type_id)
    try:
        await services.delete_type(db, organization, request.state.user, scope_type)
    except services.ScopeError as error:
        return render(request, "admin/scopes/delete.html", title=scope_type.name,
                      back=f"{LIST}/types/{scope_type.id}", action=f"{LIST}/types/{scope_type.id}/delete",
                      refusal=_message(request, error), kind="type", status_code=409)
    await db.commit()
    flash(request, _(request, N_("The scope type is deleted.")))
    return Redirect(LIST, status_code=303)


ROUTES = [scope_list, new_scope, create_scope, edit_scope, update_scope, confirm_delete_scope, delete_scope,
          new_scope_type, create_scope_type, edit_scope_type, update_scope_type, confirm_delete_scope_type,
          delete_scope_type]
