"""Tagged models for the analysis tests, exported once per session.

Until the project's own exporter lands, the fixture tags a plain
`torch.onnx.export(dynamo=True)` export itself: each node's module path is the
last module in its `pkg.torch.onnx.name_scopes`, and its tag follows the rule
in ARCHITECTURE.md. The model has a ModuleList, a submodule shared by both
layers, and a submodule that never runs.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

from modelexport.analysis.sidecar import sidecar_path_for

VOCAB, WIDTH, BATCH, SEQ = 50, 16, 2, 5


def _model():
    import torch
    from torch import nn

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Linear(WIDTH, WIDTH)
            self.key = nn.Linear(WIDTH, WIDTH)
            self.value = nn.Linear(WIDTH, WIDTH)

        def forward(self, x):
            scores = self.query(x) @ self.key(x).transpose(-1, -2) / 4.0
            return torch.softmax(scores, -1) @ self.value(x)

    class Layer(nn.Module):
        def __init__(self, norm: nn.Module) -> None:
            super().__init__()
            self.attention = SelfAttention()
            self.norm = norm
            self.ff = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.GELU(),
                                    nn.Linear(2 * WIDTH, WIDTH))

        def forward(self, x):
            x = self.norm(x + self.attention(x))
            return self.norm(x + self.ff(x))

    class TinyEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(VOCAB, WIDTH)
            shared = nn.LayerNorm(WIDTH)
            self.layer = nn.ModuleList([Layer(shared) for _ in range(2)])
            self.head = nn.Linear(WIDTH, 4)
            self.unused = nn.Linear(WIDTH, WIDTH)

        def forward(self, ids):
            x = self.embed(ids)
            for layer in self.layer:
                x = layer(x)
            return torch.relu(self.head(x))

    torch.manual_seed(0)
    return TinyEncoder().eval()


def module_tags(root) -> dict[str, tuple[str, str]]:
    """path -> (tag, class name) by the ARCHITECTURE.md rule, shared modules at every path."""
    tags = {"": (f"/{type(root).__name__}", type(root).__name__)}
    for path, module in root.named_modules(remove_duplicate=False):
        children = list(module.named_children())
        for name, child in children:
            cls = type(child).__name__
            same = sum(1 for _, other in children if type(other) is type(child))
            segment = cls if same == 1 else f"{cls}.{name}"
            tags[f"{path}.{name}" if path else name] = (f"{tags[path][0]}/{segment}", cls)
    return tags


def tag_nodes(model, tags: dict[str, tuple[str, str]]) -> None:
    """Replace the exporter's node metadata with `hierarchy_tag` and `module_path`."""
    for node in model.graph.node:
        props = {p.key: p.value for p in node.metadata_props}
        scopes = ast.literal_eval(props.get("pkg.torch.onnx.name_scopes", "['']"))
        path = scopes[-2] if len(scopes) >= 2 else ""
        del node.metadata_props[:]
        for key, value in (("hierarchy_tag", tags[path][0]), ("module_path", path)):
            entry = node.metadata_props.add()
            entry.key, entry.value = key, value


def write_sidecar(onnx_path: Path, model, tags: dict[str, tuple[str, str]]) -> Path:
    """Write the sidecar the exporter would, then strip the node metadata (`--clean`)."""
    nodes = {}
    for node in model.graph.node:
        props = {p.key: p.value for p in node.metadata_props}
        nodes[node.name] = {"op_type": node.op_type, "tag": props["hierarchy_tag"],
                            "module_path": props["module_path"], "source": "direct"}
    modules = [{"path": path, "class_name": cls, "tag": tag,
                "parent": None if not path else path.rpartition(".")[0],
                "parameter_count": 0} for path, (tag, cls) in tags.items()]
    path = sidecar_path_for(onnx_path)
    path.write_text(json.dumps({"schema_version": 1, "nodes": nodes,
                                       "modules": modules}), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory):
    """The tiny encoder exported by torch.onnx (dynamo) and tagged: (ModelProto, tags)."""
    import onnx
    import torch

    model = _model()
    folder = tmp_path_factory.mktemp("export")
    raw = folder / "raw.onnx"
    ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    torch.onnx.export(model, (ids,), str(raw), dynamo=True, verbose=False)
    proto = onnx.load(str(raw))
    tags = module_tags(model)
    tag_nodes(proto, tags)
    return proto, tags


@pytest.fixture(scope="session")
def models(exported, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The variants every test reads: tagged, clean + sidecar, external data, changed, untagged."""
    import onnx
    from onnx import helper

    proto, tags = exported
    folder = tmp_path_factory.mktemp("models")
    paths = {name: folder / f"{name}.onnx" for name in
             ("tagged", "clean", "external", "changed", "untagged")}
    onnx.save(proto, str(paths["tagged"]))

    clean = copy.deepcopy(proto)
    write_sidecar(paths["clean"], clean, tags)
    for node in clean.graph.node:
        del node.metadata_props[:]
    onnx.save(clean, str(paths["clean"]))

    onnx.save(proto, str(paths["external"]), save_as_external_data=True,
              location="external.onnx.data", size_threshold=0)

    changed = copy.deepcopy(proto)
    head_out = changed.graph.output[0].name
    extra = helper.make_node("Identity", [head_out], ["changed_out"], name="node_extra")
    for key, value in (("hierarchy_tag", tags["head"][0]), ("module_path", "head")):
        entry = extra.metadata_props.add()
        entry.key, entry.value = key, value
    changed.graph.node.append(extra)
    changed.graph.output[0].name = "changed_out"
    onnx.save(changed, str(paths["changed"]))

    untagged = copy.deepcopy(clean)
    onnx.save(untagged, str(paths["untagged"]))
    return paths


@pytest.fixture(scope="session")
def input_ids():
    import numpy as np

    return np.random.default_rng(7).integers(0, VOCAB, (BATCH, SEQ), dtype=np.int64)
