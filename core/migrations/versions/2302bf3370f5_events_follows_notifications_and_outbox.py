"""events, follows, notifications and outbox

Revision ID: 2302bf3370f5
Revises: 488adbbe63a0
Create Date: 2026-11-27 04:24:08.094027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '2302bf3370f5'
down_revision = '488adbbe63a0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('resource_title', sa.JSON(), nullable=False),
    sa.Column('resource_path', sa.String(length=500), nullable=False),
    sa.Column('parents', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_users.id'], name=op.f('fk_core_events_actor_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_events_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_events'))
    )
    with op.batch_alter_table('core_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_events_dispatched_at'), ['dispatched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_events_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_follows_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_follows')),
    sa.UniqueConstraint('user_id', 'resource_type', 'resource_id', name=op.f('uq_core_follows_user_id_resource_type_resource_id'))
    )
    with op.batch_alter_table('core_follows', schema=None) as batch_op:
        batch_op.create_index('ix_core_follows_resource', ['resource_type', 'resource_id'], unique=False)

    op.create_table('core_notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_notification_preferences_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_core_notification_preferences'))
    )
    op.create_table('core_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_outbox_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_outbox_user_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_core_outbox_key'))
    )
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_outbox_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_core_outbox_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('core_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['core_events.id'], name=op.f('fk_core_notifications_event_id_core_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_notifications_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_notifications')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_core_notifications_event_id_user_id'))
    )
    with op.batch_alter_table('core_notifications', schema=None) as batch_op:
        batch_op.create_index('ix_core_notifications_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_core_notifications_user_id_read_at', ['user_id', 'read_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_core_notifications_user_id_read_at')
        batch_op.drop_index('ix_core_notifications_user_id_created_at')

    op.drop_table('core_notifications')
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_outbox_user_id'))
        batch_op.drop_index('ix_core_outbox_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_core_outbox_organization_id'))

    op.drop_table('core_outbox')
    op.drop_table('core_notification_preferences')
    with op.batch_alter_table('core_follows', schema=None) as batch_op:
        batch_op.drop_index('ix_core_follows_resource')

    op.drop_table('core_follows')
    with op.batch_alter_table('core_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_events_organization_id'))
        batch_op.drop_index(batch_op.f('ix_core_events_dispatched_at'))

    op.drop_table('core_events')
