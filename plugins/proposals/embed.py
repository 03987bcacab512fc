"""The embed of a proposal (``core.embeds``): its card for other websites, with its supports and answer.

Only a proposal anybody may read is a card: published or withdrawn, not hidden, in a published
component of a published, public space; an admin's preview or an author's draft never is.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from core.embeds import render_embed
from core.spaces import CurrentComponent, component_url
from core.web import DB
from plugins.proposals import evaluation, services

READ = {"permission": "public"}


@get("/{proposal_id:int}/embed", opt=READ)
async def proposal_embed(request: Request, db: DB, component: CurrentComponent,
                         proposal_id: FromPath[int]) -> Template:
    space = component.space
    if not (component.published and space.published and not space.private):
        raise NotFoundException()
    try:
        proposal = await services.proposal_for(db, component, proposal_id, None)
    except LookupError:
        raise NotFoundException() from None
    registry = request.app.state.registry
    return render_embed(request, "proposals/embed.html", proposal=proposal, component=component, space=space,
                        url=f"{component_url(registry, component)}/{proposal.id}",
                        settings=services.settings(registry, component), phase=services.phase(registry, component),
                        answer_states=await evaluation.states_of(db, component))


ROUTES = [proposal_embed]
