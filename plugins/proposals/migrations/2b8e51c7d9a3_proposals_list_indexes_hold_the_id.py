"""proposals: the lists' indexes hold the id, for index-only counts and pages on PostgreSQL; an index
for the answer filters

Revision ID: 2b8e51c7d9a3
Revises: 7c3e9a1d2b40
Create Date: 2026-11-27 09:20:00
"""

from __future__ import annotations

from alembic import op

revision = '2b8e51c7d9a3'
down_revision = '7c3e9a1d2b40'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_proposals_proposals_listing': ['component_id', 'state', 'published_at'],
    'ix_proposals_proposals_shuffled': ['component_id', 'state', 'shuffle'],
    'ix_proposals_proposals_supported': ['component_id', 'state', 'supports_count'],
}


def upgrade() -> None:
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, 'id'], unique=False)
        batch_op.create_index('ix_proposals_proposals_answered', ['component_id', 'state', 'answer_state', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_proposals_answered')
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
