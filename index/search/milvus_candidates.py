"""Candidates for a query from a library kept in Milvus: what Ranker (candidates.py) finds in a
local index, found with Milvus's own searches, so that the same fusion ranks them alike.

- meaning: the n passages nearest to the query, and the passages of its n nearest sentences
  (Milvus vector search, inside the query's filters);
- keywords: the n best by BM25 over the same stems (Milvus's BM25 function), each candidate
  then scored by BM25 whichever way it came, and scaled by the same "perfect match" as locally;
- filters: a story filter, "exact phrases" and -exclusions become a Milvus filter expression.
  Milvus Lite has text_match (any of some words) but no phrase_match, so a phrase is looked up
  as the passages holding all its words, then checked for the words in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from index.search.candidates import dense_scores
from index.search.fusion import Candidates, Mode, SearchSettings, keyword_focus
from index.search.query import ParsedQuery
from index.store.keywords import perfect_bm25
from index.store.milvus.layout import BM25_K1
from index.store.milvus.reader import MilvusLibraryStore
from index.store.sentences import passage_of
from index.text.folding import words
from index.text.stems import query_terms, stem_words

Vectors = npt.NDArray[np.float32]
_FOCUS_DEPTH = 10  # the depth fusion.keyword_focus reads to


class MilvusCandidates:
    """CandidateFinder (candidates.py) over a MilvusLibraryStore."""

    def __init__(self, store: MilvusLibraryStore) -> None:
        self._store = store

    def candidates(
        self,
        parsed: ParsedQuery,
        vector: Vectors | None,
        *,
        mode: Mode = "hybrid",
        only: Sequence[int] | None = None,
        n: int = SearchSettings.candidates,
    ) -> Candidates:
        store = self._store
        where = self._filter(parsed, only)
        if where is None:  # the filters leave no passage
            return Candidates.none()
        found: set[int] = set()
        terms = list(dict.fromkeys(query_terms(parsed.text)))
        focus = 0.0
        if mode != "dense" and terms:
            best = store.keyword_search(terms, n, where)
            found.update(pid for _, pid in best)
            # over the whole library, as locally: its best scores are all keyword_focus reads
            library_best = best if not where else store.keyword_search(terms, _FOCUS_DEPTH)
            focus = keyword_focus(np.asarray([score for score, _ in library_best], np.float32))
        if mode != "keyword":
            assert vector is not None, "meaning needs the query's vector"
            found.update(pid for _, pid in store.dense_search_where(vector, n, where))
            near = [
                passage_of(sid)[0]
                for _, sid in store.search_vectors(store.names.sentences, vector, n)
            ]
            found.update(self._passing(near, where))
        # in the local keyword index's order, which settles ties alike
        rows = store.passages_by_id(sorted(found))
        pids = sorted(
            rows, key=lambda pid: (store.story_rank[rows[pid].story_id], rows[pid].ordinal)
        )
        zeros = np.zeros(len(pids), dtype=np.float32)
        whole, sentence = zeros, zeros
        best_sentence: list[int | None] = [None] * len(pids)
        if vector is not None and mode != "keyword" and pids:
            whole, sentence, best_sentence = dense_scores(store, vector, pids)
        keyword = zeros
        if mode != "dense" and terms and pids:
            keyword = self._keyword_shares(terms, pids)
        return Candidates(pids, whole, sentence, best_sentence, keyword, keyword_focus=focus)

    # -- filters ----------------------------------------------------------------------------

    def _filter(self, parsed: ParsedQuery, only: Sequence[int] | None) -> str | None:
        """The query's filters as a Milvus expression ("" for none), or None when they leave
        no passage."""
        conditions: list[str] = []
        if only is not None:
            if not only:
                return None
            conditions.append(f"id in {sorted(int(i) for i in only)}")
        for phrase in parsed.phrases:
            holding = self._with_phrase(words(phrase))
            if not holding:
                return None
            conditions.append(f"id in {holding}")
        for excluded in parsed.excluded:
            folded = words(excluded)
            if not folded:
                continue
            if len(folded) > 1:  # -"a phrase": that phrase exactly
                holding = self._with_phrase(folded)
                if holding:
                    conditions.append(f"id not in {holding}")
            else:  # -word: every form of the word (its stem)
                conditions.append(f"not text_match(stems, '{stem_words(folded)[0]}')")
        return " and ".join(conditions)

    def _with_phrase(self, folded: list[str]) -> list[int]:
        """The passages whose words hold `folded` in a row."""
        if not folded:
            return []
        wanted = f" {' '.join(folded)} "
        holding = self._store.ids_holding("words", list(dict.fromkeys(folded)))
        return sorted(pid for pid, text in holding.items() if wanted in f" {text} ")

    def _passing(self, pids: Sequence[int], where: str) -> list[int]:
        if not where or not pids:
            return list(pids)
        return self._store.ids_where(f"id in {sorted(set(pids))} and ({where})")

    # -- scores -----------------------------------------------------------------------------

    def _keyword_shares(self, terms: list[str], pids: list[int]) -> npt.NDArray[np.float32]:
        """Each candidate's BM25 as a share of a perfect match (KeywordIndex.perfect_score)."""
        store = self._store
        found = store.keyword_search(terms, len(pids), f"id in {pids}")
        # Milvus's BM25 multiplies each term by (k1 + 1), which bm25s's Lucene variant leaves out
        scores = {pid: score / (BM25_K1 + 1) for score, pid in found}
        raw = np.asarray([scores.get(pid, 0.0) for pid in pids], dtype=np.float32)
        held = [store.holding("stems", term) for term in terms]
        perfect = perfect_bm25(held, store.passage_count(), BM25_K1)
        return raw / np.float32(perfect) if perfect > 0 else raw
