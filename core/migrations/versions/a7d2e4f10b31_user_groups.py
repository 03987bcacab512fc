"""user groups

Revision ID: a7d2e4f10b31
Revises: c3a8e51d0f94
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'a7d2e4f10b31'
down_revision = 'c3a8e51d0f94'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_user_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('nickname', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('avatar_upload_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['avatar_upload_id'], ['core_uploads.id'], name=op.f('fk_core_user_groups_avatar_upload_id_core_uploads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_user_groups_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user_groups')),
    sa.UniqueConstraint('organization_id', 'nickname', name=op.f('uq_core_user_groups_organization_id_nickname'))
    )
    op.create_table('core_user_group_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['core_users.id'], name=op.f('fk_core_user_group_memberships_invited_by_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_group_id'], ['core_user_groups.id'], name=op.f('fk_core_user_group_memberships_user_group_id_core_user_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_user_group_memberships_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user_group_memberships')),
    sa.UniqueConstraint('user_group_id', 'user_id', name=op.f('uq_core_user_group_memberships_user_group_id_user_id'))
    )
    with op.batch_alter_table('core_user_group_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_core_user_group_memberships_user_id_role', ['user_id', 'role'], unique=False)
    # core_comments.user_group_id exists since the comments revision, as a plain integer: a foreign key
    # cannot be added to it without rebuilding core_comments on SQLite, and dropping the old table there
    # would delete every vote and earlier version through their ON DELETE CASCADE. Groups are never
    # deleted on their own (only with their organization, which takes the comments too).


def downgrade() -> None:
    with op.batch_alter_table('core_user_group_memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_core_user_group_memberships_user_id_role')

    op.drop_table('core_user_group_memberships')
    op.drop_table('core_user_groups')
