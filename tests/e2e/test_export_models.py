"""End to end: small transformers models, a CNN and a custom module, exported as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import onnx
import pytest

import modelexport
from modelexport.htp.inputs import from_example, generate_inputs
from modelexport.monitor.metadata import metadata_schema
from tests.fixtures import small_models
from tests.fixtures.checks import exporter_scope, max_abs_error, node_props

pytestmark = pytest.mark.slow

MODELS = ["bert", "gpt2", "vit", "bart", "resnet", "reuse_net"]


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, modelexport.ExportResult]:
    """Each model exported once per session (a few seconds each), with every default writer."""
    root = tmp_path_factory.mktemp("exports")
    store = f"sqlite:///{root / 'monitor.db'}"
    return {
        name: modelexport.export(
            f"tests.fixtures.small_models:{name}", root / f"{name}.onnx", quiet=True, store=store
        )
        for name in MODELS
    }


def _model_and_inputs(name: str):
    built = getattr(small_models, name)()
    if isinstance(built, tuple):
        module, example = built
        inputs = from_example(example, module)
        return module.eval(), inputs.kwargs, inputs.args
    inputs = generate_inputs(built, built.config)
    return built.eval(), inputs.kwargs, ()


@pytest.mark.parametrize("name", MODELS)
def test_export_passes_the_full_checker(name: str, exports) -> None:
    """The written model passes onnx.checker with full_check."""
    onnx.checker.check_model(str(exports[name].onnx_path), full_check=True)


@pytest.mark.parametrize("name", MODELS)
def test_onnx_runtime_matches_pytorch(name: str, exports) -> None:
    """ONNX Runtime reproduces the PyTorch outputs within 1e-4."""
    module, kwargs, args = _model_and_inputs(name)
    assert max_abs_error(exports[name].onnx_path, module, kwargs, args) <= 1e-4


@pytest.mark.parametrize("name", MODELS)
def test_every_node_carries_a_tag_of_a_real_module(name: str, exports) -> None:
    """Each node has hierarchy_tag and module_path, naming a module of the model."""
    result = exports[name]
    tags = {m.path: m.tag for m in result.data.hierarchy.modules}
    props = node_props(result.onnx_path)
    assert props
    for prop in props:
        assert prop["module_path"] in tags
        assert prop["hierarchy_tag"] == tags[prop["module_path"]]
        assert not any(key.startswith("pkg.torch") for key in prop)


@pytest.mark.parametrize("name", MODELS)
def test_most_nodes_are_tagged_directly_and_counts_add_up(name: str, exports) -> None:
    """Direct tagging covers at least 90% of nodes; direct + inferred + root is every node."""
    tagging = exports[name].data.node_tagging
    assert tagging.direct + tagging.inferred + tagging.root == tagging.total_nodes
    assert tagging.direct_ratio >= 0.90
    assert tagging.scope_disagreements == 0


@pytest.mark.parametrize("name", MODELS)
def test_metadata_is_schema_valid_and_maps_every_node(name: str, exports) -> None:
    """The sidecar validates against the shipped schema and names every ONNX node."""
    result = exports[name]
    metadata = json.loads(result.paths.metadata.read_text())
    jsonschema.validate(metadata, metadata_schema())
    names = {n.name for n in onnx.load(str(result.onnx_path), load_external_data=False).graph.node}
    assert set(metadata["nodes"]) == names
    assert metadata["export_context"]["status"] == "completed"


def test_reused_module_and_module_list_are_tagged(exports) -> None:
    """The shared projection's nodes and every ModuleList block appear under their own modules."""
    paths = {p["module_path"] for p in node_props(exports["reuse_net"].onnx_path)}
    assert {"shared", "blocks.0.up", "blocks.1.down", "blocks.2.norm", "head"} <= paths
    unused = next(m for m in exports["reuse_net"].data.hierarchy.modules if m.path == "unused")
    assert not unused.executed


def test_dynamic_axes_accept_other_batch_and_sequence_sizes(exports) -> None:
    """The default export runs at a batch and sequence length it was not traced with."""
    import torch

    module, _, _ = _model_and_inputs("bert")
    kwargs = {
        "input_ids": torch.randint(0, 100, (3, 7)),
        "attention_mask": torch.ones(3, 7, dtype=torch.long),
        "token_type_ids": torch.zeros(3, 7, dtype=torch.long),
    }
    assert max_abs_error(exports["bert"].onnx_path, module, kwargs) <= 1e-4


def test_directly_tagged_modules_agree_with_the_exporters_name_scopes(tmp_path: Path) -> None:
    """With torch's metadata kept, every direct tag equals the exporter's innermost scope."""
    result = modelexport.export(
        "tests.fixtures.small_models:bert",
        tmp_path / "bert.onnx",
        keep_torch_metadata=True,
        quiet=True,
        progress=False,
    )
    sources = {n.name: n.source for n in result.data.node_tagging.nodes}
    model = onnx.load(str(result.onnx_path), load_external_data=False)
    checked = 0
    for node in model.graph.node:
        props = {p.key: p.value for p in node.metadata_props}
        if sources[node.name] == "direct":
            assert props["module_path"] == exporter_scope(props["pkg.torch.onnx.name_scopes"])
            checked += 1
    assert checked == result.data.node_tagging.direct


