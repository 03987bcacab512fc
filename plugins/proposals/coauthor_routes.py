"""HTTP of co-authors: the author's page to invite and remove them, and the invited person's answer on the
proposal's page. The rules are in plugins.proposals.coauthors.

A page that is not this person's (another's proposal) is a 404, as for editing; a button pressed when its
rule no longer holds (an invitation already answered) comes back to the proposal with the reason.
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
from core.groups.schemas import InvitationForm
from core.i18n import N_
from core.models import Component
from core.spaces import CurrentComponent, component_url
from core.web import DB, render
from plugins.proposals import coauthors, services
from plugins.proposals.models import Proposal

COAUTHOR = {"permission": "proposals.coauthor"}


def _(request: Request, message: str, **variables: Any) -> str:
    return request.app.state.catalogs.gettext(message, **variables)


def _url(request: Request, component: Component, proposal: Proposal) -> str:
    return f"{component_url(request.app.state.registry, component)}/{proposal.id}"


async def _proposal(request: Request, component: Component, proposal_id: int) -> Proposal:
    try:
        return await services.proposal_for(request.state.db, component, proposal_id, request.state.user)
    except LookupError:
        raise NotFoundException() from None


async def _own(request: Request, component: Component, proposal_id: int) -> Proposal:
    """The author's published proposal; anybody else's is not found."""
    proposal = await _proposal(request, component, proposal_id)
    if proposal.author_id != request.state.user.id or proposal.state != "published":
        raise NotFoundException()
    return proposal


def _page(request: Request, component: Component, proposal: Proposal, form: Form, status_code: int = 200) -> Template:
    return render(request, "proposals/coauthors.html", component=component, space=component.space,
                  proposal=proposal, proposal_url=_url(request, component, proposal), form=form,
                  status_code=status_code)


def _form(request: Request, data: Any = None) -> Form:
    return Form(InvitationForm, request.app.state.catalogs.gettext, data)


@get("/{proposal_id:int}/coauthors", opt=COAUTHOR)
async def coauthors_page(request: Request, component: CurrentComponent, proposal_id: FromPath[int]) -> Template:
    """The author's page: who co-authors the proposal, who has not answered yet, and the invitation form."""
    return _page(request, component, await _own(request, component, proposal_id), _form(request))


@post("/{proposal_id:int}/coauthors", opt=COAUTHOR)
async def invite_coauthor(request: Request, db: DB, component: CurrentComponent,
                          proposal_id: FromPath[int]) -> Template | Redirect:
    proposal = await _own(request, component, proposal_id)
    form = _form(request, await form_data(request))
    if form.validate():
        try:
            person = await coauthors.invite(db, request.app.state.registry, component, proposal, request.state.user,
                                            form.result.person)
        except services.ProposalError as error:
            form.add_error(error.field, _(request, error.message))
        else:
            await db.commit()
            flash(request, _(request, N_("%(name)s is invited to co-author the proposal."), name=person.name))
            return Redirect(f"{_url(request, component, proposal)}/coauthors", status_code=303)
    return _page(request, component, proposal, form, status_code=400)


async def _change(request: Request, db: DB, component: Component, proposal_id: int, change: Any,
                  success: str) -> Redirect:
    """One answer or removal, then back: the author to their co-authors page, anybody else to the proposal."""
    proposal = await _proposal(request, component, proposal_id)
    back = "/coauthors" if proposal.author_id == request.state.user.id and proposal.state == "published" else ""
    try:
        await change(proposal)
    except services.ProposalError as error:
        flash(request, _(request, error.message))
    else:
        await db.commit()
        flash(request, _(request, success))
    return Redirect(_url(request, component, proposal) + back, status_code=303)


@post("/{proposal_id:int}/coauthors/accept", opt=COAUTHOR)
async def accept(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    """The invited person becomes a co-author."""
    return await _change(request, db, component, proposal_id,
                         lambda proposal: coauthors.answer(db, proposal, request.state.user, accept=True),
                         N_("You are a co-author of this proposal now."))


@post("/{proposal_id:int}/coauthors/decline", opt=COAUTHOR)
async def decline(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    return await _change(request, db, component, proposal_id,
                         lambda proposal: coauthors.answer(db, proposal, request.state.user, accept=False),
                         N_("The invitation is declined."))


@post("/{proposal_id:int}/coauthors/{user_id:int}/remove", opt=COAUTHOR)
async def remove(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int],
                 user_id: FromPath[int]) -> Redirect:
    """The author removes a co-author (or takes back an invitation); a co-author stops being one."""
    mine = user_id == request.state.user.id
    return await _change(request, db, component, proposal_id,
                         lambda proposal: coauthors.remove(db, proposal, request.state.user, user_id),
                         N_("You are no longer a co-author of this proposal.") if mine
                         else N_("They are no longer a co-author of the proposal."))


ROUTES = [coauthors_page, invite_coauthor, accept, decline, remove]
