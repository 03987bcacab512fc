"""HTTP of newsletters: the admin pages under /admin/newsletters and the unsubscribe link of the mails.

The rules are in core.newsletters.services. Every admin page is for organization admins, and a
newsletter is looked up in the request's organization only, so another one's is a 404.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.auth import chose_locale, flash
from core.forms import Form
from core.i18n import N_, current_locale, format_datetime, from_local, to_local
from core.models import Organization
from core.newsletters import services
from core.newsletters.models import Newsletter
from core.newsletters.schemas import (
    RECIPIENT_LABELS,
    NewsletterForm,
    RecipientsForm,
    SampleMailForm,
    ScheduleForm,
)
from core.scopes import services as scope_services
from core.spaces.admin import locales_of
from core.web import DB, CurrentOrganization, render

ADMIN = {"permission": "organization.admin"}
UNSUBSCRIBE = {"permission": "public", "terms_exempt": True, "exclude_from_csrf": True}
"""The link of every newsletter: it works without logging in and before new terms are accepted, and
mail programs post to it with no CSRF token (one-click unsubscribe, RFC 8058): the signed token in
the address is what proves the request, and it can do one thing only."""


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _form(request: Request, schema: type, data: Any = None, initial: Any = None) -> Form:
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization),
                context={"zone": request.state.organization.time_zone})


async def _newsletter(db: DB, organization: Organization, newsletter_id: int) -> Newsletter:
    newsletter = await services.newsletter_of(db, organization, newsletter_id)
    if newsletter is None:
        raise NotFoundException()
    return newsletter


def _back(newsletter: Newsletter, part: str = "") -> Redirect:
    return Redirect(f"/admin/newsletters/{newsletter.id}{part}", status_code=303)


def _refused(request: Request, newsletter: Newsletter, error: services.NewsletterError) -> Redirect:
    flash(request, _(request, error.message))
    return _back(newsletter)


# ---------------------------------------------------------------- the list and drafts


@get("/admin/newsletters", opt=ADMIN)
async def newsletter_list(request: Request, db: DB, organization: CurrentOrganization,
                          page: FromQuery[int] = 1) -> Template:
    newsletters, total = await services.newsletters_page(db, organization, max(page, 1))
    pages = max(1, -(-total // services.PER_PAGE))
    return render(request, "admin/newsletters/list.html", newsletters=newsletters, total=total,
                  page=min(max(page, 1), pages), pages=pages)


@get("/admin/newsletters/new", opt=ADMIN)
async def new_newsletter(request: Request) -> Template:
    return render(request, "admin/newsletters/new.html", form=_form(request, NewsletterForm))


@post("/admin/newsletters/new", opt=ADMIN)
async def create_newsletter(request: Request, db: DB, organization: CurrentOrganization) -> Template | Redirect:
    form = _form(request, NewsletterForm, await form_data(request))
    if form.validate():
        try:
            newsletter = await services.create(db, organization, request.state.user, form.result)
        except services.NewsletterError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The newsletter is saved as a draft. Preview it, then choose who gets it.")))
            return _back(newsletter)
    return render(request, "admin/newsletters/new.html", form=form, status_code=400)


async def _newsletter_page(request: Request, db: DB, organization: Organization, newsletter: Newsletter,
                           form: Form | None = None, status_code: int = 200) -> Template:
    author = await services.author_name(db, newsletter)
    if newsletter.draft:
        form = form or _form(request, NewsletterForm, initial={"subject": newsletter.subject,
                                                               "body": newsletter.body})
        return render(request, "admin/newsletters/edit.html", newsletter=newsletter, form=form, author=author,
                      status_code=status_code)
    return render(request, "admin/newsletters/sent.html", newsletter=newsletter, author=author,
                  spaces=await services.chosen_spaces(db, organization, newsletter), kinds=RECIPIENT_LABELS,
                  scopes=await services.chosen_scopes(db, organization, newsletter),
                  outbox=await services.outbox_progress(db, newsletter))


@get("/admin/newsletters/{newsletter_id:int}", opt=ADMIN)
async def newsletter_page(request: Request, db: DB, organization: CurrentOrganization,
                          newsletter_id: FromPath[int]) -> Template:
    """A draft's texts, to edit; once sent, who got it and how far the sending is."""
    return await _newsletter_page(request, db, organization, await _newsletter(db, organization, newsletter_id))


