"""uploads and avatars

Revision ID: 488adbbe63a0
Revises: b87047c9e1ed
Create Date: 2026-11-27 04:20:52.701223
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '488adbbe63a0'
down_revision = 'b87047c9e1ed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_uploads_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['core_users.id'], name=op.f('fk_core_uploads_owner_user_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_uploads')),
    sa.UniqueConstraint('key', name=op.f('uq_core_uploads_key'))
    )
    with op.batch_alter_table('core_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_uploads_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_uploads_owner_user_id'), ['owner_user_id'], unique=False)

    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_upload_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_core_users_avatar_upload_id_core_uploads'), 'core_uploads', ['avatar_upload_id'], ['id'], ondelete='SET NULL', use_alter=True)


def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_users_avatar_upload_id_core_uploads'), type_='foreignkey')
        batch_op.drop_column('avatar_upload_id')

    with op.batch_alter_table('core_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_uploads_owner_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_uploads_organization_id'))

    op.drop_table('core_uploads')
