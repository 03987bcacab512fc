"""Mail to account holders, written in their own language and sent by the worker.

Account mails (confirmation, reset, invitation, e-mail change) go through the outbox like every
other mail to a person: the message is a database row before the visitor is told "it is on its
way", so a queue that is down (Redis unreachable) delays it by a minute at most instead of losing it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from litestar import Litestar, Request

from core import outbox
from core.accounts.models import User
from core.i18n import current_locale, translated
from core.models import Organization

logger = logging.getLogger("participa.mail")


def render_mail(app: Litestar, organization: Organization, user: User, template: str, subject: str,
                site_url: str, **context: Any) -> tuple[str, str]:
    """(subject, text) of ``mails/<template>.txt`` in the user's language."""
    token = current_locale.set(user.locale)
    try:
        text = app.template_engine.get_template(f"mails/{template}.txt").render(
            user=user, organization=organization, site_url=site_url.rstrip("/"), **context
        )
        return f"{translated(organization.name)}: {app.state.catalogs.gettext(subject)}", text
    finally:
        current_locale.reset(token)


async def send_to_user(request: Request, user: User, template: str, subject: str, **context: Any) -> None:
    """Mail ``user``; call it after the transaction that it talks about has committed."""
    subject_text, text = render_mail(request.app, request.state.organization, user, template, subject,
                                     str(request.base_url), **context)
    await write_to_outbox(request, user, template, to=user.email, subject=subject_text, text=text)


async def write_to_outbox(request: Request, user: User, template: str, *, to: str, subject: str, text: str) -> None:
    """Write the mail to the outbox in its own committed transaction, then ask a worker to send it now.

    Every message is a new one (a second reset link is a second mail), hence the random key.
    """
    db = request.state.db
    await outbox.enqueue(db, key=f"account:{template}:{user.id}:{secrets.token_hex(8)}",
                         organization_id=user.organization_id, user_id=user.id, to=to, subject=subject, text=text)
    await db.commit()
    try:
        await request.app.state.queue.enqueue("core.send_outbox")
    except Exception as exc:  # noqa: BLE001  (the row is committed: the worker's minute schedule sends it)
        logger.warning("queue unreachable, %s mail left to the outbox schedule: %s", template, exc)
