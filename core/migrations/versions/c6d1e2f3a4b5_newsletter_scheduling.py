"""newsletter scheduling and space-feature follow-ups

Revision ID: c6d1e2f3a4b5
Revises: b5c0e1f2a3d4
Create Date: 2026-11-27 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c6d1e2f3a4b5'
down_revision = 'b5c0e1f2a3d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no table is rebuilt on SQLite (hence no foreign key on scheduled_by_id).
    op.add_column('core_newsletters', sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('core_newsletters', sa.Column('scheduled_by_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_core_newsletters_scheduled_at'), 'core_newsletters', ['scheduled_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_core_newsletters_scheduled_at'), table_name='core_newsletters')
    op.drop_column('core_newsletters', 'scheduled_by_id')
    op.drop_column('core_newsletters', 'scheduled_at')
