"""The tracker: a run as a tree of progress nodes, pipeline → phase → step → substep.

Nodes are context managers: entering starts them, leaving completes them, an
exception fails them (a Ctrl-C or a cancellation, any BaseException that is
not an Exception, cancels them). Progress aggregates upwards: a leaf's share
is `completed / total`; a node with children is the mean of its children,
where its own `total`, when given, is how many children it expects.

Writes are coalesced so that instrumenting a tight loop is cheap: `advance()`
only touches memory, and a node reaches the store at most once per
`coalesce_s` (0.5 s) plus on every state change. Whatever is still pending is
written by `flush()`, which the heartbeat calls.

    tracker = Tracker(store)
    with tracker.run("bert", command="export") as run:
        with run.phase("export", total=6) as ph:
            with ph.step("onnx_export", total=n) as s:
                s.advance()
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from modelexport.progress.records import EventRecord, Level, NodeRecord, RunRecord, State
from modelexport.progress.store import Store

#: At most one store write per node per this many seconds, besides state changes.
COALESCE_S = 0.5

#: Event kinds a callback can subscribe to.
EVENT_KINDS = ("started", "progress", "completed", "failed", "cancelled", "skipped")

Callback = Callable[[EventRecord], None]
_PENDING = State.PENDING.value

_TERMINAL_KIND = {
    State.COMPLETED: "completed",
    State.FAILED: "failed",
    State.CANCELLED: "cancelled",
    State.SKIPPED: "skipped",
}


class Node:
    """One progress node; create them with `Tracker.run` and `phase`/`step`/`substep`."""

    def __init__(self, tracker: Tracker, record: NodeRecord, parent: Node | None) -> None:
        self._tracker = tracker
        self.record = record
        self.parent = parent
        self.children: list[Node] = []
        self._names: dict[str, int] = {}
        self._last_write = float("-inf")
        self._dirty = False

    # ---------------------------------------------------------------- structure
    @property
    def id(self) -> str:
        return self.record.node_id

    @property
    def state(self) -> State:
        return State(self.record.status)

    def phase(self, name: str, *, total: float | None = None) -> Node:
        return self._child(name, Level.PHASE, total)

    def step(self, name: str, *, total: float | None = None) -> Node:
        return self._child(name, Level.STEP, total)

    def substep(self, name: str, *, total: float | None = None) -> Node:
        return self._child(name, Level.SUBSTEP, total)

    def _child(self, name: str, level: Level, total: float | None) -> Node:
        expected = Level(self.record.level).child()
        if level != expected:
            raise ValueError(
                f"a {self.record.level} node holds {expected.value} nodes, not {level.value} nodes"
            )
        return self._tracker._add_child(self, name, level, total)

    # -------------------------------------------------------------- life cycle
    def __enter__(self) -> Node:
        if self.state == State.PENDING:
            self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self.state.terminal:
            return
        if exc is None:
            self.complete()
        elif isinstance(exc, Exception):
            self.fail(str(exc) or type(exc).__name__)
        else:
            self.cancel(str(exc) or type(exc).__name__)

    def start(self, *, total: float | None = None, message: str | None = None) -> Node:
        self._tracker._start(self, total, message)
        return self

    def advance(self, n: float = 1, *, message: str | None = None) -> None:
        """Count `n` more units done; costs microseconds, the store sees it coalesced."""
        self._tracker._progress(self, advance=n, completed=None, total=None, message=message)

    def update(
        self, *, completed: float | None = None, total: float | None = None, message: str | None = None
    ) -> None:
        """Set absolute progress (units done, units expected, what is happening now)."""
        self._tracker._progress(self, advance=0, completed=completed, total=total, message=message)

    def complete(self) -> None:
        self._tracker._finish(self, State.COMPLETED, None)

    def fail(self, error: str) -> None:
        self._tracker._finish(self, State.FAILED, error)

    def cancel(self, reason: str = "cancelled") -> None:
        self._tracker._finish(self, State.CANCELLED, reason)

    def skip(self, reason: str | None = None) -> None:
        self._tracker._finish(self, State.SKIPPED, reason)

    # ---------------------------------------------------------------- progress
    def fraction(self) -> float:
        """Share done, 0..1, aggregated from the children when there are any."""
        state = self.state
        if state in (State.COMPLETED, State.SKIPPED):
            return 1.0
        if self.children:
            expected = max(len(self.children), int(self.record.total or 0))
            return sum(c.fraction() for c in self.children) / expected
        if self.record.total:
            return max(0.0, min(1.0, self.record.completed / self.record.total))
        return 0.0


class Tracker:
    """Owns the node trees of the runs it started and writes them to one store."""

    def __init__(
        self, store: Store, *, clock: Callable[[], float] = time.time, coalesce_s: float = COALESCE_S
    ) -> None:
        self.store = store
        self._clock = clock
        self._coalesce_s = coalesce_s
        self._lock = threading.RLock()
        self._callbacks: dict[str, list[Callback]] = {k: [] for k in EVENT_KINDS}
        self._seq: dict[str, int] = {}
        self._positions: dict[str, int] = {}
        self._dirty: dict[int, Node] = {}
        self._running: dict[int, Node] = {}
        self.callback_errors: list[str] = []
        """Callbacks that raised; recorded, never allowed to stop the run."""

    # ---------------------------------------------------------------- callbacks
    def on(self, kind: str, callback: Callback) -> None:
        """Call `callback(event)` on every event of `kind` (started, progress, completed, ...)."""
        if kind not in self._callbacks:
            raise ValueError(f"unknown event kind {kind!r}; use one of {', '.join(EVENT_KINDS)}")
        self._callbacks[kind].append(callback)

    # --------------------------------------------------------------------- runs
    def run(
        self,
        name: str,
        *,
        run_id: str | None = None,
        command: str = "run",
        heartbeat_s: float = 5.0,
        meta: dict[str, Any] | None = None,
        total: float | None = None,
    ) -> Node:
        """Register a run and return its pipeline node (not yet started; enter it)."""
        now = self._clock()
        record = RunRecord(
            id=run_id or uuid.uuid4().hex,
            name=name,
            command=command,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
            heartbeat_s=heartbeat_s,
            status=State.RUNNING.value,
            meta=dict(meta or {}),
        )
        with self._lock:
            self.store.save_run(record)
            node = NodeRecord(
                run_id=record.id,
                node_id="",
                parent_id=None,
                level=Level.PIPELINE.value,
                name=name,
                total=total,
                updated_at=now,
                position=self._next_position(record.id),
            )
            return Node(self, node, None)

    def flush(self) -> None:
        """Write every node whose progress changed since its last write."""
        with self._lock:
            for node in list(self._dirty.values()):
                self._emit(node, "progress")

    def current_step(self) -> str | None:
        """Name of the most recently started node that is still running below the run."""
        with self._lock:
            for node in reversed(list(self._running.values())):
                if node.parent is not None:
                    return node.record.name
        return None

    def _next_position(self, run_id: str) -> int:
        self._positions[run_id] = self._positions.get(run_id, -1) + 1
        return self._positions[run_id]

    # ---------------------------------------------------------------- internals
    def _add_child(self, parent: Node, name: str, level: Level, total: float | None) -> Node:
        with self._lock:
            count = parent._names.get(name, 0) + 1
            parent._names[name] = count
            label = name if count == 1 else f"{name}#{count}"
            node_id = label if parent.parent is None else f"{parent.id}/{label}"
            record = NodeRecord(
                run_id=parent.record.run_id,
                node_id=node_id,
                parent_id=parent.id,
                level=level.value,
                name=name,
                total=total,
                updated_at=self._clock(),
                position=self._next_position(parent.record.run_id),
            )
            child = Node(self, record, parent)
            parent.children.append(child)
            return child

    def _start(self, node: Node, total: float | None, message: str | None) -> None:
        with self._lock:
            rec = node.record
            rec.status = State.RUNNING.value
            rec.started_at = self._clock()
            if total is not None:
                rec.total = total
            if message is not None:
                rec.message = message
            self._running[id(node)] = node
            self._emit(node, "started")

    def _progress(
        self, node: Node, *, advance: float, completed: float | None, total: float | None, message: str | None
    ) -> None:
        with self._lock:
            rec = node.record
            if completed is not None:
                rec.completed = completed
            rec.completed += advance
            if total is not None:
                rec.total = total
            if message is not None:
                rec.message = message
            if rec.status == _PENDING:
                self._start(node, None, None)
                return
            now = self._clock()
            if now - node._last_write >= self._coalesce_s:
                self._emit(node, "progress", now)
            elif not node._dirty:
                node._dirty = True
                self._dirty[id(node)] = node

    def _finish(self, node: Node, state: State, error: str | None) -> None:
        with self._lock:
            if node.state.terminal:
                return
            for child in node.children:  # a parent cannot end with children still open
                if not child.state.terminal:
                    self._finish(
                        child,
                        state if state != State.COMPLETED else State.CANCELLED,
                        error or f"{node.record.name} ended first",
                    )
            rec = node.record
            rec.status = state.value
            rec.finished_at = self._clock()
            if state in (State.FAILED, State.CANCELLED):
                rec.error = error
            elif state == State.SKIPPED:
                rec.message = error
            if state == State.COMPLETED:
                rec.message = None
                if rec.total:
                    rec.completed = max(rec.completed, rec.total)
            self._running.pop(id(node), None)
            if node.parent is not None and state in (State.COMPLETED, State.SKIPPED):
                # A parent's units are its children: "3/6" steps done.
                node.parent.record.completed = sum(
                    1 for c in node.parent.children if c.state in (State.COMPLETED, State.SKIPPED)
                )
            self._emit(node, _TERMINAL_KIND[state])
            if node.parent is None:
                self.store.update_run(
                    rec.run_id,
                    status=state.value,
                    finished_at=rec.finished_at,
                    error=rec.error,
                    heartbeat_at=rec.finished_at,
                )
                self._seq.pop(rec.run_id, None)
                self._positions.pop(rec.run_id, None)

    def _emit(self, node: Node, kind: str, now: float | None = None) -> None:
        """Write the node (and its ancestors' new percentages) plus one event."""
        now = self._clock() if now is None else now
        rec = node.record
        changed: list[NodeRecord] = []
        walker: Node | None = node
        while walker is not None:
            walker.record.percent = round(walker.fraction() * 100.0, 3)
            walker.record.updated_at = now
            walker._last_write = now
            walker._dirty = False
            self._dirty.pop(id(walker), None)
            changed.append(walker.record)
            walker = walker.parent
        seq = self._seq.get(rec.run_id, 0) + 1
        self._seq[rec.run_id] = seq
        event = EventRecord(
            run_id=rec.run_id,
            seq=seq,
            at=now,
            kind=kind,
            node_id=rec.node_id,
            level=rec.level,
            name=rec.name,
            status=rec.status,
            completed=rec.completed,
            total=rec.total,
            percent=rec.percent,
            message=rec.error if kind in ("failed", "cancelled") else rec.message,
        )
        self.store.upsert_nodes([_copy(r) for r in changed])
        self.store.append_events([event])
        for callback in self._callbacks.get(kind, ()):
            try:
                callback(event)
            except Exception as exc:
                self.callback_errors.append(f"{kind} callback {callback!r}: {exc}")


def _copy(record: NodeRecord) -> NodeRecord:
    return NodeRecord(**record.to_dict())
