"""Meaning-aligned sentences of two passages, and "the same moment" in every other story.

    alignment = align_passages(lib, lib.passage(12), lib.passage(40))
    for pair in alignment.pairs:
        print(pair.score, alignment.left_sentences[pair.left_index].text,
              "<->", alignment.right_sentences[pair.right_index].text)
    stricter = alignment.with_threshold(0.6)   # same scores, no re-embedding

Each sentence of one passage is matched to at most one sentence of the other (a one-to-one
matching), so a reader can follow the two tellings side by side without a sentence pointing
several ways. The sentence-by-sentence cosine matrix is kept on the Alignment, so changing the
threshold (a slider in the window) re-runs only the matching, which takes microseconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from index.search.library import MAX_K, Library
from index.search.results import Hit, Passage

# Cosine between two sentences' vectors (all-MiniLM-L6-v2) at and above which they count as
# telling the same thing. Measured on the sample stories (all four about dancers, so unrelated
# sentences already share a vocabulary): over the 2,825 sentence pairs of the 381 pairs of
# passages from different stories, the median is 0.30, the 90th percentile 0.47, the 95th 0.52
# and the 99th 0.63. The sentences that really correspond in the bow-and-applause passages of
# "Camilla Roche" and "Sofia Kalejs" score 0.54-0.58 ("...as she took a triumphant bow" /
# "As she took her final bow on stage..."), while the sentences of those passages that tell
# something else (a mother's advice, finding herself) score at most 0.41 with anything there.
# 0.5 keeps the real correspondences and about 7% of chance pairs between stories on one theme;
# the window's slider moves it either way.
DEFAULT_THRESHOLD = 0.5

# A pair exactly at the threshold still counts: its margin is zero, so it gets this much weight.
_AT_THRESHOLD = 1e-9

FloatMatrix = npt.NDArray[np.float32]


class SentenceEncoder(Protocol):
    """What alignment needs of a model: index.Embedder satisfies it."""

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix: ...


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets into the story text, like Passage.start/end
    end: int
    text: str


@dataclass(frozen=True)
class AlignedPair:
    left_index: int  # into Alignment.left_sentences
    right_index: int  # into Alignment.right_sentences
    score: float  # cosine of the two sentences, -1..1


@dataclass(frozen=True, eq=False)
class Alignment:
    """Two passages' sentences, their scores and the matching at `threshold`.

    `pairs` are in the order of the left passage; `left_only`/`right_only` are the indexes of the
    sentences that found no counterpart ("only in this story"), in reading order. `similarity`
    is the cosine of the two whole passages, the number a search would give for them.
    """

    left: Passage
    right: Passage
    left_sentences: tuple[Sentence, ...]
    right_sentences: tuple[Sentence, ...]
    matrix: FloatMatrix  # (len(left_sentences), len(right_sentences)) sentence cosines
    similarity: float
    threshold: float
    pairs: tuple[AlignedPair, ...]
    left_only: tuple[int, ...]
    right_only: tuple[int, ...]

    def with_threshold(self, threshold: float) -> Alignment:
        """The same passages and scores, matched again at another threshold."""
        return _aligned(
            left=self.left,
            right=self.right,
            left_sentences=self.left_sentences,
            right_sentences=self.right_sentences,
            matrix=self.matrix,
            similarity=self.similarity,
            threshold=threshold,
        )

    def swapped(self) -> Alignment:
        """Left and right exchanged (the matching is symmetric, so only the sides move)."""
        return dataclasses.replace(
            self,
            left=self.right,
            right=self.left,
            left_sentences=self.right_sentences,
            right_sentences=self.left_sentences,
            matrix=np.ascontiguousarray(self.matrix.T),
            pairs=tuple(
                sorted(
                    (AlignedPair(p.right_index, p.left_index, p.score) for p in self.pairs),
                    key=lambda p: p.left_index,
                )
            ),
            left_only=self.right_only,
            right_only=self.left_only,
        )

    def to_json(self) -> dict[str, Any]:
        """The shape `storylens compare --json` prints (documented in index/cli/main.py)."""
        return {
            "left": _passage_json(self.left, self.left_sentences),
            "right": _passage_json(self.right, self.right_sentences),
            "similarity": round(self.similarity, 6),
            "threshold": self.threshold,
            "pairs": [
                {"left": p.left_index, "right": p.right_index, "score": round(p.score, 6)}
                for p in self.pairs
            ],
            "left_only": list(self.left_only),
            "right_only": list(self.right_only),
        }


def align_passages(
    source: Library | SentenceEncoder,
    left: Passage,
    right: Passage,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Alignment:
    """Embed both passages' sentences (and the passages whole) in one call and match them."""
    encoder: SentenceEncoder = source.embedder if isinstance(source, Library) else source
    left_sentences, right_sentences = passage_sentences(left), passage_sentences(right)
    texts = [s.text for s in (*left_sentences, *right_sentences)] + [left.text, right.text]
    vectors = np.asarray(encoder.encode_queries(texts), dtype=np.float32)
    n = len(left_sentences)
    sentence_vectors, (left_vector, right_vector) = vectors[:-2], vectors[-2:]
    matrix = sentence_vectors[:n] @ sentence_vectors[n:].T
    return _aligned(
        left=left,
        right=right,
        left_sentences=left_sentences,
        right_sentences=right_sentences,
        matrix=matrix,
        similarity=float(left_vector @ right_vector),
        threshold=threshold,
    )


