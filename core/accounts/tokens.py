"""Single-use tokens sent by mail."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import AccountToken, User
from core.db import utcnow

LIFETIMES = {
    "confirm_email": timedelta(days=3), "reset_password": timedelta(hours=1), "invitation": timedelta(days=7),
    "change_email": timedelta(days=1), "managed_handover": timedelta(days=7),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, user: User, purpose: str, payload: str | None = None) -> str:
    """A new token for ``user``; earlier unused tokens of the same purpose stop working."""
    now = utcnow()
    await session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(
        organization_id=user.organization_id, user_id=user.id, purpose=purpose, digest=_digest(token),
        expires_at=now + LIFETIMES[purpose], payload=payload,
    ))
    await session.flush()
    return token


async def peek(session: AsyncSession, organization_id: int, purpose: str, token: str) -> User | None:
    """The user a valid token belongs to, without using it up (to show the reset form)."""
    return await session.scalar(
        select(User).join(AccountToken, AccountToken.user_id == User.id).where(
            AccountToken.digest == _digest(token), AccountToken.purpose == purpose,
            AccountToken.organization_id == organization_id, AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
    )


async def peek_with_payload(session: AsyncSession, organization_id: int, purpose: str,
                            token: str) -> tuple[User, str | None] | None:
    """Like ``peek``, also returning the token's payload."""
    user = await peek(session, organization_id, purpose, token)
    if user is None:
        return None
    return user, await session.scalar(select(AccountToken.payload).where(AccountToken.digest == _digest(token)))


async def consume_with_payload(session: AsyncSession, organization_id: int, purpose: str,
                               token: str) -> tuple[User, str | None] | None:
    """Like ``consume``, also returning the token's payload."""
    payload = await session.scalar(select(AccountToken.payload).where(AccountToken.digest == _digest(token)))
    user = await consume(session, organization_id, purpose, token)
    return (user, payload) if user is not None else None


async def consume(session: AsyncSession, organization_id: int, purpose: str, token: str) -> User | None:
    """Use a token up and return its user; None when it is unknown, used, expired or not this organization's.

    The UPDATE ... WHERE used_at IS NULL is what makes a token work once even when two
    requests bring it at the same moment.
    """
    user = await peek(session, organization_id, purpose, token)
    if user is None:
        return None
    result = await session.execute(
        update(AccountToken)
        .where(AccountToken.digest == _digest(token), AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return user if result.rowcount == 1 else None
