"""The forms of scope types and scopes; the choices of type and parent come from the organization's own."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class ScopeTypeForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(
        title=N_("Name"), description=N_("What scopes of this type are, for example district, neighbourhood or theme."),
        extra={"max_length": 100},
    )]


class ScopeForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name"), extra={"max_length": 150})]
    code: Annotated[str, Meta(
        title=N_("Code"), min_length=1, max_length=32, pattern=CODE_PATTERN,
        description=N_("The municipality's own code for it, such as a district number; unique in the organization."),
        extra={"pattern_message": N_("Use letters, digits, dots, hyphens and underscores, for example D-03.")},
    )]
    scope_type_id: Annotated[int | None, Meta(title=N_("Type"))] = None
    parent_id: Annotated[int | None, Meta(
        title=N_("Inside"), description=N_("The larger scope it is part of, such as the district of a neighbourhood."),
    )] = None
