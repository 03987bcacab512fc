"""Resilience: real processes killed at the worst moment, and a store that goes away.

- A ``participa serve`` killed with SIGKILL while people post supports in parallel: after a
  restart every support that was answered as counted is there, none is counted twice, and every
  counter equals its rows (a support is one transaction: all of it or nothing).
- A ``participa worker`` killed with SIGKILL in the middle of a batch of outbox mails: after the
  sweep every message reaches the SMTP server. Exactly once is not possible: a worker killed after
  the SMTP server took a message and before ``sent`` is committed leaves it claimed, and it is
  sent again (core/outbox.py). What the code promises, and what is asserted: every message at
  least once, at most one copy more per killed sending thread, and a copy carries the same
  Message-ID so that mail programs show one message.
- Redis (sessions, rate limits and the queue) down: pages that need none of it still answer; the
  rest answers 503 with the theme's error page, quickly, never a hang or a traceback; /readyz
  says not ready; when Redis is back the same processes recover by themselves.

Every process here is this test's own: the server, the worker, an aiosmtpd server, and a
redis-server on a free port in a temporary folder (never the machine's shared Redis).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select, update

from core import migrations, outbox
from core.accounts.models import User
from core.accounts.passwords import hash_password
from core.db import make_engine, make_sessionmaker, utcnow
from core.demo import create_demo
from core.models import Component, Space
from core.outbox import OutboxMessage
from core.plugins import Registry
from core.queue import Queue
from plugins.proposals.models import Participant, Proposal, Support
from tests.conftest import drop_database, make_settings, new_database_url, run_async
from tests.live import LiveServer, free_port
from tests.mailbox import Inbox, smtp_server, wait_for

PASSWORD = "resistent-com-un-roure"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"  # .ci/run has it; README: Redis


def token_of(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def prepare(url: str, registry: Registry, people: int = 0, proposals: int = 0,
                  **rules: object) -> tuple[int, list[int]]:
    """A migrated database with the demo at 127.0.0.1, ``people`` citizens and ``proposals``
    published proposals in the demo's proposals component (supports open); its id and theirs."""
    engine = make_engine(url)
    try:
        await migrations.upgrade(engine, registry)
        async with make_sessionmaker(engine).begin() as session:
            organization = await create_demo(session, registry, hosts=("127.0.0.1",))
            password_hash = hash_password(PASSWORD)
            for index in range(people):
                session.add(User(organization_id=organization.id, email=f"veina{index}@example.org",
                                 nickname=f"veina{index}", name=f"Veïna {index}", password_hash=password_hash,
                                 locale="en", confirmed_at=utcnow(),
                                 terms_accepted_version=organization.terms_version))
            component = await session.scalar(select(Component).join(Space).where(
                Space.slug == "pressupostos-2027", Component.component_type == "proposals"))
            component.settings = {**component.settings, **rules}
            ids = []
            for index in range(proposals):
                proposal = Proposal(component_id=component.id, title=f"Proposta resistent {index}", body="<p>x</p>",
                                    language="ca", state="published", published_at=utcnow())
                session.add(proposal)
                await session.flush()
                ids.append(proposal.id)
            return component.id, ids
    finally:
        await engine.dispose()


