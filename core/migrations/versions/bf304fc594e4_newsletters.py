"""newsletters and their deliveries

Revision ID: bf304fc594e4
Revises: 5e4c1f0a7b21
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'bf304fc594e4'
down_revision = '5e4c1f0a7b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_newsletters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('recipients_count', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_core_newsletters_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_newsletters_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_newsletters'))
    )
    with op.batch_alter_table('core_newsletters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_newsletters_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_newsletter_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newsletter_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['newsletter_id'], ['core_newsletters.id'], name=op.f('fk_core_newsletter_deliveries_newsletter_id_core_newsletters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_newsletter_deliveries_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_newsletter_deliveries')),
    sa.UniqueConstraint('newsletter_id', 'user_id', name=op.f('uq_core_newsletter_deliveries_newsletter_id_user_id'))
    )
    with op.batch_alter_table('core_newsletter_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_core_newsletter_deliveries_newsletter_id_status', ['newsletter_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_newsletter_deliveries_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_newsletter_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_newsletter_deliveries_user_id'))
        batch_op.drop_index('ix_core_newsletter_deliveries_newsletter_id_status')

    op.drop_table('core_newsletter_deliveries')
    with op.batch_alter_table('core_newsletters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_newsletters_organization_id'))

    op.drop_table('core_newsletters')
