"""`modelexport monitor`: runs recorded in the progress store, from any terminal.

Thin by design: each command opens the store, asks `modelexport.progress`
for rows and prints a `progress.view` rendering (or its JSON with `--json`).
RUN is an id, a unique id prefix or a name; omitted, the latest run.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

import typer

from modelexport.cli._common import run_guarded, stdout_console

STORE_HELP = (
    "Progress store URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB); "
    "default $MODELEXPORT_STORE, else the SQLite file in $XDG_STATE_HOME/modelexport."
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

monitor_app = typer.Typer(
    name="monitor",
    no_args_is_help=True,
    help="Watch and inspect runs recorded in the progress store (live or finished).",
)

StoreOpt = typer.Option(None, "--store", help=STORE_HELP, envvar=None)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of tables.")
RunArg = typer.Argument(None, help="Run id, unique id prefix or name; default the latest run.")


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")


def parse_duration(text: str) -> float:
    """`30d`, `12h`, `45m`, `90s`, `2w` (or a plain number of seconds) as seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text.lower())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration; use e.g. 30d, 12h, 45m or 90s")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _open(store_url: str | None) -> Any:
    from modelexport.progress.url import open_store

    return open_store(store_url)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# ------------------------------------------------------------------- commands
@monitor_app.command("list")
def list_cmd(
    status: str | None = typer.Option(
        None, "--status", help="Only runs in this state (running, crashed, ...)."
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many runs."),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Runs, newest first."""
    from modelexport.progress.records import State

    valid = {s.value for s in State}
    if status is not None and status not in valid:
        raise typer.BadParameter(
            f"unknown status {status!r}; use one of {', '.join(sorted(valid))}", param_hint="--status"
        )
    run_guarded(_list, store, status, limit, as_json)


def _list(store_url: str | None, status: str | None, limit: int, as_json: bool) -> None:
    from modelexport.progress import liveness, view

    with _open(store_url) as store:
        now = time.time()
        if status in (None, "running", "crashed"):
            # running and crashed rows both say `running`; liveness tells them apart.
            stored = store.list_runs(status="running" if status else None, limit=None if status else limit)
            runs = [r for r in stored if status is None or liveness.effective_status(r, now) == status][
                :limit
            ]
        else:
            runs = store.list_runs(status=status, limit=limit)
        if as_json:
            _print_json([view.run_json(r, now) for r in runs])
        else:
            stdout_console().print(view.runs_table(runs, now))


@monitor_app.command("status")
def status_cmd(run: str | None = RunArg, store: str | None = StoreOpt, as_json: bool = JsonOpt) -> None:
    """A run's progress tree with bars, state, elapsed time and ETA."""
    run_guarded(_status, store, run, as_json)


def _status(store_url: str | None, ref: str | None, as_json: bool) -> None:
    from modelexport.progress import view
    from modelexport.progress.runref import resolve_run

    with _open(store_url) as store:
        record = resolve_run(store, ref)
        nodes = store.nodes(record.id)
        now = time.time()
        if as_json:
            _print_json(view.status_json(record, nodes, now))
        else:
            stdout_console().print(view.status_view(record, nodes, now))


@monitor_app.command("watch")
def watch_cmd(
    run: str | None = RunArg,
    interval: float = typer.Option(
        0.5, "--interval", min=0.05, max=1.0, help="Seconds between refreshes (at most 1)."
    ),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Follow a run live until it ends (completed, failed, cancelled or crashed)."""
    try:
        code = run_guarded(_watch_until_interrupted, store, run, interval, as_json)
    except KeyboardInterrupt:  # pragma: no cover - raised between the guard and here
        code = 130
    raise typer.Exit(code)


def _watch_until_interrupted(store_url: str | None, ref: str | None, interval: float, as_json: bool) -> int:
    """Ctrl-C stops watching, not the run: exit 130 quietly instead of 'run cancelled'."""
    try:
        return _watch(store_url, ref, interval, as_json)
    except KeyboardInterrupt:
        return 130


def _watch(store_url: str | None, ref: str | None, interval: float, as_json: bool) -> int:
    from rich.live import Live

    from modelexport.progress import view
    from modelexport.progress.liveness import effective_status
    from modelexport.progress.runref import resolve_run

    console = stdout_console()
    with _open(store_url) as store:
        run_id = resolve_run(store, ref).id

        def snapshot() -> tuple[Any, list[Any], float]:
            return store.get_run(run_id), store.nodes(run_id), time.time()

        record, nodes, now = snapshot()
        if as_json:
            last = None
            while True:
                data = view.status_json(record, nodes, now)
                key = json.dumps(
                    {k: v for k, v in data.items() if k not in ("elapsed_s", "heartbeat_age_s")}, default=str
                )
                if key != last:
                    sys.stdout.write(json.dumps(data, default=str) + "\n")
                    sys.stdout.flush()
                    last = key
                if effective_status(record, now) != "running":
                    break
                time.sleep(interval)
                record, nodes, now = snapshot()
        else:
            with Live(
                view.status_view(record, nodes, now),
                console=console,
                refresh_per_second=max(1.0, 1.0 / interval),
                transient=False,
            ) as live:
                while effective_status(record, now) == "running":
                    time.sleep(interval)
                    record, nodes, now = snapshot()
                    live.update(view.status_view(record, nodes, now))
        final = effective_status(record, now)
        return 0 if final == "completed" else 1


@monitor_app.command("history")
def history_cmd(
    run: str | None = RunArg,
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Only the last N events."),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A run's event timeline."""
    run_guarded(_history, store, run, limit, as_json)


def _history(store_url: str | None, ref: str | None, limit: int | None, as_json: bool) -> None:
    from modelexport.progress import view
    from modelexport.progress.runref import resolve_run

    with _open(store_url) as store:
        record = resolve_run(store, ref)
        events = store.events(record.id)
        if limit is not None:
            events = events[-limit:]
        if as_json:
            _print_json({"run": view.run_json(record, time.time()), "events": [e.to_dict() for e in events]})
        else:
            stdout_console().print(view.history_table(events, record.started_at))


@monitor_app.command("resources")
def resources_cmd(
    run: str | None = RunArg,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Table rows (latest samples)."),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A run's CPU and memory over time, as a sparkline and a table."""
    run_guarded(_resources, store, run, limit, as_json)


def _resources(store_url: str | None, ref: str | None, limit: int, as_json: bool) -> None:
    from modelexport.progress import view
    from modelexport.progress.runref import resolve_run

    with _open(store_url) as store:
        record = resolve_run(store, ref)
        samples = store.metrics(record.id)
        if as_json:
            _print_json(
                {"run": view.run_json(record, time.time()), "samples": [s.to_dict() for s in samples]}
            )
        else:
            stdout_console().print(view.resources_view(samples, rows=limit))


@monitor_app.command("prune")
def prune_cmd(
    older_than: str = typer.Option(
        "30d", "--older-than", help="Delete runs started longer ago than this (30d, 12h)."
    ),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Delete old runs with their nodes, events and samples (never a live run)."""
    seconds = parse_duration(older_than)
    run_guarded(_prune, store, seconds, as_json)


def _prune(store_url: str | None, seconds: float, as_json: bool) -> None:
    with _open(store_url) as store:
        cutoff = time.time() - seconds
        deleted = store.delete_runs_before(cutoff)
        if as_json:
            _print_json({"deleted": deleted, "cutoff": cutoff})
        else:
            stdout_console().print(
                f"deleted {deleted} run(s) started before "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(cutoff))}"
            )
