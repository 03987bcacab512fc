"""Search: keeping the index current and asking it.

Plugins index their public things through ``index`` (and forget them through ``remove``) in the
same transaction as the change, so what an author just saved is findable as soon as they see it and
nothing depends on a worker being up. ``rebuild`` fills the index from the components' manifests
(``ComponentManifest.search``) and the spaces; ``participa search rebuild`` runs it.

Words are compared lower-case and without accents in every language: "Participació" is found by
"participacio", "PARTICIPACIÓ" and "particip" (a word typed is the start of a word found).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.areas import services as area_services
from core.db import dialect_insert, utcnow
from core.i18n import N_
from core.manifest import SearchDocument
from core.models import Component, Organization, Space
from core.moderation.models import Moderation
from core.richtext import plain_text
from core.scopes import services as scope_services
from core.search.models import IndexedDocument

SPACE = "space"
COMMENT = "comments.comment"
STATIC_PAGES = "static_pages"
"""The kind of the organization's own pages (``core.static_pages``), indexed with their whole address."""
PER_PAGE = 20
EXCERPT = 300
MAX_WORDS = 8
PERIODS = {"week": timedelta(days=7), "month": timedelta(days=31), "year": timedelta(days=366)}
_NOT_WORD = re.compile(r"[^\w]+|_+")


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces ("L'Àgora, 2027!" -> "l agora 2027")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", bare).split())


def words_of(query: str) -> list[str]:
    """The distinct words of what someone typed, at most MAX_WORDS of them, in order."""
    return list(dict.fromkeys(normalize(query).split()))[:MAX_WORDS]


# ---------------------------------------------------------------- keeping the index current


def _excerpts(texts: dict[str, str]) -> dict[str, str]:
    return {locale: " ".join(text.split())[:EXCERPT] for locale, text in texts.items() if text}


def document_row(organization_id: int, space_id: int | None, component_id: int | None,
                 document: SearchDocument) -> dict[str, Any]:
    """The index's row for a document (what ``index`` writes; the benchmark's generator writes it too)."""
    return {
        "organization_id": organization_id, "space_id": space_id, "component_id": component_id,
        "resource_type": document.resource_type, "resource_id": document.resource_id,
        "parent_type": document.parent[0] if document.parent else None,
        "parent_id": document.parent[1] if document.parent else None,
        "path": document.path, "title": {k: v for k, v in document.title.items() if v},
        "text": _excerpts(document.text),
        "terms": normalize(" ".join([*document.title.values(), *document.text.values()])),
        "published_at": document.published_at, "scope_id": document.scope_id,
    }


async def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = dialect_insert(session)(IndexedDocument).values(rows)
    keep = ("resource_type", "resource_id")
    await session.execute(statement.on_conflict_do_update(
        index_elements=list(keep),
        set_={name: statement.excluded[name] for name in rows[0] if name not in keep},
    ))


async def index(session: AsyncSession, component: Component, documents: Iterable[SearchDocument]) -> None:
    """Add or replace these public things of a component in the index; the caller commits.

    ``component.space`` need not be loaded (``component.space_id`` is enough), but the organization is
    read from the space, so pass a component of the session.
    """
    organization_id = await session.scalar(select(Space.organization_id).where(Space.id == component.space_id))
    await _upsert(session, [document_row(organization_id, component.space_id, component.id, document)
                            for document in documents])


async def remove(session: AsyncSession, resource_type: str, resource_ids: Iterable[int]) -> None:
    """Take things out of the index (deleted, or no longer public); the caller commits."""
    ids = list(resource_ids)
    if ids:
        await session.execute(delete(IndexedDocument).where(
            IndexedDocument.resource_type == resource_type, IndexedDocument.resource_id.in_(ids)))


async def index_organization_document(session: AsyncSession, organization_id: int,
                                      document: SearchDocument) -> None:
    """Add or replace a thing of the organization itself, outside any space (a static page); the caller
    commits. Its ``path`` is its whole address ("/pages/help"): there is no space or component before it."""
    await _upsert(session, [document_row(organization_id, None, None, document)])


def space_document(space: Space) -> SearchDocument:
    texts: dict[str, list[str]] = {}
    for field in (space.subtitle, space.short_description, space.description):
        for locale, value in (field or {}).items():
            texts.setdefault(locale, []).append(plain_text(value))
    return SearchDocument(resource_type=SPACE, resource_id=space.id, path="", title=dict(space.title),
                          text={locale: " ".join(parts) for locale, parts in texts.items()},
                          published_at=space.created_at, scope_id=space.scope_id)


