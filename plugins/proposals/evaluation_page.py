"""The evaluation on a proposal's page: what everyone sees of it (the answer's state, the proposals it is
linked to) and what the space's admins and valuators see (valuators, private notes, the answer form).
Helpers of routes.py and admin.py; the rules are in evaluation.py and links.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from core.forms import Form
from core.i18n import current_locale, translated
from core.models import Component
from core.permissions import actor_of
from core.spaces.admin import locales_of
from core.web import DB
from plugins.proposals import evaluation, links, services
from plugins.proposals.admin_forms import AnswerForm, NoteForm
from plugins.proposals.models import AnswerState, Proposal


def form(request: Request, schema: type, data: Any = None, initial: Any = None, **choices: Any) -> Form:
    """A form in the organization's languages; ``choices`` gives fields their options (value, label)."""
    return Form(schema, request.app.state.catalogs.gettext, data, initial=initial,
                locales=locales_of(request.state.organization), choices=choices)


def state_choices(request: Request, states: dict[str, evaluation.StateInfo]) -> list[tuple[str, str]]:
    gettext = request.app.state.catalogs.gettext
    return [(token, gettext(info.name) if info.builtin else translated(info.name, current_locale.get()))
            for token, info in states.items()]


async def evaluation_context(request: Request, db: DB, component: Component, proposal: Proposal,
                             answer: Form | None = None, note: Any = None,
                             state: AnswerState | None = None) -> dict[str, Any]:
    """What the proposal's page shows of its evaluation: for everyone, the answer's state and its links; for
    the space's admins and valuators, the valuators, the private notes and the forms they may use.

    ``state`` is the component's own state the proposal is in, when the page read it with the proposal
    (``services.proposal_and_support``): its badge then costs no query."""
    context: dict[str, Any] = {
        "links": await links.links_of(db, request.app.state.registry, component.space.organization_id, proposal),
        "answer_states": evaluation.BUILTIN, "may_evaluate": False, "may_answer": False, "answer": None,
    }
    if state is not None and state.token == proposal.answer_state:
        context["answer_states"] = {**evaluation.BUILTIN,
                                    state.token: evaluation.StateInfo(state.token, state.name, state.kind)}
    elif proposal.answer_state and proposal.answer_state not in evaluation.BUILTIN:
        context["answer_states"] = await evaluation.states_of(db, component)
    if request.state.get("user") is None:
        return context
    actor = await actor_of(request)
    if not evaluation.may_evaluate(actor, component.space):
        return context
    registry = request.app.state.registry
    states = await evaluation.states_of(db, component)
    may_answer = await evaluation.may_answer(db, registry, component, proposal, actor)
    if may_answer and answer is None:
        answer = form(request, AnswerForm, initial={
            "state": proposal.answer_state or "evaluating", "answer": proposal.answer, "cost": proposal.answer_cost,
            "cost_report": proposal.answer_cost_report, "execution_period": proposal.answer_execution_period,
        }, state=state_choices(request, states))
    context.update(
        answer_states=states, may_evaluate=True, may_answer=may_answer, answer=answer if may_answer else None,
        notes=await evaluation.notes_of(db, proposal),
        may_write_notes=await evaluation.may_write_notes(db, component, proposal, actor),
        note=note or form(request, NoteForm),
        valuators=(await evaluation.assignments_of(db, [proposal.id])).get(proposal.id, []),
        admin=evaluation.is_admin(actor, component.space),
    )
    return context


async def answer_form(request: Request, db: DB, component: Component, data: Any) -> Form:
    """The answer form as sent, offering the component's answer states."""
    return form(request, AnswerForm, data, state=state_choices(request, await evaluation.states_of(db, component)))


async def save_answer(request: Request, db: DB, component: Component, proposal: Proposal, sent: Form) -> bool:
    """Validate and record an answer from the proposal's page; False leaves the errors on the form.

    A valuator who may not answer this proposal gets a 403, as the page offers them no form to show errors on.
    """
    actor = await actor_of(request)
    if not await evaluation.may_answer(db, request.app.state.registry, component, proposal, actor):
        raise PermissionDeniedException()
    if not sent.validate():
        return False
    result = sent.result
    data = evaluation.AnswerData(state=result.state, answer=result.answer, cost=result.cost,
                                 cost_report=result.cost_report, execution_period=result.execution_period)
    gettext = request.app.state.catalogs.gettext
    try:
        await evaluation.answer(db, request.app.state.registry, component, proposal, data, actor)
    except evaluation.AnswerRefused as refused:
        for name, message in refused.problems:
            sent.add_error(name, gettext(message))
        return False
    except services.ProposalError as error:
        sent.add_error(error.field, gettext(error.message))
        return False
    return True
