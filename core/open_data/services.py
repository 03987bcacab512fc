"""Building the open data file of an organization, and finding it.

What goes in is what an anonymous visitor can read on the site, and nothing more:

- spaces that are published and not private (of an enabled space type), their phases, and their
  published, unarchived components of enabled types;
- every such component's exports declared ``public`` (``core.manifest.Export``): the plugin promises
  those rows hold only visible things and no personal data;
- comments of those components that are not deleted, not hidden by moderation, and not on something
  moderation hid; with the author's public nickname and name, left empty for a deleted or blocked
  account. No e-mail address, ever;
- statistics of the organization and of each space.

The file is built beside the old one and replaces it in one ``os.replace``: a download in progress
keeps reading the old file, a new one gets the new file. Its date is the file's own, so the date
shown can never disagree with the file served.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from huey import crontab
from sqlalchemy import case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from core.accounts.models import User
from core.comments.models import Comment, CommentVote
from core.db import utcnow
from core.exports import Archive
from core.i18n import N_, current_locale
from core.manifest import Task
from core.models import Component, Organization, Phase, Space
from core.moderation.models import Moderation
from core.moderation.services import COMMENT, not_hidden
from core.notifications.mails import environment, site_url
from core.richtext import plain_text

logger = logging.getLogger("participa.open_data")

FILE_NAME = "open-data.zip"
LICENCE = "Open Database License (ODbL) 1.0"
LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
ALIGNMENTS = {1: "in_favour", 0: "neutral", -1: "against"}

CORE_FILES = (
    ("spaces", N_("Participatory spaces (processes, assemblies...) that are published and public, with their "
                  "texts in every language.")),
    ("phases", N_("The phases of those spaces, with their dates.")),
    ("components", N_("The published participation tools of those spaces, with their addresses.")),
)
COMMENT_FILES = (
    ("comments", N_("Comments that can be read on the site, with the public nickname and name of their authors "
                    "(empty for deleted or blocked accounts).")),
    ("statistics", N_("Figures of the organization and of each space.")),
)
TOOL_FILE = N_("%(tool)s: one row per public item of every such component, with its space and component.")


class OpenDataFile:
    """The organization's current open data file: where it is, when it was built and how big it is."""

    def __init__(self, path: Path) -> None:
        stat = path.stat()
        self.path = path
        self.built_at = datetime.fromtimestamp(stat.st_mtime, UTC)
        self.size = stat.st_size


def path_of(settings: Any, organization_id: int) -> Path:
    """Under the data folder, like every generated file; only ``/open-data/download`` sends it."""
    return settings.data_path / "open_data" / str(organization_id) / FILE_NAME


def current_file(settings: Any, organization: Organization) -> OpenDataFile | None:
    """The file as it is now, or None before it was first built."""
    try:
        return OpenDataFile(path_of(settings, organization.id))
    except FileNotFoundError:
        return None


def download_name(organization: Organization, built_at: datetime) -> str:
    return f"{organization.slug}-open-data-{built_at:%Y-%m-%d}.zip"


def files(registry: Any, gettext: Any) -> list[tuple[str, str]]:
    """(name, description) of each table in the file, translated by ``gettext``: for the page and the README."""
    tools = [(f"{manifest.name}_{export.name}", gettext(TOOL_FILE, tool=gettext(manifest.title)))
             for manifest in registry.component_types.values() for export in manifest.exports if export.public]
    return ([(name, gettext(text)) for name, text in CORE_FILES] + tools
            + [(name, gettext(text)) for name, text in COMMENT_FILES])


# ---------------------------------------------------------------- what goes in


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(texts: dict[str, str]) -> dict[str, str]:
    return {locale: plain_text(html) for locale, html in (texts or {}).items()}


async def public_spaces(session: AsyncSession, registry: Any, organization: Organization) -> list[Space]:
    """Published, public spaces of enabled types, oldest first."""
    return [space for space in (await session.scalars(
        select(Space).where(Space.organization_id == organization.id, Space.published.is_(True),
                            Space.private.is_(False)).order_by(Space.id)
    )).all() if space.space_type in registry.space_types]


