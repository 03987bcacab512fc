"""HTTP of categories: the space admin's page under /admin/spaces/<id>/categories.

The rules are in core.categories.services. The permission guard has already checked that the space is
this organization's and that the person administers it; a category is looked up in that space only, so
another space's id is a 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from core.accounts.routes import form_data
from core.auth import flash
from core.categories import services
from core.categories.models import Category
from core.categories.schemas import CategoryForm
from core.forms import Form
from core.i18n import N_
from core.models import Organization, Space
from core.spaces.admin import locales_of
from core.web import DB, CurrentOrganization, render

SPACE_ADMIN = {"permission": "space.admin"}
BASE = "/admin/spaces/{space_id:int}/categories"


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _message(request: Request, error: services.CategoryError) -> str:
    return _(request, error.message, **error.variables)


async def _space(db: DB, organization: Organization, space_id: int) -> Space:
    space = await db.scalar(select(Space).where(Space.id == space_id, Space.organization_id == organization.id))
    if space is None:
        raise NotFoundException()
    return space


async def _category(db: DB, space: Space, category_id: int) -> Category:
    category = await services.category_of(db, space, category_id)
    if category is None:
        raise NotFoundException()
    return category


def _list_url(space: Space) -> str:
    return f"/admin/spaces/{space.id}/categories"


def _public_url(request: Request, space: Space) -> str:
    return f"/{request.app.state.registry.space_types[space.space_type].url_prefix}/{space.slug}"


def _form(request: Request, categories: list[Category], category: Category | None = None, data: Any = None,
          initial: Any = None) -> Form:
    return Form(CategoryForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization),
                choices={"parent_id": services.parent_choices(categories, category,
                                                              _(request, N_("None: it is a first-level category")))})


async def _list_page(request: Request, db: DB, space: Space, form: Form | None = None,
                     status_code: int = 200) -> Template:
    categories = await services.categories_of(db, space)
    return render(request, "admin/categories/list.html", space=space, categories=services.tree(categories),
                  form=form or _form(request, categories), public_url=_public_url(request, space),
                  status_code=status_code)


@get(BASE, opt=SPACE_ADMIN)
async def category_list(request: Request, db: DB, organization: CurrentOrganization,
                        space_id: FromPath[int]) -> Template:
    """The space's categories in their order, and the form that adds one."""
    return await _list_page(request, db, await _space(db, organization, space_id))


@post(BASE, opt=SPACE_ADMIN)
async def create_category(request: Request, db: DB, organization: CurrentOrganization,
                          space_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    form = _form(request, await services.categories_of(db, space), data=await form_data(request))
    if form.validate():
        try:
            await services.create(db, organization, request.state.user, space, form.result)
        except services.CategoryError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The category is added.")))
            return Redirect(_list_url(space), status_code=303)
    return await _list_page(request, db, space, form, status_code=400)


def _edit_page(request: Request, space: Space, category: Category, form: Form, status_code: int = 200) -> Template:
    return render(request, "admin/categories/edit.html", space=space, category=category, form=form,
                  public_url=_public_url(request, space), status_code=status_code)


@get(f"{BASE}/{{category_id:int}}", opt=SPACE_ADMIN)
async def edit_category(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                        category_id: FromPath[int]) -> Template:
    space = await _space(db, organization, space_id)
    category = await _category(db, space, category_id)
    form = _form(request, await services.categories_of(db, space), category, initial={
        "name": category.name, "parent_id": category.parent_id, "weight": category.weight})
    return _edit_page(request, space, category, form)


@post(f"{BASE}/{{category_id:int}}", opt=SPACE_ADMIN)
async def update_category(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                          category_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    category = await _category(db, space, category_id)
    form = _form(request, await services.categories_of(db, space), category, data=await form_data(request))
    if form.validate():
        try:
            await services.update(db, organization, request.state.user, space, category, form.result)
        except services.CategoryError as error:
            form.add_error(error.field, _message(request, error))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(_list_url(space), status_code=303)
    return _edit_page(request, space, category, form, status_code=400)


@get(f"{BASE}/{{category_id:int}}/delete", opt=SPACE_ADMIN)
async def confirm_delete_category(request: Request, db: DB, organization: CurrentOrganization,
                                  space_id: FromPath[int], category_id: FromPath[int]) -> Template:
    """What deleting means and the button that does it; or, while it has subcategories, why it cannot go."""
    space = await _space(db, organization, space_id)
    category = await _category(db, space, category_id)
    refusal = await services.refusal(db, category)
    return render(request, "admin/categories/delete.html", space=space, category=category,
                  refusal=_message(request, refusal) if refusal else "", public_url=_public_url(request, space))


@post(f"{BASE}/{{category_id:int}}/delete", opt=SPACE_ADMIN)
async def delete_category(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                          category_id: FromPath[int]) -> Template | Redirect:
    space = await _space(db, organization, space_id)
    category = await _category(db, space, category_id)
    try:
        await services.delete(db, organization, request.state.user, space, category)
    except services.CategoryError as error:
        return render(request, "admin/categories/delete.html", space=space, category=category,
                      refusal=_message(request, error), public_url=_public_url(request, space), status_code=409)
    await db.commit()
    flash(request, _(request, N_("The category is deleted.")))
    return Redirect(_list_url(space), status_code=303)


ROUTES = [category_list, create_category, edit_category, update_category, confirm_delete_category, delete_category]
