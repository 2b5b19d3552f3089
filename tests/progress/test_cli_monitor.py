"""Tests for `modelexport monitor`: every command, its --json, and its errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelexport.cli import app
from modelexport.progress.records import MetricSample
from modelexport.progress.sql import SQLStore
from modelexport.progress.tracker import Tracker

runner = CliRunner()
COMMANDS = ("list", "status", "watch", "history", "resources", "prune")


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["monitor", *args])


def _record_run(url: str, run_id: str, name: str, *, fail: bool = False) -> None:
    """A finished run with two steps and three samples, written as an export would."""
    with SQLStore(url) as store:
        tracker = Tracker(store)
        run = tracker.run(name, run_id=run_id, command="export").start()
        phase = run.phase("export", total=2).start()
        with phase.step("model_preparation"):
            pass
        step = phase.step("onnx_export", total=10).start(message="tracing")
        step.update(completed=5)
        store.add_metrics(
            [
                MetricSample(
                    run_id,
                    i,
                    at=time.time() + i,
                    step="onnx_export",
                    rss_bytes=(100 + 10 * i) * 2**20,
                    cpu_percent=50.0 + i,
                )
                for i in range(1, 4)
            ]
        )
        if fail:
            step.fail("dynamo refused")
            phase.fail("dynamo refused")
            run.fail("dynamo refused")
        else:
            step.complete()
            phase.complete()
            run.complete()


@pytest.fixture
def url(sqlite_url: str) -> str:
    _record_run(sqlite_url, "aaaa1111", "bert")
    _record_run(sqlite_url, "bbbb2222", "gpt", fail=True)
    return sqlite_url


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command: str) -> None:
    """Each subcommand answers --help with its options."""
    result = _invoke(command, "--help")
    assert result.exit_code == 0
    assert "--store" in result.output and "--json" in result.output


def test_list_shows_runs_newest_first(url: str) -> None:
    """list prints a table and --json the same runs, newest first, with effective status."""
    table = _invoke("list", "--store", url)
    assert table.exit_code == 0
    assert table.output.index("bbbb2222") < table.output.index("aaaa1111")
    runs = json.loads(_invoke("list", "--store", url, "--json").output)
    assert [(r["id"], r["status"]) for r in runs] == [("bbbb2222", "failed"), ("aaaa1111", "completed")]
    limited = json.loads(_invoke("list", "--store", url, "--json", "--limit", "1").output)
    assert [r["id"] for r in limited] == ["bbbb2222"]
    failed = json.loads(_invoke("list", "--store", url, "--json", "--status", "failed").output)
    assert [r["id"] for r in failed] == ["bbbb2222"]


def test_list_status_crashed_finds_dead_runs(sqlite_url: str) -> None:
    """A run whose process died is listed under --status crashed, not running."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with SQLStore(sqlite_url) as store:
        Tracker(store).run("ghost", run_id="dead0001").start()
        run = store.get_run("dead0001")
        assert run is not None
        run.pid = child.pid
        store.save_run(run)
    crashed = json.loads(_invoke("list", "--store", sqlite_url, "--json", "--status", "crashed").output)
    assert [r["id"] for r in crashed] == ["dead0001"]
    running = json.loads(_invoke("list", "--store", sqlite_url, "--json", "--status", "running").output)
    assert running == []


def test_status_shows_the_tree_by_name_prefix_or_default(url: str) -> None:
    """status finds a run by name or prefix (default: latest) and shows every node."""
    result = _invoke("status", "bert", "--store", url)
    assert result.exit_code == 0
    for text in ("bert", "export", "model_preparation", "onnx_export", "completed"):
        assert text in result.output
    data = json.loads(_invoke("status", "--store", url, "--json").output)
    assert data["id"] == "bbbb2222" and data["status"] == "failed"
    assert data["error"] == "dynamo refused"
    step = next(n for n in data["nodes"] if n["node_id"] == "export/onnx_export")
    assert (step["status"], step["completed"], step["total"]) == ("failed", 5, 10)
    assert json.loads(_invoke("status", "aaaa", "--store", url, "--json").output)["name"] == "bert"


def test_history_lists_events_in_order(url: str) -> None:
    """history gives the run's events in seq order, as a table or JSON."""
    data = json.loads(_invoke("history", "bert", "--store", url, "--json").output)
    kinds = [(e["node_id"], e["kind"]) for e in data["events"]]
    assert kinds[0] == ("", "started") and kinds[-1] == ("", "completed")
    assert [e["seq"] for e in data["events"]] == sorted(e["seq"] for e in data["events"])
    table = _invoke("history", "bert", "--store", url)
    assert table.exit_code == 0 and "onnx_export" in table.output
    assert (
        len(json.loads(_invoke("history", "bert", "--store", url, "--json", "-n", "2").output)["events"]) == 2
    )


