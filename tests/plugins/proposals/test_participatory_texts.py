"""Participatory texts: a Markdown document split into sections and articles, previewed, corrected and
published by the space's admins as the component's proposals, and read as a document by everyone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.comments.models import Comment
from core.models import Component, Space
from core.roles import grant_organization_role, grant_space_role
from plugins.proposals import participatory_texts
from plugins.proposals.models import ParticipatoryText, Proposal
from plugins.proposals.services import ProposalError
from tests.conftest import other_organization
from tests.test_accounts import PASSWORD, csrf, make_user
from tests.test_admin import log_in

SPACE = "/processes/pressupostos-2027/proposals"
REGULATION = """Preàmbul: per què fem aquest reglament.

# Títol I. Disposicions generals

L'objecte d'aquest **reglament** és regular l'ús dels horts urbans.

- Les parcel·les són de 25 m².
- Cada família en pot tenir una.

## Capítol 1. Adjudicació

> Les parcel·les s'adjudiquen per sorteig <script>alert(1)</script>.

---

# Títol II. Ús

Cal respectar els horaris del [reglament](https://example.org) i [no això](javascript:alert(1)).
"""


def numbered(number: int) -> str:
    return f"Article {number}"


async def text_component(db, **settings) -> Component:
    """A new participatory text component in the demo's budget process, published."""
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    component = Component(space_id=space.id, component_type="proposals", name={"ca": "Reglament dels horts"},
                          published=True, settings={"participatory_texts_enabled": True, **settings})
    db.add(component)
    await db.commit()
    return await db.scalar(select(Component).options(selectinload(Component.space))
                           .where(Component.id == component.id))


@pytest.fixture
async def people(demo, db):
    """An admin of the budget process and a citizen."""
    space = await db.scalar(select(Space).where(Space.slug == "pressupostos-2027"))
    # In English, so that the messages read here stay the same once translated.
    made = {name: await make_user(db, demo, email=f"{name}@example.org", nickname=f"pt{name}", name=name.title(),
                                  locale="en") for name in ("admin", "citizen")}
    await grant_space_role(db, space.id, made["admin"].id, "admin")
    await db.commit()
    return made


async def send(client, page: str, action: str, data=None, files=None):
    """Open a page for its CSRF token, then post to ``action`` like a browser."""
    html = (await client.get(page)).text
    return await client.post(action, data={"_csrf_token": csrf(html), **(data or {})}, files=files,
                             follow_redirects=False)


async def pieces(db, component: Component) -> list[Proposal]:
    return list((await db.scalars(select(Proposal).where(Proposal.component_id == component.id)
                                  .order_by(Proposal.position).execution_options(populate_existing=True))).all())


# ------------------------------------------------------------------------------------ parsing

def test_headings_are_sections_and_each_block_an_article():
    found = participatory_texts.parse(REGULATION, numbered)
    assert [(piece.level, piece.title) for piece in found] == [
        ("article", "Article 1"), ("section", "Títol I. Disposicions generals"), ("article", "Article 2"),
        ("article", "Article 3"), ("sub_section", "Capítol 1. Adjudicació"), ("article", "Article 4"),
        ("section", "Títol II. Ús"), ("article", "Article 5")]
    bodies = [piece.body for piece in found if piece.level == "article"]
    assert bodies[1] == "<p>L'objecte d'aquest <strong>reglament</strong> és regular l'ús dels horts urbans.</p>"
    assert "<ul>" in bodies[2] and "<li>Les parcel·les són de 25 m².</li>" in bodies[2]
    # Raw HTML is text, not markup; a javascript: link is no link.
    assert "<script>" not in bodies[3] and "&lt;script&gt;" in bodies[3] and "<blockquote>" in bodies[3]
    assert '<a href="https://example.org"' in bodies[4] and 'href="javascript' not in bodies[4]


def test_a_long_heading_is_shortened_and_an_empty_or_bare_text_refused():
    [section, _article] = participatory_texts.parse("# " + "Molt llarg " * 30 + "\n\nText.", numbered)
    assert len(section.title) == participatory_texts.TITLE_LENGTH and section.title.endswith("…")
    bare = [("  \n\n", "The text is empty"), ("# Només títols\n\n## I subtítols\n\n---", "no article")]
    for markdown, message in bare:
        with pytest.raises(ProposalError, match=message):
            participatory_texts.parse(markdown, numbered)
    with pytest.raises(ProposalError, match="UTF-8"):
        participatory_texts.decode("Títol".encode("latin-1"))
    assert participatory_texts.decode("\ufeff# Títol".encode()) == "# Títol"


def test_headings_take_levels_that_skip_none():
    levels = ["sub_section", "article", "section", "article", "sub_section", "article", "section"]
    shown = participatory_texts.outline([Proposal(participatory_text_level=level) for level in levels])
    assert [piece.heading for piece in shown] == [2, 3, 2, 3, 3, 4, 2]


# ------------------------------------------------------------------------------------ import, preview, publish

async def test_an_admin_imports_previews_corrects_and_publishes_the_text(client, demo, db, people):
    component = await text_component(db)
    url = f"{SPACE}/{component.id}"
    await log_in(client, "admin@example.org")
    page = await client.get(f"{url}/admin/participatory-text")
    assert page.status_code == 200 and 'type="file"' in page.text
    imported = await send(client, f"{url}/admin/participatory-text", f"{url}/admin/participatory-text", data={
        "title.ca": "Reglament dels horts urbans", "description.ca": "<p>Digues-hi la teva</p>"},
        files={"file": ("reglament.md", REGULATION.encode(), "text/markdown")})
    assert imported.status_code == 303
    made = await pieces(db, component)
    assert [(p.participatory_text_level, p.position, p.state, p.official, p.author_id) for p in made][:2] == [
        ("article", 0, "draft", True, None), ("section", 1, "draft", True, None)]
    assert len(made) == 8
    # Nothing is public yet: the document says so, and an article's page is nobody's.
    assert "The text is not published yet." in (await client.get(f"{url}/")).text
    assert (await client.get(f"{url}/{made[2].id}", follow_redirects=False)).status_code in (302, 303, 404)
    preview = (await client.get(f"{url}/admin/participatory-text")).text
    assert "Títol I. Disposicions generals" in preview and "Reglament dels horts urbans" in preview
    assert "<strong>reglament</strong>" in preview

    # One article corrected: one block only; the stored text follows, so a new import would keep it.
    article = made[2]
    form = await client.get(f"{url}/admin/participatory-text/{article.id}")
    assert "L&#39;objecte d&#39;aquest **reglament** és regular" in form.text  # its Markdown, to correct
    refused = await send(client, f"{url}/admin/participatory-text/{article.id}",
                         f"{url}/admin/participatory-text/{article.id}", data={"text": "# Títol\n\nDos blocs"})
    assert refused.status_code == 400 and "Write one paragraph" in refused.text and "Dos blocs" in refused.text
    saved = await send(client, f"{url}/admin/participatory-text/{article.id}",
                       f"{url}/admin/participatory-text/{article.id}",
                       data={"text": "L'objecte és regular *tots* els horts."})
    assert saved.status_code == 303
    await db.refresh(article)
    assert article.body == "<p>L'objecte és regular <em>tots</em> els horts.</p>"
    text = await db.scalar(select(ParticipatoryText).where(ParticipatoryText.component_id == component.id))
    await db.refresh(text)
    assert "*tots*" in text.source and "**reglament**" not in text.source
    assert len(participatory_texts.parse(text.source, numbered)) == 8

    # Importing again while in draft replaces the drafts.
    again = await send(client, f"{url}/admin/participatory-text", f"{url}/admin/participatory-text", data={
        "title.ca": "Reglament dels horts urbans", "markdown": "# Únic títol\n\nUn sol article."})
    assert again.status_code == 303
    made = await pieces(db, component)
    assert [(p.participatory_text_level, p.title) for p in made] == [("section", "Únic títol"),
                                                                    ("article", "Article 1")]

    published = await send(client, f"{url}/admin/participatory-text", f"{url}/admin/participatory-text/publish")
    assert published.status_code == 303
    made = await pieces(db, component)
    assert {p.state for p in made} == {"published"} and all(p.published_at for p in made)
    # After publishing, the text stays: a new import is refused, saying why, and nothing changes.
    page = await client.get(f"{url}/admin/participatory-text")
    assert "cannot be imported again" in page.text and 'type="file"' not in page.text
    refused = await send(client, f"{url}/admin/participatory-text", f"{url}/admin/participatory-text", data={
        "title.ca": "Un altre", "markdown": "# Altre\n\nAltre article."})
    assert refused.status_code == 400 and "cannot be imported again" in refused.text
    assert [p.id for p in await pieces(db, component)] == [p.id for p in made]
    assert (await send(client, f"{url}/admin/participatory-text",
                       f"{url}/admin/participatory-text/publish")).status_code == 400
    # A published article is no longer corrected from here.
    assert (await client.get(f"{url}/admin/participatory-text/{made[1].id}")).status_code == 404


async def test_a_wrong_text_is_refused_with_its_reason_and_the_input_kept(client, demo, db, people):
    component = await text_component(db)
    url = f"{SPACE}/{component.id}/admin/participatory-text"
    await log_in(client, "admin@example.org")
    cases = [
        ({"markdown": "# Només un títol"}, None, "no article"),
        ({"markdown": ""}, None, "The text is empty"),
        ({"markdown": "Text enganxat"}, ("text.md", "Títol en latin-1".encode("latin-1"), "text/markdown"),
         "not UTF-8"),
        ({"markdown": "Text enganxat"}, ("gran.md", b"a" * (participatory_texts.MAX_BYTES + 1), "text/markdown"),
         "larger than 1 MB"),
    ]
    for data, file, message in cases:
        response = await send(client, url, url, data={"title.ca": "El meu títol del text", **data},
                              files={"file": file} if file else None)
        assert response.status_code == 400, message
        assert message in response.text, message
        assert "El meu títol del text" in response.text
        if data["markdown"]:
            assert data["markdown"] in response.text
    missing_title = await send(client, url, url, data={"markdown": "Un article sense títol de text."})
    assert missing_title.status_code == 400 and "Un article sense títol de text." in missing_title.text
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.component_id == component.id)) == 0


