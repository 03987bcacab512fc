"""Before an idle session ends, logged-in pages can warn and the person keeps it with one button
(WCAG 2.2.1); the button's route renews the session, with or without JavaScript."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.db import utcnow
from core.models import StoreEntry
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in


async def session_expiry(db):
    return await db.scalar(select(StoreEntry.expires_at).where(StoreEntry.key.contains("session"))
                           .execution_options(populate_existing=True))


async def test_logged_in_pages_carry_the_warning_and_anonymous_ones_do_not(client, demo, db, settings):
    anonymous = (await client.get("/")).text
    assert 'id="session-warning"' not in anonymous and "js/session.js" not in anonymous
    await log_in(client, await make_user(db, demo))
    page = (await client.get("/terms")).text
    assert f'data-seconds="{settings.session_max_age}"' in page and "js/session.js" in page
    assert 'action="/account/session"' in page and 'name="next" value="/terms"' in page
    assert (await client.get("/static/js/session.js")).status_code == 200


async def test_staying_logged_in_renews_the_session_and_comes_back(client, demo, db, settings):
    await log_in(client, await make_user(db, demo))
    page = (await client.get("/terms")).text
    # Two minutes before the end, as when the warning shows.
    await db.execute(update(StoreEntry).where(StoreEntry.key.contains("session"))
                     .values(expires_at=utcnow() + timedelta(minutes=2)))
    await db.commit()
    kept = await client.post("/account/session", data={"_csrf_token": csrf(page), "next": "/terms"},
                             follow_redirects=False)
    assert kept.status_code == 303 and kept.headers["location"] == "/terms"
    assert await session_expiry(db) > utcnow() + timedelta(seconds=settings.session_max_age - 60)

    by_script = await client.post("/account/session", data={"_csrf_token": csrf(page), "next": "/terms"},
                                  headers={"accept": "application/json"}, follow_redirects=False)
    assert by_script.status_code == 204
    elsewhere = await client.post("/account/session", data={"_csrf_token": csrf(page), "next": "//evil.test/"},
                                  follow_redirects=False)
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"


async def test_an_ended_session_is_not_brought_back(client, demo, db):
    await log_in(client, await make_user(db, demo))
    page = (await client.get("/terms")).text
    await db.execute(update(StoreEntry).where(StoreEntry.key.contains("session"))
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    late = await client.post("/account/session", data={"_csrf_token": csrf(page), "next": "/terms"},
                             follow_redirects=False)
    assert late.status_code == 401  # the warning's script then says the session ended
    assert "Marc Soler" not in (await client.get("/")).text
