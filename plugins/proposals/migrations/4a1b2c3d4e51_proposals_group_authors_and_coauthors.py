"""proposals group authors and co-authors

Revision ID: 4a1b2c3d4e51
Revises: 2b8e51c7d9a3
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '4a1b2c3d4e51'
down_revision = '2b8e51c7d9a3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends, not batch mode: rebuilding proposals_proposals on SQLite drops
    # the old table, and SQLite then deletes every support through its ON DELETE CASCADE.
    op.add_column('proposals_proposals', sa.Column('user_group_id', sa.Integer(), nullable=True))
    op.create_table('proposals_coauthorships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_coauthorships_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_coauthorships_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_coauthorships')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposals_coauthorships_proposal_id_user_id'))
    )
    with op.batch_alter_table('proposals_coauthorships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_coauthorships_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposals_coauthorships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_coauthorships_user_id'))

    op.drop_table('proposals_coauthorships')
    # SQLite (3.35 and later) drops a column that nothing references in place, without the rebuild.
    op.drop_column('proposals_proposals', 'user_group_id')