@post("/admin/newsletters/{newsletter_id:int}", opt=ADMIN)
async def update_newsletter(request: Request, db: DB, organization: CurrentOrganization,
                            newsletter_id: FromPath[int]) -> Template | Redirect:
    newsletter = await _newsletter(db, organization, newsletter_id)
    if not newsletter.draft:
        return _refused(request, newsletter, services.NewsletterError(services.NOT_A_DRAFT))
    form = _form(request, NewsletterForm, await form_data(request))
    if form.validate():
        try:
            await services.update_draft(db, organization, request.state.user, newsletter, form.result)
        except services.NewsletterError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The changes are saved.")))
            return _back(newsletter)
    return await _newsletter_page(request, db, organization, newsletter, form=form, status_code=400)


@post("/admin/newsletters/{newsletter_id:int}/delete", opt=ADMIN)
async def delete_newsletter(request: Request, db: DB, organization: CurrentOrganization,
                            newsletter_id: FromPath[int]) -> Redirect:
    newsletter = await _newsletter(db, organization, newsletter_id)
    try:
        await services.delete_draft(db, organization, request.state.user, newsletter)
    except services.NewsletterError as error:
        return _refused(request, newsletter, error)
    await db.commit()
    flash(request, _(request, N_("The draft is deleted.")))
    return Redirect("/admin/newsletters", status_code=303)


# ---------------------------------------------------------------- preview and test


async def _preview_page(request: Request, db: DB, organization: Organization, newsletter: Newsletter,
                        form: Form | None = None, status_code: int = 200) -> Template:
    user = request.state.user
    return render(
        request, "admin/newsletters/preview.html", newsletter=newsletter, status_code=status_code,
        previews=await services.previews(db, request.app.state.settings, request.app.state.registry, organization,
                                         newsletter, user),
        form=form or _form(request, SampleMailForm, initial={
            "locale": user.locale if user.locale in organization.available_locales else organization.default_locale}),
    )


@get("/admin/newsletters/{newsletter_id:int}/preview", opt=ADMIN)
async def preview(request: Request, db: DB, organization: CurrentOrganization,
                  newsletter_id: FromPath[int]) -> Template:
    """The mail as people get it, in each language of the organization."""
    return await _preview_page(request, db, organization, await _newsletter(db, organization, newsletter_id))


@post("/admin/newsletters/{newsletter_id:int}/test", opt=ADMIN)
async def send_test(request: Request, db: DB, organization: CurrentOrganization,
                    newsletter_id: FromPath[int]) -> Template | Redirect:
    """Send the newsletter to the admin's own address only, marked as a test."""
    newsletter = await _newsletter(db, organization, newsletter_id)
    form = _form(request, SampleMailForm, await form_data(request))
    if form.validate():
        user = request.state.user
        try:
            mail = await services.sample(db, request.app.state.settings, request.app.state.registry, organization,
                                         newsletter, user, form.result.locale)
        except services.NewsletterError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await request.app.state.queue.enqueue("core.send_mail", to=user.email, subject=mail.subject,
                                                  text=mail.text, html=mail.html, headers=mail.headers)
            flash(request, _(request, N_("A test is on its way to %(email)s."), email=user.email))
            return _back(newsletter, "/preview")
    return await _preview_page(request, db, organization, newsletter, form=form, status_code=400)


# ---------------------------------------------------------------- recipients and sending


async def _recipients_page(request: Request, db: DB, organization: Organization, newsletter: Newsletter,
                           form: Form, space_ids: list[str], status_code: int = 200,
                           scope_ids: list[str] | None = None) -> Template:
    return render(request, "admin/newsletters/recipients.html", newsletter=newsletter, form=form,
                  spaces=await services.spaces_to_choose(db, organization), space_ids=space_ids,
                  space_types=request.app.state.registry.space_types, status_code=status_code,
                  scopes=scope_services.choices(await scope_services.scopes_of(db, organization), "")[1:],
                  scope_ids=scope_ids or [])


