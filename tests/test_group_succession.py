"""A group whose only admin deletes their account or is blocked gets the member who joined first as admin,
who is told; a group with nobody left is shown to the organization's admins, who appoint an admin."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from core.adminlog import AdminLogEntry
from core.groups.models import ADMIN, MEMBER, GroupMembership, UserGroup
from core.roles import grant_organization_role
from tests.conftest import other_organization
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_groups import log_in, make_group, message, people, post, role_of, told  # noqa: F401  (fixture)


async def joined(db, group, user, when: datetime) -> None:
    await db.execute(update(GroupMembership).where(GroupMembership.user_group_id == group.id,
                                                   GroupMembership.user_id == user.id).values(joined_at=when))
    await db.commit()


async def test_the_member_who_joined_first_runs_the_group_when_its_only_admin_deletes_their_account(
        app, client, demo, db, people):  # noqa: F811
    rosa, pau, anna, joan = (people[name] for name in ("rosa", "pau", "anna", "joan"))
    alone = await make_group(db, demo, rosa, members=[pau, anna])
    await joined(db, alone, pau, datetime(2026, 3, 1, tzinfo=UTC))
    await joined(db, alone, anna, datetime(2025, 6, 1, tzinfo=UTC))  # joined first, though added after Pau
    shared = await make_group(db, demo, rosa, nickname="dues_admins", name="Dues admins", members=[pau])
    db.add(GroupMembership(user_group_id=shared.id, user_id=joan.id, role=ADMIN))
    await db.commit()

    await log_in(client, rosa)
    page = await client.get("/account/settings")
    deleted = await client.post("/account/delete", data={"_csrf_token": csrf(page.text),
                                                         "current_password": PASSWORD, "understood": "on"})
    assert deleted.status_code in (200, 303)

    assert (await role_of(db, alone, anna), await role_of(db, alone, pau)) == (ADMIN, MEMBER)
    assert await told(db, anna, "groups.admin_appointed") == 1 and await told(db, pau, "groups.admin_appointed") == 0
    assert await role_of(db, shared, pau) == MEMBER  # Joan still runs that one
    await log_in(client, anna)
    members = await client.get("/groups/veins_nord/members")
    assert members.status_code == 200  # an admin's page: Anna runs the group now


async def test_a_group_left_with_nobody_is_shown_to_admins_who_appoint_someone(app, client, demo, db,
                                                                               people):  # noqa: F811
    rosa, pau, joan = people["rosa"], people["pau"], people["joan"]
    boss = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Boss", locale="en")
    desk = await make_user(db, demo, email="desk@example.org", nickname="desk", name="Desk", locale="en")
    await grant_organization_role(db, demo.id, boss.id, "admin")
    await grant_organization_role(db, demo.id, desk.id, "user_manager")
    lonely = await make_group(db, demo, joan, nickname="sol", name="Grup sol")
    await make_group(db, demo, rosa, nickname="amb_admin", name="Amb admin", members=[pau])
    await db.commit()

    await log_in(client, boss)
    blocked = await post(client, f"/admin/users/{joan.id}", f"/admin/users/{joan.id}/block", reason="Spam repetit")
    assert blocked.status_code == 303
    assert await role_of(db, lonely, joan) == ADMIN  # nobody else to run it: the group stays as it was

    listing = await client.get("/admin/groups")
    assert listing.text.count(message(app, "Without admin")) == 1
    assert f'href="/admin/groups/{lonely.id}/appoint"' in listing.text
    await log_in(client, desk)  # a user manager verifies groups, but appointing is for admins
    assert message(app, "Without admin") in (await client.get("/admin/groups")).text
    assert f'href="/admin/groups/{lonely.id}/appoint"' not in (await client.get("/admin/groups")).text
    assert (await client.get(f"/admin/groups/{lonely.id}/appoint")).status_code == 403

    await log_in(client, boss)
    page = f"/admin/groups/{lonely.id}/appoint"
    unknown = await post(client, page, person="@ningu")
    assert unknown.status_code == 400 and message(app, "Nobody with an account here has this nickname or e-mail.") \
        in unknown.text and 'value="@ningu"' in unknown.text
    appointed = await post(client, page, person="@pau")
    assert appointed.status_code == 303
    assert await role_of(db, lonely, pau) == ADMIN
    assert await told(db, pau, "groups.admin_appointed") == 1
    assert message(app, "Without admin") not in (await client.get("/admin/groups")).text
    assert await db.scalar(select(func.count(AdminLogEntry.id)).where(
        AdminLogEntry.action == "group.appoint_admin")) == 1
    again = await post(client, page, person="@rosa")
    assert again.status_code == 400 and message(app, "This group has an admin: its admins run it.") in again.text
    assert await role_of(db, lonely, rosa) is None

    other = await other_organization(db)
    foreign = UserGroup(organization_id=other.id, nickname="altre", name="Altre grup")
    db.add(foreign)
    await db.commit()
    assert (await client.get(f"/admin/groups/{foreign.id}/appoint")).status_code == 404
    assert (await post(client, page, f"/admin/groups/{foreign.id}/appoint", person="@pau")).status_code == 404
