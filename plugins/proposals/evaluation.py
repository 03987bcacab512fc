"""Evaluating and answering proposals: answer states, answers with costs, valuators and their private
notes, the admin list and answers in bulk from a CSV file. No HTTP here.

Who may do what:
- a space admin (or an organization admin) answers any proposal, assigns proposals to the space's
  valuators, defines the component's own answer states and answers in bulk;
- a valuator of the space sees the proposals given to them, writes private notes on them and, when
  the component allows it, answers them: an "evaluating" answer follows the phase like an admin's,
  any other is kept as a draft until an admin publishes it.

Notes are private: they are read only through ``notes_of`` (for the people above), never indexed for
search, never exported, never named in an event.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, object_session, selectinload

from core import search
from core.accounts.models import User
from core.db import dialect_insert, utcnow
from core.i18n import N_
from core.models import Component, Space
from core.permissions import Actor
from core.richtext import plain_text, sanitize
from core.roles import SpaceRole
from plugins.proposals.models import AnswerState, Note, Proposal, ValuatorAssignment
from plugins.proposals.services import (
    RESOURCE_TYPE,
    STATE_ROWS,
    ProposalError,
    _tell_answered,
    phase,
    settings,
    state_condition,
)

BUILTIN_STATES = {"evaluating": N_("Evaluating"), "accepted": N_("Accepted"), "rejected": N_("Rejected")}
KINDS = {"accepted": N_("Counts as accepted"), "rejected": N_("Counts as rejected"),
         "neutral": N_("Neither accepted nor rejected")}
RESERVED_TOKENS = frozenset({*BUILTIN_STATES, "not_answered", "withdrawn"})
"""Tokens the list's filter already uses: a component's own state cannot take them."""
TOKEN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
NOTE_LENGTH = 2000
ADMIN_PER_PAGE = 50
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 5000


def as_id(value: Any) -> int | None:
    """A row id from what a person sent, or None: digits only, and small enough for an INTEGER column."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


@dataclass(frozen=True)
class StateInfo:
    """One answer state as pages show it: a built-in one (``name`` a message id) or the component's own
    (``name`` per language)."""

    token: str
    name: str | dict[str, str]
    kind: str
    """"evaluating", "accepted", "rejected" or "neutral"."""

    @property
    def builtin(self) -> bool:
        return isinstance(self.name, str)

    @property
    def badge(self) -> str:
        """The badge's class: accepted and rejected states share their colours; the rest are muted."""
        return {"accepted": "badge--accepted", "rejected": "badge--rejected"}.get(self.kind, "badge--muted")


BUILTIN = {token: StateInfo(token, name, token) for token, name in BUILTIN_STATES.items()}


# ------------------------------------------------------------------------------------ who

def is_admin(actor: Actor, space: Space) -> bool:
    return actor.organization_admin or "admin" in actor.roles.in_space(space.id)


def is_valuator(actor: Actor, space: Space) -> bool:
    return actor.user is not None and "valuator" in actor.roles.in_space(space.id)


def may_evaluate(actor: Actor, space: Space) -> bool:
    """Whether this person sees the evaluation of the space's proposals: its admins and valuators."""
    return is_admin(actor, space) or is_valuator(actor, space)


# ------------------------------------------------------------------------------------ answer states

async def custom_states(session: AsyncSession, component: Component) -> Sequence[AnswerState]:
    return (await session.scalars(select(AnswerState).where(AnswerState.component_id == component.id)
                                  .order_by(AnswerState.weight, AnswerState.id))).all()


_STATES = "proposals.answer_states"


async def states_of(session: AsyncSession, component: Component) -> dict[str, StateInfo]:
    """Every answer state of the component, built-in ones first: one query, once per request (the session,
    which lives as long as the request, remembers them; adding, changing or deleting a state forgets)."""
    known = session.info.setdefault(_STATES, {})
    if component.id not in known:
        read = session.info.get(STATE_ROWS, {}).get(component.id)  # with the list's classifications
        if read is None:
            read = [(state.token, state.name, state.kind) for state in await custom_states(session, component)]
        known[component.id] = {**BUILTIN, **{token: StateInfo(token, name, kind) for token, name, kind in read}}
    return dict(known[component.id])


def _forget_states(session: AsyncSession | None) -> None:
    if session is not None:
        session.info.pop(_STATES, None)
        session.info.pop(STATE_ROWS, None)


