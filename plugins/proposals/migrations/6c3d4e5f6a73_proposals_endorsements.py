"""proposals endorsements

Revision ID: 6c3d4e5f6a73
Revises: 5b2c3d4e5f62
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '6c3d4e5f6a73'
down_revision = '5b2c3d4e5f62'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The stored count of a proposal's rows in core_endorsements: endorsing needs this column, so every
    # proposal has none yet.
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endorsements_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.alter_column('endorsements_count', server_default=None)
        batch_op.create_index('ix_proposals_proposals_endorsed', ['component_id', 'state', 'endorsements_count', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_proposals_endorsed')
        batch_op.drop_column('endorsements_count')
