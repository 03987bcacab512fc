"""A managed participant takes over their account: staff at the desk mail them a link, and the person
chooses a nickname and password; the same account, with everything it did, is theirs from then on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from core.accounts.models import AccountToken, User
from core.adminlog import AdminLogEntry
from core.db import utcnow
from core.models import Component, Space
from core.verifications.models import ManagedSession, Verification
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.mailbox import wait_for
from tests.test_accounts import csrf, link_in, make_user, submit
from tests.test_managed_participants import desk, end, start  # noqa: F401  (fixture)
from tests.test_notifications import log_in, translated_in
from tests.test_verifications import citizen, staff, verify  # noqa: F401  (fixtures)

pytestmark = pytest.mark.mail  # real mail, caught by the inbox fixture's SMTP server

NEW_PASSWORD = "una-clau-ben-llarga-2027"


async def send_link(client, email="josep.vidal@example.org", document_number="12345678Z", birth_date="1980-05-31"):
    page = await client.get("/admin/desk/handover")
    return await client.post("/admin/desk/handover", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "document_number": document_number, "birth_date": birth_date, "email": email})


def links(inbox) -> list[str]:
    return [link_in(message, "/account/managed/") for message in inbox.messages()]


async def test_a_managed_participant_takes_over_their_account_and_keeps_what_they_did(
        app, client, demo, db, desk, inbox):  # noqa: F811
    assert (await start(client)).status_code == 303
    await end(client)
    participant = await db.scalar(select(User).where(User.managed.is_(True)))
    component = await db.scalar(select(Component).join(Space).where(Space.slug == "pressupostos-2027",
                                                                    Component.component_type == "proposals"))
    proposal = Proposal(component_id=component.id, title="Un banc a l'ombra", body="<p>Per seure</p>",
                        language="ca", state="published", published_at=utcnow(), words="banc ombra")
    db.add(proposal)
    await db.flush()
    db.add(Support(proposal_id=proposal.id, user_id=participant.id, component_id=component.id))
    await db.commit()

    assert 'href="/admin/desk/handover"' in (await client.get("/admin/desk")).text
    first = await send_link(client)
    assert first.status_code == 303 and first.headers["location"] == "/admin/desk"
    [message] = wait_for(inbox.messages, what="the link")
    assert message["To"] == "josep.vidal@example.org"
    assert "El teu compte propi" in message["Subject"] and "Josep Vidal" in message.get_content()

    # A second link replaces the first; an expired one does not work; neither works for another organization.
    assert (await send_link(client, email="Josep.Vidal@Example.org")).status_code == 303
    wait_for(lambda: len(inbox.messages()) == 2, what="the second link")
    replaced, second = links(inbox)
    client.cookies.clear()
    assert (await client.get(replaced)).status_code == 404
    await other_organization(db)
    assert (await client.get(f"http://{OTHER_HOST}{second}")).status_code == 404
    await db.execute(update(AccountToken).where(AccountToken.purpose == "managed_handover", AccountToken.used_at.is_(None))
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    expired = await client.get(second)
    assert expired.status_code == 404 and "Aquest enllaç ha caducat o ja s'ha fet servir." in expired.text

    await log_in(client, desk)
    assert (await send_link(client)).status_code == 303
    wait_for(lambda: len(inbox.messages()) == 3, what="the third link")
    link = links(inbox)[-1]
    # A session on the person's behalf still open at the desk ends when they take over.
    db.add(ManagedSession(organization_id=demo.id, staff_user_id=desk.id, staff_name=desk.name,
                          participant_id=participant.id, reason="Una altra visita", started_at=utcnow(),
                          expires_at=utcnow() + timedelta(minutes=30)))
    await db.commit()
    client.cookies.clear()

    page = await client.get(link)
    assert page.status_code == 200 and "josep.vidal@example.org" in page.text and 'value="Josep Vidal"' in page.text
    refused = await submit(client, link, name="Josep Vidal", nickname="josepv", password="curta")
    assert refused.status_code == 400 and 'value="josepv"' in refused.text
    taken = await submit(client, link, name="Josep Vidal", nickname=desk.nickname, password=NEW_PASSWORD,
                         minimum_age="on", terms="on")
    assert taken.status_code == 400
    assert str(escape(translated_in(app, "ca", "This nickname is taken; choose another one."))) in taken.text
    done = await submit(client, link, name="Josep Vidal i Puig", nickname="josepv", password=NEW_PASSWORD,
                        minimum_age="on", terms="on")
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Josep Vidal i Puig" in (await client.get("/account/settings")).text  # logged in

    person = await db.scalar(select(User).where(User.id == participant.id).execution_options(populate_existing=True))
    assert (person.managed, person.email, person.nickname, person.name) == (
        False, "josep.vidal@example.org", "josepv", "Josep Vidal i Puig")
    assert person.confirmed_at is not None and person.terms_accepted_version == demo.terms_version
    assert await db.scalar(select(func.count(User.id)).where(User.email == "josep.vidal@example.org")) == 1
    assert await db.scalar(select(Verification.user_id)) == participant.id
    assert (await db.scalars(select(Support.user_id).where(Support.proposal_id == proposal.id))).all() == [
        participant.id]
    assert await db.scalar(select(func.count(ManagedSession.id)).where(ManagedSession.ended_at.is_(None))) == 0
    actions = (await db.scalars(select(AdminLogEntry.action).where(AdminLogEntry.action.like("managed.handover%"))
                                .order_by(AdminLogEntry.id))).all()
    assert actions == ["managed.handover_invite"] * 3 + ["managed.handover"]

    # The link works once; the person logs in with their own password, and the desk no longer manages them.
    client.cookies.clear()
    assert (await client.get(link)).status_code == 404
    assert (await submit(client, "/account/login", email="josep.vidal@example.org",
                         password=NEW_PASSWORD)).status_code == 303
    client.cookies.clear()
    await log_in(client, desk)
    again = await start(client, name="")
    assert again.status_code == 400 and "has an account of their own" in again.text


async def test_the_link_is_refused_for_a_taken_address_and_for_people_not_managed(
        client, demo, db, desk, citizen, inbox):  # noqa: F811
    never = await send_link(client)
    assert never.status_code == 400 and "Nobody has taken part at the desk with this identity yet." in never.text
    unknown = await send_link(client, birth_date="1980-01-01")
    assert unknown.status_code == 400 and "These details are not in the census" in unknown.text
    bad = await send_link(client, email="not an address")
    assert bad.status_code == 400 and 'value="not an address"' in bad.text

    assert (await start(client)).status_code == 303
    await end(client)
    taken = await send_link(client, email="LAIA.PUIG@example.org")  # the citizen's address
    assert taken.status_code == 400 and "This e-mail address belongs to another account." in taken.text
    assert 'value="LAIA.PUIG@example.org"' in taken.text

    # Someone registers with the address after the link was sent: taking over is refused, nothing changes.
    assert (await send_link(client, email="josep@example.org")).status_code == 303
    [link] = wait_for(lambda: links(inbox), what="the link")
    await make_user(db, demo, email="josep@example.org", nickname="josep_altre", locale="en")
    client.cookies.clear()
    refused = await submit(client, link, name="Josep", nickname="josepv", password=NEW_PASSWORD,
                           minimum_age="on", terms="on")
    assert refused.status_code == 400 and "Aquesta adreça de correu és d&#39;un altre compte." in refused.text
    assert await db.scalar(select(func.count(User.id)).where(User.managed.is_(True))) == 1

    # A citizen with an account of their own is not managed; the desk says so; user managers only.
    await log_in(client, citizen)
    assert (await client.get("/admin/desk/handover")).status_code == 403
    assert (await verify(client, document_number="X1234567L", birth_date="2001-02-03")).status_code == 303
    await log_in(client, desk)
    own = await send_link(client, document_number="X1234567L", birth_date="2001-02-03", email="nou@example.org")
    assert own.status_code == 400 and "has an account of their own" in own.text