async def add_state(session: AsyncSession, component: Component, token: str, name: dict[str, str],
                    kind: str) -> AnswerState:
    """A new answer state at the end of the component's; the token is checked here, once."""
    token = token.strip().lower()
    if not TOKEN.match(token):
        raise ProposalError(N_("Use 2 to 32 lowercase letters, digits or _, starting with a letter."), "token")
    if token in RESERVED_TOKENS:
        raise ProposalError(N_("This token is already a state of every component."), "token")
    if kind not in KINDS:
        raise ProposalError(N_("Choose one of the options."), "kind")
    exists = await session.scalar(select(AnswerState.id).where(AnswerState.component_id == component.id,
                                                               AnswerState.token == token))
    if exists is not None:
        raise ProposalError(N_("This component already has a state with this token."), "token")
    weight = await session.scalar(select(func.coalesce(func.max(AnswerState.weight), -1))
                                  .where(AnswerState.component_id == component.id))
    state = AnswerState(component_id=component.id, token=token, name=name, kind=kind, weight=weight + 1)
    _forget_states(session)
    session.add(state)
    await session.flush()
    return state


async def state_for(session: AsyncSession, component: Component, state_id: int) -> AnswerState:
    state = await session.scalar(select(AnswerState).where(AnswerState.id == state_id,
                                                           AnswerState.component_id == component.id))
    if state is None:
        raise LookupError(state_id)
    return state


def update_state(state: AnswerState, name: dict[str, str], kind: str) -> None:
    """Rename a state or change what it counts as; its token stays, as answers and CSV files hold it."""
    if kind not in KINDS:
        raise ProposalError(N_("Choose one of the options."), "kind")
    _forget_states(object_session(state))
    state.name = name
    state.kind = kind


async def delete_state(session: AsyncSession, component: Component, state: AnswerState) -> None:
    """Delete a state that no answer uses: an answer's state must always be one the component has."""
    used = await session.scalar(select(func.count(Proposal.id)).where(Proposal.component_id == component.id,
                                                                     Proposal.answer_state == state.token))
    if used:
        raise ProposalError(N_("Proposals are answered with this state: answer them otherwise first."))
    _forget_states(session)
    await session.delete(state)


# ------------------------------------------------------------------------------------ answers

