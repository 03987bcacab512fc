"""search documents, with SQLite FTS5 or a PostgreSQL full-text index

Revision ID: 5e4c1f0a7b21
Revises: 503aa44360e9
Create Date: 2026-11-27 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5e4c1f0a7b21'
down_revision = '503aa44360e9'
branch_labels = None
depends_on = None

# The full-text part lives only here (the metadata cannot describe it); core/search/services.py
# queries it: FTS5 over ``terms`` on SQLite, a GIN index of to_tsvector('simple', terms) on PostgreSQL.
# ``terms`` is already lower-cased and stripped of accents by Python, so both match the same words.
SQLITE_FTS = [
    ("CREATE VIRTUAL TABLE core_search_fts USING fts5(terms, content='core_search_documents', "
     "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"),
    ("CREATE TRIGGER core_search_documents_ai AFTER INSERT ON core_search_documents BEGIN "
     "INSERT INTO core_search_fts(rowid, terms) VALUES (new.id, new.terms); END"),
    ("CREATE TRIGGER core_search_documents_ad AFTER DELETE ON core_search_documents BEGIN "
     "INSERT INTO core_search_fts(core_search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END"),
    ("CREATE TRIGGER core_search_documents_au AFTER UPDATE ON core_search_documents BEGIN "
     "INSERT INTO core_search_fts(core_search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
     "INSERT INTO core_search_fts(rowid, terms) VALUES (new.id, new.terms); END"),
]
POSTGRESQL_FTS = [
    "CREATE INDEX ix_core_search_documents_terms ON core_search_documents USING gin (to_tsvector('simple', terms))",
]


def upgrade() -> None:
    op.create_table('core_search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=100), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('parent_type', sa.String(length=100), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], ['core_components.id'], name=op.f('fk_core_search_documents_component_id_core_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_search_documents_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_search_documents_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_search_documents')),
    sa.UniqueConstraint('resource_type', 'resource_id', name=op.f('uq_core_search_documents_resource_type_resource_id')),
    )
    with op.batch_alter_table('core_search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_core_search_documents_organization', ['organization_id', 'resource_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_search_documents_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_search_documents_space_id'), ['space_id'], unique=False)
    for statement in SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE core_search_fts")
    with op.batch_alter_table('core_search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_search_documents_space_id'))
        batch_op.drop_index(batch_op.f('ix_core_search_documents_component_id'))
        batch_op.drop_index('ix_core_search_documents_organization')
    op.drop_table('core_search_documents')
