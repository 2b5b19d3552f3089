"""The real all-MiniLM-L6-v2, exported through the CLI exactly as `make demo` does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import onnx
import pytest
from typer.testing import CliRunner

from modelexport.cli import app
from modelexport.htp.inputs import generate_inputs
from modelexport.htp.models import load_model
from modelexport.monitor.metadata import metadata_schema
from modelexport.runfiles import read_manifest
from tests.fixtures.checks import exporter_scope, max_abs_error, node_props

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CLI export of MiniLM with the HTML report, kept for the whole session."""
    out = tmp_path_factory.mktemp("minilm") / "all-MiniLM-L6-v2.onnx"
    store = f"sqlite:///{out.parent / 'monitor.db'}"
    result = CliRunner().invoke(
        app, ["export", "all-MiniLM-L6-v2", "-o", str(out), "--report", "--store", store]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def minilm_with_torch_metadata(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second export keeping the exporter's own node metadata, to check tags against it."""
    out = tmp_path_factory.mktemp("minilm-keep") / "keep.onnx"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "all-MiniLM-L6-v2",
            "-o",
            str(out),
            "-q",
            "--keep-torch-metadata",
            "--store",
            f"sqlite:///{out.parent}/m.db",
        ],
    )
    assert result.exit_code == 0, result.stderr
    return out


def _metadata(out: Path) -> dict:
    return json.loads((out.parent / f"{out.stem}_htp_metadata.json").read_text())


def test_minilm_passes_the_checker(minilm: Path) -> None:
    """The exported MiniLM passes onnx.checker's full check."""
    onnx.checker.check_model(str(minilm), full_check=True)


def test_minilm_matches_pytorch_in_onnx_runtime(minilm: Path) -> None:
    """ONNX Runtime's MiniLM outputs are within 1e-4 of PyTorch's."""
    loaded = load_model("all-MiniLM-L6-v2")
    inputs = generate_inputs(loaded.module, loaded.config)
    assert max_abs_error(minilm, loaded.module, inputs.kwargs) <= 1e-4


def test_every_minilm_node_is_tagged_and_direct_tags_agree_with_the_exporter(
    minilm_with_torch_metadata: Path,
) -> None:
    """All nodes carry a tag; direct ones name the module in the exporter's own scopes; >= 95% direct."""
    exported = minilm_with_torch_metadata
    metadata = _metadata(exported)
    props = node_props(exported)
    assert all("hierarchy_tag" in p and "module_path" in p for p in props)
    direct = 0
    names = [n.name for n in onnx.load(str(exported), load_external_data=False).graph.node]
    for name, prop in zip(names, props, strict=True):
        if metadata["nodes"][name]["source"] == "direct":
            assert prop["module_path"] == exporter_scope(prop["pkg.torch.onnx.name_scopes"])
            direct += 1
    assert direct / len(props) >= 0.95
    stats = metadata["statistics"]
    assert stats["direct_nodes"] + stats["inferred_nodes"] + stats["root_nodes"] == len(props)


def test_minilm_tags_follow_the_architecture_rule(minilm: Path) -> None:
    """Layer 2 attention is tagged /BertModel/BertEncoder/BertLayer.2/BertAttention/..., no container."""
    paths = {p["module_path"]: p["hierarchy_tag"] for p in node_props(minilm)}
    tag = paths["encoder.layer.2.attention.self"]
    assert tag.startswith("/BertModel/BertEncoder/BertLayer.2/BertAttention/")
    assert "ModuleList" not in tag


def test_minilm_outputs_keep_the_models_own_names(minilm: Path) -> None:
    """Graph outputs are named after the model's output fields."""
    model = onnx.load(str(minilm), load_external_data=False)
    assert [o.name for o in model.graph.output] == ["last_hidden_state", "pooler_output"]


def test_minilm_metadata_run_folder_and_report_are_complete(minilm: Path) -> None:
    """Metadata validates, the run folder's manifest is complete, the HTML report exists."""
    metadata = _metadata(minilm)
    jsonschema.validate(metadata, metadata_schema())
    assert metadata["export_context"]["status"] == "completed"
    manifest = read_manifest(minilm.parent / "all-MiniLM-L6-v2.run")
    assert manifest.complete
    assert {"events", "hierarchy", "nodes"} <= {f.type for f in manifest.files}
    assert (minilm.parent / "all-MiniLM-L6-v2.report" / "index.html").exists()
    report_text = (minilm.parent / "all-MiniLM-L6-v2_htp_export_report.txt").read_text()
    assert "encoder.layer.5.output.dense" in report_text


def test_minilm_reexport_is_identical_but_for_torch_metadata(
    minilm: Path, minilm_with_torch_metadata: Path
) -> None:
    """A second export, with torch's node metadata removed again, equals the first one exactly."""

    def stripped(path: Path) -> bytes:
        model = onnx.load(str(path))
        for node in model.graph.node:
            keep = [
                (p.key, p.value)
                for p in node.metadata_props
                if not p.key.startswith("pkg.torch") and p.key != "namespace"
            ]
            del node.metadata_props[:]
            for key, value in keep:
                node.metadata_props.add(key=key, value=value)
        return model.SerializeToString(deterministic=True)

    assert stripped(minilm_with_torch_metadata) == stripped(minilm)
