"""`EventLogWriter`: the run folder `<stem>.run/` in the intermediate format.

The run folder is what outlives the terminal: `modelexport monitor` tails it
after an SSH drop, and the HTML report is built from it alone. It holds

- `events.jsonl`: one line per monitor event (run start, every step start,
  progress, completion, failure or skip, run end), appended and flushed as
  they happen, so a tailing reader sees whole lines only;
- `hierarchy.jsonl`: one line per module, with its node counts, written once
  the nodes are tagged (or at the end of a run that stopped after step 3);
- `nodes.jsonl`: one line per ONNX node, written once the nodes are tagged;
- `resources.jsonl`: written by the resource sampler, listed here;
- `manifest.json`: rewritten (complete=false) after each completed step and
  complete=true when the run ends, failed or not.

The records are documented field by field in docs/formats.md; the builders
below are the single place they are made.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelexport._format import iso
from modelexport.monitor._summary import (
    model_summary,
    module_counts,
    module_record,
    one_line,
    step_data_summary,
)
from modelexport.monitor.writer import StepAwareWriter, step
from modelexport.runfiles import MANIFEST_NAME, RunFolder
from modelexport.steps import ExportData, Step, StepRecord, StepStatus

#: Record schema versions, listed in the manifest for each file.
EVENTS_SCHEMA_VERSION = 1
HIERARCHY_SCHEMA_VERSION = 1
NODES_SCHEMA_VERSION = 1

#: Event kinds, in the order a run can emit them.
EVENT_KINDS = (
    "run_started",
    "step_started",
    "step_progress",
    "step_completed",
    "step_failed",
    "step_skipped",
    "run_finished",
)

_STATUS_KIND = {
    StepStatus.COMPLETED: "step_completed",
    StepStatus.FAILED: "step_failed",
    StepStatus.SKIPPED: "step_skipped",
}

#: Files this writer owns in the folder; stale copies from an earlier run are removed.
_OWN_FILES = ("events.jsonl", "hierarchy.jsonl", "nodes.jsonl", MANIFEST_NAME)


def run_dir_for(output_path: str | os.PathLike[str]) -> Path:
    """Where an export keeps its run folder: `<stem>.run/` beside the .onnx."""
    onnx = Path(output_path)
    return onnx.with_name(f"{onnx.stem}.run")


def coverage_summary(data: ExportData) -> dict[str, Any]:
    """Node figures for the `run_finished` event; null before tagging."""
    tagging = data.node_tagging
    if tagging is None:
        return {
            "total_nodes": None,
            "direct": None,
            "inferred": None,
            "root": None,
            "coverage": None,
            "direct_ratio": None,
            "scope_disagreements": None,
        }
    return {
        "total_nodes": tagging.total_nodes,
        "direct": tagging.direct,
        "inferred": tagging.inferred,
        "root": tagging.root,
        "coverage": round(tagging.coverage, 6),
        "direct_ratio": round(tagging.direct_ratio, 6),
        "scope_disagreements": tagging.scope_disagreements,
    }


def hierarchy_records(data: ExportData) -> list[dict[str, Any]]:
    """One `hierarchy.jsonl` record per module, in first-execution order."""
    if data.hierarchy is None:
        return []
    counts = module_counts(data)
    records = []
    for module in data.hierarchy.modules:
        record = module_record(module, counts[module.path])
        record["op_counts"] = counts[module.path].op_counts
        records.append(record)
    return records


def node_records(data: ExportData) -> list[dict[str, Any]]:
    """One `nodes.jsonl` record per ONNX node, in graph order."""
    if data.node_tagging is None:
        return []
    return [
        {
            "index": i,
            "name": n.name,
            "op_type": n.op_type,
            "module_path": n.module_path,
            "tag": n.tag,
            "source": n.source,
            "inputs": list(n.inputs),
            "outputs": list(n.outputs),
        }
        for i, n in enumerate(data.node_tagging.nodes)
    ]


class EventLogWriter(StepAwareWriter):
    """Appends every monitor event to `events.jsonl` and keeps the folder's manifest current."""

    def __init__(
        self, run_dir: str | os.PathLike[str] | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self._override = Path(run_dir) if run_dir is not None else None
        self._clock = clock
        self.folder: RunFolder | None = None
        self._seq = 0
        self._started: dict[Step, float | None] = {}
        self._tables_written: set[str] = set()
        self._finished = False

    @property
    def path(self) -> Path | None:
        return self.folder.path if self.folder is not None else None

    # ----------------------------------------------------------------- run life
    def start(self, data: ExportData) -> None:
        target = self._target(data)
        target.mkdir(parents=True, exist_ok=True)
        for name in _OWN_FILES:
            with contextlib.suppress(FileNotFoundError):
                (target / name).unlink()
        self.folder = RunFolder(
            target,
            source={
                "kind": "export_run",
                "run_id": data.run_id,
                "model": data.model_name,
                "command": data.command,
                "output": data.output_path,
            },
            ids=[data.run_id],
        )
        self.folder.register_file("resources", "resources.jsonl")
        self.folder.appender("events", schema_version=EVENTS_SCHEMA_VERSION)
        self._emit(
            data,
            "run_started",
            None,
            payload={
                "model_name": data.model_name,
                "command": data.command,
                "output_path": data.output_path,
                "options": data.options,
                "environment": data.environment,
                "artifacts": data.artifacts,
            },
        )
        self.folder.write_manifest(complete=False)

    def finish(self, data: ExportData) -> None:
        folder = self._require(data)
        if data.hierarchy is not None and "hierarchy" not in self._tables_written:
            self._write_table("hierarchy", hierarchy_records(data), HIERARCHY_SCHEMA_VERSION)
        if data.node_tagging is not None and "nodes" not in self._tables_written:
            self._write_table("nodes", node_records(data), NODES_SCHEMA_VERSION)
        self._emit(
            data,
            "run_finished",
            None,
            status=data.status.value,
            duration_s=round(data.elapsed_s, 6),
            error=data.error,
            payload={
                "status": data.status.value,
                "error": data.error,
                "error_type": data.error_type,
                "elapsed_s": round(data.elapsed_s, 6),
                "started_at": iso(data.started_at),
                "finished_at": iso(data.finished_at),
                "artifacts": data.artifacts,
                "model": model_summary(data),
                "coverage": coverage_summary(data),
                "warnings": list(data.warnings),
            },
        )
        self._finished = True
        folder.close()

    def close(self) -> None:
        """Close the files; a run that never reached `finish` still gets a final manifest."""
        if self.closed:
            return
        if self.folder is not None and not self._finished:
            with contextlib.suppress(Exception):
                self.folder.close()
            self._finished = True
        super().close()

    # ---------------------------------------------------------------- step events
    @step(Step.NODE_TAGGING)
    def _write_tagging(self, export_step: Step, data: ExportData) -> int:
        """Tagging done: the node and module tables are complete, write them.

        They are written before the `step_completed` event (and its manifest), so a
        reader that sees tagging completed finds both tables listed.
        """
        if data.record(export_step).status == StepStatus.COMPLETED:
            self._require(data)
            self._write_table("nodes", node_records(data), NODES_SCHEMA_VERSION)
            self._write_table("hierarchy", hierarchy_records(data), HIERARCHY_SCHEMA_VERSION)
        return self._write_default(export_step, data)

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        record = data.record(export_step)
        kind = self._kind(record)
        payload = step_data_summary(export_step, data) if kind == "step_completed" else {}
        # A completed step's message is its one-line result, what the console printed.
        message = one_line(export_step, data) if kind == "step_completed" else record.message
        self._emit(
            data,
            kind,
            export_step,
            status=record.status.value,
            duration_s=record.duration_s,
            completed=record.completed,
            total=record.total,
            message=message,
            error=record.error,
            payload=payload,
        )
        if kind != "step_progress":
            self._require(data).write_manifest(complete=False)
        return 1

    # ------------------------------------------------------------------- helpers
    def _kind(self, record: StepRecord) -> str:
        if record.status in _STATUS_KIND:
            return _STATUS_KIND[record.status]
        seen = record.step in self._started
        if record.status == StepStatus.RUNNING and seen and self._started[record.step] == record.started_at:
            return "step_progress"
        self._started[record.step] = record.started_at
        return "step_started"

    def _target(self, data: ExportData) -> Path:
        if self._override is not None:
            return self._override
        if "run_dir" in data.artifacts:
            return Path(data.artifacts["run_dir"])
        return run_dir_for(data.output_path)

    def _require(self, data: ExportData) -> RunFolder:
        if self.folder is None:  # dispatched without `start` (a writer added late)
            self.start(data)
        assert self.folder is not None
        return self.folder

    def _write_table(self, file_type: str, records: list[dict[str, Any]], schema_version: int) -> None:
        if file_type in self._tables_written or self.folder is None:
            return
        self._tables_written.add(file_type)
        appender = self.folder.appender(file_type, schema_version=schema_version)
        for record in records:
            appender.append(record)

    def _emit(
        self,
        run: ExportData,
        kind: str,
        export_step: Step | None,
        *,
        status: str | None = None,
        duration_s: float | None = None,
        completed: int | None = None,
        total: int | None = None,
        message: str | None = None,
        error: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        folder = self._require(run)
        self._seq += 1
        now = self._clock()
        event = {
            "seq": self._seq,
            "time": iso(now),
            "ts": round(now, 6),
            "run_id": run.run_id,
            "kind": kind,
            "step": export_step.value if export_step is not None else None,
            "status": status if status is not None else run.status.value,
            "duration_s": None if duration_s is None else round(duration_s, 6),
            "completed": completed,
            "total": total,
            "message": message,
            "error": error,
            "data": payload or {},
        }
        folder.appender("events", schema_version=EVENTS_SCHEMA_VERSION).append(event, record_id=run.run_id)
