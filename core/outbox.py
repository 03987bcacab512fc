"""The outbox: every mail to a person (notifications, summaries; newsletters later) is a row here first.

- **Once.** Each message has a unique key (``notification:<event id>:<user id>``,
  ``digest:<user id>:daily:<date>``): enqueueing it again inserts nothing (INSERT ... ON CONFLICT
  DO NOTHING), so a task that runs twice writes one mail.
- **Claiming.** ``core.send_outbox`` claims a batch with one UPDATE that marks it ``sending`` with
  the claim's time and the worker's name; on PostgreSQL the rows are picked with ``FOR UPDATE SKIP
  LOCKED``, so parallel workers take different messages; SQLite has one writer at a time, and the
  same UPDATE ... WHERE status = 'pending' claims each row once.
- **Sending.** Right before sending, the worker renews its claim in its own committed transaction
  (a message the sweeper has given to someone else is skipped); right after the SMTP server
  accepts it, the message is marked ``sent`` in its own committed transaction.
- **Failures.** A failed send is tried again later, ``RETRY_DELAY`` doubling each time, and after
  ``MAX_ATTEMPTS`` the message is marked ``failed`` with the last error.
- **Sweeping.** A worker that dies holding a claim leaves messages ``sending``; the periodic
  ``core.sweep_outbox`` gives messages claimed more than ``CLAIM_TIMEOUT`` ago back to ``pending``.

What remains: a worker that dies (or loses the database) after the SMTP server accepted a message
and before ``sent`` is committed leaves it ``sending``, and the sweeper hands it out again: that
message is sent twice. The window is the time of one UPDATE after the SMTP reply; every message
carries a Message-ID derived from its key, so the two copies are the same message to mail programs.
Nothing else sends twice: a claim is renewed right before sending and ``CLAIM_TIMEOUT`` is far
longer than one SMTP conversation (whose timeout is 30 seconds).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

import anyio
from huey import crontab
from sqlalchemy import JSON, ForeignKey, Index, String, Text, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, dialect_insert, utcnow
from core.mail import build_message, deliver
from core.manifest import Task
from core.settings import Settings

logger = logging.getLogger("participa.outbox")

BATCH = 50
MAX_ATTEMPTS = 8
RETRY_DELAY = timedelta(minutes=1)
"""Delay before the second attempt; it doubles after each failure (1, 2, 4... 64 minutes)."""
CLAIM_TIMEOUT = timedelta(minutes=15)
MARK_SENT_TRIES = 5


class OutboxMessage(Base):
    """One mail to one person, sent at most once."""

    __tablename__ = "core_outbox"
    __table_args__ = (Index("ix_core_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, sending (claimed by a worker), sent, failed or cancelled."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def enqueue(session: AsyncSession, *, key: str, organization_id: int, to: str, subject: str, text: str,
                  html: str | None = None, headers: dict[str, str] | None = None,
                  user_id: int | None = None) -> bool:
    """Add a message to the outbox in the caller's transaction; False when its key is already there.

    Queue ``core.send_outbox`` after the commit to send it at once (the worker also runs it every minute).
    """
    statement = (
        dialect_insert(session)(OutboxMessage)
        .values(key=key, organization_id=organization_id, user_id=user_id, to_address=to, subject=subject,
                text=text, html=html, headers=dict(headers or {}), status="pending", attempts=0,
                next_attempt_at=utcnow(), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.id)
    )
    return (await session.execute(statement)).first() is not None


def worker_name() -> str:
    """Who holds a claim: host, process and a random part (threads of one process differ too)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


async def claim(sessionmaker: async_sessionmaker[AsyncSession], worker: str, limit: int = BATCH) -> list[int]:
    """Mark up to ``limit`` due messages as being sent by ``worker`` and commit; their ids."""
    now = utcnow()
    # PostgreSQL: rows another worker is claiming are skipped. The selection is a materialized CTE,
    # run once: as a plain IN (subquery) the planner may run it again while updating, and each run
    # skips the rows the update has just locked, so the LIMIT would not hold.
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(select(due.c.id)), OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=worker)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(result.scalars().all())


def _message_id(settings: Settings, message: OutboxMessage) -> str:
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "participa"
    return f"<outbox-{message.id}-{hashlib.sha256(message.key.encode()).hexdigest()[:16]}@{domain}>"


