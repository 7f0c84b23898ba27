"""Domain errors. Raised deep in the pipeline; mapped to HTTP statuses in app/errors.py and to
messages and exit codes in the CLI, each in one place."""

from __future__ import annotations


class PolicyQAError(Exception):
    """Base of every error this project raises on purpose. `message` is safe to show a user."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadDocument(PolicyQAError):
    """A source file that cannot be read as a policy document (empty, binary, unknown type)."""

    status_code = 400

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DocumentTooLarge(BadDocument):
    """A document that expands past what the service reads (a .docx zip bomb)."""

    status_code = 413


class DocumentNotFound(PolicyQAError):
    status_code = 404


class ChunkNotFound(PolicyQAError):
    status_code = 404


class UnitNotFound(PolicyQAError):
    """A unit that no document's unit notes name (in any way readers write it)."""

    status_code = 404


class CorpusMissing(PolicyQAError):
    """A corpus folder or file that does not exist (a mistyped POLICY_QA_CORPUS_DIR, an unmounted volume)."""

    status_code = 503
