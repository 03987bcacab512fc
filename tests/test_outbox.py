"""The outbox: each message is written once, sent once, retried when SMTP fails, and recovered
when the worker that claimed it dies. Real SMTP servers (aiosmtpd), real tasks through the queue."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from core import outbox
from core.db import make_sessionmaker, utcnow
from core.outbox import OutboxMessage
from core.queue import Queue
from tests.conftest import make_settings
from tests.live import free_port
from tests.mailbox import Inbox, smtp_server


@contextmanager
def smtp_on(port: int, inbox: Inbox):
    """A real SMTP server on a given port (the one the settings name), for "down, then up again"."""
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def mail_settings(tmp_path, database_url, port: int):
    return make_settings(tmp_path / "data", database_url, mail_url=f"smtp://127.0.0.1:{port}",
                         mail_from="Vilademo <participa@vilademo.test>")


async def add(engine, organization, key: str, to: str = "veina@example.org", subject: str = "Hola") -> bool:
    async with make_sessionmaker(engine).begin() as session:
        return await outbox.enqueue(session, key=key, organization_id=organization.id, to=to, subject=subject,
                                    text=f"Missatge {key}", headers={"List-Unsubscribe": "<https://x.test/u/1>"})


async def messages(engine) -> list[OutboxMessage]:
    async with make_sessionmaker(engine)() as session:
        return (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()


async def test_the_same_key_twice_is_one_message(engine, demo):
    assert await add(engine, demo, "notification:1:2") is True
    assert await add(engine, demo, "notification:1:2", subject="Una altra vegada") is False
    [message] = await messages(engine)
    assert message.subject == "Hola" and message.status == "pending" and message.attempts == 0


async def test_a_due_message_is_sent_once_with_its_headers(tmp_path, database_url, registry, engine, demo):
    inbox = Inbox()
    with smtp_server(inbox) as server:
        queue = Queue(mail_settings(tmp_path, database_url, server.port), registry)
        await add(engine, demo, "digest:5:daily:2027-03-15")
        assert await queue.run_now("core.send_outbox") == 1
        assert await queue.run_now("core.send_outbox") == 0
    [message] = inbox.messages()
    assert message["To"] == "veina@example.org" and message["Subject"] == "Hola"
    assert message["List-Unsubscribe"] == "<https://x.test/u/1>"
    assert message["Message-ID"].startswith("<outbox-") and message["Message-ID"].endswith("@vilademo.test>")
    [row] = await messages(engine)
    assert row.status == "sent" and row.sent_at is not None and row.claimed_by is None


async def test_a_failed_send_is_retried_later_then_sent_once(tmp_path, database_url, registry, engine, demo):
    port = free_port()  # nothing listens there yet: the SMTP server is down
    queue = Queue(mail_settings(tmp_path, database_url, port), registry)
    await add(engine, demo, "notification:9:9")
    assert await queue.run_now("core.send_outbox") == 0
    [row] = await messages(engine)
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # later, not in a tight loop
    assert await queue.run_now("core.send_outbox") == 0  # not due yet: not even tried
    assert (await messages(engine))[0].attempts == 1

    inbox = Inbox()
    with smtp_on(port, inbox):
        assert await queue.run_now("core.send_outbox") == 0  # up again, but the retry is not due
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert await queue.run_now("core.send_outbox") == 1
        assert await queue.run_now("core.send_outbox") == 0
    assert len(inbox.envelopes) == 1
    [row] = await messages(engine)
    assert row.status == "sent" and row.attempts == 1 and row.last_error is None


async def test_a_message_that_keeps_failing_is_given_up(tmp_path, database_url, registry, engine, demo):
    queue = Queue(mail_settings(tmp_path, database_url, free_port()), registry)
    await add(engine, demo, "notification:1:1")
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
    await queue.run_now("core.send_outbox")
    [row] = await messages(engine)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS and row.last_error


async def test_a_message_abandoned_by_a_dead_worker_is_recovered_and_sent_once(tmp_path, database_url, registry,
                                                                              engine, demo):
    await add(engine, demo, "notification:3:4")
    sessionmaker = make_sessionmaker(engine)
    # A worker claims it, then dies before sending.
    assert await outbox.claim(sessionmaker, "dead-worker") == [(await messages(engine))[0].id]
    inbox = Inbox()
    with smtp_server(inbox) as server:
        queue = Queue(mail_settings(tmp_path, database_url, server.port), registry)
        assert await queue.run_now("core.send_outbox") == 0  # claimed: nobody else takes it
        assert await queue.run_now("core.sweep_outbox") == 0  # claimed just now: maybe still at work
        async with sessionmaker.begin() as session:
            await session.execute(update(OutboxMessage).values(claimed_at=utcnow() - outbox.CLAIM_TIMEOUT * 2))
        assert await queue.run_now("core.sweep_outbox") == 1  # back to pending, then sent
        assert await queue.run_now("core.sweep_outbox") == 0
        assert await queue.run_now("core.send_outbox") == 0
        # The dead worker comes back to life: its claim is gone, so it sends nothing.
        assert await outbox.send_one(queue.settings, sessionmaker, "dead-worker", (await messages(engine))[0].id) is False
    assert len(inbox.envelopes) == 1
    [row] = await messages(engine)
    assert row.status == "sent" and row.attempts == 1  # the abandoned claim counted as one attempt


async def test_a_message_that_keeps_killing_its_workers_is_given_up(engine, demo):
    await add(engine, demo, "notification:6:6")
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        await session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
    await outbox.claim(sessionmaker, "dead-worker")
    async with sessionmaker.begin() as session:
        await session.execute(update(OutboxMessage).values(claimed_at=utcnow() - outbox.CLAIM_TIMEOUT * 2))
    assert await outbox.sweep(sessionmaker) == 1
    [row] = await messages(engine)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS and "abandoned" in row.last_error


@pytest.mark.parametrize("workers", [2, 4])
async def test_parallel_workers_never_send_the_same_message_twice(tmp_path, database_url, registry, engine, demo,
                                                                   workers):
    total = 40
    for number in range(total):
        await add(engine, demo, f"notification:{number}:1", to=f"persona{number}@example.org")
    inbox = Inbox()
    with smtp_server(inbox) as server:
        settings = mail_settings(tmp_path, database_url, server.port)
        # Each worker its own queue, engine and connections, as separate worker processes have;
        # small batches so that their claims interleave.
        queues = [Queue(settings, registry) for _ in range(workers)]
        sent = await asyncio.gather(*(queue.run_now("core.send_outbox", batch=3) for queue in queues))
    assert sum(sent) == total
    assert sum(1 for count in sent if count) >= 2, sent  # the work really was shared
    recipients = sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)
    assert recipients == sorted(f"persona{number}@example.org" for number in range(total))  # each once
    async with make_sessionmaker(engine)() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == total
