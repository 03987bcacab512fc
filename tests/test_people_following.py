"""Following a person tells you of what they do in public: the proposals they publish and their comments,
in the site and by mail as you chose, but never about what you may not see (a private space you are not
in, a component not published, content hidden by moderation), never twice, and not once you stop."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.accounts.models import User
from core.comments import services as comments
from core.db import make_sessionmaker, utcnow
from core.events import Event, event_sessionmaker
from core.follows import follow
from core.manifest import EventType, ManifestError
from core.models import Component, Space, SpaceMember
from core.moderation.models import Moderation
from core.notifications import services
from core.notifications.models import Notification, NotificationPreference
from plugins.proposals.models import Proposal
from tests.test_accounts import make_user, submit
from tests.test_following_people import press
from tests.test_notifications import log_in, notified, task_context

BASE = "/processes/pressupostos-2027/proposals"
TITLE = "Més fonts d'aigua al parc del poble"


@pytest.fixture
async def people(demo, db):
    """Laia takes part; Marc follows her from her profile."""
    laia = await make_user(db, demo, email="laia@example.org", nickname="laia_p", name="Laia Puig", locale="en")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc_s", name="Marc Soler", locale="en")
    return laia, marc


async def proposals_component(db) -> Component:
    return await db.scalar(select(Component).join(Space).where(Space.slug == "pressupostos-2027",
                                                               Component.component_type == "proposals"))


async def publish_proposal(client, component: Component, title: str = TITLE) -> int:
    """Write, complete and publish a proposal through its pages, as its author does."""
    url = f"{BASE}/{component.id}"
    body = "Amb la calor, al parc hi falten fonts per beure."
    written = await submit(client, f"{url}/new", title=title, body=body)
    assert written.status_code == 303, written.text
    proposal_id = int(written.headers["location"].split("/")[-2])
    completed = await submit(client, f"{url}/{proposal_id}/complete", title=title, body=body)
    assert completed.status_code == 303, completed.text
    published = await submit(client, f"{url}/{proposal_id}/preview", f"{url}/{proposal_id}/publish")
    assert published.status_code == 303, published.text
    return proposal_id


async def comment_on(client, component: Component, proposal_id: int, body: str = "Jo hi afegiria ombra.") -> int:
    url = f"{BASE}/{component.id}"
    posted = await submit(client, f"{url}/{proposal_id}", f"{url}/comments", **{
        "comment.body": body, "resource_type": "proposals.proposal", "resource_id": str(proposal_id)})
    assert posted.status_code == 303, posted.text
    return int(posted.headers["location"].rsplit("#comment-", 1)[1])


async def follow_from_profile(client, follower, person) -> None:
    await log_in(client, follower)
    assert (await press(client, f"/profiles/{person.nickname}", "/follow")).status_code == 303


async def told(engine, user, event_type: str) -> list[Event]:
    """The events of this type ``user`` was notified of, oldest first."""
    event_ids = {notification.event_id for notification in await notified(engine, user)}
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(Event).where(Event.id.in_(event_ids),
                                                                Event.event_type == event_type)
                                           .order_by(Event.id))).all())


@pytest.mark.mail
async def test_followers_hear_of_the_proposals_and_comments_of_a_person_in_a_public_space(
        client, demo, db, engine, people, inbox):
    laia, marc = people
    component = await proposals_component(db)
    await follow_from_profile(client, marc, laia)
    db.add(NotificationPreference(user_id=marc.id, delivery="immediate"))  # his choice: one mail each time
    await db.commit()

    await log_in(client, laia)
    proposal_id = await publish_proposal(client, component)
    [published] = await told(engine, marc, "proposals.proposal_published")
    assert published.resource_id == proposal_id and published.actor_id == laia.id
    comment_id = await comment_on(client, component, proposal_id)
    [commented] = await told(engine, marc, "comments.comment_created")
    assert commented.data["comment_id"] == comment_id
    assert await notified(engine, laia) == []  # not told of what she did herself

    await log_in(client, marc)
    await client.get("/locale/en?next=/")
    page = await client.get("/notifications")
    path = f"{BASE}/{component.id}/{proposal_id}"
    assert page.status_code == 200
    assert f"Laia Puig published a new proposal: {TITLE}" in page.text.replace("&#39;", "'")
    assert f"Laia Puig commented on {TITLE}" in page.text.replace("&#39;", "'")
    assert f'href="{path}"' in page.text
    mails = [message for message in inbox.messages() if message["To"] == "marc@example.org"]
    assert len(mails) == 2 and f"https://vilademo.test{path}" in mails[0].get_content()


async def test_not_for_a_private_space_the_follower_is_not_in(client, demo, db, engine, people):
    laia, marc = people
    component = await proposals_component(db)
    await follow_from_profile(client, marc, laia)
    space_id = component.space_id
    await db.execute(update(Space).where(Space.id == space_id).values(private=True))
    db.add(SpaceMember(space_id=space_id, user_id=laia.id))
    await db.commit()

    await log_in(client, laia)
    proposal_id = await publish_proposal(client, component)
    assert await db.scalar(select(func.count(Event.id)).where(Event.event_type == "proposals.proposal_published",
                                                              Event.resource_id == proposal_id)) == 1
    assert await notified(engine, marc) == []

    # A member of the private space sees it, and so is told.
    db.add(SpaceMember(space_id=space_id, user_id=marc.id))
    await db.commit()
    await comment_on(client, component, proposal_id)
    assert len(await told(engine, marc, "comments.comment_created")) == 1
    assert await told(engine, marc, "proposals.proposal_published") == []


async def test_not_twice_when_also_following_the_space_and_not_after_unfollowing(client, demo, db, engine, people):
    laia, marc = people
    component = await proposals_component(db)
    await follow_from_profile(client, marc, laia)
    space_page = "/processes/pressupostos-2027"
    followed = await submit(client, space_page, "/follow", resource_type="space",
                            resource_id=str(component.space_id), next=space_page)
    assert followed.status_code == 303

    await log_in(client, laia)
    first = await publish_proposal(client, component)
    [event] = await told(engine, marc, "proposals.proposal_published")
    assert event.resource_id == first
    assert await db.scalar(select(func.count(Notification.id)).where(Notification.user_id == marc.id)) == 1

    await log_in(client, marc)
    assert (await press(client, f"/profiles/{laia.nickname}", "/unfollow")).status_code == 303
    unfollowed = await submit(client, space_page, "/unfollow", resource_type="space",
                              resource_id=str(component.space_id), next=space_page)
    assert unfollowed.status_code == 303
    await log_in(client, laia)
    second = await publish_proposal(client, component, title="Un espai per a gossos al parc del poble")
    await comment_on(client, component, second)
    assert [event.resource_id for event in await told(engine, marc, "proposals.proposal_published")] == [first]
    assert await told(engine, marc, "comments.comment_created") == []


async def test_a_reply_to_a_follower_is_one_notification(client, demo, db, engine, people):
    laia, marc = people
    component = await proposals_component(db)
    await follow_from_profile(client, marc, laia)
    await log_in(client, laia)
    proposal_id = await publish_proposal(client, component)
    await log_in(client, marc)
    question = await comment_on(client, component, proposal_id, "Quantes fonts hi posaríeu?")
    await log_in(client, laia)
    url = f"{BASE}/{component.id}"
    replied = await submit(client, f"{url}/{proposal_id}", f"{url}/comments", **{
        "comment.body": "Tres, una a cada entrada.", "resource_type": "proposals.proposal",
        "resource_id": str(proposal_id), "comment.parent_id": str(question)})
    assert replied.status_code == 303
    assert len(await told(engine, marc, "comments.comment_created")) == 1
    assert await told(engine, marc, "comments.reply_received") == []  # he hears of it as her follower


async def test_not_for_what_is_hidden_or_unpublished_when_it_is_told(app, demo, db, engine, people):
    """Whether a follower may see it is decided when the event is dispatched, not when it happened."""
    laia, marc = people
    component = await proposals_component(db)
    db.add(SpaceMember(space_id=component.space_id, user_id=marc.id))
    await follow(db, marc.id, "user", laia.id)
    await db.commit()
    held = event_sessionmaker(engine, app.state.registry, None)  # commits without dispatching: told later
    proposal_id = await db.scalar(select(func.min(Proposal.id)).where(Proposal.component_id == component.id,
                                                                      Proposal.state == "published"))

    async def write_comment(body: str) -> tuple[int, int]:
        async with held() as session:
            loaded = await session.scalar(select(Component).where(Component.id == component.id)
                                          .options(selectinload(Component.space)))
            created = await comments.create_comment(session, app.state.registry, loaded,
                                                    await session.get(User, laia.id), "proposals.proposal",
                                                    proposal_id, body)
            await session.commit()
        event_id = await db.scalar(select(Event.id).where(Event.event_type == "comments.comment_created",
                                                          Event.data["comment_id"].as_integer() == created.id))
        return created.id, event_id

    hidden_comment, hidden_event = await write_comment("Un comentari que la moderació amagarà.")
    space = await db.get(Space, component.space_id)
    db.add(Moderation(organization_id=demo.id, space_id=space.id, component_id=component.id,
                      resource_type="comments.comment", resource_id=hidden_comment, hidden_at=utcnow()))
    await db.commit()
    _, unpublished_event = await write_comment("Un comentari en un component que es despublicarà.")
    ctx = task_context(app, event_sessionmaker(engine, app.state.registry, app.state.queue))
    await services.dispatch(ctx, hidden_event)
    await db.execute(update(Component).where(Component.id == component.id).values(published=False))
    await db.commit()
    await services.dispatch(ctx, unpublished_event)
    assert await notified(engine, marc) == []
    await db.execute(update(Space).where(Space.id == space.id).values(private=True))
    await db.execute(update(Component).where(Component.id == component.id).values(published=True))
    await db.commit()
    _, private_event = await write_comment("En un espai privat del qual en Marc és membre.")
    await services.dispatch(ctx, private_event)
    assert [notification.event_id for notification in await notified(engine, marc)] == [private_event]


def test_only_a_public_event_type_tells_the_followers_of_who_acted():
    assert EventType(name="testing.thing_done", title="Done", public=True, author_followers=True).author_followers
    with pytest.raises(ManifestError, match="public"):
        EventType(name="testing.thing_done", title="Done", author_followers=True)
