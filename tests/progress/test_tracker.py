"""Tests for the Tracker: nesting, states, aggregation, coalescing and callbacks."""

from __future__ import annotations

import pytest

from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import EventRecord
from modelexport.progress.tracker import Tracker
from tests.progress.conftest import FakeClock


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def tracker(store: MemoryStore, clock: FakeClock) -> Tracker:
    return Tracker(store, clock=clock)


def _node(store: MemoryStore, run_id: str, node_id: str):  # type: ignore[no-untyped-def]
    return next(n for n in store.nodes(run_id) if n.node_id == node_id)


def test_context_managers_build_the_tree_and_complete_it(store: MemoryStore, tracker: Tracker) -> None:
    """Nested with-blocks create pipeline → phase → step → substep nodes, all completed."""
    with (
        tracker.run("bert", run_id="r") as run,
        run.phase("export") as ph,
        ph.step("onnx_export", total=2) as s,
    ):
        with s.substep("trace"):
            pass
        s.advance(2)
    nodes = store.nodes("r")
    assert [(n.node_id, n.level, n.status) for n in nodes] == [
        ("", "pipeline", "completed"),
        ("export", "phase", "completed"),
        ("export/onnx_export", "step", "completed"),
        ("export/onnx_export/trace", "substep", "completed"),
    ]
    run_row = store.get_run("r")
    assert run_row is not None and run_row.status == "completed"


def test_levels_nest_only_in_order(tracker: Tracker) -> None:
    """A step cannot hold a phase, and a substep holds nothing."""
    run = tracker.run("x")
    with pytest.raises(ValueError, match="holds phase nodes"):
        run.step("s")
    sub = run.phase("p").step("s").substep("ss")
    with pytest.raises(ValueError):
        sub.substep("deeper")


def test_exception_fails_node_and_run_with_message(store: MemoryStore, tracker: Tracker) -> None:
    """An exception marks the node and the run failed, with its message."""
    with (
        pytest.raises(RuntimeError),
        tracker.run("x", run_id="r") as run,
        run.phase("export") as ph,
        ph.step("onnx_export"),
    ):
        raise RuntimeError("exporter exploded")
    assert _node(store, "r", "export/onnx_export").error == "exporter exploded"
    run_row = store.get_run("r")
    assert run_row is not None
    assert (run_row.status, run_row.error) == ("failed", "exporter exploded")


def test_keyboard_interrupt_cancels(store: MemoryStore, tracker: Tracker) -> None:
    """Ctrl-C (a BaseException) marks the run cancelled, not failed."""
    with pytest.raises(KeyboardInterrupt), tracker.run("x", run_id="r"):
        raise KeyboardInterrupt
    run_row = store.get_run("r")
    assert run_row is not None and run_row.status == "cancelled"


def test_progress_aggregates_to_parents(store: MemoryStore, tracker: Tracker, clock: FakeClock) -> None:
    """A phase expecting 4 steps is 25% after one completes and 37.5% halfway through the next."""
    run = tracker.run("x", run_id="r").start()
    phase = run.phase("export", total=4).start()
    with phase.step("a"):
        pass
    step_b = phase.step("b", total=10).start()
    clock.advance(1)
    step_b.advance(5)
    assert _node(store, "r", "export").percent == 37.5
    assert _node(store, "r", "").percent == 37.5


def test_advance_is_coalesced_to_one_write_per_half_second(
    store: MemoryStore, tracker: Tracker, clock: FakeClock
) -> None:
    """A thousand advances within 0.5 s give one progress event; flush writes the rest."""
    step = tracker.run("x", run_id="r").start().phase("p").start().step("s", total=2000).start()
    before = len(store.events("r"))
    clock.advance(1)
    for _ in range(1000):
        step.advance()
    assert len(store.events("r")) == before + 1
    assert _node(store, "r", "p/s").completed == 1
    tracker.flush()
    assert _node(store, "r", "p/s").completed == 1000
    assert len(store.events("r")) == before + 2


def test_state_changes_are_never_coalesced(store: MemoryStore, tracker: Tracker) -> None:
    """Start and completion are written at once even within the coalescing window."""
    run = tracker.run("x", run_id="r").start()
    with run.phase("p"):
        pass
    kinds = [e.kind for e in store.events("r")]
    assert kinds == ["started", "started", "completed"]


def test_events_have_consecutive_seq(store: MemoryStore, tracker: Tracker) -> None:
    """Each run numbers its events 1, 2, 3, ... so replays can be recognised."""
    with tracker.run("x", run_id="r") as run, run.phase("p"):
        pass
    assert [e.seq for e in store.events("r")] == [1, 2, 3, 4]


def test_callbacks_fire_per_kind_and_cannot_break_the_run(tracker: Tracker, clock: FakeClock) -> None:
    """Callbacks get their kind of event; one that raises is recorded and ignored."""
    seen: list[tuple[str, str]] = []
    tracker.on("started", lambda e: seen.append(("started", e.node_id)))
    tracker.on("progress", lambda e: seen.append(("progress", e.node_id)))
    tracker.on("completed", lambda e: seen.append(("completed", e.node_id)))

    def broken(event: EventRecord) -> None:
        raise ValueError("bad callback")

    tracker.on("failed", broken)
    run = tracker.run("x", run_id="r").start()
    with run.phase("p") as phase:
        clock.advance(1)
        phase.update(completed=1, total=2)
    run.fail("no")
    assert seen == [("started", ""), ("started", "p"), ("progress", "p"), ("completed", "p")]
    assert tracker.callback_errors and "bad callback" in tracker.callback_errors[0]


def test_unknown_callback_kind_is_rejected(tracker: Tracker) -> None:
    """Subscribing to a kind that never fires is a mistake, reported at once."""
    with pytest.raises(ValueError, match="unknown event kind"):
        tracker.on("finished", lambda e: None)


def test_repeated_names_get_distinct_ids(store: MemoryStore, tracker: Tracker) -> None:
    """Two steps with one name under one parent stay two nodes."""
    phase = tracker.run("x", run_id="r").start().phase("p").start()
    with phase.step("retry"):
        pass
    with phase.step("retry"):
        pass
    assert [n.node_id for n in store.nodes("r")][-2:] == ["p/retry", "p/retry#2"]


def test_ending_a_parent_closes_open_children(store: MemoryStore, tracker: Tracker) -> None:
    """A run that ends with a step still open leaves no node running."""
    run = tracker.run("x", run_id="r").start()
    run.phase("p").start().step("s").start()
    run.cancel("SIGTERM")
    assert {n.status for n in store.nodes("r")} == {"cancelled"}


def test_current_step_names_the_innermost_running_node(tracker: Tracker) -> None:
    """The sampler labels samples with the step that is running now."""
    run = tracker.run("x").start()
    assert tracker.current_step() is None
    phase = run.phase("export").start()
    step = phase.step("onnx_export").start()
    assert tracker.current_step() == "onnx_export"
    step.complete()
    assert tracker.current_step() == "export"


def test_skip_records_the_reason(store: MemoryStore, tracker: Tracker) -> None:
    """A skipped step counts as done and keeps why it was skipped."""
    phase = tracker.run("x", run_id="r").start().phase("p", total=2).start()
    phase.step("publish").skip("no --publish")
    node = _node(store, "r", "p/publish")
    assert (node.status, node.message) == ("skipped", "no --publish")
    assert _node(store, "r", "p").percent == 50.0
