"""The export monitor: step events from the stages, dispatched to writers."""

from modelexport.monitor.monitor import Cancelled, ExportMonitor
from modelexport.monitor.writer import StepAwareWriter, step

__all__ = ["Cancelled", "ExportMonitor", "StepAwareWriter", "step"]
