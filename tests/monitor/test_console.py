"""ConsoleWriter: plain lines off a terminal, live output on one, quiet mode."""

from __future__ import annotations

import io
import re

from rich.console import Console

from modelexport.monitor import ConsoleWriter
from modelexport.steps import EXPORT_STEPS, Step, StepStatus

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain_console(width: int = 120) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=False, color_system=None), buffer


def terminal_console(width: int = 120) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=True, color_system="standard"), buffer


def test_plain_output_has_a_start_and_an_end_line_per_step(replay) -> None:
    """Off a terminal, each step prints '▶' when it starts and '✓ … time summary' when it ends."""
    console, buffer = plain_console()
    replay([ConsoleWriter(console)])
    text = buffer.getvalue()
    assert not ANSI.search(text)
    lines = text.splitlines()
    for number, s in enumerate(EXPORT_STEPS, 1):
        label = f"[{number}/6]"
        started = [i for i, line in enumerate(lines) if line.startswith(f"▶ {label}")]
        ended = [i for i, line in enumerate(lines) if line.startswith(f"✓ {label}")]
        assert len(started) == 1 and len(ended) == 1 and started[0] < ended[0], s
    assert "✓ [4/6] ONNX export  3.65 s  dynamo exporter, opset 18, 46 nodes" in lines


def test_plain_output_shows_tree_statistics_and_summary(replay) -> None:
    """The module tree follows hierarchy, the tag table follows tagging, a summary closes."""
    console, buffer = plain_console()
    replay([ConsoleWriter(console)])
    text = buffer.getvalue()
    tree_at = text.index("├── BertEmbeddings  embeddings")
    assert text.index("✓ [3/6]") < tree_at < text.index("▶ [4/6]")
    assert "Dropout  embeddings.dropout  (not executed)" in text
    stats_at = text.index("Node tagging  ")
    assert text.index("✓ [5/6]") < stats_at < text.index("▶ [6/6]")
    assert re.search(r"direct\s+│\s+41 │\s+89\.1%", text)
    assert re.search(r"root\s+│\s+2 │\s+4\.3%", text)
    assert "scope disagreements: 1" in text
    assert re.search(r"MatMul\s+│\s+16", text)
    summary = text[text.index("Export complete") :]
    for expected in (
        "prajjwal1/bert-tiny (BertModel, 23,520 parameters)",
        "95.0 KB",
        "5.23 s",
        "95.7% of 46 nodes",
        "bert-tiny_htp_metadata.json",
    ):
        assert expected in summary


def test_long_module_tree_is_cut_with_a_count(replay) -> None:
    """A tree longer than tree_max_lines ends with '… N more modules'."""
    console, buffer = plain_console()
    replay([ConsoleWriter(console, tree_max_lines=10)])
    text = buffer.getvalue()
    tree = text[text.index("BertModel\n") : text.index("▶ [4/6]")]
    assert len(tree.splitlines()) == 10
    assert "… 33 more modules (the report lists all 42)" in tree


def test_terminal_output_is_coloured_and_animated(replay) -> None:
    """On a terminal the output has colour, and a transient progress display runs per step."""
    console, buffer = terminal_console()
    replay([ConsoleWriter(console)])
    text = buffer.getvalue()
    assert "\x1b[32m✓ \x1b[0m" in text  # green tick
    assert "\x1b[?25l" in text  # the live display hides the cursor while it runs
    assert "42/42" in text  # the hierarchy bar knows its total
    assert ANSI.sub("", text).count("Export complete") == 1


def test_failure_is_one_red_line_naming_step_and_error(replay) -> None:
    """A failed run ends with a red line that names the failing step and the error."""
    console, buffer = terminal_console(width=400)
    data = replay([ConsoleWriter(console)], failed_at=Step.ONNX_EXPORT)
    text = buffer.getvalue()
    assert "\x1b[1;31m✗ Export failed at [4/6] ONNX export: ExportFailedError: both exporters failed" in text
    assert "Export complete" not in text
    assert data.error in ANSI.sub("", text)


def test_quiet_prints_nothing_for_a_good_run(replay) -> None:
    """quiet=True prints nothing at all when the run completes."""
    console, buffer = plain_console()
    replay([ConsoleWriter(console, quiet=True)])
    assert buffer.getvalue() == ""


def test_quiet_leaves_the_failure_to_the_caller(replay) -> None:
    """quiet=True prints nothing even for a failed run: the CLI's error line or the exception says it."""
    console, buffer = terminal_console(width=300)
    replay([ConsoleWriter(console, quiet=True)], failed_at=Step.HIERARCHY)
    assert ANSI.sub("", buffer.getvalue()) == ""


def test_live_follows_the_console_unless_forced(sample) -> None:
    """The spinner runs only on a terminal by default; `live` overrides it."""
    assert ConsoleWriter(plain_console()[0]).live is False
    assert ConsoleWriter(terminal_console()[0]).live is True
    assert ConsoleWriter(plain_console()[0], live=True).live is True


def test_close_stops_a_running_spinner(sample) -> None:
    """Closing in the middle of a step stops the live display and does not raise."""
    console, buffer = terminal_console()
    writer = ConsoleWriter(console)
    writer.start(sample)
    record = sample.record(Step.ONNX_EXPORT)
    record.status = StepStatus.RUNNING
    record.started_at = 1.0
    writer.write(Step.ONNX_EXPORT, sample)
    assert writer._progress is not None and writer._progress.live.is_started
    writer.close()
    assert writer._progress is None
    assert "\x1b[?25h" in buffer.getvalue()  # the cursor is shown again


def test_error_is_printed_once(replay) -> None:
    """The failed step's line says 'failed'; the error text itself appears once, at the end."""
    console, buffer = plain_console(width=400)
    data = replay([ConsoleWriter(console)], failed_at=Step.ONNX_EXPORT)
    text = buffer.getvalue()
    assert "✗ [4/6] ONNX export  3.65 s  failed\n" in text
    assert text.count(data.error) == 1


def test_output_survives_a_stage_redirecting_stdout(sample) -> None:
    """Lines go to the stream current at construction, even while a stage redirects stdout."""
    import contextlib

    real, swallowed = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(real):
        writer = ConsoleWriter(Console(force_terminal=False))
    writer.start(sample)
    with contextlib.redirect_stdout(swallowed):
        writer.write(Step.MODEL_PREP, sample)
    assert "✓ [1/6] Model preparation" in real.getvalue()
    assert swallowed.getvalue() == ""
