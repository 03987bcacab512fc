"""What an authorization handler is, and the two that core ships.

A handler is a way for a person to prove who they are. Plugins add theirs through the
``register_authorization_handlers`` hook (core registers these two the same way); a handler's own
page (``verify_path``) checks the person and then calls ``core.verifications.services.grant``.
"""

from __future__ import annotations

import re

import msgspec

from core.i18n import N_
from core.manifest import NAME, ManifestError

CONDITIONS = ("birth_date", "postal_code")
"""What a verification may record about the person, for the conditions of an action (minimum age,
postal codes). A handler names in ``provides`` those it records."""


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

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ManifestError(f"authorization handler name {self.name!r} must be lowercase letters, digits and _")
        if not re.match(r"^/[^/\\]", self.verify_path):
            raise ManifestError(f"authorization handler {self.name!r}: verify_path must be a path on the site")
        unknown = set(self.provides) - set(CONDITIONS)
        if unknown:
            raise ManifestError(f"authorization handler {self.name!r} provides unknown data {sorted(unknown)}")


CENSUS = AuthorizationHandler(
    name="census", title=N_("Municipal census"),
    description=N_("Type your identity document number and date of birth; they are checked against the "
                   "census the municipality uploaded."),
    verify_path="/account/verifications/census", provides=("birth_date", "postal_code"),
)
IDENTITY_DOCUMENT = AuthorizationHandler(
    name="identity_document", title=N_("Identity document"),
    description=N_("Upload a photo or scan of your identity document; a person of the municipality "
                   "checks it."),
    verify_path="/account/verifications/identity-document", provides=("birth_date", "postal_code"),
)
BUILTIN = [CENSUS, IDENTITY_DOCUMENT]
