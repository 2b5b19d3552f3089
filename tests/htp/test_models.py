"""Resolving MODEL: folders, registered names, factories, the local hub cache, and what fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from modelexport.errors import ModelNotFoundError, UsageError
from modelexport.htp.bundled import all_minilm_l6_v2
from modelexport.htp.models import load_model, registered_models


def test_minilm_is_registered_through_the_entry_point_group() -> None:
    """The project registers all-MiniLM-L6-v2 in modelexport.models, like any other package would."""
    assert "all-MiniLM-L6-v2" in registered_models()
    loaded = load_model("all-MiniLM-L6-v2")
    assert loaded.source == "registered"
    assert type(loaded.module).__name__ == "BertModel"
    assert not loaded.module.training


def test_local_hugging_face_folder_loads(tmp_path: Path) -> None:
    """A folder with config.json and weights loads as a Hugging Face model."""
    folder = tmp_path / "minilm"
    shutil.copytree(all_minilm_l6_v2(), folder)
    loaded = load_model(str(folder))
    assert loaded.source == "hf_folder" and loaded.location == str(folder)


def test_hub_id_in_the_local_cache_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub id whose snapshot is in the Hugging Face cache loads offline."""
    cache = tmp_path / "hub"
    repo = cache / "models--sentence-transformers--all-MiniLM-L6-v2"
    revision = "0" * 40
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(all_minilm_l6_v2() / name, snapshot / name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    loaded = load_model("sentence-transformers/all-MiniLM-L6-v2")
    assert loaded.source == "hf_cache"
    assert type(loaded.module).__name__ == "BertModel"


def test_factory_by_module_and_by_file_path(tmp_path: Path) -> None:
    """package.module:factory and path/to/file.py:factory both work, with example inputs."""
    by_module = load_model("tests.fixtures.small_models:reuse_net")
    assert by_module.source == "factory" and by_module.example_inputs is not None
    script = tmp_path / "models.py"
    script.write_text("import torch\n\ndef build():\n    return torch.nn.Linear(3, 2)\n")
    by_file = load_model(f"{script}:build")
    assert type(by_file.module).__name__ == "Linear"


def test_folder_without_config_is_refused(tmp_path: Path) -> None:
    """A folder that is not a Hugging Face model names what is missing."""
    with pytest.raises(ModelNotFoundError, match=r"without config\.json"):
        load_model(str(tmp_path))


def test_factory_returning_something_else_is_a_usage_error(tmp_path: Path) -> None:
    """A factory must return an nn.Module or (module, inputs)."""
    script = tmp_path / "bad.py"
    script.write_text("def build():\n    return 42\n")
    with pytest.raises(UsageError, match=r"returned int, not an nn\.Module"):
        load_model(f"{script}:build")


def test_missing_factory_attribute_is_a_usage_error() -> None:
    """module:name where the module lacks that name is refused."""
    with pytest.raises(ModelNotFoundError, match="has no callable 'nope'"):
        load_model("tests.fixtures.small_models:nope")
