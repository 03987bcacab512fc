"""proposals participatory texts

Revision ID: a0b7c8d9eab7
Revises: 9f6a7b8c9da6
Create Date: 2026-11-27 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a0b7c8d9eab7'
down_revision = '9f6a7b8c9da6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): on SQLite a batch rebuild of proposals_proposals would cascade deletes.
    op.add_column('proposals_proposals', sa.Column('participatory_text_level', sa.String(length=16), nullable=True))
    op.add_column('proposals_proposals', sa.Column('position', sa.Integer(), nullable=True))
    op.create_table('proposals_participatory_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_participatory_texts_component_id_core_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_participatory_texts')),
    sa.UniqueConstraint('component_id', name=op.f('uq_proposals_participatory_texts_component_id'))
    )


def downgrade() -> None:
    op.drop_table('proposals_participatory_texts')
    # SQLite drops a column in place (3.35+) when no index or constraint names it, as here.
    op.drop_column('proposals_proposals', 'position')
    op.drop_column('proposals_proposals', 'participatory_text_level')
