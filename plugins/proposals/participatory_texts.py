"""Participatory texts: an admin imports a document (Markdown) whose sections and articles become the
component's proposals, in order, for people to comment on (and amend) one article at a time.

A ``#`` heading is a section, ``##`` and deeper a sub-section (its proposal's title is the heading);
every block between headings (a paragraph, a list, a quote, a table) is an article titled "Article N",
its body the block as sanitised HTML. The pieces are official drafts until the admin publishes them all
at once; until then the text can be imported again, which replaces them. Once published, the text stays:
its articles carry comments and amendments that a new import would lose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from markdown_it import MarkdownIt
from msgspec import Meta
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import search
from core.comments.models import Comment
from core.db import utcnow
from core.i18n import N_
from core.models import Component
from core.moderation.services import COMMENT, not_hidden
from core.richtext import plain_text, sanitize
from core.uploads import MEGABYTE
from plugins.proposals.models import ParticipatoryText, Proposal
from plugins.proposals.services import (
    RESOURCE_TYPE,
    ProposalError,
    may_support,
    search_document,
    settings,
    supported_ids,
    words_of,
)

MAX_BYTES = MEGABYTE
MAX_PIECES = 500
"""Sections and articles of one text (its message says the number): a long regulation has a few hundred;
the preview lists them all."""
TITLE_LENGTH = 150
LEVELS = ("section", "sub_section", "article")

# Raw HTML in the Markdown is shown as text, not kept; whatever markup Markdown makes is sanitised anyway.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


class TextForm(msgspec.Struct, kw_only=True):
    """The text's title and description, and its Markdown pasted (a file, if chosen, replaces it)."""

    title: Annotated[dict[str, str], Meta(title=N_("Title of the text"), extra={"max_length": TITLE_LENGTH})]
    description: Annotated[dict[str, str], Meta(
        title=N_("Description"), description=N_("What the text is and what you ask of participants."),
        extra={"max_length": 5000, "input": "richtext"},
    )] = {}
    markdown: Annotated[str, Meta(
        max_length=MAX_BYTES, title=N_("The text, in Markdown"),
        description=N_("# Heading for a section, ## for a sub-section; each paragraph or list is an article. "
                       "Leave it empty if you choose a file."),
        extra={"input": "textarea"},
    )] = ""


class ArticleForm(msgspec.Struct, kw_only=True):
    text: Annotated[str, Meta(
        min_length=1, max_length=20_000, title=N_("Text of the article"),
        description=N_("Markdown: one paragraph, one list or one quote."), extra={"input": "textarea"},
    )]


@dataclass
class Piece:
    """A section, sub-section or article of a parsed text."""

    level: str
    title: str
    body: str
    """Sanitised HTML; empty for sections."""
    lines: tuple[int, int]
    """The lines of the Markdown it comes from (first, past the last)."""


# ------------------------------------------------------------------------------------ parsing