async def _renew_claim(sessionmaker: async_sessionmaker[AsyncSession], worker: str,
                       message_id: int) -> OutboxMessage | None:
    async with sessionmaker.begin() as session:
        return (await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending",
                   OutboxMessage.claimed_by == worker)
            .values(claimed_at=utcnow())
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        )).scalar_one_or_none()


async def _mark_sent(sessionmaker: async_sessionmaker[AsyncSession], message_id: int) -> None:
    for attempt in range(MARK_SENT_TRIES):  # the mail is gone: try hard to record it
        try:
            async with sessionmaker.begin() as session:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(status="sent", sent_at=utcnow(), claimed_at=None, claimed_by=None, last_error=None)
                    .execution_options(synchronize_session=False)
                )
            return
        except Exception:
            if attempt == MARK_SENT_TRIES - 1:
                raise
            logger.warning("could not mark outbox message %s as sent; trying again", message_id, exc_info=True)
            await anyio.sleep(0.5 * 2 ** attempt)


async def _mark_failed(sessionmaker: async_sessionmaker[AsyncSession], message: OutboxMessage, error: str) -> None:
    attempts = message.attempts + 1
    given_up = attempts >= MAX_ATTEMPTS
    async with sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.status == "sending")
            .values(status="failed" if given_up else "pending", attempts=attempts, claimed_at=None, claimed_by=None,
                    next_attempt_at=utcnow() + RETRY_DELAY * 2 ** (attempts - 1), last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
    (logger.error if given_up else logger.warning)(
        "outbox message %s to %s failed (attempt %s of %s): %s", message.id, message.to_address, attempts,
        MAX_ATTEMPTS, error,
    )


async def send_one(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], worker: str,
                   message_id: int) -> bool:
    """Send one message this worker claimed; True when the SMTP server (or the outbox folder) took it."""
    message = await _renew_claim(sessionmaker, worker, message_id)
    if message is None:
        return False  # swept and handed to another worker meanwhile: theirs now
    mail = build_message(settings, message.to_address, message.subject, message.text, message.html, message.headers)
    mail.replace_header("Message-ID", _message_id(settings, message))
    try:
        await anyio.to_thread.run_sync(deliver, settings, mail)
    except Exception as exc:  # noqa: BLE001  (whatever the reason, one failed attempt: retried, then given up)
        await _mark_failed(sessionmaker, message, f"{type(exc).__name__}: {exc}")
        return False
    await _mark_sent(sessionmaker, message.id)
    return True


async def send_outbox_task(ctx: Any, batch: int = BATCH) -> int:
    """Task ``core.send_outbox``: send due messages, a batch at a time, until none is due; how many were sent."""
    worker = worker_name()
    sent = 0
    while ids := await claim(ctx.sessionmaker, worker, batch):
        for message_id in ids:
            sent += await send_one(ctx.settings, ctx.sessionmaker, worker, message_id)
    return sent


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], timeout: timedelta = CLAIM_TIMEOUT) -> int:
    """Give messages claimed longer than ``timeout`` ago, and never sent, back to ``pending``.

    Each return counts as an attempt, so a message that brings its worker down every time is
    given up in the end instead of taking workers down forever.
    """
    attempts = OutboxMessage.attempts + 1
    async with sessionmaker.begin() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < utcnow() - timeout)
            .values(status=case((attempts >= MAX_ATTEMPTS, "failed"), else_="pending"), attempts=attempts,
                    claimed_at=None, claimed_by=None, last_error="abandoned by the worker that claimed it")
            .execution_options(synchronize_session=False)
        )
    if result.rowcount:
        logger.warning("gave %s abandoned outbox messages back to pending", result.rowcount)
    return result.rowcount or 0


async def sweep_outbox_task(ctx: Any) -> int:
    """Task ``core.sweep_outbox``: recover what dead workers claimed, then send what is due."""
    recovered = await sweep(ctx.sessionmaker)
    if recovered and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    return recovered


async def cancel_for_user(session: AsyncSession, user_id: int) -> None:
    """Messages not yet sent to a person whose account is going away are not sent."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    )


async def counts(session: AsyncSession) -> dict[str, int]:
    """Messages by status (for operators and tests)."""
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


TASKS = [
    # Queued after a commit that added messages, and every minute for retries that came due.
    Task(name="core.send_outbox", run=send_outbox_task, schedule=crontab(minute="*"), retries=0),
    Task(name="core.sweep_outbox", run=sweep_outbox_task, schedule=crontab(minute="*/5"), retries=0),
]
