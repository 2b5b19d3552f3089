"""Fixtures for the progress tests: every store kind, a private PostgreSQL schema, a fake clock.

PostgreSQL tests use the server at 127.0.0.1:5432 (trust auth, database
`test`), each in a schema of its own that is dropped afterwards. Without the
server they skip, with the way to provide it; under CI=true they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelexport.progress.hybrid import HybridStore
from modelexport.progress.memory import MemoryStore
from modelexport.progress.sql import SQLStore
from modelexport.progress.store import Store
from tests.conftest import in_ci

PG_HOST = os.environ.get("MODELEXPORT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MODELEXPORT_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("MODELEXPORT_TEST_PG_DB", "test")
HOW_TO_PROVIDE = (
    f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (database {PG_DB!r}, "
    "user postgres or root, trust auth); start it, or set MODELEXPORT_TEST_PG_HOST/"
    "_PORT/_DB to one that is"
)


class FakeClock:
    """A clock tests move by hand, so coalescing and staleness are exact."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _pg_user() -> str | None:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=PG_DB, connect_timeout=3):
                return user
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def pg_user() -> str:
    user = _pg_user()
    if user is None:
        if in_ci():
            pytest.fail(HOW_TO_PROVIDE)
        pytest.skip(HOW_TO_PROVIDE)
    return user


@pytest.fixture
def pg_url(pg_user: str) -> Iterator[str]:
    """A store URL whose tables live in a fresh schema, dropped after the test."""
    import psycopg

    schema = f"mx_test_{uuid.uuid4().hex[:12]}"
    dsn = {"host": PG_HOST, "port": PG_PORT, "user": pg_user, "dbname": PG_DB}
    with psycopg.connect(**dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (f"postgresql+psycopg://{pg_user}@{PG_HOST}:{PG_PORT}/{PG_DB}?options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(**dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(params=["memory", "sqlite", "postgresql", "hybrid-sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store kind in turn, fresh and empty."""
    kind = request.param
    if kind == "memory":
        made: Store = MemoryStore()
    elif kind == "sqlite":
        made = SQLStore(request.getfixturevalue("sqlite_url"))
    elif kind == "postgresql":
        made = SQLStore(request.getfixturevalue("pg_url"))
    else:
        made = _SyncHybrid(SQLStore(request.getfixturevalue("sqlite_url")), spool_dir=tmp_path / "spool")
    try:
        yield made
    finally:
        made.close()


class _SyncHybrid(HybridStore):
    """A HybridStore whose reads wait for the backend, so the contract reads the database."""

    def _mine(self, run_id: str) -> bool:
        self.flush(10)
        return False

    def list_runs(self, **kwargs):  # type: ignore[no-untyped-def]
        self.flush(10)
        return super().list_runs(**kwargs)

    def runs_with_prefix(self, prefix: str, limit: int = 10):  # type: ignore[no-untyped-def]
        self.flush(10)
        return super().runs_with_prefix(prefix, limit)

    def runs_named(self, name: str, limit: int = 10):  # type: ignore[no-untyped-def]
        self.flush(10)
        return super().runs_named(name, limit)

    def get_run(self, run_id: str):  # type: ignore[no-untyped-def]
        self.flush(10)
        return self.backend.get_run(run_id)
