"""Reading hierarchy tags from an exported model: node metadata first, the sidecar second.

A model exported normally carries `hierarchy_tag` and `module_path` in each
node's `metadata_props`; one exported `--clean` carries none and keeps them in
the sidecar JSON. Both are read into the same `TaggedGraph`, so every command
works on either.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from modelexport.analysis._onnxio import load_graph
from modelexport.analysis.sidecar import Sidecar, SidecarModule, read_sidecar, sidecar_path_for
from modelexport.errors import UsageError

if TYPE_CHECKING:
    import onnx

TAG_KEY = "hierarchy_tag"
PATH_KEY = "module_path"


@dataclass(frozen=True)
class NodeTag:
    """One main-graph node and the module it belongs to (None when it carries no tag)."""

    name: str
    op_type: str
    tag: str | None
    module_path: str | None

    @property
    def tagged(self) -> bool:
        return self.module_path is not None


@dataclass
class TaggedGraph:
    """The nodes of a model with their modules, plus the module list the sidecar knows."""

    model_path: Path
    nodes: list[NodeTag]
    source: str
    """Where the tags came from: `node metadata`, `sidecar` or both."""
    modules: list[SidecarModule] = field(default_factory=list)
    """Modules from the sidecar, including those that produced no node."""
    tag_sources: dict[str, int] = field(default_factory=dict)
    """How many nodes the exporter tagged `direct`, `inferred` or `root` (sidecar only)."""

    @property
    def untagged(self) -> int:
        return sum(1 for node in self.nodes if not node.tagged)


def read_tags(
    model_path: str | Path, metadata: str | Path | None = None, model: onnx.ModelProto | None = None
) -> TaggedGraph:
    """Read the tags of `model_path`, from its nodes or else from the sidecar.

    `metadata` names the sidecar explicitly; otherwise `<stem>_htp_metadata.json`
    beside the model is used when it exists. A model with neither is a
    UsageError that names both fixes.
    """
    model_path = Path(model_path)
    if model is None:
        model = load_graph(model_path)
    sidecar = _find_sidecar(model_path, metadata)
    embedded = [_embedded(node) for node in model.graph.node]
    has_embedded = any(node.tagged for node in embedded)
    if not has_embedded and (sidecar is None or not sidecar.nodes):
        where = f"metadata file {sidecar.path} has no nodes" if sidecar else "no sidecar found"
        raise UsageError(
            f"{model_path} has no hierarchy tags (no node metadata, {where})",
            hint="export it with `modelexport export`, or pass --metadata FILE",
        )
    nodes = [_fill_from(node, sidecar) for node in embedded] if sidecar else embedded
    used_sidecar = sidecar is not None and any(
        not old.tagged and new.tagged for old, new in zip(embedded, nodes, strict=True)
    )
    source = (
        "node metadata + sidecar"
        if has_embedded and used_sidecar
        else "node metadata"
        if has_embedded
        else "sidecar"
    )
    return TaggedGraph(
        model_path=model_path,
        nodes=nodes,
        source=source,
        modules=list(sidecar.modules) if sidecar else [],
        tag_sources=_tag_sources(model, sidecar),
    )


def _find_sidecar(model_path: Path, metadata: str | Path | None) -> Sidecar | None:
    if metadata is not None:
        return read_sidecar(metadata)
    candidate = sidecar_path_for(model_path)
    return read_sidecar(candidate) if candidate.is_file() else None


def _tag_sources(model: onnx.ModelProto, sidecar: Sidecar | None) -> dict[str, int]:
    if sidecar is None:
        return {}
    sources = Counter(
        entry.source
        for node in model.graph.node
        if (entry := sidecar.nodes.get(node.name)) is not None and entry.source
    )
    return dict(sources.most_common())


def _embedded(node: onnx.NodeProto) -> NodeTag:
    props = {prop.key: prop.value for prop in node.metadata_props}
    return NodeTag(
        name=node.name, op_type=node.op_type, tag=props.get(TAG_KEY), module_path=props.get(PATH_KEY)
    )


def _fill_from(node: NodeTag, sidecar: Sidecar) -> NodeTag:
    if node.tagged:
        return node
    entry = sidecar.nodes.get(node.name)
    if entry is None or entry.module_path is None:
        return node
    return NodeTag(name=node.name, op_type=node.op_type, tag=entry.tag, module_path=entry.module_path)