def test_two_exports_of_the_same_model_are_byte_identical(tmp_path: Path, exports) -> None:
    """Re-exporting the same model and inputs gives the same bytes."""
    again = modelexport.export(
        "tests.fixtures.small_models:gpt2", tmp_path / "gpt2.onnx", quiet=True, progress=False
    )
    assert again.onnx_path.read_bytes() == exports["gpt2"].onnx_path.read_bytes()


def test_static_export_freezes_the_input_shapes(tmp_path: Path) -> None:
    """--static gives inputs with concrete dimensions only."""
    result = modelexport.export(
        "tests.fixtures.small_models:vit", tmp_path / "vit.onnx", static=True, quiet=True, progress=False
    )
    model = onnx.load(str(result.onnx_path), load_external_data=False)
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        assert all(d.HasField("dim_value") for d in dims)
    assert result.data.onnx_export.dynamic is False


def test_clean_export_has_no_node_metadata_but_the_sidecar_keeps_every_tag(tmp_path: Path) -> None:
    """--clean writes no node metadata; the metadata JSON still maps every node to its tag."""
    result = modelexport.export(
        "tests.fixtures.small_models:reuse_net", tmp_path / "r.onnx", clean=True, quiet=True, progress=False
    )
    assert all(not props for props in node_props(result.onnx_path))
    metadata = json.loads(result.paths.metadata.read_text())
    assert len(metadata["nodes"]) == result.data.node_tagging.total_nodes
    assert all(entry["tag"].startswith("/ReuseNet") for entry in metadata["nodes"].values())


def test_trace_keeps_the_torch_trace_log_in_the_run_folder(tmp_path: Path) -> None:
    """--trace leaves the export's TORCH_TRACE log under <stem>.run/torch_trace/."""
    result = modelexport.export(
        "tests.fixtures.small_models:reuse_net", tmp_path / "r.onnx", trace=True, quiet=True, progress=False
    )
    logs = list((result.paths.run_dir / "torch_trace").glob("*.log"))
    assert logs and logs[0].stat().st_size > 0
    first = logs[0].read_text().splitlines()[0]
    assert json.loads(first.split("] ", 1)[1])  # a glog prefix, then the JSON envelope


def test_models_past_the_size_limit_keep_weights_as_external_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the 2 GB protobuf limit (lowered here) weights go to OUT.onnx.data; the model still runs."""
    from modelexport.htp import injection

    monkeypatch.setattr(injection, "EXTERNAL_DATA_THRESHOLD", 1)
    result = modelexport.export(
        "tests.fixtures.small_models:reuse_net", tmp_path / "big.onnx", quiet=True, progress=False
    )
    assert result.data.onnx_export.external_data
    data_file = tmp_path / "big.onnx.data"
    assert data_file.exists() and data_file.stat().st_size > 0
    onnx.checker.check_model(str(result.onnx_path), full_check=True)
    module, kwargs, args = _model_and_inputs("reuse_net")
    assert max_abs_error(result.onnx_path, module, kwargs, args) <= 1e-4


def test_dynamo_failure_falls_back_to_torchscript_and_says_why(tmp_path: Path) -> None:
    """A data-dependent branch defeats torch.export; TorchScript exports it, tagged from its scopes."""
    result = modelexport.export(
        "tests.fixtures.small_models:data_dependent", tmp_path / "dd.onnx", quiet=True, progress=False
    )
    exported = result.data.onnx_export
    assert exported.exporter == "torchscript"
    assert "GuardOnDataDependentSymNode" in exported.fallback_reason
    assert any("used TorchScript" in w for w in result.data.warnings)
    assert "symbolic_shapes" in (result.paths.run_dir / "torch_export.log").read_text()
    paths = {p["module_path"] for p in node_props(result.onnx_path)}
    assert {"encoder.0", "encoder.1", "positive"} <= paths
    assert result.data.node_tagging.direct == result.data.node_tagging.total_nodes
    module, kwargs, args = _model_and_inputs("data_dependent")
    assert max_abs_error(result.onnx_path, module, kwargs, args) <= 1e-4


def test_opset_option_sets_the_models_opset(tmp_path: Path) -> None:
    """--opset 17 writes a model importing the default domain at version 17."""
    result = modelexport.export(
        "tests.fixtures.small_models:reuse_net", tmp_path / "o.onnx", opset=17, quiet=True, progress=False
    )
    model = onnx.load(str(result.onnx_path), load_external_data=False)
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {17}


def test_exporting_again_to_the_same_path_starts_a_fresh_run_folder(tmp_path: Path) -> None:
    """A second export to one path leaves no trace of the first run in <stem>.run/."""
    out = tmp_path / "m.onnx"
    store = f"sqlite:///{tmp_path / 'monitor.db'}"
    modelexport.export("tests.fixtures.small_models:reuse_net", out, trace=True, quiet=True, store=store)
    second = modelexport.export("tests.fixtures.small_models:reuse_net", out, quiet=True, store=store)
    run_dir = second.paths.run_dir
    assert not (run_dir / "torch_trace").exists()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert {e["run_id"] for e in events} == {second.data.run_id}
    times = [json.loads(line)["time"] for line in (run_dir / "resources.jsonl").read_text().splitlines()]
    assert times and all(t >= second.data.started_at - 1 for t in times)
