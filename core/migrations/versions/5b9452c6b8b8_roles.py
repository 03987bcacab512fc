"""roles

Revision ID: 5b9452c6b8b8
Revises: 74e5afcc4c2e
Create Date: 2026-11-27 02:51:41.914994
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5b9452c6b8b8'
down_revision = '74e5afcc4c2e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_organization_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_organization_roles_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_organization_roles_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_organization_roles')),
    sa.UniqueConstraint('organization_id', 'user_id', 'role', name=op.f('uq_core_organization_roles_organization_id_user_id_role'))
    )
    with op.batch_alter_table('core_organization_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_organization_roles_user_id'), ['user_id'], unique=False)

    op.create_table('core_space_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_space_roles_space_id_core_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_space_roles_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_space_roles')),
    sa.UniqueConstraint('space_id', 'user_id', 'role', name=op.f('uq_core_space_roles_space_id_user_id_role'))
    )
    with op.batch_alter_table('core_space_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_space_roles_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_space_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_space_roles_user_id'))

    op.drop_table('core_space_roles')
    with op.batch_alter_table('core_organization_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_organization_roles_user_id'))

    op.drop_table('core_organization_roles')
