"""Step 2: the example inputs the export traces with.

Three sources, in order: an `--input-specs` file (name, shape, dtype, value
range, dynamic axes), the inputs a factory returned with its module, or
inputs generated from the model's config and `forward` signature (text,
vision and audio models). Values are drawn from a fixed seed so that two
exports of the same model are byte-identical.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from modelexport.errors import InputSpecError, UsageError
from modelexport.steps import InputGenData, TensorSpec

SEED = 0
BATCH = 2
SEQUENCE = 16

_DTYPES: dict[str, torch.dtype] = {
    "int64": torch.int64,
    "long": torch.int64,
    "int32": torch.int32,
    "int": torch.int32,
    "float32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
    "bool": torch.bool,
}


@dataclass
class ExampleInputs:
    """Keyword tensors for `forward`, their specs, and how they were made."""

    kwargs: dict[str, Any]
    args: tuple[Any, ...]
    specs: list[TensorSpec]
    method: str
    modality: str | None = None

    def data(self) -> InputGenData:
        return InputGenData(method=self.method, inputs=self.specs, modality=self.modality)

    def call(self, module: torch.nn.Module) -> Any:
        return module(*self.args, **self.kwargs)


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _tensor(spec: TensorSpec, generator: torch.Generator) -> torch.Tensor:
    dtype = _DTYPES[spec.dtype]
    if dtype == torch.bool:
        return torch.ones(spec.shape, dtype=dtype)
    low = 0 if spec.low is None else spec.low
    if dtype.is_floating_point:
        high = 1.0 if spec.high is None else spec.high
        values = torch.rand(spec.shape, generator=generator, dtype=torch.float32)
        return (values * (high - low) + low).to(dtype)
    high = 2 if spec.high is None else spec.high
    if high <= low:
        return torch.full(spec.shape, int(low), dtype=dtype)
    return torch.randint(int(low), int(high), spec.shape, generator=generator, dtype=dtype)


def _make(
    specs: list[TensorSpec], method: str, modality: str | None, module: torch.nn.Module | None = None
) -> ExampleInputs:
    generator = torch.Generator().manual_seed(SEED)
    kwargs: dict[str, Any] = {spec.name: _tensor(spec, generator) for spec in specs}
    return ExampleInputs(kwargs, (), specs, method, modality)


# ------------------------------------------------------------------ specs file
def _parse_spec(raw: Any, where: str) -> TensorSpec:
    if not isinstance(raw, dict):
        raise InputSpecError(f"{where}: each input must be an object with name, shape, dtype")
    missing = [key for key in ("name", "shape") if key not in raw]
    if missing:
        raise InputSpecError(f"{where}: missing {', '.join(missing)}")
    shape = raw["shape"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise InputSpecError(f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    dtype = str(raw.get("dtype", "float32"))
    if dtype not in _DTYPES:
        raise InputSpecError(f"{where}: unknown dtype {dtype!r}; use one of {', '.join(sorted(_DTYPES))}")
    axes_raw = raw.get("dynamic_axes", {})
    if isinstance(axes_raw, list):
        axes_raw = {str(axis): f"dim{axis}" for axis in axes_raw}
    try:
        axes = {int(k): str(v) for k, v in axes_raw.items()}
    except (AttributeError, ValueError) as exc:
        raise InputSpecError(f"{where}: dynamic_axes must map axis numbers to names") from exc
    if any(axis >= len(shape) for axis in axes):
        raise InputSpecError(f"{where}: a dynamic axis is beyond the shape's {len(shape)} dims")
    low, high = raw.get("low"), raw.get("high")
    if "range" in raw:
        rng = raw["range"]
        if not (isinstance(rng, list) and len(rng) == 2):
            raise InputSpecError(f"{where}: range must be [low, high]")
        low, high = rng
    return TensorSpec(str(raw["name"]), list(shape), dtype, axes, low, high)


def load_input_specs(path: str | Path) -> list[TensorSpec]:
    """Read an input-specs JSON file: a list of inputs, or {"inputs": [...]}."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputSpecError(f"input specs file {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise InputSpecError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    entries = raw.get("inputs") if isinstance(raw, dict) else raw
    if not isinstance(entries, list) or not entries:
        raise InputSpecError(f'{path}: expected a non-empty list of inputs (or {{"inputs": [...]}})')
    specs = [_parse_spec(entry, f"{path} input {i}") for i, entry in enumerate(entries)]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InputSpecError(f"{path}: input names repeat: {names}")
    return specs


# ------------------------------------------------------------------ generation
def _forward_params(module: torch.nn.Module) -> list[str]:
    try:
        params = inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return []
    return [name for name, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _size(value: Any, default: int) -> int:
    if isinstance(value, list | tuple):
        return int(value[0])
    return int(value) if value else default


def _text_specs(config: Any, params: list[str]) -> list[TensorSpec]:
    vocab = int(getattr(config, "vocab_size", 1000) or 1000)
    max_pos = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    seq = min(SEQUENCE, int(max_pos)) if max_pos else SEQUENCE
    axes = {0: "batch", 1: "sequence"}
    specs = [TensorSpec("input_ids", [BATCH, seq], "int64", dict(axes), 0, min(vocab, 1000))]
    if "attention_mask" in params:
        specs.append(TensorSpec("attention_mask", [BATCH, seq], "int64", dict(axes), 1, 1))
    if "token_type_ids" in params and getattr(config, "type_vocab_size", 0):
        specs.append(TensorSpec("token_type_ids", [BATCH, seq], "int64", dict(axes), 0, 0))
    if "decoder_input_ids" in params:
        specs.append(
            TensorSpec(
                "decoder_input_ids",
                [BATCH, seq // 2],
                "int64",
                {0: "batch", 1: "decoder_sequence"},
                0,
                min(vocab, 1000),
            )
        )
    return specs


def _vision_specs(config: Any) -> list[TensorSpec]:
    channels = int(getattr(config, "num_channels", 3) or 3)
    size = _size(getattr(config, "image_size", None), 224)
    return [TensorSpec("pixel_values", [BATCH, channels, size, size], "float32", {0: "batch"}, 0.0, 1.0)]


def _audio_specs(config: Any, params: list[str]) -> list[TensorSpec]:
    if "input_features" in params:
        mels = int(getattr(config, "num_mel_bins", 80) or 80)
        frames = int(getattr(config, "max_source_positions", 1500) or 1500) * 2
        specs = [TensorSpec("input_features", [BATCH, mels, frames], "float32", {0: "batch"}, -1.0, 1.0)]
    else:
        specs = [TensorSpec("input_values", [BATCH, 16000], "float32", {0: "batch", 1: "samples"}, -1.0, 1.0)]
    if "decoder_input_ids" in params:
        vocab = int(getattr(config, "vocab_size", 1000) or 1000)
        specs.append(
            TensorSpec(
                "decoder_input_ids",
                [BATCH, 4],
                "int64",
                {0: "batch", 1: "decoder_sequence"},
                0,
                min(vocab, 1000),
            )
        )
    return specs


def generate_inputs(module: torch.nn.Module, config: Any) -> ExampleInputs:
    """Inputs from the config and forward signature; a UsageError says how to supply them."""
    params = _forward_params(module)
    if "pixel_values" in params and config is not None:
        return _make(_vision_specs(config), "generated", "vision", module)
    if ("input_values" in params or "input_features" in params) and config is not None:
        return _make(_audio_specs(config, params), "generated", "audio", module)
    if "input_ids" in params and config is not None:
        return _make(_text_specs(config, params), "generated", "text", module)
    raise UsageError(
        f"cannot generate inputs for {type(module).__name__}: its forward takes "
        f"({', '.join(params) or '...'}), which is not a text, vision or audio signature",
        hint="pass --input-specs FILE, or a factory returning (module, example_inputs)",
    )


def from_example(
    example: dict[str, Any] | tuple[Any, ...], module: torch.nn.Module, dynamic_batch: bool = True
) -> ExampleInputs:
    """Inputs a factory supplied; tensors get a dynamic batch axis by default."""
    if isinstance(example, dict):
        kwargs, args = dict(example), ()
        named = list(example.items())
    else:
        kwargs, args = {}, tuple(example)
        params = _forward_params(module)
        named = [(params[i] if i < len(params) else f"input_{i}", v) for i, v in enumerate(example)]
    specs = []
    for name, value in named:
        if isinstance(value, torch.Tensor):
            axes = {0: "batch"} if dynamic_batch and value.dim() >= 1 and value.shape[0] > 1 else {}
            specs.append(TensorSpec(name, list(value.shape), dtype_name(value.dtype), axes))
    return ExampleInputs(kwargs, args, specs, "factory", None)


def from_specs(specs: list[TensorSpec], module: torch.nn.Module) -> ExampleInputs:
    params = _forward_params(module)
    unknown = [s.name for s in specs if params and s.name not in params]
    if unknown and "kwargs" not in inspect.signature(module.forward).parameters:
        raise InputSpecError(
            f"input specs name {unknown}, which {type(module).__name__}.forward "
            f"does not take (it takes {', '.join(params)})"
        )
    return _make(specs, "specs", None, module)
