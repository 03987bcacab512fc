"""The rules of scopes and scope types, and the helpers other features use to offer and filter by scope.

A scope holds everything inside it: filtering by a district finds what is about its neighbourhoods
too (``within``). A scope belongs to one organization; ``is_scope_of`` is the check every feature
makes on an id it is given, so another organization's scope is refused. Changes write the admin log
in the caller's transaction (the caller commits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.adminlog import record
from core.i18n import N_, translated
from core.models import Organization, Space
from core.scopes.models import Scope, ScopeType
from core.scopes.schemas import CODE_PATTERN, ScopeForm, ScopeTypeForm

CODE_TAKEN = N_("Another scope of the organization already has this code: choose another one.")
NOT_ONE_OF_OURS = N_("Choose one of the options.")
IN_USE_ELSEWHERE = N_("Proposals or other contributions have this scope, so it cannot be deleted while they do. "
                      "Give them another scope first.")
NAMES_SHOWN = 5


class ScopeError(Exception):
    """A change that breaks a rule; ``message`` is a message id, ``field`` the form field it belongs to."""

    def __init__(self, message: str, field: str = "__all__", **variables: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.variables = variables


# ---------------------------------------------------------------- reading


async def scope_types_of(session: AsyncSession, organization: Organization) -> Sequence[ScopeType]:
    """The organization's scope types, oldest first."""
    return (await session.scalars(
        select(ScopeType).where(ScopeType.organization_id == organization.id).order_by(ScopeType.id)
    )).all()


async def scopes_of(session: AsyncSession, organization: Organization | int) -> list[Scope]:
    """The organization's scopes in tree order (each right after its parent; siblings by code). One query:
    an organization has tens or hundreds of scopes, which every filter and form needs whole."""
    organization_id = organization if isinstance(organization, int) else organization.id
    scopes = (await session.scalars(select(Scope).where(Scope.organization_id == organization_id))).all()
    return [scope for scope, _ in tree(scopes)]


async def scope_of(session: AsyncSession, organization: Organization, scope_id: int) -> Scope | None:
    """A scope of this organization only: another one's id is not found."""
    return await session.scalar(select(Scope).where(Scope.id == scope_id, Scope.organization_id == organization.id))


async def scope_type_of(session: AsyncSession, organization: Organization, scope_type_id: int) -> ScopeType | None:
    """A scope type of this organization only."""
    return await session.scalar(select(ScopeType).where(ScopeType.id == scope_type_id,
                                                        ScopeType.organization_id == organization.id))


async def is_scope_of(session: AsyncSession, organization_id: int, scope_id: int | None) -> bool:
    """Whether ``scope_id`` names a scope of this organization (None, no scope, is fine too). Every
    feature that stores a scope id it was sent asks this first."""
    if scope_id is None:
        return True
    return await session.scalar(select(Scope.id).where(Scope.id == scope_id,
                                                       Scope.organization_id == organization_id)) is not None


