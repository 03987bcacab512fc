"""The report form."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_
from core.moderation.services import REASON_LABELS


class ReportForm(msgspec.Struct, kw_only=True):
    reason: Annotated[Literal["spam", "offensive", "does_not_belong", "other"], Meta(
        title=N_("What is the problem?"), extra={"labels": REASON_LABELS},
    )]
    details: Annotated[str, Meta(
        max_length=500, title=N_("Details"),
        description=N_("Needed for \"Another reason\"; the moderators read it, nobody else does."),
        extra={"input": "textarea"},
    )] = ""
