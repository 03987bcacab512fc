"""Scheduled newsletters: an admin chooses when a draft starts sending by itself, and can take it back.

Mail goes to a real SMTP server (the inbox fixture) and ``core.send_scheduled_newsletters`` runs
through the real queue, so a due newsletter is sent exactly as "send now" sends it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.adminlog import AdminLogEntry
from core.db import make_sessionmaker, utcnow
from core.i18n import to_local
from core.newsletters.models import Newsletter
from tests.conftest import OTHER_HOST
from tests.test_newsletters import admin, draft, mails_to, newsletter_row, post, reader  # noqa: F401
from tests.test_notifications import log_in

pytestmark = pytest.mark.mail


async def choose_everyone(client, newsletter) -> None:
    chosen = await post(client, f"/admin/newsletters/{newsletter.id}/recipients", kind="all")
    assert chosen.status_code == 303


async def schedule(client, newsletter, when):
    """Schedule for the instant ``when``, typed as the demo organization's wall-clock time (Europe/Madrid)."""
    base = f"/admin/newsletters/{newsletter.id}"
    local = to_local(when, "Europe/Madrid")
    return await post(client, f"{base}/confirm", f"{base}/schedule", date=local.date().isoformat(),
                      time=local.strftime("%H:%M"))


async def move_time_on(engine, newsletter) -> None:
    """As if its time had come: the schedule put a minute in the past."""
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(Newsletter).where(Newsletter.id == newsletter.id)
                              .values(scheduled_at=utcnow() - timedelta(minutes=1)))


async def test_a_scheduled_newsletter_is_sent_once_when_due_and_not_before(
        app, client, demo, db, engine, inbox, admin):  # noqa: F811
    rita = await reader(db, demo, "rita")
    marc = await reader(db, demo, "marc")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    when = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)

    scheduled = await schedule(client, newsletter, when)
    assert scheduled.status_code == 303
    assert scheduled.headers["location"] == f"/admin/newsletters/{newsletter.id}/confirm"
    page = await client.get(f"/admin/newsletters/{newsletter.id}/confirm")
    stamp = to_local(when, "Europe/Madrid").strftime("%Y-%m-%d %H:%M")
    assert f"Scheduled: it will be sent on {stamp} (Europe/Madrid)." in page.text
    assert f'action="/admin/newsletters/{newsletter.id}/unschedule"' in page.text
    listing = await client.get("/admin/newsletters")
    assert f"Scheduled for {stamp} (Europe/Madrid)" in listing.text
    row = await newsletter_row(engine, newsletter.id)
    assert row.scheduled_at == when and row.scheduled_by_id == admin.id and row.sent_at is None

    assert await app.state.queue.run_now("core.send_scheduled_newsletters") == 0  # not yet
    assert inbox.messages() == [] and (await newsletter_row(engine, newsletter.id)).sent_at is None

    await move_time_on(engine, newsletter)
    assert await app.state.queue.run_now("core.send_scheduled_newsletters") == 2
    assert await app.state.queue.run_now("core.send_scheduled_newsletters") == 0  # once only
    assert await app.state.queue.run_now("core.resume_newsletters") == 0
    mails = mails_to(inbox)
    assert sorted(mails) == sorted([rita.email, marc.email]) and all(len(m) == 1 for m in mails.values())
    sent = await newsletter_row(engine, newsletter.id)
    assert (sent.recipients_count, sent.sent_count) == (2, 2) and sent.completed_at is not None
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "newsletter.send"))
    assert entry.user_id == admin.id and entry.details["recipients"] == 2  # in the name of who scheduled it
    assert await db.scalar(select(AdminLogEntry.id).where(AdminLogEntry.action == "newsletter.schedule"))

    # Sent, it can be neither rescheduled nor unscheduled.
    again = await post(client, f"/admin/newsletters/{newsletter.id}",
                       f"/admin/newsletters/{newsletter.id}/unschedule")
    assert again.status_code == 303 and again.headers["location"] == f"/admin/newsletters/{newsletter.id}"
    assert len(inbox.messages()) == 2


async def test_a_date_in_the_past_or_a_wrong_time_is_refused_keeping_what_was_typed(
        app, client, demo, db, engine, admin):  # noqa: F811
    await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    base = f"/admin/newsletters/{newsletter.id}"

    past = await post(client, f"{base}/confirm", f"{base}/schedule", date="2020-03-15", time="09:30")
    assert past.status_code == 400 and 'role="alert"' in past.text
    assert "Choose a date and time still to come." in past.text
    assert 'value="2020-03-15"' in past.text and 'value="09:30"' in past.text
    wrong = await post(client, f"{base}/confirm", f"{base}/schedule", date="2099-03-15", time="25:99")
    assert wrong.status_code == 400 and "Enter a time as hours:minutes, for example 09:30." in wrong.text
    assert 'value="25:99"' in wrong.text and 'value="2099-03-15"' in wrong.text
    assert (await newsletter_row(engine, newsletter.id)).scheduled_at is None


async def test_an_unscheduled_newsletter_stays_a_draft_and_is_not_sent(
        app, client, demo, db, engine, inbox, admin):  # noqa: F811
    await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    assert (await schedule(client, newsletter, utcnow() + timedelta(hours=1))).status_code == 303

    base = f"/admin/newsletters/{newsletter.id}"
    stopped = await post(client, f"{base}/confirm", f"{base}/unschedule")
    assert stopped.status_code == 303
    page = await client.get(f"{base}/confirm")
    assert "The newsletter is not scheduled any more: it stays a draft." in page.text
    assert "Scheduled: it will be sent" not in page.text
    assert (await newsletter_row(engine, newsletter.id)).scheduled_at is None
    assert await app.state.queue.run_now("core.send_scheduled_newsletters") == 0
    assert inbox.messages() == [] and (await newsletter_row(engine, newsletter.id)).draft

    twice = await post(client, f"{base}/confirm", f"{base}/unschedule")
    assert twice.status_code == 303
    assert "not scheduled any more: it may have started sending" in (await client.get(base)).text
    assert await db.scalar(select(AdminLogEntry.id).where(AdminLogEntry.action == "newsletter.unschedule"))


async def test_a_due_newsletter_that_would_reach_nobody_goes_back_to_draft(
        app, client, demo, db, engine, inbox, admin):  # noqa: F811
    rita = await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    assert (await schedule(client, newsletter, utcnow() + timedelta(hours=1))).status_code == 303
    rita.newsletter_consent_at = None
    await db.commit()
    await move_time_on(engine, newsletter)

    assert await app.state.queue.run_now("core.send_scheduled_newsletters") == 0
    row = await newsletter_row(engine, newsletter.id)
    assert row.draft and row.scheduled_at is None and inbox.messages() == []


async def test_only_this_organizations_admins_schedule_its_newsletters(
        app, client, demo, db, engine, admin):  # noqa: F811
    await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    other = await client.post(f"/admin/newsletters/{newsletter.id}/schedule",
                              data={"date": "2099-01-01", "time": "10:00"}, headers={"host": OTHER_HOST},
                              follow_redirects=False)
    assert other.status_code in (302, 303, 403, 404)
    assert (await newsletter_row(engine, newsletter.id)).scheduled_at is None
