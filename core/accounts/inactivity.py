"""Accounts nobody uses: warned by mail, then deleted (anonymised) if the person does not come back.

A municipality should not keep personal data of people who left. After
``inactive_account_days`` without logging in (or since registering, for someone who never
logged in), the person is mailed: their account will be deleted in ``inactivity_warning_days``
days unless they log in. Logging in clears the warning (``services.authenticate``). When the time
is up the account is anonymised exactly like a deletion the person asks for
(``services.anonymise``): what they did still counts, nothing says who they were.

Left alone: managed participants (they have no e-mail and no login: staff at a desk act for
them), blocked people (deleting the row would let them register afresh) and people holding an
organization role (an organization must never lose its last administrator to a timer).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.accounts.models import User
from core.accounts.services import anonymise
from core.db import utcnow
from core.i18n import N_, current_locale, to_local, translated
from core.models import Organization
from core.notifications.mails import environment, locale_of, site_url
from core.roles import OrganizationRole
from core.uploads import storage

logger = logging.getLogger("participa.accounts")

BATCH = 200
SUBJECT = N_("Your account will be deleted")


def last_active(user: User) -> datetime:
    return user.last_login_at or user.created_at


def _candidates(now: datetime, days: int):
    """People of any organization who could be warned or deleted, oldest activity first."""
    return (
        select(User)
        .where(
            User.deleted_at.is_(None), User.blocked_at.is_(None), User.managed.is_(False),
            func.coalesce(User.last_login_at, User.created_at) < now - timedelta(days=days),
            ~exists().where(OrganizationRole.user_id == User.id),
        )
        .order_by(User.id)
    )


def warning_mail(settings: Any, registry: Any, organization: Organization, user: User, base_url: str,
                 deletion_on: datetime) -> tuple[str, str]:
    """(subject, text) of the warning, in the person's language."""
    env, catalogs = environment(settings, registry)
    locale = locale_of(user, organization)
    token = current_locale.set(locale)
    try:
        text = env.get_template("mails/inactivity_warning.txt").render(
            user=user, organization=organization, site_url=base_url,
            last_active=format_date(to_local(last_active(user), organization.time_zone), format="long", locale=locale),
            deletion_on=format_date(to_local(deletion_on, organization.time_zone), format="long", locale=locale),
        )
        return f"{translated(organization.name)}: {catalogs.gettext(SUBJECT)}", text
    finally:
        current_locale.reset(token)


async def warn(session: AsyncSession, settings: Any, registry: Any, now: datetime) -> int:
    """Mail everyone inactive for ``inactive_account_days`` and not yet warned; how many were warned."""
    deletion_on = now + timedelta(days=settings.inactivity_warning_days)
    users = (await session.scalars(
        _candidates(now, settings.inactive_account_days).where(User.inactivity_warned_at.is_(None)).limit(BATCH)
    )).all()
    organizations: dict[int, tuple[Organization, str]] = {}
    for user in users:
        if user.organization_id not in organizations:
            organization = await session.get(Organization, user.organization_id)
            organizations[user.organization_id] = (organization, await site_url(session, organization))
        organization, base_url = organizations[user.organization_id]
        subject, text = warning_mail(settings, registry, organization, user, base_url, deletion_on)
        # One warning per period of absence: the key holds the last activity it is about.
        await outbox.enqueue(session, key=f"inactivity:{user.id}:{last_active(user):%Y%m%d%H%M%S}",
                             organization_id=organization.id, user_id=user.id, to=user.email, subject=subject,
                             text=text)
        user.inactivity_warned_at = now
    return len(users)


async def delete_unreturned(session: AsyncSession, settings: Any, now: datetime) -> int:
    """Anonymise everyone warned ``inactivity_warning_days`` ago who has not logged in since."""
    users = (await session.scalars(
        _candidates(now, settings.inactive_account_days)
        .where(User.inactivity_warned_at <= now - timedelta(days=settings.inactivity_warning_days))
        .limit(BATCH)
    )).all()
    files = storage(settings)
    for user in users:
        await anonymise(session, user, files)
    return len(users)


async def inactive_accounts_task(ctx: Any) -> dict[str, int]:
    """Task ``core.inactive_accounts`` (daily): delete whom the time is up for, then warn the newly inactive.

    Batches of ``BATCH`` in their own transactions, until none is left, so a large backlog (the
    first run on an old install) neither holds one long transaction nor stops half-way for good.
    """
    settings = ctx.settings
    done = {"deleted": 0, "warned": 0}
    if not settings.inactive_account_days:
        return done
    now = utcnow()
    while True:
        async with ctx.sessionmaker.begin() as session:
            deleted = await delete_unreturned(session, settings, now)
        done["deleted"] += deleted
        if deleted < BATCH:
            break
    while True:
        async with ctx.sessionmaker.begin() as session:
            warned = await warn(session, settings, ctx.registry, now)
        done["warned"] += warned
        if warned < BATCH:
            break
    if done["warned"] and ctx.queue is not None:
        await ctx.queue.enqueue("core.send_outbox")
    if any(done.values()):
        logger.info("inactive accounts: %(warned)s warned, %(deleted)s deleted", done)
    return done
