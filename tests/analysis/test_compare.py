"""Per-module differences between two exports."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from modelexport.analysis.compare import compare_models, compare_trees
from modelexport.analysis.tree import ModuleStats, ModuleTree, load_tree


def test_same_model_has_no_differences(models):
    """An export compared with itself, or with its `--clean` twin, is identical."""
    assert compare_models(models["tagged"], models["tagged"]).identical
    assert compare_models(models["tagged"], models["clean"]).identical


def test_changed_module_is_reported(models):
    """A node added to `head` shows as a changed module with its op and counts."""
    diff = compare_models(models["tagged"], models["changed"])
    assert diff.total_b == diff.total_a + 1
    [head] = diff.modules
    assert (head.path, head.status) == ("head", "changed")
    assert (head.direct_a, head.direct_b) == (2, 3)
    assert head.ops == {"Identity": (0, 1)}


def _tree(paths: dict[str, Counter[str]]) -> ModuleTree:
    modules = {
        p: ModuleStats(
            path=p,
            class_name=None,
            tag=None,
            parent=None if not p else "",
            depth=0 if not p else 1,
            direct_nodes=sum(ops.values()),
            subtree_nodes=sum(ops.values()),
            direct_ops=ops,
        )
        for p, ops in paths.items()
    }
    modules[""] = replace(modules[""], children=[p for p in paths if p])
    total = sum(sum(ops.values()) for ops in paths.values())
    return ModuleTree(
        model_path=Path("m.onnx"), source="test", total_nodes=total, untagged_nodes=0, modules=modules
    )


def test_added_and_removed_modules():
    """Modules only in B are added, only in A removed, matched by path."""
    a = _tree({"": Counter(), "old": Counter(Relu=1)})
    b = _tree({"": Counter(), "new": Counter(Gelu=2)})
    diff = compare_trees(a, b)
    assert [(m.path, m.status) for m in diff.modules] == [("old", "removed"), ("new", "added")]
    assert diff.count("added") == diff.count("removed") == 1
    assert diff.unchanged == 1


def test_trees_from_disk_match(models):
    """Comparing loaded trees gives the same answer as comparing files."""
    a, b = load_tree(models["tagged"]), load_tree(models["changed"])
    assert compare_trees(a, b) == compare_models(models["tagged"], models["changed"])
