"""core tables

Revision ID: 844ecc74e02b
Revises: 
Create Date: 2026-11-27 01:56:58.719965
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '844ecc74e02b'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade() -> None:
    op.create_table('core_backups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_backups'))
    )
    op.create_table('core_organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('default_locale', sa.String(length=8), nullable=False),
    sa.Column('available_locales', sa.JSON(), nullable=False),
    sa.Column('primary_color', sa.String(length=7), nullable=False),
    sa.Column('secondary_color', sa.String(length=7), nullable=False),
    sa.Column('logo', sa.Text(), nullable=True),
    sa.Column('minimum_age', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_organizations')),
    sa.UniqueConstraint('slug', name=op.f('uq_core_organizations_slug'))
    )
    op.create_table('core_store_entries',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_store_entries'))
    )
    with op.batch_alter_table('core_store_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_store_entries_expires_at'), ['expires_at'], unique=False)

    op.create_table('core_organization_hosts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_organization_hosts_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_organization_hosts')),
    sa.UniqueConstraint('host', name=op.f('uq_core_organization_hosts_host'))
    )
    with op.batch_alter_table('core_organization_hosts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_organization_hosts_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_spaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('space_type', sa.String(length=64), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('subtitle', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('promoted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_spaces_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_spaces')),
    sa.UniqueConstraint('organization_id', 'space_type', 'slug', name=op.f('uq_core_spaces_organization_id_space_type_slug'))
    )
    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_spaces_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_terms_of_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_terms_of_use_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_terms_of_use')),
    sa.UniqueConstraint('organization_id', 'version', name=op.f('uq_core_terms_of_use_organization_id_version'))
    )
    op.create_table('core_components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('component_type', sa.String(length=64), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('phase_settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_components_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_components'))
    )
    with op.batch_alter_table('core_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_components_space_id'), ['space_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('core_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_components_space_id'))

    op.drop_table('core_components')
    op.drop_table('core_terms_of_use')
    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_spaces_organization_id'))

    op.drop_table('core_spaces')
    with op.batch_alter_table('core_organization_hosts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_organization_hosts_organization_id'))

    op.drop_table('core_organization_hosts')
    with op.batch_alter_table('core_store_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_store_entries_expires_at'))

    op.drop_table('core_store_entries')
    op.drop_table('core_organizations')
    op.drop_table('core_backups')
