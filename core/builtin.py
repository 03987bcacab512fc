"""Core's own features, registered through the same hooks as any plugin."""

from __future__ import annotations

from pathlib import Path

from huey import crontab

from core import adminlog, roles  # noqa: F401  (imported for their tables: the metadata must know them)
from core import backup, exports, health, mail, routes, web
from core import profiles, uploads
from core import events, follows  # noqa: F401  (tables)
from core import outbox
from core.accounts import models as account_models  # noqa: F401  (tables)
from core.accounts import routes as account_routes
from core.admin import routes as admin_routes
from core.comments import models as comment_models  # noqa: F401  (tables)
from core.comments import permissions as comment_permissions
from core.comments import services as comment_services
from core.moderation import permissions as moderation_permissions
from core.moderation import routes as moderation_routes
from core.newsletters import models as newsletter_models  # noqa: F401  (tables)
from core.newsletters import routes as newsletter_routes
from core.newsletters import services as newsletter_services
from core.notifications import models as notification_models  # noqa: F401  (tables)
from core.notifications import routes as notification_routes
from core.notifications import services as notification_services
from core.search import routes as search_routes
from core.spaces import admin as space_admin
from core.spaces.schemas import AssemblyDetails
from core.static_pages import models as static_page_models  # noqa: F401  (tables)
from core.static_pages import routes as static_page_routes
from core.hookspecs import hookimpl
from core.i18n import N_
from core.manifest import SpaceType, Task
from core.permissions import CORE_RULES
from core.ratelimit import DatabaseCounters
from core.store import DatabaseStore


@hookimpl
def register_space_types():
    return [
        SpaceType(name="process", title=N_("Participatory processes"), url_prefix="processes", phases=True),
        SpaceType(name="assembly", title=N_("Assemblies"), url_prefix="assemblies", details=AssemblyDetails,
                  members=True),
    ]


@hookimpl
def register_routes():
    return [
        routes.home, routes.switch_locale, routes.terms, routes.organization_css,
        health.healthz, health.readyz, health.metrics, web.not_found,
        *account_routes.ROUTES,
        *notification_routes.ROUTES,
        *uploads.ROUTES, *profiles.ROUTES,
        *admin_routes.ROUTES,
        *space_admin.ROUTES,
        *moderation_routes.ROUTES,
        *newsletter_routes.ROUTES,
        *search_routes.ROUTES,
        *static_page_routes.ROUTES,
    ]


@hookimpl
def register_permissions():
    return {**CORE_RULES, **comment_permissions.RULES, **moderation_permissions.RULES}


@hookimpl
def register_event_types():
    return comment_services.EVENT_TYPES


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
        *notification_services.TASKS,
        *newsletter_services.TASKS,
        *outbox.TASKS,
    ]


async def _delete_expired(ctx):
    """Expired sessions, caches and rate-limit windows in the database (Redis expires its own)."""
    if not ctx.settings.redis_url:
        await DatabaseStore(ctx.sessionmaker).delete_expired()
        await DatabaseCounters(ctx.sessionmaker).delete_expired()


@hookimpl
def menu_links(request, organization):
    return [(request.app.state.catalogs.gettext(N_("Home")), "/")]
