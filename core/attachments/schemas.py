"""The forms of attachments and of their collections (the file itself is checked by core.uploads)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_


class AttachmentForm(msgspec.Struct, kw_only=True):
    title: Annotated[dict[str, str], Meta(
        title=N_("Title"), description=N_("Shown as the link of a document and as the description of an image "
                                          "for people who cannot see it."),
        extra={"max_length": 200},
    )]
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"), extra={"max_length": 1_000, "input": "textarea"},
    )] = {}
    weight: Annotated[int, Meta(title=N_("Order"), ge=0, le=1000,
                                description=N_("Files are listed from the smallest number to the largest."))] = 0


class AttachmentText(msgspec.Struct, kw_only=True):
    """What a participant writes about a file they attach: its title, in the language they write in."""

    title: Annotated[str, Meta(
        min_length=2, max_length=200, title=N_("Title"),
        description=N_("Shown as the link of a document and as the description of an image for people who "
                       "cannot see it."),
    )]


class CollectionForm(msgspec.Struct, kw_only=True):
    name: Annotated[dict[str, str], Meta(title=N_("Name of the folder"), extra={"max_length": 200})]
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"), extra={"max_length": 1_000, "input": "textarea"},
    )] = {}
    weight: Annotated[int, Meta(title=N_("Order"), ge=0, le=1000,
                                description=N_("Folders are listed from the smallest number to the largest."))] = 0
