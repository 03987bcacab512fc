"""Events, follows and notifications: who is told what, in the site and by mail, and only after the commit.

A small test-only plugin declares the event type ``testing.thing_answered`` about resources of
type ``testing.thing`` that live in a space; mail goes to a real SMTP server (aiosmtpd) and tasks
run through the real queue (immediate mode).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from core.accounts.models import User
from core.app import create_app
from core.db import make_sessionmaker, utcnow
from core.events import Event, Resource, UnknownEventType, event_sessionmaker, publish, space_resource
from core.follows import Follow, follow, is_following
from core.i18n import N_, current_locale
from core.manifest import EventType
from core.models import Space
from core.notifications import services
from core.notifications.mails import unsubscribe_token
from core.notifications.models import Notification, NotificationPreference
from core.outbox import OutboxMessage
from core.plugins import Registry
from core.queue import TaskContext
from tests.conftest import DEMO_HOST, OTHER_HOST, other_organization, shared_registry
from tests.test_accounts import PASSWORD, csrf, make_user, submit
from tests.test_plugins import plugin_module

pytestmark = pytest.mark.mail  # real mail, caught by the inbox fixture's SMTP server

ANSWERED = EventType(name="testing.thing_answered", title=N_("A thing was answered"),
                     message="%(actor)s answered “%(resource)s”: %(answer)s")
TITLE = {"ca": "La cosa", "es": "La cosa", "en": "The thing"}
DONE = ("Done: we will not send you e-mails about what you follow any more. Your notifications are still on "
        "the site.")


def sample_plugin():
    return plugin_module("testing", register_event_types=lambda: [ANSWERED])


@pytest.fixture
def registry(settings):
    return shared_registry(settings, "testing", lambda settings: Registry(settings, extra=[("testing", sample_plugin())]))


@pytest.fixture
async def space(demo, db):
    return await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))


def thing(space=None, thing_id: int = 7) -> Resource:
    return Resource(type="testing.thing", id=thing_id, title=TITLE, path=f"/processes/pressupostos-2027/things/{thing_id}",
                    parents=(("space", space.id),) if space is not None else ())


@pytest.fixture
def sessions(app, engine):
    """Sessions like the application's (they publish events and queue their dispatch) on the test's own
    engine: the app's pool belongs to the event loop of the test client."""
    return event_sessionmaker(engine, app.state.registry, app.state.queue)


async def answer(sessions, organization, actor, *, space=None, thing_id: int = 7, recipients=(), text: str = "Sí"):
    """Publish ``testing.thing_answered`` and commit, as a plugin's service and route would."""
    async with sessions() as session:
        event = await publish(session, "testing.thing_answered", organization_id=organization.id,
                              resource=thing(space, thing_id), actor_id=actor.id if actor else None,
                              data={"answer": text}, recipients=[user.id for user in recipients])
        await session.commit()
    return event


async def notified(engine, user) -> list[Notification]:
    """A fresh session each time: what other sessions committed since."""
    async with make_sessionmaker(engine)() as session:
        return (await session.scalars(select(Notification).where(Notification.user_id == user.id)
                                      .order_by(Notification.id))).all()


