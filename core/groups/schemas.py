"""The forms of user groups: the group itself and an invitation."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_

NICKNAME_PATTERN = r"^[A-Za-z0-9_]+$"


class GroupForm(msgspec.Struct, kw_only=True):
    name: Annotated[str, Meta(min_length=2, max_length=120, title=N_("Name of the group"),
                              description=N_("As the association or collective is known."))]
    nickname: Annotated[str, Meta(
        min_length=3, max_length=32, pattern=NICKNAME_PATTERN, title=N_("Nickname"),
        description=N_("The end of the group's address, /groups/<nickname>: letters, numbers and _, from 3 to 32."),
        extra={"pattern_message": N_("Use only letters, numbers and _.")},
    )]
    description: Annotated[str, Meta(
        max_length=5000, title=N_("Description"),
        description=N_("What the group is and does. Plain text, or HTML: paragraphs, lists and links are kept."),
        extra={"input": "textarea"},
    )] = ""


class InvitationForm(msgspec.Struct, kw_only=True):
    person: Annotated[str, Meta(
        min_length=1, max_length=254, title=N_("Nickname or e-mail"),
        description=N_("Of a person who has an account here, for example @laia."),
    )]
