"""The forms of the system area."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.accounts.schemas import Email
from core.i18n import N_

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
HOST_PATTERN = r"^[A-Za-z0-9.-]+$"
LANGUAGE_LABELS = {"ca": "Català", "es": "Español", "en": "English"}


class Login(msgspec.Struct, kw_only=True):
    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256, title=N_("Password"),
                                  extra={"input": "password", "autocomplete": "current-password"})]


Slug = Annotated[str, Meta(
    min_length=2, max_length=63, pattern=SLUG_PATTERN, title=N_("Short name"),
    description=N_("Identifies the organization on the command line: lowercase letters, digits and hyphens. "
                   "It cannot be changed later."),
    extra={"pattern_message": N_("Use only lowercase letters, digits and hyphens, for example vilanova.")},
)]
Name = Annotated[dict[str, str], Meta(
    title=N_("Name"), description=N_("Required in the default language; the others are shown to people who read "
                                     "the site in them."),
    extra={"max_length": 200},
)]
MainHost = Annotated[str, Meta(
    min_length=1, max_length=253, pattern=HOST_PATTERN, title=N_("Main host name"),
    description=N_("The address people use, without https:// (participa.vilanova.cat); links in mails point "
                   "there."),
    extra={"pattern_message": N_("Write a host name such as participa.vilanova.cat, without https:// or /.")},
)]
OtherHosts = Annotated[str, Meta(
    max_length=5000, title=N_("Other host names"),
    description=N_("Optional: more addresses that lead to the same site, one per line (decideix.vilanova.cat)."),
    extra={"input": "textarea"},
)]
DefaultLocale = Annotated[Literal["ca", "es", "en"], Meta(title=N_("Default language"),
                                                          extra={"labels": LANGUAGE_LABELS})]
RegistrationMode = Annotated[Literal["open", "invitation", "closed"], Meta(
    title=N_("Who can create an account"),
    extra={"labels": {"open": N_("Anyone"), "invitation": N_("Only invited people"), "closed": N_("Nobody for now")}},
)]
MinimumAge = Annotated[int, Meta(ge=1, le=119, title=N_("Minimum age"), description=N_("Nobody younger can register."))]
TimeZone = Annotated[str, Meta(
    max_length=64, title=N_("Time zone"),
    description=N_("Dates and times are shown and typed in it: an IANA name such as Europe/Madrid, or "
                   "Atlantic/Canary for the Canary Islands. Left empty, it stays as it was (Europe/Madrid for "
                   "a new organization)."),
    extra={"autocomplete": "off"},
)] | None
OfferCatalan = Annotated[bool, Meta(title=N_("Offer the site in Catalan"))]
OfferSpanish = Annotated[bool, Meta(title=N_("Offer the site in Spanish"))]
OfferEnglish = Annotated[bool, Meta(title=N_("Offer the site in English"))]


class NewOrganization(msgspec.Struct, kw_only=True):
    """A municipality to set up, and who administers it first (they get an invitation by mail)."""

    name: Name = {}
    slug: Slug
    main_host: MainHost
    other_hosts: OtherHosts = ""
    default_locale: DefaultLocale
    locale_ca: OfferCatalan = False
    locale_es: OfferSpanish = False
    locale_en: OfferEnglish = False
    registration_mode: RegistrationMode
    minimum_age: MinimumAge = 14
    time_zone: TimeZone = None
    admin_name: Annotated[str, Meta(min_length=1, max_length=120, title=N_("Name of the first administrator"),
                                    description=N_("How the invitation greets them; they can change it."))]
    admin_email: Annotated[str, Meta(
        min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", title=N_("E-mail of the first administrator"),
        description=N_("They get an invitation by mail to choose a nickname and a password."),
        extra={"input": "email", "autocomplete": "off",
               "pattern_message": N_("Enter an e-mail address like name@example.org.")},
    )]


class OrganizationChanges(msgspec.Struct, kw_only=True):
    """What a system administrator changes of an organization (its slug stays)."""

    name: Name = {}
    main_host: MainHost
    other_hosts: OtherHosts = ""
    default_locale: DefaultLocale
    locale_ca: OfferCatalan = False
    locale_es: OfferSpanish = False
    locale_en: OfferEnglish = False
    registration_mode: RegistrationMode
    minimum_age: MinimumAge = 14
    time_zone: TimeZone = None


def offered_locales(data: NewOrganization | OrganizationChanges) -> list[str]:
    """The languages ticked, in the platform's order."""
    return [code for code in LANGUAGE_LABELS if getattr(data, f"locale_{code}")]
