"""proposals amendments and the version history of proposals

Revision ID: 8e5f6a7b8c95
Revises: 7d4e5f6a7b84
Create Date: 2026-11-27 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8e5f6a7b8c95'
down_revision = '7d4e5f6a7b84'
branch_labels = None
depends_on = None

OPEN = "state IN ('draft', 'pending')"


def upgrade() -> None:
    # New tables only: proposals_proposals is not rebuilt (on SQLite that would cascade-delete its supports).
    op.create_table('proposals_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('base_title', sa.String(length=200), nullable=False),
    sa.Column('base_body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('promoted_proposal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_proposals_amendments_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_amendments_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promoted_proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_amendments_promoted_proposal_id_proposals_proposals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_amendments_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_amendments'))
    )
    with op.batch_alter_table('proposals_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_amendments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_amendments_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_amendments_proposal_id'), ['proposal_id'], unique=False)
        # One amendment being written or waiting per person and proposal: a partial unique index.
        batch_op.create_index('ix_proposals_amendments_open_author', ['proposal_id', 'author_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table('proposals_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amendment_id'], ['proposals_amendments.id'], name=op.f('fk_proposals_versions_amendment_id_proposals_amendments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_proposals_versions_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_versions_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_versions')),
    sa.UniqueConstraint('proposal_id', 'number', name=op.f('uq_proposals_versions_proposal_id_number'))
    )
    with op.batch_alter_table('proposals_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_versions_author_id'), ['author_id'], unique=False)

    # Proposals published before there was a history start it with the text they have now.
    op.execute(
        "INSERT INTO proposals_versions (proposal_id, number, title, body, author_id, created_at) "
        "SELECT id, 1, title, body, author_id, COALESCE(published_at, created_at) FROM proposals_proposals "
        "WHERE state != 'draft'"
    )


def downgrade() -> None:
    with op.batch_alter_table('proposals_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_versions_author_id'))

    op.drop_table('proposals_versions')
    with op.batch_alter_table('proposals_amendments', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_amendments_open_author')
        batch_op.drop_index(batch_op.f('ix_proposals_amendments_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_amendments_component_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_amendments_author_id'))

    op.drop_table('proposals_amendments')
