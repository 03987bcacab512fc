"""The plugin manager: loads built-in and installed plugins and collects what they register.

Built-in features are plugins listed in DEFAULT_PLUGINS and registered exactly like
third-party packages, which come through the ``participa`` entry-point group.
Everything a plugin registers is checked here; a problem stops start-up with a
PluginError that names the plugin.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from core import adminlog, hookspecs
from core.manifest import ComponentManifest, EventType, ManifestError, PluginInfo, SpaceType, Task
from core.settings import Settings
from core.verifications.handlers import AuthorizationHandler

DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "core.builtin"),
    ("pages", "plugins.pages"),
    ("proposals", "plugins.proposals"),
)
ENTRY_POINT_GROUP = "participa"


class PluginError(Exception):
    """A plugin cannot be loaded or registered something invalid."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


def _discover() -> list[tuple[str, Any, bool]]:
    found: list[tuple[str, Any, bool]] = []
    for name, module_name in DEFAULT_PLUGINS:
        found.append((name, importlib.import_module(module_name), True))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party package must say who it is
            raise PluginError(ep.name, f"cannot be imported: {exc!r}") from exc
        found.append((ep.name, module, False))
    return found


class Registry:
    """What the enabled plugins registered, collected once at start-up."""

    def __init__(self, settings: Settings, extra: list[tuple[str, Any]] | None = None) -> None:
        self.settings = settings
        self.manager = pluggy.PluginManager("participa")
        self.manager.add_hookspecs(hookspecs)
        discovered = _discover() + [(name, module, False) for name, module in (extra or [])]
        self.plugins: dict[str, PluginInfo] = {}
        for name, module, builtin in discovered:
            if name in self.plugins:
                raise PluginError(name, "two plugins are registered under this name")
            enabled = name == "core" or name not in settings.disabled_plugins
            self.plugins[name] = PluginInfo(name=name, module=module, builtin=builtin, enabled=enabled)
            if enabled:
                try:
                    self.manager.register(module, name=name)
                except (ValueError, pluggy.PluginValidationError) as exc:
                    raise PluginError(name, str(exc)) from exc
        unknown = sorted(set(settings.disabled_plugins) - set(self.plugins))
        if unknown:
            raise PluginError(unknown[0], "is listed in disabled_plugins but is not installed")
        self._check_hook_names()

        self.component_types: dict[str, ComponentManifest] = {}
        self.component_type_plugin: dict[str, str] = {}
        for plugin, manifest in self._collect("register_component_types", ComponentManifest):
            self._unique(self.component_types, manifest.name, plugin, "component type")
            self.component_types[manifest.name] = manifest
            self.component_type_plugin[manifest.name] = plugin
        self.space_types: dict[str, SpaceType] = {}
        for plugin, space_type in self._collect("register_space_types", SpaceType):
            self._unique(self.space_types, space_type.name, plugin, "space type")
            prefixes = {s.url_prefix for s in self.space_types.values()}
            if space_type.url_prefix in prefixes:
                raise PluginError(plugin, f"space type url_prefix {space_type.url_prefix!r} is already taken")
            self.space_types[space_type.name] = space_type
        self.event_types: dict[str, EventType] = {}
        event_sources = list(self._collect("register_event_types", EventType))
        for name, manifest in self.component_types.items():
            event_sources += [(self.component_type_plugin[name], event) for event in manifest.event_types]
        for plugin, event_type in event_sources:
            self._unique(self.event_types, event_type.name, plugin, "event type")
            self.event_types[event_type.name] = event_type
        self.admin_actions: dict[str, str] = dict(adminlog.ACTIONS)
        for manifest in self.component_types.values():
            self.admin_actions.update(manifest.admin_actions)
        adminlog.declare(self.admin_actions)
        self.tasks: dict[str, Task] = {}
        for plugin, task in self._collect("register_tasks", Task):
            self._unique(self.tasks, task.name, plugin, "task")
            self.tasks[task.name] = task
        self.routes: list[tuple[str, Any]] = list(self._collect("register_routes", None))
        self.authorization_handlers: dict[str, AuthorizationHandler] = {}
        for plugin, handler in self._collect("register_authorization_handlers", AuthorizationHandler):
            self._unique(self.authorization_handlers, handler.name, plugin, "authorization handler")
            self.authorization_handlers[handler.name] = handler
        self.permissions: dict[str, Any] = {}
        for impl in self.manager.hook.register_permissions.get_hookimpls():
            for action, rule in (impl.function() or {}).items():
                self._unique(self.permissions, action, impl.plugin_name, "permission action")
                if not callable(getattr(rule, "check", None)):
                    raise PluginError(impl.plugin_name, f"permission {action!r} is not a core.permissions.Rule")
                self.permissions[action] = rule

    # ---------------------------------------------------------------- helpers

    def _check_hook_names(self) -> None:
        """A misspelled hook implementation would otherwise be silently ignored."""
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(self.manager.get_name(exc.plugin) or "?", str(exc)) from exc

    def _unique(self, seen: dict[str, Any], name: str, plugin: str, kind: str) -> None:
        if name in seen:
            raise PluginError(plugin, f"{kind} {name!r} is already registered")

    def _collect(self, hook_name: str, kind: type | None) -> Iterator[tuple[str, Any]]:
        """Call each implementation on its own, so every item is attributed to its plugin."""
        hook = getattr(self.manager.hook, hook_name)
        available = {"settings": self.settings}
        for impl in hook.get_hookimpls():  # registration order: built-in plugins first
            kwargs = {arg: available[arg] for arg in impl.argnames}
            try:
                items = impl.function(**kwargs) or []
            except ManifestError as exc:
                raise PluginError(impl.plugin_name, f"invalid manifest: {exc}") from exc
            for item in items:
                if kind is not None and not isinstance(item, kind):
                    raise PluginError(impl.plugin_name, f"{hook_name} returned {item!r}, not a {kind.__name__}")
                yield impl.plugin_name, item

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook's implementations in registration order (core first), skipping None results.

        pluggy calls the newest plugin first; for menus and page additions the reading
        order should be core's, then built-in plugins', then installed ones'.
        """
        results = []
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            if result is not None:
                results.append(result)
        return results

    def enabled(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.enabled]

    def folders(self, name: str) -> list[tuple[str, Path]]:
        """(plugin, folder) for each enabled plugin that ships this conventional folder."""
        return [
            (info.name, info.path / name) for info in self.enabled()
            if info.path is not None and (info.path / name).is_dir()
        ]

    def migration_locations(self, include_disabled: bool = True) -> dict[str, Path]:
        """Every installed plugin's migration folder: history must resolve even for disabled ones."""
        locations: dict[str, Path] = {}
        for info in self.plugins.values():
            if not include_disabled and not info.enabled:
                continue
            func = getattr(info.module, "register_migrations", None)
            if func is not None:
                locations[info.name] = Path(func())
        return locations
