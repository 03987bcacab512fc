"""Embeds: the cards other websites show in an iframe. Only embeds may be framed, and an embed shows only
what anybody may see: never a draft, private or unpublished thing, a hidden proposal or another
organization's, not even to an admin who could preview it here."""

from __future__ import annotations

import html
import re

from sqlalchemy import select, update

from core.db import utcnow
from core.models import Component, Space
from core.moderation.models import Moderation
from core.roles import grant_organization_role
from plugins.proposals.models import Proposal
from tests.conftest import OTHER_HOST, other_organization
from tests.test_accounts import make_user
from tests.test_admin import log_in

PROCESS = "/processes/pressupostos-2027"


async def _proposals(db) -> tuple[Component, list[Proposal]]:
    process = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = await db.scalar(select(Component).where(Component.space_id == process.id,
                                                        Component.component_type == "proposals"))
    proposals = (await db.scalars(select(Proposal).where(Proposal.component_id == component.id,
                                                         Proposal.state == "published").order_by(Proposal.id))).all()
    return component, list(proposals)


def _frameable(response) -> bool:
    return "frame-ancestors *" in response.headers["content-security-policy"] and \
        "x-frame-options" not in response.headers


async def test_a_space_card_may_be_framed_by_any_site_and_other_pages_may_not(client, demo):
    card = await client.get(f"{PROCESS}/embed")
    assert card.status_code == 200 and _frameable(card)
    assert "Pressupostos" in card.text and f'href="{PROCESS}"' in card.text
    assert '<base target="_blank">' in card.text  # a link opens the platform, not inside the other site
    page = await client.get(PROCESS)
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in card.headers["content-security-policy"]  # only framing is relaxed
    code = re.search(r'<textarea id="embed-[^"]*" readonly[^>]*>([^<]*)</textarea>', page.text)
    assert code and f'src="http://vilademo.test{PROCESS}/embed"' in html.unescape(code.group(1))


async def test_a_proposal_card_shows_its_supports_and_links_to_it(client, demo, db):
    component, proposals = await _proposals(db)
    proposal = proposals[0]
    url = f"{PROCESS}/proposals/{component.id}/{proposal.id}"
    card = await client.get(f"{url}/embed")
    assert card.status_code == 200 and _frameable(card)
    assert html.escape(proposal.title, quote=False) in card.text and f'href="{url}"' in card.text
    page = await client.get(url)
    assert f"http://vilademo.test{url}/embed" in html.unescape(page.text)
    assert page.headers["x-frame-options"] == "DENY"


async def test_drafts_private_hidden_and_unpublished_things_have_no_card_even_for_admins(client, demo, db):
    component, proposals = await _proposals(db)
    first, second = proposals[:2]
    admin = await make_user(db, demo, email="boss@example.org", nickname="boss", name="Boss")
    await grant_organization_role(db, demo.id, admin.id, "admin")
    author = await make_user(db, demo, email="writer@example.org", nickname="writer", name="Writer")
    draft = Proposal(component_id=component.id, title="Un esborrany que ningú ha de veure", body="<p>Encara no</p>",
                     language="ca", state="draft", words="esborrany", author_id=author.id)
    db.add(draft)
    db.add(Moderation(organization_id=demo.id, resource_type="proposals.proposal", resource_id=first.id,
                      space_id=component.space_id, component_id=component.id, hidden_at=utcnow(), report_count=3))
    await db.commit()
    base = f"{PROCESS}/proposals/{component.id}"
    await log_in(client, "writer@example.org")
    assert (await client.get(f"{base}/{draft.id}")).status_code == 200  # the author reads it here...
    assert (await client.get(f"{base}/{draft.id}/embed")).status_code == 404  # ...but it is nobody's card
    client.cookies.clear()
    await log_in(client, "boss@example.org")
    assert (await client.get(f"{base}/{first.id}/embed")).status_code == 404
    assert (await client.get(f"{base}/{second.id}/embed")).status_code == 200

    await db.execute(update(Component).where(Component.id == component.id).values(published=False))
    await db.commit()
    assert (await client.get(f"{base}/{second.id}")).status_code == 200  # the admin's preview
    assert (await client.get(f"{base}/{second.id}/embed")).status_code == 404
    await db.execute(update(Component).where(Component.id == component.id).values(published=True))
    await db.execute(update(Space).where(Space.id == component.space_id).values(private=True))
    await db.commit()
    assert (await client.get(PROCESS)).status_code == 200
    assert (await client.get(f"{PROCESS}/embed")).status_code == 404
    assert (await client.get(f"{base}/{second.id}/embed")).status_code == 404
    await db.execute(update(Space).where(Space.id == component.space_id).values(private=False, published=False))
    await db.commit()
    assert (await client.get(f"{PROCESS}/embed")).status_code == 404


async def test_another_organizations_host_shows_none_of_our_cards(client, demo, db):
    component, proposals = await _proposals(db)
    await other_organization(db)
    await db.commit()
    for path in (f"{PROCESS}/embed", f"{PROCESS}/proposals/{component.id}/{proposals[0].id}/embed"):
        assert (await client.get(path)).status_code == 200
        assert (await client.get(path, headers={"host": OTHER_HOST})).status_code == 404
