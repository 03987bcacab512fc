"""Assisted participation: staff at a municipal desk act on behalf of a managed participant.

A managed participant is a ``User`` with ``managed`` set: no e-mail of their own (an address under the
reserved ``.invalid`` domain, which no mail can reach), no password, so nobody logs in as them. Staff
(organization admins and user managers) verify the person with the census, give a reason, and act as
them for at most ``SESSION_MINUTES``; every such session is a ``ManagedSession`` row (who, for whom,
why, when it started and ended) and two admin log entries. ``core.verifications.acting`` makes the
requests of an open session the participant's. No HTTP here; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.adminlog import record
from core.db import utcnow
from core.i18n import N_
from core.models import Organization
from core.verifications.handlers import CENSUS
from core.verifications.models import ManagedSession, Verification
from core.verifications.services import PER_PAGE, VerificationError, census_identity, grant, person_label

SESSION_MINUTES = 30
"""Long enough for a visit to the desk; a session left open on a shared computer ends by itself."""
HAS_ACCOUNT = N_("This person has an account of their own: they can take part with it, here or at home.")


async def start(session: AsyncSession, registry: Any, secret_key: str, organization: Organization, staff: User,
                document_number: str, birth_date: date, name: str, reason: str) -> ManagedSession:
    """Verify the person with the census and open a session on their behalf.

    Their identity picks the managed participant verified with it before; a person never seen gets a
    new one (``name`` is then required). A person with an account of their own is not managed.
    """
    key, entry = await census_identity(session, secret_key, organization, document_number, birth_date)
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
        await grant(session, registry, organization, participant, CENSUS.name, key,
                    {"birth_date": birth_date.isoformat(), "postal_code": entry.postal_code})
    now = utcnow()
    managed_session = ManagedSession(organization_id=organization.id, staff_user_id=staff.id, staff_name=staff.name,
                                     participant_id=participant.id, reason=reason.strip(), started_at=now,
                                     expires_at=now + timedelta(minutes=SESSION_MINUTES))
    session.add(managed_session)
    await session.flush()
    managed_session.participant = participant
    record(session, organization.id, staff, "managed.start", person_label(participant), reason=managed_session.reason)
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
