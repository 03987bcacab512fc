"""Forms of evaluating and administering proposals: answers, notes, answer states, merging, splitting,
importing. The options that depend on the component (its answer states, the components to import
from) are given when the form is built (``core.forms.Form``'s ``choices``), which accepts only those."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_
from plugins.proposals.evaluation import KINDS
from plugins.proposals.official import ORIGINS
from plugins.proposals.schemas import Body, Title


class AnswerForm(msgspec.Struct, kw_only=True):
    state: Annotated[str, Meta(title=N_("State"))]
    answer: Annotated[dict[str, str], Meta(
        title=N_("Answer"), description=N_("Why: the authors and everyone else read it. A rejection needs it."),
        extra={"max_length": 10_000, "input": "richtext"},
    )] = {}
    cost: Annotated[int, Meta(ge=0, le=1_000_000_000, title=N_("Cost in euros"))] | None = None
    cost_report: Annotated[dict[str, str], Meta(
        title=N_("Cost report"), description=N_("What the cost is made of."),
        extra={"max_length": 5_000, "input": "richtext"},
    )] = {}
    execution_period: Annotated[dict[str, str], Meta(
        title=N_("Execution period"), description=N_("When it would be done, for example \"Autumn 2027\"."),
        extra={"max_length": 200},
    )] = {}


class NoteForm(msgspec.Struct, kw_only=True):
    body: Annotated[str, Meta(
        min_length=1, max_length=2000, title=N_("Private note"),
        description=N_("Only the space's admins and valuators read it."), extra={"input": "textarea"},
    )]


Kind = Literal["accepted", "rejected", "neutral"]


class StateForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name"), extra={"max_length": 60})]
    token: Annotated[str, Meta(
        min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$", title=N_("Token"),
        description=N_("The state's name in addresses and CSV files: lowercase letters, digits and _, "
                       "for example partially_accepted. It cannot be changed later."),
        extra={"pattern_message": N_("Use lowercase letters, digits and _, starting with a letter.")},
    )]
    kind: Annotated[Kind, Meta(
        title=N_("Counts as"), description=N_("For the list's filters and the colour of its badge."),
        extra={"labels": KINDS},
    )] = "neutral"


class StateEditForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name"), extra={"max_length": 60})]
    kind: Annotated[Kind, Meta(
        title=N_("Counts as"), description=N_("For the list's filters and the colour of its badge."),
        extra={"labels": KINDS},
    )] = "neutral"


class MergeForm(msgspec.Struct, kw_only=True):
    title: Title
    body: Body


OptionalTitle = Annotated[str, Meta(min_length=15, max_length=150, title=N_("Title"))] | None
OptionalBody = Annotated[str, Meta(min_length=15, max_length=5000, title=N_("Description"),
                                   extra={"input": "textarea"})] | None


class SplitForm(msgspec.Struct, kw_only=True):
    """Two to five proposals; the third to fifth are left empty when not needed."""

    title_1: Title
    body_1: Body
    title_2: Title
    body_2: Body
    title_3: OptionalTitle = None
    body_3: OptionalBody = None
    title_4: OptionalTitle = None
    body_4: OptionalBody = None
    title_5: OptionalTitle = None
    body_5: OptionalBody = None

    def incomplete(self) -> list[str]:
        """The fields left empty of a proposal whose other field is written."""
        return [f"{name}_{number}" for number in range(3, 6) for name, other in (("title", "body"), ("body", "title"))
                if getattr(self, f"{other}_{number}") and not getattr(self, f"{name}_{number}")]

    def parts(self) -> list[tuple[str, str]]:
        found = []
        for number in range(1, 6):
            title, body = getattr(self, f"title_{number}"), getattr(self, f"body_{number}")
            if title and body:
                found.append((title, body))
        return found


class ImportForm(msgspec.Struct, kw_only=True):
    source_id: Annotated[int, Meta(title=N_("Import from"))]
    only_accepted: Annotated[bool, Meta(
        title=N_("Only accepted proposals"),
        description=N_("Proposals whose published answer accepts them (or counts as accepting them)."),
    )] = True


class OfficialForm(msgspec.Struct, kw_only=True):
    """An official proposal; the assembly is one of the organization's (``choices``)."""

    title: Title
    body: Body
    origin: Annotated[Literal["organization", "meeting", "assembly"], Meta(
        title=N_("It comes from"), extra={"labels": ORIGINS})] = "organization"
    assembly: Annotated[str, Meta(title=N_("Assembly"), description=N_("If it comes from an assembly."))] = ""
    meeting: Annotated[str, Meta(
        max_length=200, title=N_("Meeting"),
        description=N_("If it comes from a meeting: which one and where, for example \"Neighbourhood meeting at "
                       "the civic centre\"."))] = ""
    meeting_date: Annotated[datetime.date, Meta(title=N_("Date of the meeting"))] | None = None
