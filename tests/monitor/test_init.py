"""modelexport.monitor's public surface is exactly the intended names."""

from __future__ import annotations

import modelexport.monitor as monitor


def test_public_names_are_exactly_the_intended_ones() -> None:
    """__all__ lists the monitor, the writer base, the four writers and their helpers."""
    assert set(monitor.__all__) == {
        "Cancelled",
        "ConsoleWriter",
        "EventLogWriter",
        "ExportMonitor",
        "MetadataError",
        "MetadataWriter",
        "ReportWriter",
        "StepAwareWriter",
        "build_writers",
        "load_metadata",
        "metadata_schema",
        "step",
    }
    for name in monitor.__all__:
        assert getattr(monitor, name) is not None
