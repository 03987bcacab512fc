"""Settings of a pages component, as the admin's settings form shows them."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_


class PagesSettings(msgspec.Struct, kw_only=True):
    """Global settings of a pages component."""

    show_table_of_contents: bool = True
    """List every page of the component beside the one being read."""
    comments_enabled: Annotated[bool, Meta(title=N_("Comments are open"))] = True
    """Core's comments read this field by name: False closes the comment threads of every page."""