def test_resources_shows_sparkline_and_samples(url: str) -> None:
    """resources prints a sparkline with peaks and a table; --json gives the samples."""
    table = _invoke("resources", "bert", "--store", url)
    assert table.exit_code == 0
    assert "peak 53%" in table.output and "peak 130 MB" in table.output
    assert any(ch in table.output for ch in "▁█")
    data = json.loads(_invoke("resources", "bert", "--store", url, "--json").output)
    assert [s["seq"] for s in data["samples"]] == [1, 2, 3]


def test_prune_deletes_only_old_runs(url: str) -> None:
    """prune --older-than keeps recent runs and deletes old ones."""
    assert (
        json.loads(_invoke("prune", "--older-than", "30d", "--store", url, "--json").output)["deleted"] == 0
    )
    with SQLStore(url) as store:
        old = store.get_run("aaaa1111")
        assert old is not None
        old.started_at -= 40 * 86400
        store.save_run(old)
    result = _invoke("prune", "--older-than", "30d", "--store", url)
    assert result.exit_code == 0 and "deleted 1 run" in result.output
    assert [r["id"] for r in json.loads(_invoke("list", "--store", url, "--json").output)] == ["bbbb2222"]


def test_watch_follows_a_live_run_until_it_ends(sqlite_url: str) -> None:
    """watch --json prints a snapshot on each change and exits 0 when the run completes."""
    with SQLStore(sqlite_url) as store:
        tracker = Tracker(store, coalesce_s=0.0)
        run = tracker.run("live", run_id="live0001").start()
        step = run.phase("export").start().step("onnx_export", total=3).start()

        def finish_later() -> None:
            for _ in range(3):
                time.sleep(0.3)
                step.advance()
            run.complete()

        worker = threading.Thread(target=finish_later)
        worker.start()
        result = _invoke("watch", "live", "--store", sqlite_url, "--json", "--interval", "0.1")
        worker.join()
    assert result.exit_code == 0
    frames = [json.loads(line) for line in result.output.splitlines()]
    assert frames[0]["status"] == "running" and frames[-1]["status"] == "completed"
    assert len(frames) >= 3  # it moved in between


def test_watch_ends_on_a_crashed_run(sqlite_url: str) -> None:
    """watch on a run whose process is gone shows crashed and exits 1."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with SQLStore(sqlite_url) as store:
        Tracker(store).run("ghost", run_id="ghost001").start()
        run = store.get_run("ghost001")
        assert run is not None
        run.pid = child.pid
        store.save_run(run)
    result = _invoke("watch", "ghost", "--store", sqlite_url)
    assert result.exit_code == 1 and "crashed" in result.output


def test_unknown_run_is_exit_2_with_one_line(url: str) -> None:
    """An unknown RUN is a usage error: one line, exit 2, no traceback."""
    result = _invoke("status", "nope", "--store", url)
    assert result.exit_code == 2
    assert "no run with id, id prefix or name 'nope'" in result.output
    assert "Traceback" not in result.output


def test_unreachable_store_is_exit_1_naming_the_fix() -> None:
    """A store that cannot be reached exits 1 and says how to fix it."""
    result = _invoke("list", "--store", "postgresql://nobody@127.0.0.1:9/none")
    assert result.exit_code == 1
    assert "cannot reach the PostgreSQL store" in result.output
    assert "start the server" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--status", "sleeping"],
        ["prune", "--older-than", "soon"],
        ["list", "--store", "mysql://h/db"],
    ],
)
def test_bad_options_are_exit_2(args: list[str], sqlite_url: str) -> None:
    """Unknown statuses, unparseable durations and unsupported URLs are usage errors."""
    result = _invoke(*args) if "--store" in args else _invoke(*args, "--store", sqlite_url)
    assert result.exit_code == 2


def test_store_from_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """MODELEXPORT_STORE is used when --store is not given."""
    monkeypatch.setenv("MODELEXPORT_STORE", url)
    assert len(json.loads(_invoke("list", "--json").output)) == 2


def test_another_machine_sees_runs_through_postgresql(pg_url: str) -> None:
    """A run written to PostgreSQL by one store is listed and shown by `monitor` elsewhere."""
    _record_run(pg_url, "pgrun001", "remote-bert")
    runs = json.loads(_invoke("list", "--store", pg_url, "--json").output)
    assert [r["name"] for r in runs] == ["remote-bert"]
    data = json.loads(_invoke("status", "remote-bert", "--store", pg_url, "--json").output)
    assert [n["node_id"] for n in data["nodes"]] == [
        "",
        "export",
        "export/model_preparation",
        "export/onnx_export",
    ]


def test_empty_store_lists_nothing(tmp_path: Path) -> None:
    """A brand-new store lists no runs rather than failing."""
    result = _invoke("list", "--store", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.exit_code == 0 and "no runs recorded" in result.output
