"""HTTP of the system area, /system: the install's administrators set up and look after organizations.

The area is one Router with a session of its own: the cookie ``participa_system`` (path /system,
SameSite=Strict) in the store namespace ``system_sessions``. Its routes skip the organization's
session (``skip_session``), so an organization's login means nothing here and a system login
nothing on an organization's pages. It answers on every host of an organization and on
``PARTICIPA_SYSTEM_HOST`` (a host that belongs to no organization, for an install that has none yet);
``core.web.RequestContextMiddleware`` lets ``system_area`` routes through on that host only.
The rules are in core.system.services.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Receive, Scope, Send

from core import logos
from core.accounts.mails import render_mail, write_to_outbox
from core.accounts.routes import client_address, form_data
from core.admin.schemas import Appearance
from core.auth import flash
from core.forms import Form
from core.i18n import DEFAULT_TIME_ZONE, N_
from core.models import Organization
from core.sessions import SessionConfig, rotate
from core.system import services
from core.system.schemas import Login, NewOrganization, OrganizationChanges
from core.uploads import KINDS, UploadRefused, check, storage
from core.web import DB, render, safe_next

SESSION_ADMIN = "system_admin_id"
SESSION_MAX_AGE = 3600
"""An hour of inactivity ends a system session, whatever PARTICIPA_SESSION_MAX_AGE says for people."""
LOGIN_PATH = "/system/login"
AREA = {"skip_session": True, "system_area": True}
SYSTEM = {**AREA, "permission": "system.admin", "login_path": LOGIN_PATH}
PUBLIC = {**AREA, "permission": "public"}
LANGUAGES = ("ca", "es", "en")

session_config = SessionConfig(
    key="participa_system", store="system_sessions", path="/system", max_age=SESSION_MAX_AGE, httponly=True,
    samesite="strict", renew_on_access=True, exclude_opt_key="skip_system_session",
)


class SystemAdminMiddleware(ASGIMiddleware):
    """Loads the system administrator of the system session into ``request.state.system_admin``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        session = scope.get("session")
        admin_id = session.get(SESSION_ADMIN) if isinstance(session, dict) else None
        admin = await services.admin_of(state["db"], admin_id) if isinstance(admin_id, int) else None
        if admin_id is not None and admin is None:
            scope["session"] = {}  # the account is gone: the session ends
        state["system_admin"] = admin
        await next_app(scope, receive, send)


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A page of the system area: nothing of the host's organization shows (no name, menu or account)."""
    return render(request, template, status_code=status_code, organization=None, current_user=None, nav_links=[],
                  footer_pages=[], organization_roles=frozenset(), space_roles={}, unread_notifications=0,
                  languages=[], system_admin=request.state.get("system_admin"), **context)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial, locales=LANGUAGES)


def _error(request: Request, form: Form, error: services.SystemAreaError) -> None:
    form.add_error(error.field, _(request, error.message, **error.variables))


async def _organization(db: DB, organization_id: int) -> Organization:
    organization = await services.organization_of(db, organization_id)
    if organization is None:
        raise NotFoundException()
    return organization


def _site_url(request: Request, host: str) -> str:
    """The address of an organization's site as seen from this request (same scheme, and port when not
    the default one, so that invitations work on a development install too)."""
    port = request.url.port
    return f"{request.url.scheme}://{host}" + (f":{port}" if port and port not in (80, 443) else "")


# ---------------------------------------------------------------- login and logout


@get("/login", opt=PUBLIC)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Template:
    return _render(request, "system/login.html", form=_form(request, Login), next=safe_next(next, "/system"))


@post("/login", opt=PUBLIC)
async def login(request: Request, db: DB) -> Template | Redirect:
    data = await form_data(request)
    target = safe_next(data.get("next"), "/system")
    if not target.startswith("/system"):
        target = "/system"
    form = _form(request, Login, data)
    if form.validate():
        try:
            admin = await services.authenticate(db, services.Limits.from_counters(request.app.state.counters),
                                                form.result.email, form.result.password, client_address(request))
        except services.LoginRefused as refused:
            form.add_error("__all__", _(request, {
                "invalid": N_("The e-mail or the password is not right."),
                "locked": N_("Too many failed attempts. Wait 15 minutes and try again."),
            }[refused.reason]))
        else:
            await db.commit()
            request.set_session({SESSION_ADMIN: admin.id})
            rotate(request)  # a new session id: no session fixation
            return Redirect(target, status_code=303)
    return _render(request, "system/login.html", form=form, next=target, status_code=400)


@post("/logout", opt=PUBLIC)
async def logout(request: Request) -> Redirect:
    request.clear_session()
    rotate(request)
    return Redirect(LOGIN_PATH, status_code=303)


# ---------------------------------------------------------------- organizations


@get("/", name="system", opt=SYSTEM)
async def dashboard(request: Request, db: DB) -> Template:
    """Every organization of the install, with its hosts and how many people it has."""
    return _render(request, "system/organizations.html", organizations=await services.organizations_with_people(db))


def _new_form(request: Request, data: Any = None) -> Form:
    return _form(request, NewOrganization, data, initial={
        "default_locale": "ca", "locale_ca": True, "locale_es": True, "locale_en": True, "registration_mode": "open",
        "minimum_age": 14, "time_zone": DEFAULT_TIME_ZONE})


@get("/organizations/new", opt=SYSTEM)
async def new_organization(request: Request) -> Template:
    return _render(request, "system/new.html", form=_new_form(request))


