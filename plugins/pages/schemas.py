"""Settings of a pages component, as the admin's settings form shows them."""

from __future__ import annotations

import msgspec


class PagesSettings(msgspec.Struct, kw_only=True):
    """Global settings of a pages component."""

    show_table_of_contents: bool = True
    """List every page of the component beside the one being read."""
