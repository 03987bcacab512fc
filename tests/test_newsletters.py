"""Newsletters: written by organization admins, sent in the background to the people who asked for them.

Mail goes to a real SMTP server (aiosmtpd) and tasks run through the real queue (immediate mode), so
a sending is what a worker does: deliveries claimed in batches, mails written into the outbox, sent.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from core import outbox
from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.comments.models import Comment
from core.db import make_sessionmaker, utcnow
from core.follows import follow
from core.models import Component, Space
from core.newsletters import services
from core.newsletters.mails import text_of
from core.newsletters.models import Newsletter, NewsletterDelivery
from core.notifications.mails import unsubscribe_token
from core.notifications.models import NotificationPreference
from core.outbox import OutboxMessage
from core.roles import grant_organization_role
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import csrf, make_user
from tests.test_notifications import log_in, translated_in

pytestmark = pytest.mark.mail  # real mail, caught by the inbox fixture's SMTP server

SUBJECT = {"ca": "Notícies de març", "es": "Noticias de marzo"}
BODY = {"ca": '<p>Hola veïnat!</p><ul><li>Pressupostos</li></ul><p><a href="/processes/pressupostos-2027">Vota</a></p>',
        "es": "<p>¡Hola vecindario!</p>"}


@pytest.fixture
async def admin(demo, db):
    user = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Rosa Admin", locale="en")
    await grant_organization_role(db, demo.id, user.id, "admin")
    await db.commit()
    return user


@pytest.fixture
async def space(demo, db):
    return await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))


async def reader(db, organization, name: str, consent: bool = True, **fields) -> User:
    """A confirmed person who asked for the newsletter (unless ``consent`` is False)."""
    fields.setdefault("email", f"{name}@example.org")
    return await make_user(db, organization, nickname=fields.pop("nickname", name), name=name.capitalize(),
                           newsletter_consent_at=utcnow() if consent else None, **fields)


async def draft(db, organization, author, subject=SUBJECT, body=BODY) -> Newsletter:
    newsletter = Newsletter(organization_id=organization.id, author_id=author.id, subject=dict(subject),
                            body=dict(body))
    db.add(newsletter)
    await db.commit()
    return newsletter


async def post(client, page: str, action: str | None = None, data=None, **fields):
    """Open ``page``, then post to ``action`` (default: the page) with its CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **(data or {}), **fields},
                             follow_redirects=False)


async def send(client, newsletter, kind: str = "all", spaces=()) -> None:
    """Choose the recipients, then press the send button of the confirmation page."""
    base = f"/admin/newsletters/{newsletter.id}"
    chosen = await post(client, f"{base}/recipients", data={"space_ids": [str(space.id) for space in spaces]},
                        kind=kind)
    assert chosen.status_code == 303 and chosen.headers["location"] == f"{base}/confirm"
    sent = await post(client, f"{base}/confirm", f"{base}/send")
    assert sent.status_code == 303 and sent.headers["location"] == base


async def fresh(engine, statement):
    """What other sessions (the worker's) committed since: a new session each time."""
    async with make_sessionmaker(engine)() as session:
        return (await session.execute(statement)).all()


async def newsletter_row(engine, newsletter_id: int) -> Newsletter:
    async with make_sessionmaker(engine)() as session:
        return await session.get(Newsletter, newsletter_id)


def mails_to(inbox) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in inbox.messages():
        found.setdefault(message["To"], []).append(message)
    return found


# ---------------------------------------------------------------- writing, previewing, testing