async def index_space(session: AsyncSession, space: Space) -> None:
    """Index a space (its title and descriptions) after it was created or changed; the caller commits."""
    await session.flush()
    await _upsert(session, [document_row(space.organization_id, space.id, None, space_document(space))])


async def rebuild(session: AsyncSession, registry: Any, organization: Organization) -> int:
    """Index again everything public of an organization (after an upgrade, or a plugin installed);
    returns how many things are indexed. The caller commits."""
    # Imported here: core.comments and core.static_pages index through this module.
    from core.comments.models import Comment
    from core.comments.services import search_document
    from core.static_pages.services import index_pages
    await session.execute(delete(IndexedDocument).where(IndexedDocument.organization_id == organization.id))
    count = 0
    spaces = (await session.scalars(select(Space).where(Space.organization_id == organization.id))).all()
    for space in spaces:
        await index_space(session, space)
        count += 1
    count += await index_pages(session, organization)
    components = (await session.scalars(
        select(Component).join(Space).where(Space.organization_id == organization.id)
    )).all()
    for component in components:
        manifest = registry.component_types.get(component.component_type)
        if manifest is None or manifest.search is None:
            continue
        batch: list[SearchDocument] = []
        async for document in _documents(manifest.search(session, component)):
            batch.append(document)
            if len(batch) == 500:
                await index(session, component, batch)
                count, batch = count + len(batch), []
        await index(session, component, batch)
        count += len(batch)
        commentables = {commentable.resource_type: commentable for commentable in manifest.commentable}
        paths: dict[tuple[str, int], str | None] = {}
        comments = await session.stream_scalars(select(Comment).where(
            Comment.component_id == component.id, Comment.deleted_at.is_(None)).order_by(Comment.id))
        documents = []
        async for comment in comments:
            key = (comment.resource_type, comment.resource_id)
            if key not in paths and comment.resource_type in commentables:
                info = await commentables[comment.resource_type].load(session, component, comment.resource_id)
                paths[key] = info.path if info is not None else None
            if paths.get(key) is not None:
                documents.append(search_document(comment, paths[key]))  # type: ignore[arg-type]
        await index(session, component, documents)
        count += len(documents)
    return count


async def _documents(source: Any) -> AsyncIterable[SearchDocument]:
    if hasattr(source, "__aiter__"):
        async for document in source:
            yield document
    else:
        for document in await source:
            yield document


# ---------------------------------------------------------------- asking it


@dataclass
class Query:
    """What a visitor asks search for."""

    q: str = ""
    kind: str = ""
    space_id: int | None = None
    period: str = ""
    page: int = 1
    scope_id: int | None = None
    """The scope asked for (one of the organization's, see ``within_scope``)."""
    scope_ids: tuple[int, ...] = ()
    """It and every scope inside it: what the results are filtered by."""
    area_id: int | None = None
    """The area asked for (one of the organization's, see ``within_area``): things of its spaces."""

    @classmethod
    def of(cls, q: str, kind: str, space: int | None, period: str, page: int, kinds: Iterable[str]) -> Query:
        """Only known kinds and periods; a page and a space id within bounds."""
        return cls(q=" ".join(q.split())[:200], kind=kind if kind in kinds else "",
                   space_id=space if space is not None and 0 < space < 2**31 else None,
                   period=period if period in PERIODS else "", page=min(max(page, 1), 500))


    def within_scope(self, scopes: Iterable[Any], raw: Any) -> Query:
        """Filter by the scope a query parameter names, if it is one of ``scopes`` (the organization's), and
        by every scope inside it; an unknown, foreign or malformed id filters nothing."""
        scopes = list(scopes)
        chosen = scope_services.pick(scopes, raw)
        self.scope_id = chosen.id if chosen else None
        self.scope_ids = tuple(sorted(scope_services.within(scopes, chosen.id))) if chosen else ()
        return self

    def within_area(self, areas: Iterable[Any], raw: Any) -> Query:
        """Filter by the area a query parameter names, if it is one of ``areas`` (the organization's); an
        unknown, foreign or malformed id filters nothing."""
        chosen = area_services.pick(list(areas), raw)
        self.area_id = chosen.id if chosen else None
        return self


