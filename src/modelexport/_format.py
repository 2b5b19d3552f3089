"""Human figures shared by every renderer: the console, the text report, the HTML report."""

from __future__ import annotations

import time

MISSING = "–"


def format_bytes(n: float | None) -> str:
    """Bytes in the largest unit that keeps the number >= 1 (`1.2 MB`)."""
    if n is None:
        return MISSING
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def format_seconds(s: float | None) -> str:
    """`850 ms`, `12.31 s`, `3 min 5 s`."""
    if s is None:
        return MISSING
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.2f} s"
    return f"{int(s // 60)} min {s % 60:.0f} s"


def iso(ts: float | None) -> str | None:
    """Epoch seconds as an ISO 8601 UTC time with milliseconds, or None."""
    if ts is None:
        return None
    whole = int(ts)
    millis = round((ts - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
