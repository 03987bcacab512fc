"""The application factory: settings and plugins in, a Litestar application out.

How a request flows (docs/architecture.md has the picture): uvicorn (forwarded
headers from trusted proxies) -> Litestar routing -> MetricsMiddleware ->
PageCacheMiddleware (pages kept for anonymous visitors, core.page_cache) ->
RequestContextMiddleware (database session, organization by host, locale) ->
session and CSRF -> the handler a plugin registered -> a template of the theme.
"""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig

from core import spaces
from core.auth import UserMiddleware
from core.db import make_engine, make_sessionmaker
from core.events import event_sessionmaker
from core.i18n import Catalogs, date_filter, date_range, datetime_filter, translated
from core.observability import MetricsMiddleware, configure_logging, security_headers
from core.page_cache import PageCache, PageCacheMiddleware
from core.permissions import permission_guard
from core.plugins import PluginError, Registry
from core.queue import Queue
from core.ratelimit import make_counters
from core.richtext import safe
from core.sessions import SessionConfig
from core.settings import ROOT, Settings, load_settings, stored_secret
from core.store import make_store, store_factory
from core.verifications.acting import ActingMiddleware
from core.verifications.permissions import AuthorizationRequired
from core.verifications.routes import authorization_required_page
from core.web import RequestContextMiddleware, error_page, provide_db, provide_organization, provide_user

CORE_LOCALE = ROOT / "core" / "locale"


def template_environment(settings: Settings, registry: Registry, catalogs: Catalogs) -> Environment:
    """Theme templates first, then the default theme, then each plugin's ``templates/`` folder.

    ``default:base.html`` (and ``<plugin>:<path>``) name the template a theme overrides,
    so an override can extend the very template it replaces.
    """
    theme_loaders = [FileSystemLoader(str(folder / "templates")) for folder in settings.theme_dirs]
    plugin_loaders = {name: FileSystemLoader(str(folder)) for name, folder in registry.folders("templates")}
    prefixed = PrefixLoader({"default": theme_loaders[-1], **plugin_loaders}, delimiter=":")
    env = Environment(
        loader=ChoiceLoader([*theme_loaders, *plugin_loaders.values(), prefixed]),
        autoescape=select_autoescape(default=True, disabled_extensions=("txt",)),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(catalogs.gettext, catalogs.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["t"] = translated
    env.filters["date"] = date_filter  # an instant gives its day in the organization's time zone
    env.filters["datetime"] = datetime_filter
    env.filters["date_range"] = date_range
    env.globals["space_types"] = registry.space_types
    env.globals["static"] = lambda path: f"/static/{path}"
    env.globals["safe_html"] = safe
    return env


def _plugin_of(handler: BaseRouteHandler, registry: Registry) -> str:
    module = getattr(handler.fn, "__module__", "") or ""
    owners = [info.name for info in registry.enabled() if module.startswith(info.module.__name__)]
    return max(owners, key=len) if owners else module


def check_permissions_declared(app: Litestar, registry: Registry) -> None:
    """Every route states who may use it (``opt={"permission": ...}``): no route is unguarded by omission."""
    for route in app.routes:
        for handler in route.route_handlers:  # type: ignore[attr-defined]
            if getattr(handler.fn, "__module__", "").startswith("litestar."):
                continue  # litestar's automatic OPTIONS answers
            if "permission" not in handler.opt:
                raise PluginError(
                    _plugin_of(handler, registry),
                    f"route {route.path} ({handler.handler_name}) does not declare opt['permission']",
                )
            if handler.opt["permission"] not in registry.permissions:
                raise PluginError(
                    _plugin_of(handler, registry),
                    f"route {route.path} declares permission {handler.opt['permission']!r}, which no plugin registers",
                )


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> Litestar:
    """Build the web application of one install."""
    settings = settings or load_settings()
    if not settings.secret_key:
        settings.secret_key = stored_secret(settings.data_path)
    registry = registry or Registry(settings)
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings.effective_database_url)
    catalogs = Catalogs([CORE_LOCALE] + [folder for _, folder in registry.folders("locale")])
    queue = Queue(settings, registry)
    sessionmaker = event_sessionmaker(engine, registry, queue)  # its sessions can publish events
    # Sessions and rate-limit counters kept in the database take their connections from a pool of their
    # own: a request holds a connection of the main pool while it briefly needs one of these, and if
    # both came from one pool, enough simultaneous requests would each wait for a connection that only
    # another waiting request could give back.
    side_engine = make_engine(settings.effective_database_url, watch_writes=False)  # no page shows these rows
    side_sessionmaker = make_sessionmaker(side_engine)
    store = make_store(settings, side_sessionmaker)

    route_handlers: list[Any] = [handler for _, handler in registry.routes]
    route_handlers += spaces.routers(registry)
    static_dirs = [folder / "static" for folder in settings.theme_dirs]
    static_dirs += [folder for _, folder in registry.folders("static")]
    route_handlers.append(
        create_static_files_router(
            path="/static", directories=static_dirs, opt={"permission": "public", "no_request_context": True, "skip_session": True, "exclude_from_csrf": True},
            include_in_schema=False,
        )
    )
    session_config = SessionConfig(
        store="sessions", max_age=settings.session_max_age, httponly=True, samesite="lax", renew_on_access=True,
    )
    app = Litestar(
        route_handlers=route_handlers,
        middleware=[MetricsMiddleware(), PageCacheMiddleware(), RequestContextMiddleware(), session_config.middleware, UserMiddleware(),
                    ActingMiddleware()],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "organization": Provide(provide_organization, sync_to_thread=False),
            "user": Provide(provide_user, sync_to_thread=False),
        },
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(template_environment(settings, registry, catalogs))
        ),
        csrf_config=CSRFConfig(secret=settings.secret_key, cookie_httponly=True, cookie_samesite="lax"),
        stores=StoreRegistry(default_factory=store_factory(store)),
        exception_handlers={HTTPException: error_page, Exception: error_page,
                            AuthorizationRequired: authorization_required_page},
        guards=[permission_guard],
        before_send=[security_headers],
        on_shutdown=[engine.dispose, side_engine.dispose],
        state=State(
            {
                "settings": settings, "registry": registry, "engine": engine, "sessionmaker": sessionmaker,
                "catalogs": catalogs, "queue": queue, "counters": make_counters(settings, side_sessionmaker),
                "store": store, "page_cache": PageCache(
                    settings.page_cache_seconds, settings.page_cache_entries, session_config.key),
            }
        ),
        debug=settings.debug,
        openapi_config=None,
        logging_config=None,  # core.observability.configure_logging owns the handlers
    )
    check_permissions_declared(app, registry)
    return app


def app_from_environment() -> Litestar:
    """Entry point for ``uvicorn --factory``: settings from the environment of the process."""
    return create_app()


__all__ = ["app_from_environment", "create_app", "template_environment"]
