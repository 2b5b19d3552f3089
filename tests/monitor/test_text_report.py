"""ReportWriter: the text report holds the console's output plus every module and node."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from modelexport.monitor import ConsoleWriter, ReportWriter, text_report
from modelexport.monitor.text_report import REPORT_WIDTH, write_report
from modelexport.steps import ExportData, Step

ANSI = re.compile(r"\x1b\[")


def report_text(tmp_path: Path) -> str:
    return (tmp_path / "bert-tiny_htp_export_report.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("failed_at", [None, Step.ONNX_EXPORT], ids=["completed", "failed"])
def test_report_contains_everything_the_console_showed(
    replay, tmp_path: Path, failed_at: Step | None
) -> None:
    """Every line the plain console printed appears in the report, in the same order."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=REPORT_WIDTH, force_terminal=False, color_system=None)
    replay([ConsoleWriter(console), ReportWriter()], failed_at=failed_at)
    shown = [line.rstrip() for line in buffer.getvalue().splitlines()]
    report = report_text(tmp_path).splitlines()
    assert report[: len(shown)] == shown


def test_report_lists_every_module_and_node(replay, tmp_path: Path) -> None:
    """The module table has a row per module; the node mapping a row per node."""
    data = replay([ReportWriter()])
    text = report_text(tmp_path)
    modules = text[text.index("Modules (42)") : text.index("Node mapping (46)")]
    for module in data.hierarchy.modules:
        assert re.search(rf"^{re.escape(module.path or '(root)')} +{module.class_name} ", modules, re.M), (
            module.path
        )
    assert re.search(r"^embeddings\.dropout .* no +0 .* 0 +0$", modules, re.M)
    assert re.search(r"^encoder\.layer .* yes +0 .* 0 +34$", modules, re.M)
    nodes = text[text.index("Node mapping (46)") :]
    for node in data.node_tagging.nodes:
        assert re.search(
            rf" {node.name} +{node.op_type} +"
            rf"{re.escape(node.module_path or '(root)')} +{node.source}$",
            nodes,
            re.M,
        ), node.name


def test_report_is_plain_text_at_a_fixed_width(replay, tmp_path: Path) -> None:
    """No colour codes or trailing spaces; the console part keeps to the report width."""
    replay([ReportWriter()])
    text = report_text(tmp_path)
    assert not ANSI.search(text)
    assert all(line == line.rstrip() for line in text.splitlines())
    console_part = text[: text.index("Modules (42)")]
    assert all(len(line) <= REPORT_WIDTH for line in console_part.splitlines())


def test_complete_tables_have_one_row_per_line(replay, tmp_path: Path) -> None:
    """Module and node rows are never wrapped, so one grep finds a whole row."""
    data = replay([ReportWriter()])
    text = report_text(tmp_path)
    module = max(data.hierarchy.modules, key=lambda m: len(m.tag))
    rows = [line for line in text.splitlines() if line.startswith(f"{module.path} ")]
    assert len(rows) == 1
    assert module.tag in rows[0] and len(rows[0]) > REPORT_WIDTH
    rows = [line for line in text.splitlines() if re.match(r"^ *\d+  node_", line)]
    assert len(rows) == 46


def test_failed_report_names_the_failure(replay, tmp_path: Path) -> None:
    """A failed run's report has the failure line, the step table and the partial modules."""
    replay([ReportWriter()], failed_at=Step.NODE_TAGGING)
    text = report_text(tmp_path)
    assert (
        "✗ Export failed at [5/6] Node tagging: ModelExportError: node tagging failed: graph has a cycle"
    ) in text
    assert re.search(r"\[6/6\] Tag injection +│ pending", text)
    assert "Modules (42)" in text and "Node mapping" not in text


def test_report_failure_mid_write_leaves_the_old_file(
    sample: ExportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If rendering dies after part of the report was written, the previous report stays."""
    writer = ReportWriter()
    writer.finish(sample)
    target = tmp_path / "bert-tiny_htp_export_report.txt"
    before = target.read_text()

    def broken(data: ExportData) -> None:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(text_report, "_node_rows", broken)
    partial = io.StringIO()
    with pytest.raises(RuntimeError):
        write_report(partial, sample)
    assert "Modules (42)" in partial.getvalue()  # it did die mid-report
    with pytest.raises(RuntimeError):
        ReportWriter().finish(sample)
    assert target.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
