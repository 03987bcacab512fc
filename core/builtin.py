"""Core's own features, registered through the same hooks as any plugin."""

from __future__ import annotations

from pathlib import Path

from huey import crontab

from core import adminlog, roles  # noqa: F401  (imported for their tables: the metadata must know them)
from core import backup, exports, health, mail, routes, web
from core.accounts import models as account_models  # noqa: F401  (tables)
from core.accounts import routes as account_routes
from core.admin import routes as admin_routes
from core.hookspecs import hookimpl
from core.i18n import N_
from core.manifest import SpaceType, Task
from core.permissions import CORE_RULES
from core.ratelimit import DatabaseCounters
from core.store import DatabaseStore


@hookimpl
def register_space_types():
    return [
        SpaceType(name="process", title=N_("Participatory processes"), url_prefix="processes"),
        SpaceType(name="assembly", title=N_("Assemblies"), url_prefix="assemblies"),
    ]


@hookimpl
def register_routes():
    return [
        routes.home, routes.switch_locale, routes.terms, routes.organization_css,
        health.healthz, health.readyz, health.metrics, web.not_found,
        *account_routes.ROUTES,
        *admin_routes.ROUTES,
    ]


@hookimpl
def register_permissions():
    return CORE_RULES


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def register_tasks(settings):
    return [
        Task(name="core.send_mail", run=mail.send_mail_task, retries=5, retry_delay=60),
        Task(name="core.export_component", run=exports.export_component_task, retries=1, retry_delay=60),
        Task(name="core.backup", run=backup.backup_task, schedule=crontab(minute="0", hour=str(settings.backup_hour)),
             retries=3, retry_delay=60),
        Task(name="core.delete_expired_entries", run=_delete_expired, schedule=crontab(minute="*/15")),
    ]


async def _delete_expired(ctx):
    """Expired sessions, caches and rate-limit windows in the database (Redis expires its own)."""
    if not ctx.settings.redis_url:
        await DatabaseStore(ctx.sessionmaker).delete_expired()
        await DatabaseCounters(ctx.sessionmaker).delete_expired()


@hookimpl
def menu_links(request, organization):
    return [(request.app.state.catalogs.gettext(N_("Home")), "/")]