async def public_components(session: AsyncSession, registry: Any, spaces: list[Space]) -> list[Component]:
    """Published, unarchived components of enabled types in those spaces, each with its space loaded."""
    if not spaces:
        return []
    components = (await session.scalars(
        select(Component).join(Component.space)
        .where(Component.space_id.in_([space.id for space in spaces]), Component.published.is_(True),
               Component.archived_at.is_(None))
        .options(contains_eager(Component.space))
        .order_by(Component.space_id, Component.weight, Component.id)
    )).all()
    return [component for component in components if component.component_type in registry.component_types]


async def comment_rows(session: AsyncSession, components: list[Component]) -> list[dict[str, Any]]:
    """Visible comments of these components with their votes, in one query."""
    if not components:
        return []
    space_of = {component.id: component.space_id for component in components}
    votes = (select(CommentVote.comment_id,
                    func.sum(case((CommentVote.value > 0, 1), else_=0)).label("up"),
                    func.sum(case((CommentVote.value < 0, 1), else_=0)).label("down"))
             .group_by(CommentVote.comment_id).subquery())
    resource_hidden = exists().where(Moderation.resource_type == Comment.resource_type,
                                     Moderation.resource_id == Comment.resource_id,
                                     Moderation.hidden_at.is_not(None))
    rows = (await session.execute(
        select(Comment, User.nickname, User.name, User.deleted_at, User.blocked_at, votes.c.up, votes.c.down)
        .join(User, User.id == Comment.author_id)
        .outerjoin(votes, votes.c.comment_id == Comment.id)
        .where(Comment.component_id.in_(list(space_of)), Comment.deleted_at.is_(None),
               not_hidden(Comment.id, COMMENT), ~resource_hidden)
        .order_by(Comment.id)
    )).all()
    result = []
    for comment, nickname, name, deleted_at, blocked_at, up, down in rows:
        shown = deleted_at is None and blocked_at is None
        result.append({
            "id": comment.id, "space_id": space_of[comment.component_id], "component_id": comment.component_id,
            "resource_type": comment.resource_type, "resource_id": comment.resource_id,
            "parent_id": comment.parent_id, "alignment": ALIGNMENTS.get(comment.alignment, "neutral"),
            "body": comment.body, "created_at": _iso(comment.created_at), "edited_at": _iso(comment.edited_at),
            "author_nickname": nickname if shown else None, "author_name": name if shown else None,
            "votes_up": up or 0, "votes_down": down or 0,
        })
    return result


async def statistic_rows(session: AsyncSession, registry: Any, spaces: list[Space], components: list[Component],
                         comments: list[dict[str, Any]], titles: Any) -> list[dict[str, Any]]:
    """Figures of the whole organization (``space_id`` empty), then of each space."""
    rows: list[dict[str, Any]] = []

    async def figures(space_id: int | None, chosen: list[Component]) -> None:
        def add(name: str, title: str, value: int) -> None:
            rows.append({"space_id": space_id, "statistic": name, "title": titles(title), "value": value})

        if space_id is None:
            add("spaces", N_("Spaces"), len(spaces))
        add("components", N_("Components"), len(chosen))
        ids = {component.id for component in chosen}
        add("comments", N_("Comments"), sum(1 for comment in comments if comment["component_id"] in ids))
        by_type: dict[str, list[int]] = defaultdict(list)
        for component in chosen:
            by_type[component.component_type].append(component.id)
        for component_type, component_ids in by_type.items():
            for statistic in registry.component_types[component_type].statistics:
                add(f"{component_type}.{statistic.name}", statistic.title,
                    int(await statistic.count(session, component_ids)))

    await figures(None, components)
    for space in spaces:
        await figures(space.id, [component for component in components if component.space_id == space.id])
    return rows


