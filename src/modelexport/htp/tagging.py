"""Step 5: which module produced each ONNX node, and how sure we are.

*Direct*: the exporter said so. The dynamo exporter stores the module stack
of each node in `pkg.torch.onnx.name_scopes` (module paths, then the fx node
name); the TorchScript exporter puts the scope path in the node name
(`/encoder/layer.0/attention/MatMul`). *Inferred*: the exporter said nothing
(constants, nodes the optimizer made), so the node takes the deepest module
shared by the tagged nodes around it. *Root*: nothing else placed it. The
three counts are reported separately, because a root fallback counted as
"tagged" makes coverage 100% by construction and tells the user nothing.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Mapping

import onnx_ir as ir

from modelexport.steps import HierarchyData, NodeTag, NodeTaggingData

NAME_SCOPES_KEY = "pkg.torch.onnx.name_scopes"
#: Scope names the exporter uses for nodes that belong to no module.
_NO_MODULE_SCOPES = {"_empty_nn_module_stack_from_metadata_hook"}
_CALL_SUFFIX = re.compile(r"@\d+$")

DIRECT, INFERRED, ROOT = "direct", "inferred", "root"


def _normalize(scope: str) -> str:
    """`encoder.layer.0@1` (second call of a module) -> `encoder.layer.0`."""
    return ".".join(_CALL_SUFFIX.sub("", part) for part in scope.split(".")) if scope else ""


def scope_module(node: ir.Node) -> str | None:
    """The innermost module path the exporter recorded for this node, or None."""
    raw = node.metadata_props.get(NAME_SCOPES_KEY)
    if raw:
        try:
            scopes = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            scopes = None
        if isinstance(scopes, list) and len(scopes) >= 2:
            modules = [s for s in scopes[:-1] if isinstance(s, str)]
            if not modules or modules[0] in _NO_MODULE_SCOPES:
                return None
            return _normalize(modules[-1])
        return None
    name = node.name or ""
    if name.startswith("/") and name.count("/") >= 2:
        return torchscript_scope(name)
    return None


def torchscript_scope(name: str) -> str:
    """The module path in a TorchScript node name.

    Older exporters write one attribute per level (`/encoder/layer.0/attention/MatMul`
    is `encoder.layer.0.attention`); newer ones write each level's full path
    (`/encoder/encoder.0/Gemm` is `encoder.0`). A segment that extends the one
    before it with a dot tells the second form.
    """
    segments = name.strip("/").split("/")[:-1]
    if len(segments) >= 2 and segments[-1].startswith(segments[-2] + "."):
        return segments[-1]
    return ".".join(segments)


def _known_ancestor(path: str, known: Mapping[str, object]) -> str | None:
    """`path` if it is a module, else its nearest ancestor that is."""
    parts = path.split(".") if path else []
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return "" if "" in known else None


def common_ancestor(paths: Iterable[str]) -> str:
    """Deepest module path shared by all `paths` ('' is the root)."""
    split = [p.split(".") if p else [] for p in paths]
    if not split:
        return ""
    prefix: list[str] = []
    for parts in zip(*split, strict=False):
        if all(part == parts[0] for part in parts):
            prefix.append(parts[0])
        else:
            break
    return ".".join(prefix)


def ensure_unique_names(graph: ir.Graph) -> int:
    """Name unnamed or duplicate nodes (`<op>_<index>`), so the node -> tag map has one key each."""
    seen: set[str] = set()
    renamed = 0
    for index, node in enumerate(graph):
        if not node.name or node.name in seen:
            base = f"{node.op_type}_{index}"
            candidate = base
            while candidate in seen:
                candidate += "_"
            node.name = candidate
            renamed += 1
        seen.add(node.name)
    return renamed


def _neighbours(node: ir.Node) -> Iterable[ir.Node]:
    for value in node.inputs:
        if value is not None and value.producer() is not None:
            yield value.producer()
    for value in node.outputs:
        for use in value.uses():
            yield use.node if hasattr(use, "node") else use[0]


def tag_nodes(graph: ir.Graph, hierarchy: HierarchyData) -> NodeTaggingData:
    """Map every node of the main graph to a module: direct, then inferred, then root."""
    modules = {m.path: m for m in hierarchy.modules}
    tags = {m.path: m.tag for m in hierarchy.modules}
    nodes = list(graph)
    assigned: dict[int, tuple[str, str]] = {}
    disagreements = 0
    for node in nodes:
        scope = scope_module(node)
        if scope is None:
            continue
        module = _known_ancestor(scope, modules)
        if module is None:
            continue
        if module != scope:
            disagreements += 1
        assigned[id(node)] = (module, DIRECT)

    # Inference: repeat sweeps so a node can learn from a neighbour inferred earlier.
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if id(node) in assigned:
                continue
            around = [assigned[id(n)][0] for n in _neighbours(node) if id(n) in assigned]
            if not around:
                continue
            assigned[id(node)] = (common_ancestor(around), INFERRED)
            changed = True

    result: list[NodeTag] = []
    counts: Counter[str] = Counter()
    ops: Counter[str] = Counter()
    for node in nodes:
        module, source = assigned.get(id(node), ("", ROOT))
        if module == "" and source == INFERRED:
            source = ROOT
        counts[source] += 1
        ops[node.op_type] += 1
        result.append(
            NodeTag(
                name=node.name or "",
                op_type=node.op_type,
                module_path=module,
                tag=tags.get(module, tags.get("", "/")),
                source=source,
                inputs=[v.name or "" for v in node.inputs if v is not None],
                outputs=[v.name or "" for v in node.outputs],
            )
        )
    return NodeTaggingData(
        total_nodes=len(nodes),
        direct=counts[DIRECT],
        inferred=counts[INFERRED],
        root=counts[ROOT],
        nodes=result,
        op_counts=dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
        scope_disagreements=disagreements,
    )