async def test_an_admin_writes_a_draft_and_the_form_keeps_what_was_typed(app, client, demo, db, engine, admin):
    await log_in(client, admin)
    listing = await client.get("/admin/newsletters")
    assert listing.status_code == 200 and 'href="/admin/newsletters/new"' in listing.text
    assert 'href="/admin/newsletters" aria-current="page"' in listing.text  # the admin menu's link

    missing = await post(client, "/admin/newsletters/new", **{"subject.es": "Solo en castellano",
                                                              "body.ca": "<p>Cos escrit</p>"})
    assert missing.status_code == 400
    assert 'role="alert"' in missing.text and "<title>Error:" in missing.text
    assert "Fill in this field, at least in Català." in missing.text
    assert 'value="Solo en castellano"' in missing.text and "&lt;p&gt;Cos escrit&lt;/p&gt;" in missing.text

    only_markup = await post(client, "/admin/newsletters/new", **{"subject.ca": "Notícies",
                                                                  "body.ca": "<script>alert(1)</script>"})
    assert only_markup.status_code == 400
    assert "Write the text at least in the organization&#39;s default language." in only_markup.text
    assert 'value="Notícies"' in only_markup.text

    created = await post(client, "/admin/newsletters/new", **{
        "subject.ca": "Notícies de març", "subject.es": "Noticias de marzo",
        "body.ca": '<p onclick="x()">Hola!</p><script>alert(1)</script>'})
    assert created.status_code == 303
    [newsletter] = (await db.scalars(select(Newsletter))).all()
    assert created.headers["location"] == f"/admin/newsletters/{newsletter.id}"
    assert newsletter.body == {"ca": "<p>Hola!</p>"}  # sanitised before it is stored
    assert newsletter.author_id == admin.id and newsletter.sent_at is None

    page = await client.get(f"/admin/newsletters/{newsletter.id}")
    assert "The newsletter is saved as a draft" in page.text and "written by Rosa Admin on" in page.text
    assert 'value="Notícies de març"' in page.text
    too_long = await post(client, f"/admin/newsletters/{newsletter.id}", **{
        "subject.ca": "x" * 201, "body.ca": "<p>Un altre text</p>"})
    assert too_long.status_code == 400 and "Write at most 200 characters." in too_long.text
    assert "&lt;p&gt;Un altre text&lt;/p&gt;" in too_long.text
    saved = await post(client, f"/admin/newsletters/{newsletter.id}", **{
        "subject.ca": "Notícies d'abril", "body.ca": "<p>Abril</p>"})
    assert saved.status_code == 303
    await db.refresh(newsletter)
    assert newsletter.subject == {"ca": "Notícies d'abril"} and newsletter.updated_at >= newsletter.created_at

    log = (await db.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id))).all()
    assert log == ["newsletter.create", "newsletter.update"]

    deleted = await post(client, f"/admin/newsletters/{newsletter.id}", f"/admin/newsletters/{newsletter.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/admin/newsletters"
    assert await db.scalar(select(func.count(Newsletter.id))) == 0


async def test_the_preview_shows_the_mail_in_each_language_and_a_test_goes_to_the_admin_only(
        app, client, demo, db, engine, inbox, admin):
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    page = await client.get(f"/admin/newsletters/{newsletter.id}/preview")
    assert page.status_code == 200
    for locale in ("ca", "es", "en"):
        assert f'lang="{locale}"' in page.text
    assert "Ajuntament de Vilademo: Notícies de març" in page.text
    assert "Ayuntamiento de Vilademo: Noticias de marzo" in page.text
    assert page.text.count("Not written in this language") == 1  # English only: it shows the Catalan text
    assert 'href="https://vilademo.test/processes/pressupostos-2027"' in page.text  # links work from a mail
    assert "/newsletters/unsubscribe/" in page.text

    refused = await post(client, f"/admin/newsletters/{newsletter.id}/preview",
                         f"/admin/newsletters/{newsletter.id}/test", locale="xx")
    assert refused.status_code == 400 and "Choose one of the options." in refused.text
    sent = await post(client, f"/admin/newsletters/{newsletter.id}/preview",
                      f"/admin/newsletters/{newsletter.id}/test", locale="es")
    assert sent.status_code == 303 and sent.headers["location"] == f"/admin/newsletters/{newsletter.id}/preview"
    [message] = inbox.messages()
    assert message["To"] == "boss@example.org"
    assert message["Subject"] == (f"[{translated_in(app, 'es', 'Test')}] Ayuntamiento de Vilademo: "
                                  "Noticias de marzo")
    assert "¡Hola vecindario!" in message.get_body(("html",)).get_content()
    assert await db.scalar(select(func.count(OutboxMessage.id))) == 0  # a test is no sending
    assert await db.scalar(select(func.count(NewsletterDelivery.id))) == 0
    await db.refresh(newsletter)
    assert newsletter.draft


def test_the_plain_text_part_keeps_paragraphs_lists_and_link_addresses():
    html = ('<h2>Títol</h2><p>Primer   paràgraf,\nen dues línies.</p><ul><li>u</li><li>dos</li></ul>'
            '<p>Mireu <a href="https://vilademo.test/p">el procés</a> i <a href="https://x.test">https://x.test</a>'
            '<br>fi &amp; prou</p>')
    assert text_of(html) == ("Títol\n\nPrimer paràgraf, en dues línies.\n\n- u\n- dos\n\n"
                             "Mireu el procés (https://vilademo.test/p) i https://x.test\nfi & prou")


# ---------------------------------------------------------------- recipients


async def test_everyone_means_confirmed_active_people_of_this_organization_who_accepted_it(
        app, client, demo, db, engine, inbox, admin):
    laia = await reader(db, demo, "laia", nickname="laiap", locale="es")
    marc = await reader(db, demo, "marc", locale="en")
    await reader(db, demo, "noconsent", consent=False)
    await reader(db, demo, "unconfirmed", confirmed=False)
    await reader(db, demo, "blocked", blocked_at=utcnow())
    await reader(db, demo, "gone", deleted_at=utcnow())
    other = await other_organization(db)
    await reader(db, other, "laia", email="laia@example.org")  # the same address, another municipality
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)

    await post(client, f"/admin/newsletters/{newsletter.id}/recipients", kind="all")
    confirm = await client.get(f"/admin/newsletters/{newsletter.id}/confirm")
    assert "It would go to 2 people now." in confirm.text and "Send it to 2 people" in confirm.text
    await send(client, newsletter)

    delivered = {row[0] for row in await fresh(engine, select(NewsletterDelivery.user_id))}
    assert delivered == {laia.id, marc.id}
    sent = await newsletter_row(engine, newsletter.id)
    assert (sent.recipients_count, sent.sent_count) == (2, 2) and sent.completed_at is not None
    mails = mails_to(inbox)
    assert set(mails) == {"laia@example.org", "marc@example.org"} and all(len(m) == 1 for m in mails.values())

    [to_laia] = mails["laia@example.org"]  # in her language, with her own one-click unsubscribe link
    assert to_laia["Subject"] == "Ayuntamiento de Vilademo: Noticias de marzo"
    assert to_laia["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = to_laia["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://vilademo.test/newsletters/unsubscribe/")
    assert link in to_laia.get_body(("plain",)).get_content() and link in to_laia.get_body(("html",)).get_content()
    assert translated_in(app, "es", "Hello %(name)s,", name="Laia") in to_laia.get_body(("plain",)).get_content()
    [to_marc] = mails["marc@example.org"]  # no English text: another language's, in an English mail
    assert to_marc["Subject"] == "Vilademo City Council: Notícies de març"
    assert "Hola veïnat!" in to_marc.get_body(("plain",)).get_content()
    assert "Vota (https://vilademo.test/processes/pressupostos-2027)" in to_marc.get_body(("plain",)).get_content()

    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "newsletter.send"))
    assert entry.user_id == admin.id and entry.details["recipients"] == 2
    report = await client.get(f"/admin/newsletters/{newsletter.id}")
    assert "Sending finished on" in report.text and '<progress id="sending-progress" max="2" value="2">' in report.text


