"""Which run a `monitor` command means: an id, a unique id prefix, or a name.

No argument means the latest run. A name shared by several runs means the
latest of them (runs are usually named after their model, and the newest
export of a model is the one a user asks about). An ambiguous prefix or an
unknown reference raises RunNotFoundError listing what would match.
"""

from __future__ import annotations

from modelexport.errors import RunNotFoundError
from modelexport.progress.records import RunRecord
from modelexport.progress.store import Store


def resolve_run(store: Store, ref: str | None = None) -> RunRecord:
    if not ref:
        latest = store.list_runs(limit=1)
        if not latest:
            raise RunNotFoundError(
                f"no runs recorded in {store.url}", hint="run `modelexport export ...` first, or pass --store"
            )
        return latest[0]
    exact = store.get_run(ref)
    if exact is not None:
        return exact
    by_prefix = store.runs_with_prefix(ref, limit=5)
    if len(by_prefix) == 1:
        return by_prefix[0]
    if len(by_prefix) > 1:
        ids = ", ".join(r.id[:12] for r in by_prefix)
        raise RunNotFoundError(
            f"run prefix {ref!r} is ambiguous ({ids}, ...)", hint="type more characters of the id"
        )
    named = store.runs_named(ref, limit=1)
    if named:
        return named[0]
    raise RunNotFoundError(
        f"no run with id, id prefix or name {ref!r} in {store.url}", hint="see `modelexport monitor list`"
    )
