"""The ``participa`` command line: serve, worker, database, plugins, demo, backups."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import click
import tomlkit

from core.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings:\n{exc}") from None


def _registry(settings: Settings):
    from core.plugins import PluginError, Registry

    try:
        return Registry(settings)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None


class ParticipaCLI(click.Group):
    """Plugins add commands through the ``register_commands`` hook."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        return super().get_command(ctx, name)

    def _load_plugin_commands(self) -> None:
        if getattr(self, "_plugins_loaded", False):
            return
        self._plugins_loaded = True
        try:
            registry = _registry(load_settings())
        except (SettingsError, click.ClickException):
            return  # the failing command itself will report the problem
        registry.hook.register_commands(cli=self)


@click.group(cls=ParticipaCLI)
def main() -> None:
    """Participa: citizen participation for many municipalities on one install."""


# ---------------------------------------------------------------- serving


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="App processes.")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Run the web application (uvicorn) with several worker processes."""
    import uvicorn

    settings = _settings()
    _registry(settings)  # fail here, with the plugin's name, before forking workers
    if workers > 1:
        metrics_dir = settings.data_path / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        "core.app:app_from_environment", factory=True, host=host, port=port, workers=workers, reload=reload,
        proxy_headers=True, forwarded_allow_ips=",".join(settings.trusted_proxies), access_log=False,
        log_config=None,
    )


@main.command()
@click.option("--workers", default=2, show_default=True, type=int, help="Worker threads.")
@click.option("--no-scheduler", is_flag=True,
              help="Do not run periodic tasks here (run the scheduler on exactly one worker host).")
def worker(workers: int, no_scheduler: bool) -> None:
    """Run the background worker (mail, exports, backups and other periodic tasks)."""
    from huey.consumer import Consumer

    from core.observability import configure_logging
    from core.queue import Queue

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    queue = Queue(settings, _registry(settings))
    Consumer(
        queue.huey, workers=workers, worker_type="thread", periodic=not no_scheduler, check_worker_health=True
    ).run()


# ---------------------------------------------------------------- database


@main.group()
def db() -> None:
    """Database migrations of core and the enabled plugins."""


def _run_with_engine(settings: Settings, func):
    from core.db import make_engine

    async def run():
        engine = make_engine(settings.effective_database_url)
        try:
            return await func(engine)
        finally:
            await engine.dispose()

    if settings.is_sqlite:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run())


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring core and every enabled plugin to its newest migration."""
    from core import migrations

    settings = _settings()
    registry = _registry(settings)
    for branch in migrations.branches(registry):
        click.echo(f"upgrading {branch} ...")
        _run_with_engine(settings, lambda engine, b=branch: migrations.upgrade(engine, registry, [f"{b}@head"]))
    click.echo("database is at head")


@db.command("downgrade")
@click.argument("target")
def db_downgrade(target: str) -> None:
    """Go back to TARGET: a revision, 'PLUGIN@base' to remove a plugin's tables, or 'base'."""
    from core import migrations

    settings = _settings()
    registry = _registry(settings)
    _run_with_engine(settings, lambda engine: migrations.downgrade(engine, registry, target))
    click.echo(f"downgraded to {target}")


@db.command("current")
def db_current() -> None:
    """Show the applied revision of each branch and whether it is the newest."""
    from core import migrations

    settings = _settings()
    registry = _registry(settings)
    applied = _run_with_engine(settings, migrations.current)
    expected = migrations.expected_heads(registry)
    for revision in sorted(applied):
        click.echo(f"{revision} {'(head)' if revision in expected else ''}")
    missing = migrations.pending(registry, applied)
    if missing:
        click.echo(f"pending: {', '.join(sorted(missing))} (run `participa db upgrade`)")
        sys.exit(1)


@db.command("revision")
@click.option("--plugin", required=True, help="Branch to add the revision to: core or a plugin name.")
@click.option("-m", "--message", required=True)
def db_revision(plugin: str, message: str) -> None:
    """Autogenerate a migration for one plugin's tables (developers)."""
    from core import migrations

    settings = _settings()
    registry = _registry(settings)
    if plugin not in registry.migration_locations():
        raise click.ClickException(f"{plugin!r} has no migrations folder (register_migrations hook)")
    script = migrations.revision(registry, plugin, message, settings.effective_database_url)
    click.echo(f"wrote {script.path}")


