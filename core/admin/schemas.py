"""The forms of the admin area."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.accounts.schemas import Email
from core.i18n import N_

COLOUR = r"^#[0-9a-fA-F]{6}$"
TermsText = Annotated[str, Meta(max_length=50_000, extra={"input": "textarea"})]


class Invitation(msgspec.Struct, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=120, title=N_("Name"),
                              description=N_("How the invitation greets them; they can change it."))]
    email: Email


class Block(msgspec.Struct, kw_only=True):
    reason: Annotated[str, Meta(min_length=3, max_length=500, title=N_("Reason"),
                                description=N_("Kept in the admin log. Be factual."), extra={"input": "textarea"})]


class OrganizationRoles(msgspec.Struct, kw_only=True):
    admin: Annotated[bool, Meta(title=N_("Administrator"))] = False
    user_manager: Annotated[bool, Meta(title=N_("User manager"))] = False


class Terms(msgspec.Struct, kw_only=True):
    body_ca: Annotated[str, Meta(max_length=50_000, title=N_("Text in Catalan"), extra={"input": "textarea"})] = ""
    body_es: Annotated[str, Meta(max_length=50_000, title=N_("Text in Spanish"), extra={"input": "textarea"})] = ""
    body_en: Annotated[str, Meta(max_length=50_000, title=N_("Text in English"), extra={"input": "textarea"})] = ""


class Appearance(msgspec.Struct, kw_only=True):
    primary_color: Annotated[str, Meta(
        pattern=COLOUR, title=N_("Main colour"), description=N_("Header and buttons; text on it is chosen for contrast."),
        extra={"input": "color", "pattern_message": N_("Choose a colour like #1f5f8b.")},
    )]
    secondary_color: Annotated[str, Meta(
        pattern=COLOUR, title=N_("Background colour of the footer"),
        extra={"input": "color", "pattern_message": N_("Choose a colour like #1f5f8b.")},
    )]


class OrganizationSettings(msgspec.Struct, kw_only=True):
    registration_mode: Annotated[Literal["open", "invitation", "closed"], Meta(
        title=N_("Who can create an account"),
        extra={"labels": {"open": N_("Anyone"), "invitation": N_("Only invited people"),
                          "closed": N_("Nobody for now")}},
    )]
    minimum_age: Annotated[int, Meta(ge=1, le=119, title=N_("Minimum age"),
                                     description=N_("Nobody younger can register."))]
    default_locale: Annotated[Literal["ca", "es", "en"], Meta(
        title=N_("Default language"), extra={"labels": {"ca": "Català", "es": "Español", "en": "English"}})]
    locale_ca: Annotated[bool, Meta(title=N_("Offer the site in Catalan"))] = False
    locale_es: Annotated[bool, Meta(title=N_("Offer the site in Spanish"))] = False
    locale_en: Annotated[bool, Meta(title=N_("Offer the site in English"))] = False
    time_zone: Annotated[str, Meta(
        max_length=64, title=N_("Time zone"),
        description=N_("Dates and times are shown and typed in it: an IANA name such as Europe/Madrid, or "
                       "Atlantic/Canary for the Canary Islands. Left empty, it stays as it was."),
        extra={"autocomplete": "off"},
    )] | None = None
