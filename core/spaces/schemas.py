"""The admin forms of spaces, phases and components (component settings come from their manifests)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class SpaceForm(msgspec.Struct, kw_only=True):
    title: Annotated[dict[str, str], Meta(title=N_("Title"), extra={"max_length": 200})]
    slug: Annotated[str, Meta(
        min_length=2, max_length=120, pattern=SLUG, title=N_("Address"),
        description=N_("The last part of the space's web address: lowercase letters, digits and hyphens."),
        extra={"pattern_message": N_("Use lowercase letters, digits and hyphens, for example budget-2027.")},
    )]
    subtitle: Annotated[dict[str, str], Meta(title=N_("Subtitle"), extra={"max_length": 200})] = {}
    short_description: Annotated[dict[str, str], Meta(
        title=N_("Short description"), description=N_("One or two sentences shown in lists of spaces."),
        extra={"max_length": 500, "input": "textarea"},
    )] = {}
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"),
        description=N_("What this space is about and how to take part. Paragraphs, lists and links are kept."),
        extra={"max_length": 50_000, "input": "richtext"},
    )] = {}
    announcement: Annotated[dict[str, str], Meta(
        title=N_("Announcement"), description=N_("A notice shown at the top of the space while it is filled in."),
        extra={"max_length": 1_000, "input": "textarea"},
    )] = {}
    start_date: Annotated[datetime.date | None, Meta(title=N_("Start date"))] = None
    end_date: Annotated[datetime.date | None, Meta(title=N_("End date"))] = None
    private: Annotated[bool, Meta(
        title=N_("Private"), description=N_("Only the people with a role in this space can see it."),
    )] = False
    promoted: Annotated[bool, Meta(
        title=N_("Highlighted"), description=N_("Shown first on the home page."),
    )] = False
    scope_id: Annotated[int | None, Meta(
        title=N_("Scope"), description=N_("The district, neighbourhood or theme it is about (see Scopes in the "
                                          "administration). People filter spaces, proposals and search by it."),
    )] = None
    area_id: Annotated[int | None, Meta(
        title=N_("Area"), description=N_("The thematic area it belongs to, such as culture or mobility (see Areas in "
                                         "the administration). People filter the lists of spaces by it."),
    )] = None


class PhaseForm(msgspec.Struct, kw_only=True):
    title: Annotated[dict[str, str], Meta(title=N_("Title"), extra={"max_length": 200})]
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"), extra={"max_length": 10_000, "input": "richtext"},
    )] = {}
    start_date: Annotated[datetime.date | None, Meta(title=N_("Start date"))] = None
    end_date: Annotated[datetime.date | None, Meta(title=N_("End date"))] = None


class ComponentName(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(
        title=N_("Name"), description=N_("How the component is called in the space's menu."),
        extra={"max_length": 120},
    )]


class CopyForm(msgspec.Struct, kw_only=True):
    slug: Annotated[str, Meta(
        min_length=2, max_length=120, pattern=SLUG, title=N_("Address of the copy"),
        extra={"pattern_message": N_("Use lowercase letters, digits and hyphens, for example budget-2027.")},
    )]
    with_components: Annotated[bool, Meta(
        title=N_("Copy the components too"),
        description=N_("With their names and settings, but without anything people contributed."),
    )] = True


class AssemblyDetails(msgspec.Struct, kw_only=True):
    """What an assembly has that a process does not."""

    assembly_type: Annotated[Literal["government", "executive", "consultative", "participatory", "working_group",
                                     "commission", "other"], Meta(
        title=N_("Kind of assembly"),
        extra={"labels": {"government": N_("Government body"), "executive": N_("Executive body"),
                          "consultative": N_("Consultative council"), "participatory": N_("Participatory council"),
                          "working_group": N_("Working group"), "commission": N_("Commission"),
                          "other": N_("Other")}},
    )] = "participatory"
    purpose: Annotated[dict[str, str], Meta(
        title=N_("Purpose"), description=N_("What this assembly is for and what it decides or advises on."),
        extra={"max_length": 10_000, "input": "richtext"},
    )] = {}
    composition: Annotated[dict[str, str], Meta(
        title=N_("Composition"), description=N_("Who sits in it and how they are chosen."),
        extra={"max_length": 10_000, "input": "richtext"},
    )] = {}
    how_to_join: Annotated[dict[str, str], Meta(
        title=N_("How to join"), extra={"max_length": 5_000, "input": "textarea"},
    )] = {}
    meets: Annotated[dict[str, str], Meta(
        title=N_("When it meets"), description=N_("For example: the first Tuesday of every month, at 7 pm."),
        extra={"max_length": 300},
    )] = {}


POSITIONS = {
    "president": N_("President"), "vice_president": N_("Vice-president"), "secretary": N_("Secretary"),
    "member": N_("Member"), "other": N_("Other"),
}


class MemberForm(msgspec.Struct, kw_only=True):
    nickname: Annotated[str, Meta(
        max_length=32, title=N_("Nickname of a participant"),
        description=N_("If the member has an account here. Leave it empty to give only a name."),
    )] = ""
    name: Annotated[str, Meta(
        max_length=120, title=N_("Name"), description=N_("For a member without an account."),
    )] = ""
    position: Annotated[Literal["president", "vice_president", "secretary", "member", "other"], Meta(
        title=N_("Position"), extra={"labels": POSITIONS},
    )] = "member"
    position_other: Annotated[str, Meta(max_length=120, title=N_("Other position"))] = ""


DATE_ORDER = N_("The end date must be on or after the start date.")
SLUG_TAKEN = N_("Another space of this kind already has this address.")


class DeleteSpaceForm(msgspec.Struct, kw_only=True):
    """Deleting a space cannot be undone: the admin types its address to show they mean this one."""

    slug: Annotated[str, Meta(
        max_length=120, title=N_("Type the address of the space to confirm: %(slug)s"),
        extra={"autocomplete": "off"},
    )]
