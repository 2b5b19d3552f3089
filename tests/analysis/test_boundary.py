"""The cut around a set of nodes: inputs, outputs, folded constants."""

from __future__ import annotations

import pytest

from modelexport.analysis.boundary import find_boundary, in_module


@pytest.fixture(scope="module")
def graph():
    """x -> Add(x, const) -> Relu -> Mul(relu, w) -> y, with Relu's output also read by Neg."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node(
            "Constant", [], ["c"], name="const", value=helper.make_tensor("v", TensorProto.FLOAT, [], [1.0])
        ),
        helper.make_node("Add", ["x", "c"], ["a"], name="add"),
        helper.make_node("Relu", ["a"], ["r"], name="relu"),
        helper.make_node("Mul", ["r", "w"], ["y"], name="mul"),
        helper.make_node("Neg", ["r"], ["n"], name="neg"),
    ]
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "g",
        [value("x", TensorProto.FLOAT, [2])],
        [value("y", TensorProto.FLOAT, [2]), value("n", TensorProto.FLOAT, [2])],
        initializer=[helper.make_tensor("w", TensorProto.FLOAT, [2], [2.0, 3.0])],
    )
    onnx.checker.check_graph(graph)
    return graph


def test_outside_constants_are_folded_in(graph):
    """A Constant feeding the selection joins it instead of becoming an input."""
    cut = find_boundary(graph, [1, 2])
    assert cut.nodes == [0, 1, 2]
    assert cut.inputs == ["x"]
    assert cut.folded_constants == 1


def test_outputs_are_values_read_outside(graph):
    """A value read by an unselected node, or a graph output, is an output; internal ones are not."""
    assert find_boundary(graph, [1, 2]).outputs == ["r"]
    assert find_boundary(graph, [2, 3]).outputs == ["y", "r"]  # graph outputs first


def test_initializers_are_not_inputs(graph):
    """An initializer the selection reads is copied, not made an input."""
    assert find_boundary(graph, [3]).inputs == ["r"]


def test_in_module_matches_the_module_and_below():
    """A node belongs to a module and to every ancestor, never to a sibling with a shared prefix."""
    assert in_module("layer.1", "layer.1")
    assert in_module("layer.1.norm", "layer.1")
    assert not in_module("layer.10", "layer.1")
    assert in_module("anything", "")
    assert not in_module(None, "")


def test_model_inputs_and_outputs_keep_the_models_order(graph):
    """Cutting the whole graph gives back the model's own inputs and outputs, in order."""
    cut = find_boundary(graph, range(len(graph.node)))
    assert cut.inputs == [i.name for i in graph.input]
    assert cut.outputs == [o.name for o in graph.output]
