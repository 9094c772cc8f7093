"""What a library is read through, wherever it is kept: the local generation (FAISS, SQLite and
bm25s in one directory; index/store/generation.py) or a Milvus collection set
(index/store/milvus/). Search, "more like this", browsing and comparison read only this, so
they answer alike from either.

The shape follows txtai's ann/base.py (search, count, metadata), widened to everything a
library keeps: stories and their text, passages and their sentences, passage and sentence
vectors, and the token vectors of the second stage. Keyword and phrase search are not here:
the two stores do them in different engines (bm25s and SQLite FTS5 locally, Milvus's BM25
function and text_match remotely), so each has its own candidate finder in index/search/.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from index.store.database import PassageRow, StoryRow

Vectors = npt.NDArray[np.float32]


class StoredTokens(Protocol):
    """Each passage's token vectors, as the second stage of a search reads them."""

    def __contains__(self, passage_id: int) -> bool: ...

    def vectors(self, passage_ids: Sequence[int]) -> tuple[Vectors, list[int]]:
        """The token vectors of these passages one after another, and how many each has."""
        ...


class LibraryStore(Protocol):
    """A library opened for reading. Implementations are safe to share between threads."""

    meta: dict[str, str]  # how it was built: model, dimension, passage length, format
    path: Path  # where it is: a generation directory, or a Milvus database file or address

    @property
    def tokens(self) -> StoredTokens | None:
        """Stored token vectors, or None where the model must read the passages instead."""
        ...

    def close(self) -> None: ...

    # -- stories ---------------------------------------------------------------------------

    def stories(self) -> list[StoryRow]:
        """Every story, by title (case aside), then path."""
        ...

    def sources(self) -> tuple[list[str], set[str]]:
        """The folders and files the library was built from, and the stories left out of them."""
        ...

    def story_text(self, story_id: int) -> str:
        """A story's whole text (KeyError for an unknown id)."""
        ...

    # -- passages --------------------------------------------------------------------------

    def passage_count(self) -> int: ...

    def story_passages(self, story_id: int) -> list[PassageRow]:
        """A story's passages in reading order."""
        ...

    def passages_by_id(self, ids: Sequence[int]) -> dict[int, PassageRow]: ...

    def passages_at(self, places: Sequence[tuple[int, int]]) -> dict[tuple[int, int], PassageRow]:
        """The passages at these (story id, ordinal) places; places without one are left out."""
        ...

    def passage_ids_of_stories(self, story_ids: Sequence[int]) -> list[int]: ...

    def passage_ids_by_story(self) -> dict[int, list[int]]:
        """Every story's passage ids in reading order."""
        ...

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        """The text of each passage."""
        ...

    def sentences_of(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Each passage's sentences as story offsets, in order ([] for none)."""
        ...

    def sentence_counts(self, ids: Sequence[int]) -> dict[int, int]:
        """How many sentences each passage has."""
        ...

    # -- vectors ---------------------------------------------------------------------------

    def passage_vectors(self, ids: Sequence[int]) -> Vectors:
        """The passages' vectors, one row each, in the order of `ids` (KeyError if missing)."""
        ...

    def sentence_vectors(self, sentence_ids: Sequence[int] | npt.NDArray[np.int64]) -> Vectors:
        """Sentence vectors by sentence id (index/store/sentences.py), in order; KeyError when
        the library has none for one of them."""
        ...

    def dense_search(
        self,
        vector: Vectors,
        n: int,
        only: Sequence[int] | None = None,
        exclude: Sequence[int] | None = None,
    ) -> list[tuple[float, int]]:
        """(cosine, passage id) of the n passages closest to `vector`, best first, among
        `only` when given and never one of `exclude`."""
        ...
