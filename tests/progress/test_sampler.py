"""Tests for the resource sampler: what a sample holds and where it goes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from modelexport.progress.records import MetricSample
from modelexport.progress.sampler import JsonlSink, ResourceSampler, sample_interval


def test_a_sample_measures_this_process_and_names_the_step(tmp_path: Path) -> None:
    """A sample holds RSS, CPU, system figures, disk use and I/O, labelled with the step."""
    sampler = ResourceSampler("r", [], disk_path=tmp_path / "not" / "yet", current_step=lambda: "onnx_export")
    sample = sampler.take()
    assert sample.step == "onnx_export"
    assert sample.rss_bytes is not None and sample.rss_bytes > 1_000_000
    assert sample.cpu_percent is not None and sample.system_memory_percent is not None
    assert sample.disk_used_bytes is not None and sample.disk_used_bytes > 0
    assert sampler.take().seq == sample.seq + 1


def test_samples_reach_every_sink_even_when_one_fails(tmp_path: Path) -> None:
    """A broken sink is counted and the others still get the sample."""
    got: list[MetricSample] = []

    def broken(sample: MetricSample) -> None:
        raise OSError("disk full")

    sampler = ResourceSampler("r", [broken, got.append], disk_path=tmp_path)
    sampler.sample_once()
    assert len(got) == 1 and sampler.sink_errors == 1


def test_background_thread_samples_until_stopped(tmp_path: Path) -> None:
    """Started, the sampler keeps sampling; stopped, it stops."""
    enough = threading.Event()
    got: list[MetricSample] = []

    def sink(sample: MetricSample) -> None:
        got.append(sample)
        if len(got) >= 3:
            enough.set()

    sampler = ResourceSampler("r", [sink], interval_s=0.01, disk_path=tmp_path)
    sampler.start()
    assert enough.wait(10)
    sampler.stop()
    count = len(got)
    assert [s.seq for s in got[:3]] == [1, 2, 3]
    sampler.stop()
    assert len(got) == count


def test_jsonl_sink_writes_the_run_folder_format(tmp_path: Path) -> None:
    """resources.jsonl lines carry `time` and the documented fields, one object per line."""
    sink = JsonlSink(tmp_path / "run" / "resources.jsonl")
    sink(MetricSample("r", 1, at=5.0, step="s", rss_bytes=10, cpu_percent=1.5))
    sink(MetricSample("r", 2, at=6.0, step="s", gpu_util_percent=40.0))
    sink.close()
    lines = [json.loads(x) for x in (tmp_path / "run" / "resources.jsonl").read_text().splitlines()]
    assert lines[0] == {
        "time": 5.0,
        "step": "s",
        "rss_bytes": 10,
        "cpu_percent": 1.5,
        "system_cpu_percent": None,
        "system_memory_percent": None,
        "disk_used_bytes": None,
        "io_read_bytes": None,
        "io_write_bytes": None,
    }
    assert lines[1]["gpu_util_percent"] == 40.0 and "gpu_util_percent" not in lines[0]


def test_interval_comes_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """MODELEXPORT_SAMPLE_S overrides the 2 s default; an argument overrides both."""
    assert sample_interval() == 2.0
    monkeypatch.setenv("MODELEXPORT_SAMPLE_S", "0.25")
    assert sample_interval() == 0.25
    assert sample_interval(1.0) == 1.0
    monkeypatch.setenv("MODELEXPORT_SAMPLE_S", "nonsense")
    assert sample_interval() == 2.0
