"""The forms of comments: writing one (or a reply), editing one."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_

MAX_LENGTH = 1000
"""Characters of one comment: enough for an argument, short enough to read in a thread."""

Body = Annotated[str, Meta(
    min_length=1, max_length=MAX_LENGTH, title=N_("Your comment"),
    description=N_("Plain text; web addresses become links. At most 1000 characters."),
    extra={"input": "textarea"},
)]
ALIGNMENTS = {"neutral": 0, "in_favour": 1, "against": -1}
ALIGNMENT_LABELS = {"neutral": N_("Neutral"), "in_favour": N_("In favour"), "against": N_("Against")}


class Alignment(str, enum.Enum):
    """What a comment says of what it comments on; an Enum so that the choices keep this order."""

    neutral = "neutral"
    in_favour = "in_favour"
    against = "against"

    @property
    def label(self) -> str:
        return ALIGNMENT_LABELS[self.value]


class CommentForm(msgspec.Struct, kw_only=True):
    body: Body
    alignment: Annotated[Alignment, Meta(title=N_("Your position"))] = Alignment.neutral


class EditForm(msgspec.Struct, kw_only=True):
    body: Body
