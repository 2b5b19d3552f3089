"""Tests for SQLStore: SQLite specifics and errors mapped to modelexport's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from modelexport.errors import StoreError, UsageError
from modelexport.progress.records import RunRecord
from modelexport.progress.sql import SQLStore


def _run(run_id: str = "r") -> RunRecord:
    return RunRecord(
        id=run_id,
        name="n",
        command="export",
        host="h",
        pid=1,
        started_at=1.0,
        heartbeat_at=1.0,
        heartbeat_s=5.0,
    )


def test_sqlite_store_uses_wal_and_creates_its_folder(tmp_path: Path) -> None:
    """The SQLite file is created with its parent folders and in WAL mode."""
    path = tmp_path / "deep" / "er" / "monitor.db"
    store = SQLStore(f"sqlite:///{path}")
    store.save_run(_run())
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_reader_sees_the_writers_rows(sqlite_url: str) -> None:
    """Two stores on one file (writer and `monitor`) see the same runs."""
    writer, reader = SQLStore(sqlite_url), SQLStore(sqlite_url)
    writer.save_run(_run())
    assert [r.id for r in reader.list_runs()] == ["r"]
    writer.close()
    reader.close()


def test_locked_sqlite_file_is_a_store_error_naming_the_fix(tmp_path: Path) -> None:
    """A file held by another process's write lock gives StoreError saying what to do."""
    path = tmp_path / "monitor.db"
    with SQLStore(f"sqlite:///{path}") as first:
        first.save_run(_run())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = SQLStore(f"sqlite:///{path}", busy_timeout_s=0.1)
        with pytest.raises(StoreError, match="locked by another process") as info:
            store.save_run(_run("other"))
        store.close()
        assert "pass --store" in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_unreachable_postgresql_is_a_store_error_naming_the_fix() -> None:
    """A PostgreSQL URL nobody listens on gives StoreError telling to start the server."""
    store = SQLStore("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_timeout_s=1)
    with pytest.raises(StoreError, match="cannot reach the PostgreSQL store") as info:
        store.list_runs()
    store.close()
    assert "start the server" in str(info.value)


def test_password_never_appears_in_errors() -> None:
    """Error messages redact the password of the store URL."""
    store = SQLStore("postgresql://me:s3cret@127.0.0.1:9/none", connect_timeout_s=1)
    with pytest.raises(StoreError) as info:
        store.list_runs()
    store.close()
    assert "s3cret" not in str(info.value) and "me:***@" in str(info.value)


def test_sqlite_without_a_path_is_a_usage_error() -> None:
    """sqlite:// with no file is bad input, reported as such."""
    with pytest.raises(UsageError, match="needs a file path"):
        SQLStore("sqlite://").list_runs()


def test_store_recovers_after_a_failed_first_use(tmp_path: Path) -> None:
    """Opening is lazy: a store that failed once works once its file becomes writable."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    store = SQLStore(f"sqlite:///{blocker}/monitor.db")
    with pytest.raises(StoreError):
        store.save_run(_run())
    blocker.unlink()
    blocker.mkdir()
    with SQLStore(f"sqlite:///{blocker}/monitor.db") as store:
        store.save_run(_run())
        assert store.get_run("r") is not None


def test_postgresql_store_round_trips(pg_url: str) -> None:
    """The PostgreSQL store keeps a run with its meta in the test's own schema."""
    store = SQLStore(pg_url)
    run = _run()
    run.meta = {"model": "bert", "nested": {"a": [1, 2]}}
    store.save_run(run)
    assert store.get_run("r") == run
    store.close()