# ---------------------------------------------------------------- organizations


@main.group()
def org() -> None:
    """Organizations (municipalities) served by this install."""


@org.command("create")
@click.option("--slug", required=True, help="Short identifier: lowercase letters, digits and -.")
@click.option("--name", "names", multiple=True, required=True, metavar="LOCALE=NAME",
              help="The organization's name in one language; repeat for each (ca=Ajuntament de Vilanova).")
@click.option("--host", "hosts", multiple=True, required=True, help="Host name; repeat for more; the first is the main one.")
@click.option("--locales", default="ca,es,en", show_default=True, help="Languages offered, comma separated.")
@click.option("--default-locale", default="ca", show_default=True)
@click.option("--minimum-age", default=14, show_default=True, type=int, help="Nobody younger may register.")
@click.option("--time-zone", default="Europe/Madrid", show_default=True,
              help="IANA name of the zone dates and times are shown and typed in (Atlantic/Canary).")
@click.option("--admin-email", required=True, help="The first administrator, who gets an invitation by mail.")
@click.option("--admin-name", default="", help="How to greet the first administrator.")
@click.option("--url-scheme", type=click.Choice(["https", "http"]), default="https", show_default=True,
              help="Scheme of the invitation link.")
def org_create(slug: str, names: tuple[str, ...], hosts: tuple[str, ...], locales: str, default_locale: str,
               minimum_age: int, time_zone: str, admin_email: str, admin_name: str, url_scheme: str) -> None:
    """Create an organization and invite its first administrator."""
    from core.accounts.mails import render_mail
    from core.accounts.schemas import EMAIL_PATTERN
    from core.app import create_app
    from core.db import make_sessionmaker
    from core.i18n import N_, canonical_time_zone
    from core.organizations import OrganizationError
    from core.system.services import found_organization

    name = {}
    for item in names:
        locale, separator, text = item.partition("=")
        if not separator or not text.strip():
            raise click.BadParameter(f"{item!r} is not LOCALE=NAME", param_hint="--name")
        name[locale.strip()] = text.strip()
    if not re.match(EMAIL_PATTERN, admin_email):
        raise click.BadParameter(f"{admin_email!r} is not an e-mail address", param_hint="--admin-email")
    zone = canonical_time_zone(time_zone)
    if zone is None:
        raise click.BadParameter(f"{time_zone!r} is not a time zone: give an IANA name such as Europe/Madrid or "
                                 "Atlantic/Canary", param_hint="--time-zone")
    settings = _settings()
    app = create_app(settings, _registry(settings))  # templates and catalogs for the invitation

    async def run(engine):
        async with make_sessionmaker(engine).begin() as session:
            # The same service as /system's "New organization" (core.system.services).
            founded = await found_organization(
                session, slug=slug, name=name, hosts=list(hosts), minimum_age=minimum_age,
                locales=[part.strip() for part in locales.split(",") if part.strip()], default_locale=default_locale,
                admin_email=admin_email, admin_name=admin_name, time_zone=zone,
            )
            organization, user, token = founded.organization, founded.admin, founded.token
        subject, text = render_mail(app, organization, user, "invitation", N_("You are invited"),
                                    f"{url_scheme}://{hosts[0].lower()}", token=token)
        await app.state.queue.run_now("core.send_mail", to=user.email, subject=subject, text=text)
        return organization

    try:
        organization = _run_with_engine(settings, run)
    except OrganizationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {organization.slug} at {url_scheme}://{hosts[0].lower()}/; "
               f"invitation sent to {admin_email}")


