"""A real export killed with SIGKILL shows `crashed` within three heartbeats; SIGTERM cancels."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from typer.testing import CliRunner

from modelexport.cli import app
from modelexport.progress.liveness import STALE_BEATS, effective_status
from modelexport.progress.sql import SQLStore
from tests.progress._export_run import running_node, start_export, wait_for

HEARTBEAT_S = 0.3


def test_sigkilled_export_shows_crashed(tmp_path: Path, sqlite_url: str) -> None:
    """Killed mid-step, the run stops beating and every reader shows it crashed."""
    proc = start_export(tmp_path, sqlite_url, sleep_s=60, heartbeat_s=HEARTBEAT_S)
    try:
        run, _ = wait_for(
            lambda: running_node(sqlite_url, "export/hierarchy_building"),
            proc,
            what="the hierarchy step to start",
        )
        assert effective_status(run) == "running"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout:
            proc.stdout.close()

    # On this host the pid is gone: crashed at once.
    with SQLStore(sqlite_url) as store:
        stored = store.get_run(run.id)
        assert stored is not None and stored.status == "running"  # nobody cleaned up the row
        assert effective_status(stored) == "crashed"
    # From another machine only the heartbeat tells: it stops, and three intervals later it is stale.
    time.sleep((STALE_BEATS + 1) * HEARTBEAT_S)
    with SQLStore(sqlite_url) as store:
        later = store.get_run(run.id)
        assert later is not None and later.heartbeat_at == stored.heartbeat_at
        assert effective_status(later, host="another-machine") == "crashed"
    result = CliRunner().invoke(app, ["monitor", "status", run.id, "--store", sqlite_url, "--json"])
    data = json.loads(result.output)
    assert data["status"] == "crashed"
    hierarchy = next(n for n in data["nodes"] if n["node_id"] == "export/hierarchy_building")
    assert hierarchy["status"] == "crashed"


def test_sigterm_marks_the_run_cancelled(tmp_path: Path, sqlite_url: str) -> None:
    """SIGTERM ends a real export as cancelled, recorded by the run's own process."""
    proc = start_export(tmp_path, sqlite_url, sleep_s=60, heartbeat_s=HEARTBEAT_S)
    try:
        run, _ = wait_for(
            lambda: running_node(sqlite_url, "export/hierarchy_building"),
            proc,
            what="the hierarchy step to start",
        )
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode != 0
    with SQLStore(sqlite_url) as store:
        stored = store.get_run(run.id)
        assert stored is not None and stored.status == "cancelled"
        assert effective_status(stored) == "cancelled"
        step = next(n for n in store.nodes(run.id) if n.node_id == "export/hierarchy_building")
        assert step.status in ("failed", "cancelled")
