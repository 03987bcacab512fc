"""The author of something hidden by moderation is told, by notification (and mail, as they chose), and
nobody else is: not the people who follow it, not the reporters."""

from __future__ import annotations

from sqlalchemy import select

from core.events import Event
from core.follows import follow
from core.moderation.models import Moderation
from core.notifications.models import Notification
from core.roles import grant_space_role
from tests.test_accounts import make_user
from tests.test_comments import add_comment, log_in, post_form
from tests.test_moderation import moderation_for, registry, report, world  # noqa: F401  (fixtures)

HIDDEN = "moderation.content_hidden"


async def notices(db, user_id: int) -> list[Event]:
    return list((await db.scalars(
        select(Event).join(Notification, Notification.event_id == Event.id)
        .where(Notification.user_id == user_id, Event.event_type == HIDDEN)
        .execution_options(populate_existing=True))).all())


async def test_reports_that_hide_a_comment_tell_its_author_and_only_them(app, client, world, db):  # noqa: F811
    comment_id = await add_comment(app, world, "anna", "Compra seguidors a spam.example")
    await follow(db, world.users["carla"].id, "comments.comment", comment_id)
    await db.commit()
    for reporter in ("biel", "carla"):
        await log_in(client, f"{reporter}@example.org")
        await report(client, world, "comments.comment", comment_id)
    assert await notices(db, world.users["anna"].id) == []  # two reports: still shown, nothing to tell
    await log_in(client, "dani@example.org")
    await report(client, world, "comments.comment", comment_id)

    [notice] = await notices(db, world.users["anna"].id)
    assert notice.resource_type == "comments.comment" and notice.resource_id == comment_id
    assert notice.actor_id is None  # the reports hid it, not a person
    assert "Compra seguidors" in notice.resource_title["ca"]
    assert notice.resource_path == f"/processes/pressupostos-2027/pages/{world.pages.id}"  # still open to them
    for other in ("biel", "carla", "dani"):  # carla follows the comment: she is not told either
        assert await notices(db, world.users[other].id) == []

    await log_in(client, "anna@example.org")
    page = await client.get("/notifications")
    assert page.status_code == 200 and "Compra seguidors" in page.text


async def test_a_moderator_hiding_something_tells_its_author_once(app, client, world, db, demo):  # noqa: F811
    moderator = await make_user(db, demo, email="mod@example.org", nickname="moderadora", name="Mercè")
    await grant_space_role(db, world.process.id, moderator.id, "moderator")
    await db.commit()
    comment_id = await add_comment(app, world, "anna", "Un comentari discutible")
    await log_in(client, "biel@example.org")
    await report(client, world, "comments.comment", comment_id, reason="offensive")
    await log_in(client, "mod@example.org")
    base = f"/admin/spaces/{world.process.id}/moderation"
    moderation = await moderation_for(db, "comments.comment", comment_id)
    assert (await post_form(client, base, f"{base}/{moderation.id}/hide")).status_code == 303
    assert (await post_form(client, world.page_url, f"{base}/{moderation.id}/hide")).status_code == 303
    [notice] = await notices(db, world.users["anna"].id)
    assert notice.actor_id == moderator.id
    assert await notices(db, world.users["biel"].id) == []
    hidden = await db.scalar(select(Moderation).where(Moderation.id == moderation.id)
                             .execution_options(populate_existing=True))
    assert hidden.hidden_at is not None
