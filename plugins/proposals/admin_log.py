"""What the admins of a proposals component do that the organization's admin log records.

Declared in the manifest (``ComponentManifest.admin_actions``), written with ``core.adminlog.record`` in
the transaction of the change, like core's own actions, so the log at /admin/log shows them beside core's.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from core.adminlog import record
from core.i18n import N_, translated
from core.models import Component

ACTIONS = {
    "proposals.answer": N_("answered the proposal %(target)s"),
    "proposals.publish_answers": N_("published the answers kept back in %(target)s"),
    "proposals.answer_csv": N_("answered proposals of %(target)s from a CSV file"),
    "proposals.assign": N_("assigned proposals of %(target)s to a valuator"),
    "proposals.unassign": N_("took proposals of %(target)s back from a valuator"),
    "proposals.state_create": N_("added the answer state %(target)s"),
    "proposals.state_update": N_("changed the answer state %(target)s"),
    "proposals.state_delete": N_("deleted the answer state %(target)s"),
    "proposals.merge": N_("merged proposals into %(target)s"),
    "proposals.official": N_("published the official proposal %(target)s"),
    "proposals.official_edit": N_("changed the official proposal %(target)s"),
    "proposals.split": N_("split the proposal %(target)s"),
    "proposals.import": N_("imported proposals into %(target)s"),
    "proposals.export_xlsx": N_("exported the proposals of %(target)s as a spreadsheet"),
}


def log(request: Request, component: Component, action: str, target: str | dict[str, str] | None = None,
        **details: Any) -> None:
    """Record ``action`` by the person of the request on something of ``component`` (its name when no
    target is given), with the component and space for the reader of the log."""
    name = target if target is not None else component.name
    record(request.state.db, component.space.organization_id, request.state.user, action,
           translated(name) if isinstance(name, dict) else name, space_id=component.space_id,
           component_id=component.id, **details)
