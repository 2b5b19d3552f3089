"""Heartbeats: a live run says so every few seconds.

A reader (`monitor list`, `watch`) has no other way to tell a long, quiet
step from a process that was SIGKILLed or lost its machine. Each beat also
flushes the tracker's coalesced progress, so the store is never more than one
interval behind the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from modelexport.progress._periodic import PeriodicThread
from modelexport.progress.store import Store

#: Seconds between beats; MODELEXPORT_HEARTBEAT_S overrides it (tests shorten it).
DEFAULT_HEARTBEAT_S = 5.0
HEARTBEAT_ENV = "MODELEXPORT_HEARTBEAT_S"


def heartbeat_interval(explicit: float | None = None) -> float:
    """The interval to use: the argument, else the environment, else 5 s."""
    return _interval(explicit, HEARTBEAT_ENV, DEFAULT_HEARTBEAT_S)


def _interval(explicit: float | None, env: str, default: float) -> float:
    if explicit is not None:
        return float(explicit)
    raw = os.environ.get(env, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
    return default


class Heartbeat:
    """Beats for one run until stopped."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        interval_s: float,
        *,
        before_beat: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._before = before_beat
        self._clock = clock
        self._thread = PeriodicThread(self.beat, interval_s, name=f"modelexport-heartbeat-{run_id[:8]}")

    def beat(self) -> None:
        if self._before is not None:
            self._before()
        self._store.heartbeat(self._run_id, self._clock())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()

    @property
    def beats(self) -> int:
        return self._thread.ticks
