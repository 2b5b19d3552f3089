"""What the hierarchy costs: `modelexport export` of MiniLM against a plain dynamo export.

Both sides do what a user's script would: load all-MiniLM-L6-v2 from the
bundled folder, make inputs, export with dynamic batch and sequence axes, and
write the .onnx. modelexport additionally builds the module tree, tags every
node, runs the full checker, and writes metadata, the text report, the run
folder and the progress store. Runs are interleaved in one process after one
warm-up of each (so imports and first-call caches count for neither), and
the ratio of medians is printed.

    .venv/bin/python bench/export_overhead.py --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def plain_export(out: Path) -> None:
    """The baseline: what `torch.onnx.export(dynamo=True)` alone takes."""
    import contextlib
    import io

    import torch
    from transformers import AutoModel

    from modelexport.htp.bundled import all_minilm_l6_v2

    model = AutoModel.from_pretrained(all_minilm_l6_v2(), local_files_only=True).eval()
    ids = torch.randint(0, 1000, (2, 16))
    kwargs = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "token_type_ids": torch.zeros_like(ids),
    }
    axes = {name: {0: "batch", 1: "sequence"} for name in kwargs}
    with contextlib.redirect_stdout(io.StringIO()):
        program = torch.onnx.export(model, (), kwargs=kwargs, dynamo=True, dynamic_shapes=axes)
    program.save(str(out))


def modelexport_export(out: Path, store: str) -> None:
    """The full `modelexport export all-MiniLM-L6-v2`, every default writer on."""
    import modelexport

    modelexport.export("all-MiniLM-L6-v2", out, quiet=True, store=store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    store = f"sqlite:///{work / 'monitor.db'}"
    runs = {
        "plain": lambda i: plain_export(work / f"plain{i}.onnx"),
        "modelexport": lambda i: modelexport_export(work / f"me{i}.onnx", store),
    }
    for name, run in runs.items():
        start = time.perf_counter()
        run(-1)
        print(f"warm-up {name}: {time.perf_counter() - start:.2f} s", flush=True)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(args.repeat):
        order = list(runs) if i % 2 == 0 else list(reversed(runs))
        for name in order:
            start = time.perf_counter()
            runs[name](i)
            times[name].append(time.perf_counter() - start)
            print(f"run {i} {name}: {times[name][-1]:.2f} s", flush=True)
    plain, full = statistics.median(times["plain"]), statistics.median(times["modelexport"])
    print()
    print(f"plain torch.onnx.export (dynamo) median: {plain:.2f} s  {sorted(times['plain'])}")
    print(f"modelexport export median:              {full:.2f} s  {sorted(times['modelexport'])}")
    print(f"ratio modelexport / plain: {full / plain:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
