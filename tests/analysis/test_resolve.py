"""Resolving what a user typed to a module path."""

from __future__ import annotations

import pytest

from modelexport.analysis.resolve import resolve_module
from modelexport.analysis.tree import load_tree
from modelexport.errors import UsageError


@pytest.fixture(scope="module")
def tree(models):
    return load_tree(models["tagged"])


def test_path_resolves_to_itself(tree):
    """A known dotted path is returned unchanged."""
    assert resolve_module("layer.0.attention", tree) == "layer.0.attention"


def test_tag_resolves_to_its_path(tree):
    """A hierarchy tag, with or without a trailing slash, names its module's path."""
    tag = tree.modules["layer.1.attention"].tag
    assert resolve_module(tag, tree) == "layer.1.attention"
    assert resolve_module(tag + "/", tree) == "layer.1.attention"


@pytest.mark.parametrize("spec", ["", "/", "."])
def test_root_aliases(tree, spec):
    """'', '/' and '.' all mean the root module."""
    assert resolve_module(spec, tree) == ""


def test_typo_lists_close_matches(tree):
    """An unknown path is a UsageError listing the closest known paths."""
    with pytest.raises(UsageError, match=r"did you mean: layer\.0\.attention"):
        resolve_module("layer.0.atention", tree)


def test_unknown_tag_lists_close_tags(tree):
    """An unknown tag gets close tags back."""
    with pytest.raises(UsageError, match=r"did you mean: /TinyEncoder/Linear\.head"):
        resolve_module("/TinyEncoder/Linear.haed", tree)