def decode(data: bytes) -> str:
    """A file's bytes as text, which must be UTF-8 (a byte-order mark is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProposalError(N_("The file is not UTF-8 text. Save it as UTF-8 (\"Markdown\" or \"Plain text, "
                               "UTF-8\") and send it again."), "file") from None


def _shortened(title: str) -> str:
    return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1].rstrip() + "…"


def parse(markdown: str, article_title: Callable[[int], str]) -> list[Piece]:
    """The sections and articles of a Markdown text, in order; ``article_title(n)`` names the n-th article.

    Raises ProposalError when the text is empty, too long or has no article.
    """
    if not markdown.strip():
        raise ProposalError(N_("The text is empty: paste it or choose a Markdown file."), "markdown")
    env: dict[str, Any] = {}
    tokens = _MARKDOWN.parse(markdown, env)
    pieces: list[Piece] = []
    articles = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = index
        if token.nesting == 1:  # a block runs to the closing token of its own level
            while not (tokens[end].nesting == -1 and tokens[end].level == token.level):
                end += 1
        lines = (token.map[0], token.map[1]) if token.map else (0, 0)
        if token.type == "heading_open":
            title = plain_text(_MARKDOWN.renderer.render(tokens[index + 1:end], _MARKDOWN.options, env))
            if title:
                level = "section" if token.tag == "h1" else "sub_section"
                pieces.append(Piece(level, _shortened(title), "", lines))
        elif token.type != "hr":  # a rule only separates
            body = sanitize(_MARKDOWN.renderer.render(tokens[index:end + 1], _MARKDOWN.options, env)).strip()
            if plain_text(body):
                articles += 1
                pieces.append(Piece("article", article_title(articles), body, lines))
        index = end + 1
    if len(pieces) > MAX_PIECES:
        raise ProposalError(N_("The text has more than 500 sections and articles: split it into several "
                               "components."), "markdown")
    if not articles:
        raise ProposalError(N_("The text has no article: write at least one paragraph or list below the "
                               "headings."), "markdown")
    return pieces


# ------------------------------------------------------------------------------------ the admin's side

async def text_of(session: AsyncSession, component: Component) -> ParticipatoryText | None:
    return await session.scalar(select(ParticipatoryText).where(ParticipatoryText.component_id == component.id))


async def drafts(session: AsyncSession, component: Component) -> list[Proposal]:
    """The pieces of a text imported and not yet published, in order."""
    return list((await session.scalars(
        select(Proposal).where(Proposal.component_id == component.id, Proposal.state == "draft",
                               Proposal.participatory_text_level.is_not(None))
        .order_by(Proposal.position, Proposal.id)
    )).all())


async def import_text(session: AsyncSession, registry: Any, component: Component, *, title: dict[str, str],
                      description: dict[str, str], markdown: str, language: str,
                      article_title: Callable[[int], str]) -> list[Proposal]:
    """Make the text's pieces the component's drafts, in place of those of an earlier import. The caller commits.

    Refused when the component is no participatory text, already holds other proposals, or its text is
    published."""
    if not settings(registry, component).participatory_texts_enabled:
        raise ProposalError(N_("Turn on \"Participatory text\" in the component's settings first."))
    text = await text_of(session, component)
    if text is not None and text.published_at is not None:
        raise ProposalError(N_("The text is published and cannot be imported again: its articles have "
                               "comments and amendments that a new import would lose."))
    others = await session.scalar(select(func.count(Proposal.id)).where(
        Proposal.component_id == component.id, Proposal.participatory_text_level.is_(None)))
    if others:
        raise ProposalError(N_("This component already has proposals of participants. Import the text into a "
                               "new proposals component."))
    pieces = parse(markdown, article_title)
    await session.execute(delete(Proposal).where(
        Proposal.component_id == component.id, Proposal.state == "draft",
        Proposal.participatory_text_level.is_not(None)))
    if text is None:
        text = ParticipatoryText(component_id=component.id)
        session.add(text)
    text.title, text.description, text.source = title, description, markdown
    made = []
    for position, piece in enumerate(pieces):
        proposal = Proposal(component_id=component.id, author_id=None, official=True, state="draft",
                            title=piece.title, body=piece.body, language=language,
                            participatory_text_level=piece.level, position=position,
                            words=words_of(f"{piece.title} {piece.body}"))
        session.add(proposal)
        made.append(proposal)
    await session.flush()
    return made


async def draft_article(session: AsyncSession, component: Component, proposal_id: int) -> Proposal:
    """An article of the text still in draft; LookupError for anything else."""
    proposal = await session.scalar(select(Proposal).where(
        Proposal.id == proposal_id, Proposal.component_id == component.id, Proposal.state == "draft",
        Proposal.participatory_text_level == "article"))
    if proposal is None:
        raise LookupError(proposal_id)
    return proposal


def _source_piece(text: ParticipatoryText, proposal: Proposal) -> Piece | None:
    """The piece of the stored Markdown that the proposal was made from."""
    try:
        pieces = parse(text.source, str)
    except ProposalError:
        return None
    if proposal.position is None or proposal.position >= len(pieces):
        return None
    piece = pieces[proposal.position]
    return piece if piece.level == "article" else None


async def article_source(session: AsyncSession, component: Component, proposal: Proposal) -> str:
    """The Markdown of one article, as the admin edits it."""
    text = await text_of(session, component)
    piece = _source_piece(text, proposal) if text is not None else None
    if piece is None:
        return plain_text(proposal.body)
    return "\n".join(text.source.splitlines()[piece.lines[0]:piece.lines[1]]).strip()  # type: ignore[union-attr]


async def edit_article(session: AsyncSession, component: Component, proposal: Proposal, markdown: str) -> None:
    """Rewrite one draft article (one block of Markdown, so the text keeps its pieces), in the stored text too,
    so that importing it again keeps the change."""
    try:
        pieces = parse(markdown, str)
    except ProposalError:  # empty, or headings only: the same answer as for two blocks
        pieces = []
    if len(pieces) != 1 or pieces[0].level != "article":
        raise ProposalError(N_("Write one paragraph, one list or one quote. To add or remove articles or "
                               "headings, import the text again."), "text")
    proposal.body = pieces[0].body
    proposal.words = words_of(f"{proposal.title} {proposal.body}")
    text = await text_of(session, component)
    piece = _source_piece(text, proposal) if text is not None else None
    if piece is not None:
        lines = text.source.splitlines()  # type: ignore[union-attr]
        # Blank lines around it, so that it cannot run into the blocks next to it.
        lines[piece.lines[0]:piece.lines[1]] = ["", markdown.strip(), ""]
        text.source = "\n".join(lines) + "\n"  # type: ignore[union-attr]


async def publish_text(session: AsyncSession, component: Component) -> int:
    """Publish every draft piece of the text at once; how many. The caller commits.

    No event is published per article: followers of the space would get one notification for each of a
    text's hundreds of articles."""
    text = await text_of(session, component)
    pieces = await drafts(session, component)
    if text is None or not pieces:
        raise ProposalError(N_("Import a text first."))
    if text.published_at is not None:
        raise ProposalError(N_("The text is already published."))
    now = utcnow()
    for proposal in pieces:
        proposal.state, proposal.published_at = "published", now
    text.published_at = now
    await session.flush()
    await search.index(session, component, [search_document(proposal) for proposal in pieces])
    return len(pieces)


