"""Errors the engine raises on purpose: each carries a message a person can act on."""

from __future__ import annotations

# What to do about a damaged or incompatible index, where the person may be (CLI or window).
REBUILD_ADVICE = (
    "Rebuild the index (`storylens index --rebuild`, or File > Rebuild index in the window)."
)


class StorylensError(Exception):
    """Base of every error whose message is meant to be shown as is (CLI and window)."""


class IndexNotFound(StorylensError):
    """No index exists yet at the given place."""


class IndexIncompatible(StorylensError):
    """The index was built by another model, dimension or schema version."""


class IndexCorrupt(StorylensError):
    """An index file is damaged or missing parts."""


class IndexBusy(StorylensError):
    """Another process is writing this index."""


class ModelError(StorylensError):
    """The embedding model could not be loaded or is refused."""


class QueryError(StorylensError):
    """The query cannot be answered as given (empty, unknown story...)."""


class BuildCancelled(StorylensError):
    """The person cancelled a build; the previous index is untouched."""

    def __init__(self) -> None:
        super().__init__(
            "Indexing cancelled; the previous index is unchanged, and the passages embedded so "
            "far are kept: index again to go on from there."
        )
