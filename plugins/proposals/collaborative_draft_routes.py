"""HTTP of collaborative drafts; the rules are in plugins.proposals.collaborative_drafts.

Every page is a 404 unless the component's admins turned collaborative drafts on. Anybody reads the
open and published drafts; a person who does not write a draft is refused (403) what only its
collaborators do; a button pressed when its rule no longer holds (a draft withdrawn meanwhile) comes
back to the draft with the reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.auth import flash
from core.forms import Form
from core.i18n import N_, current_locale
from core.models import Component
from core.spaces import CurrentComponent, component_url
from core.verifications.permissions import require_authorization
from core.web import DB, render
from plugins.proposals import collaborative_drafts as drafts
from plugins.proposals import services
from plugins.proposals.collaborative_draft_models import CollaborativeDraft
from plugins.proposals.schemas import ProposalText

READ = {"permission": "public"}
CREATE = {"permission": "proposals.create"}
COLLABORATE = {"permission": "proposals.collaborate"}
PATH = "/collaborative-drafts"


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _base(request: Request, component: Component) -> str:
    return component_url(request.app.state.registry, component)


def _url(request: Request, component: Component, draft: CollaborativeDraft | None = None) -> str:
    return f"{_base(request, component)}{PATH}" + (f"/{draft.id}" if draft is not None else "")


def _enabled(request: Request, component: Component) -> None:
    if not drafts.enabled(request.app.state.registry, component):
        raise NotFoundException()


def _page(request: Request, template: str, component: Component, status_code: int = 200, **context: Any) -> Template:
    registry = request.app.state.registry
    return render(request, f"proposals/collaborative_drafts/{template}", component=component, space=component.space,
                  base_url=_base(request, component), drafts_url=_url(request, component),
                  phase=services.phase(registry, component), status_code=status_code, **context)


def _form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(ProposalText, request.app.state.catalogs.gettext, data, initial=initial)


async def _draft(db: DB, request: Request, component: Component, draft_id: int) -> CollaborativeDraft:
    _enabled(request, component)
    try:
        return await drafts.draft_for(db, component, draft_id)
    except LookupError:
        raise NotFoundException() from None


async def _collaborators_draft(db: DB, request: Request, component: Component, draft_id: int) -> CollaborativeDraft:
    """The draft, for one of its collaborators only: anybody else is refused."""
    draft = await _draft(db, request, component, draft_id)
    if not drafts.is_collaborator(draft, request.state.user):
        raise PermissionDeniedException()
    return draft


# ------------------------------------------------------------------------------------ reading

@get(PATH, opt=READ)
async def index(request: Request, db: DB, component: CurrentComponent) -> Template:
    """The component's open and published drafts, newest first."""
    _enabled(request, component)
    try:
        page = min(max(int(request.query_params.get("page", 1)), 1), 100_000)
    except ValueError:
        page = 1
    rows, total = await drafts.listing(db, component, page)
    return _page(request, "index.html", component, rows=rows, total=total, page=page,
                 pages=max(1, -(-total // drafts.PER_PAGE)))


@get(PATH + "/{draft_id:int}", opt=READ)
async def show(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int]) -> Template:
    """The draft, who writes it and, for them, the requests waiting for an answer."""
    draft = await _draft(db, request, component, draft_id)
    user = request.state.get("user")
    collaborator = drafts.is_collaborator(draft, user)
    return _page(request, "show.html", component, draft=draft, draft_url=_url(request, component, draft),
                 collaborator=collaborator, my_request=drafts.request_of(draft, user),
                 pending=drafts.pending_requests(draft) if collaborator else [])


# ------------------------------------------------------------------------------------ writing

@get(PATH + "/new", opt=CREATE)
async def new(request: Request, component: CurrentComponent) -> Template:
    _enabled(request, component)
    await require_authorization(request, component, "create", _url(request, component))
    return _page(request, "new.html", component, form=_form(request))


@post(PATH + "/new", opt=CREATE)
async def create(request: Request, db: DB, component: CurrentComponent) -> Template | Redirect:
    """Start a draft under the rules of making a proposal (the verifications the space requires too)."""
    _enabled(request, component)
    await require_authorization(request, component, "create", _url(request, component))
    form = _form(request, await form_data(request))
    if form.validate():
        try:
            draft = await drafts.create(db, request.app.state.registry, component, request.state.user, form.result,
                                        current_locale.get())
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("Your draft is saved. Others can now ask to write it with you.")))
            return Redirect(_url(request, component, draft), status_code=303)
    return _page(request, "new.html", component, form=form, status_code=400)


def _edit_page(request: Request, component: Component, draft: CollaborativeDraft, form: Form, version: int,
               status_code: int = 200, changed: bool = False) -> Template:
    """The edit form; ``changed`` when somebody saved meanwhile: the draft's text is shown beside the form."""
    return _page(request, "edit.html", component, draft=draft, draft_url=_url(request, component, draft), form=form,
                 version=version, changed=changed, status_code=status_code)


