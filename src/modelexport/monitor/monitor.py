"""`ExportMonitor`: fills the typed step data and dispatches it to every writer.

Stages never format output. They tell the monitor that a step began
(`begin`), how far it is (`advance`), and what it produced (`update`); the
monitor keeps the one `ExportData` and hands it, with the step that changed,
to each writer in order. A writer that raises is reported once, recorded in
`data.warnings`, and dropped; the run goes on. Leaving the context manager
ends the run: completed, failed (with the error) or cancelled (Ctrl-C,
SIGTERM), and every writer gets `finish` then `close` either way, so the
metadata of a failed run is still written.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from typing import Any, TextIO

from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import (
    STEP_DATA_FIELDS,
    STEP_DATA_TYPES,
    ExportData,
    RunStatus,
    Step,
    StepStatus,
)

#: Minimum seconds between two dispatches of `advance` for the same step.
ADVANCE_INTERVAL_S = 0.1


class Cancelled(BaseException):
    """Raised inside the run when SIGTERM arrives; ends the run as `cancelled`."""


class ExportMonitor:
    """Central coordinator of one run: the data, the writers, and the run's end."""

    def __init__(
        self,
        data: ExportData,
        writers: Sequence[StepAwareWriter] = (),
        *,
        clock: Callable[[], float] = time.time,
        error_stream: TextIO | None = None,
    ) -> None:
        self.data = data
        self.writers: list[StepAwareWriter] = list(writers)
        self._clock = clock
        self._errors = error_stream
        self._last_advance: dict[Step, float] = {}
        self._started = False
        self._ended = False

    # ----------------------------------------------------------------- run life
    def __enter__(self) -> ExportMonitor:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.end(exc)

    def add_writer(self, writer: StepAwareWriter) -> None:
        """Add a writer; if the run has started it gets `start` at once."""
        self.writers.append(writer)
        if self._started:
            self._call(writer, "start", self.data)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.data.started_at = self._clock()
        self.data.status = RunStatus.RUNNING
        for writer in list(self.writers):
            self._call(writer, "start", self.data)

    def end(self, exc: BaseException | None = None) -> None:
        """Close the run: set its status from `exc`, then finish and close every writer."""
        if self._ended:
            return
        self._ended = True
        data = self.data
        data.finished_at = self._clock()
        if exc is None:
            data.status = RunStatus.COMPLETED
        else:
            cancelled = isinstance(exc, KeyboardInterrupt | Cancelled)
            data.status = RunStatus.CANCELLED if cancelled else RunStatus.FAILED
            data.error_type = type(exc).__name__
            data.error = str(exc) or ("interrupted" if cancelled else type(exc).__name__)
            for record in data.records.values():
                if record.status == StepStatus.RUNNING:
                    record.status = StepStatus.FAILED
                    record.error = record.error or data.error
                    if record.started_at is not None:
                        record.duration_s = data.finished_at - record.started_at
        for writer in list(self.writers):
            self._call(writer, "finish", data)
        for writer in self.writers:
            writer.close()

    # ---------------------------------------------------------------- step events
    def begin(self, step: Step, *, total: int | None = None, message: str | None = None) -> None:
        """A step starts."""
        record = self.data.record(step)
        record.status = StepStatus.RUNNING
        record.started_at = self._clock()
        record.duration_s = None
        record.completed = 0
        record.total = total
        record.message = message
        self._dispatch(step)

    def advance(
        self, step: Step, n: int = 1, *, total: int | None = None, message: str | None = None
    ) -> None:
        """Progress inside a running step; dispatches at most every ADVANCE_INTERVAL_S."""
        record = self.data.record(step)
        record.completed += n
        if total is not None:
            record.total = total
        if message is not None:
            record.message = message
        now = self._clock()
        done = record.total is not None and record.completed >= record.total
        if done or now - self._last_advance.get(step, 0.0) >= ADVANCE_INTERVAL_S:
            self._last_advance[step] = now
            self._dispatch(step)

    def update(self, step: Step, data: Any = None, **fields_: Any) -> None:
        """A step is done: store its typed data (an instance or its fields) and dispatch."""
        attr = STEP_DATA_FIELDS[step]
        if data is None and fields_:
            data_type = STEP_DATA_TYPES.get(step)
            if data_type is None:
                raise TypeError(f"{step.value} takes a data object, not fields")
            known = {f.name for f in fields(data_type)}
            unknown = set(fields_) - known
            if unknown:
                raise TypeError(f"unknown fields for {step.value}: {sorted(unknown)}")
            data = data_type(**fields_)
        setattr(self.data, attr, data)
        record = self.data.record(step)
        now = self._clock()
        if record.started_at is None:
            record.started_at = now
        record.duration_s = now - record.started_at
        record.status = StepStatus.COMPLETED
        record.message = None
        if record.total is not None:
            record.completed = record.total
        self._dispatch(step)

    def fail(self, step: Step, exc: BaseException) -> None:
        """A step failed; the exception goes on to end the run."""
        record = self.data.record(step)
        now = self._clock()
        record.status = StepStatus.FAILED
        record.error = str(exc) or type(exc).__name__
        if record.started_at is not None:
            record.duration_s = now - record.started_at
        with contextlib.suppress(AttributeError, TypeError):
            exc.failed_step = step  # type: ignore[attr-defined] - lets the CLI name the step
        self._dispatch(step)

    def skip(self, step: Step, reason: str) -> None:
        record = self.data.record(step)
        record.status = StepStatus.SKIPPED
        record.message = reason
        self._dispatch(step)

    @contextlib.contextmanager
    def stage(
        self, step: Step, *, total: int | None = None, message: str | None = None
    ) -> Iterator[ExportMonitor]:
        """`begin` on entry; `fail` if the block raises; the block calls `update` when done."""
        self.begin(step, total=total, message=message)
        try:
            yield self
        except BaseException as exc:
            self.fail(step, exc)
            raise
        if self.data.record(step).status == StepStatus.RUNNING:
            self.update(step, self.data.step_data(step))

    def warn(self, message: str) -> None:
        """Record something that went wrong without stopping the run."""
        self.data.warnings.append(message)

    # -------------------------------------------------------------------- dispatch
    def _dispatch(self, step: Step) -> None:
        for writer in list(self.writers):
            self._call(writer, "write", step, self.data)

    def _call(self, writer: StepAwareWriter, method: str, *args: Any) -> None:
        try:
            getattr(writer, method)(*args)
        except Exception as exc:
            name = type(writer).__name__
            message = f"writer {name} failed in {method}: {type(exc).__name__}: {exc}; skipped"
            self.data.warnings.append(message)
            if writer in self.writers:
                self.writers.remove(writer)
                with contextlib.suppress(Exception):
                    writer.close()
            stream = self._errors if self._errors is not None else sys.stderr
            with contextlib.suppress(Exception):
                print(f"warning: {message}", file=stream)