@dataclass
class Result:
    """One thing found, ready to show."""

    kind: str
    title: dict[str, str]
    text: dict[str, str]
    url: str
    space_title: dict[str, str] | None
    published_at: datetime | None


def kinds_of(registry: Any) -> dict[str, str]:
    """The kinds of things search finds (spaces, each component type with a search, the organization's
    static pages, comments), with their untranslated names, for the type filter."""
    kinds = {SPACE: N_("Spaces")}
    kinds.update({name: manifest.title for name, manifest in registry.component_types.items()
                  if manifest.search is not None})
    kinds[STATIC_PAGES] = N_("Information pages")
    kinds["comments"] = N_("Comments")
    return kinds


def kind_of(resource_type: str) -> str:
    """"space", "comments", "static_pages" or the component type ("proposals" for "proposals.proposal")."""
    return resource_type.split(".", 1)[0]


def _of_kind(kind: str) -> ColumnElement[bool]:
    if kind == SPACE:
        return IndexedDocument.resource_type == SPACE
    prefix = f"{kind}."
    return func.substr(IndexedDocument.resource_type, 1, len(prefix)) == prefix


def _hidden(resource_type: Any, resource_id: Any) -> ColumnElement[bool]:
    return exists().where(Moderation.resource_type == resource_type, Moderation.resource_id == resource_id,
                          Moderation.hidden_at.is_not(None))


def _full_text(session: AsyncSession, words: list[str]) -> tuple[Any, Any]:
    """A condition on ``IndexedDocument`` matching every word as the start of a word, and its relevance
    (smaller is better)."""
    if session.get_bind().dialect.name == "sqlite":
        fts = table("core_search_fts", column("rowid"), column("rank"))
        # Every word is letters and digits only (normalize), so quoting it makes a safe FTS5 phrase.
        match = select(fts.c.rowid.label("id"), fts.c.rank.label("rank")).where(
            literal_column("core_search_fts").op("MATCH")(" ".join(f'"{word}"*' for word in words))
        ).subquery()
        return match, match.c.rank
    query = func.to_tsquery(literal_column("'simple'"), " & ".join(f"{word}:*" for word in words))
    vector = literal_column("core_search_documents.terms_vector")  # stored by PostgreSQL, see the migrations
    return vector.op("@@")(query), -func.ts_rank(vector, query)


def _visible(registry: Any, organization: Organization, space: Any, component: Any) -> list[ColumnElement[bool]]:
    """What may appear: public, published spaces and components of installed types, nothing hidden by
    moderation (nor a comment on something hidden)."""
    parent_hidden = and_(IndexedDocument.parent_type.is_not(None),
                         _hidden(IndexedDocument.parent_type, IndexedDocument.parent_id))
    return [
        IndexedDocument.organization_id == organization.id,
        or_(IndexedDocument.space_id.is_(None),
            and_(space.published.is_(True), space.private.is_(False),
                 space.space_type.in_(list(registry.space_types)))),
        or_(IndexedDocument.component_id.is_(None),
            and_(component.published.is_(True), component.archived_at.is_(None),
                 component.component_type.in_(list(registry.component_types)))),
        ~_hidden(IndexedDocument.resource_type, IndexedDocument.resource_id),
        ~parent_hidden,
    ]


def _base(session: AsyncSession, registry: Any, organization: Organization, query: Query,
          columns: Any) -> tuple[Select[Any], Any]:
    """The matching, visible documents; ``columns(space, component)`` says what to select."""
    space, component = aliased(Space), aliased(Component)
    statement = (select(*columns(space, component)).select_from(IndexedDocument)
                 .outerjoin(space, space.id == IndexedDocument.space_id)
                 .outerjoin(component, component.id == IndexedDocument.component_id)
                 .where(*_visible(registry, organization, space, component)))
    condition, rank = _full_text(session, words_of(query.q))
    if isinstance(condition, ColumnElement):
        statement = statement.where(condition)
    else:
        statement = statement.join(condition, condition.c.id == IndexedDocument.id)
    if query.space_id is not None:
        statement = statement.where(IndexedDocument.space_id == query.space_id)
    if query.period:
        statement = statement.where(IndexedDocument.published_at >= utcnow() - PERIODS[query.period])
    if query.scope_ids:
        # A document's own scope, else its space's: a proposal about a district in a city-wide process,
        # and everything of a district's own process.
        statement = statement.where(or_(IndexedDocument.scope_id.in_(query.scope_ids),
                                        and_(IndexedDocument.scope_id.is_(None), space.scope_id.in_(query.scope_ids))))
    if query.area_id is not None:
        # Areas are of spaces only: a space and everything in it (the space is joined already).
        statement = statement.where(space.area_id == query.area_id)
    return statement, rank


