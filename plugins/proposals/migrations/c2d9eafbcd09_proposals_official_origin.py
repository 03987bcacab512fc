"""proposals: where an official proposal comes from (a meeting or an assembly)

Revision ID: c2d9eafbcd09
Revises: b1c8d9eafbc8
Create Date: 2026-11-27 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c2d9eafbcd09'
down_revision = 'b1c8d9eafbc8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild of a large table); the assembly is a plain integer, like
    # user_group_id: a deleted assembly leaves a proposal that no longer names it.
    op.add_column('proposals_proposals', sa.Column('origin', sa.String(length=16), nullable=True))
    op.add_column('proposals_proposals', sa.Column('origin_space_id', sa.Integer(), nullable=True))
    op.add_column('proposals_proposals', sa.Column('origin_meeting', sa.String(length=200), nullable=True))
    op.add_column('proposals_proposals', sa.Column('origin_date', sa.Date(), nullable=True))


def downgrade() -> None:
    for column in ('origin_date', 'origin_meeting', 'origin_space_id', 'origin'):
        op.drop_column('proposals_proposals', column)
