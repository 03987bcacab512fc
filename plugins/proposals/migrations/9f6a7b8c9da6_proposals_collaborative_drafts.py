"""proposals collaborative drafts

Revision ID: 9f6a7b8c9da6
Revises: 8e5f6a7b8c95
Create Date: 2026-11-27 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '9f6a7b8c9da6'
down_revision = '8e5f6a7b8c95'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: nothing existing is rebuilt.
    op.create_table('proposals_collaborative_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_collaborative_drafts_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_proposals_collaborative_drafts_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['core_users.id'], name=op.f('fk_proposals_collaborative_drafts_edited_by_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_collaborative_drafts_proposal_id_proposals_proposals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_collaborative_drafts'))
    )
    op.create_index('ix_proposals_collaborative_drafts_listing', 'proposals_collaborative_drafts',
                    ['component_id', 'state', 'id'], unique=False)
    op.create_index(op.f('ix_proposals_collaborative_drafts_author_id'), 'proposals_collaborative_drafts',
                    ['author_id'], unique=False)
    op.create_table('proposals_collaborative_draft_collaborators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['proposals_collaborative_drafts.id'], name=op.f('fk_proposals_collaborative_draft_collaborators_draft_id_proposals_collaborative_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_collaborative_draft_collaborators_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_collaborative_draft_collaborators')),
    sa.UniqueConstraint('draft_id', 'user_id', name=op.f('uq_proposals_collaborative_draft_collaborators_draft_id_user_id'))
    )
    op.create_index(op.f('ix_proposals_collaborative_draft_collaborators_user_id'),
                    'proposals_collaborative_draft_collaborators', ['user_id'], unique=False)
    op.create_table('proposals_collaborative_draft_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['proposals_collaborative_drafts.id'], name=op.f('fk_proposals_collaborative_draft_requests_draft_id_proposals_collaborative_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_collaborative_draft_requests_user_id_core_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['core_users.id'], name=op.f('fk_proposals_collaborative_draft_requests_answered_by_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_collaborative_draft_requests')),
    sa.UniqueConstraint('draft_id', 'user_id', name=op.f('uq_proposals_collaborative_draft_requests_draft_id_user_id'))
    )
    op.create_index(op.f('ix_proposals_collaborative_draft_requests_user_id'),
                    'proposals_collaborative_draft_requests', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_proposals_collaborative_draft_requests_user_id'),
                  table_name='proposals_collaborative_draft_requests')
    op.drop_table('proposals_collaborative_draft_requests')
    op.drop_index(op.f('ix_proposals_collaborative_draft_collaborators_user_id'),
                  table_name='proposals_collaborative_draft_collaborators')
    op.drop_table('proposals_collaborative_draft_collaborators')
    op.drop_index(op.f('ix_proposals_collaborative_drafts_author_id'), table_name='proposals_collaborative_drafts')
    op.drop_index('ix_proposals_collaborative_drafts_listing', table_name='proposals_collaborative_drafts')
    op.drop_table('proposals_collaborative_drafts')
