"""A person changes their preferences, password and e-mail."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.models import User
from tests.test_accounts import PASSWORD, csrf, link_in, mails, make_user, submit


async def logged_in(client, db, demo, **fields) -> User:
    user = await make_user(db, demo, **fields)
    assert (await submit(client, "/account/login", email=user.email, password=PASSWORD)).status_code == 303
    return user


async def test_settings_need_a_login(client, demo):
    response = await client.get("/account/settings", follow_redirects=False)
    assert response.headers["location"] == "/account/login?next=%2Faccount%2Fsettings"


async def test_preferences_change_name_language_and_newsletter(client, demo, db):
    user = await logged_in(client, db, demo)
    page = await client.get("/account/settings")
    assert 'value="Marc Soler"' in page.text and "Català" in page.text
    response = await client.post("/account/settings", follow_redirects=True, data={
        "_csrf_token": csrf(page.text), "name": "Marc S.", "locale": "es", "newsletter": "on"})
    assert '<html lang="es">' in response.text and "Se han guardado las preferencias." in response.text
    await db.refresh(user)
    assert (user.name, user.locale) == ("Marc S.", "es") and user.newsletter_consent_at is not None
    bad = await client.post("/account/settings", data={"_csrf_token": csrf(page.text), "name": "", "locale": "fr"})
    assert bad.status_code == 400 and "Elige una de las opciones." in bad.text


async def test_a_saved_language_is_used_on_any_browser(client, demo, db):
    await logged_in(client, db, demo, locale="en")
    assert '<html lang="en">' in (await client.get("/")).text
    await client.get("/locale/es")  # the switcher still wins
    assert '<html lang="es">' in (await client.get("/")).text


async def test_changing_the_password_needs_the_current_one(client, demo, db):
    await logged_in(client, db, demo)
    page = await client.get("/account/settings")
    wrong = await client.post("/account/password", data={
        "_csrf_token": csrf(page.text), "current_password": "not-it-at-all", "password": "una-altra-de-nova"})
    assert wrong.status_code == 400 and "Aquesta no és la teva contrasenya actual." in wrong.text
    weak = await client.post("/account/password", data={
        "_csrf_token": csrf(page.text), "current_password": PASSWORD, "password": "curta"})
    assert weak.status_code == 400 and "Fes servir almenys 10 caràcters." in weak.text
    done = await client.post("/account/password", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "current_password": PASSWORD, "password": "una-altra-de-nova"})
    assert done.status_code == 303
    client.cookies.clear()
    assert (await submit(client, "/account/login", email="marc@example.org",
                         password="una-altra-de-nova")).status_code == 303


async def test_a_new_email_is_used_once_it_is_confirmed(client, demo, db, settings):
    user = await logged_in(client, db, demo)
    page = await client.get("/account/settings")
    asked = await client.post("/account/email", follow_redirects=True, data={
        "_csrf_token": csrf(page.text), "email": "Marc.Nou@example.org", "current_password": PASSWORD})
    assert "Hem enviat un enllaç al teu correu nou" in asked.text
    await db.refresh(user)
    assert user.email == "marc@example.org"  # nothing changes before the link is opened
    [message] = mails(settings)
    assert message["To"] == "marc.nou@example.org"
    path = link_in(message, "/account/email/confirm/")
    confirm = await client.get(path)
    await client.post(path, data={"_csrf_token": csrf(confirm.text)})
    await db.refresh(user)
    assert user.email == "marc.nou@example.org"
    assert (await client.get(path)).status_code == 404


async def test_a_taken_email_gets_the_same_answer_and_no_mail(client, demo, db, settings):
    await make_user(db, demo, email="taken@example.org", nickname="taken")
    await logged_in(client, db, demo)
    page = await client.get("/account/settings")
    asked = await client.post("/account/email", follow_redirects=True, data={
        "_csrf_token": csrf(page.text), "email": "taken@example.org", "current_password": PASSWORD})
    assert "Hem enviat un enllaç al teu correu nou" in asked.text
    assert mails(settings) == []
    same = await client.post("/account/email", data={
        "_csrf_token": csrf(page.text), "email": "marc@example.org", "current_password": PASSWORD})
    assert same.status_code == 400 and "Aquest ja és el teu correu." in same.text
    assert await db.scalar(select(User.email).where(User.nickname == "marc")) == "marc@example.org"


async def test_deleting_the_account_anonymises_it_for_good(client, demo, db):
    user = await logged_in(client, db, demo, newsletter_consent_at=None)
    page = await client.get("/account/settings")
    unconfirmed = await client.post("/account/delete", data={"_csrf_token": csrf(page.text),
                                                             "current_password": PASSWORD})
    assert unconfirmed.status_code == 400 and "Marca aquesta casella per continuar." in unconfirmed.text
    session = client.cookies.get("session")
    done = await client.post("/account/delete", follow_redirects=True, data={
        "_csrf_token": csrf(page.text), "current_password": PASSWORD, "understood": "on"})
    assert "El teu compte s&#39;ha esborrat" in done.text or "El teu compte s'ha esborrat" in done.text
    await db.refresh(user)
    assert user.deleted_at is not None and user.password_hash is None
    assert "Marc" not in user.name and "marc" not in user.email and "marc" not in user.nickname
    # The old session is worthless, and so are the old credentials.
    assert "Marc Soler" not in (await client.get("/", headers={"cookie": f"session={session}"})).text
    client.cookies.clear()
    assert (await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)).status_code == 400
    # The address is free for a new account.
    again = await submit(client, "/account/register", name="Marc", nickname="marc", email="marc@example.org",
                         password="tornem-a-comencar-1", minimum_age="on", terms="on")
    assert again.status_code == 303
