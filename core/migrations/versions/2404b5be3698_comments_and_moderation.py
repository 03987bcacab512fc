"""comments and moderation

Revision ID: 2404b5be3698
Revises: 2302bf3370f5
Create Date: 2026-11-27 04:37:24.985473
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2404b5be3698'
down_revision = '2302bf3370f5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('user_group_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('root_id', sa.Integer(), nullable=True),
    sa.Column('depth', sa.SmallInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('alignment', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_core_comments_author_id_core_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_comments_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['core_comments.id'], name=op.f('fk_core_comments_parent_id_core_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['root_id'], ['core_comments.id'], name=op.f('fk_core_comments_root_id_core_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_comments'))
    )
    with op.batch_alter_table('core_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_comments_component_id'), ['component_id'], unique=False)
        batch_op.create_index('ix_core_comments_resource', ['resource_type', 'resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_comments_root_id'), ['root_id'], unique=False)

    op.create_table('core_moderations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_core_moderations_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_moderations_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['core_users.id'], name=op.f('fk_core_moderations_hidden_by_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_moderations_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_moderations_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_moderations')),
    sa.UniqueConstraint('resource_type', 'resource_id', name=op.f('uq_core_moderations_resource_type_resource_id'))
    )
    with op.batch_alter_table('core_moderations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_moderations_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_core_moderations_space_id_hidden_at', ['space_id', 'hidden_at'], unique=False)

    op.create_table('core_comment_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['core_comments.id'], name=op.f('fk_core_comment_versions_comment_id_core_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_comment_versions'))
    )
    with op.batch_alter_table('core_comment_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_comment_versions_comment_id'), ['comment_id'], unique=False)

    op.create_table('core_comment_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['core_comments.id'], name=op.f('fk_core_comment_votes_comment_id_core_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_comment_votes_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_comment_votes')),
    sa.UniqueConstraint('comment_id', 'user_id', name=op.f('uq_core_comment_votes_comment_id_user_id'))
    )
    with op.batch_alter_table('core_comment_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_comment_votes_user_id'), ['user_id'], unique=False)

    op.create_table('core_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('moderation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderation_id'], ['core_moderations.id'], name=op.f('fk_core_reports_moderation_id_core_moderations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_reports_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_reports')),
    sa.UniqueConstraint('moderation_id', 'user_id', name=op.f('uq_core_reports_moderation_id_user_id'))
    )
    with op.batch_alter_table('core_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_reports_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('core_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_reports_user_id'))

    op.drop_table('core_reports')
    with op.batch_alter_table('core_comment_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_comment_votes_user_id'))

    op.drop_table('core_comment_votes')
    with op.batch_alter_table('core_comment_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_comment_versions_comment_id'))

    op.drop_table('core_comment_versions')
    with op.batch_alter_table('core_moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_core_moderations_space_id_hidden_at')
        batch_op.drop_index(batch_op.f('ix_core_moderations_organization_id'))

    op.drop_table('core_moderations')
    with op.batch_alter_table('core_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_comments_root_id'))
        batch_op.drop_index('ix_core_comments_resource')
        batch_op.drop_index(batch_op.f('ix_core_comments_component_id'))
        batch_op.drop_index(batch_op.f('ix_core_comments_author_id'))

    op.drop_table('core_comments')
