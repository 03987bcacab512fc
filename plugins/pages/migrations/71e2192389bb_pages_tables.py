"""pages tables

Revision ID: 71e2192389bb
Revises: 
Create Date: 2026-11-27 01:57:05.616759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '71e2192389bb'
down_revision = None
branch_labels = ('pages',)
depends_on = '844ecc74e02b'


def upgrade() -> None:
    op.create_table('pages_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_pages_pages_component_id_core_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages_pages'))
    )
    with op.batch_alter_table('pages_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pages_pages_component_id'), ['component_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pages_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_pages_component_id'))

    op.drop_table('pages_pages')
