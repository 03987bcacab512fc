"""organization time zone

Revision ID: f9a4b5c6d7e8
Revises: e8f3a4b5c6d7
Create Date: 2026-11-27 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f9a4b5c6d7e8'
down_revision = 'e8f3a4b5c6d7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuilt on SQLite); the organizations there so far are all in mainland Spain.
    op.add_column('core_organizations', sa.Column('time_zone', sa.String(length=64), server_default='Europe/Madrid',
                                                  nullable=False))


def downgrade() -> None:
    op.drop_column('core_organizations', 'time_zone')
