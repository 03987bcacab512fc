"""HTTP of endorsements on a proposal's page: the endorse and withdraw buttons (forms, no JavaScript), and
what the page shows of them. The rules are in plugins.proposals.endorsements."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.accounts.routes import form_data
from core.auth import flash
from core.endorsements import services as core_endorsements
from core.groups.services import parse_group_id
from core.i18n import N_
from core.models import Component
from core.ratelimit import RateLimit
from core.spaces import CurrentComponent, component_url
from core.verifications.permissions import require_authorization
from core.web import DB, safe_next
from plugins.proposals import endorsements, services
from plugins.proposals.models import Proposal

ENDORSE = {"permission": "proposals.endorse"}


def _limit(request: Request) -> RateLimit:
    """As many as supports allow: enough for anybody going through a list, not for a script."""
    return RateLimit(request.app.state.counters, "proposals-endorse", limit=60, window=60)


async def endorsement_context(request: Request, db: Any, component: Component, proposal: Proposal) -> dict[str, Any]:
    """What the proposal's page shows of endorsements: the endorsers, their number (stored on the proposal),
    this person's buttons. No query at all while endorsing is closed and nobody endorsed; else one, for the
    list and the buttons of someone logged in while it is open (their groups came with them)."""
    may_endorse = endorsements.may_endorse(request.app.state.registry, component)
    user = request.state.get("user")
    open_to_them = may_endorse and proposal.state == "published" and user is not None
    listed, choices = await core_endorsements.endorsers_and_choices(
        db, user if open_to_them else None, services.RESOURCE_TYPE, proposal.id,
        listed=bool(proposal.endorsements_count))
    return {"endorsers": listed, "endorsers_total": proposal.endorsements_count, "endorsement_choices": choices,
            "may_endorse": may_endorse}


async def _endorsement_action(request: Request, db: DB, component: Component, proposal_id: int, add: bool) -> Redirect:
    data = await form_data(request)
    gettext = request.app.state.catalogs.gettext
    back = safe_next(data.get("next"), f"{component_url(request.app.state.registry, component)}/{proposal_id}")
    user = request.state.user
    try:
        await services.proposal_for(db, component, proposal_id, user)
    except LookupError:
        raise NotFoundException() from None
    if add:  # the verifications the space's admins require for endorsing (withdrawing needs none)
        await require_authorization(request, component, "endorse", back)
    limit = _limit(request)
    if await limit.exceeded(str(user.id)):
        flash(request, gettext(N_("Too many attempts; wait a moment and try again")))
        return Redirect(back, status_code=303)
    await limit.hit(str(user.id))
    group_id = parse_group_id(data.get("user_group_id"))
    action = endorsements.endorse if add else endorsements.withdraw
    try:
        await action(db, request.app.state.registry, component, proposal_id, user, group_id)
    except services.ProposalError as error:
        flash(request, gettext(error.message))
    else:
        flash(request, gettext(N_("Your endorsement is counted.") if add else N_("Your endorsement is withdrawn.")))
    return Redirect(back, status_code=303)


@post("/{proposal_id:int}/endorse", opt=ENDORSE)
async def endorse(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    return await _endorsement_action(request, db, component, proposal_id, add=True)


@post("/{proposal_id:int}/unendorse", opt=ENDORSE)
async def unendorse(request: Request, db: DB, component: CurrentComponent, proposal_id: FromPath[int]) -> Redirect:
    return await _endorsement_action(request, db, component, proposal_id, add=False)


ROUTES = [endorse, unendorse]
