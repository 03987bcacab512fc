"""activity and statistics

Revision ID: e1b6c8d54f75
Revises: d0a5b7c43e64
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'e1b6c8d54f75'
down_revision = 'd0a5b7c43e64'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events learn the space and component they happened in, so public activity can check at query time
    # that both are still visible. Events recorded before have neither and stay out of public activity
    # (nothing has been released, so there are none worth recovering).
    with op.batch_alter_table('core_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('space_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('component_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_core_events_space_id_core_spaces'), 'core_spaces', ['space_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_core_events_component_id_core_components'), 'core_components', ['component_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_core_events_component_id'), ['component_id'], unique=False)
        batch_op.create_index('ix_core_events_organization_id_created_at', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_core_events_space_id_created_at', ['space_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_core_events_actor_id_created_at', ['actor_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_events', schema=None) as batch_op:
        batch_op.drop_index('ix_core_events_actor_id_created_at')
        batch_op.drop_index('ix_core_events_space_id_created_at')
        batch_op.drop_index('ix_core_events_organization_id_created_at')
        batch_op.drop_index(batch_op.f('ix_core_events_component_id'))
        batch_op.drop_constraint(batch_op.f('fk_core_events_component_id_core_components'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_core_events_space_id_core_spaces'), type_='foreignkey')
        batch_op.drop_column('component_id')
        batch_op.drop_column('space_id')
