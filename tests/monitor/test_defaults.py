"""build_writers: the default writer list, its order, and switching files off."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from modelexport.monitor import (
    ConsoleWriter,
    EventLogWriter,
    ExportMonitor,
    MetadataWriter,
    ReportWriter,
    StepAwareWriter,
    build_writers,
)
from modelexport.steps import ExportData, Step
from modelexport.testing import FakeClock, drive_monitor, run_context, sample_export_data


class Extra(StepAwareWriter):
    def _write_default(self, export_step: Step, data: ExportData) -> int:
        return 0


def quiet_console() -> Console:
    return Console(file=io.StringIO(), force_terminal=False)


def test_default_order_is_console_extras_eventlog_metadata_report(tmp_path: Path) -> None:
    """Console first, then extras, then the event log, metadata and the text report."""
    extra = Extra()
    writers = build_writers(sample_export_data(tmp_path), console=quiet_console(), extra=[extra])
    assert [type(w) for w in writers] == [ConsoleWriter, Extra, EventLogWriter, MetadataWriter, ReportWriter]
    assert writers[1] is extra


def test_switched_off_files_are_neither_written_nor_listed(tmp_path: Path) -> None:
    """Disabling a file drops its writer and its entry in data.artifacts."""
    data = sample_export_data(tmp_path)
    writers = build_writers(data, console=quiet_console(), metadata=False, event_log=False)
    assert [type(w) for w in writers] == [ConsoleWriter, ReportWriter]
    assert set(data.artifacts) == {"onnx", "report"}


def test_quiet_is_passed_to_the_console(tmp_path: Path) -> None:
    """quiet=True gives a console writer that prints only failures."""
    writers = build_writers(sample_export_data(tmp_path), console=quiet_console(), quiet=True)
    assert isinstance(writers[0], ConsoleWriter) and writers[0].quiet


def test_default_writers_write_every_artifact(tmp_path: Path) -> None:
    """A replayed run with the default writers leaves the metadata, report and run folder."""
    sample = sample_export_data(tmp_path)
    data = run_context(sample)
    buffer = io.StringIO()
    writers = build_writers(data, console=Console(file=buffer, force_terminal=False))
    result = drive_monitor(ExportMonitor(data, writers, clock=FakeClock()), sample)
    assert result.warnings == []
    for kind in ("metadata", "report"):
        assert Path(data.artifacts[kind]).is_file(), kind
    assert (Path(data.artifacts["run_dir"]) / "manifest.json").is_file()
    assert "Export complete" in buffer.getvalue()
