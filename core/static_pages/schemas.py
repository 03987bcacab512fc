"""The form of a static page."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class StaticPageForm(msgspec.Struct, kw_only=True):
    slug: Annotated[str, Meta(
        title=N_("Address"), min_length=1, max_length=100, pattern=SLUG_PATTERN,
        description=N_("The end of the page's address, /pages/<address>: lowercase letters, digits and hyphens."),
        extra={"pattern_message": N_("Use only lowercase letters, digits and hyphens, for example about-us.")},
    )]
    title: Annotated[dict[str, str], Meta(title=N_("Title"), extra={"max_length": 200})]
    body: Annotated[dict[str, str], Meta(
        title=N_("Text"),
        description=N_("Paragraphs, headings, lists and links are kept. People who read in a language left "
                       "empty get the text of another one."),
        extra={"max_length": 100_000, "input": "richtext"},
    )]
    weight: Annotated[int, Meta(title=N_("Order"), ge=0, le=1000,
                                description=N_("Pages are listed from the smallest number to the largest."))] = 0
    show_in_footer: Annotated[bool, Meta(title=N_("Link it in the footer of every page"))] = False
