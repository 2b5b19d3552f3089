"""`MemoryStore`: the whole store contract in a few dicts.

Used by tests (a fresh store per test), by HybridStore as its fast local copy,
and with `--store memory://` for a run nobody needs to see afterwards.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from typing import Any

from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord, State
from modelexport.progress.store import RUN_UPDATABLE, Store


class MemoryStore(Store):
    """A thread-safe in-process store; every read returns copies."""

    def __init__(self) -> None:
        self.url = "memory://"
        self._lock = threading.Lock()
        self._runs: dict[str, RunRecord] = {}
        self._nodes: dict[str, dict[str, NodeRecord]] = {}
        self._events: dict[str, dict[int, EventRecord]] = {}
        self._metrics: dict[str, dict[int, MetricSample]] = {}

    def save_run(self, run: RunRecord) -> None:
        with self._lock:
            self._runs[run.id] = copy.deepcopy(run)

    def update_run(self, run_id: str, **changes: Any) -> None:
        unknown = set(changes) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update run fields {sorted(unknown)}")
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                for key, value in changes.items():
                    setattr(run, key, copy.deepcopy(value))

    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> None:
        with self._lock:
            for node in nodes:
                self._nodes.setdefault(node.run_id, {})[node.node_id] = copy.copy(node)

    def append_events(self, events: Sequence[EventRecord]) -> None:
        with self._lock:
            for event in events:
                self._events.setdefault(event.run_id, {}).setdefault(event.seq, copy.copy(event))

    def add_metrics(self, samples: Sequence[MetricSample]) -> None:
        with self._lock:
            for sample in samples:
                self._metrics.setdefault(sample.run_id, {}).setdefault(sample.seq, copy.copy(sample))

    def _sorted_runs(self) -> list[RunRecord]:
        return sorted(self._runs.values(), key=lambda r: (r.started_at, r.id), reverse=True)

    def list_runs(self, *, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        with self._lock:
            runs = [r for r in self._sorted_runs() if status is None or r.status == status]
            return copy.deepcopy(runs[:limit] if limit is not None else runs)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            return copy.deepcopy(self._runs.get(run_id))

    def runs_with_prefix(self, prefix: str, limit: int = 10) -> list[RunRecord]:
        with self._lock:
            found = [r for r in self._sorted_runs() if r.id.startswith(prefix)]
            return copy.deepcopy(found[:limit])

    def runs_named(self, name: str, limit: int = 10) -> list[RunRecord]:
        with self._lock:
            return copy.deepcopy([r for r in self._sorted_runs() if r.name == name][:limit])

    def nodes(self, run_id: str) -> list[NodeRecord]:
        with self._lock:
            found = self._nodes.get(run_id, {}).values()
            return [copy.copy(n) for n in sorted(found, key=lambda n: (n.position, n.node_id))]

    def events(self, run_id: str, *, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        with self._lock:
            found = self._events.get(run_id, {})
            out = [copy.copy(found[s]) for s in sorted(found) if s > after_seq]
            return out[:limit] if limit is not None else out

    def metrics(self, run_id: str, *, limit: int | None = None) -> list[MetricSample]:
        with self._lock:
            found = sorted(self._metrics.get(run_id, {}).values(), key=lambda m: (m.at, m.seq))
            out = found[-limit:] if limit else found
            return [copy.copy(m) for m in out]

    def delete_runs_before(self, before: float) -> int:
        with self._lock:
            doomed = [
                r.id
                for r in self._runs.values()
                if r.started_at < before and (r.status != State.RUNNING.value or r.heartbeat_at < before)
            ]
            for run_id in doomed:
                del self._runs[run_id]
                self._nodes.pop(run_id, None)
                self._events.pop(run_id, None)
                self._metrics.pop(run_id, None)
            return len(doomed)
