"""What a plugin declares: component types, space types, event types and tasks.

Manifests are typed msgspec Structs, checked when they are built and again when the
plugin manager collects them, so a broken plugin stops start-up with its name in
the message instead of failing on the first request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
URL_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


class ManifestError(ValueError):
    """A manifest is invalid; the message says which field and why."""


class EmptySettings(msgspec.Struct, kw_only=True):
    """For component types that have nothing to configure."""


def _check_name(kind: str, name: str) -> None:
    if not NAME.match(name):
        raise ManifestError(f"{kind} name {name!r} must be lowercase letters, digits and _ (2-63 chars)")


def _check_settings(kind: str, schema: Any) -> None:
    if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
        raise ManifestError(f"{kind} must be a msgspec.Struct class, got {schema!r}")
    try:
        schema()
    except TypeError as exc:
        raise ManifestError(f"{kind} {schema.__name__}: every field needs a default ({exc})") from None


class EventType(msgspec.Struct, kw_only=True, frozen=True):
    """Something that happens and that people may be notified of ("proposal.answered")."""

    name: str
    title: str
    """Untranslated message id shown in notification preferences and as the subject of its mail."""
    message: str = ""
    """Untranslated text of its notifications, with placeholders: ``%(actor)s`` (who acted),
    ``%(resource)s`` (the resource's title) and the keys of the event's data. Empty: the title."""
    public: bool = False
    """Shown in public activity (the organization's, a space's and the actor's profile, core/activity) while
    what it is about stays visible; its ``message`` must then read well for anybody ("commented on"), not
    only for the person told ("replied to your comment")."""
    followers: bool = True
    """Whether the followers of what it is about (and of its space) are told. False for a notice meant for
    the people the publisher names alone (``recipients``): content of yours hidden by moderation."""
    author_followers: bool = False
    """Whether the followers of the person who acted (``actor_id``) are told too: a person's own public
    contributions (a proposal published, a comment). Only for a ``public`` type, and only while what it is
    about may be seen (core/notifications/services.py says by whom)."""

    def __post_init__(self) -> None:
        if not re.match(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", self.name):
            raise ManifestError(f"event type name {self.name!r} must look like 'plugin.something_happened'")
        if self.author_followers and not self.public:
            raise ManifestError(f"event type {self.name!r}: only a public event type tells the actor's followers")


class Export(msgspec.Struct, kw_only=True, frozen=True):
    """A per-component export: ``rows(session, component)`` is an async iterator of dicts, one per item.

    Values may be text, numbers, booleans, None or translated texts (dicts of language to text);
    core writes them as JSON and as CSV (a column per language), in the ``core.export_component`` task.
    """

    name: str
    rows: Callable[..., Any]
    public: bool = False
    """Whether it goes into the organization's open data (``core.open_data``): then its rows must hold only
    what anybody may see on the site (published, not hidden by moderation: ``not_hidden``) and no personal
    data (no e-mail; a name only where the site shows it). Admins' exports of a component hold every export."""

    def __post_init__(self) -> None:
        _check_name("export", self.name)


class SearchDocument(msgspec.Struct, kw_only=True, frozen=True):
    """One public, searchable thing of a component, in each of its languages."""

    resource_type: str
    """``<component type>.<thing>``, e.g. "pages.page"."""
    resource_id: int
    path: str
    """Its address below the component's own ("/12"; "" for the component itself)."""
    title: dict[str, str]
    text: dict[str, str]
    """Plain text, no markup."""
    parent: tuple[str, int] | None = None
    """The resource this one belongs to (a comment's proposal): hidden with it."""
    published_at: datetime | None = None
    """For the search's date filter and order."""
    scope_id: int | None = None
    """Its scope (``core.scopes``: a district, a theme), for the search's scope filter; without one, the
    scope of its space applies."""


class Statistic(msgspec.Struct, kw_only=True, frozen=True):
    """A number shown on space and organization pages: ``count(session, component_ids)``."""

    name: str
    title: str
    count: Callable[..., Any]


class ResourceInfo(msgspec.Struct, kw_only=True, frozen=True):
    """What ``Commentable.load`` tells core about one resource of a component."""

    title: dict[str, str] | str
    """Per language, or one text for every language."""
    path: str
    """Its address below the component's own ("/12"), where its comment thread is shown."""
    visible: bool = True
    """False for something nobody but its author or an admin may see (a draft, a withdrawn proposal)."""
    author_id: int | None = None
    """Who wrote it, so the moderation page can offer to block them; None for the organization's own texts."""


class Commentable(msgspec.Struct, kw_only=True, frozen=True):
    """A kind of resource of a component that people comment on (and report): ``"pages.page"``.

    ``load(session, component, resource_id)`` returns a ``ResourceInfo``, or None when the id is no
    resource of this kind in that component; core calls it before accepting a comment or a report.
    """

    resource_type: str
    """``<component type>.<thing>``."""
    load: Callable[..., Any]
    reportable: bool = True
    """Whether people may report it to the space's moderators (its comments are reportable anyway)."""


class Attachable(msgspec.Struct, kw_only=True, frozen=True):
    """A kind of resource of a component that takes attachments (documents and a gallery of images).

    ``load`` is the same function as ``Commentable.load``: a ``ResourceInfo``, or None when the id is
    no resource of this kind in that component. Core serves a resource's files only to who may see it
    (``visible``, or its author and the space's admins when it is not). ``author_may_attach(session,
    registry, component, resource_id, user)`` says whether its author may add and remove files now (a
    draft, an edit window); None means only the space's admins manage its files. The component's
    settings may override the limits with fields named ``attachments_max_files`` (0: authors attach
    nothing) and ``attachments_max_megabytes``.
    """

    resource_type: str
    """``<component type>.<thing>``."""
    load: Callable[..., Any]
    author_may_attach: Callable[..., Any] | None = None
    max_files: int = 5
    """How many files one resource may have, unless the component's settings say otherwise."""
    max_megabytes: int = 10
    """The largest file, unless the component's settings say otherwise (never above core.uploads' limit)."""


class ComponentManifest(msgspec.Struct, kw_only=True, frozen=True):
    """A participation tool that an admin can switch on in a space.

    ``public_routes`` are litestar route handlers (or controllers); core mounts them under
    ``/<space prefix>/<space slug>/<name>/<component id>`` and injects the checked
    ``component`` (``CurrentComponent``, with ``component.space`` loaded) into them.
    """

    name: str
    title: str
    description: str = ""
    settings: type[msgspec.Struct] = EmptySettings
    phase_settings: type[msgspec.Struct] = EmptySettings
    actions: tuple[str, ...] = ()
    """Verbs that permissions gate and phases switch on ("create", "support"...)."""
    public_routes: Sequence[Any] = ()
    event_types: tuple[EventType, ...] = ()
    exports: tuple[Export, ...] = ()
    statistics: tuple[Statistic, ...] = ()
    search: Callable[..., Any] | None = None
    """``search(session, component)``: an async iterator of the SearchDocuments of all its public content,
    for ``participa search rebuild``; the plugin keeps the index current itself with
    ``core.search.index``/``remove`` when a resource changes."""
    seed: Callable[..., Any] | None = None
    """``await seed(session, component, locales)`` writes realistic demo content."""
    participation: Callable[..., Any] | None = None
    """``await participation(session, component)``: how many things people contributed (proposals,
    votes...). A component with participation is archived instead of deleted, so nothing is lost."""
    participants: Callable[..., Any] | None = None
    """``participants(component_ids)``: a SELECT of the ids of the people who took part (authors,
    supporters...) in the components whose ids the SELECT ``component_ids`` gives, used as a subquery
    (newsletters to a space's participants). Core adds who commented."""
    participants_in_scopes: Callable[..., Any] | None = None
    """``participants_in_scopes(scope_ids)``: a SELECT of the ids of the people who took part with things of
    the scopes whose ids the SELECT ``scope_ids`` gives (authors and supporters of proposals about a
    district, in a city-wide space too), used as a subquery (newsletters by scope)."""
    commentable: tuple[Commentable, ...] = ()
    """Its resources that take comments and reports (core.comments, core.moderation)."""
    attachable: tuple[Attachable, ...] = ()
    """Its resources that take attachments and galleries (core.attachments)."""
    admin_actions: dict[str, str] = msgspec.field(default_factory=dict)
    """What its admins do that the admin log records (``core.adminlog.record``), each action with the
    untranslated line the log shows: ``{"proposals.answer": N_("answered the proposal %(target)s")}``.
    Each action starts with the component type's name."""

    def __post_init__(self) -> None:
        _check_name("component type", self.name)
        _check_settings(f"component type {self.name!r}: settings", self.settings)
        _check_settings(f"component type {self.name!r}: phase_settings", self.phase_settings)
        for action in self.actions:
            _check_name(f"component type {self.name!r}: action", action)
        if len(set(self.actions)) != len(self.actions):
            raise ManifestError(f"component type {self.name!r}: an action is declared twice")
        kinds = [item.resource_type for item in self.commentable]
        for kind in kinds:
            if not re.match(rf"^{self.name}\.[a-z][a-z0-9_]*$", kind):
                raise ManifestError(f"component type {self.name!r}: commentable {kind!r} must look like "
                                    f"'{self.name}.thing'")
        if len(set(kinds)) != len(kinds):
            raise ManifestError(f"component type {self.name!r}: a commentable resource type is declared twice")
        attachable = [item.resource_type for item in self.attachable]
        for kind in attachable:
            if not re.match(rf"^{self.name}\.[a-z][a-z0-9_]*$", kind):
                raise ManifestError(f"component type {self.name!r}: attachable {kind!r} must look like "
                                    f"'{self.name}.thing'")
        if len(set(attachable)) != len(attachable):
            raise ManifestError(f"component type {self.name!r}: an attachable resource type is declared twice")
        for action in self.admin_actions:
            if not re.match(rf"^{self.name}\.[a-z][a-z0-9_]*$", action):
                raise ManifestError(f"component type {self.name!r}: admin action {action!r} must look like "
                                    f"'{self.name}.verb'")

    def default_settings(self) -> dict[str, Any]:
        return msgspec.to_builtins(self.settings())

    def default_phase_settings(self) -> dict[str, Any]:
        return msgspec.to_builtins(self.phase_settings())


class SpaceType(msgspec.Struct, kw_only=True, frozen=True):
    """A kind of space ("process", "assembly", "initiative") and where its pages live."""

    name: str
    title: str
    url_prefix: str
    """First segment of the space's URLs: ``/processes/<slug>``."""
    phases: bool = False
    """Whether spaces of this type go through phases (a process does; an assembly is standing)."""
    details: type[msgspec.Struct] = EmptySettings
    """What only spaces of this type have (an assembly's purpose, composition...): the admin's form is
    generated from it and the values are stored in ``Space.details``."""
    members: bool = False
    """Whether spaces of this type have members (an assembly does); members see it while it is private."""
    routes: Sequence[Any] = ()

    def __post_init__(self) -> None:
        _check_name("space type", self.name)
        _check_settings(f"space type {self.name!r}: details", self.details)
        if not URL_PREFIX.match(self.url_prefix):
            raise ManifestError(f"space type {self.name!r}: url_prefix {self.url_prefix!r} is not a URL segment")


class Task(msgspec.Struct, kw_only=True, frozen=True):
    """A background task; ``schedule`` (a huey crontab) makes it periodic."""

    name: str
    run: Callable[..., Any]
    schedule: Callable[..., Any] | None = None
    retries: int = 3
    retry_delay: int = 30

    def __post_init__(self) -> None:
        _check_name("task", self.name.replace(".", "_"))


class PluginInfo(msgspec.Struct, kw_only=True, frozen=True):
    """What the manager knows of one registered plugin."""

    name: str
    module: Any
    builtin: bool
    enabled: bool

    @property
    def path(self) -> Path | None:
        """The plugin's folder, where its templates/, static/ and locale/ are found by convention."""
        file = getattr(self.module, "__file__", None)
        return Path(file).parent if file else None
