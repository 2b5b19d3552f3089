"""Tests for ProgressWriter: the pipeline's step events, mapped into the progress store."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

from modelexport.errors import UsageError
from modelexport.monitor import ExportMonitor
from modelexport.monitor.progress_writer import ProgressWriter, progress_writer_from_options
from modelexport.progress.hybrid import HybridStore
from modelexport.progress.memory import MemoryStore
from modelexport.progress.sql import SQLStore
from modelexport.steps import ExportData, Step


def _data(tmp_path: Path, run_id: str = "run1") -> ExportData:
    data = ExportData(run_id=run_id, model_name="tiny", output_path=str(tmp_path / "tiny.onnx"))
    data.artifacts["run_dir"] = str(tmp_path / "tiny.run")
    return data


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("modelexport-")}


def test_a_run_maps_to_pipeline_phase_and_steps(tmp_path: Path) -> None:
    """The run, the command and each step become nodes; progress comes from the step records."""
    store = MemoryStore()
    writer = ProgressWriter(store, run_name="my-run", heartbeat_s=0.05, sample_s=0.05)
    data = _data(tmp_path)
    with ExportMonitor(data, [writer]) as monitor:
        monitor.begin(Step.MODEL_PREP, total=4)
        monitor.advance(Step.MODEL_PREP, 2)
        writer.flush()  # what the next heartbeat does with coalesced progress
        node = next(n for n in store.nodes("run1") if n.node_id == "export/model_preparation")
        assert (node.status, node.completed, node.total) == ("running", 2, 4)
        monitor.update(
            Step.MODEL_PREP,
            model_name="tiny",
            source="factory",
            model_class="M",
            total_modules=1,
            total_parameters=1,
        )
        monitor.skip(Step.INPUT_GEN, "inputs given")
        phase = next(n for n in store.nodes("run1") if n.node_id == "export")
        assert phase.percent == pytest.approx(100 * 2 / 6, abs=0.01)  # 2 of the 6 export steps
    run = store.get_run("run1")
    assert run is not None
    assert (run.name, run.command, run.status, run.host, run.pid) == (
        "my-run",
        "export",
        "completed",
        socket.gethostname(),
        os.getpid(),
    )
    assert run.meta["run_dir"] == data.artifacts["run_dir"]
    nodes = {n.node_id: n for n in store.nodes("run1")}
    assert nodes["export/model_preparation"].status == "completed"
    assert nodes["export/input_generation"].status == "skipped"
    assert data.warnings == []


def test_finish_stops_heartbeat_and_sampler_and_writes_resources(tmp_path: Path) -> None:
    """After the run, no monitoring thread is left and resources.jsonl holds samples."""
    store = MemoryStore()
    writer = ProgressWriter(store, heartbeat_s=0.01, sample_s=0.01)
    with ExportMonitor(_data(tmp_path), [writer]) as monitor:
        monitor.begin(Step.ONNX_EXPORT)
    assert not _threads() & {"modelexport-heartbeat-run1", "modelexport-sampler-run1"}
    lines = (tmp_path / "tiny.run" / "resources.jsonl").read_text().splitlines()
    assert lines and {"time", "step", "rss_bytes"} <= set(json.loads(lines[0]))
    assert store.metrics("run1")


def test_failed_run_records_the_error_on_step_and_run(tmp_path: Path) -> None:
    """An exception in a stage fails that step and the run, with the message."""
    store = MemoryStore()
    writer = ProgressWriter(store, sample=False)
    with (
        pytest.raises(RuntimeError),
        ExportMonitor(_data(tmp_path), [writer]) as mon,
        mon.stage(Step.ONNX_EXPORT),
    ):
        raise RuntimeError("dynamo refused")
    run = store.get_run("run1")
    assert run is not None and (run.status, run.error) == ("failed", "dynamo refused")
    step = next(n for n in store.nodes("run1") if n.node_id == "export/onnx_export")
    assert (step.status, step.error) == ("failed", "dynamo refused")


def test_ctrl_c_marks_the_run_cancelled(tmp_path: Path) -> None:
    """KeyboardInterrupt during a stage ends the run as cancelled."""
    store = MemoryStore()
    with (
        pytest.raises(KeyboardInterrupt),
        ExportMonitor(_data(tmp_path), [ProgressWriter(store, sample=False)]) as mon,
    ):
        mon.begin(Step.HIERARCHY)
        raise KeyboardInterrupt
    run = store.get_run("run1")
    assert run is not None and run.status == "cancelled"


def test_an_unreachable_database_never_fails_the_export(tmp_path: Path) -> None:
    """With PostgreSQL down the run completes, the writer stays, and writes wait in the spool."""
    backend = SQLStore("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_timeout_s=1)
    hybrid = HybridStore(backend, spool_dir=tmp_path / "spool", retry_s=0.05, close_timeout_s=0.1)
    writer = ProgressWriter(hybrid, sample=False)
    data = _data(tmp_path)
    with ExportMonitor(data, [writer]) as monitor:
        monitor.begin(Step.MODEL_PREP)
    assert data.warnings == []
    hybrid.close()
    assert hybrid.left_behind is not None and hybrid.left_behind.exists()


def test_default_writer_records_in_the_default_sqlite_file(_private_state: Path, tmp_path: Path) -> None:
    """With no store given, the run lands in $XDG_STATE_HOME/modelexport/monitor.db."""
    writer = progress_writer_from_options(None, "default-run")
    assert writer is not None
    writer.heartbeat_s = 0.05
    with ExportMonitor(_data(tmp_path), [writer]) as monitor:
        monitor.begin(Step.MODEL_PREP)
    with SQLStore(f"sqlite:///{_private_state / 'modelexport' / 'monitor.db'}") as store:
        run = store.get_run("run1")
        assert run is not None and (run.name, run.status) == ("default-run", "completed")


def test_store_none_turns_tracking_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--store none` (or MODELEXPORT_STORE=off) gives no writer at all."""
    assert progress_writer_from_options("none", "x") is None
    monkeypatch.setenv("MODELEXPORT_STORE", "off")
    assert progress_writer_from_options(None, "x") is None


def test_malformed_store_url_is_reported_before_the_run() -> None:
    """A store URL modelexport cannot open is a usage error at once, not a silent loss."""
    with pytest.raises(UsageError, match="unsupported store URL"):
        progress_writer_from_options("mongodb://h/db", "x")
