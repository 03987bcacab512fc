"""Settings of one Participa install.

Read once at start-up from, in rising precedence: the defaults below, an optional
TOML file (``PARTICIPA_CONFIG``, else ``<data_dir>/participa.toml`` when present)
and ``PARTICIPA_*`` environment variables. Every value is validated here, so a
bad value stops the process with a message that names it instead of failing
later on a request.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "PARTICIPA_"
LOCALES = ("ca", "es", "en")
MAX_SESSION_AGE = 365 * 24 * 3600
MAX_RETENTION_DAYS = 36_500
MAX_REPORTS_TO_HIDE = 1_000_000
MAX_PAGE_CACHE_SECONDS = 3600
MAX_PAGE_CACHE_ENTRIES = 100_000


class SettingsError(Exception):
    """One or more settings are invalid; the message lists each one."""


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Everything an install can configure. Field docs are the configuration reference."""

    data_dir: str = "var"
    """Folder for the embedded database, queue, outbox, uploads and backups."""
    database_url: str = ""
    """SQLAlchemy async URL. Empty: SQLite in the data folder. Production: postgresql+asyncpg://..."""
    redis_url: str = ""
    """Redis URL for sessions, rate limits and caches shared by several app processes."""
    queue_url: str = ""
    """Background queue: empty for SQLite in the data folder, redis://... in production."""
    queue_immediate: bool = False
    """Run background tasks at once in the calling process (tests, tiny installs)."""
    secret_key: str = ""
    """Signs sessions and CSRF tokens; must be the same on every app host. Empty: one is generated
    and kept in <data_dir>/secret_key (fine for a single host)."""
    mail_url: str = ""
    """Empty: mail is written to <data_dir>/outbox. smtp://user:pass@host:port or smtps://..."""
    mail_from: str = "Participa <no-reply@localhost>"
    """Sender of every mail the platform sends."""
    default_locale: Literal["ca", "es", "en"] = "en"
    """Language of pages that belong to no organization; each organization sets its own default."""
    theme: str = "default"
    """Name of a folder under themes/ whose templates and static files override the default theme."""
    themes_path: str = ""
    """Extra folder holding themes; empty: the themes/ folder of this checkout."""
    disabled_plugins: list[str] = []
    """Plugins installed but switched off on this install: their routes are gone, their data kept."""
    trusted_proxies: list[str] = msgspec.field(default_factory=lambda: ["127.0.0.1"])
    """Addresses whose X-Forwarded-For/-Proto headers are believed (the TLS-terminating proxy)."""
    session_max_age: int = 7200
    """Seconds of inactivity after which a session expires."""
    inactive_account_days: int = 730
    """Days without logging in after which a person is warned that their account will be deleted; 0: never."""
    inactivity_warning_days: int = 30
    """Days between that warning and the deletion, unless the person logs in meanwhile."""
    reports_to_hide: int = 3
    """Reports from different people after which a comment or other content is hidden until a moderator reviews it."""
    system_host: str = ""
    """A host name of no organization where the system area (/system) answers too; /system also answers on every organization's host."""
    backup_dir: str = ""
    """Where backups go; empty: <data_dir>/backups."""
    backup_retention_days: int = 14
    """Backup files older than this many days are deleted after each daily backup."""
    backup_hour: int = 3
    """Hour of the day (0-23, UTC) at which the worker runs the daily backup."""
    export_retention_days: int = 7
    """Days an export of a component, prepared for its admins, can be downloaded before it is deleted."""
    data_download_retention_days: int = 7
    """Days a person's download of all their data stays available before it is deleted."""
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    """Tile server of the maps (Leaflet URL template with {z}, {x}, {y}, optionally {s}); visitors' browsers fetch the tiles, never the server."""
    map_attribution: str = "© OpenStreetMap contributors"
    """Credit the tile server's terms require, shown on every map (plain text)."""
    page_cache_seconds: int = 10
    """Seconds a page is kept for visitors who are not logged in, on the pages that allow it (lists and
    pages of proposals): each app process then answers them without rendering again. A change made through
    this process shows at once; one made through another process, or by the clock, after at most this. 0: off."""
    page_cache_entries: int = 1000
    """Pages each app process keeps at most (the least recently used go first); each is one page of HTML."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Least severe log level written."""
    log_json: bool = True
    """Write logs as one JSON object per line (for log collectors); false: plain text."""
    debug: bool = False
    """Show tracebacks on error pages. Never on a public install."""

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.database_url and not (
            self.database_url.startswith("sqlite+aiosqlite://")
            or self.database_url.startswith("postgresql+asyncpg://")
        ):
            errors.append(
                "database_url: must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {self.database_url.split('://')[0]}://...)"
            )
        for name in ("redis_url",):
            value = getattr(self, name)
            if value and not value.startswith(("redis://", "rediss://")):
                errors.append(f"{name}: must start with redis:// or rediss://")
        if self.queue_url and not self.queue_url.startswith(("redis://", "rediss://")):
            errors.append("queue_url: must be empty (SQLite queue) or start with redis://")
        if self.mail_url and not self.mail_url.startswith(("smtp://", "smtps://")):
            errors.append("mail_url: must be empty (outbox folder) or start with smtp:// or smtps://")
        if self.secret_key and len(self.secret_key) < 32:
            errors.append("secret_key: must be at least 32 characters long")
        if not 0 <= self.backup_hour <= 23:
            errors.append("backup_hour: must be between 0 and 23")
        # Upper bounds too: a larger number would pass here and then overflow the date arithmetic
        # of every session write or of the daily backup's pruning, or the database's integers.
        if not 1 <= self.backup_retention_days <= MAX_RETENTION_DAYS:
            errors.append(f"backup_retention_days: must be between 1 and {MAX_RETENTION_DAYS}")
        for name in ("export_retention_days", "data_download_retention_days"):
            if not 1 <= getattr(self, name) <= MAX_RETENTION_DAYS:
                errors.append(f"{name}: must be between 1 and {MAX_RETENTION_DAYS}")
        if not 0 <= self.inactive_account_days <= MAX_RETENTION_DAYS:
            errors.append(f"inactive_account_days: must be between 0 (never) and {MAX_RETENTION_DAYS}")
        if not 1 <= self.inactivity_warning_days <= 365:
            errors.append("inactivity_warning_days: must be between 1 and 365")
        if not 60 <= self.session_max_age <= MAX_SESSION_AGE:
            errors.append(f"session_max_age: must be at least 60 seconds and at most {MAX_SESSION_AGE} "
                          "(a year)")
        if not 0 <= self.page_cache_seconds <= MAX_PAGE_CACHE_SECONDS:
            errors.append(f"page_cache_seconds: must be between 0 (off) and {MAX_PAGE_CACHE_SECONDS}")
        if not 0 <= self.page_cache_entries <= MAX_PAGE_CACHE_ENTRIES:
            errors.append(f"page_cache_entries: must be between 0 (off) and {MAX_PAGE_CACHE_ENTRIES}")
        if not 1 <= self.reports_to_hide <= MAX_REPORTS_TO_HIDE:
            errors.append(f"reports_to_hide: must be between 1 and {MAX_REPORTS_TO_HIDE}")
        if self.system_host and not re.fullmatch(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", self.system_host):
            errors.append("system_host: must be a lowercase host name without scheme, port or path "
                          "(system.participa.example)")
        # Its host goes into the Content-Security-Policy header of the maps, so nothing else may hide in it.
        if not re.fullmatch(r"https?://[a-zA-Z0-9.{}:-]+/\S*", self.map_tiles_url) or not all(
                part in self.map_tiles_url for part in ("{z}", "{x}", "{y}")):
            errors.append("map_tiles_url: must be an http(s) URL template with {z}, {x} and {y} "
                          "(https://tile.openstreetmap.org/{z}/{x}/{y}.png)")
        if self.theme != "default" and not any((root / self.theme).is_dir() for root in self._theme_roots()):
            errors.append(f"theme: no folder named {self.theme!r} in {', '.join(map(str, self._theme_roots()))}")
        if errors:
            raise SettingsError("\n".join(errors))

    # Derived values: computed, never stored twice.
    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_path / 'participa.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def map_tiles_origin(self) -> str:
        """The tile server's origin, for the maps' Content-Security-Policy ({s} subdomains as a wildcard)."""
        parts = urlsplit(self.map_tiles_url.replace("{s}", "*"))
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def outbox_path(self) -> Path:
        return self.data_path / "outbox"

    @property
    def backup_path(self) -> Path:
        return Path(self.backup_dir).expanduser().resolve() if self.backup_dir else self.data_path / "backups"

    def _theme_roots(self) -> list[Path]:
        return [Path(self.themes_path), ROOT / "themes"] if self.themes_path else [ROOT / "themes"]

    @property
    def theme_dirs(self) -> list[Path]:
        """Theme folders to search, most specific first; the default theme always last."""
        roots = self._theme_roots()
        dirs = [root / self.theme for root in roots if self.theme != "default" and (root / self.theme).is_dir()]
        dirs.append(ROOT / "themes" / "default")
        return dirs


def _fields() -> dict[str, Any]:
    return {f.name: f.type for f in msgspec.structs.fields(Settings)}


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    """Environment values are strings; lists are comma separated."""
    values: dict[str, Any] = {}
    fields = _fields()
    for name, kind in fields.items():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        if kind == "list[str]" or kind == list[str]:
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            values[name] = raw
    return values


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except OSError as exc:  # a folder, no permission...
        raise SettingsError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"config file {path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    section = data.get("participa", data)
    if not isinstance(section, dict):
        raise SettingsError(f"config file {path}: participa: must be a table ([participa]), "
                            f"got {type(section).__name__}")
    return section


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build validated settings from defaults, the TOML file, the environment and overrides."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    config = environ.get(ENV_PREFIX + "CONFIG")
    data_dir = overrides.get("data_dir") or environ.get(ENV_PREFIX + "DATA_DIR") or "var"
    config_path = Path(config) if config else Path(data_dir) / "participa.toml"
    if config or config_path.exists():
        values.update(_read_toml(config_path))
    values.update(_from_env(environ))
    values.update(overrides)
    unknown = sorted(set(values) - set(_fields()))
    if unknown:
        raise SettingsError("\n".join(f"{name}: unknown setting" for name in unknown))
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(exc)) from None
    return settings


