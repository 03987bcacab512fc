"""Account pages: register, confirm the e-mail, log in and out, reset a forgotten password."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from core.accounts import services
from core.accounts.mails import render_mail, send_to_user, write_to_outbox
from core.accounts.passwords import password_problem
from core.accounts.schemas import (
    Deletion,
    EmailChange,
    ForgottenPassword,
    InvitationAcceptance,
    Login,
    NewPassword,
    PasswordChange,
    Preferences,
    Registration,
)
from core.accounts.tokens import peek
from core.auth import flash, log_in, log_out
from core.forms import Form
from core.i18n import N_, current_locale
from core.organizations import terms_in_force
from core.uploads import KINDS, UploadRefused, check, storage
from core.web import DB, LOCALE_COOKIE, CurrentOrganization, render, safe_next

PUBLIC = {"permission": "public"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


async def form_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {key: form.get(key) for key in form}


def validate_with_password(request: Request, form: Form, email: str = "") -> bool:
    """Validate the form and, in the same pass, the new password's rules, so every problem shows at once.

    The services check the same rule again (``password_problem``) before anything is stored.
    """
    valid = form.validate()
    password = form.raw.get("password") or ""
    if password and "password" not in form.errors:
        problem = password_problem(password, email=email or str(form.raw.get("email") or ""),
                                   nickname=str(form.raw.get("nickname") or ""), name=str(form.raw.get("name") or ""))
        if problem:
            form.add_error("password", _(request, problem))
            valid = False
    return valid


def limits(request: Request) -> services.Limits:
    return services.Limits.from_counters(request.app.state.counters)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ---------------------------------------------------------------- registration


def _registration_form(request: Request, organization, data=None) -> Form:
    return Form(Registration, request.app.state.catalogs.gettext, data, context={"age": organization.minimum_age})


@get("/account/register", name="register", opt=PUBLIC)
async def register_page(request: Request, organization: CurrentOrganization) -> Template:
    return render(request, "accounts/register.html", form=_registration_form(request, organization),
                  closed=organization.registration_mode != "open")


@post("/account/register", opt=PUBLIC)
async def register(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """Create the account and mail a confirmation link; a taken address gets a mail instead."""
    form = _registration_form(request, organization, await form_data(request))
    address = client_address(request)
    per_address = limits(request).registration_per_address
    if await per_address.exceeded(f"{organization.id}:{address}"):
        form.add_error("__all__", _(request, N_("Too many attempts; wait a moment and try again")))
    elif validate_with_password(request, form):
        try:
            outcome = await services.register(db, organization, form.result, current_locale.get())
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            await per_address.hit(f"{organization.id}:{address}")
            if outcome.existing:
                await send_to_user(request, outcome.user, "already_registered", N_("Someone tried to register"))
            else:
                await send_to_user(request, outcome.user, "confirm_email", N_("Confirm your e-mail"),
                                   token=outcome.token)
            return Redirect("/account/registered", status_code=303)
    return render(request, "accounts/register.html", form=form, status_code=400, closed=False)


@get("/account/registered", opt=PUBLIC)
async def registered(request: Request) -> Template:
    return render(request, "accounts/registered.html")


@get("/account/confirm/{token:str}", opt=PUBLIC)
async def confirm_page(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template:
    """A button that confirms: mail scanners that follow links must not use the token up."""
    valid = await peek(db, organization.id, "confirm_email", token) is not None
    return render(request, "accounts/confirm.html", token=token, valid=valid, status_code=200 if valid else 404)


@post("/account/confirm/{token:str}", opt=PUBLIC)
async def confirm(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template | Redirect:
    user = await services.confirm_email(db, organization, token)
    if user is None:
        return render(request, "accounts/confirm.html", token=token, valid=False, status_code=404)
    await db.commit()
    log_in(request, user)
    flash(request, _(request, N_("Your e-mail is confirmed. Welcome!")))
    return Redirect("/", status_code=303)


# ---------------------------------------------------------------- login and logout


@get("/account/login", name="login", opt=PUBLIC)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Template:
    form = Form(Login, request.app.state.catalogs.gettext)
    return render(request, "accounts/login.html", form=form, next=safe_next(next))


@post("/account/login", opt=PUBLIC)
async def login(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    data = await form_data(request)
    target = safe_next(data.get("next"))
    form = Form(Login, request.app.state.catalogs.gettext, data)
    if form.validate():
        try:
            user = await services.authenticate(db, limits(request), organization, form.result.email,
                                               form.result.password, client_address(request))
        except services.LoginRefused as refused:
            if refused.reason == "unconfirmed":
                token = await services.new_confirmation(db, refused.user)
                await db.commit()
                await send_to_user(request, refused.user, "confirm_email", N_("Confirm your e-mail"), token=token)
            form.add_error("__all__", _(request, {
                "invalid": N_("The e-mail or the password is not right."),
                "locked": N_("Too many failed attempts. Wait 15 minutes, or reset your password."),
                "unconfirmed": N_("Confirm your e-mail first: we have just sent you a new link."),
                "blocked": N_("This account is blocked. Contact the organization if you think it is a mistake."),
            }[refused.reason]))
        else:
            await db.commit()
            log_in(request, user)
            return Redirect(target, status_code=303)
    return render(request, "accounts/login.html", form=form, next=target, status_code=400)


@post("/account/logout", opt={"permission": "public", "terms_exempt": True})
async def logout(request: Request) -> Redirect:
    log_out(request)
    return Redirect("/", status_code=303)


@post("/account/session", opt={"permission": "authenticated", "terms_exempt": True})
async def keep_session(request: Request) -> Response[None] | Redirect:
    """"Stay logged in" from the inactivity warning: loading the session for this request renewed it.

    The warning's script asks for JSON and gets 204; without the script the form comes back to the page.
    """
    if "application/json" in request.headers.get("accept", ""):
        return Response(None, status_code=204)
    return Redirect(safe_next((await form_data(request)).get("next")), status_code=303)


# ---------------------------------------------------------------- forgotten password


@get("/account/password/forgot", opt=PUBLIC)
async def forgot_page(request: Request) -> Template:
    return render(request, "accounts/forgot.html", form=Form(ForgottenPassword, request.app.state.catalogs.gettext))


@post("/account/password/forgot", opt=PUBLIC)
async def forgot(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """The same answer whether or not the address has an account."""
    form = Form(ForgottenPassword, request.app.state.catalogs.gettext, await form_data(request))
    if not form.validate():
        return render(request, "accounts/forgot.html", form=form, status_code=400)
    started = await services.start_password_reset(db, limits(request), organization, form.result.email)
    if started is not None:
        await db.commit()
        user, token = started
        await send_to_user(request, user, "reset_password", N_("Choose a new password"), token=token)
    flash(request, _(request, N_("If an account uses that e-mail, we have sent it a link to choose a new password.")))
    return Redirect("/account/login", status_code=303)


@get("/account/password/reset/{token:str}", opt=PUBLIC)
async def reset_page(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template:
    valid = await peek(db, organization.id, "reset_password", token) is not None
    form = Form(NewPassword, request.app.state.catalogs.gettext)
    return render(request, "accounts/reset.html", form=form, token=token, valid=valid,
                  status_code=200 if valid else 404)


@post("/account/password/reset/{token:str}", opt=PUBLIC)
async def reset(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template | Redirect:
    form = Form(NewPassword, request.app.state.catalogs.gettext, await form_data(request))
    if form.validate():
        try:
            await services.reset_password(db, organization, token, form.result.password)
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("Your password is changed. Log in with it.")))
            return Redirect("/account/login", status_code=303)
    return render(request, "accounts/reset.html", form=form, token=token, valid=True, status_code=400)




# ---------------------------------------------------------------- invitations


def _invitation_form(request: Request, organization, data=None, initial=None) -> Form:
    return Form(InvitationAcceptance, request.app.state.catalogs.gettext, data, initial=initial,
                context={"age": organization.minimum_age})


@get("/account/invitation/{token:str}", opt=PUBLIC)
async def invitation_page(request: Request, db: DB, organization: CurrentOrganization,
                          token: FromPath[str]) -> Template:
    user = await peek(db, organization.id, "invitation", token)
    form = _invitation_form(request, organization, initial={"name": user.name} if user else None)
    return render(request, "accounts/invitation.html", form=form, token=token, invited=user,
                  status_code=200 if user else 404)


@post("/account/invitation/{token:str}", opt=PUBLIC)
async def accept_invitation(request: Request, db: DB, organization: CurrentOrganization,
                            token: FromPath[str]) -> Template | Redirect:
    form = _invitation_form(request, organization, await form_data(request))
    invited = await peek(db, organization.id, "invitation", token)
    if validate_with_password(request, form, email=invited.email if invited else ""):
        try:
            user = await services.accept_invitation(db, organization, token, form.result)
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            log_in(request, user)
            flash(request, _(request, N_("Your account is ready. Welcome!")))
            return Redirect("/", status_code=303)
    return render(request, "accounts/invitation.html", form=form, token=token, invited=invited, status_code=400)


# ---------------------------------------------------------------- new terms of use

TERMS = {"permission": "authenticated", "terms_exempt": True}


@get("/account/terms", opt=TERMS)
async def terms_page(request: Request, db: DB, organization: CurrentOrganization,
                     next: FromQuery[str | None] = None) -> Template:
    """The terms in force, to accept before going on (people are sent here when new ones are published)."""
    return render(request, "accounts/terms.html", terms=await terms_in_force(db, organization), next=safe_next(next),
                  pending=services.terms_pending(organization, request.state.user), error="")


@post("/account/terms", opt=TERMS)
async def accept_terms(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    data = await form_data(request)
    target = safe_next(data.get("next"))
    if data.get("accept") != "on":
        return render(request, "accounts/terms.html", terms=await terms_in_force(db, organization), next=target, pending=True, status_code=400,
                      error=_(request, N_("Tick this box to go on.")))
    services.accept_terms(organization, request.state.user)
    await db.commit()
    return Redirect(target, status_code=303)


# ---------------------------------------------------------------- settings

SIGNED_IN = {"permission": "authenticated"}


def _settings_page(request: Request, *, preferences=None, password=None, email=None, deletion=None,
                   avatar_error: str = "", status_code: int = 200) -> Template:
    user = request.state.user
    gettext = request.app.state.catalogs.gettext
    return render(
        request, "accounts/settings.html", status_code=status_code,
        avatar_error=avatar_error, avatar_kind=KINDS["image"],
        preferences=preferences or Form(Preferences, gettext, initial={
            "name": user.name, "locale": user.locale, "newsletter": user.newsletter_consent_at is not None}),
        password=password or Form(PasswordChange, gettext),
        email=email or Form(EmailChange, gettext),
        deletion=deletion or Form(Deletion, gettext),
    )


@get("/account/settings", opt=SIGNED_IN)
async def settings_page(request: Request) -> Template:
    return _settings_page(request)


@post("/account/settings", opt=SIGNED_IN)
async def save_preferences(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = Form(Preferences, request.app.state.catalogs.gettext, await form_data(request))
    if form.validate():
        try:
            services.update_preferences(organization, request.state.user, form.result.name, form.result.locale,
                                        form.result.newsletter)
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            response = Redirect("/account/settings", status_code=303)
            # The page language follows the new preference at once.
            response.set_cookie(LOCALE_COOKIE, form.result.locale, max_age=365 * 24 * 3600, httponly=True,
                                samesite="lax")
            token = current_locale.set(form.result.locale)
            try:
                flash(request, _(request, N_("Your preferences are saved.")))
            finally:
                current_locale.reset(token)
            return response
    return _settings_page(request, preferences=form, status_code=400)


@post("/account/password", opt=SIGNED_IN)
async def change_password(request: Request, db: DB) -> Template | Redirect:
    form = Form(PasswordChange, request.app.state.catalogs.gettext, await form_data(request))
    if validate_with_password(request, form, email=request.state.user.email):
        try:
            await services.change_password(request.state.user, form.result.current_password, form.result.password)
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            log_in(request, request.state.user)  # a new session id with the new password
            flash(request, _(request, N_("Your password is changed.")))
            return Redirect("/account/settings", status_code=303)
    return _settings_page(request, password=form, status_code=400)


@post("/account/avatar", opt=SIGNED_IN, request_max_body_size=KINDS["image"].body_limit)
async def upload_avatar(request: Request, db: DB) -> Template | Redirect:
    """A new picture from a multipart form (its CSRF token is a field of the form, as everywhere)."""
    form = await request.form()
    file = form.get("avatar")
    try:
        checked = await check(file, "image", box=services.AVATAR_BOX)
        await services.set_avatar(db, storage(request.app.state.settings), request.state.user, checked)
    except UploadRefused as refused:
        return _settings_page(request, avatar_error=refused.translated(request.app.state.catalogs.gettext),
                              status_code=400)
    finally:
        for value in form.values():
            if hasattr(value, "close"):
                await value.close()
    await db.commit()
    flash(request, _(request, N_("Your picture is saved.")))
    return Redirect("/account/settings", status_code=303)


@post("/account/avatar/delete", opt=SIGNED_IN)
async def remove_avatar(request: Request, db: DB) -> Redirect:
    if request.state.user.avatar is not None:
        await services.remove_avatar(db, storage(request.app.state.settings), request.state.user)
        await db.commit()
        flash(request, _(request, N_("Your picture is removed.")))
    return Redirect("/account/settings", status_code=303)


@post("/account/email", opt=SIGNED_IN)
async def change_email(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = Form(EmailChange, request.app.state.catalogs.gettext, await form_data(request))
    if form.validate():
        try:
            token = await services.start_email_change(db, organization, request.state.user, form.result.email,
                                                      form.result.current_password)
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            if token is not None:
                user = request.state.user
                subject, text = render_mail(request.app, organization, user, "change_email",
                                            N_("Confirm your new e-mail"), str(request.base_url), token=token)
                await write_to_outbox(request, user, "change_email", to=services.normalise_email(form.result.email),
                           subject=subject, text=text)
            # The same answer when the address is taken: nobody learns who is registered.
            flash(request, _(request, N_("We have sent a link to your new e-mail. The change happens when you open it.")))
            return Redirect("/account/settings", status_code=303)
    return _settings_page(request, email=form, status_code=400)


@get("/account/email/confirm/{token:str}", opt=SIGNED_IN)
async def email_change_page(request: Request, db: DB, organization: CurrentOrganization,
                            token: FromPath[str]) -> Template:
    valid = await peek(db, organization.id, "change_email", token) is not None
    return render(request, "accounts/confirm.html", token=token, valid=valid, action="/account/email/confirm/",
                  status_code=200 if valid else 404)


@post("/account/email/confirm/{token:str}", opt=SIGNED_IN)
async def confirm_email_change(request: Request, db: DB, organization: CurrentOrganization,
                               token: FromPath[str]) -> Template | Redirect:
    user = await services.confirm_email_change(db, organization, token)
    if user is None or user.id != request.state.user.id:
        return render(request, "accounts/confirm.html", token=token, valid=False, action="/account/email/confirm/",
                      status_code=404)
    await db.commit()
    flash(request, _(request, N_("Your e-mail is now %(email)s."), email=user.email))
    return Redirect("/account/settings", status_code=303)


@post("/account/delete", opt=SIGNED_IN)
async def delete_account(request: Request, db: DB) -> Template | Redirect:
    form = Form(Deletion, request.app.state.catalogs.gettext, await form_data(request))
    if form.validate():
        try:
            await services.delete_account(db, request.state.user, form.result.current_password,
                                          storage(request.app.state.settings))
        except services.AccountError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            log_out(request)
            flash(request, _(request, N_("Your account is deleted. Thank you for having taken part.")))
            return Redirect("/", status_code=303)
    return _settings_page(request, deletion=form, status_code=400)


ROUTES = [register_page, register, registered, confirm_page, confirm, login_page, login, logout, keep_session,
          forgot_page, forgot, reset_page, reset, invitation_page, accept_invitation, terms_page, accept_terms, settings_page,
          save_preferences, change_password, upload_avatar, remove_avatar, change_email, email_change_page,
          confirm_email_change, delete_account]
