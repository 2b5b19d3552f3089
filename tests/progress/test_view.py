"""Tests for the monitor's renderings: durations, ETA, sparklines and the status JSON."""

from __future__ import annotations

import io

from rich.console import Console

from modelexport.progress.records import NodeRecord, RunRecord
from modelexport.progress.view import duration, eta, sparkline, status_json, status_view


def _run(status: str = "running", beat: float = 100.0) -> RunRecord:
    return RunRecord(
        id="abcdef123456",
        name="bert",
        command="export",
        host="elsewhere",
        pid=1,
        started_at=0.0,
        heartbeat_at=beat,
        heartbeat_s=5.0,
        status=status,
    )


def _node(**kw: object) -> NodeRecord:
    base: dict[str, object] = {
        "run_id": "abcdef123456",
        "node_id": "export",
        "parent_id": "",
        "level": "phase",
        "name": "export",
        "status": "running",
        "started_at": 40.0,
        "percent": 25.0,
    }
    base.update(kw)
    return NodeRecord(**base)  # type: ignore[arg-type]


def test_durations_read_naturally() -> None:
    """Seconds, minutes and hours each get a compact form; unknown is a dash."""
    assert [duration(4.24), duration(185), duration(3720), duration(None)] == ["4.2s", "3m05s", "1h02m", "-"]


def test_eta_extrapolates_the_pace_so_far() -> None:
    """25% done after 60 s leaves 180 s; finished or unstarted nodes have no ETA."""
    assert eta(_node(), now=100.0) == 180.0
    assert eta(_node(status="completed"), now=100.0) is None
    assert eta(_node(percent=0.0), now=100.0) is None


def test_sparkline_spans_low_to_high_and_resamples() -> None:
    """The lowest value is the lowest block, the highest the highest; long series shrink."""
    line = sparkline([0, 5, 10])
    assert line[0] == "▁" and line[-1] == "█"
    assert len(sparkline(list(range(500)), width=40)) == 40
    assert sparkline([None, None]) == ""


def test_crashed_run_shows_its_running_nodes_crashed() -> None:
    """When the run is crashed, nodes it left running are shown crashed, without an ETA."""
    data = status_json(_run(beat=0.0), [_node()], now=100.0)
    assert data["status"] == "crashed" and data["stored_status"] == "running"
    assert data["nodes"][0]["status"] == "crashed" and data["nodes"][0]["eta_s"] is None


def test_status_view_renders_tree_and_error() -> None:
    """The status view names the run, each node with its state, and the run's error."""
    run = _run(status="failed")
    run.error = "dynamo refused"
    out = io.StringIO()
    Console(file=out, width=120).print(status_view(run, [_node(status="failed")], now=100.0))
    text = out.getvalue()
    assert "bert" in text and "export" in text and "failed" in text
    assert "error: dynamo refused" in text