async def count(engine, model, *conditions) -> int:
    async with make_sessionmaker(engine)() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def log_in(client, user, host: str = "") -> None:
    page = await client.get(f"{host}/account/login")
    response = await client.post(f"{host}/account/login", data={
        "_csrf_token": csrf(page.text), "email": user.email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303


def translated_in(app, locale: str, message: str, **variables) -> str:
    """A message as the catalogs give it in ``locale`` (tests do not hard-code translations)."""
    token = current_locale.set(locale)
    try:
        return app.state.catalogs.gettext(message, **variables)
    finally:
        current_locale.reset(token)


def task_context(app, sessions) -> TaskContext:
    ctx = TaskContext(app.state.settings, app.state.registry, sessions)
    ctx.queue = app.state.queue
    return ctx


# ---------------------------------------------------------------- events


async def test_an_event_is_dispatched_after_its_transaction_commits_and_never_after_a_rollback(app, demo, db, engine, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    await follow(db, laia.id, "testing.thing", 7)
    await db.commit()

    async with sessions() as session:
        event = await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(),
                              actor_id=marc.id, data={"answer": "Sí"})
        assert event.id is not None and event.dispatched_at is None
        assert await notified(engine, laia) == []  # written, not committed: nobody told yet
        await session.commit()
    [notification] = await notified(engine, laia)
    assert notification.event_id == event.id and notification.read_at is None
    assert await count(engine, Event, Event.dispatched_at.is_(None)) == 0

    async with sessions() as session:
        await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(),
                      actor_id=marc.id, data={"answer": "No"})
        await session.rollback()
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with sessions.begin() as session:
            await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(),
                          actor_id=marc.id, data={"answer": "Potser"})
            raise RuntimeError("changed my mind")
    assert await count(engine, Event, Event.event_type == "testing.thing_answered") == 1  # (the demo's are older)
    assert len(await notified(engine, laia)) == 1

    # Committed by ``sessionmaker.begin()`` (how tasks write): dispatched when the block ends.
    async with sessions.begin() as session:
        await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(),
                      actor_id=marc.id, data={"answer": "D'acord"})
    assert len(await notified(engine, laia)) == 2


async def test_publishing_an_undeclared_event_type_is_a_programming_error(app, demo, db, settings, engine, sessions):
    marc = await make_user(db, demo)
    async with sessions() as session:
        with pytest.raises(UnknownEventType, match="testing.thing_forgotten"):
            await publish(session, "testing.thing_forgotten", organization_id=demo.id, resource=thing(),
                          actor_id=marc.id)
    async with make_sessionmaker(engine)() as plain:  # a session that knows no registry
        with pytest.raises(RuntimeError, match="event_sessionmaker"):
            await publish(plain, "testing.thing_answered", organization_id=demo.id, resource=thing(), actor_id=None)
    with pytest.raises(ValueError, match="path"):
        Resource(type="testing.thing", id=1, title="x", path="https://evil.example/")
    # Without the plugin that declares it, the type is unknown too.
    bare = create_app(settings, Registry(settings))
    async with bare.state.sessionmaker() as session:
        with pytest.raises(UnknownEventType):
            await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(), actor_id=None)


async def test_followers_of_the_resource_and_its_space_and_named_people_are_told_never_the_actor(
        app, demo, db, engine, space, sessions):
    people = {name: await make_user(db, demo, email=f"{name}@example.org", nickname=name)
              for name in ("thing_fan", "space_fan", "author", "actor", "blocked", "gone", "bystander")}
    other = await other_organization(db)
    foreign = await make_user(db, other, email="thing_fan@altra.test", nickname="thing_fan")
    for name in ("thing_fan", "actor", "blocked", "gone"):
        await follow(db, people[name].id, "testing.thing", 7)
    await follow(db, people["space_fan"].id, "space", space.id)
    await follow(db, people["bystander"].id, "testing.thing", 8)  # another thing
    await follow(db, foreign.id, "testing.thing", 7)  # same ids, another organization
    await follow(db, foreign.id, "space", space.id)
    people["blocked"].blocked_at = utcnow()
    people["gone"].deleted_at = utcnow()
    await db.commit()

    await answer(sessions, demo, people["actor"], space=space, recipients=[people["author"], people["actor"], foreign])

    told = {name for name, user in people.items() if await notified(engine, user)}
    assert told == {"thing_fan", "space_fan", "author"}
    assert await notified(engine, foreign) == []
    assert await count(engine, Notification) == 3


async def test_a_space_resource_names_the_space_page(app, demo, space):
    resource = space_resource(app.state.registry, space)
    assert resource.ref == ("space", space.id) and resource.path == "/processes/pressupostos-2027"