async def test_followers_and_participants_of_the_chosen_spaces(app, client, demo, db, engine, inbox, admin, space):
    other_space = await db.scalar(select(Space).where(Space.organization_id == demo.id, Space.id != space.id))
    people = {name: await reader(db, demo, name) for name in (
        "fan", "other_fan", "commenter", "author", "supporter", "drafter", "shy_fan")}
    await db.execute(update(User).where(User.id == people["shy_fan"].id).values(newsletter_consent_at=None))
    await follow(db, people["fan"].id, "space", space.id)
    await follow(db, people["shy_fan"].id, "space", space.id)
    await follow(db, people["other_fan"].id, "space", other_space.id)
    components = {component.component_type: component for component in (await db.scalars(
        select(Component).where(Component.space_id == space.id))).all()}
    db.add(Comment(component_id=components["pages"].id, resource_type="pages.page", resource_id=1,
                   author_id=people["commenter"].id, body="Bona idea"))
    published = Proposal(component_id=components["proposals"].id, author_id=people["author"].id, title="Més arbres",
                         body="<p>Arbres</p>", language="ca", state="published", published_at=utcnow())
    db.add_all([published, Proposal(component_id=components["proposals"].id, author_id=people["drafter"].id,
                                    title="Esborrany", body="<p>x</p>", language="ca")])
    await db.flush()
    db.add(Support(proposal_id=published.id, user_id=people["supporter"].id, component_id=components["proposals"].id))
    await db.commit()

    followers = await draft(db, demo, admin)
    participants = await draft(db, demo, admin)
    await log_in(client, admin)
    await send(client, followers, "followers", [space])
    await send(client, participants, "participants", [space])

    async def reached(newsletter):
        rows = await fresh(engine, select(User.nickname).join(NewsletterDelivery, NewsletterDelivery.user_id == User.id)
                           .where(NewsletterDelivery.newsletter_id == newsletter.id))
        return {row[0] for row in rows}

    assert await reached(followers) == {"fan"}
    assert await reached(participants) == {"commenter", "author", "supporter"}
    assert len(mails_to(inbox)["commenter@example.org"]) == 1


