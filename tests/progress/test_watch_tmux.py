"""`modelexport monitor watch` in a tmux pane shows a real export move, then end."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import in_ci
from tests.progress._export_run import REPO, running_node, start_export, wait_for


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A private tmux server (its own socket), killed afterwards."""
    if shutil.which("tmux") is None:
        message = "tmux is not installed (apt-get install tmux; `make test` installs it)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    command = ["tmux", "-L", f"mx-test-{uuid.uuid4().hex[:8]}"]
    try:
        yield command
    finally:
        subprocess.run([*command, "kill-server"], capture_output=True, check=False)


def _capture(tmux: list[str], session: str) -> str:
    return subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
    ).stdout


def test_watch_in_a_tmux_pane_shows_the_run_move(tmux: list[str], tmp_path: Path, sqlite_url: str) -> None:
    """The pane shows a step running, later the run completed, and watch exits by itself."""
    # Only the hierarchy pass is slow: long enough for the pane to see the run live.
    proc = start_export(tmp_path, sqlite_url, sleep_s=2, slow_calls=1)
    session = "watch"
    try:
        wait_for(
            lambda: running_node(sqlite_url, "export/hierarchy_building"), proc, what="the hierarchy step"
        )
        env = {"XDG_STATE_HOME": os.environ["XDG_STATE_HOME"], "COLUMNS": "150"}
        watch = " ".join(
            [
                *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                shlex.quote(sys.executable),
                "-m",
                "modelexport",
                "monitor",
                "watch",
                "--store",
                shlex.quote(sqlite_url),
                "--interval",
                "0.2",
            ]
        )
        subprocess.run(
            [
                *tmux,
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "150",
                "-y",
                "40",
                "-c",
                str(REPO),
                f"{watch}; echo WATCH-EXIT=$?; sleep 60",
            ],
            check=True,
        )
        frames: list[str] = []

        def finished() -> str | None:
            frames.append(_capture(tmux, session))
            return frames[-1] if "WATCH-EXIT=" in frames[-1] else None

        last = wait_for(finished, deadline_s=120, what="watch to exit")
        proc.wait(timeout=60)  # the run is recorded complete just before the process exits
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode == 0
    live = [f for f in frames if "running" in f]
    assert live, "the pane never showed the run running"
    assert any("hierarchy_building" in f for f in live)
    assert "completed" in last and "tag_injection" in last
    assert "WATCH-EXIT=0" in last
    assert frames.index(live[0]) < len(frames) - 1  # it moved: running first, completed after
