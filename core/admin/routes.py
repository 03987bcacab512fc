"""HTTP of the organization admin area; the rules are in core.admin.services."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from core.accounts.mails import render_mail, write_to_outbox
from core.accounts.models import User
from core.accounts.routes import form_data
from core.admin import schemas, services
from core.auth import flash
from core.forms import Form
from core.i18n import N_
from core.models import Organization
from core.organizations import terms_in_force
from core.roles import ORGANIZATION_ROLES, organization_roles
from core.uploads import KINDS
from core.web import DB, CurrentOrganization, render

MANAGE_USERS = {"permission": "organization.manage_users"}
ADMIN = {"permission": "organization.admin"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial)


def _page_of(page: int, total: int) -> tuple[int, int]:
    """(the page to show, the number of pages): an out-of-range page number shows the nearest page."""
    pages = max(1, -(-total // services.PER_PAGE))
    return min(max(page, 1), pages), pages


async def _user(db: DB, organization: Organization, user_id: int) -> User:
    user = await services.user_of(db, organization, user_id)
    if user is None:
        raise NotFoundException()
    return user


@get("/admin", name="admin", opt=MANAGE_USERS)
async def dashboard(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    counts = (await db.execute(
        select(func.count(User.id), func.count(User.confirmed_at), func.count(User.blocked_at))
        .where(User.organization_id == organization.id)
    )).one()
    return render(request, "admin/dashboard.html", people=counts[0], confirmed=counts[1], blocked=counts[2])


@get("/admin/users", opt=MANAGE_USERS)
async def users(request: Request, db: DB, organization: CurrentOrganization, q: FromQuery[str] = "",
                page: FromQuery[int] = 1) -> Template:
    q = q[:100]
    found, total, roles = await services.search_users(db, organization, q, max(page, 1))
    page, pages = _page_of(page, total)
    return render(request, "admin/users.html", users=found, total=total, roles=roles, q=q, pages=pages,
                  page=page, role_names=ORGANIZATION_ROLES,
                  invitation=_form(request, schemas.Invitation))


@post("/admin/users/invite", opt=MANAGE_USERS)
async def invite(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, schemas.Invitation, await form_data(request))
    if form.validate():
        try:
            user, token = await services.invite_person(db, organization, request.state.user, form.result.name,
                                                       form.result.email)
        except services.AdminError as error:
            form.add_error("email", _(request, error.message))
        else:
            await db.commit()
            subject, text = render_mail(request.app, organization, user, "invitation", N_("You are invited"),
                                        str(request.base_url), token=token)
            await write_to_outbox(request, user, "invitation", to=user.email, subject=subject, text=text)
            flash(request, _(request, N_("The invitation is on its way to %(email)s."), email=user.email))
            return Redirect("/admin/users", status_code=303)
    found, total, roles = await services.search_users(db, organization)
    page, pages = _page_of(1, total)
    return render(request, "admin/users.html", users=found, total=total, roles=roles, q="", pages=pages, page=page,
                  role_names=ORGANIZATION_ROLES, invitation=form, status_code=400)


async def _user_page(request: Request, db: DB, organization: Organization, user: User, *, block_form=None,
                     roles_form=None, error: str = "", status_code: int = 200) -> Template:
    current = await organization_roles(db, user.id, organization.id)
    return render(
        request, "admin/user.html", person=user, person_roles=current, error=error, status_code=status_code,
        block_form=block_form or _form(request, schemas.Block),
        roles_form=roles_form or _form(request, schemas.OrganizationRoles,
                                       initial={role: True for role in current}),
    )


@get("/admin/users/{user_id:int}", opt=MANAGE_USERS)
async def user_detail(request: Request, db: DB, organization: CurrentOrganization, user_id: FromPath[int]) -> Template:
    return await _user_page(request, db, organization, await _user(db, organization, user_id))


@post("/admin/users/{user_id:int}/block", opt=MANAGE_USERS)
async def block_user(request: Request, db: DB, organization: CurrentOrganization,
                     user_id: FromPath[int]) -> Template | Redirect:
    person = await _user(db, organization, user_id)
    form = _form(request, schemas.Block, await form_data(request))
    if form.validate():
        try:
            await services.block(db, organization, request.state.user, person, form.result.reason)
        except services.AdminError as error:
            return await _user_page(request, db, organization, person, block_form=form,
                                    error=_(request, error.message), status_code=400)
        await db.commit()
        flash(request, _(request, N_("%(name)s is blocked."), name=person.name))
        return Redirect(f"/admin/users/{person.id}", status_code=303)
    return await _user_page(request, db, organization, person, block_form=form, status_code=400)


@post("/admin/users/{user_id:int}/unblock", opt=MANAGE_USERS)
async def unblock_user(request: Request, db: DB, organization: CurrentOrganization, user_id: FromPath[int]) -> Redirect:
    person = await _user(db, organization, user_id)
    await services.unblock(db, organization, request.state.user, person)
    await db.commit()
    flash(request, _(request, N_("%(name)s can log in again."), name=person.name))
    return Redirect(f"/admin/users/{person.id}", status_code=303)


@post("/admin/users/{user_id:int}/roles", opt=ADMIN)
async def change_roles(request: Request, db: DB, organization: CurrentOrganization,
                       user_id: FromPath[int]) -> Template | Redirect:
    person = await _user(db, organization, user_id)
    form = _form(request, schemas.OrganizationRoles, await form_data(request))
    form.validate()
    roles = {name for name, value in (("admin", form.result.admin), ("user_manager", form.result.user_manager))
             if value}
    try:
        await services.change_roles(db, organization, request.state.user, person, roles)
    except services.AdminError as error:
        return await _user_page(request, db, organization, person, roles_form=form,
                                error=_(request, error.message), status_code=400)
    await db.commit()
    flash(request, _(request, N_("The roles of %(name)s are saved."), name=person.name))
    return Redirect(f"/admin/users/{person.id}", status_code=303)


@get("/admin/terms", opt=ADMIN)
async def terms_page(request: Request, db: DB, organization: CurrentOrganization) -> Template:
    current = await terms_in_force(db, organization)
    initial = {f"body_{locale}": text for locale, text in (current.body if current else {}).items()}
    return render(request, "admin/terms.html", form=_form(request, schemas.Terms, initial=initial), current=current)


@post("/admin/terms", opt=ADMIN)
async def publish_terms(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, schemas.Terms, await form_data(request))
    if form.validate():
        body = {locale: getattr(form.result, f"body_{locale}") for locale in organization.available_locales
                if hasattr(form.result, f"body_{locale}")}
        try:
            terms = await services.publish_terms(db, organization, request.state.user, body)
        except services.AdminError as error:
            form.add_error("__all__", _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("Version %(version)s of the terms of use is published."),
                             version=terms.version))
            return Redirect("/admin/terms", status_code=303)
    return render(request, "admin/terms.html", form=form, current=None, status_code=400)


@get("/admin/appearance", opt=ADMIN)
async def appearance_page(request: Request, organization: CurrentOrganization) -> Template:
    initial = {"primary_color": organization.primary_color, "secondary_color": organization.secondary_color}
    return render(request, "admin/appearance.html", form=_form(request, schemas.Appearance, initial=initial),
                  logo_kind=KINDS["image"])


@post("/admin/appearance", opt=ADMIN)
async def change_appearance(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, schemas.Appearance, await form_data(request))
    if not form.validate():
        return render(request, "admin/appearance.html", form=form, logo_kind=KINDS["image"], status_code=400)
    await services.change_appearance(db, organization, request.state.user, form.result.primary_color,
                                     form.result.secondary_color)
    await db.commit()
    flash(request, _(request, N_("The appearance is saved.")))
    return Redirect("/admin/appearance", status_code=303)


@get("/admin/settings", opt=ADMIN)
async def settings_page(request: Request, organization: CurrentOrganization) -> Template:
    initial = {"registration_mode": organization.registration_mode, "minimum_age": organization.minimum_age,
               "default_locale": organization.default_locale, "time_zone": organization.time_zone,
               **{f"locale_{code}": True for code in organization.available_locales}}
    return render(request, "admin/settings.html", form=_form(request, schemas.OrganizationSettings, initial=initial))


@post("/admin/settings", opt=ADMIN)
async def change_settings(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, schemas.OrganizationSettings, await form_data(request))
    if form.validate():
        result = form.result
        locales = [code for code in ("ca", "es", "en") if getattr(result, f"locale_{code}")]
        try:
            await services.change_settings(db, organization, request.state.user,
                                           registration_mode=result.registration_mode, minimum_age=result.minimum_age,
                                           default_locale=result.default_locale, locales=locales,
                                           time_zone=result.time_zone)
        except services.AdminError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The settings are saved.")))
            return Redirect("/admin/settings", status_code=303)
    return render(request, "admin/settings.html", form=form, status_code=400)


@get("/admin/log", opt=ADMIN)
async def admin_log(request: Request, db: DB, organization: CurrentOrganization, page: FromQuery[int] = 1) -> Template:
    entries, total = await services.log_page(db, organization, max(page, 1))
    page, pages = _page_of(page, total)
    return render(request, "admin/log.html", entries=entries, actions=request.app.state.registry.admin_actions,
                  page=page, pages=pages)


ROUTES = [dashboard, users, invite, user_detail, block_user, unblock_user, change_roles, terms_page, publish_terms,
          appearance_page, change_appearance, settings_page, change_settings, admin_log]
