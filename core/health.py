"""Operations endpoints: liveness, readiness and Prometheus metrics; none needs an organization."""

from __future__ import annotations

import logging

import anyio
from litestar import Request, get
from litestar.response import Response
from sqlalchemy import text

from core.backup import last_successful
from core.migrations import current_heads, pending
from core.observability import LAST_BACKUP, metrics_payload
from core.store import reachable as store_reachable

logger = logging.getLogger("participa")
OPS = {"permission": "public", "no_request_context": True, "skip_session": True, "exclude_from_csrf": True}


@get("/healthz", name="healthz", opt=OPS, include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is alive and answers."""
    return {"status": "ok"}


@get("/readyz", name="readyz", opt=OPS, include_in_schema=False)
async def readyz(request: Request) -> Response[dict[str, object]]:
    """Ready for traffic: the database answers, migrations are at head, and the queue and the shared
    store (sessions, rate limits: Redis when configured, else the database) are reachable."""
    state = request.app.state
    checks: dict[str, object] = {}
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            applied = await connection.run_sync(current_heads)
        checks["database"] = "ok"
        missing = pending(state.registry, applied)
        checks["migrations"] = "ok" if not missing else f"pending: {sorted(missing)}"
    except Exception as exc:  # a readiness probe reports failures, it does not raise them
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    reachable: dict[str, bool] = {}

    async def queue() -> None:
        # Blocking I/O: off the event loop.
        reachable["queue"] = await anyio.to_thread.run_sync(state.queue.reachable)

    async def store() -> None:
        reachable["store"] = await store_reachable(state.store)

    async with anyio.create_task_group() as group:  # side by side: a hung Redis costs one timeout
        group.start_soon(queue)
        group.start_soon(store)
    checks.update({name: "ok" if reachable[name] else "unreachable" for name in ("queue", "store")})
    ready = all(value == "ok" for value in checks.values())
    return Response({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)


@get("/metrics", name="metrics", opt=OPS, include_in_schema=False)
async def metrics(request: Request) -> Response[bytes]:
    """Request counts and latencies by route and the time of the last good backup (alert on its age)."""
    try:
        async with request.app.state.sessionmaker() as session:
            backup = await last_successful(session)
        if backup is not None and backup.finished_at is not None:
            LAST_BACKUP.set(backup.finished_at.timestamp())
    except Exception:  # metrics must answer even when the database does not; readyz reports that
        logger.warning("could not read the last backup for /metrics", exc_info=True)
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)
