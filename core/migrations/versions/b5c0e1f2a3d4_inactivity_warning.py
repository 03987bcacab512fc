"""inactivity warning of accounts

Revision ID: b5c0e1f2a3d4
Revises: a3d8eaf76b97
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'b5c0e1f2a3d4'
down_revision = 'a3d8eaf76b97'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_users') as batch_op:
        batch_op.add_column(sa.Column('inactivity_warned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_users') as batch_op:
        batch_op.drop_column('inactivity_warned_at')