async def test_no_import_where_the_setting_is_off_or_participants_have_proposals(client, demo, db, people):
    component = await text_component(db, participatory_texts_enabled=False)
    url = f"{SPACE}/{component.id}/admin/participatory-text"
    await log_in(client, "admin@example.org")
    off = await send(client, url, url, data={"title.ca": "Reglament", "markdown": "Un article."})
    assert off.status_code == 400 and "in the component&#39;s settings first" in off.text
    busy = await text_component(db)
    db.add(Proposal(component_id=busy.id, title="Una proposta d'algú", body="<p>x</p>", language="ca",
                    state="published", author_id=people["citizen"].id))
    await db.commit()
    url = f"{SPACE}/{busy.id}/admin/participatory-text"
    refused = await send(client, url, url, data={"title.ca": "Reglament", "markdown": "Un article."})
    assert refused.status_code == 400 and "already has proposals of participants" in refused.text


# ------------------------------------------------------------------------------------ the public side

async def publish(db, component: Component, markdown: str = REGULATION) -> list[Proposal]:
    """The text's pieces as an import makes them, published by the service."""
    made = []
    db.add(ParticipatoryText(component_id=component.id, title={"ca": "Reglament dels horts urbans"},
                             description={"ca": "<p>Llegiu i comenteu</p>"}, source=markdown))
    for position, piece in enumerate(participatory_texts.parse(markdown, numbered)):
        proposal = Proposal(component_id=component.id, official=True, state="draft", title=piece.title,
                            body=piece.body, language="ca", participatory_text_level=piece.level,
                            position=position)
        db.add(proposal)
        made.append(proposal)
    await db.flush()
    await participatory_texts.publish_text(db, component)
    await db.commit()
    return made


