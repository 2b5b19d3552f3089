"""The resource sampler: what the run costs the machine, every 2 s, on a background thread.

Each sample holds process RSS and CPU, system CPU and memory, disk use of the
output folder's file system, the process's I/O bytes, GPU figures when NVML
is importable (`pynvml`), and the step that was running. Samples go to every
sink: the progress store, and `resources.jsonl` in the run folder for the
HTML report. psutil's CPU figures are deltas since the previous call, so the
first sample primes them and reads 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

from modelexport.progress._periodic import PeriodicThread
from modelexport.progress.heartbeat import _interval
from modelexport.progress.records import MetricSample

DEFAULT_SAMPLE_S = 2.0
SAMPLE_ENV = "MODELEXPORT_SAMPLE_S"
RESOURCES_FILE = "resources.jsonl"

Sink = Callable[[MetricSample], None]


def sample_interval(explicit: float | None = None) -> float:
    """The interval to use: the argument, else MODELEXPORT_SAMPLE_S, else 2 s."""
    return _interval(explicit, SAMPLE_ENV, DEFAULT_SAMPLE_S)


class _Gpu:
    """NVML, when present; any failure turns GPU figures off for the rest of the run."""

    def __init__(self) -> None:
        self._handle: Any = None
        self._nvml: Any = None
        try:
            import pynvml  # type: ignore[import-not-found]

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self._nvml = pynvml
        except Exception:
            self._handle = None

    def read(self) -> dict[str, Any]:
        if self._handle is None:
            return {}
        try:
            util = self._nvml.nvmlDeviceGetUtilizationRates(self._handle)
            mem = self._nvml.nvmlDeviceGetMemoryInfo(self._handle)
            return {
                "gpu_util_percent": float(util.gpu),
                "gpu_memory_used_bytes": int(mem.used),
                "gpu_memory_total_bytes": int(mem.total),
            }
        except Exception:
            self._handle = None
            return {}


class ResourceSampler:
    """Samples this process and the machine for one run until stopped."""

    def __init__(
        self,
        run_id: str,
        sinks: Sequence[Sink],
        *,
        interval_s: float | None = None,
        disk_path: str | os.PathLike[str] | None = None,
        current_step: Callable[[], str | None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.run_id = run_id
        self._sinks = list(sinks)
        self._disk_path = str(disk_path) if disk_path is not None else os.getcwd()
        self._current_step = current_step
        self._clock = clock
        self._process = psutil.Process()
        self._gpu: _Gpu | None = None
        self._seq = 0
        self._lock = threading.Lock()
        self._thread = PeriodicThread(
            self.sample_once, sample_interval(interval_s), name=f"modelexport-sampler-{run_id[:8]}"
        )
        self.sink_errors = 0

    @property
    def interval_s(self) -> float:
        return self._thread.interval_s

    def take(self) -> MetricSample:
        """One sample, without sending it anywhere."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        if self._gpu is None:
            self._gpu = _Gpu()
        proc = self._process
        sample = MetricSample(run_id=self.run_id, seq=seq, at=self._clock(), step=self._current_step())
        with contextlib.suppress(psutil.Error, OSError), proc.oneshot():
            sample.rss_bytes = int(proc.memory_info().rss)
            sample.cpu_percent = float(proc.cpu_percent(None))
            io = proc.io_counters() if hasattr(proc, "io_counters") else None
            if io is not None:
                sample.io_read_bytes = int(io.read_bytes)
                sample.io_write_bytes = int(io.write_bytes)
        with contextlib.suppress(psutil.Error, OSError):
            sample.system_cpu_percent = float(psutil.cpu_percent(None))
            sample.system_memory_percent = float(psutil.virtual_memory().percent)
        with contextlib.suppress(OSError):
            sample.disk_used_bytes = int(psutil.disk_usage(_existing(self._disk_path)).used)
        for key, value in self._gpu.read().items():
            setattr(sample, key, value)
        return sample

    def sample_once(self) -> MetricSample:
        sample = self.take()
        for sink in self._sinks:
            try:
                sink(sample)
            except Exception:
                self.sink_errors += 1
        return sample

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()


def _existing(path: str) -> str:
    """The nearest existing folder at or above `path` (the output folder may not exist yet)."""
    current = Path(path).absolute()
    while not current.exists() and current.parent != current:
        current = current.parent
    return str(current)


class JsonlSink:
    """Appends each sample to `<run_dir>/resources.jsonl`, one flushed line at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held open
        self._lock = threading.Lock()

    def __call__(self, sample: MetricSample) -> None:
        line = json.dumps(sample.to_resource_line(), separators=(",", ":")) + "\n"
        with self._lock:
            if not self._handle.closed:
                self._handle.write(line)
                self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()
