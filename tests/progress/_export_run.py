"""Helpers for tests that drive a real `modelexport export` of the slow model in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from modelexport.progress.records import NodeRecord, RunRecord
from modelexport.progress.sql import SQLStore

REPO = Path(__file__).resolve().parents[2]
SLOW_MODEL = str(Path(__file__).with_name("_slow_model.py"))
T = TypeVar("T")


def start_export(
    out_dir: Path,
    store_url: str,
    *,
    sleep_s: float,
    slow_calls: int = 0,
    heartbeat_s: float = 0.3,
    name: str = "slow",
) -> subprocess.Popen[bytes]:
    """`python -m modelexport export _slow_model.py:build` with short monitoring intervals."""
    env = dict(
        os.environ,
        SLOW_MODEL_SLEEP_S=str(sleep_s),
        MODELEXPORT_HEARTBEAT_S=str(heartbeat_s),
        MODELEXPORT_SAMPLE_S="0.5",
        SLOW_MODEL_SLOW_CALLS=str(slow_calls),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelexport",
            "export",
            f"{SLOW_MODEL}:build",
            "-o",
            str(out_dir / "slow.onnx"),
            "--quiet",
            "--store",
            store_url,
            "--name",
            name,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(
    check: Callable[[], T | None],
    proc: subprocess.Popen[bytes] | None = None,
    deadline_s: float = 90.0,
    what: str = "condition",
) -> T:
    """Poll `check` until it returns a value; fail early, with its output, if `proc` exits."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = check()
        if value is not None:
            return value
        if proc is not None and proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise AssertionError(f"export exited ({proc.returncode}) before {what}:\n{output}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def running_node(store_url: str, node_id: str) -> tuple[RunRecord, NodeRecord] | None:
    """The latest run and its node `node_id`, once that node is running."""
    with SQLStore(store_url) as store:
        runs = store.list_runs(limit=1)
        if not runs:
            return None
        node = next((n for n in store.nodes(runs[0].id) if n.node_id == node_id), None)
        if node is None or node.status != "running":
            return None
        return runs[0], node
