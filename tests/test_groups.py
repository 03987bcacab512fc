"""User groups as people use them: creating one, invitations and requests, admins, verification by the
organization, the pages and their cost, and writing comments and proposals on behalf of a group; plus the
co-authors of proposals. Another organization's groups are never seen nor touched."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from core.adminlog import AdminLogEntry
from core.comments.models import Comment
from core.events import Event
from core.follows import follow
from core.groups import services
from core.groups.models import ADMIN, INVITED, MEMBER, REQUESTED, GroupMembership, UserGroup
from core.notifications.models import Notification
from core.roles import grant_organization_role
from plugins.proposals.models import Coauthorship, Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.plugins.proposals.test_proposals import BASE, demo_component, published_proposals
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_notifications import translated_in


def message(app, text: str) -> str:
    """A message as the people of these tests (who chose English) see it, escaped."""
    return str(escape(translated_in(app, "en", text)))


async def log_in(client, user, host: str = "") -> None:
    """Log in as ``user`` (whoever was logged in before is forgotten)."""
    client.cookies.clear()
    page = await client.get(f"{host}/account/login")
    response = await client.post(f"{host}/account/login", data={
        "_csrf_token": csrf(page.text), "email": user.email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303


async def post(client, page: str, action: str | None = None, **fields):
    """Open the page, then post its form with the CSRF token, like a browser."""
    html = (await client.get(page)).text
    return await client.post(action or page, data={"_csrf_token": csrf(html), **fields}, follow_redirects=False)


@pytest.fixture
async def people(demo, db):
    """Four citizens of the demo organization, named after what they do in these tests."""
    return {name: await make_user(db, demo, email=f"{name}@example.org", nickname=name, name=name.capitalize(),
                                  locale="en")
            for name in ("rosa", "pau", "anna", "joan")}


async def make_group(db, organization, admin, nickname="veins_nord", name="Veïns del Nord", members=()) -> UserGroup:
    group = UserGroup(organization_id=organization.id, nickname=nickname, name=name, description="<p>Hola</p>")
    db.add(group)
    await db.flush()
    db.add(GroupMembership(user_group_id=group.id, user_id=admin.id, role=ADMIN))
    for member in members:
        db.add(GroupMembership(user_group_id=group.id, user_id=member.id, role=MEMBER))
    await db.commit()
    return group


async def role_of(db, group, user) -> str | None:
    return await db.scalar(select(GroupMembership.role).where(GroupMembership.user_group_id == group.id,
                                                              GroupMembership.user_id == user.id))


async def told(db, user, event_type: str) -> int:
    """How many notifications of this type the person has."""
    return await db.scalar(select(func.count(Notification.id)).join(Event, Event.id == Notification.event_id)
                           .where(Notification.user_id == user.id, Event.event_type == event_type))


# ---------------------------------------------------------------- creating


async def test_a_citizen_creates_a_group_and_is_its_first_admin(app, client, demo, db, people):
    rosa = people["rosa"]
    assert (await client.get("/groups/new", follow_redirects=False)).status_code == 303  # log in first
    await log_in(client, rosa)

    bad = await post(client, "/groups/new", name="Veïns del Nord", nickname="veïns nord", description="Som veïns")
    assert bad.status_code == 400 and 'value="Veïns del Nord"' in bad.text and "Som veïns" in bad.text
    assert 'aria-invalid="true"' in bad.text
    reserved = await post(client, "/groups/new", name="Nou", nickname="new")
    assert reserved.status_code == 400
    assert message(app, services.NICKNAME_TAKEN) in reserved.text

    created = await post(client, "/groups/new", name="  Veïns   del Nord ", nickname="Veins_Nord",
                         description="Som veïns.\n\nFem <script>alert(1)</script>coses.")
    assert created.status_code == 303 and created.headers["location"] == "/groups/veins_nord"
    group = await db.scalar(select(UserGroup).where(UserGroup.nickname == "veins_nord"))
    assert group.name == "Veïns del Nord" and group.organization_id == demo.id and group.verified_at is None
    assert "<script>" not in group.description and "<p>Som veïns.</p>" in group.description
    assert await role_of(db, group, rosa) == ADMIN

    page = await client.get("/groups/veins_nord")
    assert page.status_code == 200 and "Veïns del Nord" in page.text and "Som veïns." in page.text
    assert 'href="/groups/veins_nord/members"' in page.text  # the admin's link
    assert 'href="/groups/veins_nord"' in (await client.get("/groups")).text
    assert (await client.get("/groups/VEINS_NORD")).status_code == 200

    taken = await post(client, "/groups/new", name="Uns altres", nickname="veins_nord")
    assert taken.status_code == 400 and message(app, services.NICKNAME_TAKEN) in taken.text
    assert await db.scalar(select(func.count(UserGroup.id)).where(UserGroup.organization_id == demo.id)) == 3


async def test_an_admin_edits_the_group(app, client, demo, db, people):
    rosa, pau = people["rosa"], people["pau"]
    group = await make_group(db, demo, rosa, members=[pau])
    await log_in(client, pau)
    assert (await client.get("/groups/veins_nord/edit")).status_code == 403
    await log_in(client, rosa)
    saved = await post(client, "/groups/veins_nord/edit", name="Veïns del Nord Units", nickname="nord_units",
                       description="<p>Nou <a href='javascript:alert(1)'>text</a></p>")
    assert saved.status_code == 303 and saved.headers["location"] == "/groups/nord_units"
    await db.refresh(group)
    assert group.name == "Veïns del Nord Units" and "javascript" not in group.description
    assert (await client.get("/groups/veins_nord")).status_code == 404


# ---------------------------------------------------------------- invitations and requests


async def test_an_admin_invites_by_nickname_or_e_mail_and_people_accept_or_decline(app, client, demo, db, people):
    rosa, pau, anna = people["rosa"], people["pau"], people["anna"]
    group = await make_group(db, demo, rosa)
    await log_in(client, rosa)
    nobody = await post(client, "/groups/veins_nord/members", "/groups/veins_nord/invite", person="@ningu")
    assert nobody.status_code == 400 and "@ningu" in nobody.text
    assert message(app, services.NOBODY) in nobody.text

    assert (await post(client, "/groups/veins_nord/members", "/groups/veins_nord/invite",
                       person="@pau")).status_code == 303
    assert (await post(client, "/groups/veins_nord/members", "/groups/veins_nord/invite",
                       person="ANNA@example.org")).status_code == 303
    twice = await post(client, "/groups/veins_nord/members", "/groups/veins_nord/invite", person="pau")
    assert twice.status_code == 400
    assert await role_of(db, group, pau) == INVITED and await role_of(db, group, anna) == INVITED
    assert await told(db, pau, "groups.invitation_received") == 1
    assert await told(db, anna, "groups.invitation_received") == 1

    # Pau finds the invitation on his page and in his notifications, and accepts it.
    await log_in(client, pau)
    invitations = await client.get("/groups/invitations")
    assert 'action="/groups/veins_nord/invitation/accept"' in invitations.text
    assert "Veïns del Nord" in (await client.get("/notifications")).text
    accepted = await post(client, "/groups/invitations", "/groups/veins_nord/invitation/accept",
                          next="/groups/invitations")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/groups/invitations"
    assert await role_of(db, group, pau) == MEMBER
    page = await client.get("/groups/veins_nord")
    assert 'action="/groups/veins_nord/leave"' in page.text and 'action="/groups/veins_nord/join"' not in page.text

    # Anna declines: the invitation is gone, and she may be invited again.
    await log_in(client, anna)
    declined = await post(client, "/groups/veins_nord", "/groups/veins_nord/invitation/decline")
    assert declined.status_code == 303
    assert await role_of(db, group, anna) is None
    again = await post(client, "/groups/veins_nord", "/groups/veins_nord/invitation/accept")
    assert again.status_code == 303 and await role_of(db, group, anna) is None  # nothing left to accept


async def test_a_person_asks_to_join_and_an_admin_accepts_or_rejects(app, client, demo, db, people):
    rosa, pau, anna = people["rosa"], people["pau"], people["anna"]
    group = await make_group(db, demo, rosa)
    await log_in(client, pau)
    assert (await post(client, "/groups/veins_nord", "/groups/veins_nord/join")).status_code == 303
    assert await role_of(db, group, pau) == REQUESTED
    page = await client.get("/groups/veins_nord")  # a button to withdraw the request, none to ask again
    assert 'action="/groups/veins_nord/leave"' in page.text and 'action="/groups/veins_nord/join"' not in page.text
    await post(client, "/groups/veins_nord", "/groups/veins_nord/join")  # twice: still one request
    assert await db.scalar(select(func.count(GroupMembership.id)).where(GroupMembership.user_id == pau.id)) == 1
    await log_in(client, anna)
    await post(client, "/groups/veins_nord", "/groups/veins_nord/join")
    assert await told(db, rosa, "groups.join_requested") == 2

    await log_in(client, rosa)
    manage = await client.get("/groups/veins_nord/members")
    assert f'action="/groups/veins_nord/members/{pau.id}/accept"' in manage.text
    assert (await post(client, "/groups/veins_nord/members",
                       f"/groups/veins_nord/members/{pau.id}/accept")).status_code == 303
    assert (await post(client, "/groups/veins_nord/members",
                       f"/groups/veins_nord/members/{anna.id}/reject")).status_code == 303
    assert await role_of(db, group, pau) == MEMBER and await role_of(db, group, anna) is None
    assert await told(db, pau, "groups.request_accepted") == 1

    # An invitation to somebody who asked to join lets them in at once.
    await log_in(client, anna)
    await post(client, "/groups/veins_nord", "/groups/veins_nord/join")
    await log_in(client, rosa)
    await post(client, "/groups/veins_nord/members", "/groups/veins_nord/invite", person="anna")
    assert await role_of(db, group, anna) == MEMBER


async def test_admins_appoint_and_demote_but_a_group_keeps_an_admin(app, client, demo, db, people):
    rosa, pau, anna = people["rosa"], people["pau"], people["anna"]
    group = await make_group(db, demo, rosa, members=[pau, anna])
    members = "/groups/veins_nord/members"

    # A member is no admin: the admins' page and its buttons are refused.
    await log_in(client, pau)
    assert (await client.get(members)).status_code == 403
    forbidden = await post(client, "/groups/veins_nord", f"{members}/{pau.id}/promote")
    assert forbidden.status_code == 403 and await role_of(db, group, pau) == MEMBER

    await log_in(client, rosa)
    for action in ("demote", "remove"):  # the only admin cannot go
        refused = await post(client, members, f"{members}/{rosa.id}/{action}")
        assert refused.status_code == 303 and await role_of(db, group, rosa) == ADMIN
        assert message(app, services.LAST_ADMIN) in (await client.get(members)).text
    await post(client, "/groups/veins_nord", "/groups/veins_nord/leave")
    assert await role_of(db, group, rosa) == ADMIN

    await post(client, members, f"{members}/{pau.id}/promote")
    assert await role_of(db, group, pau) == ADMIN
    await post(client, members, f"{members}/{anna.id}/remove")
    assert await role_of(db, group, anna) is None
    await post(client, members, f"{members}/{rosa.id}/demote")  # another admin is left now
    assert await role_of(db, group, rosa) == MEMBER

    await log_in(client, pau)
    await post(client, "/groups/veins_nord", "/groups/veins_nord/leave")
    assert await role_of(db, group, pau) == ADMIN  # the last admin again
    await post(client, members, f"{members}/{rosa.id}/promote")
    assert (await post(client, "/groups/veins_nord", "/groups/veins_nord/leave")).status_code == 303
    assert await role_of(db, group, pau) is None and await role_of(db, group, rosa) == ADMIN


async def test_the_unique_membership_holds_in_the_database(db, demo, people):
    group = await make_group(db, demo, people["rosa"])
    db.add(GroupMembership(user_group_id=group.id, user_id=people["rosa"].id, role=MEMBER))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await db.commit()
    await db.rollback()


# ---------------------------------------------------------------- verification


async def test_organization_admins_and_user_managers_verify_groups(app, client, demo, db, people):
    rosa, pau, anna = people["rosa"], people["pau"], people["anna"]
    await grant_organization_role(db, demo.id, pau.id, "admin")
    await grant_organization_role(db, demo.id, anna.id, "user_manager")
    await db.commit()
    group = await make_group(db, demo, rosa)
    await make_group(db, demo, rosa, nickname="ciclistes", name="Ciclistes")

    await log_in(client, rosa)
    assert (await client.get("/admin/groups")).status_code == 403
    assert (await post(client, "/groups/veins_nord", f"/admin/groups/{group.id}/verify")).status_code == 403

    await log_in(client, anna)
    listing = await client.get("/admin/groups", params={"q": "nord"})
    assert listing.status_code == 200 and "Veïns del Nord" in listing.text and "Ciclistes" not in listing.text
    assert 'href="/admin/groups" aria-current="page"' in listing.text
    verified = await post(client, "/admin/groups", f"/admin/groups/{group.id}/verify")
    assert verified.status_code == 303
    await db.refresh(group)
    assert group.verified_at is not None
    entry = await db.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "group.verify"))
    assert entry.user_id == anna.id and entry.details == {"user_group_id": group.id}
    assert "badge--verified" in (await client.get("/groups/veins_nord")).text

    await log_in(client, pau)
    await post(client, "/admin/groups", f"/admin/groups/{group.id}/unverify")
    await db.refresh(group)
    assert group.verified_at is None
    assert "badge--verified" not in (await client.get("/groups/veins_nord")).text
    assert await db.scalar(select(func.count(AdminLogEntry.id)).where(
        AdminLogEntry.action.in_(("group.verify", "group.unverify")))) == 2


# ---------------------------------------------------------------- pages and organizations


async def test_the_profile_of_a_member_lists_their_groups(client, demo, db, people):
    rosa, pau = people["rosa"], people["pau"]
    await make_group(db, demo, rosa, members=[pau])
    await make_group(db, demo, rosa, nickname="ciclistes", name="Ciclistes")
    profile = await client.get("/profiles/pau")
    assert 'href="/groups/veins_nord"' in profile.text and 'href="/groups/ciclistes"' not in profile.text
    both = await client.get("/profiles/rosa")
    assert 'href="/groups/veins_nord"' in both.text and 'href="/groups/ciclistes"' in both.text
    assert 'id="profile-groups-heading"' not in (await client.get("/profiles/anna")).text  # no empty section


async def test_another_organizations_groups_are_not_found(app, client, demo, db, people):
    other = await other_organization(db)
    foreigner = await make_user(db, other, email="rosa@altra.test", nickname="rosa")
    theirs = await make_group(db, other, foreigner, nickname="altra_colla", name="Colla d'Altra")
    ours = await make_group(db, demo, people["rosa"])
    assert (await client.get("/groups/altra_colla")).status_code == 404
    assert "Colla d'Altra" not in (await client.get("/groups")).text
    assert (await client.get(f"http://{OTHER_HOST}/groups/veins_nord")).status_code == 404
    assert (await client.get(f"http://{OTHER_HOST}/groups/altra_colla")).status_code == 200

    # Their admin cannot verify ours from their site, nor ours theirs.
    await grant_organization_role(db, other.id, foreigner.id, "admin")
    await grant_organization_role(db, demo.id, people["pau"].id, "admin")
    await db.commit()
    await log_in(client, foreigner, f"http://{OTHER_HOST}")
    page = await client.get(f"http://{OTHER_HOST}/admin/groups")
    response = await client.post(f"http://{OTHER_HOST}/admin/groups/{ours.id}/verify",
                                 data={"_csrf_token": csrf(page.text)}, follow_redirects=False)
    assert response.status_code == 404
    await log_in(client, people["pau"])
    assert (await post(client, "/admin/groups", f"/admin/groups/{theirs.id}/verify")).status_code == 404
    # Nor can a person of ours be invited into a group of theirs.
    assert await services.find_person(db, other.id, "@pau") is None


async def test_the_group_list_and_page_cost_the_same_whatever_their_size(client, demo, db, people, count_queries):
    rosa = people["rosa"]
    group = await make_group(db, demo, rosa, members=[people["pau"]])
    await log_in(client, people["anna"])
    await client.get("/groups")  # shows (and so writes away) the login's flash message, a one-off

    async def cost(url: str) -> int:
        with count_queries() as counter:
            assert (await client.get(url)).status_code == 200
        return counter.count

    list_small, page_small = await cost("/groups"), await cost("/groups/veins_nord")
    for index in range(25):
        person = await make_user(db, demo, email=f"veina{index}@example.org", nickname=f"veina{index}")
        db.add(GroupMembership(user_group_id=group.id, user_id=person.id, role=MEMBER))
        await make_group(db, demo, person, nickname=f"colla_{index}", name=f"Colla {index}")
    await db.commit()
    assert await cost("/groups") == list_small
    assert await cost("/groups/veins_nord") == page_small
    assert list_small <= 6 and page_small <= 6, (list_small, page_small)
    assert await cost("/groups?page=2") == list_small


# ---------------------------------------------------------------- on behalf of a group


async def test_a_member_comments_on_behalf_of_the_group_and_a_forged_group_is_refused(app, client, demo, db,
                                                                                     people):
    rosa, pau = people["rosa"], people["pau"]
    ours = await make_group(db, demo, rosa)
    theirs = await make_group(db, demo, pau, nickname="ciclistes", name="Ciclistes")
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    url = f"{BASE}/{component.id}/{proposal_id}"
    action = f"{BASE}/{component.id}/comments"

    await log_in(client, rosa)
    page = await client.get(url)
    assert 'name="comment.user_group_id"' in page.text and f'<option value="{ours.id}"' in page.text
    assert f'<option value="{theirs.id}"' not in page.text
    sent = await post(client, url, action, **{"comment.body": "Ho diem com a associació",
                                               "comment.alignment": "in_favour", "resource_type": "proposals.proposal",
                                               "resource_id": str(proposal_id), "comment.user_group_id": str(ours.id)})
    assert sent.status_code == 303
    comment = await db.scalar(select(Comment).where(Comment.body == "Ho diem com a associació"))
    assert comment.user_group_id == ours.id and comment.author_id == rosa.id
    shown = await client.get(url)
    [shown_comment] = re.findall(rf'<li class="comment" id="comment-{comment.id}">.*?</li>', shown.text, re.S)
    assert '<a href="/groups/veins_nord">Veïns del Nord</a>' in shown_comment

    forged = await post(client, url, action, **{"comment.body": "Ho diem com a ciclistes",
                                                 "resource_type": "proposals.proposal",
                                                 "resource_id": str(proposal_id),
                                                 "comment.user_group_id": str(theirs.id)})
    assert forged.status_code == 400 and "Ho diem com a ciclistes" in forged.text
    assert message(app, services.NOT_A_MEMBER) in forged.text
    nonsense = await post(client, url, action, **{"comment.body": "Un altre", "resource_type": "proposals.proposal",
                                                   "resource_id": str(proposal_id), "comment.user_group_id": "x"})
    assert nonsense.status_code == 400
    assert await db.scalar(select(func.count(Comment.id)).where(Comment.body.in_(
        ("Ho diem com a ciclistes", "Un altre")))) == 0

    # Someone without groups is offered no choice.
    await log_in(client, people["anna"])
    assert 'name="comment.user_group_id"' not in (await client.get(url)).text


async def test_a_member_publishes_a_proposal_on_behalf_of_the_group(app, client, demo, db, people):
    rosa, pau = people["rosa"], people["pau"]
    ours = await make_group(db, demo, rosa)
    theirs = await make_group(db, demo, pau, nickname="ciclistes", name="Ciclistes")
    component = await demo_component(db)
    url = f"{BASE}/{component.id}"
    await log_in(client, rosa)
    written = await post(client, f"{url}/new", title="Un hort comunitari al barri del Nord",
                         body="Volem un hort on aprendre junts.")
    proposal_id = int(written.headers["location"].split("/")[-2])
    preview = await client.get(f"{url}/{proposal_id}/preview")
    assert f'<option value="{ours.id}"' in preview.text and f'<option value="{theirs.id}"' not in preview.text

    forged = await post(client, f"{url}/{proposal_id}/preview", f"{url}/{proposal_id}/publish",
                        user_group_id=str(theirs.id))
    assert forged.status_code == 400 and message(app, services.NOT_A_MEMBER) in forged.text
    proposal = await db.scalar(select(Proposal).where(Proposal.id == proposal_id)
                               .execution_options(populate_existing=True))
    assert proposal.state == "draft" and proposal.user_group_id is None

    published = await post(client, f"{url}/{proposal_id}/preview", f"{url}/{proposal_id}/publish",
                           user_group_id=str(ours.id))
    assert published.status_code == 303
    proposal = await db.scalar(select(Proposal).where(Proposal.id == proposal_id)
                               .execution_options(populate_existing=True))
    assert proposal.state == "published" and proposal.user_group_id == ours.id
    client.cookies.clear()
    for page in (f"{url}/{proposal_id}", f"{url}/?order=recent"):
        assert 'href="/groups/veins_nord">Veïns del Nord</a>' in (await client.get(page)).text


# ---------------------------------------------------------------- co-authors


async def test_the_author_invites_co_authors_who_accept_and_may_edit(app, client, demo, db, people):
    rosa, pau, anna, joan = people["rosa"], people["pau"], people["anna"], people["joan"]
    component = await demo_component(db)
    [proposal_id] = await published_proposals(db, component, 1)
    await db.execute(Proposal.__table__.update().where(Proposal.id == proposal_id).values(author_id=rosa.id))
    await db.commit()
    url = f"{BASE}/{component.id}/{proposal_id}"
    await follow(db, joan.id, "proposals.proposal", proposal_id)
    await db.commit()

    # Only the author has the co-authors page.
    await log_in(client, pau)
    assert (await client.get(f"{url}/coauthors")).status_code == 404
    assert (await client.get(f"{url}/edit")).status_code == 404

    await log_in(client, rosa)
    assert 'href="' + url + '/coauthors"' in (await client.get(url)).text
    nobody = await post(client, f"{url}/coauthors", person="ningu@example.org")
    assert nobody.status_code == 400 and "ningu@example.org" in nobody.text
    for person in ("@pau", "anna@example.org"):
        assert (await post(client, f"{url}/coauthors", person=person)).status_code == 303
    assert (await post(client, f"{url}/coauthors", person="pau")).status_code == 400  # already invited
    assert (await post(client, f"{url}/coauthors", person="rosa")).status_code == 400  # the author herself
    assert await told(db, pau, "proposals.coauthor_invited") == 1
    assert await told(db, anna, "proposals.coauthor_invited") == 1
    assert await told(db, joan, "proposals.coauthor_invited") == 0  # a follower of the proposal is not told

    # Pau accepts: he is shown as a co-author and edits under the author's rule.
    await log_in(client, pau)
    page = await client.get(url)
    assert f'action="{url}/coauthors/accept"' in page.text
    assert (await post(client, url, f"{url}/coauthors/accept")).status_code == 303
    page = await client.get(url)
    assert 'href="/profiles/pau">Pau</a>' in page.text and f'href="{url}/edit"' in page.text
    edited = await post(client, f"{url}/edit", title="Una proposta escrita a quatre mans",
                        body="Ara amb més detalls de tots dos.")
    assert edited.status_code == 303
    proposal = await db.scalar(select(Proposal).where(Proposal.id == proposal_id)
                               .execution_options(populate_existing=True))
    assert proposal.title == "Una proposta escrita a quatre mans"

    # Anna declines; Joan, never invited, can neither accept nor edit.
    await log_in(client, anna)
    await post(client, url, f"{url}/coauthors/decline")
    await log_in(client, joan)
    await post(client, url, f"{url}/coauthors/accept")
    assert (await client.get(f"{url}/edit")).status_code == 404
    rows = {row.user_id: row.accepted_at is not None for row in await db.scalars(
        select(Coauthorship).where(Coauthorship.proposal_id == proposal_id)
        .execution_options(populate_existing=True))}
    assert rows == {pau.id: True}

    # The author removes him; he no longer edits.
    await log_in(client, rosa)
    assert (await post(client, f"{url}/coauthors", f"{url}/coauthors/{pau.id}/remove")).status_code == 303
    await log_in(client, pau)
    assert (await client.get(f"{url}/edit")).status_code == 404
