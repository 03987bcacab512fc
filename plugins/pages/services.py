"""The rules of the pages plugin: what a component shows and how a page is written."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import search
from core.manifest import ResourceInfo, SearchDocument
from core.models import Component
from core.richtext import plain_text, sanitize
from plugins.pages.models import Page


async def pages_of(session: AsyncSession, component: Component) -> Sequence[Page]:
    """The pages of a component in their display order."""
    return (
        await session.scalars(select(Page).where(Page.component_id == component.id).order_by(Page.weight, Page.id))
    ).all()


async def page_of(session: AsyncSession, component: Component, page_id: int) -> Page | None:
    """A page, only if it belongs to this component."""
    return await session.scalar(select(Page).where(Page.id == page_id, Page.component_id == component.id))


async def commentable_page(session: AsyncSession, component: Component, page_id: int) -> ResourceInfo | None:
    """Comments: a page of this component, where its thread is shown (pages are always public)."""
    page = await page_of(session, component, page_id)
    return ResourceInfo(title=page.title, path=f"/{page.id}") if page else None


async def add_page(session: AsyncSession, component: Component, title: dict[str, str], body: dict[str, str],
                   weight: int | None = None) -> Page:
    """Add a page at the end (or at ``weight``); the body is sanitised before it is stored."""
    if weight is None:
        weight = (await session.scalar(
            select(func.coalesce(func.max(Page.weight), -1)).where(Page.component_id == component.id)
        )) + 1
    page = Page(
        component_id=component.id,
        title={locale: text.strip() for locale, text in title.items() if text.strip()},
        body={locale: sanitize(html) for locale, html in body.items()},
        weight=weight,
    )
    session.add(page)
    await session.flush()
    await search.index(session, component, [search_document(page)])
    return page


async def count_pages(session: AsyncSession, component_ids: Sequence[int]) -> int:
    """Statistic: pages in these components."""
    return await session.scalar(select(func.count(Page.id)).where(Page.component_id.in_(component_ids))) or 0


async def search_documents(session: AsyncSession, component: Component):
    """Search: every page, as plain text in each of its languages."""
    for page in await pages_of(session, component):
        yield search_document(page)


def search_document(page: Page) -> SearchDocument:
    return SearchDocument(
        resource_type="pages.page", resource_id=page.id, path=f"/{page.id}", title=page.title,
        text={locale: plain_text(html) for locale, html in page.body.items()},
    )


async def export_rows(session: AsyncSession, component: Component):
    """Export: one row per page, every language."""
    for page in await pages_of(session, component):
        yield {"id": page.id, "title": page.title, "body": page.body, "updated_at": page.updated_at.isoformat()}
