"""modelexport.testing: the sample run is realistic and replays faithfully."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelexport.monitor import ExportMonitor
from modelexport.steps import EXPORT_STEPS, RunStatus, Step, StepStatus
from modelexport.testing import FakeClock, drive_monitor, run_context, sample_export_data


def test_tags_follow_the_sibling_rule() -> None:
    """A segment is the class alone unless a sibling shares it, then Class.<attribute>."""
    modules = {m.path: m for m in sample_export_data().hierarchy.modules}
    assert modules["encoder.layer.1"].tag == "/BertModel/BertEncoder/BertLayer.1"
    assert modules["encoder.layer.0.attention.self.key"].tag.endswith("/BertSelfAttention/Linear.key")
    assert modules["encoder.layer.0.output.dense"].tag.endswith("/BertOutput/Linear")
    assert modules["embeddings.word_embeddings"].tag.endswith("/Embedding.word_embeddings")
    assert modules["encoder.layer"].tag == modules["encoder"].tag  # a ModuleList adds no segment
    called = [m.tag for m in modules.values() if m.class_name != "ModuleList"]
    assert len(set(called)) == len(called)


def test_sample_has_every_source_and_an_unexecuted_module() -> None:
    """Nodes come from all three sources; one module never ran."""
    data = sample_export_data()
    tagging = data.node_tagging
    assert (tagging.direct, tagging.inferred, tagging.root) == (41, 3, 2)
    assert tagging.direct + tagging.inferred + tagging.root == len(tagging.nodes)
    assert sum(tagging.op_counts.values()) == len(tagging.nodes)
    assert [m.path for m in data.hierarchy.modules if not m.executed] == ["embeddings.dropout"]
    assert all(data.records[s].status == StepStatus.COMPLETED for s in EXPORT_STEPS)


def test_artifacts_point_into_the_given_folder(tmp_path: Path) -> None:
    """Every artifact path lies in tmp_dir, and nothing is written there."""
    data = sample_export_data(tmp_path)
    assert set(data.artifacts) == {"onnx", "metadata", "report", "run_dir"}
    assert all(Path(p).parent == tmp_path for p in data.artifacts.values())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failed_at", EXPORT_STEPS, ids=lambda s: s.value)
def test_failed_sample_stops_at_the_step(failed_at: Step) -> None:
    """Before the step completed, the step failed, after it pending with no data."""
    data = sample_export_data(failed_at=failed_at)
    assert data.status == RunStatus.FAILED and data.error and data.error_type
    index = EXPORT_STEPS.index(failed_at)
    for i, s in enumerate(EXPORT_STEPS):
        expected = (
            StepStatus.COMPLETED if i < index else StepStatus.FAILED if i == index else StepStatus.PENDING
        )
        assert data.records[s].status == expected, s
        assert (data.step_data(s) is not None) == (i < index), s


def test_replay_reproduces_the_timings_with_a_fake_clock() -> None:
    """Replayed through a monitor with FakeClock, every step keeps its recorded duration."""
    sample = sample_export_data()
    data = drive_monitor(ExportMonitor(run_context(sample), clock=FakeClock()), sample)
    assert data.status == RunStatus.COMPLETED
    for s in EXPORT_STEPS:
        assert data.records[s].duration_s == pytest.approx(sample.records[s].duration_s)
    assert data.elapsed_s == pytest.approx(sample.elapsed_s)
    assert data.node_tagging == sample.node_tagging


def test_replay_of_a_failed_run_ends_the_monitor_failed() -> None:
    """A failed sample replays to a failed run with the same error type and message."""
    sample = sample_export_data(failed_at=Step.ONNX_EXPORT)
    data = drive_monitor(ExportMonitor(run_context(sample), clock=FakeClock()), sample)
    assert (data.status, data.error, data.error_type) == (RunStatus.FAILED, sample.error, "ExportFailedError")
    assert data.records[Step.ONNX_EXPORT].status == StepStatus.FAILED


def test_replay_onto_the_sample_itself_keeps_the_failure() -> None:
    """Driving a monitor that holds the sample object itself still replays the failure."""
    sample = sample_export_data(failed_at=Step.HIERARCHY)
    data = drive_monitor(ExportMonitor(sample), sample)
    assert data is sample
    assert data.status == RunStatus.FAILED and data.error_type == "ForwardError"
    assert data.records[Step.HIERARCHY].status == StepStatus.FAILED
    assert data.hierarchy is None
