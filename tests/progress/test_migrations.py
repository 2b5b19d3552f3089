"""Tests for schema migrations: fresh stores, repeat opens, newer stores refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from modelexport.errors import StoreError
from modelexport.progress import migrations, schema
from modelexport.progress.sql import SQLStore


def _touch(url: str) -> None:
    with SQLStore(url) as store:
        store.list_runs()


def _tables(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    names = inspector.get_table_names()
    out = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in names}
    out["indexes"] = sorted(
        i["name"] for t in inspector.get_table_names() for i in inspector.get_indexes(t) if i["name"]
    )
    engine.dispose()
    return out


def test_fresh_store_is_migrated_to_the_current_version(sqlite_url: str) -> None:
    """The first use creates every table and records the schema version."""
    _touch(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert migrations.current_version(conn) == schema.SCHEMA_VERSION
    engine.dispose()
    assert {"runs", "progress_nodes", "events", "metrics"} <= set(_tables(sqlite_url))


def test_upgrade_twice_is_a_no_op(sqlite_url: str) -> None:
    """Opening an up-to-date store applies nothing and records no extra version."""
    engine = sa.create_engine(sqlite_url)
    assert migrations.upgrade(engine, url=sqlite_url) == schema.SCHEMA_VERSION
    assert migrations.upgrade(engine, url=sqlite_url) == schema.SCHEMA_VERSION
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.schema_version))
        assert count.scalar() == 1
    engine.dispose()


def test_store_from_a_newer_modelexport_is_refused(sqlite_url: str) -> None:
    """A store at a schema version this code does not know raises StoreError saying upgrade."""
    _touch(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.schema_version).values(version=99, applied_at=0.0))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 99") as info:
        _touch(sqlite_url)
    assert "upgrade modelexport" in str(info.value)


def test_sqlite_and_postgresql_get_the_same_schema(sqlite_url: str, pg_url: str) -> None:
    """Both databases end with the same tables, columns and indexes."""
    _touch(sqlite_url)
    _touch(pg_url)
    pg = _tables(pg_url)
    lite = _tables(sqlite_url)
    assert pg == lite
