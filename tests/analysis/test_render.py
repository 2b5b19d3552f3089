"""The analyze output formats: a rich tree, JSON and CSV with one row per module."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console

from modelexport.analysis import render
from modelexport.analysis.compare import compare_models
from modelexport.analysis.tree import load_tree


def _text(renderable) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_json_has_one_row_per_module(models):
    """JSON lists every module with counts and op maps that sum to the node total."""
    tree = load_tree(models["tagged"])
    document = json.loads(render.to_json(tree))
    assert len(document["modules"]) == len(tree.modules)
    assert sum(m["direct_nodes"] for m in document["modules"]) == document["total_nodes"]
    root = document["modules"][0]
    assert root["path"] == "" and sum(root["subtree_ops"].values()) == document["total_nodes"]


def test_csv_matches_json(models):
    """CSV rows carry the same modules and counts as the JSON entries."""
    tree = load_tree(models["clean"])
    rows = list(csv.DictReader(io.StringIO(render.to_csv(tree))))
    entries = json.loads(render.to_json(tree))["modules"]
    assert [r["path"] for r in rows] == [e["path"] for e in entries]
    assert [int(r["subtree_nodes"]) for r in rows] == [e["subtree_nodes"] for e in entries]
    assert rows[0]["direct_ops"].count(":") == len(entries[0]["direct_ops"])


def test_max_depth_limits_the_rows(models):
    """--max-depth keeps modules down to that depth only."""
    tree = load_tree(models["tagged"])
    document = json.loads(render.to_json(tree, max_depth=1))
    assert {m["depth"] for m in document["modules"]} == {0, 1}


def test_text_tree_shows_counts_and_ops(models):
    """The text tree names modules with their classes, counts and top ops."""
    tree = load_tree(models["clean"])
    text = _text(render.to_rich(tree, max_depth=2))
    assert "tags from sidecar" in text
    assert "attention" not in text  # below depth 2
    assert "0 (Layer) +3" in text  # hidden children are counted
    layer0 = next(line for line in text.splitlines() if "0 (Layer)" in line)
    counts = tree.modules["layer.0"].direct_nodes, tree.modules["layer.0"].subtree_nodes
    assert layer0.split()[5:7] == [str(c) for c in counts]
    assert "unused (Linear)" in text


def test_diff_text(models):
    """The comparison text lists the changed module and its op change."""
    text = _text(render.diff_to_rich(compare_models(models["tagged"], models["changed"])))
    assert "head" in text and "Identity 0→1" in text
    same = _text(render.diff_to_rich(compare_models(models["tagged"], models["tagged"])))
    assert "no per-module differences" in same
