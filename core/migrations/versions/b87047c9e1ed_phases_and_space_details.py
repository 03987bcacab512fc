"""phases and space details

Revision ID: b87047c9e1ed
Revises: ad7ab36fbeaa
Create Date: 2026-11-27 04:17:05.796393
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'b87047c9e1ed'
down_revision = 'ad7ab36fbeaa'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_phases_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_phases'))
    )
    with op.batch_alter_table('core_phases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_phases_space_id'), ['space_id'], unique=False)

    with op.batch_alter_table('core_components', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_description', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('announcement', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('active_phase_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_core_spaces_active_phase_id_core_phases'), 'core_phases', ['active_phase_id'], ['id'], ondelete='SET NULL', use_alter=True)



def downgrade() -> None:
    with op.batch_alter_table('core_spaces', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_spaces_active_phase_id_core_phases'), type_='foreignkey')
        batch_op.drop_column('active_phase_id')
        batch_op.drop_column('end_date')
        batch_op.drop_column('start_date')
        batch_op.drop_column('announcement')
        batch_op.drop_column('short_description')

    with op.batch_alter_table('core_components', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('core_phases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_phases_space_id'))

    op.drop_table('core_phases')
