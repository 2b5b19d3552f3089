"""`SQLStore`: the store on SQLAlchemy Core, for SQLite (the default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so a `monitor watch` reading the
file never blocks the export writing it. The connection is opened and the
schema migrated lazily, on first use: a store that cannot be reached raises
`StoreError` from that call and the next call tries again, which is what lets
HybridStore ride out a database that comes back later.

Every SQLAlchemy and driver error is caught here and re-raised as
`StoreError` with the fix in its message (start the server, check the URL,
wait for the process holding the SQLite lock).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from modelexport.errors import StoreError, UsageError
from modelexport.progress import migrations, schema
from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord, State
from modelexport.progress.store import RUN_UPDATABLE, Store
from modelexport.progress.url import normalise, redact


class SQLStore(Store):
    """A SQLite file or a PostgreSQL database, through one code path."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = normalise(url)
        self._clock = clock
        self._busy_timeout_s = busy_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._engine: sa.Engine | None = None
        self._ready = False
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- plumbing
    @property
    def dialect(self) -> str:
        return self.url.split("://", 1)[0].split("+", 1)[0]

    @property
    def engine(self) -> sa.Engine:
        """The engine, created on first use (creation itself never connects)."""
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> sa.Engine:
        try:
            parsed = sa.make_url(self.url)
        except sa_exc.ArgumentError as exc:
            raise UsageError(f"malformed store URL {redact(self.url)}: {exc}") from None
        if self.dialect == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                raise UsageError(
                    "a SQLite store needs a file path", hint="use sqlite:///path/to/monitor.db, or memory://"
                )
            path = Path(database).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the SQLite store {path}: {exc}",
                    hint="pass --store with a writable location",
                ) from None
            engine = sa.create_engine(
                parsed.set(database=str(path)),
                connect_args={"timeout": self._busy_timeout_s, "check_same_thread": False},
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        try:
            return sa.create_engine(
                parsed,
                pool_pre_ping=True,
                pool_size=2,
                max_overflow=4,
                connect_args={"connect_timeout": max(1, int(self._connect_timeout_s))},
            )
        except (sa_exc.NoSuchModuleError, ModuleNotFoundError):
            raise StoreError(
                "PostgreSQL stores need psycopg 3", hint="pip install 'modelexport[postgres]'"
            ) from None

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            for attempt in range(3):
                try:
                    migrations.upgrade(self.engine, url=redact(self.url), clock=self._clock)
                    break
                except sa_exc.SQLAlchemyError as exc:
                    # Another process migrating the same fresh file: look again.
                    if attempt == 2 or "already exists" not in str(exc):
                        raise self._translate(exc) from None
            self._ready = True

    @contextlib.contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        """A transaction, with every database error turned into StoreError."""
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: BaseException) -> StoreError:
        where = redact(self.url)
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        lowered = text.lower()
        if "locked" in lowered:
            return StoreError(
                f"the SQLite store {where} is locked by another process ({text})",
                hint="wait for that process, or pass --store with another file",
            )
        if "unable to open database" in lowered or "readonly" in lowered:
            return StoreError(
                f"cannot open the SQLite store {where} ({text})",
                hint="check the path and its permissions, or pass --store",
            )
        unreachable = isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
        if self.dialect == "postgresql" and unreachable:
            return StoreError(
                f"cannot reach the PostgreSQL store {where} ({text})",
                hint="start the server, check host, port, user and database in "
                "the URL, or pass --store / MODELEXPORT_STORE",
            )
        return StoreError(f"progress store {where} failed: {text}")

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has on_conflict_do_nothing/do_update."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # ------------------------------------------------------------------ writes
    def save_run(self, run: RunRecord) -> None:
        row = _run_row(run)
        stmt = self._insert(schema.runs).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[schema.runs.c.id],
            set_={k: stmt.excluded[k] for k in row if k != "id"},
        )
        with self._begin() as conn:
            conn.execute(stmt)

    def update_run(self, run_id: str, **changes: Any) -> None:
        unknown = set(changes) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update run fields {sorted(unknown)}")
        if "meta" in changes:
            changes["meta"] = json.dumps(changes["meta"], default=str)
        with self._begin() as conn:
            conn.execute(sa.update(schema.runs).where(schema.runs.c.id == run_id).values(changes))

    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> None:
        if not nodes:
            return
        latest = {(n.run_id, n.node_id): n for n in nodes}  # one row per key per statement
        rows = [n.to_dict() for n in latest.values()]
        stmt = self._insert(schema.nodes)
        keys = ("run_id", "node_id")
        stmt = stmt.on_conflict_do_update(
            index_elements=[schema.nodes.c.run_id, schema.nodes.c.node_id],
            set_={c.name: stmt.excluded[c.name] for c in schema.nodes.c if c.name not in keys},
        )
        with self._begin() as conn:
            conn.execute(stmt, rows)

    def append_events(self, events: Sequence[EventRecord]) -> None:
        if events:
            self._append(schema.events, [e.to_dict() for e in events])

    def add_metrics(self, samples: Sequence[MetricSample]) -> None:
        if samples:
            self._append(schema.metrics, [s.to_dict() for s in samples])

    def _append(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        stmt = self._insert(table).on_conflict_do_nothing(index_elements=[table.c.run_id, table.c.seq])
        with self._begin() as conn:
            conn.execute(stmt, rows)

    # ------------------------------------------------------------------- reads
    def _runs(self, where: Any = None, limit: int | None = None) -> list[RunRecord]:
        query = sa.select(schema.runs).order_by(schema.runs.c.started_at.desc(), schema.runs.c.id.desc())
        if where is not None:
            query = query.where(where)
        if limit is not None:
            query = query.limit(limit)
        with self._begin() as conn:
            return [_run_from_row(r._mapping) for r in conn.execute(query)]

    def list_runs(self, *, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        where = schema.runs.c.status == status if status is not None else None
        return self._runs(where, limit)

    def get_run(self, run_id: str) -> RunRecord | None:
        found = self._runs(schema.runs.c.id == run_id, 1)
        return found[0] if found else None

    def runs_with_prefix(self, prefix: str, limit: int = 10) -> list[RunRecord]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._runs(schema.runs.c.id.like(f"{escaped}%", escape="\\"), limit)

    def runs_named(self, name: str, limit: int = 10) -> list[RunRecord]:
        return self._runs(schema.runs.c.name == name, limit)

    def nodes(self, run_id: str) -> list[NodeRecord]:
        t = schema.nodes
        query = sa.select(t).where(t.c.run_id == run_id).order_by(t.c.position, t.c.node_id)
        with self._begin() as conn:
            return [NodeRecord.from_dict(dict(r._mapping)) for r in conn.execute(query)]

    def events(self, run_id: str, *, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        t = schema.events
        query = sa.select(t).where(t.c.run_id == run_id, t.c.seq > after_seq).order_by(t.c.seq).limit(limit)
        with self._begin() as conn:
            return [EventRecord.from_dict(dict(r._mapping)) for r in conn.execute(query)]

    def metrics(self, run_id: str, *, limit: int | None = None) -> list[MetricSample]:
        t = schema.metrics
        query = sa.select(t).where(t.c.run_id == run_id)
        if limit:
            query = query.order_by(t.c.at.desc(), t.c.seq.desc()).limit(limit)
        with self._begin() as conn:
            found = [MetricSample.from_dict(dict(r._mapping)) for r in conn.execute(query)]
        return sorted(found, key=lambda m: (m.at, m.seq))

    # ------------------------------------------------------------- maintenance
    def delete_runs_before(self, before: float) -> int:
        r = schema.runs
        doomed = sa.select(r.c.id).where(
            r.c.started_at < before,
            sa.or_(r.c.status != State.RUNNING.value, r.c.heartbeat_at < before),
        )
        with self._begin() as conn:
            ids = [row[0] for row in conn.execute(doomed)]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for table in schema.RUN_TABLES:
                    conn.execute(sa.delete(table).where(table.c.run_id.in_(chunk)))
                conn.execute(sa.delete(r).where(r.c.id.in_(chunk)))
        return len(ids)

    def close(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers and the writer work at once; NORMAL sync is safe under WAL."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _run_row(run: RunRecord) -> dict[str, Any]:
    row = run.to_dict()
    row["meta"] = json.dumps(run.meta, default=str)
    return row


def _run_from_row(row: Any) -> RunRecord:
    raw = dict(row)
    try:
        raw["meta"] = json.loads(raw.get("meta") or "{}")
    except ValueError:
        raw["meta"] = {}
    return RunRecord.from_dict(raw)
