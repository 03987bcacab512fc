"""admin log and block reason

Revision ID: b61c39f6c396
Revises: 5b9452c6b8b8
Create Date: 2026-11-27 03:09:23.543809
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = 'b61c39f6c396'
down_revision = '5b9452c6b8b8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_admin_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_admin_log_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_admin_log_user_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_admin_log'))
    )
    with op.batch_alter_table('core_admin_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_admin_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_admin_log_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('blocked_reason')

    with op.batch_alter_table('core_admin_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_admin_log_organization_id'))
        batch_op.drop_index(batch_op.f('ix_core_admin_log_created_at'))

    op.drop_table('core_admin_log')
