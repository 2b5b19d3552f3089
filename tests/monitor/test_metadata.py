"""MetadataWriter: the sidecar JSON, valid against the shipped schema, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from modelexport.monitor import ExportMonitor, MetadataError, MetadataWriter, load_metadata
from modelexport.monitor.metadata import build_metadata, metadata_schema, write_metadata
from modelexport.steps import EXPORT_STEPS, ExportData, Step
from modelexport.testing import FakeClock, run_context, sample_export_data


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator(metadata_schema()).validate(document)


def test_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The schema in the package is itself valid JSON Schema draft 2020-12."""
    schema = metadata_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_metadata_schema_returns_a_fresh_copy() -> None:
    """Changing the returned schema does not change what the next caller gets."""
    metadata_schema()["properties"].clear()
    assert "nodes" in metadata_schema()["properties"]


def test_completed_run_is_valid_and_complete(replay, tmp_path: Path) -> None:
    """A completed run's file validates and holds every module, node and step with timings."""
    data = replay([MetadataWriter()])
    document = json.loads((tmp_path / "bert-tiny_htp_metadata.json").read_text())
    validate(document)

    context = document["export_context"]
    assert context["status"] == "completed" and context["error"] is None
    assert context["started_at"] == "2025-11-23T06:00:00.000Z"
    assert context["elapsed_s"] == pytest.approx(data.elapsed_s)
    assert len(document["modules"]) == len(data.hierarchy.modules) == 42
    assert len(document["nodes"]) == data.node_tagging.total_nodes == 46
    assert document["nodes"]["node_MatMul_9"] == {
        "op_type": "MatMul",
        "module_path": "encoder.layer.0.attention.self.query",
        "tag": "/BertModel/BertEncoder/BertLayer.0/BertAttention/BertSelfAttention/Linear.query",
        "source": "direct",
    }
    assert list(document["steps"]) == [s.value for s in EXPORT_STEPS]
    assert document["steps"]["onnx_export"]["duration_s"] == pytest.approx(3.65)
    assert all(s["status"] == "completed" for s in document["steps"].values())
    stats = document["statistics"]
    assert (stats["direct_nodes"], stats["inferred_nodes"], stats["root_nodes"]) == (41, 3, 2)
    assert stats["coverage"] == pytest.approx(44 / 46, abs=1e-6)
    assert stats["module_nodes"][""]["subtree"] == 46
    assert document["artifacts"]["onnx"] == str(tmp_path / "bert-tiny.onnx")


def test_module_entries_carry_node_counts(sample: ExportData) -> None:
    """Each module lists its own nodes and its subtree's; the root's subtree is every node."""
    modules = {m["path"]: m for m in build_metadata(sample)["modules"]}
    assert modules["encoder.layer.0.attention.self"]["direct_nodes"] == 6
    assert modules["encoder.layer.0.attention.self"]["subtree_nodes"] == 9
    assert modules["embeddings.dropout"]["executed"] is False
    assert modules["embeddings.dropout"]["execution_order"] is None
    iterated = modules["encoder.layer"]  # a ModuleList: never called, but its layers ran
    assert (iterated["executed"], iterated["call_count"], iterated["subtree_nodes"]) == (True, 0, 34)
    assert sum(m["direct_nodes"] for m in modules.values()) == 46


@pytest.mark.parametrize("failed_at", EXPORT_STEPS, ids=lambda s: s.value)
def test_failed_run_is_valid_and_records_the_failure(replay, tmp_path: Path, failed_at: Step) -> None:
    """A run that fails at any step still writes a valid file with the error and partial data."""
    replay([MetadataWriter()], failed_at=failed_at)
    document = json.loads((tmp_path / "bert-tiny_htp_metadata.json").read_text())
    validate(document)

    assert document["export_context"]["status"] == "failed"
    assert document["export_context"]["error"]
    index = EXPORT_STEPS.index(failed_at)
    statuses = [document["steps"][s.value]["status"] for s in EXPORT_STEPS]
    assert statuses == ["completed"] * index + ["failed"] + ["pending"] * (5 - index)
    assert (document["model"] is not None) == (index > 0)
    assert (len(document["nodes"]) > 0) == (index > Step.NODE_TAGGING.number - 1)


