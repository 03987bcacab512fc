"""Tables of the system area: the install's own administrators and the log of what they did.

System administrators are not people of an organization: they have no row in ``core_users``, no
organization and no role in one, so nothing they are can leak into an organization's permissions,
and no organization admin is one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class SystemAdmin(Base):
    """Someone who runs the install: creates organizations and looks after their hosts and appearance."""

    __tablename__ = "core_system_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lowercased, so that uniqueness ignores case."""
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    """argon2id, like people's passwords (core.accounts.passwords)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class SystemLogEntry(Base):
    """One action of a system administrator, written in the transaction of the change."""

    __tablename__ = "core_system_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_admin_id: Mapped[int | None] = mapped_column(ForeignKey("core_system_admins.id", ondelete="SET NULL"))
    admin_email: Mapped[str] = mapped_column(String(254))
    """Kept as it was, so the log still says who acted after that account is gone."""
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organizations.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
