"""Notification texts and mails, written in the language of the person they are for.

Mails are rendered by the worker, which has no request: the templates and catalogs are built
once per registry, links point at the organization's main host, and every mail carries a
signed unsubscribe link that works without logging in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import weakref
from collections.abc import Callable
from typing import Any

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.events import Event
from core.i18n import N_, Catalogs, current_locale, translated
from core.models import Organization, OrganizationHost
from core.settings import LOCALES, Settings, stored_secret

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
SOMEONE = N_("Someone")

_environments: weakref.WeakKeyDictionary[Any, tuple[Environment, Catalogs]] = weakref.WeakKeyDictionary()


def environment(settings: Settings, registry: Any) -> tuple[Environment, Catalogs]:
    """The theme's templates and the catalogs of core and every enabled plugin, built once per registry."""
    if registry not in _environments:
        from core.app import CORE_LOCALE, template_environment  # the app module imports this one

        catalogs = Catalogs([CORE_LOCALE] + [folder for _, folder in registry.folders("locale")])
        _environments[registry] = (template_environment(settings, registry, catalogs), catalogs)
    return _environments[registry]


class _Values(dict):
    """Placeholders the data does not give are left empty rather than breaking the text."""

    def __missing__(self, key: str) -> str:
        return ""


def notification_text(gettext: Callable[[str], str], event: Event, actor_name: str | None) -> str:
    """The text of an event's notification in the current language (``gettext`` translates)."""
    values = _Values({key: translated(value) if isinstance(value, dict) else ("" if value is None else value)
                      for key, value in (event.data or {}).items()})
    values["resource"] = translated(event.resource_title)
    values["actor"] = actor_name or gettext(SOMEONE)
    text = gettext(event.message)
    try:
        return text % values if "%(" in text else text
    except (KeyError, TypeError, ValueError):  # a stray % or a broken translation must not hide it
        return text


def locale_of(user: User, organization: Organization) -> str:
    """The person's language when the organization offers it, else the organization's."""
    if user.locale in organization.available_locales and user.locale in LOCALES:
        return user.locale
    return organization.default_locale


async def site_url(session: AsyncSession, organization: Organization) -> str:
    """The organization's address for links in mail: its main host, over HTTPS except on a laptop."""
    hosts = (await session.scalars(
        select(OrganizationHost).where(OrganizationHost.organization_id == organization.id)
        .order_by(OrganizationHost.is_main.desc(), OrganizationHost.id)
    )).all()
    host = hosts[0].host if hosts else "localhost"
    scheme = "http" if host in LOOPBACK_HOSTS else "https"
    return f"{scheme}://[{host}]" if ":" in host else f"{scheme}://{host}"


# ---------------------------------------------------------------- unsubscribe links


def _secret(settings: Settings) -> bytes:
    return (settings.secret_key or stored_secret(settings.data_path)).encode()


def _signature(settings: Settings, organization_id: int, user_id: int, purpose: str) -> str:
    # The purpose is part of what is signed: this signature unlocks nothing but this one page.
    message = f"participa:unsubscribe-{purpose}:{organization_id}:{user_id}".encode()
    digest = hmac.new(_secret(settings), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def unsubscribe_token(settings: Settings, organization_id: int, user_id: int,
                      purpose: str = "notifications") -> str:
    """A token for the unsubscribe page of this person in this organization; it does not expire.

    ``purpose`` ("notifications", "newsletter") is signed too: a token stops one kind of mail only.
    """
    return f"{user_id}-{_signature(settings, organization_id, user_id, purpose)}"


def unsubscribe_user_id(settings: Settings, organization_id: int, token: str,
                        purpose: str = "notifications") -> int | None:
    """The person a token was made for in this organization and purpose, or None for a forged or foreign one."""
    user_part, _, signature = token.partition("-")
    if not user_part.isdigit() or len(user_part) > 18:
        return None
    user_id = int(user_part)
    expected = _signature(settings, organization_id, user_id, purpose)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    return user_id


# ---------------------------------------------------------------- mails


def render_mail(settings: Settings, registry: Any, organization: Organization, user: User, template: str,
                subject: str, base_url: str, items: list[tuple[Event, str | None]],
                **context: Any) -> tuple[str, str, dict[str, str]]:
    """(subject, text, headers) of ``mails/<template>.txt`` in the person's language.

    ``items`` are (event, actor name) pairs, given to the template as ``notifications`` (text,
    title and link each); the unsubscribe link goes in the text and in ``List-Unsubscribe``.
    """
    env, catalogs = environment(settings, registry)
    unsubscribe_url = f"{base_url}/notifications/unsubscribe/{unsubscribe_token(settings, organization.id, user.id)}"
    token = current_locale.set(locale_of(user, organization))
    try:
        notifications = [
            {"text": notification_text(catalogs.gettext, event, actor), "title": translated(event.resource_title),
             "url": base_url + event.resource_path}
            for event, actor in items
        ]
        text = env.get_template(f"mails/{template}.txt").render(
            user=user, organization=organization, site_url=base_url, unsubscribe_url=unsubscribe_url,
            notifications=notifications, **context,
        )
        subject_text = f"{translated(organization.name)}: {catalogs.gettext(subject)}"
    finally:
        current_locale.reset(token)
    return subject_text, text, {"List-Unsubscribe": f"<{unsubscribe_url}>"}


def event_title(registry: Any, event: Event) -> str:
    """The untranslated title of an event's type (its mail's subject); the message when its plugin is gone."""
    declared = registry.event_types
    return declared[event.event_type].title if event.event_type in declared else event.message
