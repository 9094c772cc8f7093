"""Candidates: the passages worth ranking for a query, each scored on every signal.

A passage is a candidate when it comes in the top n of any ranking the mode uses (passage
vectors, sentence vectors, keywords) and passes the query's filters (story filter, "phrases",
-exclusions). The ranker reads what it needs through a LibraryStore (a data port the store
implements, index/store/port.py), so it holds no database or vector file of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from index.search.fusion import Candidates, Mode, SearchSettings, keyword_focus
from index.search.query import ParsedQuery, phrase_pattern
from index.store.keywords import KeywordIndex
from index.store.phrases import PhraseIndex
from index.store.port import LibraryStore
from index.store.sentences import SentenceIndex, passage_of, sentence_ids_of
from index.text.folding import fold, words
from index.text.stems import query_terms, stem_words

Vectors = npt.NDArray[np.float32]


class CandidateFinder(Protocol):
    """Finds and scores a query's candidates in one kind of store: Ranker here for the local
    generation, MilvusCandidates (index/search/milvus_candidates.py) for Milvus."""

    def candidates(
        self,
        parsed: ParsedQuery,
        vector: Vectors | None,
        *,
        mode: Mode = "hybrid",
        only: Sequence[int] | None = None,
        n: int = SearchSettings.candidates,
    ) -> Candidates: ...


class Ranker:
    def __init__(
        self,
        store: LibraryStore,
        sentences: SentenceIndex,
        keywords: KeywordIndex,
        phrases: PhraseIndex | None = None,
    ) -> None:
        self._store = store
        self._sentences = sentences
        self._keywords = keywords
        self._phrases = phrases  # None: phrases are matched in each passage's text instead

    def candidates(
        self,
        parsed: ParsedQuery,
        vector: Vectors | None,
        *,
        mode: Mode = "hybrid",
        only: Sequence[int] | None = None,
        n: int = SearchSettings.candidates,
    ) -> Candidates:
        """The passages that pass the filters and come in the top n of a ranking the mode
        uses (passages, sentences, keywords), each scored on every part the mode needs.
        `vector` is the query's embedding (None in keyword mode)."""
        allowed = self._allowed(parsed, only)
        rows_found: set[int] = set()
        keyword = None
        if allowed is None or allowed.any():
            if mode != "dense":
                keyword = self._keyword_scores(parsed)
                rows_found.update(self._top_rows(keyword, allowed, n))
            if mode != "keyword":
                assert vector is not None, "meaning needs the query's vector"
                rows_found.update(self._dense_candidates(vector, allowed, n))
        rows = sorted(rows_found)
        pids = [int(self._keywords.passage_ids[r]) for r in rows]
        zeros = np.zeros(len(rows), dtype=np.float32)
        whole, sentence = zeros, zeros
        best: list[int | None] = [None] * len(rows)
        if vector is not None and mode != "keyword":
            whole, sentence, best = dense_scores(self._store, vector, pids)
        kw = keyword[rows] if keyword is not None else zeros
        # How far keywords single out a few passages is a property of the query over the whole
        # library: inside a filter of a few passages their scores alone would always look focused.
        focus = keyword_focus(keyword) if keyword is not None else 0.0
        return Candidates(pids, whole, sentence, best, kw, keyword_focus=focus)

    # -- filters --------------------------------------------------------------------------------

    def _allowed(
        self, parsed: ParsedQuery, only: Sequence[int] | None
    ) -> npt.NDArray[np.bool_] | None:
        """Rows a hit may come from, or None for all of them."""
        mask: npt.NDArray[np.bool_] | None = None
        size = len(self._keywords)
        if only is not None:
            mask = np.zeros(size, dtype=bool)
            rows = [self._keywords.row_of(pid) for pid in only]
            mask[[r for r in rows if r is not None]] = True
        for phrase in parsed.phrases:
            inside = self._rows_with(phrase, exact=True)
            mask = inside if mask is None else mask & inside
        for excluded in parsed.excluded:
            # -word leaves out every form of the word (stem); -"a phrase" that phrase exactly
            inside = self._rows_with(excluded, exact=len(words(excluded)) > 1)
            mask = ~inside if mask is None else mask & ~inside
        return mask

    def _rows_with(self, phrase: str, *, exact: bool) -> npt.NDArray[np.bool_]:
        """Rows whose text holds `phrase` (whole words, accents and case aside), or with
        exact=False a word of the same stem."""
        mask = np.zeros(len(self._keywords), dtype=bool)
        folded = words(phrase)
        if not folded:
            return mask
        if exact and self._phrases is not None:
            mask[self._phrases.rows_with(folded)] = True
            return mask
        terms = stem_words(folded)
        rows = self._keywords.rows_containing(terms[0])
        for term in terms[1:]:
            rows = np.intersect1d(rows, self._keywords.rows_containing(term))
        if not exact:
            mask[rows] = True
            return mask
        pattern = phrase_pattern(phrase)
        pids = [int(self._keywords.passage_ids[r]) for r in rows]
        texts = self._store.texts(pids)
        for row, pid in zip(rows, pids, strict=True):
            if pattern.search(fold(texts[pid])):
                mask[row] = True
        return mask

    # -- scores ---------------------------------------------------------------------------------

    def _keyword_scores(self, parsed: ParsedQuery) -> npt.NDArray[np.float32]:
        terms = query_terms(parsed.text)
        raw = self._keywords.scores(terms)
        perfect = self._keywords.perfect_score(terms)
        return raw / perfect if perfect > 0 else raw

    def _top_rows(
        self, scores: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None, n: int
    ) -> list[int]:
        """The n best-scoring rows that hold at least one query word."""
        masked = scores if allowed is None else np.where(allowed, scores, 0.0)
        n = min(n, len(masked))
        if n == 0:
            return []
        top = np.argpartition(-masked, n - 1)[:n]
        return [int(r) for r in top if masked[r] > 0]

    def _dense_candidates(
        self, vector: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None, n: int
    ) -> list[int]:
        only = None
        if allowed is not None:
            only = [int(pid) for pid in self._keywords.passage_ids[allowed]]
        rows: list[int] = []
        for _score, pid in self._store.dense_search(vector, n, only):
            row = self._keywords.row_of(pid)
            if row is not None:
                rows.append(row)
        if len(self._sentences):
            _scores, ids = self._sentences.best(vector, n)
            for sid in ids:
                if sid < 0:
                    continue
                row = self._keywords.row_of(passage_of(int(sid))[0])
                if row is not None and (allowed is None or allowed[row]):
                    rows.append(row)
        return rows


