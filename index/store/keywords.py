"""Keyword scoring: BM25 (bm25s) over the folded, stemmed words of every passage.

Every word is indexed, stopwords included, so `-word` and "exact phrase" can be checked for any
word; stopwords are dropped from the query side only, where they would add noise to the score.
Saved beside the vectors with bm25s's own writer (numpy arrays without pickle, JSON vocabulary).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt
from index.text.stems import stems

# Files in the generation directory (flat: the layout fsyncs files, not folders).
_NAMES = {
    "data_name": "keywords.data.npy",
    "indices_name": "keywords.indices.npy",
    "indptr_name": "keywords.indptr.npy",
    "vocab_name": "keywords.vocab.json",
    "params_name": "keywords.params.json",
}
_IDS_NAME = "keywords.passage_ids.npy"

Scores = npt.NDArray[np.float32]
PassageIds = npt.NDArray[np.int64]


class KeywordIndex:
    """BM25 scores for every passage of a generation, addressed by passage id."""

    def __init__(self, bm25: Any, passage_ids: PassageIds) -> None:
        self._bm25 = bm25
        self.passage_ids = passage_ids
        self._row_of = {int(pid): row for row, pid in enumerate(passage_ids)}

    @classmethod
    def build(cls, passage_ids: Sequence[int], texts: Iterable[str]) -> KeywordIndex:
        return cls.from_stems(passage_ids, [stems(text) for text in texts])

    @classmethod
    def from_stems(cls, passage_ids: Sequence[int], tokens: list[list[str]]) -> KeywordIndex:
        """The index of passages already cut into stems (index/text/stems.py)."""
        import bm25s

        ids = np.asarray(passage_ids, dtype=np.int64)
        if len(tokens) != len(ids):
            raise ValueError(f"{len(ids)} passage ids for {len(tokens)} texts")
        if not tokens:
            return cls(None, ids)
        bm25 = bm25s.BM25()
        _quietly(lambda: bm25.index(tokens, show_progress=False))
        return cls(bm25, ids)

    def save(self, folder: Path) -> None:
        np.save(folder / _IDS_NAME, self.passage_ids, allow_pickle=False)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False, allow_pickle=False, **_NAMES)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        try:
            ids = np.load(folder / _IDS_NAME, allow_pickle=False)
            if len(ids) == 0:
                return cls(None, ids.astype(np.int64))
            bm25 = bm25s.BM25.load(
                str(folder), allow_pickle=False, mmap=False, show_progress=False, **_NAMES
            )
        except (OSError, ValueError, json.JSONDecodeError, KeyError) as exc:
            raise IndexCorrupt(
                f"The keyword index is missing or damaged ({exc}). {REBUILD_ADVICE}"
            ) from exc
        if int(bm25.scores["num_docs"]) != len(ids):
            raise IndexCorrupt("The keyword index does not match its passages. {REBUILD_ADVICE}")
        return cls(bm25, ids.astype(np.int64))

    def __len__(self) -> int:
        return len(self.passage_ids)

    def row_of(self, passage_id: int) -> int | None:
        return self._row_of.get(passage_id)

    def scores(self, terms: Sequence[str]) -> Scores:
        """BM25 of every passage (in `passage_ids` order) for these stemmed terms."""
        known = self._term_ids(terms)
        if self._bm25 is None or not known:
            return np.zeros(len(self.passage_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float32)

    def perfect_score(self, terms: Sequence[str]) -> float:
        """BM25 of a passage holding every term, each at saturation: sum of idf * (k1 + 1)
        (Lucene's idf, as bm25s scores). A term no passage holds counts as the rarest word, so
        matching two words of an eight-word query is never a perfect match. Scales BM25 to 0..1.
        """
        if self._bm25 is None:
            return 0.0
        vocab: dict[str, int] = self._bm25.vocab_dict
        indptr = self._bm25.scores["indptr"]

        def held(term: str) -> int:
            where = vocab.get(term)
            return int(indptr[where + 1] - indptr[where]) if where is not None else 0

        total = int(self._bm25.scores["num_docs"])
        return perfect_bm25([held(t) for t in dict.fromkeys(terms)], total, self._bm25.k1)

    def rows_containing(self, term: str) -> npt.NDArray[np.int64]:
        """Rows of the passages that contain this stemmed term at least once."""
        known = self._term_ids([term])
        if self._bm25 is None or not known:
            return np.empty(0, dtype=np.int64)
        indptr = self._bm25.scores["indptr"]
        indices = self._bm25.scores["indices"]
        return np.asarray(indices[indptr[known[0]] : indptr[known[0] + 1]], dtype=np.int64)

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        if self._bm25 is None:
            return []
        vocab: dict[str, int] = self._bm25.vocab_dict
        return [vocab[t] for t in dict.fromkeys(terms) if t and t in vocab]


def perfect_bm25(held: Sequence[int], total: int, k1: float) -> float:
    """KeywordIndex.perfect_score from how many of `total` passages hold each distinct term:
    also what a library kept in Milvus is scaled by (index/search/milvus_candidates.py)."""
    return sum(math.log(1 + (total - max(h, 1) + 0.5) / (max(h, 1) + 0.5)) * (k1 + 1) for h in held)


def _quietly(work: Any) -> None:
    """bm25s logs through its own loggers at INFO; the engine reports through callbacks."""
    logger = logging.getLogger("bm25s")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        work()
    finally:
        logger.setLevel(level)
