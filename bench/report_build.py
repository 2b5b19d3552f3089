"""Benchmark `build_report`: build time and index.html size, MiniLM and 20,000 nodes.

    .venv/bin/python bench/report_build.py [--repeat 5] [--minilm-run PATH]

Targets (docs/benchmarks.md, "Report build"): the MiniLM report builds in
under 1 s, and index.html stays under 300 KB for a 20,000-node run because
everything per node is lazy. The MiniLM run is the recorded export in
tests/report/data/ unless --minilm-run names a fresh one
(`modelexport export all-MiniLM-L6-v2 -o x.onnx` writes x.run/). Figures are
medians over --repeat builds; the run folders are written once, outside the timing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from modelexport.report import build_report
from modelexport.report.synthetic import write_synthetic_run

ROOT = Path(__file__).resolve().parents[1]
RECORDED_MINILM = ROOT / "tests" / "report" / "data" / "all-MiniLM-L6-v2.run-recorded"
TARGETS = {"minilm_seconds": 1.0, "index_bytes_20k": 300 * 1024}


@dataclass
class Figures:
    name: str
    nodes: int
    modules: int
    seconds: float
    index_bytes: int
    chunks: int
    total_bytes: int


def _count(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8")) if path.exists() else 0


def measure(name: str, run: Path, repeat: int) -> Figures:
    times, result = [], None
    out = run.parent / "bench.report"
    for _ in range(repeat):
        started = time.perf_counter()
        result = build_report(run, out, overwrite=True)
        times.append(time.perf_counter() - started)
    assert result is not None
    total = sum(p.stat().st_size for p in result.out_dir.rglob("*") if p.is_file())
    return Figures(
        name,
        _count(run / "nodes.jsonl"),
        _count(run / "hierarchy.jsonl"),
        statistics.median(times),
        result.index_bytes,
        result.chunk_count,
        total,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--minilm-run", type=Path, default=RECORDED_MINILM)
    parser.add_argument("--nodes", type=int, default=20_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        work = Path(tmp)
        minilm = Path(shutil.copytree(args.minilm_run, work / "minilm" / "model.run"))
        big = write_synthetic_run(work / "big" / "model.run", args.nodes)
        rows = [
            measure("all-MiniLM-L6-v2", minilm, args.repeat),
            measure(f"synthetic {args.nodes:,}", big, args.repeat),
        ]

    print(f"report build, median of {args.repeat}")
    print(
        f"{'run':<20} {'nodes':>7} {'modules':>8} {'build s':>8} {'index KB':>9} {'chunks':>7} {'site KB':>8}"
    )
    for r in rows:
        print(
            f"{r.name:<20} {r.nodes:>7,} {r.modules:>8,} {r.seconds:>8.3f} "
            f"{r.index_bytes / 1024:>9.1f} {r.chunks:>7,} {r.total_bytes / 1024:>8.1f}"
        )
    ok_time = rows[0].seconds < TARGETS["minilm_seconds"]
    ok_size = rows[1].index_bytes < TARGETS["index_bytes_20k"]
    print(
        f"MiniLM under 1 s: {'yes' if ok_time else 'NO'}; "
        f"index.html under 300 KB at {args.nodes:,} nodes: {'yes' if ok_size else 'NO'}"
    )
    return 0 if ok_time and ok_size else 1


if __name__ == "__main__":
    raise SystemExit(main())
