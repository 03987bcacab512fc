"""terms version in force

Revision ID: 5842d2d8ce0f
Revises: b61c39f6c396
Create Date: 2026-11-27 03:20:05.892651
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '5842d2d8ce0f'
down_revision = 'b61c39f6c396'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=True))
    # Organizations that already published terms: the newest version is the one in force.
    op.execute(
        "UPDATE core_organizations SET terms_version = (SELECT MAX(version) FROM core_terms_of_use "
        "WHERE core_terms_of_use.organization_id = core_organizations.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('core_organizations', schema=None) as batch_op:
        batch_op.drop_column('terms_version')

