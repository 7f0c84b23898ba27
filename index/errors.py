"""Index errors: each message tells the operator what to run."""

from __future__ import annotations

from corpus.errors import PolicyQAError


class IndexMissing(PolicyQAError):
    status_code = 503


class IndexMismatch(PolicyQAError):
    """The index on disk was built with another embedder or format than the one configured."""

    status_code = 503


class IndexCorrupt(PolicyQAError):
    status_code = 503


class IndexNotWritable(PolicyQAError):
    """The index folder is read-only (a read-only volume, wrong owner): a reload cannot be announced."""

    status_code = 503


class IndexBusy(PolicyQAError):
    """Another build holds the lock."""

    status_code = 409


class VectorStoreUnavailable(PolicyQAError):
    """The vector database a deployment configured cannot be reached or refused the request."""

    status_code = 503


class BuildRefused(PolicyQAError):
    """A build that would publish no documents, or lose too many of the serving build's (an unmounted volume,
    a corpus folder emptied by mistake); forcing it publishes anyway."""

    status_code = 409