@org.command("list")
def org_list() -> None:
    """Every organization with its host names (the main one first)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from core.db import make_sessionmaker
    from core.i18n import translated
    from core.models import Organization

    async def run(engine):
        async with make_sessionmaker(engine)() as session:
            return (await session.scalars(
                select(Organization).options(selectinload(Organization.hosts)).order_by(Organization.slug)
            )).all()

    for organization in _run_with_engine(_settings(), run):
        hosts = sorted(organization.hosts, key=lambda h: (not h.is_main, h.host))
        click.echo(f"{organization.slug:<24} {translated(organization.name, organization.default_locale):<40} "
                   f"{' '.join(h.host for h in hosts)}")


# ---------------------------------------------------------------- the system area


@main.group()
def system() -> None:
    """The administrators of this install, who log in at /system."""


@system.group("admin")
def system_admin() -> None:
    """System administrators."""


@system_admin.command("create")
@click.option("--email", required=True, help="Their e-mail, with which they log in at /system.")
@click.option("--name", default="", help="How the system log names them (default: the start of the e-mail).")
def system_admin_create(email: str, name: str) -> None:
    """Create a system administrator; the password is asked twice, or read from PARTICIPA_SYSTEM_ADMIN_PASSWORD."""
    from core.db import make_sessionmaker
    from core.system.services import SystemAreaError, create_admin

    password = os.environ.get("PARTICIPA_SYSTEM_ADMIN_PASSWORD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def run(engine):
        async with make_sessionmaker(engine).begin() as session:
            return await create_admin(session, email, name, password)

    try:
        admin = _run_with_engine(_settings(), run)
    except SystemAreaError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created the system administrator {admin.email}; they log in at /system/login")


# ---------------------------------------------------------------- search


@main.group("search")
def search_group() -> None:
    """The search index."""


@search_group.command("rebuild")
@click.option("--org", "slug", default=None, help="Only this organization (its slug); all by default.")
def search_rebuild(slug: str | None) -> None:
    """Index again everything public (after an upgrade, or after enabling a plugin)."""
    from sqlalchemy import select

    from core.db import make_sessionmaker
    from core.models import Organization
    from core.search.services import rebuild

    registry = _registry(_settings())

    async def run(engine):
        done = []
        async with make_sessionmaker(engine).begin() as session:
            statement = select(Organization).order_by(Organization.slug)
            if slug is not None:
                statement = statement.where(Organization.slug == slug)
            for organization in (await session.scalars(statement)).all():
                done.append((organization.slug, await rebuild(session, registry, organization)))
        return done

    done = _run_with_engine(_settings(), run)
    if slug is not None and not done:
        raise click.ClickException(f"no organization with the slug {slug!r}")
    for organization_slug, count in done:
        click.echo(f"{organization_slug}: {count} things indexed")


# ---------------------------------------------------------------- plugins


@main.group()
def plugins() -> None:
    """List, enable and disable plugins on this install."""


@plugins.command("list")
def plugins_list() -> None:
    """Every installed plugin, whether it is enabled, and what it provides."""
    settings = _settings()
    registry = _registry(settings)
    for info in registry.plugins.values():
        provides = [name for name, plugin in registry.component_type_plugin.items() if plugin == info.name]
        state = "enabled " if info.enabled else "disabled"
        origin = "built-in" if info.builtin else "installed"
        extra = f"  component types: {', '.join(provides)}" if provides else ""
        click.echo(f"{info.name:<20} {state} {origin}{extra}")


def _config_path(settings: Settings) -> Path:
    return Path(os.environ.get("PARTICIPA_CONFIG") or settings.data_path / "participa.toml")


def _set_disabled(settings: Settings, name: str, disabled: bool) -> None:
    registry = _registry(settings)
    if name not in registry.plugins:
        raise click.ClickException(f"no plugin named {name!r} is installed (see `participa plugins list`)")
    if name == "core":
        raise click.ClickException("core cannot be disabled")
    if "PARTICIPA_DISABLED_PLUGINS" in os.environ:
        raise click.ClickException("PARTICIPA_DISABLED_PLUGINS is set in the environment; change it there")
    path = _config_path(settings)
    document = tomlkit.parse(path.read_text()) if path.exists() else tomlkit.document()
    table = document["participa"] if "participa" in document else document  # same rule as load_settings
    current = [plugin for plugin in table.get("disabled_plugins", []) if plugin != name]
    table["disabled_plugins"] = current + [name] if disabled else current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(document))  # tomlkit keeps the operator's comments and layout
    click.echo(f"{name} {'disabled' if disabled else 'enabled'} in {path}; restart the app processes to apply it")


@plugins.command("enable")
@click.argument("name")
def plugins_enable(name: str) -> None:
    """Switch a plugin on (then run `participa db upgrade` and restart)."""
    _set_disabled(_settings(), name, False)


@plugins.command("disable")
@click.argument("name")
def plugins_disable(name: str) -> None:
    """Switch a plugin off: its routes disappear, its data stays."""
    _set_disabled(_settings(), name, True)


# ---------------------------------------------------------------- demo and backups


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only create the demo content.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create the database and a demo organization in ca/es/en, then serve it."""
    from core import migrations
    from core.db import make_sessionmaker
    from core.demo import create_demo
    from core.queue import Queue

    settings = _settings()
    registry = _registry(settings)

    async def run(engine):
        for branch in migrations.branches(registry):
            click.echo(f"[1/2] migrating {branch} ...")
            await migrations.upgrade(engine, registry, [f"{branch}@head"])
        click.echo("[2/2] writing demo content ...")
        async with make_sessionmaker(engine).begin() as session:
            organization = await create_demo(session, registry)
        # So that the demo's /open-data offers its file at once, not after the worker's first night.
        await Queue(settings, registry).run_now("core.build_open_data", organization_id=organization.id)

    _run_with_engine(settings, run)
    if no_serve:
        return
    from core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo(f"Participa demo: open http://localhost:{port}/ in a browser (Ctrl+C stops it)")
    for email, _nickname, name, role in DEMO_ACCOUNTS:
        click.echo(f"  log in as {email} / {DEMO_PASSWORD}  ({name}{', ' + role if role else ''})")
    os.environ.setdefault("PARTICIPA_LOG_JSON", "false")  # a person reads these logs, not a collector
    click.get_current_context().invoke(serve, host=host, port=port, workers=1, reload=False)


