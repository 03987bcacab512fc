"""The admin log: every change an administrator makes, who made it and when.

Entries are written in the same transaction as the change, so one never exists without the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.i18n import N_

ACTIONS = {
    "user.invite": N_("invited %(target)s"),
    "user.block": N_("blocked %(target)s"),
    "user.unblock": N_("unblocked %(target)s"),
    "user.roles": N_("changed the roles of %(target)s"),
    "terms.publish": N_("published version %(version)s of the terms of use"),
    "organization.appearance": N_("changed the appearance"),
    "organization.settings": N_("changed the organization's settings"),
    "space.create": N_("created the space %(target)s"),
    "space.update": N_("changed the space %(target)s"),
    "space.publish": N_("published the space %(target)s"),
    "space.unpublish": N_("unpublished the space %(target)s"),
    "space.copy": N_("copied the space %(target)s"),
    "space.delete": N_("deleted the space %(target)s"),
    "space.member_add": N_("added %(target)s as a member"),
    "space.member_remove": N_("removed a member"),
    "phase.create": N_("added the phase %(target)s"),
    "phase.update": N_("changed the phase %(target)s"),
    "phase.activate": N_("made %(target)s the active phase"),
    "phase.delete": N_("deleted the phase %(target)s"),
    "component.create": N_("added the component %(target)s"),
    "component.update": N_("changed the component %(target)s"),
    "component.publish": N_("published the component %(target)s"),
    "component.unpublish": N_("unpublished the component %(target)s"),
    "component.archive": N_("archived the component %(target)s"),
    "component.delete": N_("deleted the component %(target)s"),
    "component.export": N_("exported the data of the component %(target)s"),
    "moderation.hide": N_("hid %(target)s"),
    "moderation.unhide": N_("made %(target)s visible again and cleared its reports"),
    "moderation.dismiss": N_("dismissed the reports of %(target)s"),
    "newsletter.create": N_("wrote the newsletter %(target)s"),
    "newsletter.update": N_("changed the newsletter %(target)s"),
    "newsletter.delete": N_("deleted the newsletter %(target)s"),
    "newsletter.send": N_("sent the newsletter %(target)s"),
    "newsletter.schedule": N_("scheduled the newsletter %(target)s"),
    "newsletter.unschedule": N_("unscheduled the newsletter %(target)s"),
    "static_page.create": N_("created the page %(target)s"),
    "static_page.update": N_("changed the page %(target)s"),
    "static_page.delete": N_("deleted the page %(target)s"),
    "process_group.create": N_("created the process group %(target)s"),
    "process_group.update": N_("changed the process group %(target)s"),
    "process_group.delete": N_("deleted the process group %(target)s"),
    "organization.logo": N_("uploaded a new logo"),
    "organization.logo_remove": N_("removed the logo"),
    "group.verify": N_("verified the group %(target)s"),
    "group.unverify": N_("withdrew the verification of the group %(target)s"),
    "group.appoint_admin": N_("appointed an admin of the group %(target)s"),
    "census.upload": N_("uploaded a census of %(target)s people"),
    "verification.approve": N_("approved the identity document of %(target)s"),
    "verification.reject": N_("rejected the identity document of %(target)s"),
    "verification.revoke": N_("revoked a verification of %(target)s"),
    "component.requirements": N_("changed the verifications that the component %(target)s requires"),
    "managed.start": N_("started acting on behalf of %(target)s"),
    "managed.end": N_("stopped acting on behalf of %(target)s"),
    "managed.handover_invite": N_("invited %(target)s to take over their account"),
    "managed.handover": N_("took over the account %(target)s, managed at the desk until then"),
    "scope.create": N_("created the scope %(target)s"),
    "scope.update": N_("changed the scope %(target)s"),
    "scope.delete": N_("deleted the scope %(target)s"),
    "scope_type.create": N_("created the scope type %(target)s"),
    "scope_type.update": N_("changed the scope type %(target)s"),
    "scope_type.delete": N_("deleted the scope type %(target)s"),
    "area.create": N_("created the area %(target)s"),
    "area.update": N_("changed the area %(target)s"),
    "area.delete": N_("deleted the area %(target)s"),
    "area_type.create": N_("created the area type %(target)s"),
    "area_type.update": N_("changed the area type %(target)s"),
    "area_type.delete": N_("deleted the area type %(target)s"),
    "category.create": N_("created the category %(target)s"),
    "category.update": N_("changed the category %(target)s"),
    "category.delete": N_("deleted the category %(target)s"),
    "attachment.create": N_("attached %(target)s"),
    "attachment.update": N_("changed the attachment %(target)s"),
    "attachment.delete": N_("removed the attachment %(target)s"),
    "attachment_collection.create": N_("created the folder %(target)s"),
    "attachment_collection.delete": N_("deleted the folder %(target)s"),
    "space.hero": N_("changed the image of the space %(target)s"),
}


class AdminLogEntry(Base):
    __tablename__ = "core_admin_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("core_organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(120))
    """Kept as it was, so the log still says who acted after that account is gone."""
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


_DECLARED: dict[str, str] = {}
"""Core's actions and those of the component types of every registry built (``ComponentManifest.admin_actions``)."""


def declare(actions: dict[str, str]) -> None:
    """Make actions known to ``record`` (the registry does it for its component types)."""
    _DECLARED.update(actions)


def record(session: AsyncSession, organization_id: int, user: Any, action: str, target: str = "",
           **details: Any) -> AdminLogEntry:
    """Add a log entry for ``action`` by ``user`` to the current transaction; an action nobody declared is a
    mistake in the code, refused rather than logged without a line to show."""
    if action not in ACTIONS and action not in _DECLARED:
        raise KeyError(f"unknown admin action {action!r}")
    entry = AdminLogEntry(organization_id=organization_id, user_id=user.id, user_name=user.name, action=action,
                          target=target, details=details)
    session.add(entry)
    return entry
