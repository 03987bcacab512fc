"""Accounts as people use them: register, confirm by mail, log in and out, reset a password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.accounts.models import AccountToken, User
from core.accounts.passwords import hash_password
from core.db import utcnow
from core.mail import outbox_messages
from core.models import Organization

PASSWORD = "rius-i-muntanyes-42"

from tests.conftest import other_organization


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def submit(client, page: str, action: str | None = None, **fields):
    """Open the form page, then post the fields with its CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


def mails(settings):
    return outbox_messages(settings.outbox_path) if settings.outbox_path.exists() else []


def link_in(message, path: str) -> str:
    return re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s]+)", message.get_content()).group(1)


REGISTRATION = {"name": "Laia Puig", "nickname": "laia_p", "email": "Laia@Example.org", "password": PASSWORD,
                "minimum_age": "on", "terms": "on"}


async def people(db) -> int:
    """Accounts besides the demo's own."""
    return await db.scalar(select(func.count(User.id)).where(User.email.not_like("%@demo.participa.test")))


async def register(client, **changes):
    return await submit(client, "/account/register", **{**REGISTRATION, **changes})


async def make_user(db, organization, email="marc@example.org", confirmed=True, **fields) -> User:
    fields.setdefault("terms_accepted_version", organization.terms_version)  # up to date with the terms
    fields.setdefault("locale", "ca")
    user = User(organization_id=organization.id, email=email, nickname=fields.pop("nickname", "marc"),
                name=fields.pop("name", "Marc Soler"), password_hash=hash_password(PASSWORD),
                confirmed_at=utcnow() if confirmed else None, **fields)
    db.add(user)
    await db.commit()
    return user


async def test_register_confirm_by_mail_and_arrive_logged_in(client, demo, db, settings):
    response = await register(client)
    assert response.status_code == 303 and response.headers["location"] == "/account/registered"
    assert "Revisa el teu correu" in (await client.get("/account/registered")).text

    user = await db.scalar(select(User).where(User.email == "laia@example.org"))
    assert user.nickname == "laia_p" and user.confirmed_at is None and user.newsletter_consent_at is None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.terms_accepted_version == 1 and user.locale == "ca"

    [message] = mails(settings)
    assert message["To"] == "laia@example.org"
    assert "Confirma el teu correu" in message["Subject"]
    path = link_in(message, "/account/confirm/")
    page = await client.get(path)
    assert page.status_code == 200 and "Confirma el meu correu" in page.text
    confirmed = await client.post(path, data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert confirmed.status_code == 303
    home = await client.get("/")
    assert "Laia Puig" in home.text and "El teu correu està confirmat" in home.text
    assert "El teu correu està confirmat" not in (await client.get("/")).text  # shown once
    await db.refresh(user)
    assert user.confirmed_at is not None
    assert (await client.get(path)).status_code == 404  # a link works once


async def test_every_problem_is_listed_and_what_was_typed_is_kept(client, demo, db):
    response = await register(client, name="", nickname="a b", email="not-an-address", minimum_age="", terms="")
    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html
    for message in ("Omple aquest camp.", "Fes servir només lletres, números i _.",
                    "Escriu una adreça de correu com nom@exemple.org.", "Marca aquesta casella per continuar."):
        assert message in html
    assert 'value="not-an-address"' in html and 'value="a b"' in html
    assert PASSWORD not in html  # a password is never sent back
    assert 'aria-invalid="true"' in html and 'href="#field-email"' in html
    assert "<title>Error:" in html or "<title>Error: " in html
    assert await people(db) == 0


async def test_the_minimum_age_of_the_organization_is_asked(client, demo, db):
    organization = await db.get(Organization, demo.id)
    organization.minimum_age = 16
    await db.commit()
    assert "Tinc 16 anys o més" in (await client.get("/account/register")).text


@pytest.mark.parametrize("password", ["curta", "1234567890", "laia_p-secret", "aaaaaaaaaaaa"])
async def test_weak_passwords_are_refused(client, demo, password):
    response = await register(client, password=password)
    assert response.status_code == 400 and 'id="field-password-error"' in response.text


async def test_a_taken_nickname_is_said_but_a_taken_email_is_not(client, demo, db, settings):
    await make_user(db, demo, email="laia@example.org", nickname="laiap")
    taken_nickname = await register(client, nickname="LAIAP", email="other@example.org")
    assert taken_nickname.status_code == 400 and "Aquest sobrenom ja està agafat" in taken_nickname.text

    taken_email = await register(client)
    assert taken_email.status_code == 303 and taken_email.headers["location"] == "/account/registered"
    assert await people(db) == 1
    [message] = mails(settings)
    assert message["To"] == "laia@example.org" and "/account/password/forgot" in message.get_content()


async def test_closed_registration_creates_nobody(client, demo, db):
    organization = await db.get(Organization, demo.id)
    organization.registration_mode = "closed"
    await db.commit()
    assert "no accepta registres nous" in (await client.get("/account/register")).text
    html = (await client.get("/account/login")).text
    response = await client.post("/account/register", data={"_csrf_token": csrf(html), **REGISTRATION})
    assert response.status_code == 400
    assert await people(db) == 0


async def test_forms_without_a_csrf_token_are_refused(client, demo, db):
    await client.get("/account/register")
    response = await client.post("/account/register", data=REGISTRATION)
    assert response.status_code == 403
    assert await people(db) == 0


async def test_login_goes_to_the_requested_page_with_a_new_session(client, demo, db):
    await make_user(db, demo)
    page = await client.get("/account/login?next=/terms")
    before = client.cookies.get("session")
    response = await client.post("/account/login", data={
        "_csrf_token": csrf(page.text), "email": "MARC@example.org", "password": PASSWORD, "next": "/terms",
    }, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/terms"
    assert client.cookies.get("session") not in (None, before)
    assert "Marc Soler" in (await client.get("/")).text

    logout = await submit(client, "/", "/account/logout")
    assert logout.status_code == 303
    assert "Marc Soler" not in (await client.get("/")).text


async def test_login_never_redirects_to_another_host(client, demo, db):
    await make_user(db, demo)
    response = await submit(client, "/account/login", email="marc@example.org", password=PASSWORD,
                            next="https://evil.example/")
    assert response.headers["location"] == "/"


async def test_wrong_password_and_unknown_account_get_the_same_answer(client, demo, db):
    await make_user(db, demo)
    wrong = await submit(client, "/account/login", email="marc@example.org", password="not-my-password")
    unknown = await submit(client, "/account/login", email="nobody@example.org", password="not-my-password")
    assert wrong.status_code == unknown.status_code == 400
    message = "El correu o la contrasenya no són correctes."
    assert message in wrong.text and message in unknown.text


async def test_repeated_failures_lock_the_account_for_a_while(client, demo, db):
    await make_user(db, demo)
    for _ in range(5):
        await submit(client, "/account/login", email="marc@example.org", password="not-my-password")
    locked = await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)
    assert locked.status_code == 400 and "Massa intents fallits" in locked.text
    assert "Marc Soler" not in (await client.get("/")).text


async def test_an_unconfirmed_account_gets_a_new_link_when_logging_in(client, demo, db, settings):
    await make_user(db, demo, confirmed=False)
    response = await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)
    assert response.status_code == 400 and "Confirma primer el teu correu" in response.text
    [message] = mails(settings)
    assert "/account/confirm/" in message.get_content()


