"""The forms of newsletters: the text, who gets it, and the language of a test sent to oneself."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import LANGUAGE_NAMES, N_

RECIPIENT_LABELS = {
    "all": N_("Everyone who accepted the newsletter"),
    "followers": N_("Those of them who follow the spaces chosen below"),
    "participants": N_("Those of them who took part in the spaces chosen below"),
    "scopes": N_("Those of them concerned by the scopes chosen below"),
}


class NewsletterForm(msgspec.Struct, kw_only=True):
    subject: Annotated[dict[str, str], Meta(
        title=N_("Subject"), description=N_("The subject line of the e-mail."), extra={"max_length": 200},
    )]
    body: Annotated[dict[str, str], Meta(
        title=N_("Text"),
        description=N_("Paragraphs, headings, lists and links are kept. People who read in a language left "
                       "empty get the text of another one."),
        extra={"max_length": 50_000, "input": "richtext"},
    )]


class RecipientsForm(msgspec.Struct, kw_only=True):
    """Who gets it; the spaces and the scopes are checkboxes beside it (``space_ids``, ``scope_ids``), checked by
    the services."""

    kind: Annotated[Literal["all", "followers", "participants", "scopes"], Meta(
        title=N_("Send it to"),
        description=N_("Only people with a confirmed e-mail who accepted the newsletter get it."),
        extra={"labels": RECIPIENT_LABELS},
    )] = "all"


class SampleMailForm(msgspec.Struct, kw_only=True):
    locale: Annotated[Literal["ca", "es", "en"], Meta(title=N_("Language"), extra={"labels": LANGUAGE_NAMES})]


class ScheduleForm(msgspec.Struct, kw_only=True):
    """When a draft starts sending by itself: a date and a wall-clock time in the organization's time zone
    (the form's ``zone`` context variable), stored in UTC."""

    date: Annotated[datetime.date, Meta(title=N_("Date"))]
    time: Annotated[str, Meta(
        title=N_("Time"), description=N_("Time in %(zone)s."), pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
        extra={"input": "time", "pattern_message": N_("Enter a time as hours:minutes, for example 09:30.")},
    )]