async def test_citizens_read_the_document_and_make_no_proposal(client, demo, db, people):
    component = await text_component(db)
    made = await publish(db, component)
    url = f"{SPACE}/{component.id}"
    await log_in(client, "citizen@example.org")
    page = await client.get(f"{url}/")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Reglament dels horts urbans</h1>" in html and "Llegiu i comenteu" in html
    assert (f'class="participatory-text__heading" id="piece-{made[1].id}" lang="ca">Títol I. Disposicions generals'
            '</h2>') in html
    assert ">Capítol 1. Adjudicació</h3>" in html
    assert f'<h4 id="piece-{made[5].id}"><a href="{url}/{made[5].id}">Article 4</a></h4>' in html
    order = [html.index(f'href="{url}/{proposal.id}"') for proposal in made
             if proposal.participatory_text_level == "article"]
    assert order == sorted(order)
    assert "Make a proposal" not in html and "&lt;script&gt;" in html and "<script>alert" not in html
    # The article's page is the proposal's, where people comment.
    article = await client.get(f"{url}/{made[2].id}")
    assert article.status_code == 200 and 'id="comments"' in article.text
    # Making a proposal is refused, saying why, by the page and by the service behind it.
    refused = await client.get(f"{url}/new", follow_redirects=True)
    assert "comment on its articles instead" in refused.text
    html = (await client.get(f"{url}/")).text
    sent = await client.post(f"{url}/new", data={"_csrf_token": csrf(html), "title": "Una proposta nova del veí",
                                                 "body": "Una descripció prou llarga."}, follow_redirects=False)
    assert sent.status_code == 400 and "comment on its articles instead" in sent.text
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.component_id == component.id,
                                                                 Proposal.author_id.is_not(None))) == 0


