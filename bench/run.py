"""The proposals benchmark, in one command: ``.venv/bin/python -m bench.run``.

1. Generates the data with ``bench.generate`` unless a marker says it is there already.
2. Starts the real server (``bench.app``: uvicorn, as ``participa serve`` runs it) in a separate
   process on a free port, on the generated database.
3. For each scenario, drives it with N concurrent clients (httpx + asyncio, keep-alive connections,
   closed loop: each client sends its next request when the last one answered) for a warm-up, then
   for a fixed duration (longer if pages are too slow to fill it), and records requests per second,
   p50/p95/p99 latency and errors. The scenarios run with the page cache off (what rendering costs),
   then the index and page ones again, ``-cached``, on a server with it on as installed (``core.page_cache``).
4. Stops the server and replays each page in-process with a statement counter, for the number of
   SQL queries per page and the time spent in them.
5. Writes ``bench/results/<date>-<backend>[...].json`` and ``.md`` and checks the targets of the issue.

docs/performance.md explains the scenarios and the latest numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Self

import httpx
from sqlalchemy import event, select

from bench import generate
from bench.generate import ROOT, Sizes

RESULTS_DIR = ROOT / "bench" / "results"
SEED = 42
DEEP_PAGE = 2000
SAMPLE = 2000
"""Published proposals the proposal and support scenarios pick from."""
LOCALE_COOKIE = "participa_locale"
OK_FLASHES = ("Your support is counted.", "Your support is withdrawn.")
RATE_LIMITED = "Too many attempts"
LOGINS_AT_ONCE = 4
REQUEST_TIMEOUT = 120
"""Seconds a client waits for an answer; a slower one counts as an error (status 0)."""
MAX_WINDOW = 180
"""Seconds a measured window may stretch to when pages are so slow that few are answered."""
TARGETS = {"index_vs_floor": 0.5, "index_p95_ms": 50.0, "queries_per_page": 8}


# ------------------------------------------------------------------------------------ scenarios

@dataclass
class Scenario:
    name: str
    description: str
    group: str
    """"index", "floor", "page" or "support"."""
    path: Callable[[random.Random], str] | None = None
    cached: bool = False
    """Run against a server that keeps pages for anonymous visitors (``page_cache_seconds``, on by default);
    the other scenarios run with it off, so that they measure what rendering a page costs."""


def scenarios(marker: dict[str, Any], proposal_ids: list[int]) -> list[Scenario]:
    base, component_id = marker["path"], marker["component_id"]
    pages = max(1, marker["sizes"]["proposals"] // 20)
    deep = min(DEEP_PAGE, max(1, pages // 2))
    word = marker["search_word"]
    uncached = [
        Scenario("floor-recent", "floor: first page, most recent, one SQL query", "floor",
                 lambda rng: f"/bench/floor/{component_id}?order=recent"),
        Scenario("index-recent", "index: first page, most recent (`?order=recent`)", "index",
                 lambda rng: f"{base}/?order=recent"),
        Scenario("floor-random", "floor: first page, random order, seed 42", "floor",
                 lambda rng: f"/bench/floor/{component_id}?seed={SEED}"),
        Scenario("index-random", "index: first page, default random order, seed 42", "index",
                 lambda rng: f"{base}/?seed={SEED}"),
        Scenario("index-deep", f"index: page {deep}, random order, seed 42", "index",
                 lambda rng: f"{base}/?seed={SEED}&page={deep}"),
        Scenario("index-filtered", f"index: accepted and `q={word}`, random order", "index",
                 lambda rng: f"{base}/?state=accepted&q={word}&seed={SEED}"),
        Scenario("proposal", "proposal page, a random proposal each time", "page",
                 lambda rng: f"{base}/{rng.choice(proposal_ids)}"),
        Scenario("support", "support, then withdraw it (logged in; POST, then the page it redirects to)",
                 "support"),
    ]
    cached = [replace(scenario, name=f"{scenario.name}-cached", cached=True,
                      description=f"{scenario.description}, page cache on")
              for scenario in uncached if scenario.group in ("index", "page")]
    return uncached + cached


# ------------------------------------------------------------------------------------ the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m bench.app`` in its own process group, with only the settings given here."""

    def __init__(self, data_dir: Path, database_url: str, workers: int, module: str = "bench.app",
                 **settings: str) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.module = module
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("PARTICIPA_") and key != "PROMETHEUS_MULTIPROC_DIR"}
        self.env.update({
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PARTICIPA_DATA_DIR": str(data_dir), "PARTICIPA_DATABASE_URL": database_url,
            "PARTICIPA_SECRET_KEY": "bench-secret-" + "b" * 40, "PARTICIPA_LOG_JSON": "true",
            "PARTICIPA_LOG_LEVEL": "INFO",
        })
        self.env.update({f"PARTICIPA_{name.upper()}": value for name, value in settings.items() if value})
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"server did not answer /healthz:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server and its worker processes so far (Linux)."""
        if self.process is None:
            return 0.0
        pids, children = [self.process.pid], {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
        while pids:
            pid = pids.pop()
            pids += children.get(pid, [])
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    async def settle(self, limit: float = 180) -> None:
        """Wait until the server has finished what the last scenario left (requests whose clients gave up
        keep running), so it does not slow the next one down."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            await asyncio.sleep(1)
            if self.cpu_seconds() - before < 0.05:
                return

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


# ------------------------------------------------------------------------------------ measuring

@dataclass
class Sample:
    started: float
    finished: float
    status: int
    ok: bool
    outcome: str = ""
    follow_up_ms: float | None = None


@dataclass
class Recorder:
    """Every answered request: when it started and finished, and how it went."""

    samples: list[Sample] = field(default_factory=list)

    def record(self, started: float, status: int, ok: bool, outcome: str = "",
               follow_up_ms: float | None = None, finished: float | None = None) -> None:
        self.samples.append(Sample(started, finished or time.perf_counter(), status, ok, outcome, follow_up_ms))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of the values (milliseconds in, milliseconds out)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


async def drive(workers: list[Callable[[Recorder], Awaitable[None]]], warmup: float, duration: float,
                server: Server, at_least: int) -> dict[str, Any]:
    """Run every worker in a closed loop; summarise the requests answered inside the measured window.

    The window opens after the warm-up and lasts ``duration`` seconds, longer if fewer than
    ``at_least`` requests were answered by then (pages that take seconds), up to MAX_WINDOW.
    """
    recorder = Recorder()
    start = time.perf_counter()
    measure_from = start + warmup
    window = {"end": measure_from + duration}
    marks: list[float] = []

    def answered() -> int:
        return sum(1 for sample in recorder.samples if sample.finished >= measure_from)

    async def loop(worker: Callable[[Recorder], Awaitable[None]]) -> None:
        while time.perf_counter() < window["end"]:
            await worker(recorder)

    async def watch() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        marks.extend([server.cpu_seconds(), time.process_time()])
        await asyncio.sleep(max(0.0, window["end"] - time.perf_counter()))
        while answered() < at_least and time.perf_counter() < measure_from + MAX_WINDOW:
            window["end"] = time.perf_counter() + 1
            await asyncio.sleep(1)
        window["end"] = time.perf_counter()
        marks.extend([server.cpu_seconds(), time.process_time()])

    await asyncio.gather(watch(), *(loop(worker) for worker in workers))
    elapsed = window["end"] - measure_from
    samples = [sample for sample in recorder.samples if measure_from <= sample.finished <= window["end"]]
    latencies = [(sample.finished - sample.started) * 1000 for sample in samples]
    statuses = Counter(sample.status for sample in samples)
    summary = {
        "requests": len(samples), "seconds": round(elapsed, 1), "rps": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies, default=float("nan")), 1),
        "errors": sum(not sample.ok for sample in samples),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "server_cpu_pct": round(100 * (marks[2] - marks[0]) / elapsed),
        "client_cpu_pct": round(100 * (marks[3] - marks[1]) / elapsed),
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }
    if any(sample.outcome for sample in samples):
        follow_ups = [sample.follow_up_ms for sample in samples if sample.follow_up_ms is not None]
        summary["outcomes"] = dict(Counter(sample.outcome for sample in samples))
        summary["follow_up_p50_ms"] = round(percentile(follow_ups, 50), 1)
        summary["follow_up_p95_ms"] = round(percentile(follow_ups, 95), 1)
    return summary


def _client(server: Server, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=1),
                             **kwargs)


def get_worker(client: httpx.AsyncClient, scenario: Scenario, rng: random.Random) -> Callable:
    async def worker(recorder: Recorder) -> None:
        path = scenario.path(rng)  # type: ignore[misc]
        started = time.perf_counter()
        try:
            status = (await client.get(path)).status_code
        except httpx.HTTPError:
            status = 0
        recorder.record(started, status, status == 200)

    return worker


CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
FLASH = re.compile(r'<div class="flash" role="status">\s*<p>([^<]*)</p>')


class Supporter:
    """A logged-in person who supports a proposal, then withdraws the support, over and over."""

    def __init__(self, server: Server, email: str, password: str) -> None:
        self.client = _client(server, cookies={LOCALE_COOKIE: "en"})  # flash messages in English
        self.email, self.password = email, password
        self.token = ""
        self.supporting: int | None = None

    async def log_in(self) -> None:
        page = await self.client.get("/account/login")
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await self.client.post("/account/login", data={
            "email": self.email, "password": self.password, "_csrf_token": token})
        if response.status_code != 303:
            raise SystemExit(f"bench.run: {self.email} could not log in ({response.status_code})")
        self.token = token

    async def act(self, recorder: Recorder, base: str, rng: random.Random, proposal_ids: list[int]) -> None:
        """One action: POST support (or unsupport), then GET the page it redirects to, as a browser does.

        The POST is what is timed; the flash message on the page says whether the action was taken.
        """
        proposal_id = self.supporting or rng.choice(proposal_ids)
        action = "unsupport" if self.supporting else "support"
        started = time.perf_counter()
        try:
            response = await self.client.post(f"{base}/{proposal_id}/{action}", data={
                "_csrf_token": self.token, "next": f"{base}/{proposal_id}"})
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        finished = time.perf_counter()
        outcome, follow_up = "error", None
        if status == 303:
            try:
                page = await self.client.get(response.headers["location"])
            except httpx.HTTPError:
                page = httpx.Response(0)
            follow_up = (time.perf_counter() - finished) * 1000
            flash = FLASH.search(page.text)
            message = flash.group(1) if flash else ""
            if message in OK_FLASHES:
                outcome = "ok"
                self.supporting = None if self.supporting else proposal_id
            else:
                outcome = "rate_limited" if message.startswith(RATE_LIMITED) else f"refused: {message or page.status_code}"
            if token := CSRF.search(page.text):
                self.token = token.group(1)
        recorder.record(started, status, status == 303, outcome, follow_up, finished)


async def support_workers(server: Server, marker: dict[str, Any], clients: int, per_client: int,
                          proposal_ids: list[int]) -> tuple[list[Callable], list[Supporter]]:
    """Log the supporters in through the real login form; each virtual client takes turns with its own.

    They are the people the generator reserved (they support nothing), so no action collides with a
    generated support.
    """
    sizes = Sizes(**marker["sizes"])
    first = sizes.users - sizes.reserved
    per_client = max(1, min(per_client, sizes.reserved // clients))
    supporters = [Supporter(server, f"veina{first + index}@bench.participa.test", marker["password"])
                  for index in range(clients * per_client)]
    # A few at a time: logging in is setup, not measured, and argon2 is slow on purpose.
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def log_in(supporter: Supporter) -> None:
        async with gate:
            await supporter.log_in()

    await asyncio.gather(*(log_in(supporter) for supporter in supporters))
    workers = []
    for number in range(clients):
        mine = supporters[number * per_client:(number + 1) * per_client]
        rng = random.Random(number)
        turn = [0]

        async def worker(recorder: Recorder, mine=mine, rng=rng, turn=turn) -> None:
            supporter = mine[turn[0] % len(mine)]
            if supporter.supporting is None:
                turn[0] += 1  # the next person's turn once this one has withdrawn
            await supporter.act(recorder, marker["path"], rng, proposal_ids)

        workers.append(worker)
    return workers, supporters


async def run_load(server: Server, marker: dict[str, Any], chosen: list[Scenario], proposal_ids: list[int],
                   args: argparse.Namespace, echo: Callable[[str], None]) -> list[dict[str, Any]]:
    results = []
    for scenario in chosen:
        await server.settle()
        if scenario.group == "support":
            workers, supporters = await support_workers(server, marker, args.clients, args.support_users,
                                                        proposal_ids)
            summary = await drive(workers, args.warmup, args.duration, server, at_least=args.clients)
            # Leave the data as generated: withdraw what is still supported.
            for supporter in supporters:
                if supporter.supporting:
                    await supporter.act(Recorder(), marker["path"], random.Random(0), proposal_ids)
                await supporter.client.aclose()
            summary["people"] = len(supporters)
        else:
            clients = [_client(server) for _ in range(args.clients)]
            workers = [get_worker(client, scenario, random.Random(number)) for number, client in enumerate(clients)]
            summary = await drive(workers, args.warmup, args.duration, server, at_least=args.clients)
            for client in clients:
                await client.aclose()
        summary = {"name": scenario.name, "description": scenario.description, "group": scenario.group, **summary}
        results.append(summary)
        extra = f" outcomes {summary['outcomes']}" if "outcomes" in summary else ""
        echo(f"  {scenario.name:15} {summary['rps']:8.1f} req/s  p50 {summary['p50_ms']:7.1f}  "
             f"p95 {summary['p95_ms']:7.1f}  p99 {summary['p99_ms']:7.1f} ms  errors {summary['errors']}  "
             f"server CPU {summary['server_cpu_pct']}%  load {summary['loadavg_1m']}{extra}")
    return results


# ------------------------------------------------------------------------------------ queries per page

class Statements:
    """Counts and times the statements an engine runs while active."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.timings: list[tuple[float, str]] = []
        self._started = 0.0

    def _before(self, *args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.timings.append(((time.perf_counter() - self._started) * 1000, statement))

    def __enter__(self) -> Self:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


async def count_queries(settings: Any, marker: dict[str, Any], chosen: list[Scenario], proposal_ids: list[int],
                        profile_dir: Path | None, echo: Callable[[str], None]) -> dict[str, Any]:
    """Each page in-process, once to warm up and five times counted; anonymous, then logged in.

    The proposal page is the one with the most comments: the comment thread's queries are then all
    there (a proposal without comments needs two fewer).
    """
    from litestar.testing import AsyncTestClient

    from bench.app import create_bench_app

    app = create_bench_app(settings)
    engine = app.state.engine
    results: dict[str, Any] = {}
    rng = random.Random(SEED)
    base = marker["path"]
    busiest = await most_commented(engine, marker["component_id"]) or proposal_ids[0]
    pages = [(scenario.name, f"{base}/{busiest}" if scenario.group == "page" else scenario.path(rng))  # type: ignore[misc]
             for scenario in chosen if scenario.path and not scenario.cached]
    async with AsyncTestClient(app=app, base_url=f"http://{marker['host']}") as client:

        async def measure(name: str, send: Callable[[], Awaitable[httpx.Response]], expected: int = 200,
                          method: str = "GET") -> None:
            await send()
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                with Statements(engine) as statements:
                    response = await send()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != expected:
                    raise SystemExit(f"bench.run: {name} answered {response.status_code} in-process")
                runs.append((sum(ms for ms, _ in statements.timings), elapsed, statements.timings))
            sql_ms, request_ms, timings = sorted(runs, key=lambda run: run[1])[2]  # the median request
            slowest = max(timings, default=(0.0, ""))
            results[name] = {
                "method": method, "queries": max(len(run[2]) for run in runs), "sql_ms": round(sql_ms, 1),
                "request_ms": round(request_ms, 1), "slowest_ms": round(slowest[0], 1),
                "slowest_sql": " ".join(slowest[1].split())[:300],
                "statements": [f"{ms:.1f} ms: {' '.join(sql.split())[:160]}" for ms, sql in timings],
            }
            if profile_dir is not None:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(20):
                    await send()
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
                profile_dir.mkdir(parents=True, exist_ok=True)
                (profile_dir / f"{name.split()[0]}{'-user' if '(' in name else ''}.txt").write_text(out.getvalue())
            echo(f"  {name:26} {results[name]['queries']} queries, {results[name]['sql_ms']:7.1f} ms of SQL, "
                 f"{results[name]['request_ms']:7.1f} ms in all")

        for name, path in pages:
            await measure(name, lambda path=path: client.get(path))
        # Logged in: the index and a proposal page as a person sees them, and the support action.
        email = f"veina{marker['sizes']['users'] - 1}@bench.participa.test"
        login = await client.get("/account/login")
        response = await client.post("/account/login", data={
            "email": email, "password": marker["password"], "_csrf_token": CSRF.search(login.text).group(1)},
            follow_redirects=False)
        assert response.status_code == 303, response.status_code
        await measure("index-recent (logged in)", lambda: client.get(f"{base}/?order=recent"))
        proposal_id = busiest
        await measure("proposal (logged in)", lambda: client.get(f"{base}/{proposal_id}"))
        token = CSRF.search((await client.get(f"{base}/{proposal_id}")).text).group(1)
        state = {"supporting": False}

        async def toggle() -> httpx.Response:
            action = "unsupport" if state["supporting"] else "support"
            response = await client.post(f"{base}/{proposal_id}/{action}", data={"_csrf_token": token},
                                         follow_redirects=False)
            state["supporting"] = not state["supporting"]
            return response

        await measure("support or withdraw (POST)", toggle, expected=303, method="POST")
        if state["supporting"]:
            await toggle()
    await engine.dispose()
    return results


# ------------------------------------------------------------------------------------ results

def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}


def check_targets(load: list[dict[str, Any]], queries: dict[str, Any], backend: str, clients: int) -> list[dict]:
    by_name = {item["name"]: item for item in load}
    checks = []
    for order in ("recent", "random"):
        index, floor = by_name.get(f"index-{order}"), by_name.get(f"floor-{order}")
        if index and floor:
            ratio = index["rps"] / floor["rps"] if floor["rps"] else 0.0
            checks.append({"target": f"index-{order} throughput >= {TARGETS['index_vs_floor']:.0%} of floor-{order}",
                           "value": f"{ratio:.0%}", "met": ratio >= TARGETS["index_vs_floor"]})
    if backend == "sqlite" and clients == 16:
        for item in load:
            if item["group"] == "index":
                checks.append({"target": f"{item['name']} p95 < {TARGETS['index_p95_ms']:.0f} ms (16 clients, SQLite)",
                               "value": f"{item['p95_ms']} ms", "met": item["p95_ms"] < TARGETS["index_p95_ms"]})
    for name, item in queries.items():
        if item.get("method", "GET") != "GET":
            continue  # the limit is for pages; actions are reported, not checked
        checks.append({"target": f"{name}: at most {TARGETS['queries_per_page']} SQL queries",
                       "value": str(item["queries"]), "met": item["queries"] <= TARGETS["queries_per_page"]})
    return checks


def markdown(result: dict[str, Any]) -> str:
    sizes, settings, host = result["sizes"], result["settings"], result["machine"]
    lines = [
        f"# Proposals benchmark, {result['date']}, {result['backend']}",
        "",
        (f"Data: {sizes['proposals']:,} proposals, {sizes['supports']:,} supports, {sizes['comments']:,} comments, "
        f"{sizes['users']:,} people. Load: {settings['clients']} clients, {settings['warmup']} s warm-up then "
        f"{settings['duration']} s per scenario, {settings['workers']} server process(es)"
        f"{', sessions in Redis' if settings['redis'] else ''}. Machine: {host['cpus']} CPUs ({host['cpu']}), "
        f"Python {host['python']}, {host.get('database', 'SQLite ' + host['sqlite'])}."),
        "",
        "| Scenario | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in result["load"]:
        lines.append(f"| {item['description']} | {item['rps']} | {item['p50_ms']} | {item['p95_ms']} | "
                     f"{item['p99_ms']} | {item['errors']} | {item['server_cpu_pct']}% | {item['loadavg_1m']} |")
    support = next((item for item in result["load"] if item["group"] == "support" and item["requests"]), None)
    if support:
        lines += ["", (f"Support: {support['people']} people; outcomes {support['outcomes']}; the page after the "
                      f"redirect took p50 {support['follow_up_p50_ms']} ms, p95 {support['follow_up_p95_ms']} ms "
                      "(not in the latencies above).")]
    lines += ["", "| Page (in-process, one request) | SQL queries | SQL ms | request ms | slowest statement ms |",
              "|---|---:|---:|---:|---:|"]
    for name, item in result["queries"].items():
        lines.append(f"| {name} | {item['queries']} | {item['sql_ms']} | {item['request_ms']} | {item['slowest_ms']} |")
    lines += ["", "| Target | Value | Met |", "|---|---:|:---:|"]
    for check in result["targets"]:
        lines.append(f"| {check['target']} | {check['value']} | {'yes' if check['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ the command

async def most_commented(engine: Any, component_id: int) -> int:
    """The published proposal with the most comments."""
    from sqlalchemy import func

    from core.comments.models import Comment
    from plugins.proposals.models import Proposal

    async with engine.connect() as connection:
        return await connection.scalar(
            select(Proposal.id).join(Comment, (Comment.resource_id == Proposal.id)
                                     & (Comment.resource_type == generate.RESOURCE_TYPE))
            .where(Proposal.component_id == component_id, Proposal.state == "published")
            .group_by(Proposal.id).order_by(func.count(Comment.id).desc(), Proposal.id).limit(1))


async def database_version(database_url: str) -> str:
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                return "PostgreSQL " + (await connection.scalar(text("SHOW server_version"))).split()[0]
            return "SQLite " + await connection.scalar(text("SELECT sqlite_version()"))
    finally:
        await engine.dispose()


async def published_ids(database_url: str, component_id: int, count: int = SAMPLE) -> list[int]:
    from core.db import make_engine
    from plugins.proposals.models import Proposal

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            ids = list((await connection.scalars(select(Proposal.id).where(
                Proposal.component_id == component_id, Proposal.state == "published"))).all())
    finally:
        await engine.dispose()
    return random.Random(SEED).sample(ids, min(count, len(ids)))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    generate.add_size_options(parser)
    parser.add_argument("--regenerate", action="store_true", help="Generate the data even if it is there.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients.")
    parser.add_argument("--duration", type=float, default=20, help="Measured seconds per scenario.")
    parser.add_argument("--warmup", type=float, default=3, help="Unmeasured seconds before each scenario.")
    parser.add_argument("--workers", type=int, default=1, help="Server processes (participa serve --workers).")
    parser.add_argument("--redis-url", default="", help="PARTICIPA_REDIS_URL of the server (sessions, limits).")
    parser.add_argument("--support-users", type=int, default=10,
                        help="People each client takes turns with in the support scenario (60 supports a minute "
                             "each is the platform's limit).")
    parser.add_argument("--scenarios", default="", help="Comma-separated names; default: all.")
    parser.add_argument("--app-module", default="bench.app",
                        help="Module run as the server (python -m MODULE --port P --workers N): to measure a "
                             "candidate change without touching the product; it must end by calling "
                             "bench.app.main().")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile 20 in-process requests per page into <data dir>/profiles/.")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-results", action="store_true", help="Print only; write nothing to the results folder.")
    return parser


async def main_async(args: argparse.Namespace, echo: Callable[[str], None] = print) -> dict[str, Any]:
    sizes = generate.sizes_of(args)
    data_dir = args.data_dir.resolve()
    database_url = generate.database_url_of(args, sizes)
    backend = generate.backend_of(database_url)
    marker = None if args.regenerate else generate.read_marker(data_dir, database_url)
    if marker is not None and marker["sizes"] != asdict(sizes):
        marker = None
    proposal_ids: list[int] = []
    if marker is not None:
        echo(f"bench.run: reusing {marker['database_url']} (generated {marker['generated_at']})")
        try:
            await generate.upgrade(database_url, data_dir)
            proposal_ids = await published_ids(database_url, marker["component_id"])
        except Exception as error:  # noqa: BLE001 - e.g. a migration rewritten since: the data is worthless
            echo(f"bench.run: cannot migrate the data ({type(error).__name__})")
        if len(proposal_ids) < min(SAMPLE, sizes.proposals // 2):
            echo("bench.run: the data is not usable as it is; generating it again")
            marker = None
    if marker is None:
        marker = await generate.generate(database_url, sizes, data_dir, echo=echo)
        proposal_ids = await published_ids(database_url, marker["component_id"])
    chosen = scenarios(marker, proposal_ids)
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        chosen = [scenario for scenario in chosen if scenario.name in wanted]
    install_dir = data_dir / f"install-{backend}"
    load = []
    for cached in (False, True):
        group = [scenario for scenario in chosen if scenario.cached == cached]
        if not group:
            continue
        server = Server(install_dir, database_url, args.workers, args.app_module, redis_url=args.redis_url,
                        page_cache_seconds="" if cached else "0")
        echo(f"bench.run: server on {database_url.split('://')[0]}, {args.workers} process(es), "
             f"page cache {'on (the default)' if cached else 'off'}, "
             f"{args.clients} clients, {args.warmup:g}+{args.duration:g} s per scenario")
        server.start()
        try:
            load += await run_load(server, marker, group, proposal_ids, args, echo)
        finally:
            server.stop()
    echo("bench.run: SQL per page, in-process (page cache off: every request renders)")
    settings = generate.bench_settings(install_dir, database_url, redis_url=args.redis_url, page_cache_seconds=0)
    queries = await count_queries(settings, marker, chosen, proposal_ids,
                                  data_dir / "profiles" if args.profile else None, echo)
    result = {
        "date": date.today().isoformat(), "backend": backend, "sizes": vars(sizes),
        "machine": {**machine(), "database": await database_version(database_url)},
        "settings": {"clients": args.clients, "duration": args.duration, "warmup": args.warmup,
                     "workers": args.workers, "redis": bool(args.redis_url), "support_users": args.support_users},
        "load": load, "queries": queries,
    }
    result["targets"] = check_targets(load, queries, backend, args.clients)
    report = markdown(result)
    echo("")
    echo(report)
    if not args.no_results:
        name = "-".join(filter(None, [
            result["date"], backend, "redis" if args.redis_url else "", f"{args.workers}w" if args.workers > 1 else "",
            "" if sizes == generate.FULL else sizes.name, "partial" if args.scenarios else "",
        ]))
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        (args.results_dir / f"{name}.md").write_text(report)
        echo(f"bench.run: wrote {args.results_dir / name}.json and .md")
    return result


def main() -> None:
    args = parser().parse_args()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(main_async(args))
    else:
        uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
