"""Fixtures for the monitor tests: a sample run in a private folder, and a replayer."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from modelexport.monitor import ExportMonitor, StepAwareWriter
from modelexport.steps import ExportData, Step
from modelexport.testing import FakeClock, drive_monitor, run_context, sample_export_data

Replay = Callable[..., ExportData]


@pytest.fixture
def sample(tmp_path: Path) -> ExportData:
    """A completed sample run whose artifacts point into tmp_path."""
    return sample_export_data(tmp_path)


@pytest.fixture
def replay(tmp_path: Path) -> Replay:
    """Run writers through a real monitor on the sample run (optionally failed at a step)."""

    def run(
        writers: Sequence[StepAwareWriter],
        *,
        failed_at: Step | None = None,
        errors: io.StringIO | None = None,
    ) -> ExportData:
        data = sample_export_data(tmp_path, failed_at=failed_at)
        clock = FakeClock()
        monitor = ExportMonitor(
            run_context(data),
            writers,
            clock=clock,
            error_stream=errors if errors is not None else io.StringIO(),
        )
        return drive_monitor(monitor, data)

    return run
