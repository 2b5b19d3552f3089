"""The default writers of a run, as one ordered literal.

Order matters: the console first (a person sees each event before anything
slow happens), then extras such as the progress store, then the event log
(the live record other processes tail), then the files written once at the
end: metadata, then the text report.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from modelexport.monitor.console import ConsoleWriter
from modelexport.monitor.eventlog import EventLogWriter
from modelexport.monitor.metadata import MetadataWriter
from modelexport.monitor.text_report import ReportWriter
from modelexport.monitor.writer import StepAwareWriter
from modelexport.steps import ExportData


def build_writers(
    data: ExportData,
    *,
    console: Console | None = None,
    quiet: bool = False,
    metadata: bool = True,
    text_report: bool = True,
    event_log: bool = True,
    extra: Sequence[StepAwareWriter] = (),
) -> list[StepAwareWriter]:
    """The writers for `data`'s run: console, `extra`, event log, metadata, text report.

    Paths come from `data.artifacts`. A file that is switched off is also
    dropped from `data.artifacts`, so the summary and the metadata list only
    files the run really writes.
    """
    for enabled, kind in ((metadata, "metadata"), (text_report, "report"), (event_log, "run_dir")):
        if not enabled:
            data.artifacts.pop(kind, None)
    return [
        ConsoleWriter(console, quiet=quiet),
        *extra,
        *([EventLogWriter()] if event_log else []),
        *([MetadataWriter()] if metadata else []),
        *([ReportWriter()] if text_report else []),
    ]
