"""Public profiles and pictures as people see them: a person puts up a picture, finds it in the
account menu and on their profile; anybody reads the profile of a member of this organization,
and nobody that of a deleted, blocked or foreign person.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update

from core.accounts.models import User
from core.db import utcnow
from core.uploads import Upload
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import make_user
from tests.test_uploads import image_bytes, log_in, send_avatar


async def test_a_picture_shows_in_the_account_menu_and_on_the_profile(client, demo, db):
    user = await log_in(client, db, demo, nickname="marc")
    home = await client.get("/")
    menu = re.search(r'<nav class="account-nav".*?</nav>', home.text, re.DOTALL).group(0)
    # Without a picture: the first letter of the name, and a link to the profile.
    assert '<span class="avatar avatar--small avatar--initial" aria-hidden="true">M</span>' in menu
    assert '<a href="/profiles/marc">Your profile</a>' in menu

    assert (await send_avatar(client, "me.png", image_bytes(), "image/png")).status_code == 303
    settings_page = await client.get("/account/settings")
    assert "Your picture is saved." in settings_page.text
    upload = await db.scalar(select(Upload))
    picture = f'src="/uploads/{upload.key}"'
    menu = re.search(r'<nav class="account-nav".*?</nav>', settings_page.text, re.DOTALL).group(0)
    assert picture in menu and 'class="avatar avatar--small"' in menu
    assert "Remove the picture" in settings_page.text

    client.cookies.clear()  # a visitor sees it on the profile
    profile = await client.get("/profiles/marc")
    assert profile.status_code == 200
    assert picture in profile.text and 'class="avatar avatar--large"' in profile.text
    assert (await client.get(f"/uploads/{upload.key}")).status_code == 200
    assert user.name in profile.text


async def test_a_profile_shows_name_nickname_and_since_when(client, demo, db):
    await make_user(db, demo, nickname="laia_p", name="Laia Puig", created_at=datetime(2026, 3, 9, tzinfo=UTC))
    client.cookies.set("participa_locale", "en")
    page = await client.get("/profiles/Laia_P")  # nicknames are case-insensitive
    assert page.status_code == 200
    assert '<h1 id="profile-name">Laia Puig</h1>' in page.text and "@laia_p" in page.text
    assert "Member since March 2026" in page.text
    assert "<title>Laia Puig (@laia_p)" in page.text
    assert "marc@example.org" not in page.text  # the e-mail is nobody's business
    # Only what exists is shown: no empty sections waiting for followers or activity.
    assert re.search(r"</header>\s*</article>", page.text)


async def test_deleted_blocked_unconfirmed_and_foreign_people_have_no_profile(client, demo, db):
    await make_user(db, demo, email="gone@example.org", nickname="gone", deleted_at=utcnow())
    await make_user(db, demo, email="blocked@example.org", nickname="blocked", blocked_at=utcnow(),
                    blocked_reason="spam")
    await make_user(db, demo, email="new@example.org", nickname="newcomer", confirmed=False)
    other = await other_organization(db)
    await make_user(db, other, email="far@example.org", nickname="faraway")
    client.cookies.set("participa_locale", "en")
    for nickname in ("gone", "blocked", "newcomer", "faraway", "nobody"):
        response = await client.get(f"/profiles/{nickname}")
        assert response.status_code == 404, nickname
        assert "This page does not exist" in response.text
    assert (await client.get(f"http://{OTHER_HOST}/profiles/faraway")).status_code == 200


async def test_a_person_blocked_after_putting_up_a_picture_disappears_from_profiles(client, demo, db):
    user = await log_in(client, db, demo, nickname="marc")
    await send_avatar(client, "me.png", image_bytes(), "image/png")
    assert (await client.get("/profiles/marc")).status_code == 200
    await db.execute(update(User).where(User.id == user.id).values(blocked_at=utcnow()))
    await db.commit()
    client.cookies.clear()
    assert (await client.get("/profiles/marc")).status_code == 404


async def test_a_refused_picture_keeps_the_rest_of_the_settings_page_as_it_was(client, demo, db):
    await log_in(client, db, demo, name="Marc Soler")
    response = await send_avatar(client, "notes.txt", b"just some text", "text/plain")
    assert response.status_code == 400
    assert "<title>Error: Your account" in response.text
    assert 'href="#field-avatar"' in response.text  # the summary leads to the field
    assert 'value="Marc Soler"' in response.text  # the other forms still hold what is saved
    assert 'enctype="multipart/form-data"' in response.text