async def test_the_choice_of_recipients_is_checked_and_kept_when_wrong(app, client, demo, db, admin, space):
    other = await other_organization(db)
    foreign_space = Space(organization_id=other.id, space_type="process", slug="p", title={"ca": "P"},
                          published=True)
    db.add(foreign_space)
    await db.commit()
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    page = f"/admin/newsletters/{newsletter.id}/recipients"

    no_space = await post(client, page, kind="followers")
    assert no_space.status_code == 400 and "Choose at least one space." in no_space.text
    assert 'value="followers" checked' in no_space.text and "<title>Error:" in no_space.text
    foreign = await post(client, page, data={"space_ids": [str(space.id), str(foreign_space.id)]},
                         kind="participants")
    assert foreign.status_code == 400 and "Choose spaces from the list." in foreign.text
    assert 'value="participants" checked' in foreign.text
    assert f'name="space_ids" value="{space.id}" checked' in foreign.text  # what was ticked stays ticked
    garbage = await post(client, page, data={"space_ids": ["1 OR 1=1"]}, kind="followers")
    assert garbage.status_code == 400 and "Choose spaces from the list." in garbage.text
    bad_kind = await post(client, page, kind="everybody")
    assert bad_kind.status_code == 400 and "Choose one of the options." in bad_kind.text
    await db.refresh(newsletter)
    assert newsletter.recipients == {}

    nobody = await post(client, page, data={"space_ids": [str(space.id)]}, kind="followers")
    assert nobody.status_code == 303
    confirm = await client.get(f"/admin/newsletters/{newsletter.id}/confirm")
    assert "Nobody would get it" in confirm.text and f"/admin/newsletters/{newsletter.id}/send" not in confirm.text
    refused = await post(client, f"/admin/newsletters/{newsletter.id}/confirm",
                         f"/admin/newsletters/{newsletter.id}/send")
    assert refused.status_code == 303
    await db.refresh(newsletter)
    assert newsletter.draft  # nothing to send: it stays a draft
    assert "Nobody would get this newsletter" in (await client.get(f"/admin/newsletters/{newsletter.id}")).text


# ---------------------------------------------------------------- sending once, resuming


