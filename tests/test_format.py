"""Figures read the way a person expects, the same in the console, text and HTML reports."""

from __future__ import annotations

from modelexport._format import MISSING, format_bytes, format_seconds, iso


def test_bytes_use_the_largest_unit_that_keeps_the_number_at_least_one() -> None:
    """512 B, 95.0 KB, 3.0 GB; unknown is a dash."""
    assert format_bytes(512) == "512 B"
    assert format_bytes(97_314) == "95.0 KB"
    assert format_bytes(3 * 1024**3) == "3.0 GB"
    assert format_bytes(None) == MISSING


def test_durations_switch_units_at_a_second_and_two_minutes() -> None:
    """Milliseconds under a second, seconds under two minutes, then minutes and seconds."""
    assert format_seconds(0.21) == "210 ms"
    assert format_seconds(3.65) == "3.65 s"
    assert format_seconds(75) == "75.00 s"
    assert format_seconds(150) == "2 min 30 s"
    assert format_seconds(None) == MISSING


def test_iso_times_are_utc_with_milliseconds() -> None:
    """Epoch seconds print as ISO 8601 UTC with milliseconds; None stays None."""
    assert iso(1_763_877_600.25) == "2025-11-23T06:00:00.250Z"
    assert iso(1_763_877_600.9996) == "2025-11-23T06:00:01.000Z"
    assert iso(None) is None
