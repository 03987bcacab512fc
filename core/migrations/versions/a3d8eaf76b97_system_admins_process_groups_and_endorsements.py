"""system admins, process groups and endorsements

Revision ID: a3d8eaf76b97
Revises: f2c7d9e65a86
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'a3d8eaf76b97'
down_revision = 'f2c7d9e65a86'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_system_admins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_system_admins')),
    sa.UniqueConstraint('email', name=op.f('uq_core_system_admins_email'))
    )
    op.create_table('core_system_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_admin_id', sa.Integer(), nullable=True),
    sa.Column('admin_email', sa.String(length=254), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_system_log_organization_id_core_organizations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_admin_id'], ['core_system_admins.id'], name=op.f('fk_core_system_log_system_admin_id_core_system_admins'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_system_log'))
    )
    with op.batch_alter_table('core_system_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_system_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_system_log_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_process_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('hero_upload_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hero_upload_id'], ['core_uploads.id'], name=op.f('fk_core_process_groups_hero_upload_id_core_uploads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_process_groups_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_process_groups'))
    )
    with op.batch_alter_table('core_process_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_process_groups_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_process_group_processes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_process_groups.id'], name=op.f('fk_core_process_group_processes_group_id_core_process_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_process_group_processes_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_process_group_processes')),
    sa.UniqueConstraint('space_id', name=op.f('uq_core_process_group_processes_space_id'))
    )
    with op.batch_alter_table('core_process_group_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_process_group_processes_group_id'), ['group_id'], unique=False)

    op.create_table('core_endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('endorser_type', sa.String(length=8), nullable=False),
    sa.Column('endorser_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_group_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_group_id'], ['core_user_groups.id'], name=op.f('fk_core_endorsements_user_group_id_core_user_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_endorsements_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_endorsements')),
    sa.UniqueConstraint('resource_type', 'resource_id', 'endorser_type', 'endorser_id', name=op.f('uq_core_endorsements_resource_type_resource_id_endorser_type_endorser_id'))
    )
    with op.batch_alter_table('core_endorsements', schema=None) as batch_op:
        batch_op.create_index('ix_core_endorsements_user_id', ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_endorsements_user_group_id'), ['user_group_id'], unique=False)


def downgrade() -> None:
    op.drop_table('core_endorsements')
    op.drop_table('core_process_group_processes')
    op.drop_table('core_process_groups')
    op.drop_table('core_system_log')
    op.drop_table('core_system_admins')
