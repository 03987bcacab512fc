"""Sending mail: to an outbox folder on a laptop, over SMTP in production.

Handlers never send mail themselves; they enqueue ``core.send_mail`` after their
transaction commits, and the worker delivers it (retrying on failure).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core.settings import Settings


def build_message(settings: Settings, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="participa")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def deliver(settings: Settings, message: EmailMessage) -> str:
    """Hand one message to SMTP, or write it to the outbox folder; returns where it went."""
    if not settings.mail_url:
        outbox = settings.outbox_path
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{uuid.uuid4().hex}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        tmp.rename(path)  # readers never see half a message
        return str(path)
    url = urlsplit(settings.mail_url)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname or "localhost", port, context=ssl.create_default_context(), timeout=30)
    else:
        client = smtplib.SMTP(url.hostname or "localhost", port, timeout=30)
    with client:
        if url.scheme == "smtp" and "starttls" in (url.query or "") and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
    return f"{url.hostname}:{port}"


async def send_mail_task(ctx, to: str, subject: str, text: str, html: str | None = None,
                         headers: dict[str, str] | None = None) -> str:
    """Background task ``core.send_mail``."""
    return deliver(ctx.settings, build_message(ctx.settings, to, subject, text, html, headers))


def outbox_messages(folder: Path) -> list[EmailMessage]:
    """Messages written to the outbox folder, oldest first (for tests and `participa demo`)."""
    from email import policy
    from email.parser import BytesParser

    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in paths]  # type: ignore[misc]
