"""The module tree: tags, paths, execution order, reuse, modules that never run."""

from __future__ import annotations

import torch
from torch import nn

from modelexport.htp.hierarchy import build_hierarchy, module_tags
from modelexport.steps import parent_path
from tests.fixtures.small_models import ReuseNet


def _tree(model: nn.Module, *args: torch.Tensor):
    return build_hierarchy(model, lambda: model(*args))


def test_tag_uses_class_alone_when_no_sibling_shares_it() -> None:
    """A module whose class is unique among its siblings is tagged by class name only."""
    tags = module_tags(ReuseNet())
    assert tags[""] == "/ReuseNet"
    assert tags["blocks.0.norm"] == "/ReuseNet/Block.0/LayerNorm"


def test_tag_adds_attribute_when_siblings_share_the_class() -> None:
    """Siblings of one class are told apart by attribute: ModuleList index or field name."""
    tags = module_tags(ReuseNet())
    assert tags["blocks.2"] == "/ReuseNet/Block.2"
    assert tags["blocks.1.up"] == "/ReuseNet/Block.1/Linear.up"
    assert tags["embed"] == "/ReuseNet/Linear.embed"


def test_every_module_has_exactly_one_tag_and_containers_add_no_segment() -> None:
    """Every module has a tag; apart from containers, which share their parent's, tags are distinct."""
    model = ReuseNet()
    tags = module_tags(model)
    assert len(tags) == len(dict(model.named_modules()))
    assert tags["blocks"] == tags[""]
    called = [tag for path, tag in tags.items() if path != "blocks"]
    assert len(set(called)) == len(called)


def test_execution_order_and_call_counts_follow_the_forward() -> None:
    """First-call order matches the forward; a module called twice counts two calls."""
    tree = _tree(ReuseNet(), torch.randn(2, 5, 8))
    by_path = {m.path: m for m in tree.modules}
    assert by_path[""].execution_order == 0
    assert by_path["embed"].execution_order < by_path["blocks.0"].execution_order
    assert by_path["blocks.0"].execution_order < by_path["blocks.2"].execution_order
    assert by_path["shared"].call_count == 2
    assert by_path["blocks.1"].call_count == 1


def test_module_never_executed_is_kept_and_marked() -> None:
    """A module the forward never calls stays in the tree with no order and no calls."""
    tree = _tree(ReuseNet(), torch.randn(2, 5, 8))
    unused = next(m for m in tree.modules if m.path == "unused")
    assert not unused.executed
    assert unused.execution_order is None
    assert unused.parameter_count == 16 * 16 + 16
    assert tree.executed_count == len(tree.modules) - 1


def test_container_that_is_only_iterated_counts_as_executed() -> None:
    """A ModuleList looped over (never called) ran through its children."""
    tree = _tree(ReuseNet(), torch.randn(2, 5, 8))
    blocks = next(m for m in tree.modules if m.path == "blocks")
    assert blocks.call_count == 0
    assert blocks.executed


def test_parameters_are_counted_once_per_module() -> None:
    """Own parameters add up to the model's total."""
    model = ReuseNet()
    tree = _tree(model, torch.randn(2, 5, 8))
    assert sum(m.parameter_count for m in tree.modules) == sum(p.numel() for p in model.parameters())


def test_hooks_are_removed_after_the_pass() -> None:
    """Building the tree leaves no hooks behind on the user's model."""
    model = ReuseNet()
    _tree(model, torch.randn(2, 5, 8))
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_parent_paths() -> None:
    """The parent of a dotted path drops its last segment; the root has none."""
    assert parent_path("encoder.layer.0") == "encoder.layer"
    assert parent_path("encoder") == ""
    assert parent_path("") is None
