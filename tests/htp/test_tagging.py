"""Node tagging on hand-built graphs: direct from scopes, inferred from neighbours, root."""

from __future__ import annotations

import onnx_ir as ir

from modelexport.htp.tagging import common_ancestor, ensure_unique_names, scope_module, tag_nodes
from modelexport.steps import HierarchyData, ModuleInfo


def _hierarchy(*paths: str) -> HierarchyData:
    modules = [
        ModuleInfo(
            path=p,
            class_name="M",
            tag="/Root" + "".join(f"/{s}" for s in p.split(".") if p),
            parent=None,
            parameter_count=0,
        )
        for p in ("", *paths)
    ]
    return HierarchyData(modules, execution_steps=len(modules))


def _node(op: str, inputs: list[ir.Value], name: str, scopes: list[str] | None = None) -> ir.Node:
    node = ir.Node("", op, inputs, name=name, num_outputs=1)
    if scopes is not None:
        node.metadata_props["pkg.torch.onnx.name_scopes"] = repr(scopes)
    node.outputs[0].name = f"{name}_out"
    return node


def _graph(nodes: list[ir.Node], x: ir.Value) -> ir.Graph:
    return ir.Graph([x], [nodes[-1].outputs[0]], nodes=nodes, opset_imports={"": 18})


def test_scope_module_reads_innermost_module_of_dynamo_scopes() -> None:
    """The module is the scope before the fx node name; call suffixes are dropped."""
    node = _node("MatMul", [], "n", ["", "encoder", "encoder.layer.0@1", "matmul_3"])
    assert scope_module(node) == "encoder.layer.0"


def test_scope_module_reads_torchscript_node_names() -> None:
    """TorchScript names give the module path, per-attribute or full-path style alike."""
    node = ir.Node("", "MatMul", [], name="/encoder/layer.0/attention/MatMul")
    assert scope_module(node) == "encoder.layer.0.attention"
    assert scope_module(ir.Node("", "Gemm", [], name="/encoder/encoder.0/Gemm")) == "encoder.0"
    assert scope_module(ir.Node("", "Gemm", [], name="/head/Gemm")) == "head"


def test_scope_module_is_none_for_nodes_outside_any_module() -> None:
    """The exporter's placeholder scope and missing metadata both mean 'no module'."""
    placeholder = _node("Shape", [], "s", ["_empty_nn_module_stack_from_metadata_hook", "sym_size"])
    assert scope_module(placeholder) is None
    assert scope_module(ir.Node("", "Constant", [], name="c")) is None


def test_common_ancestor_is_the_deepest_shared_module() -> None:
    """Module paths share their longest common dotted prefix."""
    assert common_ancestor(["a.b.c", "a.b.d"]) == "a.b"
    assert common_ancestor(["a.b", "x"]) == ""
    assert common_ancestor(["a.layer.1", "a.layer.10"]) == "a.layer"


def test_direct_inferred_and_root_are_counted_apart() -> None:
    """A node with scopes is direct, one between tagged neighbours inferred, an isolated one root."""
    x = ir.Value(name="x")
    a = _node("Relu", [x], "a", ["", "enc", "enc.l0", "relu"])
    const = _node("Constant", [], "const")
    b = _node("Add", [a.outputs[0], const.outputs[0]], "b", ["", "enc", "enc.l1", "add"])
    lonely = _node("Constant", [], "lonely")
    graph = _graph([a, const, b, lonely], x)
    data = tag_nodes(graph, _hierarchy("enc", "enc.l0", "enc.l1"))
    by_name = {n.name: n for n in data.nodes}
    assert (data.direct, data.inferred, data.root) == (2, 1, 1)
    assert by_name["const"].module_path == "enc.l1" and by_name["const"].source == "inferred"
    assert by_name["lonely"].source == "root" and by_name["lonely"].module_path == ""
    assert data.coverage == 3 / 4


def test_inference_takes_the_common_ancestor_of_all_neighbours() -> None:
    """A node feeding two layers belongs to their shared parent, not to either layer."""
    x = ir.Value(name="x")
    shared = _node("Shape", [x], "shape")
    left = _node("Reshape", [x, shared.outputs[0]], "left", ["", "enc", "enc.l0", "r"])
    right = _node("Reshape", [left.outputs[0], shared.outputs[0]], "right", ["", "enc", "enc.l1", "r"])
    data = tag_nodes(_graph([shared, left, right], x), _hierarchy("enc", "enc.l0", "enc.l1"))
    assert {n.name: n.module_path for n in data.nodes}["shape"] == "enc"


def test_unknown_scope_walks_up_to_a_known_module_and_counts_a_disagreement() -> None:
    """A scope naming no module of the tree lands on its nearest known ancestor."""
    x = ir.Value(name="x")
    node = _node("Relu", [x], "a", ["", "enc", "enc.ghost", "relu"])
    data = tag_nodes(_graph([node], x), _hierarchy("enc"))
    assert data.nodes[0].module_path == "enc"
    assert data.scope_disagreements == 1


def test_unnamed_and_duplicate_nodes_get_unique_names() -> None:
    """Every node ends up with a distinct name, so the node -> tag map is one-to-one."""
    x = ir.Value(name="x")
    nodes = [_node("Relu", [x], ""), _node("Relu", [x], "dup"), _node("Relu", [x], "dup")]
    graph = _graph(nodes, x)
    assert ensure_unique_names(graph) == 2
    assert len({n.name for n in graph}) == 3


def test_injection_refuses_a_model_with_an_untagged_node() -> None:
    """The post-condition catches a node the tagging data does not name, before anything is saved."""
    import pytest

    from modelexport.errors import ModelExportError
    from modelexport.htp.injection import inject_tags

    x = ir.Value(name="x")
    a = _node("Relu", [x], "a", ["", "enc", "relu"])
    b = _node("Relu", [a.outputs[0]], "b", ["", "enc", "relu"])
    graph = _graph([a, b], x)
    model = ir.Model(graph, ir_version=10)
    data = tag_nodes(graph, _hierarchy("enc"))
    data.nodes = data.nodes[:1]  # as if tagging had skipped node b
    with pytest.raises(ModelExportError, match="node b has no hierarchy_tag"):
        inject_tags(model, data)
    y = ir.Value(name="y")
    clean_model = ir.Model(_graph([_node("Relu", [y], "c", ["", "enc", "r"])], y), ir_version=10)
    inject_tags(clean_model, tag_nodes(clean_model.graph, _hierarchy("enc")), mode="clean")
    assert not any(node.metadata_props for node in clean_model.graph)