def dense_scores(
    store: LibraryStore, vector: Vectors, pids: Sequence[int]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], list[int | None]]:
    """(passage cosine, best sentence cosine, best sentence ordinal) of each passage; a
    passage without sentence vectors counts as its own best sentence."""
    query = vector.reshape(-1)
    whole = (store.passage_vectors(pids) @ query).astype(np.float32)
    counts_of = store.sentence_counts(pids)
    flat, counts = sentence_ids_of(pids, [counts_of.get(pid, 0) for pid in pids])
    starts = np.cumsum(counts) - counts
    try:
        sims = store.sentence_vectors(flat) @ query
    except KeyError:  # sentence rows without vectors: rank by the passages alone
        return whole, whole.copy(), [None] * len(pids)
    best_score = whole.copy()
    best: list[int | None] = [None] * len(pids)
    has = np.flatnonzero(counts)
    if len(has):
        top = np.maximum.reduceat(sims, starts[has])
        best_score[has] = top
        # the first sentence of each passage that reaches its passage's best
        passage_of_row = np.repeat(np.arange(len(has)), counts[has])
        at_top = np.flatnonzero(sims == top[passage_of_row])
        first_at_top = at_top[np.unique(passage_of_row[at_top], return_index=True)[1]]
        for i, row in zip(has, first_at_top, strict=True):
            best[i] = passage_of(int(flat[row]))[1]
    return whole, best_score, best