async def tables(session: AsyncSession, registry: Any, organization: Organization, base_url: str,
                 titles: Any) -> dict[str, list[dict[str, Any]]]:
    """Every table of the open data file, by name, in the order they are written."""
    spaces = await public_spaces(session, registry, organization)
    public_ids = {space.id for space in spaces}
    components = await public_components(session, registry, spaces)
    phases = (await session.scalars(
        select(Phase).where(Phase.space_id.in_(list(public_ids))).order_by(Phase.space_id, Phase.weight, Phase.id)
    )).all() if public_ids else []
    active = {space.active_phase_id for space in spaces}

    def space_url(space: Space) -> str:
        return f"{base_url}/{registry.space_types[space.space_type].url_prefix}/{space.slug}"

    result: dict[str, list[dict[str, Any]]] = {
        "spaces": [{
            "id": space.id, "type": space.space_type, "slug": space.slug, "url": space_url(space),
            "title": space.title, "subtitle": space.subtitle, "short_description": space.short_description,
            "description": _plain(space.description), "start_date": _iso(space.start_date),
            "end_date": _iso(space.end_date), "active_phase_id": space.active_phase_id,
            "parent_id": space.parent_id if space.parent_id in public_ids else None,
        } for space in spaces],
        "phases": [{
            "id": phase.id, "space_id": phase.space_id, "title": phase.title,
            "description": _plain(phase.description), "start_date": _iso(phase.start_date),
            "end_date": _iso(phase.end_date), "active": phase.id in active,
        } for phase in phases],
        "components": [{
            "id": component.id, "space_id": component.space_id, "type": component.component_type,
            "name": component.name,
            "url": f"{space_url(component.space)}/{component.component_type}/{component.id}",
        } for component in components],
    }
    for manifest in registry.component_types.values():
        for export in manifest.exports:
            if export.public:
                result[f"{manifest.name}_{export.name}"] = []
    for component in components:
        manifest = registry.component_types[component.component_type]
        for export in manifest.exports:
            if export.public:
                result[f"{manifest.name}_{export.name}"] += [
                    {"space_id": component.space_id, "component_id": component.id, **row}
                    async for row in export.rows(session, component)]
    result["comments"] = await comment_rows(session, components)
    result["statistics"] = await statistic_rows(session, registry, spaces, components, result["comments"], titles)
    return result


# ---------------------------------------------------------------- building


async def build(session: AsyncSession, settings: Any, registry: Any, organization: Organization) -> OpenDataFile:
    """Write the organization's open data file again and put it in place of the old one."""
    env, catalogs = environment(settings, registry)
    locales = organization.available_locales

    def titles(message: str) -> dict[str, str]:
        texts = {}
        for locale in locales:
            token = current_locale.set(locale)
            try:
                texts[locale] = catalogs.gettext(message)
            finally:
                current_locale.reset(token)
        return texts

    base_url = await site_url(session, organization)
    content = await tables(session, registry, organization, base_url, titles)
    built_at = utcnow()
    token = current_locale.set(organization.default_locale)
    try:
        readme = env.get_template("open_data/readme.txt").render(
            organization=organization, built_at=built_at, site_url=base_url, licence=LICENCE, licence_url=LICENCE_URL,
            files=files(registry, catalogs.gettext))
    finally:
        current_locale.reset(token)
    target = path_of(settings, organization.id)
    with Archive(target, locales) as archive:
        archive.add_file("README.txt", readme)
        for name, rows in content.items():
            archive.add_table(name, rows)
    return OpenDataFile(target)


async def build_task(ctx: Any, organization_id: int) -> str | None:
    """Task ``core.build_open_data``: build one organization's file (an admin asked); its path."""
    async with ctx.sessionmaker() as session:
        organization = await session.get(Organization, organization_id)
        if organization is None:
            return None
        return str((await build(session, ctx.settings, ctx.registry, organization)).path)


async def build_all_task(ctx: Any) -> int:
    """Task ``core.build_all_open_data`` (daily): every organization's file; how many were built.

    One organization's failure is logged and does not stop the others."""
    async with ctx.sessionmaker() as session:
        ids = (await session.scalars(select(Organization.id).order_by(Organization.id))).all()
    built = 0
    for organization_id in ids:
        try:
            await build_task(ctx, organization_id)
            built += 1
        except Exception:
            logger.exception("the open data of organization %s could not be built", organization_id)
    return built


TASKS = [
    Task(name="core.build_open_data", run=build_task, retries=1, retry_delay=300),
    Task(name="core.build_all_open_data", run=build_all_task, schedule=crontab(minute="30", hour="1")),
]
