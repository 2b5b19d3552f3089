"""`Store`: the one small base class every progress backend implements.

The contract (ARCHITECTURE.md, "Progress store"): `runs` with heartbeat, host
and pid; one current-state row per progress node, upserted; append-only
`events`; resource `metrics`. Writes are idempotent (runs and nodes are
upserts, events and metrics are keyed by (run_id, seq) and a repeated key is
ignored), which is what lets HybridStore replay a batch whose outcome it never
learned without storing anything twice.

Errors: a backend raises `StoreError` (cannot reach or use the store) or
`UsageError` (the URL itself is wrong); never a third-party exception.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord

#: Run fields `update_run` may change.
RUN_UPDATABLE = frozenset({"status", "error", "finished_at", "heartbeat_at", "name", "meta"})


class Store(ABC):
    """A place runs are recorded; shared by the writer process and every reader."""

    url: str = ""

    # ------------------------------------------------------------------- writes
    @abstractmethod
    def save_run(self, run: RunRecord) -> None:
        """Insert the run, or replace every field of an existing row with the same id."""

    @abstractmethod
    def update_run(self, run_id: str, **changes: Any) -> None:
        """Change some fields of a run (see RUN_UPDATABLE); an unknown run is ignored."""

    def heartbeat(self, run_id: str, at: float) -> None:
        """The run's process is alive at `at`."""
        self.update_run(run_id, heartbeat_at=at)

    @abstractmethod
    def upsert_nodes(self, nodes: Sequence[NodeRecord]) -> None:
        """Insert or replace each node's current state, keyed by (run_id, node_id)."""

    @abstractmethod
    def append_events(self, events: Sequence[EventRecord]) -> None:
        """Append events; one whose (run_id, seq) is already stored is skipped."""

    @abstractmethod
    def add_metrics(self, samples: Sequence[MetricSample]) -> None:
        """Append resource samples; one whose (run_id, seq) is already stored is skipped."""

    # -------------------------------------------------------------------- reads
    @abstractmethod
    def list_runs(self, *, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first; `status` filters on the stored status."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None: ...

    @abstractmethod
    def runs_with_prefix(self, prefix: str, limit: int = 10) -> list[RunRecord]:
        """Runs whose id starts with `prefix`, newest first."""

    @abstractmethod
    def runs_named(self, name: str, limit: int = 10) -> list[RunRecord]:
        """Runs with exactly this name, newest first."""

    @abstractmethod
    def nodes(self, run_id: str) -> list[NodeRecord]:
        """The run's nodes in creation order."""

    @abstractmethod
    def events(self, run_id: str, *, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        """The run's events with seq > after_seq, in seq order."""

    @abstractmethod
    def metrics(self, run_id: str, *, limit: int | None = None) -> list[MetricSample]:
        """The run's samples by time; with `limit`, the latest `limit` of them."""

    # -------------------------------------------------------------- maintenance
    @abstractmethod
    def delete_runs_before(self, before: float) -> int:
        """Delete runs started before `before`, with all their rows.

        A run still marked running is kept unless its heartbeat is older than
        `before` too: that one crashed long ago.
        """

    def flush(self, timeout: float | None = None) -> bool:
        """Push buffered writes; True when nothing is left pending."""
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads; never raises."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
