"""HTTP of amendments and of the version history of proposals; the rules are in plugins.proposals.amendments
and plugins.proposals.versions.

Every amendment is reached through its proposal (``services.proposal_for``: this component's, readable,
not hidden), so an id of another proposal, component or organization is not found. A button pressed when
its rule no longer holds (an amendment answered meanwhile) comes back with the reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.accounts.routes import form_data
from core.auth import flash
from core.comments.services import thread_for
from core.forms import Form
from core.i18n import N_, current_locale
from core.models import Component
from core.spaces import CurrentComponent, component_url
from core.verifications.permissions import require_authorization
from core.web import DB, render
from plugins.proposals import amendments, services, versions
from plugins.proposals.amendment_models import Amendment
from plugins.proposals.models import Proposal
from plugins.proposals.schemas import ProposalText

READ = {"permission": "public"}
AMEND = {"permission": "proposals.amend"}
CREATE = {"permission": "proposals.create"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _url(request: Request, component: Component, proposal: Proposal) -> str:
    return f"{component_url(request.app.state.registry, component)}/{proposal.id}"


def _page(request: Request, template: str, component: Component, proposal: Proposal, status_code: int = 200,
          **context: Any) -> Template:
    return render(request, template, component=component, space=component.space,
                  base_url=component_url(request.app.state.registry, component), proposal=proposal,
                  proposal_url=_url(request, component, proposal), status_code=status_code, **context)


async def _proposal(request: Request, component: Component, proposal_id: int) -> Proposal:
    try:
        proposal = await services.proposal_for(request.state.db, component, proposal_id, request.state.get("user"))
    except LookupError:
        raise NotFoundException() from None
    if proposal.state == "draft":  # a draft has no amendments and no history yet
        raise NotFoundException()
    return proposal


async def _amendment(request: Request, component: Component, proposal: Proposal, amendment_id: int) -> Amendment:
    if not amendments.enabled(request.app.state.registry, component):
        raise NotFoundException()
    try:
        return await amendments.amendment_of(request.state.db, component, proposal, amendment_id,
                                             request.state.get("user"))
    except LookupError:
        raise NotFoundException() from None


def _form(request: Request, data: Any = None, initial: Any = None) -> Form:
    return Form(ProposalText, request.app.state.catalogs.gettext, data, initial=initial)


async def amendment_context(request: Request, db: DB, component: Component, proposal: Proposal) -> dict[str, Any]:
    """What the proposal's page shows of its amendments: one query, none where amendments are off."""
    registry = request.app.state.registry
    user = request.state.get("user")
    if not amendments.enabled(registry, component) or proposal.state == "draft":
        return {"amendments_enabled": False, "amendments": [], "may_amend": False, "answers_amendments": False}
    return {"amendments_enabled": True, "amendments": await amendments.listing(db, proposal, user),
            "may_amend": amendments.amendable(registry, component, proposal, user),
            "answers_amendments": user is not None and proposal.authored_by(user.id)}


# ------------------------------------------------------------------------------------ the amender

