"""HTTP of verifications: a person's page and the handlers' forms under /account/verifications, the
review and the census under /admin/verifications, the municipal desk under /admin/desk, and what a
component's actions require under /admin/spaces/<id>/components/<id>/permissions.

The rules are in ``services`` and ``managed``; everything is looked up in the request's organization,
so another organization's ids are a 404.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Response, Template

from core.accounts.mails import render_mail, send_to_user, write_to_outbox
from core.accounts.routes import PUBLIC, form_data, validate_with_password
from core.accounts.schemas import InvitationAcceptance
from core.accounts.services import normalise_email
from core.auth import flash, log_in
from core.db import utcnow
from core.forms import Form
from core.i18n import N_
from core.models import Component, Organization, Space
from core.ratelimit import RateLimit
from core.spaces.services import space_of
from core.uploads import KINDS, MEGABYTE, UploadRefused, check, file_response, read_limited, storage
from core.verifications import handover, identity, managed, services
from core.verifications.acting import SESSION_ACTING
from core.verifications.handlers import IDENTITY_DOCUMENT, AuthorizationHandler
from core.verifications.models import IdentityDocument
from core.verifications.permissions import AuthorizationRequired, describe
from core.verifications.schemas import (
    CensusVerification,
    IdentityDocumentForm,
    ManagedHandover,
    ManagedStart,
    Rejection,
)
from core.web import DB, CurrentOrganization, base_context, render, safe_next

SIGNED_IN = {"permission": "authenticated"}
REVIEW = {"permission": "verifications.review"}
REVOKE = {"permission": "verifications.revoke"}
DESK = {"permission": "verifications.act_on_behalf"}
SESSIONS = {"permission": "verifications.read_sessions"}
SPACE_ADMIN = {"permission": "space.admin"}
CENSUS_MAX_BYTES = 20 * MEGABYTE
"""About 400,000 lines of "12345678Z,1980-05-31,08800": a large municipality's census."""
MAX_PROBLEMS_SHOWN = 50


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial)


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


