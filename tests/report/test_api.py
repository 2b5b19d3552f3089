"""The public surface of modelexport.report is chosen, not accidental."""

from __future__ import annotations

import modelexport.report as report


def test_exported_names_are_exactly_the_intended_ones() -> None:
    """What a module author and a caller need, and nothing else."""
    assert sorted(report.__all__) == sorted(
        [
            "GROUP",
            "DirectoryEntry",
            "IndexEntry",
            "Loading",
            "Module",
            "ModuleContext",
            "ModuleOutput",
            "ModuleRegistrationWarning",
            "ModuleRegistry",
            "ModuleResult",
            "ReportInputError",
            "ReportResult",
            "build_report",
            "default_out_dir",
            "discover",
            "resolve_run_dir",
        ]
    )
    assert all(hasattr(report, name) for name in report.__all__)


def test_core_never_imports_the_exporter() -> None:
    """The report reads the intermediate format only: no htp, monitor or torch imports."""
    from pathlib import Path

    root = Path(report.__file__).parent
    for path in root.rglob("*.py"):
        if "torchtrace" in path.parts:
            continue
        text = path.read_text()
        for banned in ("modelexport.htp", "modelexport.monitor", "import torch", "import onnx"):
            assert banned not in text, f"{path.name} imports {banned}"