async def test_a_sending_that_dies_midway_is_resumed_and_nobody_gets_it_twice(
        app, client, demo, db, engine, inbox, admin, monkeypatch):
    people = [await reader(db, demo, f"reader{number}") for number in range(5)]
    newsletter = await draft(db, demo, admin)
    monkeypatch.setattr(services, "BATCH", 2)
    enqueue, calls = outbox.enqueue, []

    async def dying(session, **message):
        calls.append(message["key"])
        if len(calls) == 4:  # the second mail of the second batch: the worker dies there
            raise RuntimeError("the worker died")
        return await enqueue(session, **message)

    monkeypatch.setattr(outbox, "enqueue", dying)
    await log_in(client, admin)
    await send(client, newsletter)

    statuses = dict(await fresh(engine, select(NewsletterDelivery.status, func.count()).group_by(
        NewsletterDelivery.status)))
    assert statuses == {"queued": 2, "pending": 3}  # the first batch went; the second was rolled back whole
    assert len(inbox.messages()) == 2
    halfway = await newsletter_row(engine, newsletter.id)
    assert (halfway.recipients_count, halfway.sent_count, halfway.completed_at) == (5, 2, None)
    page = await client.get(f"/admin/newsletters/{newsletter.id}")
    assert "Being sent: 2 of 5 mails written." in page.text

    monkeypatch.setattr(outbox, "enqueue", enqueue)
    assert await app.state.queue.run_now("core.resume_newsletters") == 3
    assert await app.state.queue.run_now("core.resume_newsletters") == 0
    mails = mails_to(inbox)
    assert sorted(mails) == sorted(person.email for person in people)
    assert all(len(messages) == 1 for messages in mails.values())
    done = await newsletter_row(engine, newsletter.id)
    assert (done.sent_count, done.completed_at is not None) == (5, True)

    # Worse: a delivery marked pending again although its mail left (as if that mark had been lost).
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(NewsletterDelivery).where(NewsletterDelivery.user_id == people[0].id)
                              .values(status="pending"))
        await session.execute(update(Newsletter).values(completed_at=None))
    assert await app.state.queue.run_now("core.send_newsletter", newsletter_id=newsletter.id) == 0
    assert len(inbox.messages()) == 5  # the outbox key refused a second mail
    again = await newsletter_row(engine, newsletter.id)
    assert again.sent_count == 5 and again.completed_at is not None
    keys = [row[0] for row in await fresh(engine, select(OutboxMessage.key))]
    assert len(keys) == len(set(keys)) == 5


