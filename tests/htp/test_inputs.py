"""Example inputs: from a specs file, from a factory, or generated for text, vision and audio models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from modelexport.errors import InputSpecError, UsageError
from modelexport.htp.inputs import from_example, from_specs, generate_inputs, load_input_specs
from tests.fixtures import small_models


def test_specs_file_gives_named_tensors_with_shape_dtype_range_and_axes(tmp_path: Path) -> None:
    """Each spec becomes a tensor of its shape and dtype, inside its range, with its dynamic axes."""
    specs_file = tmp_path / "specs.json"
    specs_file.write_text(
        json.dumps(
            {
                "inputs": [
                    {
                        "name": "input_ids",
                        "shape": [3, 5],
                        "dtype": "int64",
                        "range": [10, 20],
                        "dynamic_axes": {"0": "batch", "1": "sequence"},
                    },
                    {"name": "attention_mask", "shape": [3, 5], "dtype": "int64", "range": [1, 1]},
                ]
            }
        )
    )
    specs = load_input_specs(specs_file)
    inputs = from_specs(specs, small_models.bert())
    ids = inputs.kwargs["input_ids"]
    assert ids.shape == (3, 5) and ids.dtype == torch.int64
    assert int(ids.min()) >= 10 and int(ids.max()) < 20
    assert torch.equal(inputs.kwargs["attention_mask"], torch.ones(3, 5, dtype=torch.int64))
    assert specs[0].dynamic_axes == {0: "batch", 1: "sequence"}
    assert inputs.method == "specs"


def test_specs_naming_an_input_the_model_lacks_are_refused(tmp_path: Path) -> None:
    """A spec for an argument forward does not take is an input error naming the real ones."""
    specs_file = tmp_path / "specs.json"
    specs_file.write_text(json.dumps([{"name": "pixels", "shape": [1, 8], "dtype": "float32"}]))
    module, _ = small_models.reuse_net()
    with pytest.raises(InputSpecError, match="does not take"):
        from_specs(load_input_specs(specs_file), module)


def test_generated_inputs_are_the_same_every_time() -> None:
    """A fixed seed makes two generations identical, so re-exports are reproducible."""
    model = small_models.bert()
    first, second = generate_inputs(model, model.config), generate_inputs(model, model.config)
    assert all(torch.equal(first.kwargs[k], second.kwargs[k]) for k in first.kwargs)


@pytest.mark.parametrize(
    ("factory", "modality", "names"),
    [
        ("bert", "text", {"input_ids", "attention_mask", "token_type_ids"}),
        ("gpt2", "text", {"input_ids", "attention_mask"}),
        ("bart", "text", {"input_ids", "attention_mask", "decoder_input_ids"}),
        ("vit", "vision", {"pixel_values"}),
        ("resnet", "vision", {"pixel_values"}),
    ],
)
def test_generated_inputs_fit_the_model_and_run(factory: str, modality: str, names: set[str]) -> None:
    """Inputs generated from config and signature have the expected names and the forward runs."""
    model = getattr(small_models, factory)().eval()
    inputs = generate_inputs(model, model.config)
    assert inputs.modality == modality
    assert set(inputs.kwargs) == names
    with torch.no_grad():
        inputs.call(model)


def test_generated_inputs_for_audio_models_run() -> None:
    """Wav2Vec2 gets raw input_values, Whisper gets mel input_features plus decoder ids."""
    from transformers import Wav2Vec2Config, Wav2Vec2Model, WhisperConfig, WhisperModel

    torch.manual_seed(0)
    wav2vec = Wav2Vec2Model(
        Wav2Vec2Config(
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            conv_dim=(8, 8),
            conv_stride=(5, 2),
            conv_kernel=(10, 3),
            num_feat_extract_layers=2,
        )
    ).eval()
    whisper = WhisperModel(
        WhisperConfig(
            d_model=16,
            encoder_layers=1,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=32,
            decoder_ffn_dim=32,
            num_mel_bins=8,
            max_source_positions=16,
            vocab_size=64,
            pad_token_id=1,
            bos_token_id=2,
            eos_token_id=3,
            decoder_start_token_id=2,
        )
    ).eval()
    for model, names in ((wav2vec, {"input_values"}), (whisper, {"input_features", "decoder_input_ids"})):
        inputs = generate_inputs(model, model.config)
        assert inputs.modality == "audio" and set(inputs.kwargs) == names
        with torch.no_grad():
            inputs.call(model)


def test_plain_module_without_a_known_signature_asks_for_specs() -> None:
    """Inputs cannot be guessed for an arbitrary forward(x): the error says how to give them."""
    module, _ = small_models.reuse_net()
    with pytest.raises(UsageError, match="--input-specs"):
        generate_inputs(module, None)


def test_factory_inputs_get_a_dynamic_batch_axis() -> None:
    """Tensors a factory supplies are exported with axis 0 named batch."""
    module, example = small_models.reuse_net()
    inputs = from_example(example, module)
    assert inputs.specs[0].name == "x" and inputs.specs[0].dynamic_axes == {0: "batch"}
    assert inputs.args == example
