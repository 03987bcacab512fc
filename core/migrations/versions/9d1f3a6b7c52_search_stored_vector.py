"""search: on PostgreSQL, the words' tsvector stored and indexed instead of an expression index

Revision ID: 9d1f3a6b7c52
Revises: bf304fc594e4
Create Date: 2026-11-27 09:25:00
"""

from __future__ import annotations

from alembic import op

revision = '9d1f3a6b7c52'
down_revision = 'bf304fc594e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A filter on a stored vector reads it; on the expression it computed to_tsvector for every
    # candidate row (80 ms for a list filtered by state and words at 100,000 proposals).
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_core_search_documents_terms")
    op.execute("ALTER TABLE core_search_documents ADD COLUMN terms_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED")
    op.execute("CREATE INDEX ix_core_search_documents_terms_vector ON core_search_documents USING gin (terms_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_core_search_documents_terms_vector")
    op.execute("ALTER TABLE core_search_documents DROP COLUMN terms_vector")
    op.execute("CREATE INDEX ix_core_search_documents_terms ON core_search_documents "
               "USING gin (to_tsvector('simple', terms))")
