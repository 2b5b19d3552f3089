"""`HybridStore`: memory first, the database behind a background thread.

The run never waits on the database and never fails because of it. Every
write lands in a local MemoryStore (what this process reads back) and in an
ordered queue; a writer thread drains the queue into the backend in batches.
When the backend raises StoreError the batch stays at the head of the queue
and is retried every `retry_s`; past `max_buffer` queued operations, new ones
go to a JSONL spill file, read back in order once the queue has drained, so
memory stays bounded during a long outage.

Nothing is lost: `close()` waits up to `close_timeout_s`, then leaves what is
still queued in the spill file, which the next HybridStore on the same spool
folder replays. Nothing is duplicated: operations are idempotent (runs and
nodes are upserts, events and metrics are keyed by (run_id, seq)), so a batch
whose commit succeeded but whose reply was lost is harmless to send again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelexport.errors import StoreError
from modelexport.progress.liveness import process_alive
from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord
from modelexport.progress.store import Store

Op = tuple[str, Any]
"""(method, payload): save_run RunRecord, update_run (run_id, changes), or a list of rows."""

_LIST_OPS = {"upsert_nodes": NodeRecord, "append_events": EventRecord, "add_metrics": MetricSample}


class HybridStore(Store):
    """Writes to memory now and to `backend` soon; reads this process's runs from memory."""

    def __init__(
        self,
        backend: Store,
        *,
        spool_dir: str | os.PathLike[str] | None = None,
        max_buffer: int = 10_000,
        batch_size: int = 500,
        retry_s: float = 1.0,
        close_timeout_s: float = 10.0,
    ) -> None:
        self.backend = backend
        self.url = backend.url
        self.local = MemoryStore()
        self._max_buffer = max_buffer
        self._batch_size = batch_size
        self._retry_s = retry_s
        self._close_timeout_s = close_timeout_s
        self._pending: deque[Op] = deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._busy = False
        self._closed = False
        self.healthy = True
        """False while the backend is refusing writes (since its last failure, until a success)."""
        self._spool_dir = Path(spool_dir) if spool_dir is not None else _default_spool(self.url)
        self._spill_path: Path | None = None
        self._spill_offset = 0
        self._spill_count = 0
        self.failures = 0
        """Batches the backend refused (each retried later)."""
        self.last_error: str | None = None
        self.dropped = 0
        """Operations dropped because the backend rejected them as malformed (never retryable)."""
        self.spill_error: str | None = None
        """Why the spill file could not be written or read, when that happened."""
        self.left_behind: Path | None = None
        """The spill file still holding writes after close(), when the backend stayed away."""
        self._replay_orphans()
        self._thread = threading.Thread(target=self._drain_loop, name="modelexport-hybrid", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ writes
    def save_run(self, run: RunRecord) -> None:
        self.local.save_run(run)
        self._enqueue(("save_run", run))

    def update_run(self, run_id: str, **changes: Any) -> None:
        self.local.update_run(run_id, **changes)
        self._enqueue(("update_run", (run_id, changes)))

    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> None:
        self.local.upsert_nodes(nodes)
        self._enqueue(("upsert_nodes", list(nodes)))

    def append_events(self, events: Sequence[EventRecord]) -> None:
        self.local.append_events(events)
        self._enqueue(("append_events", list(events)))

    def add_metrics(self, samples: Sequence[MetricSample]) -> None:
        self.local.add_metrics(samples)
        self._enqueue(("add_metrics", list(samples)))

    def _enqueue(self, op: Op) -> None:
        with self._cond:
            if self._spill_count or len(self._pending) >= self._max_buffer:
                try:
                    self._spill([op])
                except OSError as exc:
                    self.spill_error = f"cannot spill to {self._spill_path}: {exc}"
                    if self._spill_count:
                        self.dropped += 1  # it would overtake older spilled writes: count it lost
                    else:
                        self._pending.append(op)  # over the bound, but in order and kept
            else:
                self._pending.append(op)
            self._cond.notify()

    # ------------------------------------------------------------------- reads
    def _mine(self, run_id: str) -> bool:
        return self.local.get_run(run_id) is not None

    def list_runs(self, *, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        try:
            return self.backend.list_runs(status=status, limit=limit)
        except StoreError:
            return self.local.list_runs(status=status, limit=limit)

    def get_run(self, run_id: str) -> RunRecord | None:
        return self.local.get_run(run_id) or self.backend.get_run(run_id)

    def runs_with_prefix(self, prefix: str, limit: int = 10) -> list[RunRecord]:
        return self.backend.runs_with_prefix(prefix, limit)

    def runs_named(self, name: str, limit: int = 10) -> list[RunRecord]:
        return self.backend.runs_named(name, limit)

    def nodes(self, run_id: str) -> list[NodeRecord]:
        return self.local.nodes(run_id) if self._mine(run_id) else self.backend.nodes(run_id)

    def events(self, run_id: str, *, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        source = self.local if self._mine(run_id) else self.backend
        return source.events(run_id, after_seq=after_seq, limit=limit)

    def metrics(self, run_id: str, *, limit: int | None = None) -> list[MetricSample]:
        source = self.local if self._mine(run_id) else self.backend
        return source.metrics(run_id, limit=limit)

    def delete_runs_before(self, before: float) -> int:
        self.local.delete_runs_before(before)
        self.flush(self._close_timeout_s)  # queued rows of those runs must not land afterwards
        return self.backend.delete_runs_before(before)

    # ------------------------------------------------------------ backlog state
    @property
    def backlog(self) -> int:
        """Operations not yet in the backend (queued plus spilled)."""
        with self._cond:
            return len(self._pending) + self._spill_count + (1 if self._busy else 0)

    @property
    def spilled(self) -> int:
        """Operations waiting in the spill file (the part of the backlog not in memory)."""
        with self._cond:
            return self._spill_count

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the backend holds every write; False if `timeout` ran out first."""
        with self._cond:
            self._cond.notify_all()
            return self._cond.wait_for(
                lambda: not self._pending and not self._spill_count and not self._busy, timeout
            )

    def close(self) -> None:
        if self._stopping.is_set():
            return
        # A backend that is down will not come back in the next seconds: do not hold up the
        # end of the run waiting for it, spill instead.
        wait = self._close_timeout_s if self.healthy else min(self._close_timeout_s, 1.0)
        self.flush(wait)
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(wait)
        with self._cond:
            self._closed = True  # a batch still in flight is spilled too; replays are idempotent
            if self._pending:
                self._spill_front(list(self._pending))
                self._pending.clear()
            if self._spill_count and self._spill_path is not None:
                self.left_behind = self._spill_path
        with contextlib.suppress(Exception):
            self.backend.close()

    # ------------------------------------------------------------ the drainer
    def _drain_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._spill_count or self._stopping.is_set())
                if not self._pending and self._spill_count:
                    self._load_spill_chunk()
                if not self._pending:
                    if self._stopping.is_set():
                        return
                    continue
                batch = [self._pending[i] for i in range(min(self._batch_size, len(self._pending)))]
                self._busy = True
            done, error = self._apply(batch)
            with self._cond:
                if self._closed:
                    return
                for _ in range(done):
                    self._pending.popleft()
                self._busy = False
                self._cond.notify_all()
            self.healthy = error is None
            if error is not None:
                self.failures += 1
                self.last_error = error
                if self._stopping.wait(self._retry_s):
                    return

    def _apply(self, batch: list[Op]) -> tuple[int, str | None]:
        """Send ops in order, merging runs of the same list op; returns (ops done, error)."""
        done = 0
        index = 0
        while index < len(batch):
            method, payload = batch[index]
            end = index + 1
            if method in _LIST_OPS:
                rows = list(payload)
                while end < len(batch) and batch[end][0] == method:
                    rows.extend(batch[end][1])
                    end += 1
            try:
                if method == "save_run":
                    self.backend.save_run(payload)
                elif method == "update_run":
                    self.backend.update_run(payload[0], **payload[1])
                else:
                    getattr(self.backend, method)(rows)
            except StoreError as exc:
                return done, str(exc)
            except Exception as exc:
                self.dropped += end - index
                self.last_error = f"dropped {method}: {type(exc).__name__}: {exc}"
            done += end - index
            index = end
        return done, None

    # ------------------------------------------------------------- spill file
    def _spill_file(self) -> Path:
        if self._spill_path is None:
            folder = self._spool_dir
            folder.mkdir(parents=True, exist_ok=True)
            self._spill_path = folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        return self._spill_path

    def _spill(self, ops: list[Op]) -> None:
        with open(self._spill_file(), "a", encoding="utf-8") as handle:
            for op in ops:
                handle.write(json.dumps(_op_to_json(op), default=str) + "\n")
        self._spill_count += len(ops)

    def _spill_front(self, ops: list[Op]) -> None:
        """Put `ops` before whatever the spill file still holds (used at close)."""
        path = self._spill_file()
        rest = ""
        if self._spill_count and path.exists():
            with open(path, encoding="utf-8") as handle:
                handle.seek(self._spill_offset)
                rest = handle.read()
        lines = "".join(json.dumps(_op_to_json(op), default=str) + "\n" for op in ops)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(lines + rest, encoding="utf-8")
        os.replace(tmp, path)
        self._spill_offset = 0
        self._spill_count += len(ops)

    def _load_spill_chunk(self) -> None:
        try:
            self._read_spill_chunk()
        except OSError as exc:  # the file vanished or cannot be read: count it, keep draining
            self.spill_error = f"cannot read the spill file {self._spill_path}: {exc}"
            self.dropped += self._spill_count
            self._spill_count = 0
            self._spill_offset = 0

    def _read_spill_chunk(self) -> None:
        path = self._spill_file()
        with open(path, encoding="utf-8") as handle:
            handle.seek(self._spill_offset)
            while len(self._pending) < self._batch_size:
                line = handle.readline()
                if not line:
                    break
                self._spill_offset = handle.tell()
                self._spill_count -= 1
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self._pending.append(_op_from_json(json.loads(line)))
        if self._spill_count <= 0:
            self._spill_count = 0
            self._spill_offset = 0
            path.unlink(missing_ok=True)

    def _replay_orphans(self) -> None:
        """Queue spill files left by processes that have exited, oldest first."""
        folder = self._spool_dir
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime):
            owner = path.name.split("-", 1)[0]
            if owner.isdigit() and (int(owner) == os.getpid() or process_alive(int(owner))):
                continue
            claimed = path.with_name(f"{os.getpid()}-claimed-{path.name}")
            try:
                os.replace(path, claimed)
                ops = [
                    _op_from_json(json.loads(line))
                    for line in claimed.read_text(encoding="utf-8").splitlines()
                    if line
                ]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            with self._cond:
                if self._spill_count:
                    self._spill_front(ops)
                else:
                    self._pending.extendleft(reversed(ops))
                self._cond.notify_all()
            claimed.unlink(missing_ok=True)


def _default_spool(url: str) -> Path:
    """One spool folder per backend, so a spill is only ever replayed into its own store."""
    from modelexport.progress.url import state_dir

    return state_dir() / "spool" / hashlib.sha1(url.encode()).hexdigest()[:12]


def _op_to_json(op: Op) -> dict[str, Any]:
    method, payload = op
    if method == "save_run":
        return {"op": method, "run": payload.to_dict()}
    if method == "update_run":
        return {"op": method, "run_id": payload[0], "changes": payload[1]}
    return {"op": method, "rows": [row.to_dict() for row in payload]}


def _op_from_json(raw: dict[str, Any]) -> Op:
    method = raw["op"]
    if method == "save_run":
        return method, RunRecord.from_dict(raw["run"])
    if method == "update_run":
        return method, (raw["run_id"], raw["changes"])
    row_type = _LIST_OPS[method]
    return method, [row_type.from_dict(row) for row in raw["rows"]]
