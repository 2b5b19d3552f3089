"""A daemon thread that calls a function every `interval_s` until stopped.

Shared by the heartbeat and the resource sampler. The wait is an Event, so
`stop()` returns at once instead of after a sleep; an exception in the
function is counted and the thread goes on (a monitor must never take the run
down with it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class PeriodicThread:
    """Call `func` now, then every `interval_s` seconds, on a daemon thread."""

    def __init__(self, func: Callable[[], None], interval_s: float, *, name: str) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._func = func
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.errors = 0
        self.last_error: str | None = None
        self.ticks = 0

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            self._tick()
            if self._stop.wait(self.interval_s):
                return

    def _tick(self) -> None:
        try:
            self._func()
            self.ticks += 1
        except Exception as exc:
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
