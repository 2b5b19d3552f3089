"""Step 6: write the tags into the model and save it, valid and reproducible.

Tags go into each node's `metadata_props` (`hierarchy_tag`, `module_path`),
never into custom attributes, so `onnx.checker` and ONNX Runtime accept the
model unchanged. The exporter's own keys are bulky and machine-specific (stack
traces with absolute paths, fx node text), so they are dropped unless asked
for; that is also what makes two exports byte-identical. The file is saved to
a temporary name and renamed, so a failed save leaves nothing at the path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import onnx
import onnx_ir as ir

from modelexport import __version__
from modelexport.errors import ModelExportError
from modelexport.steps import NodeTaggingData

TAG_KEY = "hierarchy_tag"
PATH_KEY = "module_path"
#: Keys the torch exporter writes into node metadata.
TORCH_KEY_PREFIXES = ("pkg.torch.", "namespace")
#: Models at least this large keep their weights in `<name>.data` (protobuf's 2 GB limit).
EXTERNAL_DATA_THRESHOLD = 2 * 1024**3 - 64 * 1024**2

MODES = ("tags", "clean", "keep")


@dataclass
class InjectionResult:
    nodes_tagged: int
    torch_keys_removed: int


def _is_torch_key(key: str) -> bool:
    return key.startswith(TORCH_KEY_PREFIXES)


def _subgraph_nodes(node: ir.Node) -> list[ir.Node]:
    found: list[ir.Node] = []
    for attr in node.attributes.values():
        graphs = []
        if attr.type == ir.AttributeType.GRAPH:
            graphs = [attr.value]
        elif attr.type == ir.AttributeType.GRAPHS:
            graphs = list(attr.value)
        for graph in graphs:
            for inner in graph:
                found.append(inner)
                found.extend(_subgraph_nodes(inner))
    return found


def inject_tags(model: ir.Model, tagging: NodeTaggingData, mode: str = "tags") -> InjectionResult:
    """Set each node's metadata per `mode`: `tags`, `clean` (none at all) or `keep` (plus torch's)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    by_name = {tag.name: tag for tag in tagging.nodes}
    removed = 0
    tagged = 0
    for node in model.graph:
        tag = by_name.get(node.name or "")
        targets = [node, *_subgraph_nodes(node)]
        for target in targets:
            props = target.metadata_props
            if mode != "keep":
                for key in [k for k in props if _is_torch_key(k)]:
                    del props[key]
                    removed += 1
            if mode == "clean":
                props.clear()
                continue
            if tag is not None:
                props[TAG_KEY] = tag.tag
                props[PATH_KEY] = tag.module_path
        if tag is not None and mode != "clean":
            tagged += 1
    if mode != "clean":
        model.metadata_props["modelexport.version"] = __version__
        model.metadata_props["modelexport.node_metadata"] = f"{TAG_KEY},{PATH_KEY}"
    _ensure_tagged(model, mode)
    return InjectionResult(tagged, removed)


def _ensure_tagged(model: ir.Model, mode: str) -> None:
    """Post-condition: every node carries both keys (or, with `clean`, no metadata at all).

    Checked on the model in memory before it is saved, so a tagging bug can
    never produce a file that claims coverage it does not have.
    """
    for node in model.graph:
        props = node.metadata_props
        if mode == "clean" and props:
            raise ModelExportError(f"internal check failed: node {node.name} kept metadata in clean mode")
        if mode != "clean" and (TAG_KEY not in props or PATH_KEY not in props):
            raise ModelExportError(f"internal check failed: node {node.name} has no {TAG_KEY}")


def _weights_bytes(model: ir.Model) -> int:
    return sum(t.nbytes for t in (v.const_value for v in model.graph.initializers.values()) if t is not None)


def save_model(model: ir.Model, target: Path, *, check: bool = True) -> tuple[bool, bool]:
    """Save atomically (external data past ~2 GB); return (external_data, checker_passed).

    The checker runs on the temporary file, before the rename, so an invalid
    model never reaches the final path.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    external = _weights_bytes(model) >= EXTERNAL_DATA_THRESHOLD
    data_name = f"{target.name}.data"
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged = staging / target.name
        if external:
            ir.save(model, staged, external_data=data_name)
        else:
            ir.save(model, staged)
        checked = False
        if check:
            onnx.checker.check_model(str(staged), full_check=True)
            checked = True
        if external:
            os.replace(staging / data_name, target.parent / data_name)
        elif (target.parent / data_name).exists():
            (target.parent / data_name).unlink()
        os.replace(staged, target)
        return external, checked
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