def test_cancelled_run_is_written_with_status_cancelled(tmp_path: Path) -> None:
    """Ctrl-C inside a step ends the run as cancelled, and the metadata says so."""
    data = sample_export_data(tmp_path)
    monitor = ExportMonitor(run_context(data), [MetadataWriter()], clock=FakeClock())
    with pytest.raises(KeyboardInterrupt), monitor:
        monitor.update(Step.MODEL_PREP, data.model_prep)
        monitor.begin(Step.INPUT_GEN)
        raise KeyboardInterrupt
    document = load_metadata(tmp_path / "bert-tiny_htp_metadata.json")
    validate(document)
    assert document["export_context"]["status"] == "cancelled"
    assert document["steps"]["input_generation"]["status"] == "failed"
    assert document["model"]["model_class"] == "BertModel"


def test_unknown_dimensions_are_valid(sample: ExportData) -> None:
    """An output dimension the exporter left unknown (-1) is valid; -2 is not."""
    sample.onnx_export.outputs[0].shape = [-1, 16, 32]
    validate(build_metadata(sample))
    sample.onnx_export.outputs[0].shape = [-2, 16, 32]
    with pytest.raises(jsonschema.ValidationError):
        validate(build_metadata(sample))


def test_schema_rejects_what_it_should(sample: ExportData) -> None:
    """The schema is not vacuous: a bad node source or a missing section fails validation."""
    document = build_metadata(sample)
    next(iter(document["nodes"].values()))["source"] = "guessed"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)
    document = build_metadata(sample)
    del document["statistics"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document)
    document = build_metadata(sample)
    document["export_context"].update(status="failed", error=None)
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_failed_serialization_leaves_no_file(sample: ExportData, tmp_path: Path) -> None:
    """If serializing dies mid-file, the final path has no file and no temp file is left."""
    sample.options["tolerance"] = float("nan")  # not JSON: json.dump fails part way through
    target = tmp_path / "out_htp_metadata.json"
    with pytest.raises(ValueError):
        write_metadata(target, sample)
    assert list(tmp_path.iterdir()) == []


def test_failed_serialization_keeps_the_previous_file(sample: ExportData, tmp_path: Path) -> None:
    """A failed rewrite leaves the earlier, complete file in place."""
    target = tmp_path / "out_htp_metadata.json"
    write_metadata(target, sample)
    before = target.read_bytes()
    sample.options["tolerance"] = float("nan")
    with pytest.raises(ValueError):
        write_metadata(target, sample)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_options_that_are_not_json_are_written_as_text(sample: ExportData, tmp_path: Path) -> None:
    """An option holding a path (or any object) is written as its text, not lost."""
    sample.options["input_specs"] = tmp_path / "specs.json"
    target = write_metadata(tmp_path / "m.json", sample)
    assert load_metadata(target)["export_context"]["options"]["input_specs"] == str(tmp_path / "specs.json")


def test_writer_failure_is_a_warning_not_a_crash(replay, tmp_path: Path) -> None:
    """A metadata file that cannot be written is reported in warnings; the run still ends."""
    (tmp_path / "bert-tiny_htp_metadata.json").mkdir()  # a folder where the file should go
    data = replay([MetadataWriter()])
    assert data.status.value == "completed"
    assert any("MetadataWriter failed in finish" in w for w in data.warnings)


def test_path_argument_overrides_the_artifact(replay, tmp_path: Path) -> None:
    """An explicit path wins over data.artifacts['metadata']."""
    target = tmp_path / "elsewhere" / "meta.json"
    replay([MetadataWriter(target)])
    assert load_metadata(target)["export_context"]["status"] == "completed"
    assert not (tmp_path / "bert-tiny_htp_metadata.json").exists()


def test_load_metadata_round_trips(sample: ExportData, tmp_path: Path) -> None:
    """What write_metadata writes, load_metadata reads back unchanged."""
    target = write_metadata(tmp_path / "m.json", sample)
    assert load_metadata(target) == json.loads(json.dumps(build_metadata(sample)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not modelexport metadata"),
        ('{"schema_version": 99, "nodes": {}, "modules": []}', "upgrade"),
        ('{"schema_version": 1}', "without its nodes"),
    ],
)
def test_load_metadata_says_what_is_wrong(tmp_path: Path, content: str | None, message: str) -> None:
    """A missing, corrupt, foreign or too-new file raises MetadataError with the reason."""
    target = tmp_path / "x_htp_metadata.json"
    if content is not None:
        target.write_text(content)
    with pytest.raises(MetadataError, match=message):
        load_metadata(target)


def test_metadata_file_gets_the_usual_permissions(replay, tmp_path: Path) -> None:
    """The sidecar gets the mode any file the user creates gets, not mkstemp's private 0600."""
    replay([MetadataWriter()])
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    mode = (tmp_path / "bert-tiny_htp_metadata.json").stat().st_mode & 0o777
    assert mode == plain.stat().st_mode & 0o777
