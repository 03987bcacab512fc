"""static pages of the organization

Revision ID: c3a8e51d0f94
Revises: 9d1f3a6b7c52
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'c3a8e51d0f94'
down_revision = '9d1f3a6b7c52'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_static_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('show_in_footer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_static_pages_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_static_pages')),
    sa.UniqueConstraint('organization_id', 'slug', name=op.f('uq_core_static_pages_organization_id_slug'))
    )


def downgrade() -> None:
    op.drop_table('core_static_pages')
