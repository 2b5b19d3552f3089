"""Extracting one module's subgraph as a standalone model that ONNX Runtime runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelexport.analysis.extract import extract_module
from modelexport.analysis.tree import load_tree
from modelexport.errors import OutputPathError, UsageError


def run_full_model(model_path: Path, names: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run the whole model once with `names` added as graph outputs: the reference values."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(model_path))
    feeds = {model.graph.input[0].name: ids}
    inferred = onnx.shape_inference.infer_shapes(model)
    infos = {v.name: v for v in [*inferred.graph.value_info, *inferred.graph.output]}
    present = {o.name for o in model.graph.output}
    wanted = [n for n in names if n not in feeds]
    model.graph.output.extend(infos[n] for n in wanted if n not in present)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return {**feeds, **dict(zip(wanted, session.run(wanted, feeds), strict=True))}


def run_part(part: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(part), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    inputs = {i.name: feeds[i.name] for i in session.get_inputs()}
    return dict(zip(names, session.run(names, inputs), strict=True))


@pytest.mark.parametrize(
    "module", ["layer.0.attention", "layer.0", "layer.1.norm", "embed", "layer.0.ff.1", "head", ""]
)
def test_part_reproduces_the_full_model(models, input_ids, tmp_path, module):
    """The part, fed the full model's values at its inputs, gives the full model's values."""
    import onnx

    part = tmp_path / "part.onnx"
    result = extract_module(models["tagged"], module, part)
    onnx.checker.check_model(str(part), full_check=True)
    reference = run_full_model(models["tagged"], result.inputs + result.outputs, input_ids)
    produced = run_part(part, reference)
    assert set(produced) == set(result.outputs)
    for name, value in produced.items():
        np.testing.assert_allclose(value, reference[name], rtol=1e-5, atol=1e-6)


def test_part_holds_exactly_the_modules_nodes(models, tmp_path):
    """The part has the module's subtree nodes, still tagged, and nothing else."""
    part = tmp_path / "attention.onnx"
    result = extract_module(models["tagged"], "layer.0.attention", part)
    full = load_tree(models["tagged"]).modules["layer.0.attention"]
    assert result.nodes == full.subtree_nodes
    assert load_tree(part).modules["layer.0.attention"].subtree_ops == full.subtree_ops


def test_boundary_values_are_typed_with_shapes(models, tmp_path):
    """Inputs and outputs carry element types and the shapes inference found."""
    import onnx

    part = tmp_path / "part.onnx"
    extract_module(models["tagged"], "layer.0.attention", part)
    graph = onnx.load(str(part)).graph
    for value in [*graph.input, *graph.output]:
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert len(value.type.tensor_type.shape.dim) == 3


def test_extract_by_hierarchy_tag(models, tmp_path):
    """A hierarchy tag selects the same module as its path."""
    tree = load_tree(models["tagged"])
    result = extract_module(models["tagged"], tree.modules["layer.1"].tag, tmp_path / "p.onnx")
    assert result.module_path == "layer.1"


def test_extract_from_a_clean_export(models, input_ids, tmp_path):
    """A `--clean` export is cut by the sidecar's tags and still runs."""
    part = tmp_path / "part.onnx"
    result = extract_module(models["clean"], "layer.1.attention", part)
    assert result.nodes == 11
    reference = run_full_model(models["tagged"], result.inputs + result.outputs, input_ids)
    for name, value in run_part(part, reference).items():
        np.testing.assert_allclose(value, reference[name], rtol=1e-5, atol=1e-6)


def test_external_data_is_copied_inline(models, tmp_path):
    """Weights a model keeps in `.onnx.data` are loaded into the (small) part."""
    import onnx

    part = tmp_path / "part.onnx"
    extract_module(models["external"], "head", part)
    model = onnx.load(str(part), load_external_data=False)
    assert model.graph.initializer
    assert all(t.data_location != onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    onnx.checker.check_model(model, full_check=True)


def test_part_says_where_it_came_from(models, tmp_path):
    """The part's model metadata names the source model and module."""
    import onnx

    part = tmp_path / "part.onnx"
    extract_module(models["tagged"], "head", part)
    props = {p.key: p.value for p in onnx.load(str(part)).metadata_props}
    assert props["modelexport.module_path"] == "head"
    assert props["modelexport.source_model"] == "tagged.onnx"


def test_written_atomically(models, tmp_path):
    """Only the final file is left in the output folder."""
    extract_module(models["tagged"], "head", tmp_path / "part.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["part.onnx"]


def test_unknown_module_lists_close_matches(models, tmp_path):
    """An unknown module is a UsageError with close matches, and nothing is written."""
    with pytest.raises(UsageError, match="did you mean"):
        extract_module(models["tagged"], "layer.0.attn", tmp_path / "part.onnx")
    assert not (tmp_path / "part.onnx").exists()


def test_module_without_nodes(models, tmp_path):
    """A module that produced no nodes is a UsageError, not an empty model."""
    with pytest.raises(UsageError, match="produced no nodes"):
        extract_module(models["clean"], "unused", tmp_path / "part.onnx")


def test_refuses_to_overwrite_the_source(models):
    """Extracting onto the model itself is refused."""
    with pytest.raises(UsageError, match="overwrite"):
        extract_module(models["tagged"], "head", models["tagged"])


def test_unwritable_output(models, tmp_path):
    """An output under a regular file is an OutputPathError (exit 2)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputPathError):
        extract_module(models["tagged"], "head", blocker / "part.onnx")


def test_missing_external_data(models, tmp_path):
    """A model whose .onnx.data is gone is a UsageError that says to keep it beside the model."""
    import shutil

    lonely = tmp_path / "external.onnx"
    shutil.copy(models["external"], lonely)
    with pytest.raises(UsageError, match=r"\.onnx\.data"):
        extract_module(lonely, "head", tmp_path / "part.onnx")
