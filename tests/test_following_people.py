"""Following people: on a person's public profile, others follow and stop following them with a form,
and the profile shows how many follow them and who (all of them, a page at a time, on its own page)."""

from __future__ import annotations

from sqlalchemy import func, select, update

from core.accounts.models import User
from core.db import utcnow
from core.follows import Follow
from tests.test_accounts import csrf, make_user
from tests.test_groups import log_in


async def press(client, page: str, action: str):
    """Press the follow button of ``page`` (the form posting to ``action``), like a browser."""
    html = (await client.get(page)).text
    assert f'action="{action}"' in html
    person_id = html.split(f'action="{action}"', 1)[1].split('name="resource_id" value="', 1)[1].split('"', 1)[0]
    return await client.post(action, follow_redirects=False, data={
        "_csrf_token": csrf(html), "resource_type": "user", "resource_id": person_id, "next": page})


async def test_people_follow_a_person_from_the_profile_which_lists_them(client, demo, db):
    await make_user(db, demo, email="nuria.f@example.org", nickname="nuria_f", name="Laia Puig", locale="en")
    marc = await make_user(db, demo, email="marc@example.org", nickname="marc_f", name="Marc Soler", locale="en")
    pere = await make_user(db, demo, email="pere@example.org", nickname="pere_f", name="Pere Vila", locale="en")
    client.cookies.set("participa_locale", "en")
    visitor = await client.get("/profiles/nuria_f")
    assert "0 followers" in visitor.text and 'href="/account/login?next=/profiles/nuria_f"' in visitor.text

    await log_in(client, marc)
    assert 'action="/follow"' not in (await client.get("/profiles/marc_f")).text  # nobody follows themselves
    own = await client.post("/follow", data={"_csrf_token": csrf((await client.get("/profiles/nuria_f")).text),
                                             "resource_type": "user", "resource_id": str(marc.id)})
    assert own.status_code == 400
    followed = await press(client, "/profiles/nuria_f", "/follow")
    assert followed.status_code == 303 and followed.headers["location"] == "/profiles/nuria_f"
    page = await client.get("/profiles/nuria_f")
    assert "1 follower" in page.text and 'href="/profiles/marc_f">Marc Soler</a>' in page.text
    assert 'action="/unfollow"' in page.text and "Stop following" in page.text
    assert (await press(client, "/profiles/nuria_f", "/unfollow")).status_code == 303
    assert "0 followers" in (await client.get("/profiles/nuria_f")).text
    assert await db.scalar(select(func.count(Follow.id))) == 0
    assert (await press(client, "/profiles/nuria_f", "/follow")).status_code == 303

    await log_in(client, pere)
    assert (await press(client, "/profiles/nuria_f", "/follow")).status_code == 303
    everyone = await client.get("/profiles/nuria_f/followers")
    assert everyone.status_code == 200 and "2 followers" in everyone.text
    assert everyone.text.index("Pere Vila") < everyone.text.index("Marc Soler")  # who followed last first

    # A blocked follower is not listed, nor counted; nobody's followers are those of a missing profile.
    await db.execute(update(User).where(User.id == pere.id).values(blocked_at=utcnow()))
    await db.commit()
    client.cookies.clear()
    client.cookies.set("participa_locale", "en")
    page = await client.get("/profiles/nuria_f")
    assert "1 follower" in page.text and "Pere Vila" not in page.text
    assert (await client.get("/profiles/ningu/followers")).status_code == 404


async def test_the_followers_pages_cost_the_same_whatever_their_number(client, demo, db, count_queries):
    laia = await make_user(db, demo, email="nuria.f@example.org", nickname="nuria_f", name="Laia Puig", locale="en")

    async def follow_laia(count: int, start: int) -> None:
        for index in range(start, start + count):
            person = await make_user(db, demo, email=f"fan{index}@example.org", nickname=f"fan{index}",
                                     name=f"Fan {index}")
            db.add(Follow(user_id=person.id, resource_type="user", resource_id=laia.id))
        await db.commit()

    async def cost(url: str) -> int:
        with count_queries() as counter:
            assert (await client.get(url)).status_code == 200
        return counter.count

    await follow_laia(2, 0)
    profile_small, list_small = await cost("/profiles/nuria_f"), await cost("/profiles/nuria_f/followers")
    await follow_laia(60, 2)
    assert await cost("/profiles/nuria_f") == profile_small
    assert await cost("/profiles/nuria_f/followers") == list_small
    client.cookies.set("participa_locale", "en")
    first = await client.get("/profiles/nuria_f/followers")
    second = await client.get("/profiles/nuria_f/followers?page=2")
    assert "62 followers" in first.text and "Fan 61</a>" in first.text and "Fan 0</a>" not in first.text
    assert "Fan 0</a>" in second.text and "Fan 61</a>" not in second.text
    profile = await client.get("/profiles/nuria_f")
    assert 'href="/profiles/nuria_f/followers"' in profile.text
