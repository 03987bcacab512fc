"""Assisted participation: staff at a municipal desk verify a person with the census and act on their
behalf; every page says so, what is done is the person's, and the session is logged for admins."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from core.accounts.models import User
from core.adminlog import AdminLogEntry
from core.db import utcnow
from core.models import Component, Space
from core.plugins import Registry
from core.roles import grant_organization_role
from core.verifications import identity
from core.verifications.handlers import AuthorizationHandler
from core.verifications.models import ManagedSession, Verification
from plugins.proposals.models import Proposal, Support
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import PASSWORD, csrf, make_user, submit
from tests.test_notifications import log_in
from tests.test_plugins import plugin_module
from tests.test_verifications import CENSUS, citizen, staff, upload_census, verify  # noqa: F401  (fixtures)

BANNER = "You are acting on behalf of"


async def start(client, document_number="12345678Z", birth_date="1980-05-31", name="Josep Vidal",
                reason="Comes to the desk every Monday; has no internet at home."):
    page = await client.get("/admin/desk")
    return await client.post("/admin/desk", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "document_number": document_number, "birth_date": birth_date,
        "name": name, "reason": reason})


async def end(client):
    page = await client.get("/")
    return await client.post("/account/acting/end", data={"_csrf_token": csrf(page.text)}, follow_redirects=False)


@pytest.fixture
async def desk(client, demo, db, staff):  # noqa: F811
    """The census is uploaded, and the user manager is at the desk."""
    _, manager = staff
    await log_in(client, manager)
    await upload_census(client, CENSUS)
    return manager


async def test_staff_act_on_behalf_of_a_person_and_what_they_do_is_that_persons(client, demo, db, desk):
    assert 'href="/admin/desk"' in (await client.get("/admin")).text
    started = await start(client)
    assert started.status_code == 303
    participant = await db.scalar(select(User).where(User.managed.is_(True)))
    assert participant.name == "Josep Vidal" and participant.password_hash is None
    assert participant.email.endswith("@managed.invalid") and participant.confirmed_at is None
    assert await db.scalar(select(Verification.handler).where(Verification.user_id == participant.id)) == "census"

    for path in ("/", "/processes", "/account/verifications"):
        page = await client.get(path)
        assert page.status_code == 200 and f"{BANNER} Josep Vidal" in page.text, path
        assert 'action="/account/acting/end"' in page.text
    assert (await client.get("/admin")).status_code == 403  # the staff member's roles are not the person's

    component = await db.scalar(select(Component).join(Space).where(Space.slug == "pressupostos-2027",
                                                                    Component.component_type == "proposals"))
    space = await db.get(Space, component.space_id)
    component.phase_settings = {**component.phase_settings, str(space.active_phase_id): {"supports_enabled": True}}
    proposal = Proposal(component_id=component.id, title="Un banc a l'ombra", body="<p>Per seure</p>",
                        language="ca", state="published", published_at=utcnow(), words="banc ombra")
    db.add(proposal)
    await db.commit()
    url = f"/processes/{space.slug}/proposals/{component.id}/{proposal.id}"
    page = await client.get(url)
    supported = await client.post(f"{url}/support", data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert supported.status_code == 303
    assert (await db.scalars(select(Support.user_id).where(Support.proposal_id == proposal.id))).all() == [participant.id]

    ended = await end(client)
    assert ended.status_code == 303 and ended.headers["location"] == "/admin/desk"
    after = await client.get("/admin/desk")
    assert after.status_code == 200 and BANNER not in after.text
    row = await db.scalar(select(ManagedSession).execution_options(populate_existing=True))
    assert (row.staff_user_id, row.participant_id, row.ended_at is not None) == (desk.id, participant.id, True)
    assert row.reason == "Comes to the desk every Monday; has no internet at home."
    actions = (await db.scalars(select(AdminLogEntry.action).where(AdminLogEntry.action.like("managed.%"))
                                .order_by(AdminLogEntry.id))).all()
    assert actions == ["managed.start", "managed.end"]


async def test_the_log_of_sessions_is_for_administrators(client, demo, db, desk, staff):  # noqa: F811
    admin, _ = staff
    await start(client)
    await end(client)
    assert (await client.get("/admin/desk/log")).status_code == 403  # a user manager works the desk, no more
    await log_in(client, admin)
    log = await client.get("/admin/desk/log")
    assert log.status_code == 200
    assert "Pau Desk" in log.text and "Josep Vidal" in log.text and "has no internet at home" in log.text

    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss", locale="en")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()
    await log_in(client, foreign, f"http://{OTHER_HOST}")
    elsewhere = await client.get(f"http://{OTHER_HOST}/admin/desk/log")
    assert elsewhere.status_code == 200 and "Josep Vidal" not in elsewhere.text


async def test_the_same_identity_finds_the_same_managed_participant(client, demo, db, desk):
    await start(client)
    await end(client)
    again = await start(client, document_number="12.345.678-Z", name="")  # no name needed the second time
    assert again.status_code == 303
    assert await db.scalar(select(func.count(User.id)).where(User.managed.is_(True))) == 1
    assert await db.scalar(select(func.count(ManagedSession.id))) == 2


async def test_bad_details_a_missing_reason_and_people_with_an_account_are_refused(client, demo, db, desk,
                                                                                   citizen):  # noqa: F811
    refused = await start(client, birth_date="1980-01-01", reason="x")
    assert refused.status_code == 400
    assert "Write at least 5 characters." in refused.text and 'value="Josep Vidal"' in refused.text
    unknown = await start(client, birth_date="1980-01-01")
    assert unknown.status_code == 400 and "These details are not in the census" in unknown.text
    first_time = await start(client, name="")
    assert first_time.status_code == 400 and "Write the person&#39;s name" in first_time.text

    await log_in(client, citizen)
    assert (await verify(client)).status_code == 303
    await log_in(client, desk)
    own_account = await start(client)
    assert own_account.status_code == 400 and "has an account of their own" in own_account.text
    assert await db.scalar(select(func.count(ManagedSession.id))) == 0
    assert await db.scalar(select(func.count(User.id)).where(User.managed.is_(True))) == 0


async def test_a_session_ends_by_itself_and_nobody_logs_in_as_a_managed_participant(client, demo, db, desk):
    await start(client)
    assert BANNER in (await client.get("/")).text
    await db.execute(update(ManagedSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    page = await client.get("/admin/desk")
    assert page.status_code == 200 and BANNER not in page.text  # the staff member is themselves again
    assert "The session on behalf of another person has ended." in page.text
    assert BANNER not in (await client.get("/")).text
    participant = await db.scalar(select(User).where(User.managed.is_(True)))
    client.cookies.clear()
    refused = await submit(client, "/account/login", email=participant.email, password=PASSWORD)
    assert refused.status_code == 400


async def test_citizens_cannot_open_the_desk(client, demo, db, desk, citizen):  # noqa: F811
    await log_in(client, citizen)
    assert (await client.get("/admin/desk")).status_code == 403
    page = await client.get("/")
    forged = await client.post("/admin/desk", data={"_csrf_token": csrf(page.text), "document_number": "12345678Z",
                                                    "birth_date": "1980-05-31", "name": "X", "reason": "because"})
    assert forged.status_code == 403
    assert await db.scalar(select(func.count(ManagedSession.id))) == 0


# ---------------------------------------------------------------- with another handler than the census


async def start_with_document(client, document_number="PA1234567", birth_date="1975-11-02", name="Fatima Zahra",
                              document_type="passport", postal_code="08810", handler="identity_document",
                              reason="Newly arrived; not in the census yet."):
    page = await client.get(f"/admin/desk?handler={handler}")
    return await client.post("/admin/desk", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "handler": handler, "document_type": document_type,
        "document_number": document_number, "birth_date": birth_date, "postal_code": postal_code, "name": name,
        "reason": reason})


async def test_staff_verify_a_person_by_the_identity_document_they_see(client, demo, db, desk, staff,  # noqa: F811
                                                                      settings):
    page = await client.get("/admin/desk")
    assert 'href="/admin/desk?handler=identity_document"' in page.text and 'name="document_type"' not in page.text
    page = await client.get("/admin/desk?handler=identity_document")
    assert page.status_code == 200 and 'name="document_type"' in page.text
    assert 'name="handler" value="identity_document"' in page.text and 'type="file"' not in page.text  # no upload
    assert (await client.get("/admin/desk?handler=nothing")).status_code == 404

    refused = await start_with_document(client, document_number="12", postal_code="?")
    assert refused.status_code == 400 and 'value="Fatima Zahra"' in refused.text
    assert 'value="12"' in refused.text and "Newly arrived" in refused.text  # what was typed stays
    started = await start_with_document(client)
    assert started.status_code == 303
    assert BANNER + " Fatima Zahra" in (await client.get("/")).text
    participant = await db.scalar(select(User).where(User.managed.is_(True)))
    verification = await db.scalar(select(Verification).where(Verification.user_id == participant.id))
    assert verification.handler == "identity_document"
    assert verification.unique_digest == identity.digest(settings.secret_key, demo.id, "PA1234567", date(1975, 11, 2))
    assert verification.details == {"birth_date": "1975-11-02", "postal_code": "08810", "document_type": "passport"}
    row = await db.scalar(select(ManagedSession))
    assert (row.handler, row.staff_user_id, row.reason) == ("identity_document", desk.id,
                                                            "Newly arrived; not in the census yet.")
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "managed.start"))
    assert entry.details == {"reason": "Newly arrived; not in the census yet.", "handler": "identity_document"}
    await end(client)

    admin, _ = staff
    await log_in(client, admin)
    log = await client.get("/admin/desk/log")
    assert "Fatima Zahra" in log.text and "Identity document" in log.text


async def test_one_identity_is_one_managed_participant_whatever_the_handler(client, demo, db, desk,
                                                                            citizen):  # noqa: F811
    assert (await start(client)).status_code == 303  # 12345678Z, 1980-05-31, with the census
    await end(client)
    again = await start_with_document(client, document_number="12345678-z", birth_date="1980-05-31", name="",
                                      document_type="dni", postal_code="")
    assert again.status_code == 303
    [participant] = (await db.scalars(select(User).where(User.managed.is_(True)))).all()
    handlers = (await db.scalars(select(Verification.handler).where(Verification.user_id == participant.id)
                                 .order_by(Verification.handler))).all()
    assert handlers == ["census", "identity_document"]  # the same person, now verified both ways
    await end(client)

    # A person verified with their own account is not a managed participant, whichever handler staff use.
    await log_in(client, citizen)
    assert (await verify(client, document_number="X1234567L", birth_date="2001-02-03")).status_code == 303
    await log_in(client, desk)
    own = await start_with_document(client, document_number="X1234567L", birth_date="2001-02-03")
    assert own.status_code == 400 and "has an account of their own" in own.text
    assert await db.scalar(select(func.count(User.id)).where(User.managed.is_(True))) == 1
    assert await db.scalar(select(func.count(ManagedSession.id))) == 2

    # The handover checks the identity with the handler chosen too.
    page = await client.get("/admin/desk/handover?handler=identity_document")
    assert page.status_code == 200 and 'name="document_type"' in page.text
    sent = await client.post("/admin/desk/handover", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "handler": "identity_document", "document_type": "dni",
        "document_number": "12345678Z", "birth_date": "1980-05-31", "email": "josep.vidal@example.org"})
    assert sent.status_code == 303


SMS = AuthorizationHandler(name="sms", title="SMS code", verify_path="/account/verifications/sms")


class TestAHandlerThatCannotVerifyAtTheDesk:
    """A plugin's handler without ``desk`` (a code sent to a phone) is not offered at the desk, and choosing it
    by hand is refused."""

    @pytest.fixture
    def registry(self, settings):
        return Registry(settings, extra=[("testing", plugin_module("testing",
                                                                   register_authorization_handlers=lambda: [SMS]))])

    async def test_it_is_refused(self, client, demo, db, desk):
        assert "sms" in client.app.state.registry.authorization_handlers
        page = await client.get("/admin/desk")
        assert "handler=sms" not in page.text and "handler=identity_document" in page.text
        assert (await client.get("/admin/desk?handler=sms")).status_code == 404
        refused = await client.post("/admin/desk", follow_redirects=False, data={
            "_csrf_token": csrf(page.text), "handler": "sms", "document_number": "12345678Z",
            "birth_date": "1980-05-31", "name": "Josep Vidal", "reason": "Has no internet at home."})
        assert refused.status_code == 400 and "This way of verifying cannot be used at the desk." in refused.text
        assert 'value="Josep Vidal"' in refused.text
        handover = await client.post("/admin/desk/handover", follow_redirects=False, data={
            "_csrf_token": csrf(page.text), "handler": "sms", "document_number": "12345678Z",
            "birth_date": "1980-05-31", "email": "josep@example.org"})
        assert handover.status_code == 400
        assert await db.scalar(select(func.count(ManagedSession.id))) == 0
        assert await db.scalar(select(func.count(User.id)).where(User.managed.is_(True))) == 0


async def test_another_organizations_staff_cannot_use_this_desk_nor_find_its_people(client, demo, db, desk):
    assert (await start_with_document(client)).status_code == 303
    await end(client)
    other = await other_organization(db)
    foreign = await make_user(db, other, email="boss@altra.test", nickname="boss", locale="en")
    await grant_organization_role(db, other.id, foreign.id, "admin")
    await db.commit()
    client.cookies.clear()
    await log_in(client, foreign, f"http://{OTHER_HOST}")
    assert (await client.get("/admin/desk", follow_redirects=False)).status_code != 200  # not theirs
    page = await client.get(f"http://{OTHER_HOST}/admin/desk?handler=identity_document")
    forged = await client.post("/admin/desk", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "handler": "identity_document", "document_type": "passport",
        "document_number": "PA1234567", "birth_date": "1975-11-02", "name": "Fatima Zahra", "reason": "Not ours."})
    assert forged.status_code in (302, 303, 401, 403)
    assert await db.scalar(select(func.count(ManagedSession.id))) == 1
    # At their own desk the same document is a person of their own organization, unrelated to the demo's.
    own = await client.post(f"http://{OTHER_HOST}/admin/desk", follow_redirects=False, data={
        "_csrf_token": csrf(page.text), "handler": "identity_document", "document_type": "passport",
        "document_number": "PA1234567", "birth_date": "1975-11-02", "name": "Fatima Zahra", "reason": "Ours now."})
    assert own.status_code == 303
    managed = (await db.execute(select(User.organization_id, func.count(User.id)).where(User.managed.is_(True))
                                .group_by(User.organization_id).order_by(User.organization_id))).all()
    assert managed == [(demo.id, 1), (other.id, 1)]
