"""account deletion

Revision ID: ad7ab36fbeaa
Revises: 19e5b33d2338
Create Date: 2026-11-27 03:33:44.805583
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'ad7ab36fbeaa'
down_revision = '19e5b33d2338'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

