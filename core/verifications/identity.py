"""An identity as the database keeps it: a keyed digest of the normalised document number and birth date.

The census and every verification store only ``digest(...)``: an HMAC-SHA256 whose key derives from
the install's secret key and the organization, so a copy of the database alone does not allow testing
guesses of document numbers, and the same person has unrelated digests in two organizations. Changing
``PARTICIPA_SECRET_KEY`` changes every digest: upload the census again afterwards (docs/verifications.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime

from core.i18n import local_today

DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
"""Year-month-day as forms send it, and the day-first forms a municipal spreadsheet exports."""


def normalise_document_number(value: str) -> str | None:
    """Upper case, without spaces, dots or hyphens ("12.345.678-z" is "12345678Z"); None if not plausible."""
    cleaned = re.sub(r"[\s.\-/]", "", value or "").upper()
    return cleaned if DOCUMENT_NUMBER.match(cleaned) else None


def parse_birth_date(value: str, today: date | None = None) -> date | None:
    """A birth date in one of ``DATE_FORMATS``, not in the future and not before 1900; else None."""
    text = (value or "").strip()
    for pattern in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if date(1900, 1, 1) <= parsed <= (today or local_today()):
            return parsed
        return None
    return None


def normalise_postal_code(value: str) -> str | None:
    cleaned = re.sub(r"\s", "", value or "").upper()
    return cleaned if re.match(r"^[A-Z0-9-]{3,10}$", cleaned) else None


def _key(secret_key: str, organization_id: int) -> bytes:
    return hmac.new(secret_key.encode(), f"participa-identity:{organization_id}".encode(), hashlib.sha256).digest()


def digest(secret_key: str, organization_id: int, document_number: str, birth_date: date) -> str:
    """The identity's digest; ``document_number`` must be normalised already."""
    message = f"{document_number}|{birth_date.isoformat()}".encode()
    return hmac.new(_key(secret_key, organization_id), message, hashlib.sha256).hexdigest()


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
