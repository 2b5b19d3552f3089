"""EventLogWriter: the run folder's events, hierarchy and nodes files, and its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelexport.monitor import EventLogWriter, StepAwareWriter, step
from modelexport.runfiles import iter_records, read_manifest
from modelexport.steps import EXPORT_STEPS, ExportData, Step


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def events(run_dir: Path) -> list[dict]:
    return list(iter_records(run_dir, "events"))


def test_manifest_counts_equal_the_files(replay, tmp_path: Path) -> None:
    """Each file the manifest lists has exactly the records and bytes the manifest says."""
    replay([EventLogWriter()])
    run_dir = tmp_path / "bert-tiny.run"
    manifest = read_manifest(run_dir)
    assert manifest.complete
    assert {f.type for f in manifest.files} == {"events", "hierarchy", "nodes"}
    for entry in manifest.files:
        path = run_dir / entry.path
        assert entry.records == lines(path), entry.type
        assert entry.bytes == path.stat().st_size, entry.type
    assert manifest.file("nodes").records == 46
    assert manifest.file("hierarchy").records == 42
    assert manifest.source == {
        "kind": "export_run",
        "run_id": manifest.ids[0],
        "model": "prajjwal1/bert-tiny",
        "command": "export",
        "output": str(tmp_path / "bert-tiny.onnx"),
    }


def test_events_tell_the_run_in_order(replay, tmp_path: Path) -> None:
    """run_started first, start before completion for every step, run_finished last."""
    replay([EventLogWriter()])
    records = events(tmp_path / "bert-tiny.run")
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert records[0]["kind"] == "run_started" and records[-1]["kind"] == "run_finished"
    for s in EXPORT_STEPS:
        kinds = [r["kind"] for r in records if r["step"] == s.value]
        assert kinds[0] == "step_started" and kinds[-1] == "step_completed", s
        assert set(kinds[1:-1]) <= {"step_progress"}
    progress = [r for r in records if r["kind"] == "step_progress"]
    assert progress and all(r["total"] for r in progress)
    onnx_done = next(r for r in records if r["kind"] == "step_completed" and r["step"] == "onnx_export")
    assert onnx_done["duration_s"] == pytest.approx(3.65)
    assert onnx_done["data"]["exporter"] == "dynamo"


def test_run_finished_carries_the_outcome(replay, tmp_path: Path) -> None:
    """The last event has status, elapsed time, artifacts, the model and coverage figures."""
    data = replay([EventLogWriter()])
    final = events(tmp_path / "bert-tiny.run")[-1]["data"]
    assert final["status"] == "completed" and final["error"] is None
    assert final["elapsed_s"] == pytest.approx(data.elapsed_s)
    assert final["artifacts"]["run_dir"] == str(tmp_path / "bert-tiny.run")
    assert final["model"]["model_class"] == "BertModel"
    assert final["coverage"]["direct"] == 41 and final["coverage"]["root"] == 2


def test_events_never_carry_the_node_list(replay, tmp_path: Path) -> None:
    """Step data in events is a bounded summary; the nodes live in nodes.jsonl only."""
    replay([EventLogWriter()])
    for record in events(tmp_path / "bert-tiny.run"):
        payload = record["data"]
        assert "nodes" not in payload
        assert not isinstance(payload.get("modules"), list)
        assert len(json.dumps(record)) < 2000


def test_tables_agree_with_each_other(replay, tmp_path: Path) -> None:
    """Module node counts in hierarchy.jsonl add up to the nodes in nodes.jsonl."""
    replay([EventLogWriter()])
    run_dir = tmp_path / "bert-tiny.run"
    modules = list(iter_records(run_dir, "hierarchy"))
    nodes = list(iter_records(run_dir, "nodes"))
    assert sum(m["direct_nodes"] for m in modules) == len(nodes)
    root = next(m for m in modules if m["path"] == "")
    assert root["subtree_nodes"] == len(nodes)
    assert [n["index"] for n in nodes] == list(range(len(nodes)))
    query = next(m for m in modules if m["path"] == "encoder.layer.1.attention.self.query")
    assert query["op_counts"] == {"MatMul": 1}


@pytest.mark.parametrize(("failed_at", "has_hierarchy"), [(Step.INPUT_GEN, False), (Step.ONNX_EXPORT, True)])
def test_failed_run_closes_the_folder(replay, tmp_path: Path, failed_at: Step, has_hierarchy: bool) -> None:
    """A failed run logs step_failed with the error, ends complete, and keeps what exists."""
    replay([EventLogWriter()], failed_at=failed_at)
    run_dir = tmp_path / "bert-tiny.run"
    manifest = read_manifest(run_dir)
    assert manifest.complete
    assert manifest.has("hierarchy") == has_hierarchy
    assert not manifest.has("nodes") and not (run_dir / "nodes.jsonl").exists()
    records = events(run_dir)
    failed = [r for r in records if r["kind"] == "step_failed"]
    assert [r["step"] for r in failed] == [failed_at.value]
    assert failed[0]["error"]
    assert records[-1]["kind"] == "run_finished"
    assert records[-1]["status"] == "failed" and records[-1]["error"] == failed[0]["error"]


class ManifestProbe(StepAwareWriter):
    """Reads the manifest whenever a step completes (runs after the event log)."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.seen: list[tuple[str, bool, int]] = []
        self.files: dict[str, set[str]] = {}

    @step(*EXPORT_STEPS)
    def probe(self, export_step: Step, data: ExportData) -> int:
        if data.record(export_step).status.value == "completed":
            manifest = read_manifest(self.run_dir)
            self.seen.append((export_step.value, manifest.complete, manifest.file("events").records))
            self.files[export_step.value] = {f.type for f in manifest.files}
        return 0

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        return 0


