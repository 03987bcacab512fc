"""rate limit counters

Revision ID: 74e5afcc4c2e
Revises: 01e0bc407215
Create Date: 2026-11-27 02:45:11.162141
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '74e5afcc4c2e'
down_revision = '01e0bc407215'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_rate_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_rate_counters'))
    )
    with op.batch_alter_table('core_rate_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_rate_counters_window_ends_at'), ['window_ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_rate_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_rate_counters_window_ends_at'))

    op.drop_table('core_rate_counters')
