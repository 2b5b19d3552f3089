"""The store contract, run against MemoryStore, SQLite, PostgreSQL and HybridStore."""

from __future__ import annotations

from modelexport.progress.records import EventRecord, MetricSample, NodeRecord, RunRecord
from modelexport.progress.store import Store


def _run(
    run_id: str = "run-a", *, started: float = 100.0, name: str = "bert", status: str = "running"
) -> RunRecord:
    return RunRecord(
        id=run_id,
        name=name,
        command="export",
        host="h1",
        pid=42,
        started_at=started,
        heartbeat_at=started,
        heartbeat_s=5.0,
        status=status,
        meta={"model": name, "options": {"opset": 18}},
    )


def _event(seq: int, run_id: str = "run-a") -> EventRecord:
    return EventRecord(
        run_id=run_id,
        seq=seq,
        at=100.0 + seq,
        kind="progress",
        node_id="export",
        level="phase",
        name="export",
        status="running",
        completed=seq,
        total=10,
        percent=seq * 10.0,
        message=f"m{seq}",
    )


def test_saved_run_reads_back_with_its_meta(store: Store) -> None:
    """A saved run reads back field for field, meta included."""
    store.save_run(_run())
    assert store.get_run("run-a") == _run()


def test_save_run_twice_replaces_the_row(store: Store) -> None:
    """Saving a run again updates it instead of failing or duplicating."""
    store.save_run(_run())
    store.save_run(_run(name="renamed"))
    assert [r.name for r in store.list_runs()] == ["renamed"]


def test_update_run_changes_only_the_given_fields(store: Store) -> None:
    """update_run sets status, error and finish time and leaves the rest."""
    store.save_run(_run())
    store.update_run("run-a", status="failed", error="boom", finished_at=150.0)
    run = store.get_run("run-a")
    assert run is not None
    assert (run.status, run.error, run.finished_at, run.name) == ("failed", "boom", 150.0, "bert")


def test_heartbeat_moves_heartbeat_at(store: Store) -> None:
    """heartbeat() records the new beat time."""
    store.save_run(_run())
    store.heartbeat("run-a", 123.5)
    run = store.get_run("run-a")
    assert run is not None and run.heartbeat_at == 123.5


def test_list_runs_is_newest_first_with_limit_and_status(store: Store) -> None:
    """list_runs orders by start time descending, limits, and filters by stored status."""
    store.save_run(_run("old", started=1.0, status="completed"))
    store.save_run(_run("mid", started=2.0))
    store.save_run(_run("new", started=3.0, status="failed"))
    assert [r.id for r in store.list_runs()] == ["new", "mid", "old"]
    assert [r.id for r in store.list_runs(limit=2)] == ["new", "mid"]
    assert [r.id for r in store.list_runs(status="running")] == ["mid"]


def test_prefix_and_name_lookups(store: Store) -> None:
    """Runs are found by id prefix and by exact name, newest first."""
    store.save_run(_run("abc1", started=1.0, name="x"))
    store.save_run(_run("abc2", started=2.0, name="x"))
    store.save_run(_run("zzz_", started=3.0, name="y"))
    assert [r.id for r in store.runs_with_prefix("abc")] == ["abc2", "abc1"]
    assert store.runs_with_prefix("zz_") == []  # '_' is literal, not a wildcard
    assert [r.id for r in store.runs_named("x")] == ["abc2", "abc1"]


def test_nodes_upsert_keeps_one_row_per_node_in_creation_order(store: Store) -> None:
    """Upserting a node replaces its state; nodes come back in creation order."""
    store.save_run(_run())
    root = NodeRecord("run-a", "", None, "pipeline", "bert", position=0)
    phase = NodeRecord("run-a", "export", "", "phase", "export", position=1)
    store.upsert_nodes([phase, root])
    phase.status, phase.percent, phase.completed = "completed", 100.0, 6
    store.upsert_nodes([phase])
    nodes = store.nodes("run-a")
    assert [n.node_id for n in nodes] == ["", "export"]
    assert (nodes[1].status, nodes[1].percent, nodes[1].completed) == ("completed", 100.0, 6)


def test_events_are_append_only_and_idempotent(store: Store) -> None:
    """A replayed event (same run and seq) is stored once; reads are in seq order."""
    store.save_run(_run())
    store.append_events([_event(2), _event(1)])
    store.append_events([_event(2), _event(3)])
    events = store.events("run-a")
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0] == _event(1)
    assert [e.seq for e in store.events("run-a", after_seq=1, limit=1)] == [2]


def test_metrics_are_idempotent_and_latest_limit(store: Store) -> None:
    """Samples are keyed like events; limit keeps the latest ones, in time order."""
    store.save_run(_run())
    samples = [
        MetricSample("run-a", i, at=100.0 + i, step="onnx_export", rss_bytes=2**33 + i, cpu_percent=float(i))
        for i in range(1, 6)
    ]
    store.add_metrics(samples)
    store.add_metrics(samples[:2])
    assert [m.seq for m in store.metrics("run-a")] == [1, 2, 3, 4, 5]
    assert [m.seq for m in store.metrics("run-a", limit=2)] == [4, 5]
    assert store.metrics("run-a")[0].rss_bytes == 2**33 + 1  # 64-bit byte counts survive


def test_delete_runs_before_removes_finished_and_long_dead_runs(store: Store) -> None:
    """Prune deletes old finished runs and old silent ones, with their rows; live ones stay."""
    store.save_run(_run("done", started=1.0, status="completed"))
    store.save_run(_run("dead", started=1.0))  # running, heartbeat long ago: crashed
    live = _run("live", started=1.0)
    live.heartbeat_at = 500.0
    store.save_run(live)
    store.save_run(_run("recent", started=300.0, status="completed"))
    store.append_events([_event(1, "done")])
    store.add_metrics([MetricSample("done", 1, at=1.0)])
    store.upsert_nodes([NodeRecord("done", "", None, "pipeline", "x")])
    assert store.delete_runs_before(200.0) == 2
    assert sorted(r.id for r in store.list_runs()) == ["live", "recent"]
    assert store.events("done") == [] and store.metrics("done") == [] and store.nodes("done") == []


def test_unknown_run_reads_empty(store: Store) -> None:
    """Reading a run that does not exist gives None and empty lists, not an error."""
    assert store.get_run("nope") is None
    assert store.nodes("nope") == [] and store.events("nope") == []
