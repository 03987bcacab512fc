"""The forms of verifications."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.accounts.schemas import EMAIL_FORMAT, EMAIL_PATTERN
from core.i18n import N_

DocumentNumber = Annotated[str, Meta(
    title=N_("Identity document number"), min_length=5, max_length=32,
    description=N_("DNI, NIE or passport number, with its letter: 12345678Z."),
    extra={"autocomplete": "off"},
)]
BirthDate = Annotated[datetime.date, Meta(title=N_("Date of birth"))]
DocumentType = Annotated[Literal["dni", "nie", "passport"], Meta(
    title=N_("Type of document"), extra={"labels": {"dni": N_("DNI"), "nie": N_("NIE"), "passport": N_("Passport")}})]


class CensusVerification(msgspec.Struct, kw_only=True):
    document_number: DocumentNumber
    birth_date: BirthDate


class IdentityDocumentForm(msgspec.Struct, kw_only=True):
    """The fields beside the file (which ``core.uploads`` checks)."""

    document_type: DocumentType = "dni"
    document_number: DocumentNumber
    birth_date: BirthDate
    postal_code: Annotated[str, Meta(
        title=N_("Postal code where you live"), max_length=10,
        description=N_("Some participation is only for people of some neighbourhoods; leave it empty if unsure."),
        extra={"autocomplete": "postal-code"})] | None = None


class DeskDocument(msgspec.Struct, kw_only=True):
    """At the desk: what staff read on the identity document the person shows them."""

    document_type: DocumentType = "dni"
    document_number: DocumentNumber
    birth_date: BirthDate
    postal_code: Annotated[str, Meta(
        title=N_("Postal code where they live"), max_length=10,
        description=N_("Some participation is only for people of some neighbourhoods; leave it empty if unsure."),
        extra={"autocomplete": "off"})] | None = None


class Rejection(msgspec.Struct, kw_only=True):
    reason: Annotated[str, Meta(
        title=N_("Why it is rejected"), min_length=5, max_length=500,
        description=N_("The person reads it: say what to send instead (a sharper photo, both sides...)."),
        extra={"input": "textarea"})]


class ManagedStart(msgspec.Struct, kw_only=True):
    """At the desk, beside the identity the chosen handler checks (``DeskCheck.form``)."""

    name: Annotated[str, Meta(
        title=N_("Name and surname"), max_length=120,
        description=N_("Needed the first time the person takes part here; later, their identity finds them."),
    )] = ""
    reason: Annotated[str, Meta(
        title=N_("Why you act on their behalf"), min_length=5, max_length=500,
        description=N_("Written in the log that the organization's administrators read."),
        extra={"input": "textarea"})]


class ManagedHandover(msgspec.Struct, kw_only=True):
    """At the desk, beside the person's identity checked again (``DeskCheck.form``): the address where they
    get the link."""

    email: Annotated[str, Meta(
        min_length=3, max_length=254, pattern=EMAIL_PATTERN, title=N_("E-mail"),
        description=N_("The person's own address: the link to choose a nickname and password goes there."),
        extra={"input": "email", "autocomplete": "off", "pattern_message": EMAIL_FORMAT})]
