"""Turning what a user typed (a module path or a hierarchy tag) into a module path.

A typo gets the closest known names back, so the user can fix the command
without running `analyze` first.
"""

from __future__ import annotations

import difflib

from modelexport.analysis.tree import ModuleTree
from modelexport.errors import UsageError

ROOT_ALIASES = frozenset({"", "/", "."})


def resolve_module(spec: str, tree: ModuleTree) -> str:
    """Return the dotted path `spec` names: a path (`encoder.layer.0`) or a tag (`/Bert/...`)."""
    spec = spec.strip()
    if spec in ROOT_ALIASES:
        return ""
    if spec in tree.modules:
        return spec
    if spec.startswith("/"):
        tags = tree.tag_to_path()
        if spec.rstrip("/") in tags:
            return tags[spec.rstrip("/")]
        candidates = list(tags)
    else:
        candidates = [path for path in tree.modules if path]
    close = difflib.get_close_matches(spec, candidates, n=5, cutoff=0.5)
    hint = ("did you mean: " + ", ".join(close)) if close else "run `modelexport analyze` to list the modules"
    raise UsageError(f"unknown module {spec!r} in {tree.model_path.name}", hint=hint)
