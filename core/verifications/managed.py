"""Assisted participation: staff at a municipal desk act on behalf of a managed participant.

A managed participant is a ``User`` with ``managed`` set: no e-mail of their own (an address under the
reserved ``.invalid`` domain, which no mail can reach), no password, so nobody logs in as them. Staff
(organization admins and user managers) verify the person with one of the handlers that can be used at
the desk (``AuthorizationHandler.desk``: the census, or the identity document they see in person, or a
plugin's), give a reason, and act as them for at most ``SESSION_MINUTES``; every such session is a
``ManagedSession`` row (who, for whom, how they were verified, why, when it started and ended) and two
admin log entries. Whatever the handler, one identity (document number and birth date) is one managed
participant. ``core.verifications.acting`` makes the requests of an open session the participant's. No
HTTP here; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.adminlog import record
from core.db import utcnow
from core.i18n import N_
from core.models import Organization
from core.verifications.handlers import AuthorizationHandler
from core.verifications.models import ManagedSession, Verification
from core.verifications.services import PER_PAGE, VerificationError, grant, person_label

SESSION_MINUTES = 30
"""Long enough for a visit to the desk; a session left open on a shared computer ends by itself."""
HAS_ACCOUNT = N_("This person has an account of their own: they can take part with it, here or at home.")
NOT_AT_DESK = N_("This way of verifying cannot be used at the desk.")


def desk_handlers(registry: Any) -> list[AuthorizationHandler]:
    """The handlers staff may verify a person with at the desk, in the registry's order (core's first)."""
    return [handler for handler in registry.authorization_handlers.values() if handler.desk is not None]


def desk_handler(registry: Any, name: str | None) -> AuthorizationHandler:
    """The handler staff chose (the first one when they chose none), or VerificationError for a handler
    that does not exist or cannot be used at the desk."""
    handlers = desk_handlers(registry)
    if not name and handlers:
        return handlers[0]
    chosen = next((handler for handler in handlers if handler.name == name), None)
    if chosen is None:
        raise VerificationError(NOT_AT_DESK)
    return chosen


async def identify(session: AsyncSession, secret_key: str, organization: Organization, handler: AuthorizationHandler,
                   data: Any) -> tuple[str, dict[str, Any]]:
    """The digest and details of the identity staff checked with ``handler`` (``data``: its desk form)."""
    if handler.desk is None:
        raise VerificationError(NOT_AT_DESK)
    return await handler.desk.check(session=session, secret_key=secret_key, organization=organization, data=data)


async def start(session: AsyncSession, registry: Any, secret_key: str, organization: Organization, staff: User,
                handler: AuthorizationHandler, data: Any, name: str, reason: str) -> ManagedSession:
    """Verify the person with ``handler`` (``data``: what staff typed in its desk form) and open a session on
    their behalf.

    Their identity picks the managed participant verified with it before, with any handler, who is then
    verified with this one too; a person never seen gets a new one (``name`` is then required). A person
    with an account of their own is not managed.
    """
    key, details = await identify(session, secret_key, organization, handler, data)
    holder = await session.scalar(
        select(User).join(Verification, Verification.user_id == User.id)
        .where(Verification.organization_id == organization.id, Verification.unique_digest == key,
               User.deleted_at.is_(None))
    )
    if holder is not None and not holder.managed:
        raise VerificationError(HAS_ACCOUNT)
    if holder is not None and holder.blocked_at is not None:
        raise VerificationError(N_("This person is blocked: nobody can take part on their behalf."))
    participant = holder
    if participant is None:
        if not name.strip():
            raise VerificationError(N_("Write the person's name: it is the first time they take part."), "name")
        token = secrets.token_hex(8)
        participant = User(organization_id=organization.id, email=f"managed-{token}@managed.invalid",
                           nickname=f"managed_{token}", name=name.strip(), password_hash=None,
                           locale=organization.default_locale, managed=True,
                           terms_accepted_version=organization.terms_version)
        session.add(participant)
        await session.flush()
    # Grants this handler to someone seen before with another (or renews what it records); refused when the
    # identity is another live account's (``grant``): one person is one managed participant.
    await grant(session, registry, organization, participant, handler.name, key, details)
    now = utcnow()
    managed_session = ManagedSession(organization_id=organization.id, staff_user_id=staff.id, staff_name=staff.name,
                                     participant_id=participant.id, handler=handler.name, reason=reason.strip(),
                                     started_at=now, expires_at=now + timedelta(minutes=SESSION_MINUTES))
    session.add(managed_session)
    await session.flush()
    managed_session.participant = participant
    record(session, organization.id, staff, "managed.start", person_label(participant), reason=managed_session.reason,
           handler=handler.name)
    return managed_session


async def open_session(session: AsyncSession, organization_id: int, staff_id: int, session_id: int,
                       now: datetime | None = None) -> ManagedSession | None:
    """The staff member's session on behalf of someone, if it is still open (one query, with the participant)."""
    return await session.scalar(
        select(ManagedSession).join(ManagedSession.participant)
        .where(ManagedSession.id == session_id, ManagedSession.organization_id == organization_id,
               ManagedSession.staff_user_id == staff_id, ManagedSession.ended_at.is_(None),
               ManagedSession.expires_at > (now or utcnow()), User.deleted_at.is_(None), User.blocked_at.is_(None))
        .options(joinedload(ManagedSession.participant).joinedload(User.avatar))  # every page shows the person
    )


async def end(session: AsyncSession, organization: Organization, staff: User, managed_session: ManagedSession) -> None:
    managed_session.ended_at = utcnow()
    record(session, organization.id, staff, "managed.end", person_label(managed_session.participant))


async def sessions_log(session: AsyncSession, organization: Organization,
                       page: int = 1) -> tuple[Sequence[ManagedSession], int]:
    """A page of the organization's sessions on behalf of someone, newest first, with their participants."""
    condition = ManagedSession.organization_id == organization.id
    total = await session.scalar(select(func.count(ManagedSession.id)).where(condition)) or 0
    rows = (await session.scalars(
        select(ManagedSession).where(condition).options(joinedload(ManagedSession.participant))
        .order_by(ManagedSession.started_at.desc(), ManagedSession.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    return rows, total
