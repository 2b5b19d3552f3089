"""`ReportWriter`: the `<stem>_htp_export_report.txt` a person reads after the run.

The report is the console's output made permanent and complete: the same
renderables (`_render`), without colour, at a fixed width, followed by what
the console leaves out because it is too long for a terminal: the step
timings, the run's context, every module and every node. It is written once,
atomically, when the run ends, whatever the run's status.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rich.console import Console, RenderableType
from rich.table import Table

from modelexport._atomic import atomic_open
from modelexport.monitor import _render
from modelexport.monitor._summary import module_counts
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import ExportData, Step

#: Characters per line of the report; wide enough for module paths and tags.
REPORT_WIDTH = 120
#: Width for the complete module and node tables: never wrap a row.


def report_path_for(onnx_path: str | os.PathLike[str]) -> Path:
    """Where an export puts its report: `<stem>_htp_export_report.txt` beside the .onnx."""
    onnx = Path(onnx_path)
    return onnx.with_name(f"{onnx.stem}_htp_export_report.txt")


def plain_console(file: IO[str], width: int = REPORT_WIDTH) -> Console:
    """A console that writes plain text: no colour, no control codes, fixed width."""
    return Console(
        file=file,
        width=width,
        color_system=None,
        no_color=True,
        force_terminal=False,
        force_interactive=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        markup=False,
        legacy_windows=False,
    )


def _context_table(data: ExportData) -> Table:
    table = Table(title="Run", title_justify="left", show_edge=False, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("run id", data.run_id)
    table.add_row("command", data.command)
    table.add_row("status", data.status.value)
    if data.error:
        table.add_row("error", f"{data.error_type or 'error'}: {data.error}")
    for key, value in data.options.items():
        table.add_row(f"option {key}", str(value))
    for key, value in data.environment.items():
        table.add_row(key, str(value))
    for kind, path in data.artifacts.items():
        table.add_row(f"file {kind}", path)
    return table


def _plain(renderable: RenderableType, width: int) -> str:
    buffer = io.StringIO()
    plain_console(buffer, width).print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def report_sections(data: ExportData, width: int = REPORT_WIDTH) -> Iterator[str]:
    """The report as text, one rendered piece at a time (the transcript, then the tables)."""
    for renderable in _render.transcript(data):
        yield _plain(renderable, width)
    # Built one at a time, so a huge node table is never held beside the others. The
    # complete tables get one row per line, as wide as their longest row, so they grep well.
    for build in (_render.step_timings, _context_table):
        yield "\n" + _plain(build(data), width)
    # The complete tables are plain fixed-width text: rich's layout costs about a second
    # per thousand rows, and these tables have one row per module and per node.
    for build_rows in (_module_rows, _node_rows):
        rows = build_rows(data)
        if rows is not None:
            yield "\n" + _columns(*rows)


Rows = tuple[str, list[str], list[list[str]], set[int]]


def _columns(title: str, headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A titled table, one row per line, columns as wide as their widest cell."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(headers), rule, *(line(r) for r in rows)]) + "\n"


def _module_rows(data: ExportData) -> Rows | None:
    if data.hierarchy is None:
        return None
    counts = module_counts(data)
    rows = []
    for module in data.hierarchy.modules:
        c = counts[module.path]
        rows.append(
            [
                module.path or "(root)",
                module.class_name,
                module.tag,
                "yes" if module.executed else "no",
                str(module.call_count),
                f"{module.parameter_count:,}",
                str(c.direct),
                str(c.subtree),
            ]
        )
    headers = ["path", "class", "tag", "executed", "calls", "params", "direct", "subtree"]
    return f"Modules ({len(rows)})", headers, rows, {4, 5, 6, 7}


def _node_rows(data: ExportData) -> Rows | None:
    if data.node_tagging is None:
        return None
    rows = [
        [str(i), n.name, n.op_type, n.module_path or "(root)", n.source]
        for i, n in enumerate(data.node_tagging.nodes)
    ]
    title = f"Node mapping ({data.node_tagging.total_nodes})"
    return title, ["#", "node", "op", "module path", "source"], rows, {0}


def write_report(file: IO[str], data: ExportData, width: int = REPORT_WIDTH) -> None:
    """Stream the whole report into `file`."""
    for chunk in report_sections(data, width):
        file.write(chunk)


class ReportWriter(StepAwareWriter):
    """Writes the text report when the run ends; it reads everything from `ExportData`."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, width: int = REPORT_WIDTH) -> None:
        super().__init__()
        self._override = Path(path) if path is not None else None
        self.width = width
        self.path: Path | None = self._override
        self.written = False

    def _target(self, data: ExportData) -> Path:
        if self._override is not None:
            return self._override
        if "report" in data.artifacts:
            return Path(data.artifacts["report"])
        return report_path_for(data.output_path)

    def start(self, data: ExportData) -> None:
        self.path = self._target(data)

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        return 0

    def finish(self, data: ExportData) -> None:
        target = self._target(data)
        self.path = target
        with atomic_open(target, "w") as handle:
            write_report(handle, data, self.width)
        self.written = True
