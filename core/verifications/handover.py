"""A managed participant takes over their account: from the desk to an account of their own.

At the desk, staff check the person's identity again (with any handler that can be used there, like
``managed.start``) and type an e-mail address the person reads; the person gets a link (a single-use
``managed_handover`` token of this organization, valid for ``core.accounts.tokens.LIFETIMES``, that
remembers the address) and, on its page, chooses a nickname and password and accepts the terms and the
minimum age. The same ``core_users`` row then stops being managed: everything they did and their
verifications stay theirs, and sessions on their behalf that are still open end. No HTTP here; the
caller commits.
"""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import tokens
from core.accounts.models import User
from core.accounts.passwords import hash_password, password_problem
from core.accounts.schemas import InvitationAcceptance
from core.accounts.services import find_by_email, normalise_email
from core.adminlog import record
from core.db import utcnow
from core.i18n import N_
from core.models import Organization
from core.verifications.handlers import AuthorizationHandler
from core.verifications.managed import HAS_ACCOUNT, identify
from core.verifications.models import ManagedSession, Verification
from core.verifications.services import VerificationError, person_label

PURPOSE = "managed_handover"
EMAIL_TAKEN = N_("This e-mail address belongs to another account. Use another address, or log in with that "
                 "account.")
EXPIRED = N_("This link has expired or was already used. Ask at the desk for a new one.")


async def invite(session: AsyncSession, secret_key: str, organization: Organization, staff: User,
                 handler: AuthorizationHandler, data: Any, email: str) -> tuple[User, str]:
    """The managed participant with the identity staff checked with ``handler`` (``data``: its desk form),
    and a link token for them to take over their account.

    Refused when nobody took part at the desk with this identity, when the person already has an account
    of their own, is blocked, or when ``email`` is another account's. A new link replaces an unused one.
    """
    key, _ = await identify(session, secret_key, organization, handler, data)
    participant = await session.scalar(
        select(User).join(Verification, Verification.user_id == User.id)
        .where(Verification.organization_id == organization.id, Verification.unique_digest == key,
               User.deleted_at.is_(None))
    )
    if participant is None:
        raise VerificationError(N_("Nobody has taken part at the desk with this identity yet."))
    if not participant.managed:
        raise VerificationError(HAS_ACCOUNT)
    if participant.blocked_at is not None:
        raise VerificationError(N_("This person is blocked: nobody can take part on their behalf."))
    address = normalise_email(email)
    if await find_by_email(session, organization, address) is not None:
        raise VerificationError(EMAIL_TAKEN, "email")
    token = await tokens.issue(session, participant, PURPOSE, payload=address)
    record(session, organization.id, staff, "managed.handover_invite", person_label(participant))
    return participant, token


async def pending(session: AsyncSession, organization: Organization, token: str) -> tuple[User, str] | None:
    """The managed participant a valid link is for and the address it was sent to, or None."""
    found = await tokens.peek_with_payload(session, organization.id, PURPOSE, token)
    if found is None:
        return None
    participant, address = found
    if not participant.managed or participant.blocked_at is not None or participant.deleted_at is not None \
            or not address:
        return None
    return participant, address


async def accept(session: AsyncSession, organization: Organization, token: str, data: InvitationAcceptance) -> User:
    """The person completes their account: same row, no longer managed, the address confirmed by the link."""
    found = await pending(session, organization, token)
    if found is None:
        raise VerificationError(EXPIRED)
    participant, address = found
    nickname = data.nickname.lower()
    problem = password_problem(data.password, email=address, nickname=nickname, name=data.name)
    if problem:
        raise VerificationError(problem, "password")
    if await find_by_email(session, organization, address) is not None:
        raise VerificationError(EMAIL_TAKEN)  # someone registered with it since the link was sent
    if await session.scalar(select(User.id).where(User.organization_id == organization.id, User.nickname == nickname,
                                                  User.id != participant.id)) is not None:
        raise VerificationError(N_("This nickname is taken; choose another one."), "nickname")
    password_hash = await anyio.to_thread.run_sync(hash_password, data.password)  # argon2: off the event loop
    if await tokens.consume(session, organization.id, PURPOSE, token) is None:
        raise VerificationError(EXPIRED)
    now = utcnow()
    try:
        async with session.begin_nested():
            participant.email, participant.name, participant.nickname = address, data.name, nickname
            participant.password_hash, participant.managed = password_hash, False
            participant.confirmed_at = now
            participant.terms_accepted_version = organization.terms_version
            await session.flush()
    except IntegrityError:
        raise VerificationError(EMAIL_TAKEN) from None  # the address or nickname was taken a moment ago
    await session.execute(update(ManagedSession).where(ManagedSession.participant_id == participant.id,
                                                       ManagedSession.ended_at.is_(None)).values(ended_at=now))
    record(session, organization.id, participant, "managed.handover", person_label(participant))
    return participant
