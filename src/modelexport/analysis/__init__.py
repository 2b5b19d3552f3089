"""Looking at an export: the module tree (`analyze`), one module's subgraph (`extract`),
and per-module differences between two exports (`compare`).

Everything here reads the tagged-ONNX contract only: `hierarchy_tag` and
`module_path` in node metadata, or the sidecar `<stem>_htp_metadata.json`.
"""

from modelexport.analysis.compare import ModuleDiff, TreeDiff, compare_models, compare_trees
from modelexport.analysis.extract import Extraction, extract_module
from modelexport.analysis.resolve import resolve_module
from modelexport.analysis.tags import NodeTag, TaggedGraph, read_tags
from modelexport.analysis.tree import ModuleStats, ModuleTree, build_tree, load_tree

__all__ = [
    "Extraction",
    "ModuleDiff",
    "ModuleStats",
    "ModuleTree",
    "NodeTag",
    "TaggedGraph",
    "TreeDiff",
    "build_tree",
    "compare_models",
    "compare_trees",
    "extract_module",
    "load_tree",
    "read_tags",
    "resolve_module",
]