@main.command()
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), help="Folder for the backup.")
def backup(target: Path | None) -> None:
    """Back up the database now (the worker also does it daily); recorded like the daily ones."""
    from core.backup import BackupError
    from core.queue import Queue

    settings = _settings()
    queue = Queue(settings, _registry(settings))
    try:
        path = asyncio.run(queue.run_now("core.backup", target_dir=str(target) if target else None))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)


@main.command()
@click.option("--limit", default=10, show_default=True, type=int)
def backups(limit: int) -> None:
    """The latest backup runs, newest first, and when the last good one finished."""
    from sqlalchemy import select

    from core.db import make_sessionmaker
    from core.models import Backup

    settings = _settings()

    async def run(engine):
        async with make_sessionmaker(engine)() as session:
            return (await session.scalars(select(Backup).order_by(Backup.started_at.desc()).limit(limit))).all()

    runs = _run_with_engine(settings, run)
    good = [r for r in runs if r.succeeded]
    click.echo(f"last successful backup: {good[0].finished_at:%Y-%m-%d %H:%M UTC} {good[0].path}" if good
               else "no successful backup among the latest runs")
    for r in runs:
        outcome = f"ok  {r.size_bytes or 0:>12,} bytes  {r.path}" if r.succeeded else f"FAILED  {r.error}"
        click.echo(f"{r.started_at:%Y-%m-%d %H:%M}  {outcome}")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(source: Path, yes: bool) -> None:
    """Replace the database with SOURCE, and the uploads from the .uploads.tar beside it.

    Stop app processes and workers first.
    """
    from core.backup import BackupError, restore_backup

    if not yes:
        click.confirm(f"Replace the current database with {source}?", abort=True)
    try:
        restore_backup(_settings(), source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("restored; run `participa db upgrade` if the backup is older than this version")


# ---------------------------------------------------------------- translations (developers)


@main.group()
def i18n() -> None:
    """Message catalogs of core and the plugins (ca, es, en)."""


def i18n_sources(registry, name: str) -> tuple[list[Path], Path]:
    """(folders to scan, locale folder) of core or a plugin."""
    from core.settings import ROOT

    if name == "core":
        return [ROOT / "core", ROOT / "themes" / "default"], ROOT / "core" / "locale"
    info = registry.plugins[name]
    return [info.path], info.path / "locale"


@i18n.command("update")
@click.argument("name")
def i18n_update(name: str) -> None:
    """Extract NAME's messages (core or a plugin) and update its ca/es/en catalogs."""
    from core.i18n import update_catalogs

    registry = _registry(_settings())
    if name != "core" and name not in registry.plugins:
        raise click.ClickException(f"no plugin named {name!r}")
    sources, locale_dir = i18n_sources(registry, name)
    for locale, count in update_catalogs(sources, locale_dir).items():
        click.echo(f"{locale}: {count} untranslated" if count else f"{locale}: complete")