def tree(scopes: Iterable[Scope]) -> list[tuple[Scope, int]]:
    """The scopes depth first, with their depth (0 for a scope inside no other). A scope whose parent is
    not among them is shown at the top."""
    scopes = list(scopes)
    ids = {scope.id for scope in scopes}
    children: dict[int | None, list[Scope]] = {}
    for scope in scopes:
        children.setdefault(scope.parent_id if scope.parent_id in ids else None, []).append(scope)
    ordered: list[tuple[Scope, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for scope in sorted(children.get(parent, []), key=lambda each: (each.code, each.id)):
            ordered.append((scope, depth))
            walk(scope.id, depth + 1)

    walk(None, 0)
    return ordered


def label(scope: Scope, by_id: dict[int, Scope]) -> str:
    """Its name after the names of the scopes it sits in: "Nord / Sant Andreu", in the current language."""
    names, seen = [], set()
    current: Scope | None = scope
    while current is not None and current.id not in seen:
        seen.add(current.id)
        names.append(translated(current.name))
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return " / ".join(reversed(names))


def choices(scopes: Sequence[Scope], empty: str, exclude: Iterable[int] = ()) -> list[tuple[str, str]]:
    """Options of a select: ``empty`` (already translated) first, then every scope by its full label; none at
    all when the organization has no scopes, so that the field is left out (``core.forms``)."""
    by_id = {scope.id: scope for scope in scopes}
    left_out = set(exclude)
    options = [(str(scope.id), label(scope, by_id)) for scope in scopes if scope.id not in left_out]
    return [("", empty), *options] if options else []


def within(scopes: Sequence[Scope], scope_id: int) -> set[int]:
    """The scope and every scope inside it, at any depth."""
    children: dict[int, list[int]] = {}
    for scope in scopes:
        if scope.parent_id is not None:
            children.setdefault(scope.parent_id, []).append(scope.id)
    found, pending = set(), [scope_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, []))
    return found


def pick(scopes: Sequence[Scope], raw: Any) -> Scope | None:
    """The scope a query parameter names, if it is one of ``scopes`` (the organization's); else None, so an
    unknown, foreign or malformed id filters nothing."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return next((scope for scope in scopes if scope.id == int(text)), None)


def _names(rows: Sequence[Any], name: Any) -> str:
    """The first few names of what is in the way, so the admin knows where to look."""
    shown = ", ".join(name(row) for row in rows[:NAMES_SHOWN])
    return shown + (", …" if len(rows) > NAMES_SHOWN else "")


# ---------------------------------------------------------------- scope types


def _name(organization: Organization, name: dict[str, str]) -> dict[str, str]:
    languages = set(organization.available_locales)
    return {locale: " ".join(text.split()) for locale, text in name.items() if locale in languages and text.strip()}


async def create_type(session: AsyncSession, organization: Organization, actor: Any,
                      data: ScopeTypeForm) -> ScopeType:
    """A new scope type, in the admin log."""
    scope_type = ScopeType(organization_id=organization.id, name=_name(organization, data.name))
    session.add(scope_type)
    await session.flush()
    record(session, organization.id, actor, "scope_type.create", translated(scope_type.name),
           scope_type_id=scope_type.id)
    return scope_type


async def update_type(session: AsyncSession, organization: Organization, actor: Any, scope_type: ScopeType,
                      data: ScopeTypeForm) -> None:
    scope_type.name = _name(organization, data.name)
    record(session, organization.id, actor, "scope_type.update", translated(scope_type.name),
           scope_type_id=scope_type.id)


async def type_refusal(session: AsyncSession, scope_type: ScopeType) -> ScopeError | None:
    """Why this type cannot be deleted now (scopes are of it), or None."""
    used = (await session.scalars(select(Scope).where(Scope.scope_type_id == scope_type.id)
                                  .order_by(Scope.code, Scope.id).limit(NAMES_SHOWN + 1))).all()
    if used:
        return ScopeError(N_("Scopes are of this type (%(names)s): give them another type first."),
                          names=_names(used, lambda scope: translated(scope.name)))
    return None


async def delete_type(session: AsyncSession, organization: Organization, actor: Any, scope_type: ScopeType) -> None:
    """Delete a type no scope is of; else ScopeError says why not."""
    refusal = await type_refusal(session, scope_type)
    if refusal is not None:
        raise refusal
    record(session, organization.id, actor, "scope_type.delete", translated(scope_type.name))
    await session.delete(scope_type)


# ---------------------------------------------------------------- scopes


async def _check(session: AsyncSession, organization: Organization, data: ScopeForm, scope: Scope | None) -> None:
    if not re.fullmatch(CODE_PATTERN, data.code):
        raise ScopeError(N_("Use letters, digits, dots, hyphens and underscores, for example D-03."), "code")
    taken = select(Scope.id).where(Scope.organization_id == organization.id, Scope.code == data.code)
    if scope is not None:
        taken = taken.where(Scope.id != scope.id)
    if await session.scalar(taken) is not None:
        raise ScopeError(CODE_TAKEN, "code")
    if data.scope_type_id is not None and await scope_type_of(session, organization, data.scope_type_id) is None:
        raise ScopeError(NOT_ONE_OF_OURS, "scope_type_id")
    if data.parent_id is None:
        return
    if not await is_scope_of(session, organization.id, data.parent_id):
        raise ScopeError(NOT_ONE_OF_OURS, "parent_id")
    if scope is not None and data.parent_id in within(await scopes_of(session, organization), scope.id):
        raise ScopeError(N_("A scope cannot be inside itself or inside one of its own sub-scopes."), "parent_id")


async def _flush(session: AsyncSession) -> None:
    """Write the row; two admins saving the same code at once: the unique constraint refuses the second."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ScopeError(CODE_TAKEN, "code") from None


def _apply(organization: Organization, scope: Scope, data: ScopeForm) -> None:
    scope.name, scope.code = _name(organization, data.name), data.code
    scope.scope_type_id, scope.parent_id = data.scope_type_id, data.parent_id


async def create(session: AsyncSession, organization: Organization, actor: Any, data: ScopeForm) -> Scope:
    """A new scope of the organization, in the admin log."""
    await _check(session, organization, data, None)
    scope = Scope(organization_id=organization.id)
    _apply(organization, scope, data)
    session.add(scope)
    await _flush(session)
    record(session, organization.id, actor, "scope.create", translated(scope.name), scope_id=scope.id)
    return scope


async def update(session: AsyncSession, organization: Organization, actor: Any, scope: Scope, data: ScopeForm) -> None:
    """Change a scope; what has it keeps it (filters by a district include its new neighbourhoods at once)."""
    await _check(session, organization, data, scope)
    _apply(organization, scope, data)
    await _flush(session)
    record(session, organization.id, actor, "scope.update", translated(scope.name), scope_id=scope.id)


async def refusal(session: AsyncSession, scope: Scope) -> ScopeError | None:
    """Why this scope cannot be deleted now (it has sub-scopes, or spaces have it), or None. What plugins
    file under it (proposals) is refused by the database when deleting (see ``delete``)."""
    inside = (await session.scalars(select(Scope).where(Scope.parent_id == scope.id)
                                    .order_by(Scope.code, Scope.id).limit(NAMES_SHOWN + 1))).all()
    if inside:
        return ScopeError(N_("Other scopes are inside this one (%(names)s): delete them or move them elsewhere "
                             "first."), names=_names(inside, lambda child: translated(child.name)))
    spaces = (await session.scalars(select(Space).where(Space.scope_id == scope.id).order_by(Space.id)
                                    .limit(NAMES_SHOWN + 1))).all()
    if spaces:
        return ScopeError(N_("Spaces have this scope (%(names)s): give them another scope first."),
                          names=_names(spaces, lambda space: translated(space.title)))
    return None


async def delete(session: AsyncSession, organization: Organization, actor: Any, scope: Scope) -> None:
    """Delete a scope nothing has; else ScopeError says why not.

    Proposals (or any plugin's rows) with this scope are found by the database: their foreign key has no
    ``ON DELETE``, so the delete fails inside a savepoint and is refused with a clear message.
    """
    found = await refusal(session, scope)
    if found is not None:
        raise found
    name = translated(scope.name)
    try:
        async with session.begin_nested():
            await session.delete(scope)
            await session.flush()
    except IntegrityError:
        raise ScopeError(IN_USE_ELSEWHERE) from None
    record(session, organization.id, actor, "scope.delete", name)
