"""What every table of the hub has, written once for the migration versions.

Each table has an integer `id` primary key; references point at another table's `id`; UTC
timestamps use `hub.timestamps.UTCDateTime`; constraints and indexes carry the names the
models' naming convention gives them (`hub.extensions.NAMING_CONVENTION`), spelled out here
with `op.f` so a version never depends on today's convention. A version then lists only its
own columns.

The versions are history: each must build the same schema forever. Never change what a
helper here builds; add another helper instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.timestamps import UTCDateTime


def timestamp() -> UTCDateTime:
    """The column type of a UTC timestamp."""
    return UTCDateTime(timezone=True)


def reference(name: str, table: str, *, ondelete: str | None = None, nullable: bool = False) -> sa.Column:
    """An integer column pointing at `table.id`; `create_table` adds its named foreign key."""
    return sa.Column(name, sa.Integer(), nullable=nullable, info={"references": (table, ondelete)})


def create_table(
    name: str, *columns: sa.Column, unique: Sequence[Sequence[str]] = (), indexes: Sequence[str] = ()
) -> None:
    """Create table `name`: `id`, then `columns`; its foreign keys (one per `reference` column),
    primary key and `unique` constraints; and a one-column index on each of `indexes`."""
    foreign_keys = [
        sa.ForeignKeyConstraint(
            [column.name], [f"{target}.id"], name=op.f(f"fk_{name}_{column.name}_{target}"), ondelete=ondelete
        )
        for column in sorted(columns, key=lambda column: column.name)
        if "references" in column.info
        for target, ondelete in [column.info["references"]]
    ]
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        *columns,
        *foreign_keys,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*names, name=op.f(f"uq_{name}_{'_'.join(names)}")) for names in unique),
    )
    if indexes:
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column_name in indexes:
                batch_op.create_index(batch_op.f(f"ix_{name}_{column_name}"), [column_name], unique=False)



def key_reference(
    name: str, column_type: sa.types.TypeEngine, table: str, key: str, *, ondelete: str | None = None,
    nullable: bool = False,
) -> sa.Column:
    """A column pointing at `table.key`, a key other than `id`; `create_keyed_table` adds its
    named foreign key."""
    return sa.Column(name, column_type, nullable=nullable, info={"references_key": (table, key, ondelete)})


def create_keyed_table(
    name: str, primary_key: str, *columns: sa.Column, unique: Sequence[Sequence[str]] = (),
    indexes: Sequence[str] = (),
) -> None:
    """Create table `name` whose primary key is its column `primary_key` (a code, or a one-to-one
    reference), not an `id`: `columns`, their named foreign keys (`reference` and
    `key_reference` columns), `unique` constraints and one-column `indexes`."""
    foreign_keys = []
    for column in sorted(columns, key=lambda column: column.name):
        if "references" in column.info:
            (target, ondelete), key = column.info["references"], "id"
        elif "references_key" in column.info:
            target, key, ondelete = column.info["references_key"]
        else:
            continue
        foreign_keys.append(sa.ForeignKeyConstraint(
            [column.name], [f"{target}.{key}"], name=op.f(f"fk_{name}_{column.name}_{target}"), ondelete=ondelete
        ))
    op.create_table(
        name,
        *columns,
        *foreign_keys,
        sa.PrimaryKeyConstraint(primary_key, name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*names, name=op.f(f"uq_{name}_{'_'.join(names)}")) for names in unique),
    )
    if indexes:
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column_name in indexes:
                batch_op.create_index(batch_op.f(f"ix_{name}_{column_name}"), [column_name], unique=False)
