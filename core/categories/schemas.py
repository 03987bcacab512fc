"""The form of a category; the parent is chosen among the space's first-level categories."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_


class CategoryForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name"), extra={"max_length": 150})]
    parent_id: Annotated[int | None, Meta(
        title=N_("Inside"), description=N_("Make it a subcategory of another category of this space."),
    )] = None
    weight: Annotated[int, Meta(title=N_("Order"), ge=0, le=1000,
                                description=N_("Categories are listed from the smallest number to the largest."))] = 0
