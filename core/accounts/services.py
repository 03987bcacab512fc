"""The rules of accounts: who may register, log in, confirm an address and reset a password.

No HTTP here: routes call these functions and turn AccountError into form messages.
Messages are untranslated ids; the caller translates them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import tokens
from core.accounts.models import AccountToken, User
from core.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from core.accounts.schemas import InvitationAcceptance, Registration
from core.db import utcnow
from core.groups.succession import replace_admin
from core.i18n import N_
from core.models import Organization
from core.notifications.services import forget_person
from core.ratelimit import Counters, RateLimit
from core.roles import OrganizationRole, SpaceRole
from core.uploads import Checked, Storage
from core.verifications.services import forget_person as forget_verifications


async def _in_thread(function: Any, *args: Any) -> Any:
    """Hash or verify a password (argon2: about 0.2 s of CPU) in a thread, so the server answers
    other people meanwhile; argon2 releases the GIL."""
    return await anyio.to_thread.run_sync(function, *args)


class AccountError(Exception):
    """A rule refused the request; ``field`` says where to show ``message`` (a message id)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Limits:
    """The rate limits of account actions, sharing one store."""

    login_per_account: RateLimit
    login_per_address: RateLimit
    registration_per_address: RateLimit
    reset_per_account: RateLimit

    @classmethod
    def from_counters(cls, counters: Counters) -> Limits:
        return cls(
            login_per_account=RateLimit(counters, "login-account", limit=5, window=15 * 60),
            login_per_address=RateLimit(counters, "login-address", limit=30, window=15 * 60),
            registration_per_address=RateLimit(counters, "registration-address", limit=10, window=60 * 60),
            reset_per_account=RateLimit(counters, "reset-account", limit=3, window=60 * 60),
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def terms_pending(organization: Organization, user: User | None) -> bool:
    """Whether this person must accept a newer version of the terms before acting again."""
    return bool(user and organization.terms_version and (user.terms_accepted_version or 0) < organization.terms_version)


def accept_terms(organization: Organization, user: User) -> None:
    user.terms_accepted_version = organization.terms_version


async def find_by_email(session: AsyncSession, organization: Organization, email: str) -> User | None:
    return await session.scalar(
        select(User).where(User.organization_id == organization.id, User.email == normalise_email(email))
    )


@dataclass
class Registered:
    """The outcome of a registration: a new user, or the existing owner of that address."""

    user: User
    token: str | None
    existing: bool


async def register(session: AsyncSession, organization: Organization, data: Registration, locale: str) -> Registered:
    """Create an unconfirmed account and a confirmation token.

    When the e-mail already has an account, nothing is created and the caller mails its owner
    instead: the answer on the page is the same, so nobody learns who is registered.
    """
    if organization.registration_mode != "open":
        raise AccountError("__all__", N_("This organization does not accept new registrations here."))
    nickname = data.nickname.lower()
    problem = password_problem(data.password, email=data.email, nickname=nickname, name=data.name)
    if problem:
        raise AccountError("password", problem)
    existing = await find_by_email(session, organization, data.email)
    if existing is not None:
        return Registered(user=existing, token=None, existing=True)
    taken = await session.scalar(
        select(User.id).where(User.organization_id == organization.id, User.nickname == nickname)
    )
    if taken is not None:
        raise AccountError("nickname", N_("This nickname is taken; choose another one."))
    now = utcnow()
    user = User(
        organization_id=organization.id, email=normalise_email(data.email), nickname=nickname, name=data.name,
        password_hash=await _in_thread(hash_password, data.password), locale=locale,
        terms_accepted_version=organization.terms_version,
        newsletter_consent_at=now if data.newsletter else None,
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        # Someone registered the same address or nickname a moment ago.
        existing = await find_by_email(session, organization, data.email)
        if existing is not None:
            return Registered(user=existing, token=None, existing=True)
        raise AccountError("nickname", N_("This nickname is taken; choose another one.")) from None
    token = await tokens.issue(session, user, "confirm_email")
    return Registered(user=user, token=token, existing=False)


async def invite(session: AsyncSession, organization: Organization, email: str, name: str,
                 locale: str) -> tuple[User, str | None]:
    """An account waiting for its owner to choose a nickname and password, and the invitation token.

    An address whose account is already in use gets no token (its owner simply logs in);
    one invited before and not yet accepted gets a new one.
    """
    user = await find_by_email(session, organization, email)
    if user is not None and user.password_hash is not None:
        return user, None
    if user is None:
        user = User(organization_id=organization.id, email=normalise_email(email),
                    nickname=f"invited_{secrets.token_hex(6)}", name=name, password_hash=None, locale=locale)
        session.add(user)
        await session.flush()
    return user, await tokens.issue(session, user, "invitation")


async def accept_invitation(session: AsyncSession, organization: Organization, token: str,
                            data: InvitationAcceptance) -> User:
    """The invited person completes the account; the address is confirmed by the invitation itself."""
    user = await tokens.peek(session, organization.id, "invitation", token)
    if user is None:
        raise AccountError("__all__", N_("This invitation has expired or was already used."))
    nickname = data.nickname.lower()
    problem = password_problem(data.password, email=user.email, nickname=nickname, name=data.name)
    if problem:
        raise AccountError("password", problem)
    taken = await session.scalar(select(User.id).where(
        User.organization_id == organization.id, User.nickname == nickname, User.id != user.id))
    if taken is not None:
        raise AccountError("nickname", N_("This nickname is taken; choose another one."))
    if await tokens.consume(session, organization.id, "invitation", token) is None:
        raise AccountError("__all__", N_("This invitation has expired or was already used."))
    user.name, user.nickname, user.password_hash = data.name, nickname, await _in_thread(hash_password, data.password)
    user.confirmed_at = user.confirmed_at or utcnow()
    user.terms_accepted_version = organization.terms_version
    return user


async def new_confirmation(session: AsyncSession, user: User) -> str:
    """A new confirmation link for an unconfirmed account (earlier links stop working)."""
    return await tokens.issue(session, user, "confirm_email")


async def confirm_email(session: AsyncSession, organization: Organization, token: str) -> User | None:
    """Confirm the address a token was sent to; None when the token does not work."""
    user = await tokens.consume(session, organization.id, "confirm_email", token)
    if user is not None and user.confirmed_at is None:
        user.confirmed_at = utcnow()
    return user


class LoginRefused(Exception):
    """``reason`` is "invalid" (wrong e-mail or password), "locked", "unconfirmed" or "blocked"."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


async def authenticate(session: AsyncSession, limits: Limits, organization: Organization, email: str,
                       password: str, address: str) -> User:
    """The user with these credentials, or LoginRefused.

    Unknown addresses and wrong passwords get the same answer, in the same time; after five
    failures an address is locked for fifteen minutes, and one network address may fail
    thirty times, whichever account it tries.
    """
    account_key = f"{organization.id}:{normalise_email(email)}"
    address_key = f"{organization.id}:{address}"
    if await limits.login_per_account.exceeded(account_key) or await limits.login_per_address.exceeded(address_key):
        raise LoginRefused("locked")
    user = await find_by_email(session, organization, email)
    if not await _in_thread(verify_password, user.password_hash if user else None, password):
        await limits.login_per_account.hit(account_key)
        await limits.login_per_address.hit(address_key)
        raise LoginRefused("invalid")
    if user.blocked_at is not None:
        raise LoginRefused("blocked", user)
    if user.confirmed_at is None:
        raise LoginRefused("unconfirmed", user)
    await limits.login_per_account.reset(account_key)
    if needs_rehash(user.password_hash):
        user.password_hash = await _in_thread(hash_password, password)
    user.last_login_at = utcnow()
    user.inactivity_warned_at = None  # back in time: the warned deletion is off
    return user


async def start_password_reset(session: AsyncSession, limits: Limits, organization: Organization,
                               email: str) -> tuple[User, str] | None:
    """A reset token for the account of this address, if there is one (and it may ask again)."""
    user = await find_by_email(session, organization, email)
    if user is None or user.blocked_at is not None:
        return None
    key = f"{organization.id}:{user.id}"
    if await limits.reset_per_account.exceeded(key):
        return None
    await limits.reset_per_account.hit(key)
    return user, await tokens.issue(session, user, "reset_password")


async def reset_password(session: AsyncSession, organization: Organization, token: str, password: str) -> User:
    """Set a new password with a reset token; a working reset also confirms the address."""
    user = await tokens.peek(session, organization.id, "reset_password", token)
    if user is None:
        raise AccountError("__all__", N_("This link has expired or was already used. Ask for a new one."))
    problem = password_problem(password, email=user.email, nickname=user.nickname, name=user.name)
    if problem:
        raise AccountError("password", problem)
    if await tokens.consume(session, organization.id, "reset_password", token) is None:
        raise AccountError("__all__", N_("This link has expired or was already used. Ask for a new one."))
    user.password_hash = await _in_thread(hash_password, password)
    user.confirmed_at = user.confirmed_at or utcnow()
    return user


# ---------------------------------------------------------------- settings


def update_preferences(organization: Organization, user: User, name: str, locale: str, newsletter: bool) -> None:
    if locale not in organization.available_locales:
        raise AccountError("locale", N_("Choose one of the options."))
    user.name, user.locale = name.strip(), locale
    if newsletter and user.newsletter_consent_at is None:
        user.newsletter_consent_at = utcnow()
    elif not newsletter:
        user.newsletter_consent_at = None


async def change_password(user: User, current: str, new: str) -> None:
    """Needs the current password: a session left open on a library computer must not be enough."""
    if not await _in_thread(verify_password, user.password_hash, current):
        raise AccountError("current_password", N_("This is not your current password."))
    problem = password_problem(new, email=user.email, nickname=user.nickname, name=user.name)
    if problem:
        raise AccountError("password", problem)
    user.password_hash = await _in_thread(hash_password, new)


async def start_email_change(session: AsyncSession, organization: Organization, user: User, new_email: str,
                             current_password: str) -> str | None:
    """A token to confirm the new address, or None when the address is taken (said to nobody)."""
    if not await _in_thread(verify_password, user.password_hash, current_password):
        raise AccountError("current_password", N_("This is not your current password."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError("email", N_("This is already your e-mail."))
    if await find_by_email(session, organization, new_email) is not None:
        return None
    return await tokens.issue(session, user, "change_email", payload=new_email)


async def confirm_email_change(session: AsyncSession, organization: Organization, token: str) -> User | None:
    consumed = await tokens.consume_with_payload(session, organization.id, "change_email", token)
    if consumed is None:
        return None
    user, new_email = consumed
    if new_email is None or await find_by_email(session, organization, new_email) is not None:
        return None  # taken meanwhile
    user.email = new_email
    user.confirmed_at = utcnow()
    return user


AVATAR_BOX = (512, 512)
"""Pictures are checked with this box: they are shown at most at 128 CSS pixels; 512 is sharp on any screen."""


async def set_avatar(session: AsyncSession, files: Storage, user: User, checked: Checked) -> None:
    """Store a checked image as the person's picture; the one it replaces is deleted with its file.

    ``user.avatar`` must be loaded (``joinedload(User.avatar)``).
    """
    previous = user.avatar
    user.avatar = await files.save(session, checked, organization_id=user.organization_id, owner_user_id=user.id,
                                   kind="image", purpose="avatar")
    if previous is not None:
        await session.flush()  # the account points at the new picture before the old row goes
        await files.remove(session, previous)


async def remove_avatar(session: AsyncSession, files: Storage, user: User) -> None:
    """Back to the initial letter; the picture's file is deleted once this is committed."""
    previous = user.avatar
    if previous is not None:
        user.avatar = None
        await session.flush()
        await files.remove(session, previous)


async def delete_account(session: AsyncSession, user: User, current_password: str, files: Storage) -> None:
    """Anonymise the account for good. The row stays, so what the person did (votes, supports)
    still counts, but nothing in it says who they were, and nobody can log in with it. Their
    picture (and every other file about them, ``PERSONAL_PURPOSES``) is deleted."""
    if not await _in_thread(verify_password, user.password_hash, current_password):
        raise AccountError("current_password", N_("This is not your current password."))
    await anonymise(session, user, files)


async def anonymise(session: AsyncSession, user: User, files: Storage) -> None:
    """What deleting an account does, whoever asks for it (the person, or the inactivity rule)."""
    user.avatar_upload_id = None
    await session.flush()
    await files.remove_personal(session, user.id)
    await session.execute(delete(OrganizationRole).where(OrganizationRole.user_id == user.id))
    await session.execute(delete(SpaceRole).where(SpaceRole.user_id == user.id))
    await session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    await forget_person(session, user.id)  # follows, notifications and mail not yet sent
    await forget_verifications(session, user.id)  # the identity's digest stays bound to this row
    await replace_admin(session, user.id)  # no group is left without someone to run it
    user.name, user.nickname = "", f"deleted_{user.id}"
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.password_hash = None
    user.newsletter_consent_at = user.confirmed_at = user.last_login_at = user.inactivity_warned_at = None
    user.blocked_reason = None
    user.deleted_at = utcnow()