def log_in(server: LiveServer, browser: httpx.Client, email: str) -> None:
    page = browser.get(server.url + "/account/login")
    answer = browser.post(server.url + "/account/login", data={
        "_csrf_token": token_of(page.text), "email": email, "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303, answer.text[:500]


def kill(process: subprocess.Popen | None) -> None:
    """SIGKILL a process we started, and every process of its group (uvicorn's, huey's)."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# ------------------------------------------------------------------------------ a server killed

PEOPLE = 12
PROPOSALS = 5
LIMIT = 3
COUNTED = "Your support is counted."
REFUSALS = ("You have used all your supports in this space.", "You already support this proposal.")


def flash_of(html: str) -> str | None:
    found = re.search(r'<div class="flash" role="status">\s*<p>([^<]*)</p>', html)
    return found.group(1).replace("&#39;", "'") if found else None


class Supporter:
    """One person in a browser, supporting proposal after proposal, one request at a time (as a
    person does), and writing down what each answer said."""

    def __init__(self, server: LiveServer, index: int, base: str, proposal_ids: list[int]) -> None:
        self.server = server
        self.email = f"veina{index}@example.org"
        self.base = base
        self.proposal_ids = proposal_ids
        self.browser = httpx.Client(timeout=30, headers={"accept-language": "en"})
        self.counted: set[int] = set()
        """Supports the server answered as counted (a 303 whose message said so)."""
        self.unanswered: set[int] = set()
        """Tried, and the connection died before an answer: either outcome is right (for now)."""
        self.unread: int | None = None
        """Answered with a 303 whose message the kill kept us from reading."""
        self.lost: set[int] = set()
        """Every support whose first answer the kill swallowed."""

    def post(self, proposal_id: int) -> httpx.Response | None:
        url = self.server.url
        try:
            page = self.browser.get(f"{url}{self.base}/{proposal_id}")
            return self.browser.post(f"{url}{self.base}/{proposal_id}/support",
                                     data={"_csrf_token": token_of(page.text)}, follow_redirects=False)
        except httpx.TransportError:
            self.unanswered.add(proposal_id)
            self.lost.add(proposal_id)
            return None

    def read_answer(self, proposal_id: int, answer: httpx.Response) -> None:
        assert answer.status_code == 303, answer.text[:500]
        try:
            message = flash_of(self.browser.get(self.server.url + answer.headers["location"]).text)
        except httpx.TransportError:
            self.unread = proposal_id  # the message waits in the session, in the database
            return
        self.note(proposal_id, message)

    def note(self, proposal_id: int, message: str | None) -> None:
        assert message == COUNTED or message in REFUSALS, message
        if message == COUNTED:
            self.counted.add(proposal_id)
        self.unanswered.discard(proposal_id)

    def run(self, answered: threading.Semaphore) -> None:
        for proposal_id in self.proposal_ids:
            answer = self.post(proposal_id)
            if answer is None:
                return  # the server is gone
            answered.release()
            self.read_answer(proposal_id, answer)
            if self.unread is not None:
                return


def rows(url: str, component_id: int, proposal_ids: list[int]):
    async def read():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                supports = (await session.execute(select(Support.user_id, Support.proposal_id, User.email)
                                                  .join(User, User.id == Support.user_id)
                                                  .where(Support.proposal_id.in_(proposal_ids)))).all()
                counters = (await session.execute(select(Proposal.id, Proposal.supports_total, Proposal.supports_count)
                                                  .where(Proposal.id.in_(proposal_ids)))).all()
                given = (await session.execute(select(User.email, Participant.supports_given)
                                               .join(User, User.id == Participant.user_id)
                                               .where(Participant.component_id == component_id))).all()
                return supports, counters, dict(given)
        finally:
            await engine.dispose()

    return run_async(read())


def test_a_server_killed_while_supports_pour_in_loses_none_it_confirmed(tmp_path):
    url = new_database_url(tmp_path, "killed")
    try:
        component_id, proposal_ids = run_async(prepare(
            url, Registry(make_settings(tmp_path / "prep", url)), people=PEOPLE, proposals=PROPOSALS,
            supports_per_participant=LIMIT))
        base = f"/processes/pressupostos-2027/proposals/{component_id}"
        with LiveServer(tmp_path / "server", url) as server:
            server.start()
            # Each person tries every proposal, from a different one on: more than the limit.
            supporters = [Supporter(server, index, base, proposal_ids[index % PROPOSALS:]
                                    + proposal_ids[:index % PROPOSALS]) for index in range(PEOPLE)]
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda supporter: log_in(server, supporter.browser, supporter.email), supporters))

            answered = threading.Semaphore(0)
            with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
                runs = [pool.submit(supporter.run, answered) for supporter in supporters]
                for _ in range(PEOPLE * PROPOSALS // 3):  # a third of the supports are answered...
                    assert answered.acquire(timeout=60), "the server stopped answering supports"
                kill(server.process)  # ...then the server dies, in the middle of the rest
                for run in runs:
                    run.result(timeout=120)
            assert any(supporter.lost or supporter.unread for supporter in supporters)  # the kill hit requests

            server.process = None
            server.start()  # the same database, a new process: nothing else was done to it
            for supporter in supporters:
                if supporter.unread is not None:  # the message was stored in the session with the answer
                    message = flash_of(supporter.browser.get(server.url + "/").text)
                    if message is None:  # the killed server had shown it already, to nobody
                        supporter.unanswered.add(supporter.unread)
                        supporter.lost.add(supporter.unread)
                    else:
                        supporter.note(supporter.unread, message)
                # People who got no answer try again, as people do: counted now, or refused.
                for proposal_id in sorted(supporter.unanswered):
                    supporter.read_answer(proposal_id, supporter.post(proposal_id))
                supporter.browser.close()

        supports, counters, given = rows(url, component_id, proposal_ids)
        assert len({(email, proposal_id) for _, proposal_id, email in supports}) == len(supports)  # none twice
        for supporter in supporters:
            stored = {proposal_id for _, proposal_id, email in supports if email == supporter.email}
            # Nothing answered as counted was lost, and nothing was recorded that the answers deny
            # (a support whose answer the kill swallowed, then refused at the limit, may be there).
            assert supporter.counted <= stored <= supporter.counted | supporter.lost, supporter.email
            assert given.get(supporter.email, 0) == len(stored) <= LIMIT, supporter.email
        per_proposal = Counter(proposal_id for _, proposal_id, _ in supports)
        for proposal_id, total, counted in counters:
            assert total == counted == per_proposal[proposal_id], proposal_id
    finally:
        drop_database(url)


# ------------------------------------------------------------------------------ a worker killed

MAILS = 30


class SlowInbox(Inbox):
    """An SMTP server that takes a moment over each message, before it has received it (in RCPT),
    so that a kill lands in the middle of the batch."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def fill_outbox(url: str, count: int) -> None:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            organization_id = await session.scalar(select(User.organization_id).limit(1))
            for number in range(count):
                await outbox.enqueue(session, key=f"newsletter:1:{number}", organization_id=organization_id,
                                     to=f"persona{number}@example.org", subject="Butlletí de novembre",
                                     text=f"Hola, persona {number}.")
    finally:
        await engine.dispose()


async def outbox_rows(url: str, **changes: object) -> dict[str, int]:
    """Messages by status; ``changes`` are written to the claimed ones first."""
    engine = make_engine(url)
    try:
        if changes:
            async with make_sessionmaker(engine).begin() as session:
                await session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending").values(**changes))
        async with make_sessionmaker(engine)() as session:
            return await outbox.counts(session)
    finally:
        await engine.dispose()


def test_a_worker_killed_in_the_middle_of_a_batch_sends_every_mail_after_the_sweep(tmp_path):
    url = new_database_url(tmp_path, "outbox")
    try:
        run_async(prepare(url, Registry(make_settings(tmp_path / "prep", url))))
        run_async(fill_outbox(url, MAILS))
        inbox = SlowInbox()
        with smtp_server(inbox) as smtp, LiveServer(tmp_path / "worker", url, mail_url=f"smtp://127.0.0.1:{smtp.port}",
                                                    mail_from="Vilademo <participa@vilademo.test>") as live:
            # The test's own handle on the worker's queue: the same data folder, so the same queue.
            settings = make_settings(live.data_dir, url, queue_immediate=False)
            queue = Queue(settings, Registry(settings))
            live.start_worker()
            run_async(queue.enqueue("core.send_outbox"))
            wait_for(lambda: len(inbox.envelopes) >= MAILS // 4, timeout=60, what="the first mails of the batch")
            kill(live.worker)  # with a batch claimed and a message in flight
            live.worker = None
            delivered_before = len(inbox.envelopes)
            statuses = run_async(outbox_rows(url))
            assert statuses.get("sending", 0) >= 1 and delivered_before < MAILS, statuses

            # A new worker. The dead one's claims are kept until CLAIM_TIMEOUT: it might have been
            # only slow. Let that time pass, then the periodic sweep gives them back.
            live.start_worker()
            run_async(outbox_rows(url, claimed_at=utcnow() - outbox.CLAIM_TIMEOUT * 2))
            run_async(queue.enqueue("core.sweep_outbox"))
            wait_for(lambda: run_async(outbox_rows(url)) == {"sent": MAILS}, timeout=60, what="every mail sent")
            live.stop()

        copies = Counter(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)
        assert set(copies) == {f"persona{number}@example.org" for number in range(MAILS)}  # every one
        # At most one copy more: the message whose SMTP reply the killed thread never recorded.
        assert len(inbox.envelopes) - MAILS <= 1, copies.most_common(3)
        message_ids = {}
        for message in inbox.messages():
            message_ids.setdefault(message["To"], set()).add(message["Message-ID"])
        assert all(len(ids) == 1 for ids in message_ids.values())  # a copy is the same message to mail programs
    finally:
        drop_database(url)


# ------------------------------------------------------------------------------ Redis down

class PrivateRedis:
    """A redis-server of this test's own, on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        wait_for(lambda: self._answers(client), timeout=30, what="the private redis-server")

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        kill(self.process)
        self.process = None

    def pause(self) -> None:
        """Still listening, answering nothing: a hung Redis."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.resume()
        server.kill()


UNAVAILABLE = "The service is temporarily unavailable"


def timed(call, *args, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def test_with_redis_down_the_app_answers_clearly_and_recovers_by_itself(tmp_path, private_redis):
    url = new_database_url(tmp_path, "redis")
    try:
        run_async(prepare(url, Registry(make_settings(tmp_path / "prep", url)), people=1))
        with LiveServer(tmp_path / "server", url, redis_url=private_redis.url(0),
                        queue_url=private_redis.url(1)) as server:
            server.start()
            visitor = httpx.Client(timeout=30, headers={"accept-language": "en"})  # no session: needs no Redis
            person = httpx.Client(timeout=30, headers={"accept-language": "en"})
            log_in(server, person, "veina0@example.org")
            assert "Veïna 0" in person.get(server.url + "/").text
            assert server.get("/readyz").status_code == 200

            for outage in ("down", "hung"):
                if outage == "down":
                    private_redis.kill()
                else:
                    private_redis.pause()
                # Pages that need no session, no rate limit and no queue still answer.
                for path in ("/", "/processes/pressupostos-2027", "/static/css/participa.css"):
                    page, seconds = timed(visitor.get, server.url + path)
                    assert page.status_code == 200 and seconds < 10, (outage, path, page.status_code, seconds)
                assert server.get("/healthz").status_code == 200  # alive: restarting it would not help
                # What needs Redis answers 503 with the theme's page, promptly, never a traceback.
                page, seconds = timed(person.get, server.url + "/")
                assert page.status_code == 503 and UNAVAILABLE in page.text and seconds < 15, (outage, seconds)
                assert "Traceback" not in page.text and "redis" not in page.text.lower()
                form = visitor.get(server.url + "/account/login")
                login, seconds = timed(visitor.post, server.url + "/account/login", data={
                    "_csrf_token": token_of(form.text), "email": "veina0@example.org", "password": PASSWORD})
                assert login.status_code == 503 and UNAVAILABLE in login.text and seconds < 15, (outage, seconds)
                ready, seconds = timed(server.get, "/readyz")
                assert ready.status_code == 503 and seconds < 30, (outage, ready.text)
                assert ready.json()["checks"]["queue"] == "unreachable"
                assert ready.json()["checks"]["store"] == "unreachable"

                if outage == "down":
                    private_redis.start()  # empty: the sessions it held are gone
                else:
                    private_redis.resume()  # with everything it held
                # The same server process, not restarted, recovers.
                wait_for(lambda: server.get("/readyz").status_code == 200, timeout=30, what="ready again")
                if outage == "down":
                    assert "Veïna 0" not in person.get(server.url + "/").text  # logged out, not an error
                    log_in(server, person, "veina0@example.org")
                assert "Veïna 0" in person.get(server.url + "/").text
            visitor.close()
            person.close()
        # Operators read an outage, one line a request, not tracebacks of "unhandled errors".
        records = server.log_records()
        assert any(record["message"].startswith("Redis (sessions") for record in records)
        assert not [record for record in records if record["level"] in ("ERROR", "CRITICAL")]
    finally:
        drop_database(url)


def test_an_account_mail_asked_for_while_the_queue_is_down_is_sent_once_it_is_back(tmp_path, private_redis):
    """Only the queue's Redis is down (sessions live in the database): the reset link is promised,
    written to the outbox, and delivered once the queue answers again, exactly once."""
    url = new_database_url(tmp_path, "queue")
    try:
        run_async(prepare(url, Registry(make_settings(tmp_path / "prep", url)), people=1))
        inbox = Inbox()
        with smtp_server(inbox) as smtp, LiveServer(
            tmp_path / "server", url, queue_url=private_redis.url(1), mail_url=f"smtp://127.0.0.1:{smtp.port}",
            mail_from="Vilademo <participa@vilademo.test>",
        ) as server:
            server.start()
            visitor = httpx.Client(timeout=30, headers={"accept-language": "en"})
            private_redis.kill()
            form = visitor.get(server.url + "/account/password/forgot")
            asked = visitor.post(server.url + "/account/password/forgot", data={
                "_csrf_token": token_of(form.text), "email": "veina0@example.org"}, follow_redirects=False)
            assert asked.status_code == 303 and asked.headers["location"] == "/account/login"
            assert run_async(outbox_rows(url)) == {"pending": 1}
            visitor.close()

            private_redis.start()  # empty: the prompt to send was never queued
            server.start_worker()
            settings = make_settings(server.data_dir, url, queue_immediate=False, queue_url=private_redis.url(1))
            run_async(Queue(settings, Registry(settings)).enqueue("core.send_outbox"))  # the minute's schedule
            wait_for(lambda: run_async(outbox_rows(url)) == {"sent": 1}, timeout=60, what="the reset mail sent")
            server.stop()
        [message] = inbox.messages()
        assert message["To"] == "veina0@example.org" and "/account/password/reset/" in message.get_content()
    finally:
        drop_database(url)
