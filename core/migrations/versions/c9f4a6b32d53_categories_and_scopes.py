"""categories and scopes

Revision ID: c9f4a6b32d53
Revises: b8e3f5a21c42
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'c9f4a6b32d53'
down_revision = 'b8e3f5a21c42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_scope_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_scope_types_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_scope_types'))
    )
    with op.batch_alter_table('core_scope_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_scope_types_organization_id'), ['organization_id'], unique=False)

    op.create_table('core_scopes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('scope_type_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_scopes_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['core_scopes.id'], name=op.f('fk_core_scopes_parent_id_core_scopes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scope_type_id'], ['core_scope_types.id'], name=op.f('fk_core_scopes_scope_type_id_core_scope_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_scopes')),
    sa.UniqueConstraint('organization_id', 'code', name=op.f('uq_core_scopes_organization_id_code'))
    )
    with op.batch_alter_table('core_scopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_scopes_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_scopes_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_scopes_scope_type_id'), ['scope_type_id'], unique=False)

    op.create_table('core_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['core_categories.id'], name=op.f('fk_core_categories_parent_id_core_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['core_spaces.id'], name=op.f('fk_core_categories_space_id_core_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_categories'))
    )
    with op.batch_alter_table('core_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_categories_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_categories_space_id'), ['space_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN: batch mode would copy core_spaces and drop the original, and with foreign keys
        # on, that drop deletes every component, phase and follow of every space on the way (ON DELETE CASCADE).
        op.execute("ALTER TABLE core_spaces ADD COLUMN scope_id INTEGER "
                   "CONSTRAINT fk_core_spaces_scope_id_core_scopes REFERENCES core_scopes (id)")
    else:
        op.add_column('core_spaces', sa.Column('scope_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_core_spaces_scope_id_core_scopes'), 'core_spaces', 'core_scopes', ['scope_id'], ['id'])
    op.create_index(op.f('ix_core_spaces_scope_id'), 'core_spaces', ['scope_id'], unique=False)

    # No foreign key: the index is derived data, and on SQLite adding one would copy the table and lose the
    # full-text triggers. A scope id that names no scope any more simply matches nothing.
    op.add_column('core_search_documents', sa.Column('scope_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_core_search_documents_scope_id'), 'core_search_documents', ['scope_id'], unique=False)


def _drop_sqlite_column(table: str, column: str) -> None:
    """DROP COLUMN takes the column's own inline foreign key with it and keeps the rows that point at the
    table. Once a later revision has rebuilt the table in batch mode, the key is a table constraint that
    DROP COLUMN cannot edit, and only a rebuild removes it (which, foreign keys being on, empties the
    tables that cascade from this one)."""
    try:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    except sa.exc.OperationalError:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)


def downgrade() -> None:
    op.drop_index(op.f('ix_core_search_documents_scope_id'), table_name='core_search_documents')
    op.drop_column('core_search_documents', 'scope_id')

    op.drop_index(op.f('ix_core_spaces_scope_id'), table_name='core_spaces')
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite_column('core_spaces', 'scope_id')
    else:
        op.drop_constraint(op.f('fk_core_spaces_scope_id_core_scopes'), 'core_spaces', type_='foreignkey')
        op.drop_column('core_spaces', 'scope_id')

    with op.batch_alter_table('core_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_categories_space_id'))
        batch_op.drop_index(batch_op.f('ix_core_categories_parent_id'))
    op.drop_table('core_categories')

    with op.batch_alter_table('core_scopes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_scopes_scope_type_id'))
        batch_op.drop_index(batch_op.f('ix_core_scopes_parent_id'))
        batch_op.drop_index(batch_op.f('ix_core_scopes_organization_id'))
    op.drop_table('core_scopes')

    with op.batch_alter_table('core_scope_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_scope_types_organization_id'))
    op.drop_table('core_scope_types')
