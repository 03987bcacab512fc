"""Mail to account holders, written in their own language and sent by the worker."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request

from core.accounts.models import User
from core.i18n import current_locale, translated
from core.models import Organization


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
    """Queue a mail to ``user``; call it after the transaction that it talks about has committed."""
    subject_text, text = render_mail(request.app, request.state.organization, user, template, subject,
                                     str(request.base_url), **context)
    await request.app.state.queue.enqueue("core.send_mail", to=user.email, subject=subject_text, text=text)