@post("/organizations/new", opt=SYSTEM)
async def create_organization(request: Request, db: DB) -> Template | Redirect:
    """Create the organization and mail its first administrator an invitation."""
    form = _new_form(request, await form_data(request))
    if form.validate():
        try:
            founded = await services.create_organization(db, request.state.system_admin, form.result)
        except services.SystemAreaError as error:
            _error(request, form, error)
        else:
            await db.commit()
            organization, user = founded.organization, founded.admin
            if founded.token is not None:
                subject, text = render_mail(request.app, organization, user, "invitation", N_("You are invited"),
                                            _site_url(request, services.split_hosts(form.result.main_host, "")[0]),
                                            token=founded.token)
                await write_to_outbox(request, user, "invitation", to=user.email, subject=subject, text=text)
            flash(request, _(request, N_("The organization is created; the invitation is on its way to %(email)s."),
                             email=user.email))
            return Redirect(f"/system/organizations/{organization.id}", status_code=303)
    return _render(request, "system/new.html", form=form, status_code=400)


def _edit_page(request: Request, organization: Organization, form: Form, status_code: int = 200) -> Template:
    return _render(request, "system/organization.html", target=organization, form=form,
                   site_url=_site_url(request, services.main_host(organization)), status_code=status_code)


@get("/organizations/{organization_id:int}", opt=SYSTEM)
async def organization_page(request: Request, db: DB, organization_id: FromPath[int]) -> Template:
    organization = await _organization(db, organization_id)
    form = _form(request, OrganizationChanges, initial=services.form_values(organization))
    return _edit_page(request, organization, form)


@post("/organizations/{organization_id:int}", opt=SYSTEM)
async def update_organization(request: Request, db: DB, organization_id: FromPath[int]) -> Template | Redirect:
    organization = await _organization(db, organization_id)
    form = _form(request, OrganizationChanges, await form_data(request))
    if form.validate():
        try:
            await services.update_organization(db, request.state.system_admin, organization, form.result)
        except services.SystemAreaError as error:
            _error(request, form, error)
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return Redirect(f"/system/organizations/{organization.id}", status_code=303)
    return _edit_page(request, organization, form, status_code=400)


# ---------------------------------------------------------------- appearance: colours and logo


def _appearance_page(request: Request, organization: Organization, colours: Form | None = None,
                     logo_error: str = "", status_code: int = 200) -> Template:
    colours = colours or _form(request, Appearance, initial={"primary_color": organization.primary_color,
                                                             "secondary_color": organization.secondary_color})
    return _render(request, "system/appearance.html", target=organization, colours=colours, logo_error=logo_error,
                   logo_kind=KINDS["image"], site_url=_site_url(request, services.main_host(organization)),
                   status_code=status_code)


@get("/organizations/{organization_id:int}/appearance", opt=SYSTEM)
async def appearance_page(request: Request, db: DB, organization_id: FromPath[int]) -> Template:
    return _appearance_page(request, await _organization(db, organization_id))


@post("/organizations/{organization_id:int}/colours", opt=SYSTEM)
async def change_colours(request: Request, db: DB, organization_id: FromPath[int]) -> Template | Redirect:
    organization = await _organization(db, organization_id)
    form = _form(request, Appearance, await form_data(request))
    if not form.validate():
        return _appearance_page(request, organization, colours=form, status_code=400)
    await services.change_colours(db, request.state.system_admin, organization, form.result.primary_color,
                                  form.result.secondary_color)
    await db.commit()
    flash(request, _(request, N_("The colours are saved.")))
    return Redirect(f"/system/organizations/{organization.id}/appearance", status_code=303)


@post("/organizations/{organization_id:int}/logo", opt=SYSTEM, request_max_body_size=KINDS["image"].body_limit)
async def upload_logo(request: Request, db: DB, organization_id: FromPath[int]) -> Template | Redirect:
    """A new logo from a multipart form: checked and re-encoded by core.uploads, the old one deleted."""
    organization = await _organization(db, organization_id)
    form = await request.form()
    try:
        checked = await check(form.get("logo"), "image", box=logos.BOX)
        await logos.set_logo(db, storage(request.app.state.settings), organization, checked)
    except UploadRefused as refused:
        return _appearance_page(request, organization, logo_error=refused.translated(request.app.state.catalogs.gettext),
                                status_code=400)
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()
    services.record(db, request.state.system_admin, "organization.logo", services.organization_label(organization),
                    organization)
    await db.commit()
    flash(request, _(request, N_("The logo is saved.")))
    return Redirect(f"/system/organizations/{organization.id}/appearance", status_code=303)


@post("/organizations/{organization_id:int}/logo/remove", opt=SYSTEM)
async def remove_logo(request: Request, db: DB, organization_id: FromPath[int]) -> Redirect:
    organization = await _organization(db, organization_id)
    if organization.logo:
        await logos.remove_logo(db, storage(request.app.state.settings), organization)
        services.record(db, request.state.system_admin, "organization.logo_remove",
                        services.organization_label(organization), organization)
        await db.commit()
        flash(request, _(request, N_("The logo is removed.")))
    return Redirect(f"/system/organizations/{organization.id}/appearance", status_code=303)


# ---------------------------------------------------------------- the log


@get("/log", opt=SYSTEM)
async def system_log(request: Request, db: DB, page: FromQuery[int] = 1) -> Template:
    entries, page, pages = await services.log_page(db, page)
    return _render(request, "system/log.html", entries=entries, actions=services.ACTIONS, page=page, pages=pages)


router = Router(
    path="/system",
    route_handlers=[login_page, login, logout, dashboard, new_organization, create_organization, organization_page,
                    update_organization, appearance_page, change_colours, upload_logo, remove_logo, system_log],
    middleware=[session_config.middleware, SystemAdminMiddleware()],
)
