"""Run folders for the report tests: real event-log output, synthetic runs, broken ones."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from modelexport.report import ModuleRegistry, discover
from modelexport.report.synthetic import write_synthetic_run
from modelexport.runfiles import RunFolder

MINILM_RUN = Path(__file__).parent / "data" / "all-MiniLM-L6-v2.run-recorded"
"""Not named `*.run/`, which .gitignore keeps out of the repository; copied under that name."""


def copy_minilm_run(dest: Path) -> Path:
    """The recorded MiniLM run folder copied into `dest`, with placeholder artifacts beside it."""
    run = Path(shutil.copytree(MINILM_RUN, dest / "all-MiniLM-L6-v2.run"))
    for name in (
        "all-MiniLM-L6-v2.onnx",
        "all-MiniLM-L6-v2_htp_metadata.json",
        "all-MiniLM-L6-v2_htp_export_report.txt",
    ):
        (dest / name).write_text("placeholder\n")
    return run


@pytest.fixture
def minilm_run(tmp_path: Path) -> Path:
    """A copy of a real all-MiniLM-L6-v2 export's run folder (see data/README.md)."""
    return copy_minilm_run(tmp_path)


@pytest.fixture
def synthetic_run(tmp_path: Path) -> Path:
    """A completed export run of about 120 nodes, with resources and artifacts beside it."""
    return write_synthetic_run(tmp_path / "tiny.run", 120)


@pytest.fixture
def failed_run(tmp_path: Path) -> Path:
    """A run that failed at the ONNX export step: hierarchy and events, no nodes."""
    return write_synthetic_run(tmp_path / "broken.run", 120, failed=True)


def _sample_run(tmp_path: Path, failed: bool) -> Path:
    from modelexport.monitor.eventlog import EventLogWriter
    from modelexport.monitor.monitor import ExportMonitor
    from modelexport.steps import Step
    from modelexport.testing import drive_monitor, sample_export_data

    data = sample_export_data(tmp_path, failed_at=Step.ONNX_EXPORT if failed else None)
    writer = EventLogWriter()
    drive_monitor(ExportMonitor(data, [writer]), data)
    assert writer.path is not None
    return writer.path


@pytest.fixture
def sample_run(tmp_path: Path) -> Path:
    """The run folder the real EventLogWriter writes for modelexport.testing's sample export."""
    return _sample_run(tmp_path, failed=False)


@pytest.fixture
def sample_failed_run(tmp_path: Path) -> Path:
    """The real EventLogWriter's folder for a sample export that failed at ONNX export."""
    return _sample_run(tmp_path, failed=True)


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """Write a small hand-made run folder: `files` maps a file type to its records."""

    def make(
        name: str = "hand.run", files: dict[str, list[dict]] | None = None, source: dict | None = None
    ) -> Path:
        folder = RunFolder(
            tmp_path / name,
            source or {"kind": "export_run", "run_id": "r1", "model": "hand-made"},
            ids=["r1"],
        )
        for file_type, records in (files or {}).items():
            folder.write_records(file_type, records)
        folder.close()
        return folder.path

    return make


@pytest.fixture
def builtins() -> ModuleRegistry:
    """A fresh registry of the installed modules (the built-ins)."""
    return discover()


def corrupt(path: Path, *, after_line: int = 1, garbage: str = '{"index": 7, "name": ') -> None:
    """Insert a truncated JSON line into a JSONL file, as a crash mid-write would leave."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(after_line, garbage + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def read_chunk(report: Path, key: str) -> dict:
    """The payload of a lazy chunk, as the page would receive it."""
    text = (report / "data" / f"{key}.js").read_text(encoding="utf-8")
    prefix = f"ModelExportReport.chunk({json.dumps(key)},"
    assert text.startswith(prefix) and text.rstrip().endswith(");")
    return json.loads(text[len(prefix) : text.rstrip().rindex(")")])
