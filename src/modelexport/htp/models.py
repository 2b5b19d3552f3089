"""Step 1: turn what the user typed into a loaded, eval-mode `nn.Module`.

MODEL may be, tried in this order:
  - `package.module:factory` or `path/to/file.py:factory`: a callable returning an
    `nn.Module`, or `(module, example_inputs)` with inputs as a dict or tuple;
  - a local Hugging Face folder (has `config.json`);
  - a name registered in the `modelexport.models` entry-point group (its target
    returns a folder path, an `nn.Module`, or `(module, example_inputs)`);
  - a Hugging Face hub id already in the local cache.
Nothing is ever downloaded: a hub id that is not cached fails at once.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from modelexport.errors import ModelNotFoundError, UsageError

ENTRY_POINT_GROUP = "modelexport.models"


@dataclass
class LoadedModel:
    """A model ready for export, and where it came from."""

    module: nn.Module
    name: str
    source: str
    """hf_folder, hf_cache, registered or factory."""
    config: Any = None
    """The transformers config, for Hugging Face models."""
    location: str | None = None
    example_inputs: dict[str, Any] | tuple[Any, ...] | None = None
    """Inputs the factory supplied, used instead of generated ones."""


def registered_models() -> dict[str, importlib.metadata.EntryPoint]:
    """Names in the `modelexport.models` entry-point group."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _load_hf_folder(folder: Path, name: str, source: str) -> LoadedModel:
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the console writer owns the terminal

    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelNotFoundError(f"cannot read the config in {folder}: {exc}") from exc
    try:
        module = AutoModel.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelNotFoundError(
            f"cannot load the model in {folder} ({type(exc).__name__}: {exc})",
            hint="the folder needs config.json and weights a transformers AutoModel reads",
        ) from exc
    return LoadedModel(module.eval(), name, source, config=config, location=str(folder))


def _from_result(result: Any, name: str, source: str, location: str | None) -> LoadedModel:
    """A factory's or entry point's return value as a LoadedModel."""
    example = None
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], nn.Module):
        result, example = result
    if isinstance(result, str | os.PathLike):
        folder = Path(result)
        if not (folder / "config.json").exists():
            raise ModelNotFoundError(f"{name} points to {folder}, which has no config.json")
        return _load_hf_folder(folder, name, source)
    if not isinstance(result, nn.Module):
        raise UsageError(
            f"{name} returned {type(result).__name__}, not an nn.Module",
            hint="a factory returns an nn.Module or (module, example_inputs)",
        )
    config = getattr(result, "config", None)
    if example is not None and not isinstance(example, dict | tuple | list):
        example = (example,)
    if isinstance(example, list):
        example = tuple(example)
    return LoadedModel(result.eval(), name, source, config=config, location=location, example_inputs=example)


def _import_factory(spec: str) -> Any:
    target, _, attr = spec.rpartition(":")
    if target.endswith(".py") or os.sep in target:
        path = Path(target)
        if not path.exists():
            raise ModelNotFoundError(f"factory file {path} does not exist")
        mod_name = f"_modelexport_factory_{abs(hash(path.resolve()))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ModelNotFoundError(f"cannot import {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise UsageError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    else:
        if os.getcwd() not in sys.path:  # `mymodels:build` means ./mymodels.py, as in python -m
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            raise ModelNotFoundError(
                f"cannot import {target!r} for factory {spec!r} ({exc})",
                hint="install the package or pass path/to/file.py:factory",
            ) from exc
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ModelNotFoundError(f"{target} has no callable {attr!r}")
    return factory


def _hf_cache_folder(model_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    try:
        folder = snapshot_download(model_id, local_files_only=True)
    except Exception:
        return None
    folder_path = Path(folder)
    return folder_path if (folder_path / "config.json").exists() else None


def load_model(spec: str) -> LoadedModel:
    """Resolve and load MODEL; raise ModelNotFoundError naming what was tried."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if ":" in spec and not Path(spec).exists() and not spec.startswith(("http:", "https:")):
        factory = _import_factory(spec)
        try:
            result = factory()
        except Exception as exc:
            raise UsageError(f"factory {spec} raised {type(exc).__name__}: {exc}") from exc
        return _from_result(result, spec, "factory", None)

    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelNotFoundError(
                f"{path} is a folder without config.json",
                hint="pass a Hugging Face model folder, a registered name, or module:factory",
            )
        return _load_hf_folder(path, spec, "hf_folder")

    registry = registered_models()
    if spec in registry:
        try:
            target = registry[spec].load()
            result = target() if callable(target) else target
        except ModuleNotFoundError as exc:
            raise ModelNotFoundError(
                f"model {spec!r} is registered but its package is missing ({exc})",
                hint=f"pip install the package that provides {spec!r}",
            ) from exc
        return _from_result(result, spec, "registered", None)

    folder = _hf_cache_folder(spec) if "/" in spec or spec.count("-") else None
    if folder is not None:
        return _load_hf_folder(folder, spec, "hf_cache")

    known = ", ".join(sorted(registry)) or "none"
    raise ModelNotFoundError(
        f"unknown model {spec!r}: not a folder, not a registered name ({known}), "
        f"not a module:factory, and not in the local Hugging Face cache",
        hint="nothing is downloaded; pass a local folder or run huggingface-cli download first",
    )
