"""modelexport's exceptions, mapped to exit codes at the CLI boundary.

    ModelExportError                 exit 1: the run failed
    ├── ExportFailedError            both exporters failed
    ├── VerificationError            the export does not match PyTorch
    └── UsageError                   exit 2: bad usage or input; the user can fix it
        ├── ModelNotFoundError       unknown model name, folder or hub id not cached
        ├── InputSpecError           malformed --input-specs file
        ├── ForwardError             the model's forward fails on the example inputs
        ├── OutputPathError          the output folder cannot be written
        └── RunNotFoundError         `monitor`/`report` given a run that does not exist

Third-party errors (torch, onnx, SQLAlchemy) are caught where they happen and
re-raised as one of these with a message that names the problem and the fix.
"""

from __future__ import annotations


class ModelExportError(Exception):
    """A failure of the run itself (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class ExportFailedError(ModelExportError):
    """Neither the dynamo nor the TorchScript exporter produced a model."""


class VerificationError(ModelExportError):
    """The exported model does not reproduce the PyTorch model's outputs."""


class UsageError(ModelExportError):
    """Bad usage or input (exit code 2): the message says what to change."""

    exit_code = 2


class ModelNotFoundError(UsageError):
    """The model name resolves to nothing available on this machine."""


class InputSpecError(UsageError):
    """The --input-specs file is malformed."""


class ForwardError(UsageError):
    """The model's forward fails on the example inputs."""


class OutputPathError(UsageError):
    """The output location cannot be written."""


class RunNotFoundError(UsageError):
    """No run matches the given id, prefix or name."""


class StoreError(ModelExportError):
    """The progress store cannot be reached or used."""
