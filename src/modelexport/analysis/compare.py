"""Per-module differences between two tagged models: which modules appeared, vanished or changed.

Modules are matched by dotted path. A module *changed* when its direct op
counts differ; a parent whose own nodes are the same but whose children
changed is not repeated, its subtree count says enough.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelexport.analysis.tree import ModuleStats, ModuleTree, load_tree

Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ModuleDiff:
    """One module that differs between A and B."""

    path: str
    status: Status
    direct_a: int
    direct_b: int
    subtree_a: int
    subtree_b: int
    ops: dict[str, tuple[int, int]]
    """Op types whose direct count differs: op -> (count in A, count in B)."""


@dataclass(frozen=True)
class TreeDiff:
    """All differing modules, in A's tree order then B's new modules."""

    a: Path
    b: Path
    total_a: int
    total_b: int
    modules: list[ModuleDiff] = field(default_factory=list)
    unchanged: int = 0

    @property
    def identical(self) -> bool:
        return not self.modules

    def count(self, status: Status) -> int:
        return sum(1 for m in self.modules if m.status == status)


def compare_trees(a: ModuleTree, b: ModuleTree) -> TreeDiff:
    """Match modules by path and report every difference in direct op counts."""
    diffs: list[ModuleDiff] = []
    unchanged = 0
    order = [m.path for m in a.walk()] + [m.path for m in b.walk() if m.path not in a.modules]
    for path in order:
        ma, mb = a.modules.get(path), b.modules.get(path)
        if ma is not None and mb is not None and ma.direct_ops == mb.direct_ops:
            unchanged += 1
            continue
        status: Status = "added" if ma is None else "removed" if mb is None else "changed"
        diffs.append(_diff(path, status, ma, mb))
    return TreeDiff(
        a=a.model_path,
        b=b.model_path,
        total_a=a.total_nodes,
        total_b=b.total_nodes,
        modules=diffs,
        unchanged=unchanged,
    )


def compare_models(a: str | Path, b: str | Path) -> TreeDiff:
    """Compare two exported models, each read from its node metadata or sidecar."""
    return compare_trees(load_tree(a), load_tree(b))


def _diff(path: str, status: Status, ma: ModuleStats | None, mb: ModuleStats | None) -> ModuleDiff:
    ops_a = ma.direct_ops if ma else Counter()
    ops_b = mb.direct_ops if mb else Counter()
    ops = {op: (ops_a[op], ops_b[op]) for op in sorted(set(ops_a) | set(ops_b)) if ops_a[op] != ops_b[op]}
    return ModuleDiff(
        path=path,
        status=status,
        direct_a=ma.direct_nodes if ma else 0,
        direct_b=mb.direct_nodes if mb else 0,
        subtree_a=ma.subtree_nodes if ma else 0,
        subtree_b=mb.subtree_nodes if mb else 0,
        ops=ops,
    )
