"""accounts and registration mode

Revision ID: 01e0bc407215
Revises: 844ecc74e02b
Create Date: 2026-11-27 02:24:43.475018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '01e0bc407215'
down_revision = '844ecc74e02b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nickname', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('terms_accepted_version', sa.Integer(), nullable=True),
    sa.Column('newsletter_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_users_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_users')),
    sa.UniqueConstraint('organization_id', 'email', name=op.f('uq_core_users_organization_id_email')),
    sa.UniqueConstraint('organization_id', 'nickname', name=op.f('uq_core_users_organization_id_nickname'))
    )
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_users_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_account_tokens_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_account_tokens_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_account_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_core_account_tokens_digest'))
    )
    with op.batch_alter_table('core_account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_account_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_mode', sa.String(length=16), server_default='open', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('core_organizations', schema=None) as batch_op:
        batch_op.drop_column('registration_mode')

    with op.batch_alter_table('core_account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_account_tokens_user_id'))

    op.drop_table('core_account_tokens')
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_users_organization_id'))

    op.drop_table('core_users')
