"""areas: area types and areas per organization, an area per space

Revision ID: e8f3a4b5c6d7
Revises: d7e2f3a4b5c6
Create Date: 2026-11-27 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e8f3a4b5c6d7'
down_revision = 'd7e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_area_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('plural', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_area_types_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_area_types'))
    )
    op.create_index(op.f('ix_core_area_types_organization_id'), 'core_area_types', ['organization_id'], unique=False)

    op.create_table('core_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('area_type_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['core_organizations.id'], name=op.f('fk_core_areas_organization_id_core_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['area_type_id'], ['core_area_types.id'], name=op.f('fk_core_areas_area_type_id_core_area_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_areas'))
    )
    op.create_index(op.f('ix_core_areas_organization_id'), 'core_areas', ['organization_id'], unique=False)
    op.create_index(op.f('ix_core_areas_area_type_id'), 'core_areas', ['area_type_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN with its foreign key inline (SQLite cannot add a constraint afterwards, and a batch
        # rebuild of core_spaces would cascade-delete every component, phase and follow of every space).
        op.execute("ALTER TABLE core_spaces ADD COLUMN area_id INTEGER "
                   "CONSTRAINT fk_core_spaces_area_id_core_areas REFERENCES core_areas (id) ON DELETE SET NULL")
    else:
        op.add_column('core_spaces', sa.Column('area_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_core_spaces_area_id_core_areas'), 'core_spaces', 'core_areas', ['area_id'],
                              ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_core_spaces_area_id'), 'core_spaces', ['area_id'], unique=False)


def _drop_sqlite_column(table: str, column: str) -> None:
    """DROP COLUMN takes the column's own inline foreign key with it and keeps the rows. Once a later revision
    has rebuilt the table in batch mode, the key is a table constraint that DROP COLUMN cannot edit, and only a
    rebuild removes it (see the revision of scopes)."""
    try:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    except sa.exc.OperationalError:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)


def downgrade() -> None:
    op.drop_index(op.f('ix_core_spaces_area_id'), table_name='core_spaces')
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite_column('core_spaces', 'area_id')
    else:
        op.drop_constraint(op.f('fk_core_spaces_area_id_core_areas'), 'core_spaces', type_='foreignkey')
        op.drop_column('core_spaces', 'area_id')

    op.drop_index(op.f('ix_core_areas_area_type_id'), table_name='core_areas')
    op.drop_index(op.f('ix_core_areas_organization_id'), table_name='core_areas')
    op.drop_table('core_areas')

    op.drop_index(op.f('ix_core_area_types_organization_id'), table_name='core_area_types')
    op.drop_table('core_area_types')
