"""One module's subgraph as a standalone ONNX model.

The cut is computed here (`boundary`); the graph surgery is onnx's own
`onnx.utils.Extractor`, fed a shape-inferred copy of the model so every
boundary value has a type and, where known, a shape. Weights stored as
external data stay on disk until the extracted model needs them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelexport._atomic import atomic_path
from modelexport.analysis._onnxio import load_graph
from modelexport.analysis.boundary import find_boundary, in_module
from modelexport.analysis.resolve import resolve_module
from modelexport.analysis.tags import read_tags
from modelexport.analysis.tree import build_tree
from modelexport.errors import ModelExportError, OutputPathError, UsageError

if TYPE_CHECKING:
    import onnx


@dataclass(frozen=True)
class Extraction:
    """What `extract_module` wrote."""

    module_path: str
    tag: str | None
    output: Path
    nodes: int
    inputs: list[str]
    outputs: list[str]
    initializers: int
    folded_constants: int


def extract_module(
    model_path: str | Path, module: str, output: str | Path, *, metadata: str | Path | None = None
) -> Extraction:
    """Write the subgraph of `module` (a path or a tag) in `model_path` to `output`."""
    import onnx

    model_path, output = Path(model_path), Path(output)
    if output.resolve() == model_path.resolve():
        raise UsageError(f"the output {output} would overwrite the model it is cut from")
    model = load_graph(model_path)
    tagged = read_tags(model_path, metadata, model=model)
    tree = build_tree(tagged)
    path = resolve_module(module, tree)
    selected = [i for i, node in enumerate(tagged.nodes) if in_module(node.module_path, path)]
    label = path or "the root module"
    if not selected:
        raise UsageError(
            f"module {label!r} produced no nodes in {model_path.name}; nothing to extract",
            hint="`modelexport analyze` shows which modules have nodes",
        )
    boundary = find_boundary(model.graph, selected)
    if not boundary.outputs:
        raise UsageError(f"no value made by {label!r} is used outside it; nothing to extract")

    part = _cut(model, boundary.inputs, boundary.outputs)
    try:
        onnx.load_external_data_for_model(part, str(model_path.parent))
    except (OSError, onnx.checker.ValidationError) as exc:
        raise UsageError(
            f"cannot read the external weights of {model_path.name}: {exc}",
            hint="keep its .onnx.data file beside it",
        ) from None
    _describe(part, model, model_path, path, tree.modules[path].tag)
    _check(part)
    _save(part, output)
    return Extraction(
        module_path=path,
        tag=tree.modules[path].tag,
        output=output,
        nodes=len(part.graph.node),
        inputs=boundary.inputs,
        outputs=boundary.outputs,
        initializers=len(part.graph.initializer),
        folded_constants=boundary.folded_constants,
    )


def _cut(model: onnx.ModelProto, inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    import onnx
    from onnx.utils import Extractor

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except (onnx.shape_inference.InferenceError, RuntimeError):
        inferred = model  # fall back to the value_info the exporter wrote
    extractor = Extractor(inferred)
    untyped = [name for name in inputs + outputs if name not in extractor.value_infos]
    if untyped:
        raise ModelExportError(
            f"cannot type the boundary values {', '.join(untyped[:5])}: ONNX shape inference "
            "gives no type for them"
        )
    part = extractor.extract_model(inputs, outputs)
    boundary = set(inputs) | set(outputs)
    kept = [vi for vi in part.graph.value_info if vi.name not in boundary]
    del part.graph.value_info[:]
    part.graph.value_info.extend(kept)
    return part


def _describe(
    part: onnx.ModelProto, model: onnx.ModelProto, model_path: Path, path: str, tag: str | None
) -> None:
    """Say where the part came from, in the model's own metadata."""
    import onnx

    from modelexport import __version__

    part.producer_name, part.producer_version = "modelexport", __version__
    part.graph.name = f"{model.graph.name or model_path.stem}:{path or 'root'}"
    part.graph.doc_string = f"Module {path or '(root)'} extracted from {model_path.name}"
    props = {"modelexport.source_model": model_path.name, "modelexport.module_path": path}
    if tag:
        props["modelexport.hierarchy_tag"] = tag
    onnx.helper.set_model_props(part, props)


def _check(part: onnx.ModelProto) -> None:
    import onnx

    if part.ByteSize() >= onnx.checker.MAXIMUM_PROTOBUF:
        return  # checked from disk by _save
    try:
        onnx.checker.check_model(part, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ModelExportError(f"the extracted model fails the ONNX checker: {exc}") from None


def _save(part: onnx.ModelProto, output: Path) -> None:
    """Write atomically; a part over 2 GB keeps its weights in `<name>.data` beside it."""
    import onnx

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if part.ByteSize() < onnx.checker.MAXIMUM_PROTOBUF:
            with atomic_path(output) as tmp:
                onnx.save(part, str(tmp))
            return
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
        try:
            data_name = output.name + ".data"
            onnx.save(part, str(staging / output.name), save_as_external_data=True, location=data_name)
            onnx.checker.check_model(str(staging / output.name), full_check=True)
            os.replace(staging / data_name, output.parent / data_name)
            os.replace(staging / output.name, output)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise OutputPathError(f"cannot write {output}: {exc.strerror or exc}") from None