async def test_a_blocked_account_cannot_log_in(client, demo, db):
    await make_user(db, demo, blocked_at=utcnow())
    response = await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)
    assert response.status_code == 400 and "Aquest compte està bloquejat" in response.text


async def test_password_reset_by_mail(client, demo, db, settings):
    await make_user(db, demo)
    unknown = await submit(client, "/account/password/forgot", email="nobody@example.org")
    known = await submit(client, "/account/password/forgot", email="marc@example.org")
    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["location"] == known.headers["location"] == "/account/login"
    [message] = mails(settings)  # only the real account got mail
    path = link_in(message, "/account/password/reset/")

    weak = await submit(client, path, password="short")
    assert weak.status_code == 400 and "Fes servir almenys 10 caràcters." in weak.text
    done = await submit(client, path, password="nova-contrasenya-segura")
    assert done.status_code == 303
    assert (await client.get(path)).status_code == 404  # used up

    old = await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)
    assert old.status_code == 400
    new = await submit(client, "/account/login", email="marc@example.org", password="nova-contrasenya-segura")
    assert new.status_code == 303


async def test_reset_links_expire_and_belong_to_their_organization(client, demo, db, settings):
    await make_user(db, demo)
    await submit(client, "/account/password/forgot", email="marc@example.org")
    path = link_in(mails(settings)[0], "/account/password/reset/")

    await other_organization(db)
    await db.commit()
    # One client for both hosts: the app's connections belong to one event loop.
    assert (await client.get(f"http://altra.test{path}")).status_code == 404

    await db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    await db.commit()
    assert (await client.get(path)).status_code == 404


async def test_a_session_of_one_organization_is_worthless_on_another(client, demo, db):
    await make_user(db, demo)
    await submit(client, "/account/login", email="marc@example.org", password=PASSWORD)
    await other_organization(db)
    await db.commit()
    stolen = {"cookie": f"session={client.cookies.get('session')}"}
    assert "Marc Soler" in (await client.get("/", headers=stolen)).text
    assert "Marc Soler" not in (await client.get("http://altra.test/", headers=stolen)).text
