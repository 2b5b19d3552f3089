"""Persistent progress: a tracker of runs, resources and liveness, kept in a store.

    Tracker, Node          pipeline → phase → step → substep, coalesced writes
    Store                  the backend contract
    ├── MemoryStore        in process (tests, HybridStore's local copy)
    ├── SQLStore           SQLite (default, WAL) and PostgreSQL, on SQLAlchemy Core
    └── HybridStore        memory first, database behind a thread, spills and replays
    ResourceSampler        psutil every 2 s → store and resources.jsonl
    Heartbeat, liveness    a beat every 5 s; stale or pid gone → `crashed`

Errors from SQLAlchemy and psycopg are mapped to `modelexport.errors.StoreError`
(or `UsageError` for a malformed URL) at the store boundary.
"""

from __future__ import annotations

from modelexport.progress.heartbeat import Heartbeat
from modelexport.progress.hybrid import HybridStore
from modelexport.progress.liveness import effective_status
from modelexport.progress.memory import MemoryStore
from modelexport.progress.records import (
    EventRecord,
    Level,
    MetricSample,
    NodeRecord,
    RunRecord,
    State,
)
from modelexport.progress.runref import resolve_run
from modelexport.progress.sampler import ResourceSampler
from modelexport.progress.store import Store
from modelexport.progress.tracker import Node, Tracker
from modelexport.progress.url import default_store_url, open_store, resolve_store_url

__all__ = [
    "EventRecord",
    "Heartbeat",
    "HybridStore",
    "Level",
    "MemoryStore",
    "MetricSample",
    "Node",
    "NodeRecord",
    "ResourceSampler",
    "RunRecord",
    "State",
    "Store",
    "Tracker",
    "default_store_url",
    "effective_status",
    "open_store",
    "resolve_run",
    "resolve_store_url",
]