@get("/admin/newsletters/{newsletter_id:int}/recipients", opt=ADMIN)
async def recipients(request: Request, db: DB, organization: CurrentOrganization,
                     newsletter_id: FromPath[int]) -> Template | Redirect:
    newsletter = await _newsletter(db, organization, newsletter_id)
    if not newsletter.draft:
        return _back(newsletter)
    chosen = newsletter.recipients or {}
    form = _form(request, RecipientsForm, initial={"kind": chosen.get("kind", "all")})
    return await _recipients_page(request, db, organization, newsletter, form,
                                  [str(space_id) for space_id in chosen.get("space_ids", [])],
                                  scope_ids=[str(scope_id) for scope_id in chosen.get("scope_ids", [])])


@post("/admin/newsletters/{newsletter_id:int}/recipients", opt=ADMIN)
async def choose_recipients(request: Request, db: DB, organization: CurrentOrganization,
                            newsletter_id: FromPath[int]) -> Template | Redirect:
    """Keep who gets it, then go to the last step, which says how many they are."""
    newsletter = await _newsletter(db, organization, newsletter_id)
    if not newsletter.draft:
        return _refused(request, newsletter, services.NewsletterError(services.NOT_A_DRAFT))
    data = await request.form()
    space_ids = [str(value) for value in data.getall("space_ids", [])]
    scope_ids = [str(value) for value in data.getall("scope_ids", [])]
    form = _form(request, RecipientsForm, {"kind": data.get("kind")})
    if form.validate():
        if not all(value.isdigit() and len(value) < 10 for value in space_ids):
            form.add_error("space_ids", _(request, N_("Choose spaces from the list.")))
        elif not all(value.isdigit() and len(value) < 10 for value in scope_ids):
            form.add_error("scope_ids", _(request, N_("Choose scopes from the list.")))
        else:
            try:
                await services.choose_recipients(db, organization, newsletter, form.result.kind,
                                                 [int(value) for value in space_ids],
                                                 [int(value) for value in scope_ids])
            except services.NewsletterError as error:
                form.add_error(error.field, _(request, error.message))
            else:
                await db.commit()
                return _back(newsletter, "/confirm")
    return await _recipients_page(request, db, organization, newsletter, form, space_ids, status_code=400,
                                  scope_ids=scope_ids)


async def _confirm_page(request: Request, db: DB, organization: Organization, newsletter: Newsletter,
                        form: Form | None = None, status_code: int = 200) -> Template:
    if form is None:
        when = newsletter.scheduled_at
        local = to_local(when, organization.time_zone) if when is not None else None
        form = _form(request, ScheduleForm, initial={"date": local.date().isoformat(), "time": local.strftime("%H:%M")}
                     if local is not None else None)
    return render(request, "admin/newsletters/confirm.html", newsletter=newsletter, kinds=RECIPIENT_LABELS,
                  spaces=await services.chosen_spaces(db, organization, newsletter),
                  scopes=await services.chosen_scopes(db, organization, newsletter),
                  count=await services.count_recipients(db, request.app.state.registry, organization, newsletter),
                  form=form, status_code=status_code)


@get("/admin/newsletters/{newsletter_id:int}/confirm", opt=ADMIN)
async def confirm(request: Request, db: DB, organization: CurrentOrganization,
                  newsletter_id: FromPath[int]) -> Template | Redirect:
    """How many people it would reach now, the button that sends it and the form that schedules it."""
    newsletter = await _newsletter(db, organization, newsletter_id)
    if not newsletter.draft:
        return _back(newsletter)
    if not (newsletter.recipients or {}).get("kind"):
        return _back(newsletter, "/recipients")
    return await _confirm_page(request, db, organization, newsletter)


