"""notifications from the people one follows; desk verification with any handler

Revision ID: a0c5d6e7f8a9
Revises: f9a4b5c6d7e8
Create Date: 2026-11-27 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a0c5d6e7f8a9'
down_revision = 'f9a4b5c6d7e8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Which handler staff verified the person with at the desk; a plain ADD COLUMN (no table rebuilt on SQLite).
    # Sessions recorded before were all verified with the census, which the log shows for an empty value.
    # Following people needs no table: their follows are core_follows rows of resource type "user".
    op.add_column('core_managed_sessions', sa.Column('handler', sa.String(length=63), nullable=True))


def downgrade() -> None:
    op.drop_column('core_managed_sessions', 'handler')
