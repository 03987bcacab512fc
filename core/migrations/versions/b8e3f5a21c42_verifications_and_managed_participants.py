"""verifications and managed participants

Revision ID: b8e3f5a21c42
Revises: a7d2e4f10b31
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'b8e3f5a21c42'
down_revision = 'a7d2e4f10b31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('managed', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('core_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('handler', sa.String(length=63), nullable=False),
    sa.Column('unique_digest', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('transferred_from_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_verifications_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transferred_from_user_id'], ['core_users.id'], name=op.f('fk_core_verifications_transferred_from_user_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_verifications_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_verifications')),
    sa.UniqueConstraint('organization_id', 'handler', 'unique_digest', name=op.f('uq_core_verifications_organization_id_handler_unique_digest')),
    sa.UniqueConstraint('user_id', 'handler', name=op.f('uq_core_verifications_user_id_handler'))
    )
    with op.batch_alter_table('core_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_verifications_unique_digest'), ['unique_digest'], unique=False)

    op.create_table('core_census_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_census_entries_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_census_entries')),
    sa.UniqueConstraint('organization_id', 'digest', name=op.f('uq_core_census_entries_organization_id_digest'))
    )

    op.create_table('core_identity_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=True),
    sa.Column('document_type', sa.String(length=16), nullable=False),
    sa.Column('document_number', sa.String(length=32), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_identity_documents_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['core_users.id'], name=op.f('fk_core_identity_documents_reviewed_by_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['upload_id'], ['core_uploads.id'], name=op.f('fk_core_identity_documents_upload_id_core_uploads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_identity_documents_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_identity_documents')),
    sa.UniqueConstraint('user_id', name=op.f('uq_core_identity_documents_user_id'))
    )
    with op.batch_alter_table('core_identity_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_identity_documents_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_action_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=63), nullable=False),
    sa.Column('handler', sa.String(length=63), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_action_requirements_component_id_core_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_action_requirements')),
    sa.UniqueConstraint('component_id', 'action', 'handler', name=op.f('uq_core_action_requirements_component_id_action_handler'))
    )

    op.create_table('core_managed_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=120), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_managed_sessions_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['core_users.id'], name=op.f('fk_core_managed_sessions_participant_id_core_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['core_users.id'], name=op.f('fk_core_managed_sessions_staff_user_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_managed_sessions'))
    )
    with op.batch_alter_table('core_managed_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_managed_sessions_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_managed_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_managed_sessions_started_at'))

    op.drop_table('core_managed_sessions')
    op.drop_table('core_action_requirements')
    with op.batch_alter_table('core_identity_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_identity_documents_organization_id'))

    op.drop_table('core_identity_documents')
    op.drop_table('core_census_entries')
    with op.batch_alter_table('core_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_verifications_unique_digest'))

    op.drop_table('core_verifications')
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('managed')
