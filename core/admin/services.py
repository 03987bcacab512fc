"""The rules of the admin area. Each change is written to the admin log in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import organizations
from core.accounts import services as accounts
from core.accounts.models import User
from core.adminlog import AdminLogEntry, record
from core.db import utcnow
from core.groups.succession import replace_admin
from core.i18n import N_, canonical_time_zone
from core.models import Organization, TermsOfUse
from core.richtext import sanitize
from core.roles import OrganizationRole, organization_roles, set_organization_roles

PER_PAGE = 25


class AdminError(Exception):
    """A rule refused the change; ``message`` is a message id, ``field`` the form field it is about."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _like(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally: % and _ from a search box are not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_users(session: AsyncSession, organization: Organization, query: str = "",
                       page: int = 1) -> tuple[Sequence[User], int, dict[int, frozenset[str]]]:
    """A page of the organization's people (newest first), the total, and their roles (three queries)."""
    conditions = [User.organization_id == organization.id]
    if query.strip():
        pattern = _like(query.strip().lower())
        conditions.append(or_(func.lower(User.name).like(pattern, escape="\\"),
                              User.email.like(pattern, escape="\\"), User.nickname.like(pattern, escape="\\")))
    total = await session.scalar(select(func.count(User.id)).where(*conditions)) or 0
    users = (await session.scalars(
        select(User).where(*conditions).order_by(User.created_at.desc(), User.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    roles: dict[int, set[str]] = {}
    if users:
        for user_id, role in await session.execute(
            select(OrganizationRole.user_id, OrganizationRole.role).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.user_id.in_([user.id for user in users]),
            )
        ):
            roles.setdefault(user_id, set()).add(role)
    return users, total, {key: frozenset(value) for key, value in roles.items()}


async def user_of(session: AsyncSession, organization: Organization, user_id: int) -> User | None:
    """A person of this organization only: an id from another one is not found."""
    return await session.scalar(select(User).where(User.id == user_id, User.organization_id == organization.id))


def _label(user: User) -> str:
    return f"{user.name} (@{user.nickname})"


async def invite_person(session: AsyncSession, organization: Organization, actor: User, name: str,
                        email: str) -> tuple[User, str]:
    """Invite someone to register (the way in when registration is by invitation only)."""
    user, token = await accounts.invite(session, organization, email, name, organization.default_locale)
    if token is None:
        raise AdminError(N_("This person already has an account."))
    record(session, organization.id, actor, "user.invite", user.email)
    return user, token


async def block(session: AsyncSession, organization: Organization, actor: User, user: User, reason: str) -> None:
    """Block an account: it is logged out everywhere and cannot log in again."""
    if user.id == actor.id:
        raise AdminError(N_("You cannot block yourself."))
    actor_roles = await organization_roles(session, actor.id, organization.id)
    if "admin" in await organization_roles(session, user.id, organization.id) and "admin" not in actor_roles:
        raise AdminError(N_("Only an administrator can block another administrator."))
    user.blocked_at, user.blocked_reason = utcnow(), reason.strip()
    record(session, organization.id, actor, "user.block", _label(user), reason=reason.strip())
    await replace_admin(session, user.id)  # no group is left without someone to run it


async def unblock(session: AsyncSession, organization: Organization, actor: User, user: User) -> None:
    user.blocked_at, user.blocked_reason = None, None
    record(session, organization.id, actor, "user.unblock", _label(user))


async def change_roles(session: AsyncSession, organization: Organization, actor: User, user: User,
                       roles: set[str]) -> None:
    """Set a person's organization roles; nobody removes their own administrator role."""
    if user.id == actor.id and "admin" not in roles:
        raise AdminError(N_("You cannot remove your own administrator role; ask another administrator."))
    before = await organization_roles(session, user.id, organization.id)
    await set_organization_roles(session, organization.id, user.id, roles)
    record(session, organization.id, actor, "user.roles", _label(user), before=sorted(before), after=sorted(roles))


async def publish_terms(session: AsyncSession, organization: Organization, actor: User,
                        body: dict[str, str]) -> TermsOfUse:
    """A new version of the terms of use, in force from now on."""
    if not sanitize(body.get(organization.default_locale, "")).strip():
        raise AdminError(N_("Write the terms at least in the organization's default language."))
    terms = await organizations.publish_terms(session, organization, body)
    record(session, organization.id, actor, "terms.publish", version=terms.version)
    return terms


async def change_appearance(session: AsyncSession, organization: Organization, actor: User, primary: str,
                            secondary: str) -> None:
    before = {"primary_color": organization.primary_color, "secondary_color": organization.secondary_color}
    organization.primary_color, organization.secondary_color = primary.lower(), secondary.lower()
    record(session, organization.id, actor, "organization.appearance", before=before,
           after={"primary_color": primary.lower(), "secondary_color": secondary.lower()})


async def change_settings(session: AsyncSession, organization: Organization, actor: User, *, registration_mode: str,
                          minimum_age: int, default_locale: str, locales: list[str],
                          time_zone: str | None = None) -> None:
    """Change who can register, the languages and the time zone (an IANA name; unchanged when None)."""
    zone = organization.time_zone if time_zone is None else canonical_time_zone(time_zone)
    if zone is None:
        raise AdminError(N_("This is not a time zone: write its IANA name, such as Europe/Madrid or "
                            "Atlantic/Canary."), "time_zone")
    if not locales:
        raise AdminError(N_("Offer the site in at least one language."))
    if default_locale not in locales:
        raise AdminError(N_("The default language must be one of the languages offered."))
    before = {"registration_mode": organization.registration_mode, "minimum_age": organization.minimum_age,
              "default_locale": organization.default_locale, "available_locales": organization.available_locales,
              "time_zone": organization.time_zone}
    organization.registration_mode, organization.minimum_age = registration_mode, minimum_age
    organization.default_locale, organization.available_locales = default_locale, locales
    organization.time_zone = zone
    record(session, organization.id, actor, "organization.settings", before=before, after={
        "registration_mode": registration_mode, "minimum_age": minimum_age, "default_locale": default_locale,
        "available_locales": locales, "time_zone": zone})


async def log_page(session: AsyncSession, organization: Organization, page: int = 1) -> tuple[Sequence[AdminLogEntry], int]:
    total = await session.scalar(
        select(func.count(AdminLogEntry.id)).where(AdminLogEntry.organization_id == organization.id)) or 0
    entries = (await session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.organization_id == organization.id)
        .order_by(AdminLogEntry.created_at.desc(), AdminLogEntry.id.desc())
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)
    )).all()
    return entries, total
