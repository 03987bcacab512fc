"""Background work: mail is queued by handlers and delivered by a worker, to the outbox
folder on a laptop or to an SMTP server in production; the queue lives in SQLite or Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from huey.consumer import Consumer

from core.mail import outbox_messages
from core.queue import Queue
from tests.conftest import make_settings
from tests.live import free_port
from tests.mailbox import Inbox, smtp_server, wait_for

REDIS_URL = os.environ.get("PARTICIPA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PARTICIPA = Path(sys.executable).with_name("participa")


@contextmanager
def consuming(huey):
    """A real huey consumer (one worker thread) in this process, stopped gracefully afterwards."""
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {signum: signal.getsignal(signum) for signum in handled}
    consumer = Consumer(huey, workers=1, worker_type="thread", periodic=False, max_delay=0.5,
                        check_worker_health=False, shutdown_timeout=30)
    consumer.start()  # also installs the consumer's signal handlers: put pytest's back below
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for signum, handler in saved.items():
            signal.signal(signum, handler)


MAIL = {"to": "veina@example.org", "subject": "Confirma la teva adreça", "text": "Hola!\nEl teu codi és 1234."}


# ---------------------------------------------------------------- immediate mode


async def test_send_mail_task_writes_the_message_to_the_outbox(settings, registry):
    queue = Queue(settings, registry)
    await queue.enqueue(
        "core.send_mail", to="veina@example.org", subject="Confirma la teva adreça", text="Hola!\nEl teu codi és 1234.",
        html="<p>Hola! El teu codi és <b>1234</b>.</p>", headers={"Reply-To": "ajuntament@vilademo.test"},
    )
    [message] = outbox_messages(settings.outbox_path)
    assert message["To"] == "veina@example.org"
    assert message["From"] == "Participa <no-reply@localhost>"
    assert message["Subject"] == "Confirma la teva adreça"
    assert message["Reply-To"] == "ajuntament@vilademo.test"
    assert message["Message-ID"] and message["Date"]
    assert message.get_body(("plain",)).get_content() == "Hola!\nEl teu codi és 1234.\n"
    assert "<b>1234</b>" in message.get_body(("html",)).get_content()
    assert list(settings.outbox_path.glob("*.tmp")) == []  # only whole messages in the outbox


async def test_send_mail_task_delivers_over_smtp(tmp_path, database_url, registry):
    inbox = Inbox()
    with smtp_server(inbox) as server:
        settings = make_settings(tmp_path / "data", database_url, mail_url=f"smtp://127.0.0.1:{server.port}",
                                 mail_from="Vilademo <participa@vilademo.test>")
        await Queue(settings, registry).enqueue("core.send_mail", **MAIL, html="<p>Hola!</p>")
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "participa@vilademo.test"
    assert envelope.rcpt_tos == ["veina@example.org"]
    [message] = inbox.messages()
    assert message["Subject"] == "Confirma la teva adreça"
    assert message["From"] == "Vilademo <participa@vilademo.test>"
    assert message["To"] == "veina@example.org"
    assert message.get_body(("plain",)).get_content() == "Hola!\nEl teu codi és 1234.\n"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hola!</p>"
    assert not settings.outbox_path.exists() or outbox_messages(settings.outbox_path) == []


async def test_smtp_credentials_in_the_url_are_decoded_and_used(tmp_path, database_url, registry):
    inbox = Inbox(login=b"participa@vilademo.test", password=b"p@ss:w/rd%")
    with smtp_server(inbox, with_auth=True) as server:
        url = f"smtp://participa%40vilademo.test:p%40ss%3Aw%2Frd%25@127.0.0.1:{server.port}"
        settings = make_settings(tmp_path / "data", database_url, mail_url=url)
        await Queue(settings, registry).enqueue("core.send_mail", **MAIL)
    assert inbox.logins == [(b"participa@vilademo.test", b"p@ss:w/rd%")]
    assert [m["Subject"] for m in inbox.messages()] == ["Confirma la teva adreça"]


async def test_unknown_task_name_raises_key_error(settings, registry):
    queue = Queue(settings, registry)
    with pytest.raises(KeyError, match="core.send_mial"):
        await queue.enqueue("core.send_mial", **MAIL)
    with pytest.raises(KeyError):
        await queue.run_now("no.such_task")
    assert not settings.outbox_path.exists()


# ---------------------------------------------------------------- with a worker


def worker_environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTICIPA_")}
    env.update({
        "PARTICIPA_DATA_DIR": str(tmp_path / "data"), "PARTICIPA_DATABASE_URL": database_url,
        "PARTICIPA_SECRET_KEY": "worker-secret-" + "x" * 40, "PARTICIPA_LOG_JSON": "true",
        "PARTICIPA_LOG_LEVEL": "INFO",
    })
    return env


async def test_worker_process_delivers_queued_mail(tmp_path, database_url, registry):
    """`participa worker` picks up what the web process queued in the SQLite queue of the data folder."""
    settings = make_settings(tmp_path / "data", database_url, queue_immediate=False)
    queue = Queue(settings, registry)
    await queue.enqueue("core.send_mail", **MAIL)
    assert queue.huey.pending_count() == 1
    assert not settings.outbox_path.exists()  # queued, not sent

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([str(PARTICIPA), "worker", "--workers", "1"], cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT, env=worker_environment(tmp_path, database_url))
    try:
        wait_for(lambda: settings.outbox_path.exists() and outbox_messages(settings.outbox_path),
                 what="the worker to deliver the queued mail")
        # Work queued while the worker runs is picked up too.
        await queue.enqueue("core.send_mail", to="segona@example.org", subject="Segon", text="...")
        wait_for(lambda: len(outbox_messages(settings.outbox_path)) == 2, what="the second mail")
        assert queue.huey.pending_count() == 0
        worker.send_signal(signal.SIGINT)  # graceful stop: finish the task at hand, then exit
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        log.close()
    messages = outbox_messages(settings.outbox_path)
    assert [(m["To"], m["Subject"]) for m in messages] == [
        ("veina@example.org", "Confirma la teva adreça"), ("segona@example.org", "Segon"),
    ]
    lines = [line for line in (tmp_path / "worker.log").read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # PARTICIPA_LOG_JSON: one JSON object per line
    assert any("core.send_mail" in record["message"] for record in records)


async def test_failed_delivery_stays_queued_for_a_retry(tmp_path, database_url, registry):
    """An unreachable SMTP server does not lose the message: the task is scheduled again."""
    settings = make_settings(tmp_path / "data", database_url, queue_immediate=False,
                             mail_url=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    queue = Queue(settings, registry)
    await queue.enqueue("core.send_mail", **MAIL)
    with consuming(queue.huey):
        wait_for(lambda: queue.huey.scheduled_count() == 1, what="the failed task to be rescheduled")
    [retry] = queue.huey.scheduled()
    assert retry.name == "core.send_mail"
    assert retry.kwargs == MAIL
    assert retry.retries == 4  # five tries in all, one used
    assert queue.huey.pending_count() == 0


async def test_redis_queue_holds_tasks_until_a_worker_runs_them(tmp_path, database_url, registry):
    settings = make_settings(tmp_path / "data", database_url, queue_immediate=False, queue_url=REDIS_URL)
    queue = Queue(settings, registry, name=f"participa_test_{uuid.uuid4().hex}")
    try:
        assert queue.reachable()
        await queue.enqueue("core.send_mail", **MAIL)
        assert queue.huey.pending_count() == 1
        assert queue.huey.storage.conn.llen(queue.huey.storage.queue_key) == 1  # really in Redis
        assert not settings.outbox_path.exists()
        with consuming(queue.huey):
            wait_for(lambda: settings.outbox_path.exists() and outbox_messages(settings.outbox_path),
                     what="the consumer to deliver the mail queued in Redis")
        assert queue.huey.pending_count() == 0
        [message] = outbox_messages(settings.outbox_path)
        assert message["Subject"] == "Confirma la teva adreça"
    finally:
        queue.huey.flush()  # only this queue's keys


def test_queue_reachability_is_what_readiness_reports(tmp_path, database_url, registry):
    sqlite_queue = Queue(make_settings(tmp_path / "data", database_url, queue_immediate=False), registry)
    assert sqlite_queue.reachable()
    nowhere = make_settings(tmp_path / "data", database_url, queue_immediate=False,
                            queue_url=f"redis://127.0.0.1:{free_port()}/0")
    assert not Queue(nowhere, registry).reachable()