# ------------------------------------------------------------------------------------ the public document

@dataclass
class Shown:
    proposal: Proposal
    heading: int
    """The HTML heading level of its title: sections h2, sub-sections h3, articles one below their section."""


def outline(pieces: Sequence[Proposal]) -> list[Shown]:
    """The pieces with the heading level each takes, so that no level is skipped."""
    shown = []
    section = sub_section = False
    for proposal in pieces:
        if proposal.participatory_text_level == "section":
            section, sub_section = True, False
            heading = 2
        elif proposal.participatory_text_level == "sub_section":
            sub_section = True
            heading = 3 if section else 2
        else:
            heading = 2 + section + sub_section
        shown.append(Shown(proposal, heading))
    return shown


async def comment_counts(session: AsyncSession, component: Component) -> dict[int, int]:
    """The visible comments of each proposal of the component, in one query."""
    rows = await session.execute(
        select(Comment.resource_id, func.count(Comment.id))
        .where(Comment.component_id == component.id, Comment.resource_type == RESOURCE_TYPE,
               Comment.deleted_at.is_(None), not_hidden(Comment.id, COMMENT))
        .group_by(Comment.resource_id))
    return {resource_id: count for resource_id, count in rows.all()}


async def document(session: AsyncSession, registry: Any, component: Component, user: Any) -> dict[str, Any]:
    """What the component's page shows in place of the list: the text, its published pieces in order, their
    comments and, if the phase shows supports, the reader's supports. Four queries at most, however long."""
    text = await text_of(session, component)
    pieces = []
    if text is not None and text.published_at is not None:
        pieces = (await session.scalars(
            select(Proposal).where(Proposal.component_id == component.id,
                                   Proposal.participatory_text_level.is_not(None),
                                   Proposal.state.in_(("published", "withdrawn")),
                                   not_hidden(Proposal.id, RESOURCE_TYPE))
            .order_by(Proposal.position, Proposal.id)
        )).all()
    articles = [proposal.id for proposal in pieces if proposal.participatory_text_level == "article"]
    return {
        "text": text if pieces else None, "pieces": outline(pieces),
        "comments": await comment_counts(session, component) if pieces else {},
        "supported": await supported_ids(session, user, articles), "may_support": may_support(registry, component),
    }
