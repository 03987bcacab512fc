"""Core's own features, registered through the same hooks as any plugin."""

from __future__ import annotations

from pathlib import Path

from huey import crontab

from core import (  # noqa: F401  (imported for their tables: the metadata must know them)  # noqa: F401  (tables)
    adminlog,
    backup,
    events,
    exports,
    follows,
    health,
    mail,
    outbox,
    profiles,
    roles,
    routes,
    sitemap,
    uploads,
    web,
)
from core.accounts import inactivity
from core.accounts import models as account_models  # noqa: F401  (tables)
from core.accounts import routes as account_routes
from core.activity import feeds as activity_feeds
from core.activity import routes as activity_routes
from core.admin import logo as admin_logo
from core.admin import routes as admin_routes
from core.areas import models as area_models  # noqa: F401  (tables)
from core.areas import routes as area_routes
from core.attachments import models as attachment_models  # noqa: F401  (tables)
from core.attachments import permissions as attachment_permissions
from core.attachments import routes as attachment_routes
from core.categories import models as category_models  # noqa: F401  (tables)
from core.categories import routes as category_routes
from core.comments import models as comment_models  # noqa: F401  (tables)
from core.comments import permissions as comment_permissions
from core.comments import services as comment_services
from core.component_exports import models as component_export_models  # noqa: F401  (tables)
from core.component_exports import routes as component_export_routes
from core.component_exports import services as component_export_services
from core.data_downloads import models as data_download_models  # noqa: F401  (tables)
from core.data_downloads import routes as data_download_routes
from core.data_downloads import services as data_download_services
from core.endorsements import models as endorsement_models  # noqa: F401  (tables)
from core.groups import models as group_models  # noqa: F401  (tables)
from core.groups import permissions as group_permissions
from core.groups import routes as group_routes
from core.groups import services as group_services
from core.hookspecs import hookimpl
from core.i18n import N_
from core.manifest import SpaceType, Task
from core.moderation import permissions as moderation_permissions
from core.moderation import routes as moderation_routes
from core.moderation import services as moderation_services
from core.newsletters import models as newsletter_models  # noqa: F401  (tables)
from core.newsletters import routes as newsletter_routes
from core.newsletters import services as newsletter_services
from core.notifications import models as notification_models  # noqa: F401  (tables)
from core.notifications import routes as notification_routes
from core.notifications import services as notification_services
from core.open_data import routes as open_data_routes
from core.open_data import services as open_data_services
from core.permissions import CORE_RULES
from core.process_groups import models as process_group_models  # noqa: F401  (tables)
from core.process_groups import routes as process_group_routes
from core.ratelimit import DatabaseCounters
from core.scopes import models as scope_models  # noqa: F401  (tables)
from core.scopes import routes as scope_routes
from core.search import routes as search_routes
from core.spaces import admin as space_admin
from core.spaces.schemas import AssemblyDetails
from core.static_pages import models as static_page_models  # noqa: F401  (tables)
from core.static_pages import routes as static_page_routes
from core.statistics import routes as statistics_routes
from core.store import DatabaseStore
from core.system import models as system_models  # noqa: F401  (tables)
from core.system import permissions as system_permissions
from core.system import routes as system_routes
from core.verifications import acting as verification_acting
from core.verifications import models as verification_models  # noqa: F401  (tables)
from core.verifications import permissions as verification_permissions
from core.verifications import routes as verification_routes
from core.verifications.handlers import BUILTIN as BUILTIN_AUTHORIZATION_HANDLERS


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
        *activity_routes.ROUTES, *activity_feeds.ROUTES, *statistics_routes.ROUTES, *sitemap.ROUTES,
        *group_routes.ROUTES,
        *component_export_routes.ROUTES,
        *data_download_routes.ROUTES,
        *open_data_routes.ROUTES,
        *scope_routes.ROUTES,
        *area_routes.ROUTES,
        *category_routes.ROUTES,
        *attachment_routes.ROUTES,
        *verification_routes.ROUTES,
        system_routes.router, *process_group_routes.ROUTES, *admin_logo.ROUTES,
    ]


@hookimpl
def register_permissions():
    return {**CORE_RULES, **comment_permissions.RULES, **moderation_permissions.RULES, **group_permissions.RULES,
            **data_download_routes.RULES,
            **attachment_permissions.RULES, **verification_permissions.RULES, **system_permissions.RULES}


@hookimpl
def register_event_types():
    return [*comment_services.EVENT_TYPES, *group_services.EVENT_TYPES, *moderation_services.EVENT_TYPES]


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
        Task(name="core.inactive_accounts", run=inactivity.inactive_accounts_task,
             schedule=crontab(minute="30", hour="4"), retries=1, retry_delay=600),
        *notification_services.TASKS,
        *newsletter_services.TASKS,
        *outbox.TASKS,
        *component_export_services.TASKS,
        *data_download_services.TASKS,
        *open_data_services.TASKS,
    ]


async def _delete_expired(ctx):
    """Expired sessions, caches and rate-limit windows in the database (Redis expires its own)."""
    if not ctx.settings.redis_url:
        await DatabaseStore(ctx.sessionmaker).delete_expired()
        await DatabaseCounters(ctx.sessionmaker).delete_expired()


@hookimpl
def menu_links(request, organization):
    return [(request.app.state.catalogs.gettext(N_("Home")), "/"),
            (request.app.state.catalogs.gettext(N_("Groups")), "/groups")]


@hookimpl
def register_authorization_handlers():
    """The census and the review of an identity document (``core.verifications``)."""
    return BUILTIN_AUTHORIZATION_HANDLERS


@hookimpl
def template_context(request):
    """``acting``: the banner of a staff member acting on behalf of someone (no query)."""
    return verification_acting.template_context(request)


@hookimpl
async def transfer_participation(session, from_user_id, to_user_id):
    """Core's one-person-one-vote rows: comment votes (follows went with the deleted account)."""
    await comment_services.transfer_votes(session, from_user_id, to_user_id)