@get(PATH + "/{draft_id:int}/edit", opt=COLLABORATE)
async def edit(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int]) -> Template:
    draft = await _collaborators_draft(db, request, component, draft_id)
    if draft.state != "open":
        raise NotFoundException()
    form = _form(request, initial={"title": draft.title, "body": services.html_to_text(draft.body)})
    return _edit_page(request, component, draft, form, draft.version)


@post(PATH + "/{draft_id:int}/edit", opt=COLLABORATE)
async def save_edit(request: Request, db: DB, component: CurrentComponent,
                    draft_id: FromPath[int]) -> Template | Redirect:
    """Save a new version, made from the version the form was given; a save from an older one is refused."""
    draft = await _collaborators_draft(db, request, component, draft_id)
    url = _url(request, component, draft)
    data = await form_data(request)
    version = int(data["version"]) if str(data.get("version", "")).isdigit() else 0
    form = _form(request, data)
    if form.validate():
        try:
            await drafts.edit(db, draft, request.state.user, form.result, version)
        except services.ProposalError as error:
            if error.field == "version":  # saved by somebody else in the last instant: read it again
                await db.rollback()
                flash(request, _(request, error.message))
                return Redirect(f"{url}/edit", status_code=303)
            if draft.state != "open":
                flash(request, _(request, error.message))
                return Redirect(url, status_code=303)
            form.add_error(error.field, _(request, error.message))
            # The draft as it is now beside the person's text, which they save over it once compared.
            return _edit_page(request, component, draft, form, draft.version, status_code=409, changed=True)
        await db.commit()
        flash(request, _(request, N_("The draft is saved.")))
        return Redirect(url, status_code=303)
    return _edit_page(request, component, draft, form, version, status_code=400)


async def _action(request: Request, db: DB, component: Component, draft: CollaborativeDraft, change: Any,
                  success: str) -> Redirect:
    """One button of the draft's page, then back to it with what happened."""
    back = _url(request, component, draft)
    try:
        await change()
    except services.ProposalError as error:
        await db.rollback()  # a conditional UPDATE that changed no row still holds SQLite's write lock
        flash(request, _(request, error.message))
    else:
        await db.commit()
        flash(request, _(request, success))
    return Redirect(back, status_code=303)


@post(PATH + "/{draft_id:int}/request-access", opt=COLLABORATE)
async def request_access(request: Request, db: DB, component: CurrentComponent,
                         draft_id: FromPath[int]) -> Redirect:
    """A person who does not write the draft asks to; its collaborators are told."""
    draft = await _draft(db, request, component, draft_id)
    return await _action(request, db, component, draft, lambda: drafts.request_access(
        db, request.app.state.registry, component, draft, request.state.user),
        N_("Your request is sent. The collaborators will answer it."))


async def _answer(request: Request, db: DB, component: Component, draft_id: int, request_id: int,
                  accept: bool) -> Redirect:
    draft = await _collaborators_draft(db, request, component, draft_id)

    async def answer() -> None:
        try:
            await drafts.answer_request(db, request.app.state.registry, component, draft, request.state.user,
                                        request_id, accept)
        except LookupError:
            raise NotFoundException() from None

    return await _action(request, db, component, draft, answer,
                         N_("The request is accepted.") if accept else N_("The request is rejected."))


@post(PATH + "/{draft_id:int}/requests/{request_id:int}/accept", opt=COLLABORATE)
async def accept_request(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int],
                         request_id: FromPath[int]) -> Redirect:
    """A collaborator lets the person write the draft too."""
    return await _answer(request, db, component, draft_id, request_id, accept=True)


@post(PATH + "/{draft_id:int}/requests/{request_id:int}/reject", opt=COLLABORATE)
async def reject_request(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int],
                         request_id: FromPath[int]) -> Redirect:
    return await _answer(request, db, component, draft_id, request_id, accept=False)


@post(PATH + "/{draft_id:int}/withdraw", opt=COLLABORATE)
async def withdraw(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int]) -> Redirect:
    draft = await _collaborators_draft(db, request, component, draft_id)
    return await _action(request, db, component, draft,
                         lambda: drafts.withdraw(db, draft, request.state.user), N_("The draft is withdrawn."))


@post(PATH + "/{draft_id:int}/publish", opt=CREATE)
async def publish(request: Request, db: DB, component: CurrentComponent, draft_id: FromPath[int]) -> Redirect:
    """A collaborator publishes the draft as a proposal, under every rule of publishing one."""
    draft = await _collaborators_draft(db, request, component, draft_id)
    back, base = _url(request, component, draft), _base(request, component)  # a refusal rolls back: read them now
    await require_authorization(request, component, "create", back)
    try:
        proposal = await drafts.publish(db, request.app.state.registry, component, draft, request.state.user)
    except services.ProposalError as error:
        flash(request, _(request, error.message))
        return Redirect(back, status_code=303)
    flash(request, _(request, N_("The draft is published as a proposal, with all its collaborators as authors.")))
    return Redirect(f"{base}/{proposal.id}", status_code=303)


ROUTES = [index, show, new, create, edit, save_edit, request_access, accept_request, reject_request, withdraw,
          publish]
