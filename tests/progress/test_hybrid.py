"""Tests for HybridStore: a database cut off mid-run ends with every write stored exactly once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from modelexport.errors import StoreError
from modelexport.progress.hybrid import HybridStore
from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import EventRecord
from modelexport.progress.sql import SQLStore
from modelexport.progress.tracker import Tracker
from tests.progress.conftest import FakeClock


class Cutoff:
    """A switch that makes every statement on an engine fail, like a dropped connection."""

    def __init__(self, engine: sa.Engine) -> None:
        self.cut = threading.Event()
        self.refused = 0
        sa.event.listen(engine, "before_cursor_execute", self._check)

    def _check(self, *args: Any) -> None:
        if self.cut.is_set():
            self.refused += 1
            raise sa_exc.OperationalError("statement", {}, ConnectionError("server closed the connection"))


class LostReplyStore(SQLStore):
    """Commits the first batch of events after `armed`, then reports failure: the ambiguous case."""

    armed = False

    def append_events(self, events: Sequence[EventRecord]) -> None:
        super().append_events(events)
        if self.armed:
            self.armed = False
            raise StoreError("connection reset after commit")


def _drive(tracker: Tracker, clock: FakeClock, steps: int, *, during: Any = None) -> None:
    """A run of `steps` steps, each with progress; `during(i)` is called before step i."""
    with tracker.run("cut", run_id="r") as run, run.phase("export", total=steps) as phase:
        for i in range(steps):
            if during is not None:
                during(i)
            with phase.step(f"s{i}", total=4) as step:
                for _ in range(4):
                    clock.advance(0.6)
                    step.advance()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_cut_off_mid_run_stores_every_event_exactly_once(
    backend_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Writes made while the database refuses are buffered, spilled and replayed in order."""
    backend = SQLStore(backend_url)
    backend.list_runs()  # migrate before cutting
    cutoff = Cutoff(backend.engine)
    hybrid = HybridStore(backend, spool_dir=tmp_path / "spool", max_buffer=5, retry_s=0.01)
    tracker = Tracker(hybrid, clock=clock)

    def during(i: int) -> None:
        if i == 3:
            cutoff.cut.set()
        if i == 9:
            assert hybrid.spilled > 0  # past the bound, the spill file holds the rest
            cutoff.cut.clear()

    _drive(tracker, clock, 12, during=during)
    assert hybrid.flush(30)
    expected = hybrid.local.events("r")
    with SQLStore(backend_url) as reader:
        stored = reader.events("r")
        assert [e.seq for e in stored] == list(range(1, len(expected) + 1))
        assert stored == expected
        assert reader.nodes("r") == hybrid.local.nodes("r")
        run = reader.get_run("r")
        assert run is not None and run.status == "completed"
    assert cutoff.refused > 0 and hybrid.failures > 0
    hybrid.close()
    assert not list((tmp_path / "spool").glob("*.jsonl"))


def test_a_batch_whose_reply_was_lost_is_not_duplicated(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """A batch committed but reported failed is sent again and still stored once."""
    backend = LostReplyStore(sqlite_url)
    hybrid = HybridStore(backend, spool_dir=tmp_path / "spool", retry_s=0.01)
    tracker = Tracker(hybrid, clock=clock)

    def during(i: int) -> None:
        if i == 1:
            backend.armed = True

    _drive(tracker, clock, 3, during=during)
    assert hybrid.flush(30)
    assert hybrid.failures >= 1
    with SQLStore(sqlite_url) as reader:
        assert reader.events("r") == hybrid.local.events("r")
    hybrid.close()


def test_writes_left_at_close_are_replayed_by_the_next_process(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """A database still down at close leaves a spill file the next HybridStore replays."""
    spool = tmp_path / "spool"
    backend = SQLStore(sqlite_url)
    backend.list_runs()
    cutoff = Cutoff(backend.engine)
    cutoff.cut.set()
    hybrid = HybridStore(backend, spool_dir=spool, retry_s=0.01, close_timeout_s=0.2)
    tracker = Tracker(hybrid, clock=clock)
    _drive(tracker, clock, 2)
    expected = hybrid.local.events("r")
    hybrid.close()
    assert hybrid.left_behind is not None and hybrid.left_behind.exists()
    # As if that process had exited: the spill file now belongs to a pid that is gone.
    hybrid.left_behind.rename(spool / "999999999-left.jsonl")
    later = HybridStore(SQLStore(sqlite_url), spool_dir=spool, retry_s=0.01)
    assert later.flush(30)
    with SQLStore(sqlite_url) as reader:
        assert reader.events("r") == expected
        run = reader.get_run("r")
        assert run is not None and run.status == "completed"
    later.close()
    assert not list(spool.glob("*.jsonl"))


def test_reads_of_its_own_run_come_from_memory(clock: FakeClock, tmp_path: Path) -> None:
    """This process's run reads back at once, before the backend has it."""
    blocked = threading.Event()

    class SlowBackend(MemoryStore):
        def upsert_nodes(self, nodes: Sequence[Any]) -> None:
            blocked.wait(5)
            super().upsert_nodes(nodes)

    hybrid = HybridStore(SlowBackend(), spool_dir=tmp_path)
    tracker = Tracker(hybrid, clock=clock)
    tracker.run("x", run_id="r").start()
    assert [n.node_id for n in hybrid.nodes("r")] == [""]
    blocked.set()
    hybrid.close()


def test_a_malformed_write_is_dropped_not_retried_forever(tmp_path: Path) -> None:
    """A write the backend rejects for a reason other than reachability is counted and dropped."""

    class Picky(MemoryStore):
        def update_run(self, run_id: str, **changes: Any) -> None:
            raise TypeError("bad field")

    hybrid = HybridStore(Picky(), spool_dir=tmp_path, retry_s=0.01)
    hybrid.update_run("r", status="failed")
    assert hybrid.flush(5)
    assert hybrid.dropped == 1 and "bad field" in (hybrid.last_error or "")
    hybrid.close()


def test_an_unwritable_spool_keeps_writes_in_memory(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """When the spill file cannot be created, writes stay queued in memory, in order, and land."""
    not_a_folder = tmp_path / "spool"
    not_a_folder.write_text("a file where the spool folder should be")
    backend = SQLStore(sqlite_url)
    backend.list_runs()
    cutoff = Cutoff(backend.engine)
    cutoff.cut.set()
    hybrid = HybridStore(backend, spool_dir=not_a_folder, max_buffer=2, retry_s=0.01)
    tracker = Tracker(hybrid, clock=clock)
    _drive(tracker, clock, 2)
    assert "cannot spill" in (hybrid.spill_error or "")
    cutoff.cut.clear()
    assert hybrid.flush(30)
    with SQLStore(sqlite_url) as reader:
        assert reader.events("r") == hybrid.local.events("r")
    assert hybrid.dropped == 0
    hybrid.close()
