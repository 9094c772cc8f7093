"""Storylens engine: stories -> passages -> embeddings -> FAISS index -> search. Never imports Qt.

Importing this package is cheap: torch, sentence-transformers and faiss load on first use.

    from index import Library, build_index
    build_index(["seeds/"], "/tmp/lib")
    with Library.open("/tmp/lib") as lib:
        hits = lib.search("a dancer doubts she is good enough", k=3)
"""

from index.builder import BuildProgress, BuildReport, build_index
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
from index.library import Library
from index.model import Embedder
from index.results import Hit, IndexInfo, Passage, Story

__all__ = [
    "BuildCancelled",
    "BuildProgress",
    "BuildReport",
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
