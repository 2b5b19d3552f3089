"""Finding report modules: the `modelexport.report_modules` entry-point group.

The built-in modules register the same way a third-party package does, so
adding a module never touches this file (pluggy's lesson). Each entry point
names a `Module` class (instantiated with no arguments) or instance. A module
is registered under its entry-point name; a second entry point with the same
name is skipped with a warning (modelexport's own modules register first, so a
plugin cannot shadow a built-in), and so is one whose object does not satisfy the
protocol: a broken plugin must not stop a report.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from modelexport.report.module import Loading, Module, valid_key

GROUP = "modelexport.report_modules"

DEFAULT_ORDER = 100
"""Where a module without an `order` attribute goes on the page (built-ins use 10-90)."""


class ModuleRegistrationWarning(UserWarning):
    """An entry point in the report-module group was skipped."""


@dataclass
class ModuleRegistry:
    """The modules available to a report, by id, in page order."""

    modules: dict[str, Module] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    """Module id -> where it came from (`dist-name: module:attr`), for messages."""

    def register(self, name: str, obj: object, origin: str = "") -> Module | None:
        """Check and add one module under `name`; warn and return None when it is unusable."""
        if name in self.modules:
            _warn(
                f"report module {name!r} from {origin or 'unknown'} skipped: "
                f"already registered by {self.origins[name]}"
            )
            return None
        module = obj() if inspect.isclass(obj) else obj
        problem = check_module(module)
        if problem is None and module.id != name:
            problem = f"its id {module.id!r} differs from the entry-point name {name!r}"
        if problem:
            _warn(f"report module {name!r} from {origin or 'unknown'} skipped: {problem}")
            return None
        self.modules[name] = module
        self.origins[name] = origin or "registered directly"
        return module

    def ordered(self) -> list[Module]:
        return sorted(self.modules.values(), key=lambda m: (getattr(m, "order", DEFAULT_ORDER), m.id))

    def select(self, only: Iterable[str] | None = None, skip: Iterable[str] | None = None) -> list[Module]:
        """The modules to run, in page order; unknown ids raise KeyError naming them."""
        only_list = list(only) if only else None
        skip_set = set(skip or ())
        unknown = [m for m in [*(only_list or []), *skip_set] if m not in self.modules]
        if unknown:
            raise KeyError(", ".join(sorted(set(unknown))))
        return [
            m for m in self.ordered() if (only_list is None or m.id in only_list) and m.id not in skip_set
        ]


def check_module(module: object) -> str | None:
    """Why `module` cannot be used as a report module, or None when it can."""
    if not isinstance(module, Module):
        missing = [a for a in ("id", "name", "subscriptions", "loading", "render") if not hasattr(module, a)]
        return f"missing {', '.join(missing)}"
    if not isinstance(module.id, str) or not valid_key(module.id) or "/" in module.id:
        return f"id {module.id!r} must be a short name of letters, digits, '_', '-' or '.'"
    if not isinstance(module.name, str) or not module.name:
        return "name must be a non-empty string"
    if isinstance(module.subscriptions, str) or not all(isinstance(s, str) for s in module.subscriptions):
        return "subscriptions must be a sequence of file types (strings)"
    try:
        Loading(module.loading)
    except ValueError:
        return f"loading {module.loading!r} is not one of eager, lazy, hybrid"
    try:
        params = [
            p
            for p in inspect.signature(module.render).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        return "render is not callable"
    if len(params) != 1:
        return "render must take exactly one argument, the ModuleContext"
    return None


def discover(group: str = GROUP) -> ModuleRegistry:
    """A fresh registry of every module installed under the entry-point group."""
    registry = ModuleRegistry()
    for ep in _entry_points(group):
        origin = _origin(ep)
        try:
            obj = ep.load()
        except Exception as exc:
            _warn(
                f"report module {ep.name!r} from {origin} skipped: it failed to load "
                f"({type(exc).__name__}: {exc})"
            )
            continue
        try:
            registry.register(ep.name, obj, origin)
        except Exception as exc:
            _warn(f"report module {ep.name!r} from {origin} skipped: {type(exc).__name__}: {exc}")
    return registry


def _entry_points(group: str) -> list[EntryPoint]:
    """The group's entry points, modelexport's own first so a plugin cannot shadow a built-in.

    The same distribution can be seen twice (an editable install and a build
    folder on sys.path); one copy of each identical entry point is kept.
    """
    seen: set[tuple[str, str]] = set()
    unique = []
    for ep in entry_points(group=group):
        if (ep.name, ep.value) in seen:
            continue
        seen.add((ep.name, ep.value))
        unique.append(ep)
    return sorted(unique, key=lambda ep: _dist_name(ep) != "modelexport")


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "?"


def _origin(ep: EntryPoint) -> str:
    return f"{_dist_name(ep)}: {ep.value}"


def _warn(message: str) -> None:
    warnings.warn(message, ModuleRegistrationWarning, stacklevel=3)
