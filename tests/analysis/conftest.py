"""Tagged models for the analysis tests, exported once per session by modelexport itself.

The model has a ModuleList, a LayerNorm shared by both layers, and a
submodule that never runs, so the tree has containers, a module reached by
two paths, and a module with no nodes.
"""

from __future__ import annotations

import copy
import shutil
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
            self.ff = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.GELU(), nn.Linear(2 * WIDTH, WIDTH))

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


def _retag(node, module_path: str, tag: str) -> None:
    for key, value in (("hierarchy_tag", tag), ("module_path", module_path)):
        entry = node.metadata_props.add()
        entry.key, entry.value = key, value


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The variants every test reads: tagged, clean + sidecar, external data, changed, untagged.

    `tagged` and `clean` are real `modelexport.export` runs (the second with
    `clean=True`); the others are derived from `tagged` without re-exporting.
    """
    import onnx
    import torch
    from onnx import helper

    import modelexport

    model = _model()
    ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    folder = tmp_path_factory.mktemp("models")
    paths = {name: folder / f"{name}.onnx" for name in ("tagged", "clean")}
    for name, clean in (("tagged", False), ("clean", True)):
        modelexport.export(model, paths[name], example_inputs=(ids,), clean=clean, quiet=True, progress=False)
    proto = onnx.load(str(paths["tagged"]))

    derived = tmp_path_factory.mktemp("derived")
    paths |= {name: derived / f"{name}.onnx" for name in ("external", "changed", "untagged")}
    onnx.save(
        proto,
        str(paths["external"]),
        save_as_external_data=True,
        location="external.onnx.data",
        size_threshold=0,
    )

    changed = copy.deepcopy(proto)
    head = next(
        n
        for n in changed.graph.node
        if any(p.key == "module_path" and p.value == "head" for p in n.metadata_props)
    )
    head_tag = next(p.value for p in head.metadata_props if p.key == "hierarchy_tag")
    extra = helper.make_node("Identity", [changed.graph.output[0].name], ["changed_out"], name="node_extra")
    _retag(extra, "head", head_tag)
    changed.graph.node.append(extra)
    changed.graph.output[0].name = "changed_out"
    onnx.save(changed, str(paths["changed"]))
    shutil.copy(sidecar_path_for(paths["tagged"]), sidecar_path_for(paths["changed"]))

    untagged = copy.deepcopy(proto)
    for node in untagged.graph.node:
        del node.metadata_props[:]
    onnx.save(untagged, str(paths["untagged"]))
    return paths


@pytest.fixture(scope="session")
def input_ids():
    import numpy as np

    return np.random.default_rng(7).integers(0, VOCAB, (BATCH, SEQ), dtype=np.int64)
