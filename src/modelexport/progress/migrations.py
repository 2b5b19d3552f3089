"""Schema migrations: numbered steps that bring any store up to SCHEMA_VERSION.

Each migration runs once, in its own transaction, and is recorded in
`modelexport_schema`. The same steps run on SQLite and PostgreSQL, so both
hold the same tables. A store whose recorded version is newer than this code
knows is refused (an old modelexport must not write rows a new one cannot
read); the message says to upgrade.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from modelexport.errors import StoreError
from modelexport.progress import schema

Migration = Callable[[sa.Connection], None]


def _v1_initial(conn: sa.Connection) -> None:
    """Runs, progress nodes, events, metrics and their indexes."""
    schema.metadata.create_all(conn, tables=[schema.runs, schema.nodes, schema.events, schema.metrics])


#: version -> migration; append, never edit a released one.
MIGRATIONS: dict[int, Migration] = {1: _v1_initial}

assert max(MIGRATIONS) == schema.SCHEMA_VERSION


def current_version(conn: sa.Connection) -> int:
    """The highest applied version; 0 for an empty database."""
    if not sa.inspect(conn).has_table(schema.schema_version.name):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar()
    return int(value or 0)


def upgrade(engine: sa.Engine, *, url: str, clock: Callable[[], float] = time.time) -> int:
    """Apply the missing migrations; returns the version the store is at afterwards."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Two processes opening a fresh database at once: one migrates, the other waits.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7201003)"))
        schema.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"the progress store {url} has schema version {version}, newer than this "
                f"modelexport understands ({schema.SCHEMA_VERSION})",
                hint="upgrade modelexport, or pass --store with another database",
            )
        for number in sorted(MIGRATIONS):
            if number <= version:
                continue
            MIGRATIONS[number](conn)
            conn.execute(sa.insert(schema.schema_version).values(version=number, applied_at=clock()))
            version = number
    return version
