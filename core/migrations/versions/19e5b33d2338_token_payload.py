"""token payload

Revision ID: 19e5b33d2338
Revises: 5842d2d8ce0f
Create Date: 2026-11-27 03:29:33.929113
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '19e5b33d2338'
down_revision = '5842d2d8ce0f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_account_tokens', schema=None) as batch_op:
        batch_op.drop_column('payload')

