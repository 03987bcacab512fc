"""Passwords: argon2id hashes and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.i18n import N_

_hasher = PasswordHasher()
# Verifying against this when no account matches keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash("no account has this password")

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON = {
    "1234567890", "12345678910", "0123456789", "qwertyuiop", "password123", "contrasenya", "contraseña",
    "iloveyou12", "abcdefghij", "aaaaaaaaaa", "1111111111", "participa1", "participa123", "barcelona1",
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always takes one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "", nickname: str = "", name: str = "") -> str | None:
    """Why a new password is refused (a message id), or None."""
    if len(password) < MIN_LENGTH:
        return N_("Use at least 10 characters.")
    if len(password) > MAX_LENGTH:
        return N_("Use at most 256 characters.")
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return N_("This password is too easy to guess.")
    personal = [email.split("@")[0].lower(), nickname.lower(), name.lower()]
    if any(part and len(part) >= 4 and part in lowered for part in personal):
        return N_("Do not use your name, nickname or e-mail in your password.")
    return None
