"""proposals evaluation: answer states of a component, costs with a report and an execution period,
valuators and their private notes, links between proposals (merged, split, imported)

Revision ID: 7d4e5f6a7b84
Revises: 6c3d4e5f6a73
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7d4e5f6a7b84'
down_revision = '6c3d4e5f6a73'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_cost_report', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('answer_execution_period', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('linked', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.alter_column('answer_cost_report', server_default=None)
        batch_op.alter_column('answer_execution_period', server_default=None)
        batch_op.alter_column('linked', server_default=None)

    op.create_table('proposals_answer_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_answer_states_component_id_core_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_answer_states')),
    sa.UniqueConstraint('component_id', 'token', name=op.f('uq_proposals_answer_states_component_id_token'))
    )
    op.create_table('proposals_valuator_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_valuator_assignments_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_valuator_assignments_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_proposals_valuator_assignments_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_valuator_assignments')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposals_valuator_assignments_proposal_id_user_id'))
    )
    with op.batch_alter_table('proposals_valuator_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_valuator_assignments_valuator', ['component_id', 'user_id'], unique=False)

    op.create_table('proposals_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_proposals_notes_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_proposals_notes_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals_proposals.id'], name=op.f('fk_proposals_notes_proposal_id_proposals_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_notes'))
    )
    with op.batch_alter_table('proposals_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_notes_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposals_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('from_type', sa.String(length=64), nullable=False),
    sa.Column('from_id', sa.Integer(), nullable=False),
    sa.Column('to_type', sa.String(length=64), nullable=False),
    sa.Column('to_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_proposals_links_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals_links')),
    sa.UniqueConstraint('from_type', 'from_id', 'to_type', 'to_id', 'name', name=op.f('uq_proposals_links_from_type_from_id_to_type_to_id_name'))
    )
    with op.batch_alter_table('proposals_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_links_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_proposals_links_to', ['to_type', 'to_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposals_links', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_links_to')
        batch_op.drop_index(batch_op.f('ix_proposals_links_organization_id'))

    op.drop_table('proposals_links')
    with op.batch_alter_table('proposals_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_notes_proposal_id'))

    op.drop_table('proposals_notes')
    with op.batch_alter_table('proposals_valuator_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_valuator_assignments_valuator')

    op.drop_table('proposals_valuator_assignments')
    op.drop_table('proposals_answer_states')
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.drop_column('linked')
        batch_op.drop_column('answer_execution_period')
        batch_op.drop_column('answer_cost_report')
