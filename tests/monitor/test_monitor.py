"""ExportMonitor with real writers: a failing writer is reported, dropped, and the run goes on."""

from __future__ import annotations

import io
import json
from pathlib import Path

from modelexport.monitor import MetadataWriter, StepAwareWriter, step
from modelexport.steps import ExportData, RunStatus, Step, StepStatus


class Exploding(StepAwareWriter):
    """Raises on the hierarchy step; counts what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Step] = []

    @step(Step.HIERARCHY)
    def boom(self, export_step: Step, data: ExportData) -> int:
        raise RuntimeError("renderer crashed")

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        self.seen.append(export_step)
        return 1


class Counting(StepAwareWriter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[Step, StepStatus]] = []
        self.finished = False

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        self.seen.append((export_step, data.record(export_step).status))
        return 1

    def finish(self, data: ExportData) -> None:
        self.finished = True


def test_raising_writer_is_reported_skipped_and_the_run_goes_on(replay, tmp_path: Path) -> None:
    """A writer that raises is dropped with a warning; later writers and the run continue."""
    bad, after = Exploding(), Counting()
    errors = io.StringIO()
    data = replay([bad, after, MetadataWriter()], errors=errors)

    assert data.status == RunStatus.COMPLETED
    assert Step.TAG_INJECTION not in bad.seen  # dropped after it raised
    assert (Step.TAG_INJECTION, StepStatus.COMPLETED) in after.seen
    assert after.finished and bad.closed
    assert len(data.warnings) == 1
    assert "Exploding" in data.warnings[0] and "renderer crashed" in data.warnings[0]
    assert "renderer crashed" in errors.getvalue()
    written = json.loads((tmp_path / "bert-tiny_htp_metadata.json").read_text())
    assert written["warnings"] == data.warnings


def test_writer_failing_in_finish_does_not_stop_the_others(replay, tmp_path: Path) -> None:
    """A writer whose finish raises leaves the writers after it to finish normally."""

    class BadFinish(Counting):
        def finish(self, data: ExportData) -> None:
            raise OSError("disk full")

    data = replay([BadFinish(), MetadataWriter()])
    assert any("BadFinish failed in finish" in w for w in data.warnings)
    assert (tmp_path / "bert-tiny_htp_metadata.json").exists()