async def test_committed_events_that_were_never_queued_are_dispatched_by_the_periodic_task(
        app, demo, db, engine, settings, registry):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    await follow(db, laia.id, "testing.thing", 7)
    await db.commit()
    # The process "died" between the commit and the queueing: a session that queues nothing.
    without_queue = event_sessionmaker(engine, registry, None)
    async with without_queue() as session:
        await publish(session, "testing.thing_answered", organization_id=demo.id, resource=thing(), actor_id=None,
                      data={"answer": "Sí"})
        await session.commit()
    assert await notified(engine, laia) == []
    queue = app.state.queue
    assert await queue.run_now("core.dispatch_pending_events") == 0  # too young: its own dispatch may be coming
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(Event).values(created_at=utcnow() - timedelta(minutes=5)))
    assert await queue.run_now("core.dispatch_pending_events") == 1
    assert await queue.run_now("core.dispatch_pending_events") == 0
    assert len(await notified(engine, laia)) == 1
    [event_id] = [n.event_id for n in await notified(engine, laia)]
    assert await queue.run_now("core.dispatch_event", event_id=event_id) == 0  # once only


# ---------------------------------------------------------------- mail at once, unsubscribe


async def test_at_once_one_mail_with_a_link_that_unsubscribes_without_logging_in(app, client, demo, db, engine,
                                                                                 inbox, settings, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", name="Laia Puig")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc", name="Marc Soler")
    await follow(db, laia.id, "space", space.id)
    db.add(NotificationPreference(user_id=laia.id, delivery="immediate"))
    await db.commit()

    event = await answer(sessions, demo, marc, space=space)
    [message] = inbox.messages()
    assert message["To"] == "laia@example.org"
    assert message["Subject"] == "Ajuntament de Vilademo: A thing was answered"
    body = message.get_content()
    assert translated_in(app, "ca", "Hello %(name)s,", name="Laia Puig") in body  # Laia's language
    assert "Marc Soler answered “La cosa”: Sí" in body
    assert "https://vilademo.test/processes/pressupostos-2027/things/7" in body
    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url in body and unsubscribe_url.startswith("https://vilademo.test/notifications/unsubscribe/")
    assert message["Message-ID"].startswith("<outbox-")
    [notification] = await notified(engine, laia)
    assert notification.mailed_at is not None  # so no summary repeats it
    assert await count(engine, OutboxMessage, OutboxMessage.key == f"notification:{event.id}:{laia.id}") == 1

    path = re.sub(r"^https://vilademo\.test", "", unsubscribe_url)
    async with AsyncTestClient(app=app, base_url=f"http://{DEMO_HOST}") as stranger:  # no session at all
        page = await stranger.get(path)
        assert page.status_code == 200 and translated_in(app, "ca", "Stop these e-mails") in page.text
        assert await services.delivery_of(db, laia.id) == "immediate"  # opening the link changes nothing
        done = await stranger.post(path, data={"_csrf_token": csrf(page.text)})
        assert done.status_code == 200 and translated_in(app, "ca", DONE) in done.text
        assert (await stranger.post(path, data={})).status_code == 403  # CSRF protected
        forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
        assert (await stranger.get(forged)).status_code == 404
        assert (await stranger.get(f"/notifications/unsubscribe/{marc.id}-{path.rsplit('-', 1)[1]}")).status_code == 404
    async with make_sessionmaker(engine)() as session:
        assert await services.delivery_of(session, laia.id) == "never"

    await answer(sessions, demo, marc, space=space, text="Segona")
    assert len(inbox.messages()) == 1  # no more mail
    assert len(await notified(engine, laia)) == 2  # still told in the site


async def test_an_unsubscribe_token_is_bound_to_its_organization(app, demo, db, settings):
    other = await other_organization(db)
    await db.commit()
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    token = unsubscribe_token(app.state.settings, other.id, laia.id)
    async with AsyncTestClient(app=app, base_url=f"http://{DEMO_HOST}") as visitor:
        assert (await visitor.get(f"/notifications/unsubscribe/{token}")).status_code == 404
    async with AsyncTestClient(app=app, base_url=f"http://{OTHER_HOST}") as visitor:
        assert (await visitor.get(f"/notifications/unsubscribe/{token}")).status_code == 404  # not one of theirs


