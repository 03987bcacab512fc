"""attachments and galleries

Revision ID: d0a5b7c43e64
Revises: c9f4a6b32d53
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'd0a5b7c43e64'
down_revision = 'c9f4a6b32d53'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_attachment_collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_attachment_collections_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_attachment_collections_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_attachment_collections_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_attachment_collections'))
    )
    with op.batch_alter_table('core_attachment_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_attachment_collections_component_id'), ['component_id'], unique=False)
        batch_op.create_index('ix_core_attachment_collections_resource', ['resource_type', 'resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_attachment_collections_space_id'), ['space_id'], unique=False)

    op.create_table('core_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('thumbnail_upload_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['core_attachment_collections.id'], name=op.f('fk_core_attachments_collection_id_core_attachment_collections'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_attachments_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_attachments_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_attachments_space_id_core_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thumbnail_upload_id'], ['core_uploads.id'], name=op.f('fk_core_attachments_thumbnail_upload_id_core_uploads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['upload_id'], ['core_uploads.id'], name=op.f('fk_core_attachments_upload_id_core_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_attachments')),
    sa.UniqueConstraint('thumbnail_upload_id', name=op.f('uq_core_attachments_thumbnail_upload_id')),
    sa.UniqueConstraint('upload_id', name=op.f('uq_core_attachments_upload_id'))
    )
    with op.batch_alter_table('core_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_attachments_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_attachments_component_id'), ['component_id'], unique=False)
        batch_op.create_index('ix_core_attachments_resource', ['resource_type', 'resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_attachments_space_id'), ['space_id'], unique=False)

    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hero_upload_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_core_spaces_hero_upload_id_core_uploads'), 'core_uploads', ['hero_upload_id'], ['id'], ondelete='SET NULL', use_alter=True)


def downgrade() -> None:
    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_spaces_hero_upload_id_core_uploads'), type_='foreignkey')
        batch_op.drop_column('hero_upload_id')

    with op.batch_alter_table('core_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_attachments_space_id'))
        batch_op.drop_index('ix_core_attachments_resource')
        batch_op.drop_index(batch_op.f('ix_core_attachments_component_id'))
        batch_op.drop_index(batch_op.f('ix_core_attachments_collection_id'))

    op.drop_table('core_attachments')
    with op.batch_alter_table('core_attachment_collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_attachment_collections_space_id'))
        batch_op.drop_index('ix_core_attachment_collections_resource')
        batch_op.drop_index(batch_op.f('ix_core_attachment_collections_component_id'))

    op.drop_table('core_attachment_collections')
