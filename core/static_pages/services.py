"""The rules of static pages: a slug unique in the organization, sanitised texts, the admin log and
the search index, all in the transaction of the change (the caller commits).

The footer links are not read here: ``core.web`` loads them in the same query that finds the
request's organization, so they cost no query of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.adminlog import record
from core.db import utcnow
from core.i18n import N_, translated
from core.manifest import SearchDocument
from core.models import Organization
from core.richtext import plain_text
from core.search import services as search
from core.static_pages.models import StaticPage
from core.static_pages.schemas import SLUG_PATTERN, StaticPageForm

RESOURCE_TYPE = "static_pages.page"
SLUG_TAKEN = N_("Another page of the organization already has this address: choose another one.")


class StaticPageError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- reading


async def pages_of(session: AsyncSession, organization: Organization) -> Sequence[StaticPage]:
    """The organization's pages in their order (weight, then oldest first)."""
    return (await session.scalars(
        select(StaticPage).where(StaticPage.organization_id == organization.id)
        .order_by(StaticPage.weight, StaticPage.id)
    )).all()


async def page_of(session: AsyncSession, organization: Organization, page_id: int) -> StaticPage | None:
    """A page of this organization only: an id from another one is not found."""
    return await session.scalar(select(StaticPage).where(StaticPage.id == page_id,
                                                         StaticPage.organization_id == organization.id))


async def page_by_slug(session: AsyncSession, organization: Organization, slug: str) -> StaticPage | None:
    """The organization's page at /pages/<slug>; another organization's page of that slug is not found."""
    return await session.scalar(select(StaticPage).where(StaticPage.organization_id == organization.id,
                                                         StaticPage.slug == slug))


# ---------------------------------------------------------------- changing


def _texts(organization: Organization, data: StaticPageForm) -> tuple[dict[str, str], dict[str, str]]:
    languages = set(organization.available_locales)
    title = {locale: " ".join(text.split()) for locale, text in data.title.items() if locale in languages}
    body = {locale: text for locale, text in data.body.items() if locale in languages}
    if not plain_text(body.get(organization.default_locale, "")):
        # Sanitising can leave nothing of what was typed (only a script, only markup).
        raise StaticPageError(N_("Write the text at least in the organization's default language."), "body")
    return title, body


async def _check_slug(session: AsyncSession, organization: Organization, slug: str,
                      page: StaticPage | None = None) -> None:
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise StaticPageError(N_("Use only lowercase letters, digits and hyphens, for example about-us."), "slug")
    taken = select(StaticPage.id).where(StaticPage.organization_id == organization.id, StaticPage.slug == slug)
    if page is not None:
        taken = taken.where(StaticPage.id != page.id)
    if await session.scalar(taken) is not None:
        raise StaticPageError(SLUG_TAKEN, "slug")


async def _flush(session: AsyncSession) -> None:
    """Write the row; two admins saving the same slug at once: the unique constraint refuses the second."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise StaticPageError(SLUG_TAKEN, "slug") from None


def search_document(page: StaticPage) -> SearchDocument:
    """What search knows of a page: its title and the words of its text, at its own address."""
    return SearchDocument(resource_type=RESOURCE_TYPE, resource_id=page.id, path=f"/pages/{page.slug}",
                          title=dict(page.title),
                          text={locale: plain_text(html) for locale, html in page.body.items()},
                          published_at=page.created_at)


async def create(session: AsyncSession, organization: Organization, actor: object,
                 data: StaticPageForm) -> StaticPage:
    """A new page, in the search index and the admin log."""
    title, body = _texts(organization, data)
    await _check_slug(session, organization, data.slug)
    page = StaticPage(organization_id=organization.id, slug=data.slug, title=title, body=body, weight=data.weight,
                      show_in_footer=data.show_in_footer)
    session.add(page)
    await _flush(session)
    await search.index_organization_document(session, organization.id, search_document(page))
    record(session, organization.id, actor, "static_page.create", translated(title), static_page_id=page.id)
    return page


async def update(session: AsyncSession, organization: Organization, actor: object, page: StaticPage,
                 data: StaticPageForm) -> None:
    """Change a page; its search entry follows (a new slug gives it a new address)."""
    title, body = _texts(organization, data)
    await _check_slug(session, organization, data.slug, page)
    page.slug, page.title, page.body = data.slug, title, body
    page.weight, page.show_in_footer, page.updated_at = data.weight, data.show_in_footer, utcnow()
    await _flush(session)
    await search.index_organization_document(session, organization.id, search_document(page))
    record(session, organization.id, actor, "static_page.update", translated(title), static_page_id=page.id)


async def delete(session: AsyncSession, organization: Organization, actor: object, page: StaticPage) -> None:
    """Delete a page and take it out of search."""
    record(session, organization.id, actor, "static_page.delete", translated(page.title))
    await search.remove(session, RESOURCE_TYPE, [page.id])
    await session.delete(page)


async def index_pages(session: AsyncSession, organization: Organization) -> int:
    """Index every page of the organization (``core.search.services.rebuild``); how many there are."""
    pages = await pages_of(session, organization)
    for page in pages:
        await search.index_organization_document(session, organization.id, search_document(page))
    return len(pages)
