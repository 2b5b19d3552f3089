"""The public surface of modelexport.analysis."""

from __future__ import annotations

import subprocess
import sys

import modelexport.analysis


def test_public_names_are_exactly_these():
    """`__all__` is the chosen surface, and every name in it exists."""
    assert set(modelexport.analysis.__all__) == {
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
    }
    for name in modelexport.analysis.__all__:
        assert hasattr(modelexport.analysis, name)


def test_importing_loads_neither_torch_nor_onnx():
    """`modelexport --help` stays fast: onnx and torch load only when a command runs."""
    code = (
        "import sys, modelexport.analysis, modelexport.analysis.render; "
        "print(sorted({'onnx', 'torch'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
