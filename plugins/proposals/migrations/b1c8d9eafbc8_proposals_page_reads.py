"""proposals: indexes for the proposal page and the index

Revision ID: b1c8d9eafbc8
Revises: a0b7c8d9eab7
Create Date: 2026-11-27 17:00:00

The proposal's page reads the collaborative draft it was published from with the proposal itself
(services.proposal_and_support), by the draft's ``proposal_id``: this index makes that a lookup.
"""

from __future__ import annotations

from alembic import op

revision = 'b1c8d9eafbc8'
down_revision = 'a0b7c8d9eab7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_proposals_collaborative_drafts_proposal_id', 'proposals_collaborative_drafts',
                    ['proposal_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_proposals_collaborative_drafts_proposal_id', table_name='proposals_collaborative_drafts')
