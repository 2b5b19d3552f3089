"""The sidecar `<stem>_htp_metadata.json`: where tags live when a model was exported `--clean`.

The exporter's MetadataWriter owns this file and its schema, and
`modelexport.monitor.metadata.load_metadata` checks that a file is one;
analysis then keeps only the parts it needs (`nodes` and `modules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelexport.errors import UsageError

SIDECAR_SUFFIX = "_htp_metadata.json"


@dataclass(frozen=True)
class SidecarNode:
    """One entry of the sidecar's `nodes` map."""

    op_type: str | None
    tag: str | None
    module_path: str | None
    source: str | None = None
    """How the exporter found the module: `direct`, `inferred` (from neighbours) or `root`."""


@dataclass(frozen=True)
class SidecarModule:
    """One entry of the sidecar's `modules` list; it may name a module no node belongs to."""

    path: str
    class_name: str | None = None
    tag: str | None = None
    parent: str | None = None
    parameter_count: int | None = None


@dataclass(frozen=True)
class Sidecar:
    """The parts of the sidecar that analysis uses."""

    path: Path
    nodes: dict[str, SidecarNode] = field(default_factory=dict)
    modules: list[SidecarModule] = field(default_factory=list)


def sidecar_path_for(model_path: str | Path) -> Path:
    """Where the exporter puts the sidecar of `model_path`: beside it, named after its stem."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + SIDECAR_SUFFIX)


def read_sidecar(path: str | Path) -> Sidecar:
    """Parse a sidecar with the exporter's own reader; a bad file is a UsageError naming it."""
    from modelexport.monitor.metadata import load_metadata

    path = Path(path)
    data = load_metadata(path)
    return Sidecar(
        path=path, nodes=_nodes(data.get("nodes"), path), modules=_modules(data.get("modules"), path)
    )


def _nodes(raw: Any, path: Path) -> dict[str, SidecarNode]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(f"metadata file {path}: 'nodes' must map node names to entries")
    nodes: dict[str, SidecarNode] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise UsageError(f"metadata file {path}: node {name!r} is not an object")
        nodes[name] = SidecarNode(
            op_type=entry.get("op_type"),
            tag=entry.get("tag"),
            module_path=entry.get("module_path"),
            source=entry.get("source"),
        )
    return nodes


def _modules(raw: Any, path: Path) -> list[SidecarModule]:
    if raw is None:
        return []
    if isinstance(raw, dict):  # tolerate a map keyed by path
        raw = [{"path": key, **value} for key, value in raw.items() if isinstance(value, dict)]
    if not isinstance(raw, list):
        raise UsageError(f"metadata file {path}: 'modules' must be a list")
    modules = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise UsageError(f"metadata file {path}: every module needs a string 'path'")
        count = entry.get("parameter_count")
        modules.append(
            SidecarModule(
                path=entry["path"],
                class_name=entry.get("class_name"),
                tag=entry.get("tag"),
                parent=entry.get("parent"),
                parameter_count=count if isinstance(count, int) else None,
            )
        )
    return modules
