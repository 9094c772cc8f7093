"""Storylens engine: stories -> passages -> embeddings -> FAISS index -> search. Never imports Qt.

Importing this package is cheap: torch, sentence-transformers and faiss load on first use.

    from index import Library, build_index
    build_index(["seeds/"], "/tmp/lib")
    with Library.open("/tmp/lib") as lib:
        hits = lib.search("a dancer doubts she is good enough", k=3)
"""

from typing import TYPE_CHECKING, Any

# Where each public name lives; loaded on first use (PEP 562), so `import index.errors` or
# `from index import QueryError` does not pull in numpy, the store or the model code.
_EXPORTS = {
    "BuildProgress": "index.build.builder",
    "BuildReport": "index.build.builder",
    "build_index": "index.build.builder",
    "Collection": "index.store.collections",
    "Embedder": "index.embed.model",
    "BuildCancelled": "index.errors",
    "IndexBusy": "index.errors",
    "IndexCorrupt": "index.errors",
    "IndexIncompatible": "index.errors",
    "IndexNotFound": "index.errors",
    "ModelError": "index.errors",
    "QueryError": "index.errors",
    "StorylensError": "index.errors",
    "Library": "index.search.library",
    "Hit": "index.search.results",
    "IndexInfo": "index.search.results",
    "Passage": "index.search.results",
    "Story": "index.search.results",
}

__all__ = [
    "BuildCancelled",
    "BuildProgress",
    "BuildReport",
    "Collection",
    "Embedder",
    "Hit",
    "IndexBusy",
    "IndexCorrupt",
    "IndexIncompatible",
    "IndexInfo",
    "IndexNotFound",
    "Library",
    "ModelError",
    "Passage",
    "QueryError",
    "Story",
    "StorylensError",
    "build_index",
]

if TYPE_CHECKING:
    from index.build.builder import BuildProgress, BuildReport, build_index
    from index.embed.model import Embedder
    from index.errors import (
        BuildCancelled,
        IndexBusy,
        IndexCorrupt,
        IndexIncompatible,
        IndexNotFound,
        ModelError,
        QueryError,
        StorylensError,
    )
    from index.search.library import Library
    from index.search.results import Hit, IndexInfo, Passage, Story
    from index.store.collections import Collection


def __getattr__(name: str) -> Any:
    import importlib

    if name not in _EXPORTS:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
