"""The export monitor: step events from the stages, dispatched to writers."""

from modelexport.monitor.console import ConsoleWriter
from modelexport.monitor.defaults import build_writers
from modelexport.monitor.eventlog import EventLogWriter
from modelexport.monitor.metadata import (
    MetadataError,
    MetadataWriter,
    load_metadata,
    metadata_schema,
)
from modelexport.monitor.monitor import Cancelled, ExportMonitor
from modelexport.monitor.text_report import ReportWriter
from modelexport.monitor.writer import StepAwareWriter, step

__all__ = [
    "Cancelled",
    "ConsoleWriter",
    "EventLogWriter",
    "ExportMonitor",
    "MetadataError",
    "MetadataWriter",
    "ReportWriter",
    "StepAwareWriter",
    "build_writers",
    "load_metadata",
    "metadata_schema",
    "step",
]
