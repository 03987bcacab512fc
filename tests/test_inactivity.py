"""Accounts nobody uses are warned by mail, then deleted unless the person comes back; the people an
organization cannot lose (administrators), cannot be mailed (managed participants) or has blocked
are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.accounts.models import User
from core.db import utcnow
from core.outbox import OutboxMessage
from core.plugins import Registry
from core.queue import Queue
from core.roles import grant_organization_role
from tests.conftest import make_settings, other_organization
from tests.test_accounts import make_user
from tests.test_notifications import log_in, translated_in

pytestmark = pytest.mark.mail  # real mail, caught by the inbox fixture's SMTP server


async def person(db, organization, nickname, days_away, *, logged_in=True, locale="ca", **fields) -> User:
    then = utcnow() - timedelta(days=days_away)
    return await make_user(db, organization, email=f"{nickname}@example.org", nickname=nickname, locale=locale,
                           name=nickname.capitalize(), created_at=then - timedelta(days=1),
                           last_login_at=then if logged_in else None, **fields)


async def state(db, user: User) -> User:
    return await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))


async def test_absent_people_are_warned_then_deleted_unless_they_come_back(app, client, demo, db, inbox):
    other = await other_organization(db)
    absent = await person(db, demo, "absent", 800, locale="es")
    returning = await person(db, demo, "returning", 800)
    never = await person(db, demo, "never", 800, logged_in=False)
    elsewhere = await person(db, other, "elsewhere", 800)
    recent = await person(db, demo, "recent", 10)
    admin = await person(db, demo, "chief", 800)
    await grant_organization_role(db, demo.id, admin.id, "admin")
    blocked = await person(db, demo, "blocked", 800, blocked_at=utcnow(), blocked_reason="spam")
    managed = await person(db, demo, "managed", 800, managed=True)
    await db.commit()
    queue = app.state.queue

    assert await queue.run_now("core.inactive_accounts") == {"deleted": 0, "warned": 4}
    warned = {message["To"]: message for message in inbox.messages()}
    assert set(warned) == {"absent@example.org", "returning@example.org", "never@example.org",
                           "elsewhere@example.org"}
    spanish = warned["absent@example.org"]
    assert translated_in(app, "es", "Your account will be deleted") in spanish["Subject"]
    assert "Vilademo" in spanish["Subject"] and "/account/login" in spanish.get_content()
    deletion_day = str((utcnow() + timedelta(days=app.state.settings.inactivity_warning_days)).year)
    assert deletion_day in spanish.get_content()
    assert "Altra Vila" in warned["elsewhere@example.org"]["Subject"]  # each in their own organization's name
    assert "altra.test" in warned["elsewhere@example.org"].get_content()

    # A second run the same day (or a retried task) warns nobody twice.
    assert await queue.run_now("core.inactive_accounts") == {"deleted": 0, "warned": 0}
    assert len(inbox.messages()) == 4
    assert await db.scalar(select(OutboxMessage.status).where(OutboxMessage.user_id == absent.id)) == "sent"

    await log_in(client, returning)  # coming back clears the warning
    assert (await state(db, returning)).inactivity_warned_at is None

    # The warning period passes.
    await db.execute(update(User).where(User.inactivity_warned_at.is_not(None))
                     .values(inactivity_warned_at=utcnow() - timedelta(days=31)))
    await db.commit()
    assert await queue.run_now("core.inactive_accounts") == {"deleted": 3, "warned": 0}
    for gone in (absent, never, elsewhere):
        gone = await state(db, gone)
        assert gone.deleted_at is not None and gone.email == f"deleted-{gone.id}@deleted.invalid" and gone.name == ""
    for kept in (returning, recent, admin, blocked, managed):
        kept = await state(db, kept)
        assert kept.deleted_at is None and kept.email == f"{kept.nickname}@example.org"
    assert len(inbox.messages()) == 4  # nobody is mailed about the deletion itself: the warning said it


async def test_an_install_may_keep_accounts_forever(tmp_path, database_url, demo, db, inbox):
    await person(db, demo, "absent", 5000)
    settings = make_settings(tmp_path / "keep", database_url, inactive_account_days=0,
                             mail_url=f"smtp://127.0.0.1:{inbox.port}")
    assert await Queue(settings, Registry(settings)).run_now("core.inactive_accounts") == {"deleted": 0, "warned": 0}
    assert inbox.messages() == []


async def test_warned_people_who_log_in_meanwhile_are_never_deleted_even_if_the_warning_was_not_cleared(
        app, demo, db, inbox):
    """Whatever path logged them in, recent activity alone keeps an account."""
    back = await person(db, demo, "back", 800)
    assert (await app.state.queue.run_now("core.inactive_accounts"))["warned"] == 1
    await db.execute(update(User).where(User.id == back.id).values(
        inactivity_warned_at=utcnow() - timedelta(days=40), last_login_at=utcnow() - timedelta(days=1)))
    await db.commit()
    assert await app.state.queue.run_now("core.inactive_accounts") == {"deleted": 0, "warned": 0}
    assert (await state(db, back)).deleted_at is None