def _pages(total: int) -> int:
    return max(1, -(-total // services.PER_PAGE))


def _error(request: Request, form: Form, error: services.VerificationError) -> None:
    form.add_error(error.field, _(request, error.message, **error.variables))


def _attempts(request: Request, name: str, limit: int) -> RateLimit:
    return RateLimit(request.app.state.counters, name, limit=limit, window=60 * 60)


# ---------------------------------------------------------------- a person's verifications


@get("/account/verifications", opt=SIGNED_IN)
async def my_verifications(request: Request, db: DB) -> Template:
    """What the person has proved, and every way to prove more."""
    user = request.state.user
    granted = {row.handler: row for row in await services.verifications_of(db, user)}
    return render(request, "verifications/index.html", granted=granted,
                  handlers=list(request.app.state.registry.authorization_handlers.values()),
                  document=await services.document_of(db, user))


def _census_page(request: Request, form: Form, back: str, status_code: int = 200) -> Template:
    return render(request, "verifications/census.html", form=form, back=back, status_code=status_code)


@get("/account/verifications/census", opt=SIGNED_IN)
async def census_form(request: Request, next: FromQuery[str] = "") -> Template:
    return _census_page(request, _form(request, CensusVerification), safe_next(next, "/account/verifications"))


@post("/account/verifications/census", opt=SIGNED_IN)
async def verify_with_census(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """Check the details against the census; failures are limited so that nobody can try the census through."""
    data = await form_data(request)
    back = safe_next(data.get("next"), "/account/verifications")
    form = _form(request, CensusVerification, data)
    user = request.state.user
    limit, key = _attempts(request, "verification-census", 5), f"{organization.id}:{user.id}"
    if await limit.exceeded(key):
        form.add_error("__all__", _(request, N_("Too many attempts; wait a moment and try again")))
    elif form.validate():
        try:
            await services.verify_with_census(db, request.app.state.registry, _secret(request), organization, user,
                                              form.result.document_number, form.result.birth_date)
        except services.VerificationError as error:
            await limit.hit(key)
            _error(request, form, error)
        else:
            await db.commit()
            flash(request, _(request, N_("You are verified with the census.")))
            return Redirect(back, status_code=303)
    return _census_page(request, form, back, status_code=400)


async def _document_page(request: Request, db: DB, form: Form, back: str, file_error: str = "",
                         status_code: int = 200) -> Template:
    user = request.state.user
    verified = any(row.handler == IDENTITY_DOCUMENT.name for row in await services.verifications_of(db, user))
    return render(request, "verifications/identity_document.html", document=await services.document_of(db, user),
                  verified=verified, form=form, back=back, file_error=file_error, kind=KINDS["document"],
                  status_code=status_code)


@get("/account/verifications/identity-document", opt=SIGNED_IN)
async def document_form(request: Request, db: DB, next: FromQuery[str] = "") -> Template:
    return await _document_page(request, db, _form(request, IdentityDocumentForm),
                                safe_next(next, "/account/verifications"))


@post("/account/verifications/identity-document", opt=SIGNED_IN, request_max_body_size=KINDS["document"].body_limit)
async def submit_document(request: Request, db: DB) -> Template | Redirect:
    """The document and its details, for a person of the organization to check."""
    multipart = await request.form()
    try:
        data = {key: multipart.get(key) for key in multipart}
        back = safe_next(data.get("next") if isinstance(data.get("next"), str) else None, "/account/verifications")
        form = _form(request, IdentityDocumentForm, data)
        file_error = ""
        valid = form.validate()
        try:
            checked = await check(multipart.get("document"), "document")
        except UploadRefused as refused:
            file_error, checked = refused.translated(request.app.state.catalogs.gettext), None
        if valid and checked is not None:
            postal_code = None
            if form.result.postal_code:
                postal_code = identity.normalise_postal_code(form.result.postal_code)
                if postal_code is None:
                    form.add_error("postal_code", _(request, N_("The format is not valid.")))
            if not form.errors:
                try:
                    await services.submit_document(db, storage(request.app.state.settings), request.state.user,
                                                   checked, form.result.document_type, form.result.document_number,
                                                   form.result.birth_date, postal_code)
                except services.VerificationError as error:
                    _error(request, form, error)
                else:
                    await db.commit()
                    flash(request, _(request, N_("Your document is sent. You will get an e-mail when it is checked.")))
                    return Redirect("/account/verifications/identity-document", status_code=303)
    finally:
        for value in multipart.values():
            if hasattr(value, "close"):
                await value.close()
    return await _document_page(request, db, form, back, file_error=file_error, status_code=400)


# ---------------------------------------------------------------- refusal of an action


def authorization_required_page(request: Request, exc: AuthorizationRequired) -> Response[Any]:
    """The 403 of an action that needs verifications: what is missing, and links to verify and come back."""
    # Raised by a handler, so the request context (organization, locale, person) is all there.
    context = {**base_context(request), "request": request, "missing": describe(request, exc.authorization),
               "back": exc.back, "signed_in": request.state.get("user") is not None}
    html = request.app.template_engine.get_template("verifications/required.html").render(**context)
    return Response(content=html, status_code=403, media_type="text/html; charset=utf-8")


# ---------------------------------------------------------------- administration: census and review


async def _admin_page(request: Request, db: DB, organization: Organization, census_problems: list[str] | None = None,
                      census_error: str = "", page: int = 1, status_code: int = 200) -> Template:
    size, uploaded = await services.census_size(db, organization)
    documents, total = await services.pending_documents(db, organization, page)
    return render(request, "verifications/admin/index.html", census_size=size, census_uploaded=uploaded,
                  census_problems=census_problems or [], census_error=census_error, documents=documents,
                  total=total, page=min(max(page, 1), _pages(total)), pages=_pages(total), status_code=status_code)


@get("/admin/verifications", opt=REVIEW)
async def admin_index(request: Request, db: DB, organization: CurrentOrganization, page: FromQuery[int] = 1) -> Template:
    return await _admin_page(request, db, organization, page=page)


@post("/admin/verifications/census", opt=REVIEW, request_max_body_size=CENSUS_MAX_BYTES + MEGABYTE)
async def upload_census(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """Replace the census with a CSV file; a file with bad lines changes nothing and says which lines."""
    multipart = await request.form()
    try:
        file = multipart.get("census")
        if not hasattr(file, "read"):
            return await _admin_page(request, db, organization, census_error=_(request, N_("Choose a file to upload.")),
                                     status_code=400)
        try:
            content = await read_limited(file, CENSUS_MAX_BYTES)
        except UploadRefused as refused:
            return await _admin_page(request, db, organization, status_code=400,
                                     census_error=refused.translated(request.app.state.catalogs.gettext))
    finally:
        for value in multipart.values():
            if hasattr(value, "close"):
                await value.close()
    parsed = services.parse_census(content, _secret(request), organization.id)
    if parsed.problems:
        problems = [_(request, problem.message, **problem.variables) for problem in parsed.problems]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            more = len(problems) - MAX_PROBLEMS_SHOWN
            problems = problems[:MAX_PROBLEMS_SHOWN] + [request.app.state.catalogs.ngettext(
                "And %(num)s more line with a problem.", "And %(num)s more lines with problems.", more)]
        return await _admin_page(request, db, organization, census_problems=problems, status_code=400)
    await services.replace_census(db, organization, request.state.user, parsed.entries)
    await db.commit()
    flash(request, request.app.state.catalogs.ngettext(
        "The census is replaced: it holds %(num)s person.", "The census is replaced: it holds %(num)s people.",
        len(parsed.entries)))
    return Redirect("/admin/verifications", status_code=303)


async def _document(db: DB, organization: Organization, document_id: int) -> IdentityDocument:
    document = await services.document_in(db, organization, document_id)
    if document is None:
        raise NotFoundException()
    return document


def _review_page(request: Request, document: IdentityDocument, rejection: Form | None = None, error: str = "",
                 status_code: int = 200) -> Template:
    return render(request, "verifications/admin/document.html", document=document,
                  rejection=rejection or _form(request, Rejection), error=error,
                  document_types=services.DOCUMENT_TYPES, status_code=status_code)


@get("/admin/verifications/documents/{document_id:int}", opt=REVIEW)
async def review_document(request: Request, db: DB, organization: CurrentOrganization,
                          document_id: FromPath[int]) -> Template:
    return _review_page(request, await _document(db, organization, document_id))


@get("/admin/verifications/documents/{document_id:int}/file", opt=REVIEW, include_in_schema=False)
async def document_file(request: Request, db: DB, organization: CurrentOrganization,
                        document_id: FromPath[int]) -> File:
    """The scan, for reviewers of this organization only (its owner reads it at its private address)."""
    document = await _document(db, organization, document_id)
    if document.upload is None:
        raise NotFoundException()
    return file_response(storage(request.app.state.settings), document.upload)


@post("/admin/verifications/documents/{document_id:int}/approve", opt=REVIEW)
async def approve_document(request: Request, db: DB, organization: CurrentOrganization,
                           document_id: FromPath[int]) -> Template | Redirect:
    document = await _document(db, organization, document_id)
    person = document.user
    try:
        await services.approve(db, request.app.state.registry, storage(request.app.state.settings),
                               _secret(request), organization, request.state.user, document)
    except services.VerificationError as error:
        return _review_page(request, document, error=_(request, error.message, **error.variables), status_code=400)
    await db.commit()
    await send_to_user(request, person, "identity_document_approved", N_("Your identity is verified"))
    flash(request, _(request, N_("The document is approved; the person is told by e-mail.")))
    return Redirect("/admin/verifications", status_code=303)


@post("/admin/verifications/documents/{document_id:int}/reject", opt=REVIEW)
async def reject_document(request: Request, db: DB, organization: CurrentOrganization,
                          document_id: FromPath[int]) -> Template | Redirect:
    document = await _document(db, organization, document_id)
    form = _form(request, Rejection, await form_data(request))
    if not form.validate():
        return _review_page(request, document, rejection=form, status_code=400)
    try:
        await services.reject(db, storage(request.app.state.settings), organization, request.state.user, document,
                              form.result.reason)
    except services.VerificationError as error:
        return _review_page(request, document, error=_(request, error.message), status_code=400)
    person, reason = document.user, document.rejection_reason
    await db.commit()
    await send_to_user(request, person, "identity_document_rejected", N_("Your identity document was not accepted"),
                       reason=reason)
    flash(request, _(request, N_("The document is rejected; the person is told why by e-mail.")))
    return Redirect("/admin/verifications", status_code=303)


@get("/admin/verifications/granted", opt=REVIEW)
async def granted(request: Request, db: DB, organization: CurrentOrganization, page: FromQuery[int] = 1) -> Template:
    rows, total = await services.granted_list(db, organization, page)
    return render(request, "verifications/admin/granted.html", verifications=rows, total=total,
                  page=min(max(page, 1), _pages(total)), pages=_pages(total),
                  handlers=request.app.state.registry.authorization_handlers)


@post("/admin/verifications/{verification_id:int}/revoke", opt=REVOKE)
async def revoke(request: Request, db: DB, organization: CurrentOrganization,
                 verification_id: FromPath[int]) -> Redirect:
    verification = await services.verification_in(db, organization, verification_id)
    if verification is None:
        raise NotFoundException()
    await services.revoke(db, organization, request.state.user, verification)
    await db.commit()
    flash(request, _(request, N_("The verification is revoked.")))
    return Redirect("/admin/verifications/granted", status_code=303)


# ---------------------------------------------------------------- the municipal desk


def _desk_page(request: Request, template: str, handler: AuthorizationHandler, identity_form: Form, form: Form,
               status_code: int = 200) -> Template:
    """A desk form: the handlers staff may choose from (links, so no script is needed), the chosen one's fields
    for the person's identity (``DeskCheck.form``) and the form's own (``form``)."""
    return render(request, template, handler=handler, handlers=managed.desk_handlers(request.app.state.registry),
                  identity=identity_form, form=form, minutes=managed.SESSION_MINUTES, status_code=status_code)


def _shown_handler(request: Request, name: str) -> AuthorizationHandler:
    """The handler a desk page is opened with (``?handler=``, the first one without it); else 404."""
    try:
        return managed.desk_handler(request.app.state.registry, name)
    except services.VerificationError:
        raise NotFoundException() from None


def _desk_forms(request: Request, schema: type, data: dict[str, Any]) -> tuple[AuthorizationHandler, Form, Form, bool]:
    """The handler staff chose, its identity form and the page's form, as posted, and whether that handler
    may be used at the desk (else the identity form says so, and the first handler's fields show)."""
    registry = request.app.state.registry
    try:
        handler, allowed = managed.desk_handler(registry, data.get("handler")), True
    except services.VerificationError as error:
        handler, allowed = managed.desk_handlers(registry)[0], False
        refused = _(request, error.message)
    assert handler.desk is not None
    identity_form, form = _form(request, handler.desk.form, data), _form(request, schema, data)
    if not allowed:
        identity_form.add_error("__all__", refused)
    return handler, identity_form, form, allowed


def _desk_error(request: Request, identity_form: Form, form: Form, error: services.VerificationError) -> None:
    """A refusal goes beside its field: of the page's own form, or else of the identity (or at the top)."""
    own = {field.name for field in form.info.fields}
    _error(request, form if error.field in own else identity_form, error)


async def _desk_check(request: Request, organization: Organization, *forms: Form) -> bool:
    """Whether the forms of a desk page may check a person's identity now: valid, and within the staff member's
    limit of checks (each one counts, so the census cannot be guessed at from the desk); else they say why."""
    limit, key = _attempts(request, "verification-desk", 60), f"{organization.id}:{request.state.user.id}"
    if await limit.exceeded(key):
        forms[0].add_error("__all__", _(request, N_("Too many attempts; wait a moment and try again")))
        return False
    valid = [form.validate() for form in forms]  # every form, so every problem shows at once
    if not all(valid):
        return False
    await limit.hit(key)
    return True


@get("/admin/desk", opt=DESK)
async def desk(request: Request, handler: FromQuery[str] = "") -> Template:
    shown = _shown_handler(request, handler)
    assert shown.desk is not None
    return _desk_page(request, "verifications/admin/desk.html", shown, _form(request, shown.desk.form),
                      _form(request, ManagedStart))


@post("/admin/desk", opt=DESK)
async def start_acting(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """Verify the person at the desk with the handler staff chose and act on their behalf from the next page on."""
    handler, identity_form, form, allowed = _desk_forms(request, ManagedStart, await form_data(request))
    staff = request.state.user
    if allowed and await _desk_check(request, organization, identity_form, form):
        try:
            started = await managed.start(db, request.app.state.registry, _secret(request), organization, staff,
                                          handler, identity_form.result, form.result.name, form.result.reason)
        except services.VerificationError as error:
            _desk_error(request, identity_form, form, error)
        else:
            name = started.participant.name
            await db.commit()
            session = request.scope.get("session")
            request.set_session({**(session if isinstance(session, dict) else {}), SESSION_ACTING: started.id})
            flash(request, _(request, N_("You are acting on behalf of %(name)s."), name=name))
            return Redirect("/", status_code=303)
    return _desk_page(request, "verifications/admin/desk.html", handler, identity_form, form, status_code=400)


@post("/account/acting/end", opt=SIGNED_IN)
async def end_acting(request: Request, db: DB, organization: CurrentOrganization) -> Redirect:
    """End the session on behalf of someone; the staff member is themselves again."""
    acting = request.state.get("acting")
    if acting is None:
        return Redirect("/", status_code=303)
    managed_session = await managed.open_session(db, organization.id, acting.staff.id, acting.session_id)
    if managed_session is not None:
        await managed.end(db, organization, acting.staff, managed_session)
        await db.commit()
    session = request.scope.get("session")
    request.set_session({key: value for key, value in (session if isinstance(session, dict) else {}).items()
                         if key != SESSION_ACTING})
    flash(request, _(request, N_("You are no longer acting on behalf of %(name)s."), name=acting.participant.name))
    return Redirect("/admin/desk", status_code=303)


# ---------------------------------------------------------------- a managed participant takes over their account


@get("/admin/desk/handover", opt=DESK)
async def handover_form(request: Request, handler: FromQuery[str] = "") -> Template:
    shown = _shown_handler(request, handler)
    assert shown.desk is not None
    return _desk_page(request, "verifications/admin/handover.html", shown, _form(request, shown.desk.form),
                      _form(request, ManagedHandover))


@post("/admin/desk/handover", opt=DESK)
async def send_handover(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    """Check the person's identity again and mail them the link to take over their account."""
    handler, identity_form, form, allowed = _desk_forms(request, ManagedHandover, await form_data(request))
    staff = request.state.user
    if allowed and await _desk_check(request, organization, identity_form, form):
        try:
            participant, token = await handover.invite(db, _secret(request), organization, staff, handler,
                                                       identity_form.result, form.result.email)
        except services.VerificationError as error:
            _desk_error(request, identity_form, form, error)
        else:
            address = normalise_email(form.result.email)
            await db.commit()
            subject, text = render_mail(request.app, organization, participant, "managed_handover",
                                        N_("Your own account"), str(request.base_url), token=token)
            await write_to_outbox(request, participant, "managed_handover", to=address, subject=subject, text=text)
            flash(request, _(request, N_("The link is on its way to %(email)s."), email=address))
            return Redirect("/admin/desk", status_code=303)
    return _desk_page(request, "verifications/admin/handover.html", handler, identity_form, form, status_code=400)


def _takeover_form(request: Request, organization: Organization, data: Any = None, initial: Any = None) -> Form:
    return Form(InvitationAcceptance, request.app.state.catalogs.gettext, data, initial=initial,
                context={"age": organization.minimum_age})


@get("/account/managed/{token:str}", opt=PUBLIC)
async def takeover_form(request: Request, db: DB, organization: CurrentOrganization,
                        token: FromPath[str]) -> Template:
    found = await handover.pending(db, organization, token)
    form = _takeover_form(request, organization, initial={"name": found[0].name} if found else None)
    return render(request, "verifications/takeover.html", form=form, token=token,
                  address=found[1] if found else None, status_code=200 if found else 404)


@post("/account/managed/{token:str}", opt=PUBLIC)
async def take_over(request: Request, db: DB, organization: CurrentOrganization,
                    token: FromPath[str]) -> Template | Redirect:
    """The person chooses a nickname and password: the account they had at the desk is theirs now."""
    form = _takeover_form(request, organization, await form_data(request))
    found = await handover.pending(db, organization, token)
    if validate_with_password(request, form, email=found[1] if found else ""):
        try:
            user = await handover.accept(db, organization, token, form.result)
        except services.VerificationError as error:
            _error(request, form, error)
        else:
            await db.commit()
            log_in(request, user)
            flash(request, _(request, N_("Your account is ready. Welcome!")))
            return Redirect("/", status_code=303)
    return render(request, "verifications/takeover.html", form=form, token=token,
                  address=found[1] if found else None, status_code=400)


@get("/admin/desk/log", opt=SESSIONS)
async def desk_log(request: Request, db: DB, organization: CurrentOrganization, page: FromQuery[int] = 1) -> Template:
    rows, total = await managed.sessions_log(db, organization, page)
    return render(request, "verifications/admin/log.html", sessions=rows, total=total,
                  page=min(max(page, 1), _pages(total)), pages=_pages(total), now=utcnow(),
                  handlers=request.app.state.registry.authorization_handlers)


# ---------------------------------------------------------------- what a component's actions require

MINIMUM_AGE = re.compile(r"^\d{1,3}$")


def _requirements_page(request: Request, space: Space, component: Component, values: dict[str, str], errors: dict[str, str],
                       status_code: int = 200) -> Template:
    registry = request.app.state.registry
    manifest = registry.component_types[component.component_type]
    return render(request, "verifications/admin/permissions.html", space=space, component=component,
                  manifest=manifest, handlers=list(registry.authorization_handlers.values()), values=values,
                  errors=errors, public_url=f"/{registry.space_types[space.space_type].url_prefix}/{space.slug}",
                  status_code=status_code)


async def _component_in(request: Request, db: DB, organization: Organization, space_id: int,
                        component_id: int) -> tuple[Space, Component]:
    """The space of this organization and its component of an enabled type; else 404."""
    space = await space_of(db, organization, space_id)
    component = next((item for item in space.components if item.id == component_id), None) if space else None
    if component is None or component.component_type not in request.app.state.registry.component_types:
        raise NotFoundException()
    return space, component


def _field(kind: str, action: str, handler: str) -> str:
    return f"{kind}.{action}.{handler}"


@get("/admin/spaces/{space_id:int}/components/{component_id:int}/permissions", opt=SPACE_ADMIN)
async def component_permissions(request: Request, db: DB, organization: CurrentOrganization, space_id: FromPath[int],
                                component_id: FromPath[int]) -> Template:
    space, component = await _component_in(request, db, organization, space_id, component_id)
    values: dict[str, str] = {}
    for requirement in await services.requirements_of(db, component):
        values[_field("require", requirement.action, requirement.handler)] = "on"
        options = requirement.options or {}
        values[_field("minimum_age", requirement.action, requirement.handler)] = str(options.get("minimum_age") or "")
        values[_field("postal_codes", requirement.action, requirement.handler)] = ", ".join(
            options.get("postal_codes") or [])
    return _requirements_page(request, space, component, values, {})


@post("/admin/spaces/{space_id:int}/components/{component_id:int}/permissions", opt=SPACE_ADMIN)
async def save_component_permissions(request: Request, db: DB, organization: CurrentOrganization,
                                     space_id: FromPath[int], component_id: FromPath[int]) -> Template | Redirect:
    """Each action of the component, each handler: required or not, with an age and postal codes."""
    space, component = await _component_in(request, db, organization, space_id, component_id)
    registry = request.app.state.registry
    data = {key: value for key, value in (await form_data(request)).items() if isinstance(value, str)}
    choices, errors = [], {}
    for action in registry.component_types[component.component_type].actions:
        for handler in registry.authorization_handlers:
            if data.get(_field("require", action, handler)) != "on":
                continue
            age_field, codes_field = _field("minimum_age", action, handler), _field("postal_codes", action, handler)
            age_text, codes_text = data.get(age_field, "").strip(), data.get(codes_field, "").strip()
            minimum_age = None
            if age_text:
                if not MINIMUM_AGE.match(age_text) or not 1 <= int(age_text) <= 120:
                    errors[age_field] = _(request, N_("Enter an age between 1 and 120, or leave it empty."))
                else:
                    minimum_age = int(age_text)
            codes = [code for code in re.split(r"[,;\s]+", codes_text) if code]
            cleaned = [identity.normalise_postal_code(code) for code in codes]
            if None in cleaned:
                errors[codes_field] = _(request, N_("Write postal codes separated by commas, for example 08800, 08810."))
            choices.append(services.RequirementChoice(action, handler, minimum_age,
                                                      [code for code in cleaned if code]))
    if errors:
        return _requirements_page(request, space, component, data, errors, status_code=400)
    await services.set_requirements(db, space, component, request.state.user, choices)
    await db.commit()
    flash(request, _(request, N_("The changes are saved.")))
    return Redirect(f"/admin/spaces/{space.id}/components/{component.id}/permissions", status_code=303)


ROUTES = [my_verifications, census_form, verify_with_census, document_form, submit_document, admin_index,
          upload_census, review_document, document_file, approve_document, reject_document, granted, revoke, desk,
          start_acting, end_acting, desk_log, component_permissions, save_component_permissions, handover_form,
          send_handover, takeover_form, take_over]
