"""`ConsoleWriter`: the run, live, in the terminal.

A line when each step starts and one when it ends (with its time and what it
produced), the module tree after hierarchy building, the tag statistics after
node tagging, and a summary panel at the end (or one red failure line). On a
terminal a spinner, or a bar when the step knows its total, runs below the
step's start line until the step ends; when the output is a file or a pipe,
the same lines are printed plain and nothing is animated. `quiet=True` prints
only a failure.

What is printed comes from `_render`, which the text report shares.
"""

from __future__ import annotations

import contextlib

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from modelexport.monitor import _render
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import ExportData, Step, StepStatus


class ConsoleWriter(StepAwareWriter):
    """Renders step events to a rich `Console` as they happen."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        quiet: bool = False,
        live: bool | None = None,
        tree_max_lines: int = _render.TREE_MAX_LINES,
    ) -> None:
        """`live` forces the spinner on or off; by default it runs only on a terminal."""
        super().__init__()
        self.console = console if console is not None else Console(highlight=False)
        # Pin the stream now: a console without a file follows sys.stdout, and a stage that
        # redirects sys.stdout (the exporter silences torch's prints) would swallow our lines.
        self.console.file = self.console.file
        self.quiet = quiet
        self.live = self.console.is_terminal if live is None else live
        self.tree_max_lines = tree_max_lines
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._live_step: Step | None = None
        self._announced: dict[Step, float | None] = {}

    # ----------------------------------------------------------------- run life
    def start(self, data: ExportData) -> None:
        self._print(_render.header(data))

    def finish(self, data: ExportData) -> None:
        self._stop_live()
        if self.quiet:
            # The caller reports the failure: the CLI as one line on stderr, the API by raising.
            return
        for renderable in _render.ending(data):
            self.console.print(renderable)

    def close(self) -> None:
        """Stop any spinner; never raises."""
        with contextlib.suppress(Exception):
            self._stop_live()
        super().close()

    # ---------------------------------------------------------------- step events
    def _write_default(self, export_step: Step, data: ExportData) -> int:
        record = data.record(export_step)
        if record.status == StepStatus.RUNNING:
            if self._announced.get(export_step, object()) != record.started_at:
                return self._started(export_step, data)
            return self._progressed(export_step, data)
        return self._ended(export_step, data)

    def _started(self, export_step: Step, data: ExportData) -> int:
        record = data.record(export_step)
        self._announced[export_step] = record.started_at
        self._stop_live()
        self._print(_render.step_started_line(export_step, data))
        if self.live and not self.quiet:
            self._start_live(export_step, data)
        return 1

    def _progressed(self, export_step: Step, data: ExportData) -> int:
        if self._progress is None or self._task is None or self._live_step != export_step:
            return 0
        record = data.record(export_step)
        self._progress.update(
            self._task,
            completed=record.completed,
            total=record.total,
            description=self._description(export_step, data),
        )
        return 0

    def _ended(self, export_step: Step, data: ExportData) -> int:
        self._stop_live()
        self._print(_render.step_ended_line(export_step, data))
        lines = 1
        for renderable in self._after(export_step, data):
            self._print(renderable)
            lines += 1
        return lines

    def _after(self, export_step: Step, data: ExportData) -> list[RenderableType]:
        if export_step == Step.HIERARCHY and data.record(export_step).status == StepStatus.COMPLETED:
            tree = _render.module_tree(data, self.tree_max_lines)
            return [tree] if tree is not None else []
        return list(_render.after_step(export_step, data))

    # -------------------------------------------------------------------- live
    def _description(self, export_step: Step, data: ExportData) -> str:
        record = data.record(export_step)
        label = _render.step_title(export_step)
        if record.message and record.message.rstrip("…") not in (export_step.title, label):
            return f"{label}: {record.message}"
        return label

    def _start_live(self, export_step: Step, data: ExportData) -> None:
        record = data.record(export_step)
        # A bar only when the step says how much there is to do; a spinner otherwise.
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            *((BarColumn(), MofNCompleteColumn()) if record.total else ()),
            TimeElapsedColumn(),
        )
        self._progress = Progress(
            *columns,
            console=self.console,
            transient=True,
            refresh_per_second=8,
            # Never swap sys.stdout/stderr: a stage may redirect them inside a step, and
            # nested swaps undone out of order would leave the process writing to a buffer.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(
            self._description(export_step, data), total=record.total, completed=record.completed
        )
        self._live_step = export_step
        self._progress.start()

    def _stop_live(self) -> None:
        progress, self._progress = self._progress, None
        self._task = None
        self._live_step = None
        if progress is not None:
            progress.stop()

    def _print(self, renderable: RenderableType) -> None:
        if not self.quiet:
            self.console.print(renderable)