def passage_sentences(passage: Passage) -> tuple[Sentence, ...]:
    """The passage's sentences with their text; a passage without any is one sentence."""
    spans = passage.sentences or ((passage.start, passage.end),)
    found = []
    for start, end in spans:
        text = passage.text[start - passage.start : end - passage.start].strip()
        if text:
            found.append(Sentence(start, end, text))
    return tuple(found) or (Sentence(passage.start, passage.end, passage.text),)


def match_sentences(matrix: FloatMatrix, threshold: float) -> list[AlignedPair]:
    """The one-to-one matching that maximises the summed margin (score - threshold) of its
    pairs, in left order.

    Why the margin and not the plain sum of scores, matched once and then filtered: over every
    sentence, two middling pairs outvote one strong pair, which is then lost when the threshold
    filters the middling ones out. On the sample stories at 0.5 that shows no pair at all for 11
    of the 381 passage pairs between stories that have a sentence pair above 0.5 (one at 0.63).
    With the margin, a pair counts only for what it clears the bar by.

    Raising the threshold never adds pairs: the objective is (sum of scores) - threshold *
    (number of pairs), so the optimal number of pairs can only fall as the threshold rises.
    The pairs themselves may change (a sentence can re-pair when a rival pair drops out): on
    the sample stories that happens in 41 of some 23,000 one-hundredth steps of the threshold,
    all but one below 0.5.
    """
    from scipy.optimize import linear_sum_assignment

    if matrix.size == 0:
        return []
    scores = matrix.astype(np.float64)  # compared with the threshold exactly as given
    margin = np.where(scores >= threshold, scores - threshold + _AT_THRESHOLD, 0.0)
    rows, cols = linear_sum_assignment(margin, maximize=True)
    pairs = [
        AlignedPair(int(r), int(c), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if margin[r, c] > 0
    ]
    return sorted(pairs, key=lambda p: p.left_index)


def same_moment(
    library: Library,
    passage_id: int,
    *,
    stories: Sequence[int] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """The closest passage of every other story to this one (of `stories`, when a search is
    limited to some), one hit per story, the closest first; `limit` keeps the best few."""
    source = library.passage(passage_id)
    others = moment_stories(library, source, stories)
    best: dict[int, Hit] = {}
    if others:
        nearest = library.similar(
            passage_id,
            k=_nearest_k(library),
            other_stories=True,
            stories=others if stories is not None else None,
        )
        for hit in nearest:
            best.setdefault(hit.passage.story_id, hit)
    for story_id in others:
        if story_id not in best:  # a story with no passage among the nearest: ask it directly
            hits = library.similar(passage_id, k=1, stories=[story_id])
            if hits:
                best[story_id] = hits[0]
    ordered = sorted(best.values(), key=lambda hit: -hit.score)[:limit]
    return [dataclasses.replace(hit, rank=rank) for rank, hit in enumerate(ordered, start=1)]


def moment_stories(
    library: Library, source: Passage, stories: Sequence[int] | None = None
) -> list[int]:
    """The stories the same moment looks in: every other one, or the others of `stories`."""
    wanted = set(stories) if stories is not None else None
    return [
        s.id
        for s in library.stories()
        if s.id != source.story_id and (wanted is None or s.id in wanted)
    ]


def _nearest_k(library: Library) -> int:
    return max(1, min(MAX_K, library.info().passages))


def _aligned(
    *,
    left: Passage,
    right: Passage,
    left_sentences: tuple[Sentence, ...],
    right_sentences: tuple[Sentence, ...],
    matrix: FloatMatrix,
    similarity: float,
    threshold: float,
) -> Alignment:
    pairs = match_sentences(matrix, threshold)
    matched_left = {p.left_index for p in pairs}
    matched_right = {p.right_index for p in pairs}
    return Alignment(
        left=left,
        right=right,
        left_sentences=left_sentences,
        right_sentences=right_sentences,
        matrix=matrix,
        similarity=similarity,
        threshold=threshold,
        pairs=tuple(pairs),
        left_only=tuple(i for i in range(len(left_sentences)) if i not in matched_left),
        right_only=tuple(i for i in range(len(right_sentences)) if i not in matched_right),
    )


def _passage_json(passage: Passage, sentences: Sequence[Sentence]) -> dict[str, Any]:
    return {
        "passage_id": passage.id,
        "story_id": passage.story_id,
        "story": passage.story_title,
        "ordinal": passage.ordinal,
        "story_passages": passage.story_passage_count,
        "start": passage.start,
        "end": passage.end,
        "sentences": [{"start": s.start, "end": s.end, "text": s.text} for s in sentences],
    }
