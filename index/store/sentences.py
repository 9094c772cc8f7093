"""One vector per sentence, beside the passage vectors, so a passage can be found by its best
sentence: a single telling line inside a long paragraph is otherwise averaged away.

The vectors come from the passage's own forward pass (index/embed/sentences.py). Stored as
float16 in FAISS (half the size of float32, no measurable change in ranking), never pickled.

A sentence's id is passage_id * SLOTS + ordinal, so it maps back to its passage without a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from index.store.vectors import VectorIndex

SENTENCES_NAME = "sentences.faiss"
SLOTS = 1024  # sentences per passage that get a vector; a passage of 256 tokens has far fewer

Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


def sentence_ids(passage_id: int, count: int) -> Ids:
    return passage_id * SLOTS + np.arange(min(count, SLOTS), dtype=np.int64)


def sentence_ids_of(
    passage_ids: Sequence[int], counts: Sequence[int]
) -> tuple[Ids, npt.NDArray[np.int64]]:
    """sentence_ids of many passages at once, passage after passage in one array, and how many
    each passage has there (a count past SLOTS cut as sentence_ids cuts it)."""
    kept = np.minimum(np.asarray(counts, dtype=np.int64), SLOTS)
    starts = np.cumsum(kept) - kept
    ordinals = np.arange(int(kept.sum()), dtype=np.int64) - np.repeat(starts, kept)
    return np.repeat(np.asarray(passage_ids, dtype=np.int64) * SLOTS, kept) + ordinals, kept


def passage_of(sentence_id: int) -> tuple[int, int]:
    """(passage id, sentence ordinal) of a sentence id."""
    return divmod(int(sentence_id), SLOTS)


class SentenceIndex(VectorIndex):
    """Sentence vectors under their sentence ids; inner product = cosine (vectors normalised).

    The same two layouts as the passage vectors (index/store/vectors.py), by the number of
    sentences: exact below ANN_THRESHOLD, an inverted file above, so that finding the best
    sentences costs a few milliseconds at any size instead of a scan of every sentence
    (about five per passage). Float16 in both layouts.
    """

    WHAT = "sentence vector file"

    @classmethod
    def _flat_storage(cls, dimension: int) -> Any:
        import faiss

        return faiss.IndexScalarQuantizer(
            dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )

    def remove_passages(self, passage_ids: Sequence[int]) -> None:
        import faiss

        if not passage_ids:
            return
        if self.kind == "flat":
            for pid in passage_ids:
                self._index.remove_ids(faiss.IDSelectorRange(pid * SLOTS, (pid + 1) * SLOTS))
        else:  # an inverted file's id map removes listed ids only (not ranges)
            self.remove(np.concatenate([sentence_ids(pid, SLOTS) for pid in passage_ids]))

    def best(self, query: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        """The k best sentences for one query vector: (scores, sentence ids); -1 past the end."""
        scores, ids = self.search(query, k)
        return scores[0], ids[0]
