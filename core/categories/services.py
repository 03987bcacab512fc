"""The rules of categories, and the helpers other features use to offer and filter by category.

A space's categories go one level deep: a category, and subcategories inside it. Filtering by a
category finds what is filed under its subcategories too (``within``). A category belongs to one
space; ``is_category_of`` is the check every feature makes on an id it is given, so a category of
another space (or organization) is refused. Changes write the admin log in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.adminlog import record
from core.categories.models import Category
from core.categories.schemas import CategoryForm
from core.i18n import N_, translated
from core.models import Organization, Space

NOT_ONE_OF_OURS = N_("Choose one of the options.")
IN_USE = N_("Proposals or other contributions are filed under this category, so it cannot be deleted while they "
            "are. Give them another category first.")


class CategoryError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__", **variables: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.variables = variables


# ---------------------------------------------------------------- reading


async def categories_of(session: AsyncSession, space: Space | int) -> list[Category]:
    """The space's categories in their order: each first-level one followed by its subcategories."""
    space_id = space if isinstance(space, int) else space.id
    categories = (await session.scalars(select(Category).where(Category.space_id == space_id))).all()
    return [category for category, _ in tree(categories)]


async def category_of(session: AsyncSession, space: Space, category_id: int) -> Category | None:
    """A category of this space only: another space's id is not found."""
    return await session.scalar(select(Category).where(Category.id == category_id, Category.space_id == space.id))


async def is_category_of(session: AsyncSession, space_id: int, category_id: int | None) -> bool:
    """Whether ``category_id`` names a category of this space (None, no category, is fine too). Every
    feature that stores a category id it was sent asks this first."""
    if category_id is None:
        return True
    return await session.scalar(select(Category.id).where(Category.id == category_id,
                                                          Category.space_id == space_id)) is not None


def _order(category: Category) -> tuple[int, int]:
    return category.weight, category.id


def tree(categories: Iterable[Category]) -> list[tuple[Category, int]]:
    """First-level categories by weight, each followed by its subcategories (depth 1)."""
    categories = list(categories)
    ids = {category.id for category in categories}
    top = sorted((c for c in categories if c.parent_id is None or c.parent_id not in ids), key=_order)
    ordered: list[tuple[Category, int]] = []
    for parent in top:
        ordered.append((parent, 0))
        ordered += [(child, 1) for child in sorted((c for c in categories if c.parent_id == parent.id), key=_order)]
    return ordered


def label(category: Category, by_id: dict[int, Category]) -> str:
    """Its name, after its parent's for a subcategory: "Mobility / Cycling", in the current language."""
    parent = by_id.get(category.parent_id) if category.parent_id is not None else None
    name = translated(category.name)
    return f"{translated(parent.name)} / {name}" if parent is not None else name


def choices(categories: Sequence[Category], empty: str) -> list[tuple[str, str]]:
    """Options of a select: ``empty`` (already translated) first, then every category by its full label; none
    at all when the space has no categories, so that the field is left out (``core.forms``)."""
    by_id = {category.id: category for category in categories}
    options = [(str(category.id), label(category, by_id)) for category in categories]
    return [("", empty), *options] if options else []


def within(categories: Sequence[Category], category_id: int) -> set[int]:
    """The category and its subcategories."""
    return {category_id} | {category.id for category in categories if category.parent_id == category_id}


def pick(categories: Sequence[Category], raw: Any) -> Category | None:
    """The category a query parameter names, if it is one of ``categories`` (the space's); else None, so an
    unknown, foreign or malformed id filters nothing."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return next((category for category in categories if category.id == int(text)), None)


def parent_choices(categories: Sequence[Category], category: Category | None, empty: str) -> list[tuple[str, str]]:
    """Where a category may go: inside a first-level category of the space other than itself. A category that
    has subcategories stays at the first level (none offered)."""
    if category is not None and any(other.parent_id == category.id for other in categories):
        return []
    options = [(str(other.id), translated(other.name)) for other in categories
               if other.parent_id is None and (category is None or other.id != category.id)]
    return [("", empty), *options] if options else []


# ---------------------------------------------------------------- changing


async def copy_categories(session: AsyncSession, from_space_id: int, to_space_id: int) -> None:
    """Give a space's copy (next year's edition) the same categories, subcategories under their copied
    parents. Nothing filed under them is copied, as nothing people contributed is."""
    copied: dict[int, int] = {}
    for category in await categories_of(session, from_space_id):  # parents come before their subcategories
        new = Category(space_id=to_space_id, name=dict(category.name), weight=category.weight,
                       parent_id=copied.get(category.parent_id) if category.parent_id is not None else None)
        session.add(new)
        await session.flush()
        copied[category.id] = new.id


async def _check(session: AsyncSession, space: Space, data: CategoryForm, category: Category | None) -> None:
    if data.parent_id is None:
        return
    parent = await category_of(session, space, data.parent_id)
    if parent is None or (category is not None and parent.id == category.id):
        raise CategoryError(NOT_ONE_OF_OURS, "parent_id")
    if parent.parent_id is not None:
        raise CategoryError(N_("A subcategory cannot have subcategories: choose a first-level category."),
                            "parent_id")
    if category is not None and await session.scalar(select(Category.id).where(Category.parent_id == category.id)):
        raise CategoryError(N_("This category has subcategories, so it cannot become one."), "parent_id")


def _name(organization: Organization, name: dict[str, str]) -> dict[str, str]:
    languages = set(organization.available_locales)
    return {locale: " ".join(text.split()) for locale, text in name.items() if locale in languages and text.strip()}


async def create(session: AsyncSession, organization: Organization, actor: Any, space: Space,
                 data: CategoryForm) -> Category:
    """A new category of the space, in the admin log."""
    await _check(session, space, data, None)
    category = Category(space_id=space.id, name=_name(organization, data.name), parent_id=data.parent_id,
                        weight=data.weight)
    session.add(category)
    await session.flush()
    record(session, organization.id, actor, "category.create", translated(category.name), space_id=space.id,
           category_id=category.id)
    return category


async def update(session: AsyncSession, organization: Organization, actor: Any, space: Space, category: Category,
                 data: CategoryForm) -> None:
    await _check(session, space, data, category)
    category.name, category.parent_id = _name(organization, data.name), data.parent_id
    category.weight = data.weight
    record(session, organization.id, actor, "category.update", translated(category.name), space_id=space.id,
           category_id=category.id)


async def refusal(session: AsyncSession, category: Category) -> CategoryError | None:
    """Why this category cannot be deleted now (it has subcategories), or None. What plugins file under it
    is refused by the database when deleting (see ``delete``)."""
    children = (await session.scalars(select(Category).where(Category.parent_id == category.id)
                                      .order_by(Category.weight, Category.id))).all()
    if children:
        return CategoryError(N_("It has subcategories (%(names)s): delete them or move them first."),
                             names=", ".join(translated(child.name) for child in children))
    return None


async def delete(session: AsyncSession, organization: Organization, actor: Any, space: Space,
                 category: Category) -> None:
    """Delete a category nothing is filed under; else CategoryError says why not.

    Proposals (or any plugin's rows) under this category are found by the database: their foreign key has
    no ``ON DELETE``, so the delete fails inside a savepoint and is refused with a clear message.
    """
    found = await refusal(session, category)
    if found is not None:
        raise found
    name = translated(category.name)
    try:
        async with session.begin_nested():
            await session.delete(category)
            await session.flush()
    except IntegrityError:
        raise CategoryError(IN_USE) from None
    record(session, organization.id, actor, "category.delete", name, space_id=space.id)
