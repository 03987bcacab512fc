"""Mail to account holders, written in their own language and sent by the worker."""

from __future__ import annotations

from typing import Any

from litestar import Request

from core.accounts.models import User
from core.i18n import current_locale, translated


async def send_to_user(request: Request, user: User, template: str, subject: str, **context: Any) -> None:
    """Render ``mails/<template>.txt`` in the user's language and queue it.

    Call it after the transaction that the mail talks about has committed.
    """
    state = request.app.state
    organization = request.state.organization
    token = current_locale.set(user.locale)
    try:
        text = request.app.template_engine.get_template(f"mails/{template}.txt").render(
            user=user, organization=organization, site_url=str(request.base_url).rstrip("/"), **context
        )
        subject_text = f"{translated(organization.name)}: {state.catalogs.gettext(subject)}"
    finally:
        current_locale.reset(token)
    await state.queue.enqueue("core.send_mail", to=user.email, subject=subject_text, text=text)