async def test_a_sent_newsletter_cannot_be_changed_deleted_or_sent_again(app, client, demo, db, engine, inbox, admin):
    await reader(db, demo, "laia", nickname="laiap")
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    edit_page = (await client.get(f"/admin/newsletters/{newsletter.id}")).text
    await send(client, newsletter)
    token = csrf(edit_page)
    base = f"/admin/newsletters/{newsletter.id}"

    changed = await client.post(base, data={"_csrf_token": token, "subject.ca": "Canviat", "body.ca": "<p>x</p>"},
                                follow_redirects=False)
    assert changed.status_code == 303
    assert "it cannot be changed any more" in (await client.get(base)).text
    for action in ("/delete", "/send"):
        response = await client.post(base + action, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == base
    chosen = await client.post(base + "/recipients", data={"_csrf_token": token, "kind": "all"},
                               follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == base
    [row] = await fresh(engine, select(Newsletter.subject, Newsletter.recipients_count))
    assert row == (SUBJECT, 1)
    assert len(inbox.messages()) == 1
    assert await db.scalar(select(func.count(AdminLogEntry.id)).where(AdminLogEntry.action == "newsletter.send")) == 1


# ---------------------------------------------------------------- unsubscribing


async def test_the_unsubscribe_link_stops_the_newsletter_only_in_one_click_and_only_this_one(
        app, client, demo, db, engine, inbox, admin):
    laia = await reader(db, demo, "laia", nickname="laiap", locale="en")
    marc = await reader(db, demo, "marc", locale="en")
    db.add(NotificationPreference(user_id=laia.id, delivery="immediate"))
    await db.commit()
    newsletter = await draft(db, demo, admin)
    await log_in(client, admin)
    await send(client, newsletter)
    link = mails_to(inbox)["laia@example.org"][0]["List-Unsubscribe"].strip("<>")
    path = re.sub(r"^https://vilademo\.test", "", link)

    async def consent(user):
        [row] = await fresh(engine, select(User.newsletter_consent_at).where(User.id == user.id))
        return row[0]

    client.cookies.clear()  # a stranger from now on: no session, no CSRF cookie
    client.cookies.set("participa_locale", "en", domain="vilademo.test")
    page = await client.get(path)
    assert page.status_code == 200 and "Stop the newsletter" in page.text
    assert await consent(laia) is not None  # opening the link changes nothing
    # What a mail program does (RFC 8058): a POST with no cookie and no CSRF token.
    client.cookies.clear()
    done = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "we will not send you the newsletter any more" in done.text
    assert await consent(laia) is None and await consent(marc) is not None
    async with make_sessionmaker(engine)() as session:  # notifications are another matter
        assert await session.scalar(select(NotificationPreference.delivery)) == "immediate"

    token = path.rsplit("/", 1)[1]
    assert (await client.get(f"/notifications/unsubscribe/{token}")).status_code == 404  # single purpose
    notifications = unsubscribe_token(app.state.settings, demo.id, marc.id)
    assert (await client.get(f"/newsletters/unsubscribe/{notifications}")).status_code == 404
    assert (await client.post(f"/newsletters/unsubscribe/{notifications}")).status_code == 404
    forged = f"{marc.id}-{token.split('-', 1)[1]}"
    assert (await client.post(f"/newsletters/unsubscribe/{forged}")).status_code == 404
    assert await consent(marc) is not None
    await other_organization(db)
    await db.commit()
    assert (await client.get(f"http://{OTHER_HOST}{path}")).status_code == 404  # a token is its organization's

    await log_in(client, admin)
    second = await draft(db, demo, admin, subject={"ca": "Segona"})
    await send(client, second)
    assert [message["Subject"] for message in mails_to(inbox)["laia@example.org"]] == [
        "Vilademo City Council: Notícies de març"]  # no more newsletters for her
    assert len(mails_to(inbox)["marc@example.org"]) == 2


async def test_unsubscribing_cancels_the_mails_of_a_sending_not_gone_yet(app, demo, db, engine, admin):
    laia = await reader(db, demo, "laia", nickname="laiap")
    db.add(OutboxMessage(key="newsletter:99:1", organization_id=demo.id, user_id=laia.id, to_address=laia.email,
                         subject="s", text="t"))
    db.add(OutboxMessage(key=f"notification:1:{laia.id}", organization_id=demo.id, user_id=laia.id,
                         to_address=laia.email, subject="s", text="t"))
    await db.commit()
    await services.unsubscribe(db, laia)
    await db.commit()
    rows = dict(await fresh(engine, select(OutboxMessage.key, OutboxMessage.status)))
    assert rows == {"newsletter:99:1": "cancelled", f"notification:1:{laia.id}": "pending"}


# ---------------------------------------------------------------- permissions


async def test_only_this_organizations_admins_reach_its_newsletters(app, client, demo, db, engine, inbox, admin):
    citizen = await reader(db, demo, "citizen", locale="en")
    newsletter = await draft(db, demo, admin)
    base = f"/admin/newsletters/{newsletter.id}"

    anonymous = await client.get(base, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/account/login?next=")
    await log_in(client, citizen)
    token = csrf((await client.get("/account/settings")).text)
    for path in ("/admin/newsletters", "/admin/newsletters/new", base, f"{base}/preview", f"{base}/confirm"):
        assert (await client.get(path)).status_code == 403, path
    for path in ("/admin/newsletters/new", f"{base}/send", f"{base}/delete", f"{base}/test"):
        response = await client.post(path, data={"_csrf_token": token, "kind": "all"}, follow_redirects=False)
        assert response.status_code == 403, path
    assert "/admin/newsletters" not in (await client.get("/")).text

    other = await other_organization(db)
    foreign = await reader(db, other, "boss", email="boss@altra.test", locale="en")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await draft(db, other, foreign, subject={"ca": "De la Vila Altra"})
    await db.commit()
    client.cookies.clear()
    await log_in(client, foreign, f"http://{OTHER_HOST}")
    home = f"http://{OTHER_HOST}/admin/newsletters"
    listing = await client.get(home)
    assert listing.status_code == 200 and "De la Vila Altra" in listing.text and "Notícies de març" not in listing.text
    token = csrf(listing.text)
    assert (await client.get(f"http://{OTHER_HOST}{base}")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}{base}/preview")).status_code == 404
    for action in ("/recipients", "/send", "/delete", "/test"):
        response = await client.post(f"http://{OTHER_HOST}{base}{action}",
                                      data={"_csrf_token": token, "kind": "all", "locale": "ca"},
                                      follow_redirects=False)
        assert response.status_code == 404, action
    await db.refresh(newsletter)
    assert newsletter.draft and newsletter.recipients == {}
    assert inbox.messages() == []