@get("/{proposal_id:int}/amend", opt=AMEND)
async def amend(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template | Redirect:
    """The form of an amendment, with the person's draft or else the proposal's current text."""
    proposal = await _proposal(request, component, proposal_id)
    await require_authorization(request, component, "amend", _url(request, component, proposal))
    if not amendments.amendable(request.app.state.registry, component, proposal, request.state.user):
        raise NotFoundException()
    mine = await amendments.open_of(db, proposal, request.state.user)
    if mine is not None and mine.state == "pending":
        flash(request, _(request, amendments.ALREADY_OPEN))
        return Redirect(f"{_url(request, component, proposal)}/amendments/{mine.id}", status_code=303)
    source = mine or proposal
    form = _form(request, initial={"title": source.title, "body": services.html_to_text(source.body)})
    return _page(request, "proposals/amendments/edit.html", component, proposal, form=form, draft=mine)


@post("/{proposal_id:int}/amend", opt=AMEND)
async def save_amendment(request: Request, db: DB, component: CurrentComponent,
                         proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _proposal(request, component, proposal_id)
    await require_authorization(request, component, "amend", _url(request, component, proposal))
    form = _form(request, await form_data(request))
    if form.validate():
        try:
            amendment = await amendments.save_draft(db, request.app.state.registry, component, proposal,
                                                    request.state.user, form.result)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            return Redirect(f"{_url(request, component, proposal)}/amendments/{amendment.id}", status_code=303)
    return _page(request, "proposals/amendments/edit.html", component, proposal, form=form, draft=None,
                 status_code=400)


@get("/{proposal_id:int}/amendments/{amendment_id:int}", opt=READ)
async def show_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                         amendment_id: FromPath[int]) -> Template:
    """One amendment, its differences and its comments; its author's draft is previewed here before it is sent."""
    proposal = await _proposal(request, component, proposal_id)
    amendment = await _amendment(request, component, proposal, amendment_id)
    user = request.state.get("user")
    # A draft is nobody's to comment on or report yet.
    thread = (await thread_for(request, component, amendments.RESOURCE_TYPE, amendment.id)
              if amendment.state in amendments.PUBLIC_STATES else None)
    return _page(request, "proposals/amendments/show.html", component, proposal, item=amendments.shown(amendment),
                 answers_amendments=user is not None and proposal.authored_by(user.id), thread=thread)


async def _action(request: Request, db: DB, component: Component, proposal_id: int, amendment_id: int, change: Any,
                  success: str, by_authors: bool = False, back_to_proposal: bool = True) -> Redirect:
    """One change of an amendment, then back to the proposal (or to the amendment, with the reason it failed).

    An amendment is its author's to change and its proposal's authors' (``by_authors``) to answer: for
    anybody else it is not found, whatever its state."""
    proposal = await _proposal(request, component, proposal_id)
    amendment = await _amendment(request, component, proposal, amendment_id)
    user = request.state.user
    if not (proposal.authored_by(user.id) if by_authors else amendment.author_id == user.id):
        raise NotFoundException()
    back = f"{_url(request, component, proposal)}/amendments/{amendment.id}"
    try:
        target = await change(proposal, amendment)
    except services.ProposalError as error:
        await db.rollback()  # a refused conditional UPDATE still holds SQLite's write lock until then
        flash(request, _(request, error.message))
        return Redirect(back, status_code=303)
    await db.commit()
    flash(request, _(request, success))
    return Redirect(target or (_url(request, component, proposal) if back_to_proposal else back), status_code=303)


@post("/{proposal_id:int}/amendments/{amendment_id:int}/submit", opt=AMEND)
async def submit_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                           amendment_id: FromPath[int]) -> Redirect:
    """Send the draft to the proposal's authors."""
    await require_authorization(request, component, "amend")
    return await _action(
        request, db, component, proposal_id, amendment_id,
        lambda proposal, amendment: amendments.submit(db, request.app.state.registry, component, proposal, amendment,
                                                      request.state.user),
        N_("Your amendment is sent to the proposal's authors."), back_to_proposal=False)


@post("/{proposal_id:int}/amendments/{amendment_id:int}/withdraw", opt=AMEND)
async def withdraw_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                             amendment_id: FromPath[int]) -> Redirect:
    return await _action(request, db, component, proposal_id, amendment_id,
                         lambda proposal, amendment: amendments.withdraw(db, amendment, request.state.user),
                         N_("Your amendment is withdrawn."))


@post("/{proposal_id:int}/amendments/{amendment_id:int}/promote", opt=CREATE)
async def promote_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                            amendment_id: FromPath[int]) -> Redirect:
    """Make a proposal of one's rejected amendment: its draft goes on through the proposal wizard."""
    await require_authorization(request, component, "create")
    base = component_url(request.app.state.registry, component)

    async def change(proposal: Proposal, amendment: Amendment) -> str:
        draft = await amendments.promote(db, request.app.state.registry, component, amendment, request.state.user,
                                         current_locale.get())
        return f"{base}/{draft.id}/compare"

    return await _action(request, db, component, proposal_id, amendment_id, change,
                         N_("Your amendment is now a draft proposal: complete it and publish it."))


# ------------------------------------------------------------------------------------ the authors

@post("/{proposal_id:int}/amendments/{amendment_id:int}/accept", opt=AMEND)
async def accept_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                           amendment_id: FromPath[int]) -> Redirect:
    """The proposal's authors take the amendment's text."""
    return await _action(
        request, db, component, proposal_id, amendment_id,
        lambda proposal, amendment: amendments.accept(db, request.app.state.registry, component, proposal, amendment,
                                                      request.state.user),
        N_("The amendment is accepted: the proposal has its text now."), by_authors=True)


@post("/{proposal_id:int}/amendments/{amendment_id:int}/reject", opt=AMEND)
async def reject_amendment(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                           amendment_id: FromPath[int]) -> Redirect:
    return await _action(
        request, db, component, proposal_id, amendment_id,
        lambda proposal, amendment: amendments.reject(db, request.app.state.registry, component, proposal, amendment,
                                                      request.state.user),
        N_("The amendment is rejected."), by_authors=True)


# ------------------------------------------------------------------------------------ history

@get("/{proposal_id:int}/versions", opt=READ)
async def history(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    """Every text the proposal has had, newest first, each with what it changed."""
    proposal = await _proposal(request, component, proposal_id)
    return _page(request, "proposals/amendments/versions.html", component, proposal,
                 changes=versions.changes(await versions.versions_of(db, proposal)))


ROUTES = [amend, save_amendment, show_amendment, submit_amendment, withdraw_amendment, promote_amendment,
          accept_amendment, reject_amendment, history]
