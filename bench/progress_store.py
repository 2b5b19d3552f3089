"""Benchmark the progress store: what monitoring costs a run.

Prints five figures (see docs/benchmarks.md, "Progress store"):

1. sustained tracker updates per second, with coalescing, into a HybridStore over SQLite;
2. raw event inserts per second on SQLite and PostgreSQL, batched and one per transaction;
3. the resource sampler's CPU use, as a percentage of one core at its default interval;
4. the export-with-monitoring / export-without ratio on all-MiniLM-L6-v2 (median of
   interleaved rounds; skip with --no-export).

    .venv/bin/python bench/progress_store.py [--rounds 5] [--no-export] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from modelexport.progress.hybrid import HybridStore
from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import EventRecord, RunRecord
from modelexport.progress.sampler import DEFAULT_SAMPLE_S, ResourceSampler
from modelexport.progress.sql import SQLStore
from modelexport.progress.tracker import Tracker

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def tracker_updates(folder: Path, seconds: float = 2.0) -> tuple[float, int]:
    """advance() calls per second on one step, and how many store events they cost."""
    store = HybridStore(SQLStore(f"sqlite:///{folder / 'tracker.db'}"), spool_dir=folder / "spool")
    tracker = Tracker(store)
    step = tracker.run("bench", run_id="tracker").start().phase("p").start().step("s").start()
    calls = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        for _ in range(1000):
            step.advance()
        calls += 1000
        if time.perf_counter() >= end:
            break
    elapsed = time.perf_counter() - start
    tracker.flush()
    store.flush(30)
    events = len(store.local.events("tracker"))
    store.close()
    return calls / elapsed, events


def _events(run_id: str, start: int, count: int) -> list[EventRecord]:
    return [
        EventRecord(
            run_id=run_id,
            seq=start + i,
            at=time.time(),
            kind="progress",
            node_id="p/s",
            level="step",
            name="s",
            status="running",
            completed=i,
            total=None,
            percent=0.0,
            message="bench",
        )
        for i in range(count)
    ]


def event_inserts(url: str, batched: int = 20_000, single: int = 500) -> tuple[float, float]:
    """Events per second: in batches of 500, and one event per transaction."""
    store = SQLStore(url)
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    store.save_run(
        RunRecord(
            id=run_id,
            name="bench",
            command="bench",
            host="h",
            pid=1,
            started_at=time.time(),
            heartbeat_at=time.time(),
            heartbeat_s=5.0,
            status="completed",
        )
    )
    start = time.perf_counter()
    for offset in range(0, batched, 500):
        store.append_events(_events(run_id, offset + 1, 500))
    batch_rate = batched / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(single):
        store.append_events(_events(run_id, batched + 1 + i, 1))
    single_rate = single / (time.perf_counter() - start)
    store.delete_runs_before(time.time() + 1)
    store.close()
    return batch_rate, single_rate


def sampler_cpu(folder: Path, samples: int = 200) -> tuple[float, float]:
    """CPU seconds per sample (sampling plus the store write), and % of one core at 2 s."""
    store = HybridStore(MemoryStore(), spool_dir=folder / "spool")
    sampler = ResourceSampler("bench", [lambda s: store.add_metrics([s])], disk_path=folder)
    sampler.sample_once()  # first call primes psutil and NVML
    start = time.thread_time()
    for _ in range(samples):
        sampler.sample_once()
    per_sample = (time.thread_time() - start) / samples
    store.close()
    return per_sample, 100.0 * per_sample / DEFAULT_SAMPLE_S


@contextlib.contextmanager
def _state_home(folder: Path) -> Iterator[None]:
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = old


def export_ratio(folder: Path, rounds: int) -> tuple[float, float, float, float]:
    """Median wall seconds with and without the ProgressWriter, their ratio, and the CPU ratio.

    The CPU-time ratio (process user+system time, all threads) is the steadier
    figure on a shared machine, where other jobs move wall time by tens of percent.
    """
    import modelexport

    timings: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    with _state_home(folder / "state"):
        modelexport.export(
            "all-MiniLM-L6-v2", folder / "warm" / "m.onnx", quiet=True, progress=False
        )  # warm-up: imports, dynamo caches
        for index in range(rounds):
            order = (True, False) if index % 2 == 0 else (False, True)
            for progress in order:
                out = folder / f"r{index}-{int(progress)}" / "m.onnx"
                start, start_cpu = time.perf_counter(), time.process_time()
                modelexport.export("all-MiniLM-L6-v2", out, quiet=True, progress=progress)
                timings[progress].append(time.perf_counter() - start)
                cpu[progress].append(time.process_time() - start_cpu)
                print(
                    f"  round {index + 1} {'with' if progress else 'without'} monitoring: "
                    f"{timings[progress][-1]:.2f} s wall, {cpu[progress][-1]:.2f} s CPU",
                    flush=True,
                )
    with_s = statistics.median(timings[True])
    without_s = statistics.median(timings[False])
    cpu_ratio = statistics.median(cpu[True]) / statistics.median(cpu[False])
    return with_s, without_s, with_s / without_s, cpu_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="export rounds per variant")
    parser.add_argument("--no-export", action="store_true", help="skip the MiniLM ratio")
    parser.add_argument("--pg-url", default=os.environ.get("MODELEXPORT_BENCH_PG", DEFAULT_PG))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mx-bench-") as tmp:
        folder = Path(tmp)
        rate, events = tracker_updates(folder)
        print(
            f"tracker: {rate:,.0f} advance() calls/s sustained, coalesced into {events} store events over 2 s"
        )
        batch, single = event_inserts(f"sqlite:///{folder / 'events.db'}")
        print(f"sqlite events: {batch:,.0f}/s batched (500/txn), {single:,.0f}/s one per txn")
        try:
            batch, single = event_inserts(args.pg_url)
            print(f"postgresql events: {batch:,.0f}/s batched (500/txn), {single:,.0f}/s one per txn")
        except Exception as exc:  # the figure is optional where no server runs
            print(f"postgresql events: skipped ({exc})")
        per_sample, percent = sampler_cpu(folder)
        print(
            f"sampler: {per_sample * 1000:.2f} ms CPU per sample = {percent:.3f}% of one core "
            f"at {DEFAULT_SAMPLE_S:g} s"
        )
        if not args.no_export:
            with_s, without_s, ratio, cpu_ratio = export_ratio(folder, args.rounds)
            print(
                f"MiniLM export: {with_s:.2f} s with monitoring, {without_s:.2f} s without "
                f"(median of {args.rounds}), wall ratio {ratio:.3f}, CPU-time ratio "
                f"{cpu_ratio:.3f}"
            )


if __name__ == "__main__":
    main()
