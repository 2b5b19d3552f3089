"""_summary: the figures every writer shares (node counts, times, one-line summaries)."""

from __future__ import annotations

from modelexport.monitor import _summary as summary
from modelexport.steps import Step
from modelexport.testing import sample_export_data


def test_subtree_counts_add_up_through_the_tree() -> None:
    """A module's subtree count is its own nodes plus all its descendants' nodes."""
    counts = summary.module_counts(sample_export_data())
    assert counts[""].subtree == 46 and counts[""].direct == 2
    assert counts["encoder"].subtree == counts["encoder.layer.0"].subtree + counts["encoder.layer.1"].subtree
    assert counts["embeddings"].direct == 3 and counts["embeddings"].subtree == 7
    assert counts["embeddings.dropout"].subtree == 0


def test_counts_before_tagging_are_zero() -> None:
    """Before node tagging every module is listed with zero nodes."""
    counts = summary.module_counts(sample_export_data(failed_at=Step.NODE_TAGGING))
    assert len(counts) == 42
    assert all(c.direct == 0 and c.subtree == 0 for c in counts.values())


def test_statistics_before_tagging_have_null_ratios() -> None:
    """Coverage is null, not 100%, when nothing was tagged."""
    stats = summary.statistics(sample_export_data(failed_at=Step.ONNX_EXPORT))
    assert stats["coverage"] is None and stats["total_nodes"] == 0
    assert stats["total_modules"] == 42 and stats["executed_modules"] == 41


def test_one_line_summaries_name_what_each_step_made() -> None:
    """Each step's one-line summary carries its key figure."""
    data = sample_export_data()
    assert summary.one_line(Step.HIERARCHY, data) == "42 modules, 41 executed, 40 forward calls"
    assert (
        summary.one_line(Step.NODE_TAGGING, data)
        == "46 nodes: 41 direct, 3 inferred, 2 root (95.7% below the root)"
    )
    failed = sample_export_data(failed_at=Step.INPUT_GEN)
    assert summary.one_line(Step.INPUT_GEN, failed).startswith("forward failed")
