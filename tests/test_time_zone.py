"""Each organization has a time zone: instants are stored in UTC, shown and typed as its wall-clock time, and
"today" (for phases, which have dates without a time) is the day it is where its people live."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from click.testing import CliRunner
from markupsafe import escape
from sqlalchemy import select

from core.adminlog import AdminLogEntry
from core.cli import main
from core.i18n import canonical_time_zone, format_datetime, from_local, local_today, to_local
from core.models import Organization, Phase
from core.routes import open_on
from tests.conftest import run_async
from tests.test_accounts import csrf
from tests.test_newsletter_scheduling import choose_everyone
from tests.test_newsletters import admin, draft, newsletter_row, post, reader  # noqa: F401
from tests.test_notifications import log_in, translated_in
from tests.test_organizations import CREATE, cli_env, load
from tests.test_system import organization_by_slug, organization_fields, root, system_login  # noqa: F401

MADRID, CANARY = "Europe/Madrid", "Atlantic/Canary"


# ---------------------------------------------------------------- converting


def test_a_wall_clock_time_is_stored_in_utc_whatever_the_season():
    assert from_local(date(2030, 1, 15), time(10, 0), MADRID) == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    assert from_local(date(2030, 7, 15), time(10, 0), MADRID) == datetime(2030, 7, 15, 8, 0, tzinfo=UTC)
    assert from_local(date(2030, 1, 15), time(10, 0), CANARY) == datetime(2030, 1, 15, 10, 0, tzinfo=UTC)
    # 02:30 does not exist the day clocks jump to 03:00 (last Sunday of March): it is 03:30 summer time.
    spring = from_local(date(2030, 3, 31), time(2, 30), MADRID)
    assert spring == datetime(2030, 3, 31, 1, 30, tzinfo=UTC) and to_local(spring, MADRID).strftime("%H:%M") == "03:30"
    # Shown back as it was typed.
    assert format_datetime(datetime(2030, 7, 15, 8, 0, tzinfo=UTC), time_zone=MADRID) == "2030-07-15 10:00"
    assert format_datetime(datetime(2030, 7, 15, 8, 0, tzinfo=UTC), time_zone=CANARY) == "2030-07-15 09:00"


def test_today_is_the_organizations_day_around_midnight():
    late = datetime(2027, 3, 14, 23, 30, tzinfo=UTC)  # 00:30 on the 15th in Madrid, 23:30 on the 14th in the Canaries
    assert local_today(MADRID, now=late) == date(2027, 3, 15)
    assert local_today(CANARY, now=late) == date(2027, 3, 14)
    summer = datetime(2027, 7, 14, 22, 30, tzinfo=UTC)  # 00:30 in Madrid (UTC+2), 23:30 in the Canaries (UTC+1)
    assert local_today(MADRID, now=summer) == date(2027, 7, 15)
    assert local_today(CANARY, now=summer) == date(2027, 7, 14)

    # A phase ending on the 14th is still open in the Canaries at that moment, and closed in Madrid.
    phase = Phase(start_date=date(2027, 3, 1), end_date=date(2027, 3, 14))
    assert not open_on(phase, local_today(MADRID, now=late))
    assert open_on(phase, local_today(CANARY, now=late))
    assert open_on(Phase(start_date=date(2027, 3, 15), end_date=None), local_today(MADRID, now=late))
    assert not open_on(Phase(start_date=date(2027, 3, 15), end_date=None), local_today(CANARY, now=late))
    assert not open_on(None, date(2027, 3, 14))


def test_time_zone_names_are_iana_names_whatever_their_capitals():
    assert canonical_time_zone("europe/madrid") == MADRID
    assert canonical_time_zone(" Atlantic/Canary ") == CANARY
    assert canonical_time_zone("Europe/Madird") is None and canonical_time_zone("") is None


# ---------------------------------------------------------------- display


async def test_the_same_stored_time_shows_an_hour_earlier_in_the_canaries(app, client, demo, db, admin):  # noqa: F811
    """An admin log entry written at 23:30 UTC in winter: 00:30 the next day in Madrid, 23:30 in the Canaries."""
    stored = datetime(2027, 1, 15, 23, 30, tzinfo=UTC)
    db.add(AdminLogEntry(organization_id=demo.id, user_id=admin.id, user_name="Rosa Admin",
                         action="organization.settings", created_at=stored))
    organization = await db.get(Organization, demo.id)
    assert organization.time_zone == MADRID  # the default
    await db.commit()
    await log_in(client, admin)
    madrid = await client.get("/admin/log")
    assert "2027-01-16 00:30" in madrid.text and 'datetime="2027-01-15T23:30:00+00:00"' in madrid.text

    organization.time_zone = CANARY
    await db.commit()
    canary = await client.get("/admin/log")
    assert "2027-01-15 23:30" in canary.text and "2027-01-16 00:30" not in canary.text

    # The filters: the page's organization, or UTC in the system area (no organization).
    env = app.template_engine.engine
    template = env.from_string("{{ when|datetime }} {{ when|datetime('%H:%M') }} {{ when|date('en') }}")
    organization.time_zone = MADRID
    assert template.render(when=stored, organization=organization) == "2027-01-16 00:30 00:30 January 16, 2027"
    organization.time_zone = CANARY
    assert template.render(when=stored, organization=organization) == "2027-01-15 23:30 23:30 January 15, 2027"
    assert template.render(when=stored, organization=None) == "2027-01-15 23:30 23:30 January 15, 2027"
    assert env.from_string("{{ day|date('en') }}").render(day=date(2027, 1, 15), organization=organization) == \
        "January 15, 2027"  # a date without a time is never converted


# ---------------------------------------------------------------- newsletters typed in the organization's time


@pytest.mark.mail
@pytest.mark.parametrize(("day", "stored"), [
    ("2030-01-15", datetime(2030, 1, 15, 9, 0, tzinfo=UTC)),   # winter: UTC+1
    ("2030-07-15", datetime(2030, 7, 15, 8, 0, tzinfo=UTC)),   # summer: UTC+2
])
async def test_a_newsletter_scheduled_at_ten_in_madrid_is_stored_in_utc_and_shown_at_ten(
        app, client, demo, db, engine, admin, day, stored):  # noqa: F811
    await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    base = f"/admin/newsletters/{newsletter.id}"
    form = await client.get(f"{base}/confirm")
    assert "Time in Europe/Madrid." in form.text

    scheduled = await post(client, f"{base}/confirm", f"{base}/schedule", date=day, time="10:00")
    assert scheduled.status_code == 303
    assert (await newsletter_row(engine, newsletter.id)).scheduled_at == stored
    page = await client.get(f"{base}/confirm")
    assert f"The newsletter will be sent on {day} 10:00 (Europe/Madrid)." in page.text
    assert f"Scheduled: it will be sent on {day} 10:00 (Europe/Madrid)." in page.text
    assert f'value="{day}"' in page.text and 'value="10:00"' in page.text  # the form shows it back as typed
    assert f"Scheduled for {day} 10:00 (Europe/Madrid)" in (await client.get("/admin/newsletters")).text
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "newsletter.schedule"))
    assert entry.details["scheduled_at"] == stored.isoformat(timespec="minutes")  # the log keeps UTC


@pytest.mark.mail
async def test_a_time_already_past_in_the_organizations_zone_is_refused(
        app, client, demo, db, engine, admin):  # noqa: F811
    """A minute ago in Madrid is still "in an hour" read as UTC in winter: the check uses the real instant."""
    await reader(db, demo, "rita")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await choose_everyone(client, newsletter)
    base = f"/admin/newsletters/{newsletter.id}"
    now_in_madrid = to_local(datetime.now(UTC), MADRID)
    past = await post(client, f"{base}/confirm", f"{base}/schedule", date=now_in_madrid.date().isoformat(),
                      time=now_in_madrid.replace(minute=0).strftime("%H:%M"))
    assert past.status_code == 400 and "Choose a date and time still to come." in past.text
    assert (await newsletter_row(engine, newsletter.id)).scheduled_at is None


# ---------------------------------------------------------------- choosing the zone


async def test_the_system_form_takes_a_time_zone_and_refuses_unknown_ones(app, client, demo, db, root):  # noqa: F811
    await system_login(client)
    new = await client.get("/system/organizations/new")
    assert 'name="time_zone"' in new.text and 'value="Europe/Madrid"' in new.text

    wrong = await post(client, "/system/organizations/new", **organization_fields(time_zone="Europe/Madird"))
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    message = translated_in(app, "ca", "%(zone)s is not a time zone: write its IANA name, such as Europe/Madrid "
                                       "or Atlantic/Canary.", zone="Europe/Madird")
    assert str(escape(message)) in wrong.text
    assert 'value="Europe/Madird"' in wrong.text and 'value="Ajuntament de Nova"' in wrong.text  # kept
    assert await organization_by_slug(db, "nova") is None

    created = await post(client, "/system/organizations/new", **organization_fields(time_zone="atlantic/canary"))
    assert created.status_code == 303, created.text
    nova = await organization_by_slug(db, "nova")
    assert nova.time_zone == CANARY  # written in its IANA spelling

    page = await client.get(f"/system/organizations/{nova.id}")
    assert 'value="Atlantic/Canary"' in page.text
    fields = {key: value for key, value in organization_fields().items()
              if key not in ("slug", "admin_name", "admin_email")}
    refused = await post(client, f"/system/organizations/{nova.id}", **fields, time_zone="Mars/Olympus")
    assert refused.status_code == 400 and 'value="Mars/Olympus"' in refused.text
    assert (await organization_by_slug(db, "nova")).time_zone == CANARY
    kept = await post(client, f"/system/organizations/{nova.id}", **fields, time_zone="")  # left empty: unchanged
    assert kept.status_code == 303 and (await organization_by_slug(db, "nova")).time_zone == CANARY
    moved = await post(client, f"/system/organizations/{nova.id}", **fields, time_zone=MADRID)
    assert moved.status_code == 303 and (await organization_by_slug(db, "nova")).time_zone == MADRID


async def test_the_organizations_admins_change_its_time_zone_in_the_settings(app, client, demo, db, admin):  # noqa: F811
    await log_in(client, admin)
    page = await client.get("/admin/settings")
    assert 'value="Europe/Madrid"' in page.text
    fields = {"_csrf_token": csrf(page.text), "registration_mode": "open", "minimum_age": "14",
              "default_locale": "ca", "locale_ca": "on", "locale_es": "on", "locale_en": "on"}
    wrong = await client.post("/admin/settings", data={**fields, "time_zone": "Canarias"})
    assert wrong.status_code == 400 and 'value="Canarias"' in wrong.text
    assert escape(translated_in(app, "en", "This is not a time zone: write its IANA name, such as Europe/Madrid or "
                                           "Atlantic/Canary.")) in wrong.text
    done = await client.post("/admin/settings", data={**fields, "time_zone": CANARY}, follow_redirects=False)
    assert done.status_code == 303
    organization = await db.get(Organization, demo.id)
    await db.refresh(organization)
    assert organization.time_zone == CANARY
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "organization.settings"))
    assert entry.details["before"]["time_zone"] == MADRID and entry.details["after"]["time_zone"] == CANARY


def test_the_command_line_takes_a_time_zone(settings, engine):
    arguments = [*CREATE, "--time-zone", "Nowhere/Town"]
    refused = CliRunner().invoke(main, arguments, env=cli_env(settings))
    assert refused.exit_code != 0 and "'Nowhere/Town' is not a time zone" in refused.output
    assert run_async(load(settings, "vilanova")) is None

    created = CliRunner().invoke(main, [*CREATE, "--time-zone", "atlantic/canary"], env=cli_env(settings))
    assert created.exit_code == 0, created.output
    assert run_async(load(settings, "vilanova")).time_zone == CANARY  # written in its IANA spelling
