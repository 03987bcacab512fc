"""What the proposals pages cost in SQL: a proposal page with everything on it, seen by a person logged in who
belongs to a group, stays within the budget of docs/performance.md (8 queries) and does not grow with its
endorsements, comments, attachments, amendments or co-authors; the list does not grow with its proposals."""

from __future__ import annotations

import secrets

import pytest

from core.attachments.models import Attachment
from core.comments.models import Comment
from core.db import utcnow
from core.endorsements.models import GROUP, PERSON, Endorsement
from core.groups.services import author_groups, remember_author_groups
from core.uploads import Upload
from plugins.proposals.amendment_models import Amendment
from plugins.proposals.models import AnswerState, Coauthorship, Proposal
from tests.plugins.proposals.test_proposals import (
    BASE,
    demo_component,
    published_proposals,
    set_phase,
    set_rules,
)
from tests.test_accounts import make_user
from tests.test_admin import log_in
from tests.test_endorsements import group_of

BUDGET = 8


@pytest.fixture
async def scene(demo, db):
    """A component with supports, endorsements and amendments open and an answer state of its own; a viewer
    who belongs to a group; a published proposal with a co-author, answered with that state."""
    component = await demo_component(db)
    await set_rules(db, component, amendments_enabled=True)
    await set_phase(db, component, supports_enabled=True, endorsements_enabled=True,
                    amendment_creation_enabled=True)
    component = await demo_component(db)
    people = [await make_user(db, demo, email=f"gent{index}@example.org", nickname=f"gent{index}",
                              name=f"Gent {index}", locale="en") for index in range(3)]
    viewer, author, coauthor = people
    group = await group_of(db, demo, "veinat", viewer)
    db.add(AnswerState(component_id=component.id, token="in_study", name={"ca": "En estudi", "en": "In study"},
                       kind="neutral"))
    proposal = Proposal(component_id=component.id, author_id=author.id, title="Un parc infantil a la Riera",
                        body="<p>Les famílies no tenen cap parc a prop.</p>", language="ca", state="published",
                        published_at=utcnow(), words="parc infantil riera", answer_state="in_study",
                        answer={"ca": "L'estudiem."}, answered_at=utcnow(), answer_published_at=utcnow(),
                        endorsements_count=1)
    db.add(proposal)
    await db.flush()
    db.add(Coauthorship(proposal_id=proposal.id, user_id=coauthor.id, accepted_at=utcnow()))
    db.add(Endorsement(resource_type="proposals.proposal", resource_id=proposal.id, endorser_type=GROUP,
                       endorser_id=group.id, user_id=viewer.id, user_group_id=group.id, created_at=utcnow()))
    await db.commit()
    return {"component": component, "proposal": proposal, "viewer": viewer, "author": author, "group": group,
            "demo": demo}


async def add_more(db, scene, count: int, start: int) -> None:
    """``count`` more of each: endorsements by people, comments, attachments, amendments and co-authors."""
    component, proposal = scene["component"], scene["proposal"]
    for index in range(start, start + count):
        person = await make_user(db, scene["demo"], email=f"mes{index}@example.org", nickname=f"mes{index}",
                                 name=f"Més {index}")
        db.add(Endorsement(resource_type="proposals.proposal", resource_id=proposal.id, endorser_type=PERSON,
                           endorser_id=person.id, user_id=person.id, created_at=utcnow()))
        db.add(Comment(component_id=component.id, resource_type="proposals.proposal", resource_id=proposal.id,
                       author_id=person.id, body=f"Comentari {index}", depth=1))
        db.add(Amendment(proposal_id=proposal.id, component_id=component.id, author_id=person.id,
                         title=f"Una esmena número {index}", body="<p>Un altre text.</p>",
                         base_title=proposal.title, base_body=proposal.body, state="pending"))
        db.add(Coauthorship(proposal_id=proposal.id, user_id=person.id, accepted_at=utcnow()))
        upload = Upload(organization_id=scene["demo"].id, owner_user_id=scene["author"].id,
                        key=secrets.token_hex(16), kind="document", purpose="attachment", path=f"x/{index}.pdf",
                        content_type="application/pdf", size=1000, original_name=f"{index}.pdf")
        db.add(upload)
        await db.flush()
        db.add(Attachment(organization_id=scene["demo"].id, space_id=component.space_id, component_id=component.id,
                          resource_type="proposals.proposal", resource_id=proposal.id, upload_id=upload.id,
                          title={"ca": f"Document {index}"}))
    await db.execute(Proposal.__table__.update().where(Proposal.id == proposal.id)
                     .values(endorsements_count=Proposal.endorsements_count + count))
    await db.commit()


