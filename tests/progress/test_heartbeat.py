"""Tests for heartbeats: beats reach the store and flush coalesced progress."""

from __future__ import annotations

import threading

import pytest

from modelexport.progress.heartbeat import Heartbeat, heartbeat_interval
from modelexport.progress.memory import MemoryStore
from modelexport.progress.tracker import Tracker
from tests.progress.conftest import FakeClock


def test_beat_records_the_time_and_flushes_first(clock: FakeClock) -> None:
    """A beat writes pending progress, then the heartbeat time."""
    store = MemoryStore()
    tracker = Tracker(store, clock=clock)
    step = tracker.run("x", run_id="r").start().phase("p").start().step("s", total=10).start()
    clock.advance(1)
    step.advance()
    step.advance()  # coalesced: not written yet
    clock.advance(0.1)
    Heartbeat(store, "r", 5.0, before_beat=tracker.flush, clock=clock).beat()
    run = store.get_run("r")
    assert run is not None and run.heartbeat_at == clock.now
    assert next(n for n in store.nodes("r") if n.node_id == "p/s").completed == 2


def test_heartbeat_thread_beats_until_stopped() -> None:
    """The thread beats repeatedly in the background and stops on request."""
    beats = threading.Semaphore(0)

    class Counting(MemoryStore):
        def heartbeat(self, run_id: str, at: float) -> None:
            beats.release()

    heartbeat = Heartbeat(Counting(), "r", 0.01)
    heartbeat.start()
    for _ in range(3):
        assert beats.acquire(timeout=10)
    heartbeat.stop()
    assert heartbeat.beats >= 3


def test_interval_defaults_to_five_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """5 s by default; MODELEXPORT_HEARTBEAT_S shortens it for tests."""
    assert heartbeat_interval() == 5.0
    monkeypatch.setenv("MODELEXPORT_HEARTBEAT_S", "0.2")
    assert heartbeat_interval() == 0.2