def test_manifest_is_rewritten_incomplete_after_each_step(replay, tmp_path: Path) -> None:
    """While the run goes on the manifest says complete=false and its counts keep up."""
    probe = ManifestProbe(tmp_path / "bert-tiny.run")
    replay([EventLogWriter(), probe])
    assert [s for s, _, _ in probe.seen] == [s.value for s in EXPORT_STEPS]
    assert not any(complete for _, complete, _ in probe.seen)
    counts = [n for _, _, n in probe.seen]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)


class FakeSampler(StepAwareWriter):
    """Writes resources.jsonl into the run folder, as the resource sampler does."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.path = run_dir / "resources.jsonl"

    def _write_default(self, export_step: Step, data: ExportData) -> int:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": export_step.value, "rss_mb": 100}) + "\n")
        return 1


def test_resources_file_from_another_writer_is_listed(replay, tmp_path: Path) -> None:
    """resources.jsonl written by someone else appears in the manifest with its count."""
    run_dir = tmp_path / "bert-tiny.run"
    sampler = FakeSampler(run_dir)
    replay([EventLogWriter(), sampler])
    entry = read_manifest(run_dir).file("resources")
    assert entry is not None
    assert entry.records == lines(sampler.path) > 0


def test_stale_files_of_an_earlier_run_are_removed(replay, tmp_path: Path) -> None:
    """A rerun that fails early leaves no nodes.jsonl of the previous run behind."""
    replay([EventLogWriter()])
    run_dir = tmp_path / "bert-tiny.run"
    assert (run_dir / "nodes.jsonl").exists()
    replay([EventLogWriter()], failed_at=Step.MODEL_PREP)
    assert not (run_dir / "nodes.jsonl").exists()
    assert not (run_dir / "hierarchy.jsonl").exists()
    assert list(iter_records(run_dir, "nodes")) == []


def test_close_without_finish_still_writes_a_final_manifest(sample: ExportData, tmp_path: Path) -> None:
    """A writer closed before finish (dropped by the monitor) leaves a readable folder."""
    writer = EventLogWriter()
    writer.start(sample)
    writer.write(Step.MODEL_PREP, sample)
    writer.close()
    manifest = read_manifest(tmp_path / "bert-tiny.run")
    assert manifest.complete and manifest.file("events").records == 2


def test_skipped_step_is_logged_with_its_reason(tmp_path: Path) -> None:
    """monitor.skip writes a step_skipped event carrying the reason."""
    from modelexport.monitor import ExportMonitor
    from modelexport.testing import sample_export_data

    data = sample_export_data(tmp_path)
    with ExportMonitor(data, [EventLogWriter()]) as monitor:
        monitor.skip(Step.VERIFY, "--no-verify given")
    skipped = [r for r in events(tmp_path / "bert-tiny.run") if r["kind"] == "step_skipped"]
    assert [(r["step"], r["status"], r["message"]) for r in skipped] == [
        ("verify", "skipped", "--no-verify given")
    ]


def test_run_folder_defaults_beside_the_output(tmp_path: Path) -> None:
    """Without a run_dir artifact, the folder is <stem>.run beside the .onnx."""
    from modelexport.monitor import ExportMonitor
    from modelexport.testing import sample_export_data

    data = sample_export_data(tmp_path)
    del data.artifacts["run_dir"]
    data.output_path = str(tmp_path / "other" / "model.onnx")
    with ExportMonitor(data, [EventLogWriter()]):
        pass
    assert read_manifest(tmp_path / "other" / "model.run").complete


def test_tables_are_listed_when_tagging_completes(replay, tmp_path: Path) -> None:
    """A reader that sees node tagging completed finds nodes and hierarchy in the manifest."""
    probe = ManifestProbe(tmp_path / "bert-tiny.run")
    replay([EventLogWriter(), probe])
    assert {"nodes", "hierarchy"} <= probe.files["node_tagging"]
    assert "nodes" not in probe.files["onnx_export"]
