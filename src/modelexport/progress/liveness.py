"""Liveness: is a run that says `running` really running?

A process that dies without cleaning up (SIGKILL, OOM killer, a lost machine)
leaves its row at `running`. Readers therefore derive `crashed` instead of
trusting the row: the heartbeat is older than STALE_BEATS intervals, or the
run's host is this host and its pid is gone (or is a zombie, or is another
process that reused the pid). The row itself is never rewritten, so a run
that was only stalled shows `running` again when its heartbeat resumes.
"""

from __future__ import annotations

import socket
import time

import psutil

from modelexport.progress.records import RunRecord, State

#: A heartbeat older than this many intervals means the run is gone.
STALE_BEATS = 3


def process_alive(pid: int, started_at: float | None = None) -> bool:
    """True when `pid` runs here, is not a zombie, and is not a process born after the run."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        # A pid reused by a process born after the run began is not the run.
        return started_at is None or proc.create_time() <= started_at + 2.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def effective_status(run: RunRecord, now: float | None = None, *, host: str | None = None) -> str:
    """The run's stored status, or `crashed` when a `running` run shows no sign of life."""
    if run.status != State.RUNNING.value:
        return run.status
    now = time.time() if now is None else now
    if now - run.heartbeat_at > STALE_BEATS * run.heartbeat_s:
        return State.CRASHED.value
    if run.host == (host or socket.gethostname()) and not process_alive(run.pid, run.started_at):
        return State.CRASHED.value
    return State.RUNNING.value
