"""The report: modules over intermediate files, rendered into a lazy static site.

    build_report(run_dir) -> ReportResult      the one call
    Module, ModuleContext, ModuleOutput        what a (third-party) module implements and gets
    IndexEntry, DirectoryEntry, Loading        what a module's output is made of
    discover() -> ModuleRegistry               the modules installed under the entry-point group

The core reads only the intermediate format (`modelexport.runfiles`); it never
imports the exporter, so any producer of that format (an export run, a parsed
TORCH_TRACE log) gets a report.
"""

from modelexport.report.builder import (
    ModuleResult,
    ReportInputError,
    ReportResult,
    build_report,
    default_out_dir,
    resolve_run_dir,
)
from modelexport.report.module import (
    DirectoryEntry,
    IndexEntry,
    Loading,
    Module,
    ModuleContext,
    ModuleOutput,
)
from modelexport.report.registry import GROUP, ModuleRegistrationWarning, ModuleRegistry, discover

__all__ = [
    "GROUP",
    "DirectoryEntry",
    "IndexEntry",
    "Loading",
    "Module",
    "ModuleContext",
    "ModuleOutput",
    "ModuleRegistrationWarning",
    "ModuleRegistry",
    "ModuleResult",
    "ReportInputError",
    "ReportResult",
    "build_report",
    "default_out_dir",
    "discover",
    "resolve_run_dir",
]
