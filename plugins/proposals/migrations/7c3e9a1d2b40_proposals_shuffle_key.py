"""proposals: a stored shuffle key for the random order, an index for the most supported order, and
whether each participant's supports count

Revision ID: 7c3e9a1d2b40
Revises: d40b6b2de029
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '7c3e9a1d2b40'
down_revision = 'd40b6b2de029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shuffle', sa.Integer(), nullable=False, server_default='0'))
    # Existing proposals draw their number here, as new ones do in Python (below 2**31).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE proposals_proposals SET shuffle = abs(random() % 2147483648)")
    else:
        op.execute("UPDATE proposals_proposals SET shuffle = floor(random() * 2147483648)::int")
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.alter_column('shuffle', server_default=None)
        batch_op.create_index('ix_proposals_proposals_shuffled', ['component_id', 'state', 'shuffle'], unique=False)
        batch_op.create_index('ix_proposals_proposals_supported', ['component_id', 'state', 'supports_count'],
                              unique=False)
    with op.batch_alter_table('proposals_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counting', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Until now whether supports counted followed the component's minimum in force.
    bind = op.get_bind()
    for component_id, settings in bind.execute(sa.text(
            "SELECT id, settings FROM core_components WHERE component_type = 'proposals'")).all():
        settings = json.loads(settings) if isinstance(settings, str) else (settings or {})
        bind.execute(sa.text("UPDATE proposals_participants SET counting = (supports_given >= :minimum) "
                             "WHERE component_id = :component_id"),
                     {"minimum": int(settings.get("minimum_supports_per_participant") or 0),
                      "component_id": component_id})
    with op.batch_alter_table('proposals_participants', schema=None) as batch_op:
        batch_op.alter_column('counting', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('proposals_participants', schema=None) as batch_op:
        batch_op.drop_column('counting')
    with op.batch_alter_table('proposals_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_proposals_supported')
        batch_op.drop_index('ix_proposals_proposals_shuffled')
        batch_op.drop_column('shuffle')