async def search(session: AsyncSession, registry: Any, organization: Organization,
                 query: Query) -> tuple[list[Result], int, dict[str, int]]:
    """One page of what matches (most relevant first), the number of matches, and the number per kind
    (before the kind filter, so a visitor sees where else there are matches). Two queries whatever
    the data."""
    if not words_of(query.q):
        return [], 0, {}
    counted, _ = _base(session, registry, organization, query,
                       lambda space, component: (IndexedDocument.resource_type, func.count(IndexedDocument.id)))
    per_kind: dict[str, int] = {}
    for resource_type, count in await session.execute(counted.group_by(IndexedDocument.resource_type)):
        per_kind[kind_of(resource_type)] = per_kind.get(kind_of(resource_type), 0) + count
    total = per_kind.get(query.kind, 0) if query.kind else sum(per_kind.values())
    if not total:
        return [], 0, per_kind
    statement, rank = _base(session, registry, organization, query, lambda space, component: (
        IndexedDocument, space.title, space.slug, space.space_type, component.component_type))
    if query.kind:
        statement = statement.where(_of_kind(query.kind))
    rows = (await session.execute(
        statement.order_by(rank, IndexedDocument.published_at.desc(), IndexedDocument.id.desc())
        .limit(PER_PAGE).offset((query.page - 1) * PER_PAGE))).all()
    return [_result(registry, *row) for row in rows], total, per_kind


def _result(registry: Any, document: Any, space_title: dict[str, str] | None, slug: str | None,
            space_type: str | None, component_type: str | None) -> Result:
    # Without a space (and so without a component) the path is the whole address: "/pages/help".
    url = ""
    if slug is not None and space_type in registry.space_types:
        url = f"/{registry.space_types[space_type].url_prefix}/{slug}"
    if component_type is not None:
        url += f"/{component_type}/{document.component_id}"
    return Result(kind=kind_of(document.resource_type), title=document.title, text=document.text,
                  url=url + document.path or "/", space_title=space_title if document.component_id else None,
                  published_at=document.published_at)


def matching(session: AsyncSession, resource_type: str, query: str) -> Select[Any] | None:
    """The ids of the things of one type whose words match ``query`` (for a plugin's own list:
    ``Proposal.id.in_(matching(...))``); None when the query has no words."""
    words = words_of(query)
    if not words:
        return None
    condition, _ = _full_text(session, words)
    statement = select(IndexedDocument.resource_id).where(IndexedDocument.resource_type == resource_type)
    if isinstance(condition, ColumnElement):
        return statement.where(condition)
    return statement.join(condition, condition.c.id == IndexedDocument.id)


# ---------------------------------------------------------------- sitemaps


def _listed(registry: Any, organization: Organization, columns: Any) -> Select[Any]:
    """The documents anybody may open on a page of their own: visible as in search, comments aside
    (they live on the page of what they are about)."""
    space, component = aliased(Space), aliased(Component)
    return (select(*columns(space, component)).select_from(IndexedDocument)
            .outerjoin(space, space.id == IndexedDocument.space_id)
            .outerjoin(component, component.id == IndexedDocument.component_id)
            .where(*_visible(registry, organization, space, component), IndexedDocument.parent_type.is_(None)))


async def count_visible_documents(session: AsyncSession, registry: Any, organization: Organization) -> int:
    """How many documents ``visible_documents`` lists in all."""
    return await session.scalar(_listed(registry, organization, lambda space, component: (
        func.count(IndexedDocument.id),))) or 0


async def visible_documents(session: AsyncSession, registry: Any, organization: Organization, *, offset: int,
                            limit: int) -> list[tuple[str, datetime | None]]:
    """The address and date of publication of the documents anybody may open, oldest indexed first (so a
    page of them keeps its contents as new ones come); one query."""
    rows = await session.execute(_listed(registry, organization, lambda space, component: (
        IndexedDocument, space.title, space.slug, space.space_type, component.component_type))
        .order_by(IndexedDocument.id).offset(offset).limit(limit))
    return [(result.url, result.published_at) for result in (_result(registry, *row) for row in rows)]
