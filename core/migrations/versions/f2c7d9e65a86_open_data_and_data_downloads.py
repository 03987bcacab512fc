"""open data and data downloads

Revision ID: f2c7d9e65a86
Revises: e1b6c8d54f75
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'f2c7d9e65a86'
down_revision = 'e1b6c8d54f75'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_component_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_component_exports_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_component_exports_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['core_users.id'], name=op.f('fk_core_component_exports_requested_by_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_component_exports'))
    )
    with op.batch_alter_table('core_component_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_component_exports_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_component_exports_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_data_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_data_downloads_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_data_downloads_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_data_downloads'))
    )
    with op.batch_alter_table('core_data_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_data_downloads_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_data_downloads_user_id'), ['user_id'], unique=False)
        # One request being prepared per person: a partial unique index (both backends have them).
        batch_op.create_index('ix_core_data_downloads_pending_user_id', ['user_id'], unique=True,
                              sqlite_where=sa.text('finished_at IS NULL AND failed_at IS NULL'),
                              postgresql_where=sa.text('finished_at IS NULL AND failed_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('core_data_downloads', schema=None) as batch_op:
        batch_op.drop_index('ix_core_data_downloads_pending_user_id')
        batch_op.drop_index(batch_op.f('ix_core_data_downloads_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_data_downloads_organization_id'))

    op.drop_table('core_data_downloads')
    with op.batch_alter_table('core_component_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_component_exports_organization_id'))
        batch_op.drop_index(batch_op.f('ix_core_component_exports_component_id'))

    op.drop_table('core_component_exports')