# ---------------------------------------------------------------- summaries


async def test_a_daily_summary_gathers_several_notifications_in_one_mail_once(app, demo, db, engine, inbox, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", name="Laia Puig", locale="es")
    weekly = await make_user(db, demo, email="weekly@example.org", nickname="weekly")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc", name="Marc Soler")
    for user in (laia, weekly):
        await follow(db, user.id, "space", space.id)
    db.add(NotificationPreference(user_id=weekly.id, delivery="weekly"))
    await db.commit()  # Laia keeps the default: a daily summary

    for number, text in enumerate(("Sí", "No", "Potser"), start=1):
        await answer(sessions, demo, marc, space=space, thing_id=number, text=text)
    assert inbox.messages() == []  # nothing at once

    queue = app.state.queue
    await queue.run_now("core.send_daily_digests")
    await queue.run_now("core.send_daily_digests")
    [message] = inbox.messages()
    assert message["To"] == "laia@example.org"
    assert message["Subject"] == f"Ayuntamiento de Vilademo: {translated_in(app, 'es', 'Your daily summary')}"
    body = message.get_content()
    for text in ("Sí", "No", "Potser"):
        assert f"Marc Soler answered “La cosa”: {text}" in body
    assert body.index("Potser") < body.index("Sí")  # newest first
    assert "/notifications/unsubscribe/" in body and message["List-Unsubscribe"]
    assert all(n.mailed_at is not None for n in await notified(engine, laia))
    assert all(n.mailed_at is None for n in await notified(engine, weekly))

    # A new notification the same day waits for the next summary rather than being lost.
    await answer(sessions, demo, marc, space=space, thing_id=4, text="Demà")
    ctx = task_context(app, sessions)
    assert await services.send_digests(ctx, "daily") == 0
    assert len(inbox.messages()) == 1
    assert await services.send_digests(ctx, "daily", now=utcnow() + timedelta(days=1)) == 1
    latest = inbox.messages()[-1].get_content()
    assert "Demà" in latest and "Potser" not in latest

    await queue.run_now("core.send_weekly_digests")
    weekly_mail = inbox.messages()[-1]
    assert weekly_mail["To"] == "weekly@example.org"
    assert translated_in(app, "ca", "Your weekly summary") in weekly_mail["Subject"]
    assert await count(engine, OutboxMessage, OutboxMessage.status == "sent") == 3


async def test_read_notifications_and_unconfirmed_people_get_no_summary(app, demo, db, inbox, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    unconfirmed = await make_user(db, demo, email="new@example.org", nickname="newbie", confirmed=False)
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    for user in (laia, unconfirmed):
        await follow(db, user.id, "space", space.id)
    await db.commit()
    await answer(sessions, demo, marc, space=space)
    async with sessions() as session:
        await services.mark_all_read(session, laia.id)
        await session.commit()
    assert await app.state.queue.run_now("core.send_daily_digests") == 0
    assert inbox.messages() == []


# ---------------------------------------------------------------- pages


async def test_the_notifications_page_lists_newest_first_a_page_at_a_time_and_marks_all_read(
        app, client, demo, db, engine, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", locale="en")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc", name="Marc Soler")
    await follow(db, laia.id, "space", space.id)
    await db.commit()
    for number in range(1, services.PER_PAGE + 3):
        await answer(sessions, demo, marc, space=space, thing_id=number, text=f"answer-{number:02d}")
    await log_in(client, laia)

    home = await client.get("/")
    assert re.search(r'<a href="/notifications">Notifications <span class="count-badge" aria-hidden="true">22</span>',
                     home.text)
    assert "(22 unread)" in home.text
    first = await client.get("/notifications")
    assert first.status_code == 200
    shown = re.findall(r"answer-(\d\d)", first.text)
    assert shown[0] == "22" and len(shown) == services.PER_PAGE and shown == sorted(shown, reverse=True)
    assert 'href="/processes/pressupostos-2027/things/22"' in first.text
    assert "Marc Soler answered “The thing”" in first.text
    assert 'href="/notifications?page=2"' in first.text
    second = await client.get("/notifications", params={"page": 2})
    assert re.findall(r"answer-(\d\d)", second.text) == ["02", "01"]

    response = await client.post("/notifications/read", data={"_csrf_token": csrf(first.text)},
                                 follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    after = await client.get("/notifications")
    assert "count-badge" not in after.text and "Mark all as read" not in after.text
    assert all(n.read_at is not None for n in await notified(engine, laia))


async def test_the_notifications_page_needs_a_login_and_shows_only_ones_own(app, client, demo, db, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", locale="en")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    await follow(db, marc.id, "space", space.id)
    await db.commit()
    await answer(sessions, demo, laia, space=space, text="secret-of-marc")
    response = await client.get("/notifications", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/account/login?next=")
    await log_in(client, laia)
    page = await client.get("/notifications")
    assert "secret-of-marc" not in page.text and "You have no notifications yet" in page.text


async def test_notifications_page_queries_do_not_grow_with_the_number_of_notifications(
        app, client, demo, db, space, count_queries, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    await follow(db, laia.id, "space", space.id)
    await db.commit()
    await log_in(client, laia)
    await answer(sessions, demo, marc, space=space, thing_id=1)
    with count_queries() as few:
        assert (await client.get("/notifications")).status_code == 200
    for number in range(2, 16):
        await answer(sessions, demo, marc, space=space, thing_id=number)
    with count_queries() as many:
        assert (await client.get("/notifications")).status_code == 200
    assert many.count == few.count
    assert few.count <= 10, "\n".join(few.statements)  # host, session (2), user, roles (2), unread, page (2)
    with count_queries() as page:  # any page: the unread count is one small query, for someone logged in only
        await client.get("/terms")
    client.cookies.clear()
    with count_queries() as anonymous:
        await client.get("/terms")
    assert sum("core_notifications" in statement for statement in page.statements) == 1
    assert not any("core_notifications" in statement for statement in anonymous.statements)


async def test_the_delivery_setting_has_its_own_page_and_a_clear_error(app, client, demo, db, engine):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", locale="en")
    await log_in(client, laia)
    page = await client.get("/account/notifications")
    assert page.status_code == 200
    assert '<option value="daily" selected>Once a day, a summary</option>' in page.text  # the default

    bad = await submit(client, "/account/notifications", delivery="sometimes")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text and "Choose one of the options." in bad.text
    assert 'aria-invalid="true"' in bad.text and "<title>Error:" in bad.text
    missing = await submit(client, "/account/notifications")
    assert missing.status_code == 400 and "Fill in this field." in missing.text

    saved = await submit(client, "/account/notifications", delivery="weekly")
    assert saved.status_code == 303 and saved.headers["location"] == "/account/notifications"
    again = await client.get("/account/notifications")
    assert '<option value="weekly" selected>' in again.text and "Your notification settings are saved." in again.text
    assert await count(engine, NotificationPreference, NotificationPreference.delivery == "weekly") == 1
    assert (await submit(client, "/account/notifications", delivery="never")).status_code == 303
    assert await count(engine, NotificationPreference) == 1  # one row per person, updated


# ---------------------------------------------------------------- following


async def test_the_follow_button_follows_and_unfollows_a_space_and_goes_back(app, client, demo, db, engine, space):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", locale="en")
    anonymous = await client.get("/processes/pressupostos-2027", headers={"accept-language": "en"})
    assert 'href="/account/login?next=/processes/pressupostos-2027">Log in to follow</a>' in anonymous.text
    assert 'action="/follow"' not in anonymous.text

    await log_in(client, laia)
    page = await client.get("/processes/pressupostos-2027")
    assert 'action="/follow"' in page.text and f'name="resource_id" value="{space.id}"' in page.text
    response = await client.post("/follow", data={
        "_csrf_token": csrf(page.text), "resource_type": "space", "resource_id": str(space.id),
        "next": "/processes/pressupostos-2027"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/processes/pressupostos-2027"
    following = await client.get("/processes/pressupostos-2027")
    assert 'action="/unfollow"' in following.text and "Stop following" in following.text
    assert "You follow this now" in following.text
    again = await client.post("/follow", data={"_csrf_token": csrf(page.text), "resource_type": "space",
                                               "resource_id": str(space.id)}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/"
    assert await count(engine, Follow) == 1  # once

    stopped = await client.post("/unfollow", data={
        "_csrf_token": csrf(page.text), "resource_type": "space", "resource_id": str(space.id),
        "next": "https://evil.example/"}, follow_redirects=False)
    assert stopped.status_code == 303 and stopped.headers["location"] == "/"
    assert await count(engine, Follow) == 0


async def test_only_what_a_follow_button_may_offer_can_be_followed(app, client, demo, db, engine):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    other = await other_organization(db)
    foreign_space = Space(organization_id=other.id, space_type="process", slug="p", title={"ca": "P"},
                          published=True)
    db.add(foreign_space)
    unpublished = await db.scalar(select(Space).where(Space.organization_id == demo.id,
                                                      Space.published.is_(False)))
    foreign = await make_user(db, other, email="x@altra.test", nickname="x")
    await db.commit()
    await log_in(client, laia)
    token = csrf((await client.get("/account/notifications")).text)
    refused = [("space", foreign_space.id), ("user", foreign.id), ("user", laia.id), ("nothing.thing", 1),
               ("testing", 1), ("Space", 1), ("space", "x"), ("", "")]
    if unpublished is not None:
        refused.append(("space", unpublished.id))
    for resource_type, resource_id in refused:
        response = await client.post("/follow", data={"_csrf_token": token, "resource_type": resource_type,
                                                      "resource_id": str(resource_id)}, follow_redirects=False)
        assert response.status_code == 400, (resource_type, resource_id)
    for resource_type, resource_id in (("user", marc.id), ("testing.thing", 7)):
        response = await client.post("/follow", data={"_csrf_token": token, "resource_type": resource_type,
                                                      "resource_id": str(resource_id)}, follow_redirects=False)
        assert response.status_code == 303, (resource_type, resource_id)
    assert await count(engine, Follow) == 2
    async with make_sessionmaker(engine)() as session:
        assert await is_following(session, laia, "user", marc.id)
        assert not await is_following(session, None, "user", marc.id)


async def test_a_plugin_makes_the_author_follow_what_they_created(app, demo, db, engine, space, sessions):
    """What a proposals plugin does when a proposal is created: the author hears of its answer."""
    author = await make_user(db, demo, email="author@example.org", nickname="author")
    official = await make_user(db, demo, email="official@example.org", nickname="official")
    async with sessions() as session:
        assert await follow(session, author.id, "testing.thing", 9) is True
        assert await follow(session, author.id, "testing.thing", 9) is False
        await session.commit()
    await answer(sessions, demo, official, space=space, thing_id=9)
    assert len(await notified(engine, author)) == 1


async def test_deleting_an_account_forgets_its_follows_and_notifications(app, client, demo, db, engine, space, sessions):
    laia = await make_user(db, demo, email="laia@example.org", nickname="laiap", locale="en")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc")
    await follow(db, laia.id, "space", space.id)
    await follow(db, marc.id, "user", laia.id)
    db.add(NotificationPreference(user_id=laia.id, delivery="weekly"))
    await db.commit()
    await answer(sessions, demo, marc, space=space)
    await log_in(client, laia)
    response = await submit(client, "/account/settings", "/account/delete", current_password=PASSWORD,
                            understood="on")
    assert response.status_code == 303
    assert await count(engine, Follow) == 0
    assert await count(engine, Notification) == 0
    assert await count(engine, NotificationPreference) == 0
    async with make_sessionmaker(engine)() as session:
        assert (await session.get(User, laia.id)).deleted_at is not None
