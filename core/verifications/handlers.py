"""What an authorization handler is, and the two that core ships.

A handler is a way for a person to prove who they are. Plugins add theirs through the
``register_authorization_handlers`` hook (core registers these two the same way); a handler's own
page (``verify_path``) checks the person and then calls ``core.verifications.services.grant``.
A handler that staff can also check in person, at the municipal desk (core/verifications/managed.py),
says how with ``desk``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from core.i18n import N_
from core.manifest import NAME, ManifestError
from core.verifications.schemas import CensusVerification, DeskDocument

CONDITIONS = ("birth_date", "postal_code")
"""What a verification may record about the person, for the conditions of an action (minimum age,
postal codes). A handler names in ``provides`` those it records."""


class DeskCheck(msgspec.Struct, kw_only=True, frozen=True):
    """How staff at the municipal desk verify a person with a handler, the person in front of them."""

    form: type[msgspec.Struct]
    """The fields staff fill in (a ``core.forms`` schema), beside the person's name and the reason."""
    check: Callable[..., Awaitable[tuple[str, dict[str, Any]]]]
    """``await check(session=, secret_key=, organization=, data=)``, ``data`` being the validated ``form``:
    the identity's digest (``core.verifications.identity.digest`` of document number and birth date, so a
    person is one identity whichever handler found them) and the verification's ``details``; or it raises
    ``core.verifications.services.VerificationError``. Only digests are stored."""
    help: str = ""
    """What staff check before typing, marked with ``N_()``."""


class AuthorizationHandler(msgspec.Struct, kw_only=True, frozen=True):
    """One way of proving who one is ("census", "identity_document", "sms"...)."""

    name: str
    """Stored in ``core_verifications.handler`` and ``core_action_requirements.handler``."""
    title: str
    """Untranslated, marked with ``N_()``: "Municipal census"."""
    verify_path: str
    """The page where a logged-in person verifies with it ("/account/verifications/census")."""
    description: str = ""
    """One sentence for the person choosing how to verify, marked with ``N_()``."""
    provides: tuple[str, ...] = ()
    """Which of ``CONDITIONS`` its verifications record, so that admins can set conditions on them."""
    desk: DeskCheck | None = None
    """How staff verify a person with it at the municipal desk; None: it cannot be used there."""

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ManifestError(f"authorization handler name {self.name!r} must be lowercase letters, digits and _")
        if not re.match(r"^/[^/\\]", self.verify_path):
            raise ManifestError(f"authorization handler {self.name!r}: verify_path must be a path on the site")
        unknown = set(self.provides) - set(CONDITIONS)
        if unknown:
            raise ManifestError(f"authorization handler {self.name!r} provides unknown data {sorted(unknown)}")


async def _census_at_desk(**arguments: Any) -> tuple[str, dict[str, Any]]:
    from core.verifications import services  # which imports this module

    return await services.census_at_desk(**arguments)


async def _document_at_desk(**arguments: Any) -> tuple[str, dict[str, Any]]:
    from core.verifications import services

    return await services.document_at_desk(**arguments)


CENSUS = AuthorizationHandler(
    name="census", title=N_("Municipal census"),
    description=N_("Type your identity document number and date of birth; they are checked against the "
                   "census the municipality uploaded."),
    verify_path="/account/verifications/census", provides=("birth_date", "postal_code"),
    desk=DeskCheck(form=CensusVerification, check=_census_at_desk,
                   help=N_("Type the number of the person's identity document and their date of birth: they are "
                           "checked against the census.")),
)
IDENTITY_DOCUMENT = AuthorizationHandler(
    name="identity_document", title=N_("Identity document"),
    description=N_("Upload a photo or scan of your identity document; a person of the municipality "
                   "checks it."),
    verify_path="/account/verifications/identity-document", provides=("birth_date", "postal_code"),
    desk=DeskCheck(form=DeskDocument, check=_document_at_desk,
                   help=N_("Ask for the original document, check that its photo is the person's and that it has "
                           "not expired, and type what it says. Nothing is copied or uploaded; only a keyed "
                           "digest of its number and the date of birth is kept.")),
)
BUILTIN = [CENSUS, IDENTITY_DOCUMENT]