async def test_the_document_counts_comments_in_one_query_whatever_its_length(client, demo, db, people,
                                                                            count_queries):
    short, long = await text_component(db), await text_component(db)
    few = await publish(db, short, "# Títol\n\nPrimer.\n\nSegon.")
    many = await publish(db, long, REGULATION + "".join(f"\n\nArticle afegit {n}." for n in range(30)))
    for proposal in few[1:] + many[2:6]:
        db.add(Comment(component_id=proposal.component_id, resource_type="proposals.proposal",
                       resource_id=proposal.id, author_id=people["citizen"].id, body="D'acord"))
    db.add(Comment(component_id=long.id, resource_type="proposals.proposal", resource_id=many[2].id,
                   author_id=people["citizen"].id, body="Una altra"))
    await db.commit()
    await log_in(client, "citizen@example.org")

    async def cost(component: Component) -> tuple[int, str]:
        with count_queries() as counter:
            page = await client.get(f"{SPACE}/{component.id}/")
        assert page.status_code == 200
        return counter.count, page.text

    (few_queries, _), (many_queries, html) = await cost(short), await cost(long)
    assert few_queries == many_queries
    assert "2 comments" in html and html.count("1 comment<") == 2  # the sub-section shows none


async def test_only_the_space_admins_import_and_publish(client, demo, db, people):
    component = await text_component(db)
    url = f"{SPACE}/{component.id}/admin/participatory-text"
    await publish(db, await text_component(db))
    await log_in(client, "citizen@example.org")
    assert (await client.get(url)).status_code == 403
    token = csrf((await client.get(f"{SPACE}/{component.id}/")).text)
    for path in ("", "/publish"):
        response = await client.post(url + path, data={"_csrf_token": token, "title.ca": "x", "markdown": "x"},
                                     follow_redirects=False)
        assert response.status_code == 403
    client.cookies.clear()
    assert (await client.get(url, follow_redirects=False)).status_code in (302, 303)
    # Another organization's host does not know this space, nor its admin this component.
    elsewhere = await other_organization(db)
    boss = await make_user(db, elsewhere, email="boss@altra.test", nickname="boss")
    await grant_organization_role(db, elsewhere.id, boss.id, "admin")
    await db.commit()
    assert (await client.get(f"http://altra.test{url}")).status_code == 404
    page = await client.get("http://altra.test/account/login")
    logged = await client.post("http://altra.test/account/login", data={
        "_csrf_token": csrf(page.text), "email": "boss@altra.test", "password": PASSWORD}, follow_redirects=False)
    assert logged.status_code == 303
    assert (await client.get(f"http://altra.test{url}")).status_code == 404
    assert await db.scalar(select(func.count(Proposal.id)).where(Proposal.component_id == component.id)) == 0
