"""_render: the module tree's cuts and collapses, the statistics, the failure line."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from modelexport.monitor import _render as render
from modelexport.steps import ExportData, ModuleInfo, RunStatus, Step
from modelexport.testing import sample_export_data


def text_of(renderable: object, width: int = 160) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(renderable)
    return buffer.getvalue()


def with_layers(data: ExportData, count: int) -> ExportData:
    """The sample model with `count` encoder layers (copies of layer 1)."""
    modules = data.hierarchy.modules
    template = [m for m in modules if m.path.startswith("encoder.layer.1")]
    extra: list[ModuleInfo] = []
    for i in range(2, count):
        for m in template:

            def move(path: str, i: int = i) -> str:
                return path.replace("encoder.layer.1", f"encoder.layer.{i}", 1)

            extra.append(
                dataclasses.replace(
                    m,
                    path=move(m.path),
                    parent=move(m.parent or ""),
                    tag=m.tag.replace("BertLayer.1", f"BertLayer.{i}"),
                )
            )
    cut = next(i for i, m in enumerate(modules) if m.path == "pooler")
    data.hierarchy.modules = [*modules[:cut], *extra, *modules[cut:]]
    return data


def test_small_tree_is_drawn_whole() -> None:
    """A tree within the line budget shows every module and no '… more' line."""
    data = sample_export_data()
    text = text_of(render.module_tree(data, max_lines=100))
    assert len(text.splitlines()) == 42
    assert "more" not in text


def test_repeated_layers_stay_when_the_tree_fits() -> None:
    """Repeated layers are drawn one by one when the whole tree fits in the budget."""
    data = with_layers(sample_export_data(), 3)
    text = text_of(render.module_tree(data, max_lines=100))
    assert "BertLayer.2  encoder.layer.2" in text and "more" not in text


def test_repeated_layers_collapse_to_one_line() -> None:
    """Twelve identical layers show the first expanded and one line for the other eleven."""
    data = with_layers(sample_export_data(), 12)
    text = text_of(render.module_tree(data, max_lines=100))
    assert "BertLayer.0  encoder.layer.0" in text
    assert "BertLayer.5" not in text
    assert "… 11 more BertLayer (encoder.layer.1 … encoder.layer.11, 165 modules)" in text
    assert "Linear.key" in text  # repeated leaves are never collapsed
    assert "BertPooler  pooler" in text


def test_statistics_show_counts_shares_and_top_ops() -> None:
    """The tag table lists each source with count and share, and the op types by count."""
    text = text_of(render.tag_statistics(sample_export_data(), top=3))
    assert "inferred │     3 │   6.5%" in text
    assert "total    │    46 │ 100.0%" in text
    assert "MatMul" in text and "Add" in text and "LayerNormalization" in text
    assert "Softmax" not in text and "… 10 more" in text


def test_statistics_absent_before_tagging() -> None:
    """Before node tagging there is no statistics table and the tree still renders."""
    data = sample_export_data(failed_at=Step.NODE_TAGGING)
    assert render.tag_statistics(data) is None
    assert render.module_tree(data) is not None


def test_failure_line_without_a_failed_step_still_names_the_error() -> None:
    """A run that failed outside any step says so without a step label."""
    data = sample_export_data()
    data.status, data.error, data.error_type = RunStatus.FAILED, "disk full", "OSError"
    assert render.failure_line(data).plain == "✗ Export failed: OSError: disk full"


def test_cancelled_run_says_cancelled() -> None:
    """A cancelled run's line says cancelled, not failed."""
    data = sample_export_data(failed_at=Step.ONNX_EXPORT)
    data.status = RunStatus.CANCELLED
    assert render.failure_line(data).plain.startswith("✗ Export cancelled at [4/6] ONNX export")
