"""assembly details, parents and members

Revision ID: 503aa44360e9
Revises: 2404b5be3698
Create Date: 2026-11-27 05:10:33.090243
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '503aa44360e9'
down_revision = '2404b5be3698'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_space_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.String(length=32), nullable=False),
    sa.Column('position_other', sa.String(length=120), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_space_members_space_id_core_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_space_members_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_space_members'))
    )
    with op.batch_alter_table('core_space_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_space_members_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_space_members_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('details', sa.JSON(), server_default='{}', nullable=False))
        batch_op.create_index(batch_op.f('ix_core_spaces_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_core_spaces_parent_id_core_spaces'), 'core_spaces', ['parent_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_spaces_parent_id_core_spaces'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_core_spaces_parent_id'))
        batch_op.drop_column('details')
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('core_space_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_space_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_space_members_space_id'))

    op.drop_table('core_space_members')
