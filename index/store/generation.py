"""One published generation opened for reading: its database, passage and sentence vectors and
keyword index, checked against each other once, at open.

Search reads it through the LibraryStore port (index/store/port.py). One lock guards the
SQLite connection, which the window's workers share; vectors and keywords are read-only once
open, so they need none.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt, IndexIncompatible
from index.store.database import PassageRow, Store, StoryRow
from index.store.generations import DATABASE_NAME, VECTORS_NAME, verify
from index.store.keywords import KeywordIndex
from index.store.phrases import PhraseIndex
from index.store.search_files import read_search_files
from index.store.sentences import SentenceIndex
from index.store.tokens import TokenCodes
from index.store.vectors import VectorIndex

Vectors = npt.NDArray[np.float32]


class Generation:
    """Readable parts of one generation directory. Thread-safe."""

    def __init__(
        self,
        path: Path,
        database: Store,
        vectors: VectorIndex,
        sentences: SentenceIndex,
        keywords: KeywordIndex,
        *,
        phrases: PhraseIndex | None,
        tokens: TokenCodes | None,
        meta: dict[str, str],
    ) -> None:
        self.path = path
        self.meta = meta  # how it was built (the database's meta table), read once at open
        self.vectors = vectors
        self.sentences = sentences
        self.keywords = keywords
        self.phrases = phrases  # None in an index built before phrases were indexed
        self.tokens = tokens  # None in an index built before token vectors were stored
        self._database = database
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Generation:
        """Open and cross-check the generation at `path`; damage or a mismatch between its
        files becomes IndexCorrupt or IndexIncompatible with what to do."""
        problems = verify(path)
        if problems:
            raise IndexCorrupt(f"The index is damaged: {'; '.join(problems)}. {REBUILD_ADVICE}")
        database = Store.open(path / DATABASE_NAME)
        phrases: PhraseIndex | None = None
        try:
            meta = database.meta()
            passages = database.passage_count()
            vectors = VectorIndex.read(path / VECTORS_NAME)
            if str(vectors.dimension) != meta.get("dimension"):
                raise IndexIncompatible(
                    f"The vectors have {vectors.dimension} dimensions but the index records "
                    f"{meta.get('dimension')}. {REBUILD_ADVICE}"
                )
            if len(vectors) != passages:
                raise IndexIncompatible(
                    f"The index holds {len(vectors)} vectors for {passages} passages. "
                    f"{REBUILD_ADVICE}"
                )
            sentences, keywords, phrases = read_search_files(path)
            tokens = TokenCodes.open(path)
            if len(keywords) != len(vectors) or sentences.dimension != vectors.dimension:
                raise IndexIncompatible(
                    f"The keyword or sentence index does not match the passages. {REBUILD_ADVICE}"
                )
        except BaseException as exc:
            database.close()
            if phrases is not None:
                phrases.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise IndexCorrupt(
                    f"The index database is damaged ({exc}). {REBUILD_ADVICE}"
                ) from exc
            raise
        return cls(
            path,
            database,
            vectors,
            sentences,
            keywords,
            phrases=phrases,
            tokens=tokens,
            meta=meta,
        )

    def close(self) -> None:
        with self._lock:
            self._database.close()
            if self.phrases is not None:
                self.phrases.close()

    @contextmanager
    def database(self) -> Iterator[Store]:
        """The database, for as long as the block runs, with no other thread using it. A
        damaged page found only now (the header was sound at open) is IndexCorrupt."""
        with self._lock:
            try:
                yield self._database
            except sqlite3.DatabaseError as exc:
                raise IndexCorrupt(
                    f"The index database is damaged ({exc}). {REBUILD_ADVICE}"
                ) from exc

    # -- LibraryStore (index/store/port.py) ------------------------------------------------

    def stories(self) -> list[StoryRow]:
        with self.database() as database:
            return database.stories()

    def sources(self) -> tuple[list[str], set[str]]:
        with self.database() as database:
            return database.sources()

    def story_text(self, story_id: int) -> str:
        with self.database() as database:
            return database.story_text(story_id)

    def passage_count(self) -> int:
        return len(self.vectors)

    def story_passages(self, story_id: int) -> list[PassageRow]:
        with self.database() as database:
            return database.story_passages(story_id)

    def passages_by_id(self, ids: Sequence[int]) -> dict[int, PassageRow]:
        with self.database() as database:
            return database.passages_by_id(ids)

    def passages_at(self, places: Sequence[tuple[int, int]]) -> dict[tuple[int, int], PassageRow]:
        with self.database() as database:
            return database.passages_at(places)

    def passage_ids_of_stories(self, story_ids: Sequence[int]) -> list[int]:
        with self.database() as database:
            return database.passage_ids_of_stories(story_ids)

    def passage_ids_by_story(self) -> dict[int, list[int]]:
        with self.database() as database:
            return database.passage_ids_by_story()

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        with self.database() as database:
            return database.passage_texts(ids)

    def sentences_of(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        with self.database() as database:
            return database.sentences_of(ids)

    def sentence_counts(self, ids: Sequence[int]) -> dict[int, int]:
        with self.database() as database:
            return database.sentence_counts(ids)

    def passage_vectors(self, ids: Sequence[int]) -> Vectors:
        return self.vectors.vectors(ids)

    def sentence_vectors(self, sentence_ids: Sequence[int] | npt.NDArray[np.int64]) -> Vectors:
        return self.sentences.vectors(sentence_ids)

    def dense_search(
        self,
        vector: Vectors,
        n: int,
        only: Sequence[int] | None = None,
        exclude: Sequence[int] | None = None,
    ) -> list[tuple[float, int]]:
        if len(self.vectors) == 0:
            return []
        scores, ids = self.vectors.search(vector, n, only=only, exclude=exclude)
        return [(float(s), int(i)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]
