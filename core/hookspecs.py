"""The plugin contract: every hook a plugin may implement.

Hooks are bare functions with keyword arguments; an implementation takes any
subset of them. ``register_*`` hooks are collected once at start-up, the others
are called while serving requests. Core's own features register through these
same hooks (see ``core/builtin.py``). Every hook is documented in docs/plugins.md,
and tests/test_docs.py fails when one is not.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("participa")
hookimpl = pluggy.HookimplMarker("participa")


# ---------------------------------------------------------------- registration


@hookspec
def register_component_types(settings):
    """Return the ComponentManifests of the participation tools this plugin provides."""


@hookspec
def register_space_types(settings):
    """Return the SpaceTypes (kinds of participatory space) this plugin provides."""


@hookspec
def register_routes(settings):
    """Return litestar route handlers or routers mounted at the root of every organization's site."""


@hookspec
def register_migrations():
    """Return the folder of this plugin's Alembic migrations (its own branch, labelled with its name)."""


@hookspec
def register_event_types():
    """Return EventTypes that aren't tied to one component type (core events, space events)."""


@hookspec
def register_tasks(settings):
    """Return Tasks for the background worker; a Task with a schedule runs periodically."""


@hookspec
def register_permissions():
    """Return a dict of action name to core.permissions.Rule: the actions routes and services may check."""


@hookspec
def register_authorization_handlers():
    """Return the AuthorizationHandlers (ways a person proves who they are) this plugin provides."""


@hookspec
def register_commands(cli):
    """Add click commands or groups to the ``participa`` command line."""


# ---------------------------------------------------------------- requests and pages


@hookspec
def template_context(request, organization):
    """Return a dict of extra variables for every template rendered for this request."""


@hookspec
def menu_links(request, organization):
    """Return (label, url) pairs for the main navigation of an organization's site."""


@hookspec
def demo_content(session, organization, locales):
    """Write realistic demo content for an organization (awaitable); called by ``participa demo``."""


# ---------------------------------------------------------------- people's data


@hookspec
def personal_data(session, user):
    """Return (awaitable) a dict of table name to rows (dicts): what this plugin keeps about ``user``, for
    the download of all their data."""


@hookspec
def transfer_participation(session, registry, organization, from_user_id, to_user_id):
    """Make what the deleted account ``from_user_id`` gave (supports, votes, endorsements) the account
    ``to_user_id``'s (awaitable), in the caller's transaction, when the same person verified the same identity
    again: where both accounts gave the same thing, keep one and put stored counts right."""
