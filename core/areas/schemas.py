"""The forms of area types and areas; the choice of type comes from the organization's own."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_


class AreaTypeForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(
        title=N_("Name"), description=N_("What one area of this type is, for example sector or department."),
        extra={"max_length": 100},
    )]
    plural: Annotated[dict[str, str], Meta(
        title=N_("Plural"), description=N_("How several of them are called, for example sectors: the heading of "
                                           "their group in the choice of area."),
        extra={"max_length": 100},
    )]


class AreaForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name"), extra={"max_length": 150})]
    area_type_id: Annotated[int | None, Meta(title=N_("Type"))] = None
