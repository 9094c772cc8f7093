"""Fusion: meaning (whole passage and best sentence) and keywords (BM25) into one ranking.

dense score   = (1 - s) * cos(query, passage) + s * max cos(query, sentence of the passage)
keyword score = BM25 / (BM25 of a passage holding every query word at saturation): 0..1
focus         = (best keyword score - 10th best) / best keyword score, per query: 0..1
first stage   = dense + w * focus^p * keyword
token match   = mean over query tokens of their best cosine with a passage token (MaxSim, in
                context, index/search/token_match.py); stopword tokens weigh f, content words 1
hybrid score  = for the first stage's top R: z(token match) + a * z(dense) + b * focus^p * keyword
                (z: standardised over those R), ranked above the rest, which keep their order

Pooled vectors (of a passage or a sentence) average a paraphrased detail away among passages
that share a theme; matching the query token by token keeps it. Keywords weigh in as far as they
single out a few passages: a query that names a person, a place or a rare word has one or two
passages far above the rest (focus near 1); a paraphrase or a proverb shares only common words
with many passages about equally (focus near 0) and is left to meaning. On half of the public
evaluation data s is tuned first (meaning alone), then w and p, then f, a and b, so that no kind
of collection gets worse than its better single signal; all are reported on the other half
(benchmarks/eval). Reciprocal-rank fusion and a plain weighted sum did worse. The token stage
reads the first stage's best and each signal's own best (E), so a passage that keywords alone
or meaning alone put near the top is never lost to the fusion before token match sees it; its
keyword part (b) counts as far as the query's keywords single out a few passages (focus).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from index.search.token_match import TokenScores

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")


@dataclass(frozen=True)
class SearchSettings:
    # Tuned by benchmarks/eval on the tune halves of the public sets (see its README).
    sentence_weight: float = 1.0  # s above: share of the best sentence in the dense score
    keyword_weight: float = 3.0  # w above
    focus_power: float = 2.0  # p above: how sharply a flat keyword ranking is discounted
    candidates: int = 100  # passages and sentences fetched from each ranking before fusing
    rerank_depth: int = 30  # R above: the first stage's best passages that token matching reorders
    rerank_each: int = 10  # and the best of each single signal, when not among those
    function_weight: float = 0.5  # f above: weight of a query's stopword and punctuation tokens
    rerank_dense: float = 0.0  # a above
    rerank_keyword: float = 2.0  # b above


@dataclass(frozen=True)
class Candidates:
    """Every passage worth ranking for one query, with each part of its score."""

    passage_ids: list[int]
    whole: npt.NDArray[np.float32]  # cosine of query and passage vector (0 if not scored)
    sentence: npt.NDArray[np.float32]  # cosine of query and the passage's best sentence
    best_sentence: list[int | None]  # ordinal of that sentence
    keyword: npt.NDArray[np.float32]  # BM25 share, 0..1 (0 if not scored)
    keyword_focus: float | None = None  # keyword_focus() over the whole library, when known
    tokens: TokenScores | None = None  # token match of the rows in token_rows (hybrid only)
    token_rows: tuple[int, ...] = ()  # the first stage's best rows, best first

    @classmethod
    def none(cls) -> Candidates:
        """No candidates (a filter that allows no passage)."""
        empty = np.zeros(0, dtype=np.float32)
        return cls([], empty, empty, [], empty)

    def dense(self, settings: SearchSettings) -> npt.NDArray[np.float32]:
        s = settings.sentence_weight
        return ((1 - s) * self.whole + s * self.sentence).astype(np.float32)

    def first_stage(self, settings: SearchSettings) -> npt.NDArray[np.float32]:
        focus = self.focus() ** settings.focus_power
        score = self.dense(settings) + settings.keyword_weight * focus * self.keyword
        return np.asarray(score, dtype=np.float32)

    def focus(self) -> float:
        """How far the query's keywords single out a few passages (see keyword_focus)."""
        return self.keyword_focus if self.keyword_focus is not None else keyword_focus(self.keyword)

    def with_tokens(self, tokens: TokenScores, rows: Sequence[int]) -> Candidates:
        """These candidates with the token match of `rows` (the first stage's best, best
        first), which ranked() then puts above the rest in hybrid mode."""
        return replace(self, tokens=tokens, token_rows=tuple(rows))

    def token_rows_to_match(self, settings: SearchSettings) -> list[int]:
        """What token match reorders: the first stage's best settings.rerank_depth rows, then
        the best settings.rerank_each of every single signal (passage meaning, best sentence,
        keywords) not among them, so that fusion never drops what one method ranks high."""
        first = self.first_stage(settings)
        rows = [int(i) for i in np.argsort(-first, kind="stable")[: settings.rerank_depth]]
        if settings.rerank_depth <= 0:
            return rows
        chosen = set(rows)
        for signal in (self.whole, self.sentence, self.keyword):
            for i in np.argsort(-signal, kind="stable")[: settings.rerank_each]:
                if signal[i] > 0 and int(i) not in chosen:
                    chosen.add(int(i))
                    rows.append(int(i))
        return rows

    def ranked(self, k: int, mode: Mode, settings: SearchSettings) -> list[Ranked]:
        dense = self.dense(settings)
        if mode == "dense":
            score = dense
        elif mode == "keyword":
            score = self.keyword
        else:
            score = self.first_stage(settings)
            if self.tokens is not None and self.token_rows and settings.rerank_depth > 0:
                score = self._token_reranked(score, dense, settings)
        order = np.argsort(-score, kind="stable")[:k]
        matched = self._token_match_by_row(mode, settings)
        return [
            Ranked(
                self.passage_ids[i],
                float(score[i]),
                float(dense[i]),
                float(self.keyword[i]),
                self.best_sentence[i],
                matched.get(int(i)),
            )
            for i in order
        ]

    def _token_match_by_row(self, mode: Mode, settings: SearchSettings) -> dict[int, float]:
        """Each token-matched row's token match (as in the docstring above), in hybrid mode."""
        if mode != "hybrid" or self.tokens is None or settings.rerank_depth <= 0:
            return {}
        values = self.tokens.combined(settings.function_weight)
        return {row: float(v) for row, v in zip(self.token_rows, values, strict=True)}

    def _token_reranked(
        self,
        first: npt.NDArray[np.float32],
        dense: npt.NDArray[np.float32],
        settings: SearchSettings,
    ) -> npt.NDArray[np.float32]:
        """The token-matched rows by their fusion, above the rest in first-stage order."""
        assert self.tokens is not None
        rows = np.asarray(self.token_rows, dtype=np.int64)
        focus = self.focus() ** settings.focus_power
        fused = (
            _standardised(self.tokens.combined(settings.function_weight))
            + settings.rerank_dense * _standardised(dense[rows])
            + settings.rerank_keyword * focus * self.keyword[rows]
        )
        score = first.copy()
        rest = np.ones(len(first), dtype=bool)
        rest[rows] = False
        if rest.any():  # below every reranked row, in their own order
            score[rest] = float(fused.min()) - 1.0 - (float(first[rest].max()) - first[rest])
        score[rows] = fused
        return score.astype(np.float32)


def keyword_focus(scores: npt.NDArray[np.float32], depth: int = 10) -> float:
    """How far the best keyword score stands above the depth-th: 0 (flat) to 1 (alone)."""
    if len(scores) == 0:
        return 0.0
    best = float(scores.max())
    if best <= 0:
        return 0.0
    at = len(scores) - depth
    tenth = float(np.partition(scores, at)[at]) if at >= 0 else 0.0
    return (best - tenth) / best


def _standardised(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    spread = float(values.std())
    if spread < 1e-6:
        return np.zeros_like(values)
    return np.asarray((values - values.mean()) / spread, dtype=np.float32)


@dataclass(frozen=True)
class Ranked:
    passage_id: int
    score: float
    dense: float
    keyword: float
    best_sentence: int | None  # ordinal of the sentence closest in meaning, when scored
    token_match: float | None = None  # the token match, 0..1, where token match read it