def _explain(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's "Expected `int`, got `str` - at `$.backup_hour`" into "backup_hour: ..."."""
    message = str(exc)
    if " - at `$." in message:
        text, _, where = message.partition(" - at `$.")
        return f"{where.rstrip('`')}: {text}"
    return message


def stored_secret(data_path: Path) -> str:
    """On a laptop nobody should have to invent a secret: keep one in the data folder.

    Several app hosts must share PARTICIPA_SECRET_KEY instead (docs/operations.md).
    """
    data_path.mkdir(parents=True, exist_ok=True)
    path = data_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def reference() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for the README's configuration table."""
    rows = []
    for field in msgspec.structs.fields(Settings):
        doc = _docs().get(field.name, "")
        default = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
        rows.append((ENV_PREFIX + field.name.upper(), repr(default), doc))
    return rows


def reference_table() -> str:
    """The README's configuration table, in Markdown."""
    lines = ["| Environment variable | Default | Description |", "|---|---|---|"]
    for name, default, doc in reference():
        text = " ".join(doc.split()).replace("<", "&lt;").replace(">", "&gt;")
        lines.append(f"| `{name}` | `{default}` | {text} |")
    return "\n".join(lines)


def _docs() -> dict[str, str]:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(Settings))
    docs: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, following in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr):
            if isinstance(following.value, ast.Constant) and isinstance(following.value.value, str):
                docs[node.target.id] = following.value.value  # type: ignore[union-attr]
    return docs
