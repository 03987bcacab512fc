"""HTTP of static pages: the admin pages under /admin/pages and the public ones under /pages.

The rules are in core.static_pages.services. Every admin page is for organization admins, and a page
is looked up in the request's organization only, so another one's is a 404.
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
from core.i18n import N_
from core.models import Organization
from core.spaces.admin import locales_of
from core.static_pages import services
from core.static_pages.models import StaticPage
from core.static_pages.schemas import StaticPageForm
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}
PUBLIC = {"permission": "public", "terms_exempt": True}
"""Help and about pages can be read before accepting new terms of use, like the terms themselves."""


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(StaticPageForm, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization))


async def _page(db: DB, organization: Organization, page_id: int) -> StaticPage:
    page = await services.page_of(db, organization, page_id)
    if page is None:
        raise NotFoundException()
    return page


# ---------------------------------------------------------------- administration


@get("/admin/pages", opt=ADMIN)
async def page_list(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    return render(request, "admin/static_pages/list.html", pages=await services.pages_of(db, organization))


@get("/admin/pages/new", opt=ADMIN)
async def new_page(request: Request) -> Template:
    return render(request, "admin/static_pages/new.html", form=_form(request))


@post("/admin/pages/new", opt=ADMIN)
async def create_page(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, await form_data(request))
    if form.validate():
        try:
            await services.create(db, organization, request.state.user, form.result)
        except services.StaticPageError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The page is saved.")))
            return Redirect("/admin/pages", status_code=303)
    return render(request, "admin/static_pages/new.html", form=form, status_code=400)


@get("/admin/pages/{page_id:int}", opt=ADMIN)
async def edit_page(request: Request, db: DB, organization: CurrentOrganization, page_id: FromPath[int]) -> Template:
    page = await _page(db, organization, page_id)
    form = _form(request, initial={"slug": page.slug, "title": page.title, "body": page.body, "weight": page.weight,
                                   "show_in_footer": page.show_in_footer})
    return render(request, "admin/static_pages/edit.html", page=page, form=form)


@post("/admin/pages/{page_id:int}", opt=ADMIN)
async def update_page(request: Request, db: DB, organization: CurrentOrganization,
                      page_id: FromPath[int]) -> Template | Redirect:
    page = await _page(db, organization, page_id)
    form = _form(request, await form_data(request))
    if form.validate():
        try:
            await services.update(db, organization, request.state.user, page, form.result)
        except services.StaticPageError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(f"/admin/pages/{page.id}", status_code=303)
    return render(request, "admin/static_pages/edit.html", page=page, form=form, status_code=400)


@get("/admin/pages/{page_id:int}/delete", opt=ADMIN)
async def confirm_delete(request: Request, db: DB, organization: CurrentOrganization,
                         page_id: FromPath[int]) -> Template:
    """What deleting means, and the button that does it."""
    return render(request, "admin/static_pages/delete.html", page=await _page(db, organization, page_id))


@post("/admin/pages/{page_id:int}/delete", opt=ADMIN)
async def delete_page(request: Request, db: DB, organization: CurrentOrganization, page_id: FromPath[int]) -> Redirect:
    page = await _page(db, organization, page_id)
    await services.delete(db, organization, request.state.user, page)
    await db.commit()
    flash(request, _(request, N_("The page is deleted.")))
    return Redirect("/admin/pages", status_code=303)


# ---------------------------------------------------------------- public


@get("/pages", name="static_pages", opt=PUBLIC)
async def index(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    """Every page of the organization, in its order."""
    return render(request, "static_pages/index.html", pages=await services.pages_of(db, organization))


@get("/pages/{slug:str}", name="static_page", opt=PUBLIC)
async def page(request: Request, db: DB, organization: CurrentOrganization, slug: FromPath[str]) -> Template:
    found = await services.page_by_slug(db, organization, slug)
    if found is None:
        raise NotFoundException()
    return render(request, "static_pages/page.html", page=found)


ROUTES = [page_list, new_page, create_page, edit_page, update_page, confirm_delete, delete_page, index, page]
