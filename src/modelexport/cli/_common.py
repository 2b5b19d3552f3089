"""What every command shares: the consoles, and errors mapped to exit codes.

Commands are thin: they parse, call the library, and let `run_guarded` turn
a `ModelExportError` into one line on stderr and exit code 1 or 2. A
traceback is shown only with `-v`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")


class State:
    """Options given before the subcommand (`modelexport -v export ...`)."""

    verbose: bool = False


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise."""
    stderr_console().print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def run_guarded(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call the library; map its errors (and Ctrl-C) to a one-line message and an exit code."""
    from modelexport.errors import ModelExportError
    from modelexport.monitor.monitor import Cancelled

    try:
        return func(*args, **kwargs)
    except typer.Exit:
        raise
    except ModelExportError as exc:
        if State.verbose:
            traceback.print_exc()
        raise fail(_with_step(exc, str(exc)), exc.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted (Ctrl-C); the run is recorded as cancelled", 1) from None
    except Cancelled as exc:
        raise fail(f"interrupted ({exc}); the run is recorded as cancelled", 1) from None
    except Exception as exc:
        if State.verbose:
            traceback.print_exc()
        hint = "" if State.verbose else " (run with -v for the traceback)"
        raise fail(_with_step(exc, f"{type(exc).__name__}: {exc}{hint}"), 1) from None


def _with_step(exc: BaseException, message: str) -> str:
    """Prefix the failing pipeline step when the monitor recorded one."""
    step = getattr(exc, "failed_step", None)
    if step is None:
        return message
    return f"step {step.number} ({step.title.lower()}) failed: {message}"