class AnswerRefused(ProposalError):
    """An answer with problems: ``problems`` holds every (field, message id), to show them all at once."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


@dataclass
class AnswerData:
    """An answer as a form or a CSV row gives it; texts are already clean."""

    state: str
    answer: dict[str, str] = field(default_factory=dict)
    cost: int | None = None
    cost_report: dict[str, str] = field(default_factory=dict)
    execution_period: dict[str, str] = field(default_factory=dict)


def answer_problems(registry: Any, component: Component, states: dict[str, StateInfo],
                    data: AnswerData) -> list[tuple[str, str]]:
    """(field, message id) for what is wrong with an answer, all at once (as Decidim asks): a rejection
    needs its reason; where answers carry costs, an acceptance needs its cost, report and period."""
    info = states.get(data.state)
    if info is None:
        return [("state", N_("Choose one of the answer states."))]
    problems = []
    if info.kind == "rejected" and not any(plain_text(text).strip() for text in data.answer.values()):
        problems.append(("answer", N_("Say why the proposal is rejected.")))
    if info.kind == "accepted" and settings(registry, component).answers_with_costs:
        if data.cost is None:
            problems.append(("cost", N_("An accepted proposal needs its cost.")))
        if not any(plain_text(text).strip() for text in data.cost_report.values()):
            problems.append(("cost_report", N_("Explain the cost.")))
        if not any(text.strip() for text in data.execution_period.values()):
            problems.append(("execution_period", N_("Say when it would be done.")))
    return problems


async def assigned_to(session: AsyncSession, proposal: Proposal, user: Any) -> bool:
    return user is not None and await session.scalar(select(ValuatorAssignment.id).where(
        ValuatorAssignment.proposal_id == proposal.id, ValuatorAssignment.user_id == user.id)) is not None


async def may_answer(session: AsyncSession, registry: Any, component: Component, proposal: Proposal,
                     actor: Actor) -> bool:
    """Admins answer every proposal; a valuator those assigned to them, if the component lets valuators answer."""
    if is_admin(actor, component.space):
        return True
    return (is_valuator(actor, component.space) and settings(registry, component).valuators_may_answer
            and await assigned_to(session, proposal, actor.user))


async def answer(session: AsyncSession, registry: Any, component: Component, proposal: Proposal, data: AnswerData,
                 actor: Actor) -> None:
    """Record an answer; it is public now or when an admin publishes answers (see the module's docstring)."""
    if proposal.state == "draft":
        raise ProposalError(N_("A draft cannot be answered."))
    if not await may_answer(session, registry, component, proposal, actor):
        raise ProposalError(N_("You may not answer this proposal."))
    states = await states_of(session, component)
    problems = answer_problems(registry, component, states, data)
    if problems:
        raise AnswerRefused(problems)
    by_admin = is_admin(actor, component.space)
    publish = phase(registry, component).answers_published and (by_admin or states[data.state].kind == "evaluating")
    await _apply(session, registry, component, proposal, data, publish)


async def _apply(session: AsyncSession, registry: Any, component: Component, proposal: Proposal, data: AnswerData,
                 publish: bool) -> None:
    proposal.answer_state = data.state
    proposal.answer = data.answer
    proposal.answer_cost = data.cost
    proposal.answer_cost_report = data.cost_report
    proposal.answer_execution_period = data.execution_period
    proposal.answered_at = utcnow()
    proposal.answer_published_at = utcnow() if publish else None
    if publish:
        await _tell_answered(session, registry, component, proposal, actor_id=None)


# ------------------------------------------------------------------------------------ answers from a CSV file

@dataclass(frozen=True)
class Problem:
    """What is wrong on one line of a CSV file: a message id and its variables."""

    line: int
    message: str
    variables: dict[str, Any] = field(default_factory=dict)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProposalError(N_("The file is not UTF-8 text: save it as \"CSV UTF-8\" and try again.")) from None


def _columns(header: list[str], locales: Sequence[str]) -> dict[str, Any]:
    """Where each known column is: "answer/ca" and "answer_ca" (how exports name them) are both understood."""
    names = [name.strip().lower() for name in header]
    found: dict[str, Any] = {"translated": {}}
    for index, name in enumerate(names):
        if name in ("id", "state", "cost"):
            found[name] = index
            continue
        match = re.match(r"^(answer|cost_report|execution_period)[/_]([a-z]{2})$", name)
        if match and match.group(2) in locales:
            found["translated"].setdefault(match.group(1), {})[match.group(2)] = index
    return found


def parse_answers(data: bytes, locales: Sequence[str]) -> tuple[list[tuple[int, int, AnswerData]], list[Problem]]:
    """The rows of an answers CSV file as (line, proposal id, answer), and the problems of its form.

    Columns: ``id``, ``state`` (a token), ``answer/<language>`` (HTML or text; sanitised), ``cost``
    (whole euros) and, optionally, ``cost_report/<language>`` and ``execution_period/<language>``.
    The separator is a comma or, as spreadsheets in Catalan and Spanish save them, a semicolon.
    """
    text = _decode(data)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    try:
        header = next(reader)
    except StopIteration:
        raise ProposalError(N_("The file is empty.")) from None
    except csv.Error:
        raise ProposalError(N_("The file is not a CSV file.")) from None
    columns = _columns(header, locales)
    if "id" not in columns or "state" not in columns:
        raise ProposalError(N_("The first line must name the columns, at least id and state."))
    rows: list[tuple[int, int, AnswerData]] = []
    problems: list[Problem] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(rows) + len(problems) >= CSV_MAX_ROWS:
                raise ProposalError(N_("The file has too many lines: answer at most 5,000 proposals at once."))

            def cell(index: int | None, values: list[str] = values) -> str:
                return values[index].strip() if index is not None and index < len(values) else ""

            def texts(name: str, rich: bool) -> dict[str, str]:
                found = {locale: cell(index) for locale, index in columns["translated"].get(name, {}).items()}
                return {locale: sanitize(text) if rich else plain_text(text)
                        for locale, text in found.items() if text}

            raw_id, raw_cost = cell(columns["id"]), cell(columns.get("cost"))
            if as_id(raw_id) is None:
                problems.append(Problem(line, N_("The id %(value)s is not a number."), {"value": raw_id or "—"}))
                continue
            cost = None
            if raw_cost:
                digits = raw_cost.replace(".", "").replace(" ", "").replace("€", "")
                if not digits.isdigit() or int(digits) > 1_000_000_000:
                    problems.append(Problem(line, N_("The cost %(value)s is not a whole number of euros."),
                                            {"value": raw_cost}))
                    continue
                cost = int(digits)
            rows.append((line, as_id(raw_id), AnswerData(
                state=cell(columns["state"]).lower(), answer=texts("answer", True), cost=cost,
                cost_report=texts("cost_report", True), execution_period=texts("execution_period", False),
            )))
    except csv.Error:
        raise ProposalError(N_("The file is not a CSV file.")) from None
    if not rows and not problems:
        raise ProposalError(N_("The file has no answers."))
    return rows, problems


async def answer_from_csv(session: AsyncSession, registry: Any, component: Component, data: bytes,
                          locales: Sequence[str]) -> tuple[int, list[Problem]]:
    """Answer the proposals a CSV file names, all or none: every line is checked first, and one problem
    leaves everything as it was. Returns how many were answered, or the problems with their lines.

    Only ids of this component count: another component's (or organization's) id is "not found". Each
    answer is published, and told to its author, as an admin's single answer would be. The caller commits.
    """
    rows, problems = parse_answers(data, locales)
    states = await states_of(session, component)
    ids = {proposal_id for _, proposal_id, _ in rows}
    proposals = {proposal.id: proposal for proposal in (await session.scalars(
        select(Proposal).where(Proposal.component_id == component.id, Proposal.id.in_(ids),
                               Proposal.state != "draft"))).all()} if ids else {}
    seen: set[int] = set()
    for line, proposal_id, data_row in rows:
        if proposal_id not in proposals:
            problems.append(Problem(line, N_("There is no proposal %(id)s in this component."), {"id": proposal_id}))
            continue
        if proposal_id in seen:
            problems.append(Problem(line, N_("The proposal %(id)s is answered on an earlier line."),
                                    {"id": proposal_id}))
            continue
        seen.add(proposal_id)
        for name, message in answer_problems(registry, component, states, data_row):
            if name == "state":
                problems.append(Problem(line, N_("The state %(value)s is not one of this component's."),
                                        {"value": data_row.state or "—"}))
            else:
                problems.append(Problem(line, message))
    if problems:
        return 0, sorted(problems, key=lambda problem: problem.line)
    publish = phase(registry, component).answers_published
    for _line, proposal_id, data_row in rows:
        await _apply(session, registry, component, proposals[proposal_id], data_row, publish)
    return len(rows), []


# ------------------------------------------------------------------------------------ valuators

async def valuators_of(session: AsyncSession, space: Space) -> Sequence[User]:
    """The people with the valuator role in the space, by name."""
    return (await session.scalars(
        select(User).join(SpaceRole, SpaceRole.user_id == User.id)
        .where(SpaceRole.space_id == space.id, SpaceRole.role == "valuator",
               User.organization_id == space.organization_id, User.deleted_at.is_(None))
        .order_by(User.name, User.id)
    )).all()


async def _component_ids(session: AsyncSession, component: Component, proposal_ids: Sequence[int]) -> list[int]:
    """The ids among ``proposal_ids`` that are published or withdrawn proposals of this component."""
    if not proposal_ids:
        return []
    return list((await session.scalars(select(Proposal.id).where(
        Proposal.component_id == component.id, Proposal.id.in_(proposal_ids), Proposal.state != "draft"))).all())


async def assign(session: AsyncSession, component: Component, proposal_ids: Sequence[int], valuator_id: int) -> int:
    """Give proposals of this component to a valuator of its space; how many were newly given."""
    if valuator_id not in {user.id for user in await valuators_of(session, component.space)}:
        raise ProposalError(N_("Choose a valuator of this space."), "valuator_id")
    ids = await _component_ids(session, component, proposal_ids)
    if not ids:
        raise ProposalError(N_("Select at least one proposal."))
    given = 0
    for proposal_id in ids:
        inserted = (await session.execute(
            dialect_insert(session)(ValuatorAssignment).values(
                proposal_id=proposal_id, component_id=component.id, user_id=valuator_id, assigned_at=utcnow())
            .on_conflict_do_nothing().returning(ValuatorAssignment.id)
        )).scalar()
        given += inserted is not None
    return given


async def unassign(session: AsyncSession, component: Component, proposal_ids: Sequence[int], valuator_id: int) -> int:
    """Take proposals of this component back from a valuator; how many were taken back."""
    ids = await _component_ids(session, component, proposal_ids)
    if not ids:
        raise ProposalError(N_("Select at least one proposal."))
    removed = (await session.execute(delete(ValuatorAssignment).where(
        ValuatorAssignment.component_id == component.id, ValuatorAssignment.proposal_id.in_(ids),
        ValuatorAssignment.user_id == valuator_id).returning(ValuatorAssignment.id))).all()
    return len(removed)


async def assignments_of(session: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, list[User]]:
    """The valuators of each proposal (one query for a whole page)."""
    found: dict[int, list[User]] = {}
    if proposal_ids:
        for assignment in (await session.scalars(
                select(ValuatorAssignment).options(joinedload(ValuatorAssignment.user))
                .where(ValuatorAssignment.proposal_id.in_(proposal_ids)).order_by(ValuatorAssignment.id))).all():
            found.setdefault(assignment.proposal_id, []).append(assignment.user)
    return found


# ------------------------------------------------------------------------------------ private notes

async def notes_of(session: AsyncSession, proposal: Proposal) -> Sequence[Note]:
    """The private notes of a proposal, oldest first; only for its space's admins and valuators."""
    return (await session.scalars(select(Note).options(joinedload(Note.author))
                                  .where(Note.proposal_id == proposal.id).order_by(Note.id))).all()


async def may_write_notes(session: AsyncSession, component: Component, proposal: Proposal, actor: Actor) -> bool:
    return is_admin(actor, component.space) or (is_valuator(actor, component.space)
                                                and await assigned_to(session, proposal, actor.user))


async def add_note(session: AsyncSession, component: Component, proposal: Proposal, actor: Actor, body: str) -> Note:
    """A private note by an admin of the space or a valuator the proposal is assigned to."""
    if not await may_write_notes(session, component, proposal, actor):
        raise ProposalError(N_("Only the space's admins and the proposal's valuators write notes on it."))
    body = body.replace("\r", "").strip()
    if not body:
        raise ProposalError(N_("Fill in this field."), "body")
    if len(body) > NOTE_LENGTH:
        raise ProposalError(N_("The note is too long."), "body")
    note = Note(proposal_id=proposal.id, component_id=component.id, author_id=actor.user.id, body=body)
    session.add(note)
    await session.flush()
    return note


# ------------------------------------------------------------------------------------ the admin list

@dataclass
class AdminFilters:
    """What the admin list may be asked for; everything else is ignored."""

    q: str = ""
    state: str = ""
    valuator: str = ""
    """"" (everybody's), "me", "none" (not assigned) or a valuator's id."""
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> AdminFilters:
        state = str(params.get("state", ""))
        valuator = str(params.get("valuator", ""))
        try:
            page = min(max(int(params.get("page", 1)), 1), 100_000)
        except (TypeError, ValueError):
            page = 1
        return cls(q=" ".join(str(params.get("q", "")).split())[:100],
                   state=state if state in RESERVED_TOKENS or TOKEN.match(state) else "",
                   valuator=valuator if valuator in ("me", "none") or as_id(valuator) else "", page=page)


async def admin_listing(session: AsyncSession, component: Component, actor: Actor,
                        filters: AdminFilters) -> tuple[Sequence[Proposal], int]:
    """A page of the component's proposals for its admins (all of them, drafts aside) and valuators
    (only those assigned to them), newest first, and how many match."""
    conditions = [Proposal.component_id == component.id, Proposal.state != "draft"]
    if not is_admin(actor, component.space):
        filters.valuator = "me"
    mine = select(ValuatorAssignment.proposal_id).where(ValuatorAssignment.component_id == component.id)
    if filters.valuator == "me":
        conditions.append(Proposal.id.in_(mine.where(ValuatorAssignment.user_id == actor.user.id)))
    elif filters.valuator == "none":
        conditions.append(Proposal.id.not_in(mine))
    elif filters.valuator:
        conditions.append(Proposal.id.in_(mine.where(ValuatorAssignment.user_id == int(filters.valuator))))
    if filters.state == "withdrawn":
        conditions.append(Proposal.state == "withdrawn")
    elif filters.state == "not_answered":
        conditions.append(Proposal.answer_state.is_(None))
    elif filters.state:
        conditions.append(state_condition(component.id, filters.state))
    matching = search.matching(session, RESOURCE_TYPE, filters.q)
    if as_id(filters.q):  # an id, as admins quote them
        conditions.append(Proposal.id == as_id(filters.q))
    elif matching is not None:
        conditions.append(Proposal.id.in_(matching))
    total = await session.scalar(select(func.count(Proposal.id)).where(*conditions)) or 0
    proposals = (await session.scalars(
        select(Proposal).options(selectinload(Proposal.author)).where(*conditions)
        .order_by(Proposal.id.desc()).limit(ADMIN_PER_PAGE).offset((filters.page - 1) * ADMIN_PER_PAGE)
    )).all()
    return proposals, total


async def note_counts(session: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, int]:
    if not proposal_ids:
        return {}
    return dict((await session.execute(select(Note.proposal_id, func.count(Note.id))
                                       .where(Note.proposal_id.in_(proposal_ids))
                                       .group_by(Note.proposal_id))).all())
