"""The progress store's tables, one definition for SQLite and PostgreSQL.

Portable column types only (text, integer, double, JSON kept as text), so the
two databases hold identical rows and a reader on another machine sees what
the writer wrote. Timestamps are epoch seconds. The indexes serve the three
questions `monitor` asks: the latest runs, the running runs, and one run's
metrics by time.
"""

from __future__ import annotations

import sqlalchemy as sa

#: The schema version this code reads and writes; migrations bring a store up to it.
SCHEMA_VERSION = 1

metadata = sa.MetaData()

schema_version = sa.Table(
    "modelexport_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Double, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("command", sa.String(64), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("heartbeat_at", sa.Double, nullable=False),
    sa.Column("heartbeat_s", sa.Double, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("finished_at", sa.Double),
    sa.Column("error", sa.Text),
    sa.Column("meta", sa.Text, nullable=False, server_default="{}"),
    sa.Index("ix_runs_started", "started_at"),
    sa.Index("ix_runs_status_started", "status", "started_at"),
    sa.Index("ix_runs_name_started", "name", "started_at"),
)

nodes = sa.Table(
    "progress_nodes",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("node_id", sa.String(512), primary_key=True),
    sa.Column("parent_id", sa.String(512)),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("completed", sa.Double, nullable=False),
    sa.Column("total", sa.Double),
    sa.Column("percent", sa.Double, nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("started_at", sa.Double),
    sa.Column("finished_at", sa.Double),
    sa.Column("updated_at", sa.Double),
    sa.Column("position", sa.Integer, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("node_id", sa.String(512), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("completed", sa.Double, nullable=False),
    sa.Column("total", sa.Double),
    sa.Column("percent", sa.Double, nullable=False),
    sa.Column("message", sa.Text),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("step", sa.String(255)),
    sa.Column("rss_bytes", sa.BigInteger),
    sa.Column("cpu_percent", sa.Double),
    sa.Column("system_cpu_percent", sa.Double),
    sa.Column("system_memory_percent", sa.Double),
    sa.Column("disk_used_bytes", sa.BigInteger),
    sa.Column("io_read_bytes", sa.BigInteger),
    sa.Column("io_write_bytes", sa.BigInteger),
    sa.Column("gpu_util_percent", sa.Double),
    sa.Column("gpu_memory_used_bytes", sa.BigInteger),
    sa.Column("gpu_memory_total_bytes", sa.BigInteger),
    sa.Index("ix_metrics_run_at", "run_id", "at"),
)

#: Tables holding a run's rows, deleted together by prune.
RUN_TABLES = (nodes, events, metrics)
