"""Small HTML helpers the modules share, so every value on the page is escaped once."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from modelexport._format import format_bytes, format_seconds


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    """An HTML table; cells are escaped unless they are `Raw`."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    cls_attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """Already-safe HTML, placed as is by `table`."""


def cell(value: Any) -> str:
    return value if isinstance(value, Raw) else esc(value)


def badge(text: str, kind: str = "") -> Raw:
    return Raw(f'<span class="badge {esc(kind)}">{esc(text)}</span>')


fmt_bytes = format_bytes
fmt_seconds = format_seconds


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"
