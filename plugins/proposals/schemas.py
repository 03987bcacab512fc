"""Settings of a proposals component (global and per phase) and the forms of proposals."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_


class ProposalsSettings(msgspec.Struct, kw_only=True):
    """Global settings: the rules of supports hold for the whole component, whatever the phase."""

    supports_per_participant: Annotated[int, Meta(
        ge=0, le=1000, title=N_("Supports per participant"),
        description=N_("How many proposals each participant can support. 0 means no limit."),
    )] = 0
    minimum_supports_per_participant: Annotated[int, Meta(
        ge=0, le=1000, title=N_("Minimum supports per participant"),
        description=N_("A participant's supports count only once they have given at least this many. 0 means "
                       "they always count."),
    )] = 0
    threshold_per_proposal: Annotated[int, Meta(
        ge=0, le=1_000_000, title=N_("Threshold per proposal"),
        description=N_("The number of supports a proposal needs. 0 means no threshold."),
    )] = 0
    can_exceed_threshold: Annotated[bool, Meta(
        title=N_("Supports may exceed the threshold"),
        description=N_("If not, a proposal stops taking supports when it reaches the threshold."),
    )] = True
    supports_hidden: Annotated[bool, Meta(
        title=N_("Hide the number of supports"),
        description=N_("Participants support without seeing how many supports each proposal has."),
    )] = False
    edit_minutes: Annotated[int, Meta(
        ge=0, le=60 * 24 * 30, title=N_("Minutes an author can edit after publishing"),
    )] = 15
    comments_enabled: Annotated[bool, Meta(title=N_("Comments enabled"))] = True
    attachments_max_files: Annotated[int, Meta(
        ge=0, le=20, title=N_("Files and images per proposal"),
        description=N_("How many documents and images an author can attach to a proposal. 0 means none."),
    )] = 3
    attachments_max_megabytes: Annotated[int, Meta(
        ge=1, le=10, title=N_("Largest file, in MB"),
    )] = 5
    answers_with_costs: Annotated[bool, Meta(
        title=N_("Accepted answers carry a cost"),
        description=N_("An accepted proposal's answer then needs its cost, a cost report and an execution period."),
    )] = False
    valuators_may_answer: Annotated[bool, Meta(
        title=N_("Valuators can answer"),
        description=N_("Valuators answer the proposals assigned to them; an admin publishes their answers, "
                       "except \"Evaluating\"."),
    )] = False
    collaborative_drafts_enabled: Annotated[bool, Meta(
        title=N_("Collaborative drafts"),
        description=N_("Several participants write a draft together, then publish it as one proposal."),
    )] = False
    amendments_enabled: Annotated[bool, Meta(
        title=N_("Amendments enabled"),
        description=N_("Participants propose changes to other people's proposals, which their authors accept or "
                       "reject; the proposal's page then shows them and its history."),
    )] = False
    participatory_texts_enabled: Annotated[bool, Meta(
        title=N_("Participatory text"),
        description=N_("The component holds a document (a regulation, a plan) imported by its admins: each "
                       "section and article is a proposal people comment on. Participants do not create proposals."),
    )] = False
    geolocation_enabled: Annotated[bool, Meta(
        title=N_("Proposals can be placed on a map"),
        description=N_("Authors may give their proposal's coordinates, and the list gets a map view."),
    )] = False


class ProposalsPhaseSettings(msgspec.Struct, kw_only=True):
    """What the active phase allows. The defaults allow nothing, so a new phase is closed until set up."""

    creation_enabled: Annotated[bool, Meta(title=N_("Participants can create proposals"))] = False
    supports_enabled: Annotated[bool, Meta(
        title=N_("Supports are shown"), description=N_("Show supports and let participants support."),
    )] = False
    supports_blocked: Annotated[bool, Meta(
        title=N_("Supports are frozen"),
        description=N_("Supports stay visible but nobody can add or withdraw one."),
    )] = False
    answers_published: Annotated[bool, Meta(
        title=N_("Answers are published at once"),
        description=N_("If not, answers are kept until an admin publishes them together."),
    )] = True
    comments_blocked: Annotated[bool, Meta(title=N_("Comments are closed"))] = False
    endorsements_enabled: Annotated[bool, Meta(
        title=N_("Participants can endorse proposals"),
        description=N_("People, or groups through their members, stand publicly behind the proposals they back."),
    )] = False
    amendment_creation_enabled: Annotated[bool, Meta(
        title=N_("Participants can propose amendments"),
        description=N_("Only where amendments are enabled in the component's settings."),
    )] = False


Title = Annotated[str, Meta(
    min_length=15, max_length=150, title=N_("Title"),
    description=N_("What you propose, in one sentence."),
)]
Body = Annotated[str, Meta(
    min_length=15, max_length=5000, title=N_("Description"),
    description=N_("Why it matters and how it could be done."), extra={"input": "textarea"},
)]


class ProposalText(msgspec.Struct, kw_only=True):
    """The first step of the wizard: what the proposal says."""

    title: Title
    body: Body


class ProposalDetails(msgspec.Struct, kw_only=True):
    """The complete step: the text again, and where it is."""

    title: Title
    body: Body
    address: Annotated[str, Meta(
        max_length=300, title=N_("Address"),
        description=N_("If the proposal is about a place, where it is."),
    )] = ""
    category_id: Annotated[int | None, Meta(
        title=N_("Category"), description=N_("The theme it is about, among this space's categories."),
    )] = None
    scope_id: Annotated[int | None, Meta(
        title=N_("Scope"), description=N_("The district, neighbourhood or theme it is about, if not the whole space's."),
    )] = None


class LocatedProposalDetails(ProposalDetails, kw_only=True):
    """The complete step where the component places proposals on a map: the coordinates too, typed or picked
    on the map; both or neither (plugins/proposals/geolocation.py)."""

    latitude: Annotated[float, Meta(
        ge=-90, le=90, title=N_("Latitude"),
        description=N_("Optional: the place's latitude in decimal degrees, between -90 and 90, e.g. 41.3874."),
        extra={"input": "text"},
    )] | None = None
    longitude: Annotated[float, Meta(
        ge=-180, le=180, title=N_("Longitude"),
        description=N_("Optional: the place's longitude in decimal degrees, between -180 and 180, e.g. 2.1686."),
        extra={"input": "text"},
    )] | None = None


class ClassificationForm(msgspec.Struct, kw_only=True):
    """What an admin of the space files a proposal under, whatever its state."""

    category_id: Annotated[int | None, Meta(title=N_("Category"))] = None
    scope_id: Annotated[int | None, Meta(title=N_("Scope"))] = None


class Answer(msgspec.Struct, kw_only=True):
    state: Annotated[Literal["evaluating", "accepted", "rejected"], Meta(
        title=N_("State"), extra={"labels": {"evaluating": N_("Evaluating"), "accepted": N_("Accepted"),
                                             "rejected": N_("Rejected")}},
    )]
    answer: Annotated[dict[str, str], Meta(
        title=N_("Answer"), description=N_("Why: the authors and everyone else read it."),
        extra={"max_length": 10_000, "input": "richtext"},
    )] = {}
    cost: Annotated[int, Meta(ge=0, le=1_000_000_000, title=N_("Cost in euros"))] | None = None
