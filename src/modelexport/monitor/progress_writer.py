"""`ProgressWriter`: the pipeline's steps, recorded in the progress store.

This is what makes every `modelexport export` (and later command) visible to
`modelexport monitor` from any terminal with no extra flag. The run is the
pipeline node, the command (`export`) its phase, and each Step a step node
whose progress comes from `StepRecord.completed/total`. `start` registers the
run (name, host, pid, command) and starts the heartbeat and the resource
sampler; `finish` marks the run completed, failed or cancelled and stops both.

Writes go through a HybridStore, so a slow or dead database never slows or
fails the export: the writer only touches memory, and a background thread
catches the database up when it can.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from modelexport.monitor.writer import StepAwareWriter
from modelexport.progress.heartbeat import Heartbeat, heartbeat_interval
from modelexport.progress.hybrid import HybridStore
from modelexport.progress.records import MetricSample
from modelexport.progress.sampler import RESOURCES_FILE, JsonlSink, ResourceSampler
from modelexport.progress.store import Store
from modelexport.progress.tracker import Node, Tracker
from modelexport.progress.url import open_store, resolve_store_url
from modelexport.steps import EXPORT_STEPS, ExportData, RunStatus, Step, StepStatus

#: `--store` values that turn progress tracking off.
DISABLED = frozenset({"none", "off", "false", "0"})


class ProgressWriter(StepAwareWriter):
    """Maps step events into a Tracker; one writer tracks one run."""

    def __init__(
        self,
        store: Store | str | None = None,
        *,
        run_name: str | None = None,
        heartbeat_s: float | None = None,
        sample_s: float | None = None,
        sample: bool = True,
        close_timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._store_arg = store
        self.run_name = run_name
        self.heartbeat_s = heartbeat_interval(heartbeat_s)
        self._sample_s = sample_s
        self._sample = sample
        self._close_timeout_s = close_timeout_s
        self._clock = clock
        self.store: Store | None = None
        self.tracker: Tracker | None = None
        self.run: Node | None = None
        self.phase: Node | None = None
        self._steps: dict[Step, Node] = {}
        self._heartbeat: Heartbeat | None = None
        self._sampler: ResourceSampler | None = None
        self._jsonl: JsonlSink | None = None
        self._owns_store = not isinstance(store, Store)

    # --------------------------------------------------------------- run life
    def start(self, data: ExportData) -> None:
        self.store = self._open_store()
        self.tracker = Tracker(self.store, clock=self._clock)
        meta = {"model": data.model_name, "output_path": data.output_path, "options": data.options}
        run_dir = data.artifacts.get("run_dir")
        if run_dir:
            meta["run_dir"] = run_dir
        self.run = self.tracker.run(
            self.run_name or data.model_name,
            run_id=data.run_id,
            command=data.command,
            heartbeat_s=self.heartbeat_s,
            meta=meta,
        )
        self.run.start()
        expected = len(EXPORT_STEPS) if data.command == "export" else None
        self.phase = self.run.phase(data.command, total=expected).start()
        self._heartbeat = Heartbeat(
            self.store, data.run_id, self.heartbeat_s, before_beat=self.tracker.flush, clock=self._clock
        )
        self._heartbeat.start()
        if self._sample:
            self._start_sampler(data, run_dir)

    def _open_store(self) -> Store:
        if isinstance(self._store_arg, Store):
            return self._store_arg
        return HybridStore(open_store(self._store_arg), close_timeout_s=self._close_timeout_s)

    def _start_sampler(self, data: ExportData, run_dir: str | None) -> None:
        assert self.store is not None and self.tracker is not None
        store = self.store
        sinks: list[Callable[[MetricSample], None]] = [lambda s: store.add_metrics([s])]
        if run_dir:
            self._jsonl = JsonlSink(Path(run_dir) / RESOURCES_FILE)
            sinks.append(self._jsonl)
        out_dir = Path(data.output_path).parent if data.output_path else Path.cwd()
        self._sampler = ResourceSampler(
            data.run_id,
            sinks,
            interval_s=self._sample_s,
            disk_path=out_dir,
            current_step=self.tracker.current_step,
            clock=self._clock,
        )
        self._sampler.start()

    def finish(self, data: ExportData) -> None:
        self._stop_threads()
        if self.run is None:
            return
        for node in (self.phase, self.run):
            if node is None or node.state.terminal:
                continue
            if data.status == RunStatus.COMPLETED:
                node.complete()
            elif data.status == RunStatus.CANCELLED:
                node.cancel(data.error or "cancelled")
            else:
                node.fail(data.error or data.error_type or "failed")

    def _stop_threads(self) -> None:
        if self._sampler is not None:
            self._sampler.stop()
            self._sampler = None
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None

    def flush(self) -> None:
        if self.tracker is not None:
            self.tracker.flush()

    def close(self) -> None:
        if self.closed:
            return
        with contextlib.suppress(Exception):
            self._stop_threads()
        super().close()
        if self._owns_store and self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()

    # ------------------------------------------------------------------ steps
    def _write_default(self, export_step: Step, data: ExportData) -> int:
        if self.phase is None:
            return 0
        record = data.records.get(export_step)
        if record is None or record.status == StepStatus.PENDING:
            return 0
        node = self._steps.get(export_step)
        if node is None or (node.state.terminal and record.status == StepStatus.RUNNING):
            node = self.phase.step(export_step.value, total=record.total)
            self._steps[export_step] = node
        if node.state.terminal:
            return 0
        if record.status == StepStatus.RUNNING:
            if node.record.status == "pending":
                node.start(total=record.total, message=record.message)
            node.update(completed=record.completed, total=record.total, message=record.message)
        elif record.status == StepStatus.COMPLETED:
            node.update(completed=record.completed, total=record.total)
            node.complete()
        elif record.status == StepStatus.FAILED:
            node.fail(record.error or "failed")
        elif record.status == StepStatus.SKIPPED:
            node.skip(record.message)
        return 1


def progress_writer_from_options(store_url: str | None, run_name: str) -> ProgressWriter | None:
    """The writer an export adds by default; None when `--store none` turns tracking off.

    `store_url` is the `--store` option (None: MODELEXPORT_STORE, else the
    default SQLite file). A malformed URL raises UsageError now, before the
    run starts; an unreachable database does not (the run goes on and the
    store catches up later).
    """
    chosen = store_url if store_url is not None else os.environ.get("MODELEXPORT_STORE")
    if chosen is not None and chosen.strip().lower() in DISABLED:
        return None
    return ProgressWriter(resolve_store_url(chosen), run_name=run_name)
