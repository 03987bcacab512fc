"""proposals tables

Revision ID: d40b6b2de029
Revises: 
Create Date: 2026-11-27 04:32:57.624134
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd40b6b2de029'
down_revision = None
branch_labels = ('proposals',)
depends_on = 'b87047c9e1ed'


def upgrade() -> None:
    op.create_table('proposals_participants',
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('supports_given', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_participants_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_participants_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('component_id', 'user_id', name=op.f('pk_proposals_participants'))
    )
    op.create_table('proposals_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_state', sa.String(length=32), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('answer_cost', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supports_total', sa.Integer(), nullable=False),
    sa.Column('supports_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_proposals_proposals_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_proposals_component_id_core_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_proposals'))
    )
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_proposals_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_proposals_component_id'), ['component_id'], unique=False)
        batch_op.create_index('ix_proposals_proposals_listing', ['component_id', 'state', 'published_at'], unique=False)

    op.create_table('proposals_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_supports_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_supports_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_supports_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_supports')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposals_supports_proposal_id_user_id'))
    )
    with op.batch_alter_table('proposals_supports', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_supports_participant', ['component_id', 'user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposals_supports', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_supports_participant')

    op.drop_table('proposals_supports')
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_proposals_listing')
        batch_op.drop_index(batch_op.f('ix_proposals_proposals_component_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_proposals_author_id'))

    op.drop_table('proposals_proposals')
    op.drop_table('proposals_participants')