async def test_a_proposal_page_with_everything_stays_within_the_budget(client, db, scene, count_queries):
    url = f"{BASE}/{scene['component'].id}/{scene['proposal'].id}"

    async def cost():
        with count_queries() as counter:
            page = await client.get(url)
        assert page.status_code == 200
        return counter, page.text

    await add_more(db, scene, 2, 0)
    await log_in(client, "gent0@example.org")
    await client.get(url)  # shows (and so writes away) the login's flash message, a one-off
    few, page = await cost()
    assert few.count <= BUDGET, "\n\n".join(few.statements)
    # Everything is there: the group's endorsement (and its button to withdraw it), the state of the
    # component's own, the co-author, the files, the comments, the amendments, the comment form's groups.
    assert 'href="/groups/veinat"' in page and "Withdraw the endorsement of Associació veinat" in page
    assert "In study" in page and "Gent 2" in page and "Document 1" in page and "Comentari 1" in page
    assert page.count('class="amendment"') == 2 and 'name="comment.user_group_id"' in page

    await add_more(db, scene, 8, 2)
    many, page = await cost()
    assert "Document 9" in page and "Comentari 9" in page and page.count('class="amendment"') == 10
    assert page.count('href="/profiles/mes') >= 10
    assert many.count == few.count, "\n\n".join(many.statements)

    client.cookies.clear()
    anonymous, page = await cost()
    assert anonymous.count < few.count and "Comentari 9" in page


async def test_the_list_costs_the_same_whatever_the_number_of_proposals(client, db, scene, count_queries):
    url = f"{BASE}/{scene['component'].id}/"

    async def cost():
        with count_queries() as counter:
            assert (await client.get(url, params={"order": "most_endorsed"})).status_code == 200
        return counter

    await published_proposals(db, scene["component"], 3)
    anonymous_few = await cost()
    await log_in(client, "gent0@example.org")
    await client.get(url)  # shows (and so writes away) the login's flash message, a one-off
    logged_few = await cost()
    await published_proposals(db, scene["component"], 30)
    await add_more(db, scene, 5, 0)
    logged_many = await cost()
    assert logged_many.count == logged_few.count <= BUDGET, "\n\n".join(logged_many.statements)
    client.cookies.clear()
    assert (await cost()).count == anonymous_few.count <= BUDGET


async def test_the_groups_read_with_the_user_are_kept_only_when_they_read_back(db, scene):
    viewer = scene["viewer"]
    db.info.pop("participa.author_groups", None)
    remember_author_groups(db, viewer, "7\x1fzeta\x1fZeta, la colla\x1e3\x1falfa\x1fAlfa \x1f amb separador")
    kept = await author_groups(db, viewer)  # no query: the text read back
    assert [(group.id, group.nickname, group.name) for group in kept] == [
        (3, "alfa", "Alfa \x1f amb separador"), (7, "zeta", "Zeta, la colla")]
    db.info.pop("participa.author_groups", None)
    remember_author_groups(db, viewer, "7\x1fzeta\x1fUn nom\x1eamb un altre separador")
    assert [group.nickname for group in await author_groups(db, viewer)] == ["veinat"]  # asked the database
