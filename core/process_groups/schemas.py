"""The form of a process group (its processes and picture are chosen beside the generated fields)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_


class ProcessGroupForm(msgspec.Struct, kw_only=True):
    title: Annotated[dict[str, str], Meta(title=N_("Title"), extra={"max_length": 200})]
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"), description=N_("What the processes of the group have in common."),
        extra={"max_length": 50_000, "input": "richtext"},
    )] = {}
    weight: Annotated[int, Meta(title=N_("Order"), ge=0, le=1000,
                                description=N_("Groups are listed from the smallest number to the largest."))] = 0
