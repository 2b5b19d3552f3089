"""Tests for liveness: when a `running` row is shown as `crashed`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from modelexport.progress.liveness import effective_status, process_alive
from modelexport.progress.records import RunRecord


def _run(
    *,
    pid: int,
    host: str = "here",
    beat_age: float = 0.0,
    status: str = "running",
    started: float | None = None,
) -> RunRecord:
    now = time.time()
    return RunRecord(
        id="r",
        name="n",
        command="export",
        host=host,
        pid=pid,
        started_at=started if started is not None else now,
        heartbeat_at=now - beat_age,
        heartbeat_s=1.0,
        status=status,
    )


def test_fresh_heartbeat_and_live_pid_is_running() -> None:
    """A run that beat recently and whose process lives is running."""
    assert effective_status(_run(pid=os.getpid()), host="here") == "running"


def test_stale_heartbeat_is_crashed_even_on_another_host() -> None:
    """Three missed beats mean crashed, whatever host the run is on."""
    assert effective_status(_run(pid=1, host="elsewhere", beat_age=3.5), host="here") == "crashed"
    assert effective_status(_run(pid=1, host="elsewhere", beat_age=2.5), host="here") == "running"


def test_dead_pid_on_this_host_is_crashed_at_once() -> None:
    """On the run's own host a vanished process shows crashed before any beat is missed."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert effective_status(_run(pid=child.pid), host="here") == "crashed"
    assert not process_alive(child.pid)


def test_pid_reused_by_a_newer_process_is_not_the_run() -> None:
    """A live pid born after the run started belongs to someone else."""
    assert not process_alive(os.getpid(), started_at=time.time() - 10**6)
    assert process_alive(os.getpid(), started_at=time.time())


def test_finished_runs_keep_their_status() -> None:
    """Completed, failed and cancelled rows are shown as stored."""
    for status in ("completed", "failed", "cancelled"):
        assert effective_status(_run(pid=1, beat_age=1e6, status=status)) == status
