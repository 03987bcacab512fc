"""participation kept through re-registration, managed participants who become users, groups that lose their admin

Revision ID: d7e2f3a4b5c6
Revises: c6d1e2f3a4b5
Create Date: 2026-11-27 13:40:00
"""

from __future__ import annotations

revision = 'd7e2f3a4b5c6'
down_revision = 'c6d1e2f3a4b5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing to store: moved supports and votes reuse their rows, a managed participant who takes over
    # keeps their core_users row (the link is a core_account_tokens row, purpose "managed_handover"), and a
    # group "without admin" is read from its memberships.
    pass


def downgrade() -> None:
    pass
