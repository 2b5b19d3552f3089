"""The module tree: direct and subtree counts, containers and never-run modules."""

from __future__ import annotations

from modelexport.analysis.tree import load_tree, parent_path


def test_direct_counts_sum_to_the_node_total(models):
    """Every node is counted under exactly one module."""
    tree = load_tree(models["tagged"])
    assert sum(m.direct_nodes for m in tree.modules.values()) == tree.total_nodes
    assert tree.root.subtree_nodes == tree.total_nodes
    assert sum(tree.root.subtree_ops.values()) == tree.total_nodes


def test_subtree_is_own_nodes_plus_childrens(models):
    """A module's subtree count is its direct count plus its children's subtree counts."""
    tree = load_tree(models["tagged"])
    for module in tree.modules.values():
        below = sum(tree.modules[c].subtree_nodes for c in module.children)
        assert module.subtree_nodes == module.direct_nodes + below


def test_containers_appear_without_nodes(models):
    """A ModuleList with no nodes of its own is still in the tree, holding its layers."""
    tree = load_tree(models["tagged"])
    assert tree.modules["layer"].direct_nodes == 0
    assert tree.modules["layer"].children == ["layer.0", "layer.1"]
    assert tree.modules["layer.0.attention"].class_name == "SelfAttention"


def test_sidecar_modules_with_zero_nodes_are_kept(models):
    """A module the sidecar lists but no node belongs to shows with zero counts."""
    tree = load_tree(models["clean"])
    assert tree.modules["unused"].subtree_nodes == 0
    assert tree.modules["layer"].class_name == "ModuleList"


def test_walk_respects_max_depth(models):
    """walk(max_depth) stops below the given depth and starts at the root."""
    tree = load_tree(models["tagged"])
    shallow = list(tree.walk(max_depth=1))
    assert shallow[0].path == ""
    assert {m.depth for m in shallow} == {0, 1}


def test_parent_path():
    """The root has no parent; a top-level module's parent is the root."""
    assert parent_path("") is None
    assert parent_path("embed") == ""
    assert parent_path("encoder.layer.0") == "encoder.layer"


def test_containers_get_tags_implied_by_their_children(models):
    """Without a sidecar, a container's tag comes from a child's tag prefix (a ModuleList adds none)."""
    tree = load_tree(models["external"])  # embedded tags, no sidecar beside it
    assert tree.source == "node metadata"
    with_sidecar = load_tree(models["clean"])
    assert tree.modules["layer"].tag == with_sidecar.modules["layer"].tag == tree.modules[""].tag
    assert with_sidecar.modules["layer"].class_name == "ModuleList"
    assert tree.modules["layer.0.ff"].tag == load_tree(models["clean"]).modules["layer.0.ff"].tag
