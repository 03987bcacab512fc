"""Health checks, Prometheus metrics, structured logs and the security headers of every response."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("participa_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "participa_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LAST_BACKUP = Gauge(
    "participa_last_backup_success_timestamp_seconds", "When the newest successful backup finished (Unix time)",
    multiprocess_mode="max",
)
access_log = logging.getLogger("participa.access")


def metrics_payload() -> tuple[bytes, str]:
    """All processes' metrics when several workers share PROMETHEUS_MULTIPROC_DIR, else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsMiddleware(ASGIMiddleware):
    """Counts and times every request by route template (never by raw path: that would be unbounded)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        start = time.perf_counter()
        status, recorded = 500, False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            route = scope.get("path_template", "")
            elapsed = time.perf_counter() - start
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            access_log.info(
                "%s %s %s %.1fms", scope["method"], scope["path"], status, elapsed * 1000,
                extra={"method": scope["method"], "route": route, "path": scope["path"], "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the last byte leaves: a client that reads /metrics right after
                # its response must find that response counted.
                record()
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        except Exception as exc:
            if not recorded:
                # Raised by an inner middleware (an unknown host's 404): the exception handler
                # around this middleware answers with the exception's status, so count that.
                status = exc.status_code if isinstance(exc, HTTPException) else 500
            raise
        finally:
            record()


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(image_sources: Sequence[str] = ()) -> str:
    """The policy, letting images come from these origins too: a page showing a map sets it with the
    tile server's origin, which no other page needs."""
    if not image_sources:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", "img-src 'self' data: " + " ".join(image_sources))


async def security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook, so it covers every response, 404s and static files included.

    No inline scripts are allowed; cookies get ``Secure`` and browsers get HSTS whenever the
    request came over HTTPS, directly or from a trusted proxy.
    """
    if message["type"] != "http.response.start":
        return
    https = scope.get("scheme") == "https"
    headers: list[tuple[bytes, bytes]] = []
    for name, value in message.get("headers", []):
        if https and name.lower() == b"set-cookie" and b"secure" not in value.lower():
            value = value + b"; Secure"
        headers.append((name, value))
    present = {name.lower() for name, _ in headers}
    extra = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
    if https:
        extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    if any(name.lower() == b"content-security-policy" and b"frame-ancestors *" in value for name, value in headers):
        present.add(b"x-frame-options")  # an embed (core.embeds): other sites may frame it, on purpose
    headers += [(name, value) for name, value in extra if name not in present]
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]


class JSONFormatter(logging.Formatter):
    """One JSON object per line, with whatever ``extra`` fields the call passed."""

    RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
