"""proposals category and scope

Revision ID: 5b2c3d4e5f62
Revises: 4a1b2c3d4e51
Create Date: 2026-11-27 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '5b2c3d4e5f62'
down_revision = '4a1b2c3d4e51'
branch_labels = None
depends_on = 'c9f4a6b32d53'
"""Core's categories and scopes, which the new columns point at."""

COLUMNS = (("category_id", "core_categories"), ("scope_id", "core_scopes"))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, table in COLUMNS:
        name = f"fk_proposals_proposals_{column}_{table}"
        if sqlite:
            # A plain ADD COLUMN: batch mode would copy the table and drop the original, and with foreign keys
            # on, that drop deletes every support on the way (ON DELETE CASCADE).
            op.execute(f"ALTER TABLE proposals_proposals ADD COLUMN {column} INTEGER "
                       f"CONSTRAINT {name} REFERENCES {table} (id)")
        else:
            op.add_column('proposals_proposals', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(name, 'proposals_proposals', table, [column], ['id'])
        op.create_index(f"ix_proposals_proposals_{column}", 'proposals_proposals', [column], unique=False)


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
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, table in reversed(COLUMNS):
        op.drop_index(f"ix_proposals_proposals_{column}", table_name='proposals_proposals')
        if sqlite:
            _drop_sqlite_column('proposals_proposals', column)
        else:
            op.drop_constraint(f"fk_proposals_proposals_{column}_{table}", 'proposals_proposals', type_='foreignkey')
            op.drop_column('proposals_proposals', column)
