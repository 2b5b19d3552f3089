"""The rows a progress store holds: runs, progress nodes, events, resource samples.

These are plain dataclasses shared by every store, the tracker and the
`monitor` commands, so a MemoryStore and a PostgreSQL store return exactly the
same objects. `to_dict`/`from_dict` give the JSON form used by `--json` output
and by HybridStore's spill file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar


class State(StrEnum):
    """Where a run or a progress node stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CRASHED = "crashed"
    """Never written by a live process: readers derive it from a stale heartbeat or a dead pid."""
    SKIPPED = "skipped"

    @property
    def terminal(self) -> bool:
        return self not in (State.PENDING, State.RUNNING)


class Level(StrEnum):
    """Depth of a progress node: a run is the pipeline, a command a phase."""

    PIPELINE = "pipeline"
    PHASE = "phase"
    STEP = "step"
    SUBSTEP = "substep"

    def child(self) -> Level:
        order = list(Level)
        index = order.index(self)
        if index + 1 >= len(order):
            raise ValueError("a substep has no children: pipeline → phase → step → substep")
        return order[index + 1]


T = TypeVar("T")


def _from_dict(cls: type[T], raw: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass
class RunRecord:
    """One tracked run: who started it, where, and whether it is still alive."""

    id: str
    name: str
    command: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    heartbeat_s: float
    """The writer's heartbeat interval, so readers know when a heartbeat is stale."""
    status: str = State.RUNNING.value
    finished_at: float | None = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """Free-form facts (model, output path, options); stored as JSON text."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunRecord:
        return _from_dict(cls, raw)


@dataclass
class NodeRecord:
    """The current state of one progress node; stores upsert it by (run_id, node_id)."""

    run_id: str
    node_id: str
    """Slash-joined path of names below the run: `export/onnx_export`; '' is the run itself."""
    parent_id: str | None
    level: str
    name: str
    status: str = State.PENDING.value
    completed: float = 0.0
    total: float | None = None
    percent: float = 0.0
    """Aggregated progress, 0-100: own units for a leaf, children's mean otherwise."""
    message: str | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float | None = None
    position: int = 0
    """Creation order within the run, so a tree is shown in the order it ran."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> NodeRecord:
        return _from_dict(cls, raw)


@dataclass
class EventRecord:
    """One append-only event; (run_id, seq) is unique, so replaying one is harmless."""

    run_id: str
    seq: int
    at: float
    kind: str
    """started, progress, completed, failed, cancelled, skipped."""
    node_id: str
    level: str
    name: str
    status: str
    completed: float = 0.0
    total: float | None = None
    percent: float = 0.0
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EventRecord:
        return _from_dict(cls, raw)


@dataclass
class MetricSample:
    """One resource sample; (run_id, seq) is unique like events."""

    run_id: str
    seq: int
    at: float
    step: str | None = None
    """The step that was running when the sample was taken."""
    rss_bytes: int | None = None
    cpu_percent: float | None = None
    """Process CPU, percent of one core (can exceed 100 with threads)."""
    system_cpu_percent: float | None = None
    system_memory_percent: float | None = None
    disk_used_bytes: int | None = None
    """Used bytes on the file system of the output folder."""
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    gpu_util_percent: float | None = None
    gpu_memory_used_bytes: int | None = None
    gpu_memory_total_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MetricSample:
        return _from_dict(cls, raw)

    def to_resource_line(self) -> dict[str, Any]:
        """The `resources.jsonl` record of the run folder (`time` rather than `at`)."""
        line: dict[str, Any] = {"time": self.at, "step": self.step}
        for name in (
            "rss_bytes",
            "cpu_percent",
            "system_cpu_percent",
            "system_memory_percent",
            "disk_used_bytes",
            "io_read_bytes",
            "io_write_bytes",
        ):
            line[name] = getattr(self, name)
        for name in ("gpu_util_percent", "gpu_memory_used_bytes", "gpu_memory_total_bytes"):
            value = getattr(self, name)
            if value is not None:
                line[name] = value
        return line