@post("/admin/newsletters/{newsletter_id:int}/schedule", opt=ADMIN)
async def schedule(request: Request, db: DB, organization: CurrentOrganization,
                   newsletter_id: FromPath[int]) -> Template | Redirect:
    """Have the draft start sending by itself at a date and time to come, typed in the organization's zone."""
    newsletter = await _newsletter(db, organization, newsletter_id)
    if not newsletter.draft:
        return _refused(request, newsletter, services.NewsletterError(services.NOT_A_DRAFT))
    form = _form(request, ScheduleForm, await form_data(request))
    if form.validate():
        when = from_local(form.result.date, time.fromisoformat(form.result.time), organization.time_zone)
        try:
            await services.schedule(db, request.app.state.registry, organization, request.state.user, newsletter,
                                    when)
        except services.NewsletterError as error:
            form.add_error(error.field if error.field in ("date", "time") else "__all__", _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("The newsletter will be sent on %(date)s (%(zone)s)."),
                             date=format_datetime(when, time_zone=organization.time_zone), zone=organization.time_zone))
            return _back(newsletter, "/confirm")
    return await _confirm_page(request, db, organization, newsletter, form=form, status_code=400)


@post("/admin/newsletters/{newsletter_id:int}/unschedule", opt=ADMIN)
async def unschedule(request: Request, db: DB, organization: CurrentOrganization,
                     newsletter_id: FromPath[int]) -> Redirect:
    newsletter = await _newsletter(db, organization, newsletter_id)
    try:
        await services.unschedule(db, organization, request.state.user, newsletter)
    except services.NewsletterError as error:
        return _refused(request, newsletter, error)
    await db.commit()
    flash(request, _(request, N_("The newsletter is not scheduled any more: it stays a draft.")))
    return _back(newsletter, "/confirm")


@post("/admin/newsletters/{newsletter_id:int}/send", opt=ADMIN)
async def send(request: Request, db: DB, organization: CurrentOrganization, newsletter_id: FromPath[int]) -> Redirect:
    newsletter = await _newsletter(db, organization, newsletter_id)
    try:
        total = await services.start_sending(db, request.app.state.registry, organization, request.state.user,
                                             newsletter)
    except services.NewsletterError as error:
        return _refused(request, newsletter, error)
    await db.commit()
    await request.app.state.queue.enqueue("core.send_newsletter", newsletter_id=newsletter.id)
    flash(request, request.app.state.catalogs.ngettext(
        "The newsletter is being sent to %(num)s person.", "The newsletter is being sent to %(num)s people.", total))
    return _back(newsletter)


# ---------------------------------------------------------------- unsubscribing without logging in


def _in_their_language(request: Request, organization: Organization, person: Any) -> None:
    """The page answers in the language of the person the link is for (the mail was in it), unless the
    visitor chose another with the switcher."""
    if person is not None and not chose_locale(request.scope) and person.locale in organization.available_locales:
        current_locale.set(person.locale)


@get("/newsletters/unsubscribe/{token:str}", opt=UNSUBSCRIBE)
async def unsubscribe_page(request: Request, db: DB, organization: CurrentOrganization,
                           token: FromPath[str]) -> Template:
    """A button, not an action: mail scanners that open links must not unsubscribe anybody."""
    person = await services.person_unsubscribing(db, request.app.state.settings, organization, token)
    _in_their_language(request, organization, person)
    return render(request, "newsletters/unsubscribe.html", token=token, valid=person is not None, done=False,
                  status_code=200 if person is not None else 404)


@post("/newsletters/unsubscribe/{token:str}", opt=UNSUBSCRIBE)
async def unsubscribe(request: Request, db: DB, organization: CurrentOrganization, token: FromPath[str]) -> Template:
    """The page's button, and the one-click unsubscribe of mail programs (``List-Unsubscribe-Post``)."""
    person = await services.person_unsubscribing(db, request.app.state.settings, organization, token)
    if person is None:
        return render(request, "newsletters/unsubscribe.html", token=token, valid=False, done=False, status_code=404)
    await services.unsubscribe(db, person)
    await db.commit()
    _in_their_language(request, organization, person)
    return render(request, "newsletters/unsubscribe.html", token=token, valid=True, done=True)


ROUTES = [newsletter_list, new_newsletter, create_newsletter, newsletter_page, update_newsletter, delete_newsletter,
          preview, send_test, recipients, choose_recipients, confirm, schedule, unschedule, send, unsubscribe_page,
          unsubscribe]
