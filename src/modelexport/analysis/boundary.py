"""Where a module's subgraph meets the rest of the model: the values that cross the cut.

Inputs are the values its nodes read that are made outside it (graph inputs or
other modules' outputs); outputs are the values its nodes make that are read
outside it or are graph outputs. Initializers are not inputs: the extracted
model copies them. Constant nodes outside the module that feed it are pulled
in ("folded"), so a scalar does not become a model input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx


@dataclass(frozen=True)
class Boundary:
    """The cut around a set of main-graph nodes."""

    nodes: list[int]
    """Indices of the selected nodes, folded Constants included, in graph order."""
    inputs: list[str]
    """Graph inputs in the model's order, then other values in order of first use."""
    outputs: list[str]
    """Graph outputs in the model's order, then other values in the order they are made."""
    folded_constants: int


def in_module(module_path: str | None, target: str) -> bool:
    """Whether a node tagged `module_path` belongs to `target` or a module below it."""
    if module_path is None:
        return False
    return not target or module_path == target or module_path.startswith(target + ".")


def find_boundary(graph: onnx.GraphProto, selected: Iterable[int]) -> Boundary:
    """Compute inputs and outputs of the subgraph made of the `selected` node indices."""
    chosen = set(selected)
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output if out}
    initializers = {t.name for t in graph.initializer}

    folded = set()
    for i in sorted(chosen):
        for name in _reads(graph.node[i]):
            j = producer.get(name)
            if j is not None and j not in chosen and _is_constant(graph.node[j]):
                folded.add(j)
    chosen |= folded

    inputs: dict[str, None] = {}
    for i in sorted(chosen):
        for name in _reads(graph.node[i]):
            if name in initializers and name not in producer:
                continue
            if producer.get(name) not in chosen:
                inputs[name] = None

    read_outside = {name for i, node in enumerate(graph.node) if i not in chosen for name in _reads(node)}
    graph_outputs = [o.name for o in graph.output]
    outputs = [
        out
        for i in sorted(chosen)
        for out in graph.node[i].output
        if out and (out in graph_outputs or (i not in folded and out in read_outside))
    ]
    return Boundary(
        nodes=sorted(chosen),
        inputs=_model_order_first(list(inputs), [i.name for i in graph.input]),
        outputs=_model_order_first(outputs, graph_outputs),
        folded_constants=len(folded),
    )


def _model_order_first(names: list[str], model_names: list[str]) -> list[str]:
    """The model's own inputs (or outputs) first, in its order; then the rest as found."""
    found = set(names)
    own = [name for name in model_names if name in found]
    return own + [name for name in names if name not in set(own)]


def _is_constant(node: onnx.NodeProto) -> bool:
    return node.op_type == "Constant" and node.domain in ("", "ai.onnx") and not node.input


def _reads(node: onnx.NodeProto) -> Iterator[str]:
    """Every value a node reads, including outer-scope values its subgraphs read."""
    yield from (name for name in node.input if name)
    for attr in node.attribute:
        for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
            yield from _outer_reads(sub)


def _outer_reads(graph: onnx.GraphProto) -> Iterator[str]:
    local = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    local |= {out for node in graph.node for out in node.output}
    for node in graph.node:
        yield from (name for name in _reads(node) if name not in local)
