"""Ranking: meaning (whole passage and best sentence) fused with keywords (BM25), with filters.

dense score   = (1 - s) * cos(query, passage) + s * max cos(query, sentence of the passage)
keyword score = BM25 / (BM25 of a passage holding every query word at saturation): 0..1
focus         = (best keyword score - 10th best) / best keyword score, per query: 0..1
first stage   = dense + w * focus^p * keyword
token match   = mean over query tokens of their best cosine with a passage token (MaxSim, in
                context, index/token_match.py); stopword tokens weigh f, content words 1
hybrid score  = for the first stage's top R: z(token match) + a * z(dense) + b * focus^p * keyword
                (z: standardised over those R), ranked above the rest, which keep their order

Pooled vectors (of a passage or a sentence) average a paraphrased detail away among passages
that share a theme; matching the query token by token keeps it. Keywords weigh in as far as they
single out a few passages: a query that names a person, a place or a rare word has one or two
passages far above the rest (focus near 1); a paraphrase or a proverb shares only common words
with many passages about equally (focus near 0) and is left to meaning. On half of the public
evaluation data s is tuned first (meaning alone), then w and p, then f, a and b, so that no kind
of collection gets worse than its better single signal; all are reported on the other half
(benchmarks/eval). Reciprocal-rank fusion and a plain weighted sum did worse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import regex

from index.folding import WORD, FoldedText, fold, words
from index.keywords import KeywordIndex, query_terms, stem_words, stems
from index.query import ParsedQuery
from index.sentence_vectors import SentenceIndex, passage_of, sentence_ids
from index.token_match import TokenScores

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
Span = tuple[int, int]


@dataclass(frozen=True)
class SearchSettings:
    # Tuned by benchmarks/eval on the tune halves of the public sets (see its README).
    sentence_weight: float = 1.0  # s above: share of the best sentence in the dense score
    keyword_weight: float = 3.0  # w above
    focus_power: float = 2.0  # p above: how sharply a flat keyword ranking is discounted
    candidates: int = 200  # passages and sentences fetched from each ranking before fusing
    rerank_depth: int = 30  # R above: the first stage's best passages that token matching reorders
    function_weight: float = 1.0  # f above: weight of a query's stopword and punctuation tokens
    rerank_dense: float = 0.0  # a above
    rerank_keyword: float = 0.0  # b above


@dataclass(frozen=True)
class Why:
    """Why a passage matched, in story offsets, so the window can highlight it."""

    sentences: tuple[Span, ...] = ()  # the sentence(s) that drove the score, best first
    words: tuple[Span, ...] = ()  # query words and phrases found in the passage, in order
    dense: float = 0.0  # meaning score (cosine, passage and best sentence combined)
    keyword: float = 0.0  # keyword score, 0..1


@dataclass(frozen=True)
class Candidates:
    """Every passage worth ranking for one query, with each part of its score."""

    passage_ids: list[int]
    whole: npt.NDArray[np.float32]  # cosine of query and passage vector (0 if not scored)
    sentence: npt.NDArray[np.float32]  # cosine of query and the passage's best sentence
    best_sentence: list[int | None]  # ordinal of that sentence
    keyword: npt.NDArray[np.float32]  # BM25 share, 0..1 (0 if not scored)
    tokens: TokenScores | None = None  # token match of the rows in token_rows (hybrid only)
    token_rows: tuple[int, ...] = ()  # the first stage's best rows, best first

    def dense(self, settings: SearchSettings) -> npt.NDArray[np.float32]:
        s = settings.sentence_weight
        return ((1 - s) * self.whole + s * self.sentence).astype(np.float32)

    def first_stage(self, settings: SearchSettings) -> npt.NDArray[np.float32]:
        focus = self.focus() ** settings.focus_power
        score = self.dense(settings) + settings.keyword_weight * focus * self.keyword
        return np.asarray(score, dtype=np.float32)

    def focus(self, depth: int = 10) -> float:
        """How far the best keyword match stands above the depth-th: 0 (flat) to 1 (alone)."""
        if len(self.keyword) == 0:
            return 0.0
        ordered = np.sort(self.keyword)[::-1]
        best = float(ordered[0])
        if best <= 0:
            return 0.0
        tenth = float(ordered[depth - 1]) if len(ordered) >= depth else 0.0
        return (best - tenth) / best

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
        return [
            Ranked(
                self.passage_ids[i],
                float(score[i]),
                float(dense[i]),
                float(self.keyword[i]),
                self.best_sentence[i],
            )
            for i in order
        ]

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


class PassageSource:
    """What ranking needs from the store and the passage vectors, as plain callables."""

    def __init__(
        self,
        *,
        texts: Callable[[Sequence[int]], dict[int, str]],
        sentence_counts: Callable[[Sequence[int]], dict[int, int]],
        passage_vectors: Callable[[Sequence[int]], npt.NDArray[np.float32]],
        dense_search: Callable[
            [npt.NDArray[np.float32], int, Sequence[int] | None], list[tuple[float, int]]
        ],
        token_match: Callable[[str, Sequence[int]], TokenScores] | None = None,
    ) -> None:
        self.texts = texts
        self.sentence_counts = sentence_counts
        self.passage_vectors = passage_vectors
        self.dense_search = dense_search
        self.token_match = token_match  # (query text, passage ids) -> their token match


class Ranker:
    def __init__(
        self, source: PassageSource, sentences: SentenceIndex, keywords: KeywordIndex
    ) -> None:
        self._source = source
        self._sentences = sentences
        self._keywords = keywords

    def rank(
        self,
        parsed: ParsedQuery,
        vector: npt.NDArray[np.float32] | None,
        k: int,
        *,
        mode: Mode = "hybrid",
        only: Sequence[int] | None = None,
        settings: SearchSettings = SearchSettings(),
    ) -> list[Ranked]:
        """The k best passages; `vector` is the query's embedding (None in keyword mode)."""
        n = max(settings.candidates, k)
        found = self.candidates(parsed, vector, mode=mode, only=only, n=n, settings=settings)
        return found.ranked(k, mode, settings)

    def candidates(
        self,
        parsed: ParsedQuery,
        vector: npt.NDArray[np.float32] | None,
        *,
        mode: Mode = "hybrid",
        only: Sequence[int] | None = None,
        n: int = SearchSettings.candidates,
        settings: SearchSettings = SearchSettings(),
    ) -> Candidates:
        """The passages that pass the filters and come in the top n of a ranking the mode
        uses (passages, sentences, keywords), each scored on every part the mode needs; in
        hybrid mode the first stage's best settings.rerank_depth also by token match."""
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
            whole, sentence, best = self._dense_scores(vector, pids)
        kw = keyword[rows] if keyword is not None else zeros
        found = Candidates(pids, whole, sentence, best, kw)
        match = self._source.token_match
        if mode != "hybrid" or match is None or settings.rerank_depth <= 0 or not pids:
            return found
        first = found.first_stage(settings)
        top = [int(i) for i in np.argsort(-first, kind="stable")[: settings.rerank_depth]]
        tokens = match(parsed.text, [pids[i] for i in top])
        return replace(found, tokens=tokens, token_rows=tuple(top))

    # -- filters --------------------------------------------------------------------------------

    def _allowed(self, parsed: ParsedQuery, only: Sequence[int] | None) -> npt.NDArray[np.bool_]:
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
        return mask  # type: ignore[return-value]  # None means "no filter"

    def _rows_with(self, phrase: str, *, exact: bool) -> npt.NDArray[np.bool_]:
        """Rows whose text holds `phrase` (whole words, accents and case aside), or with
        exact=False a word of the same stem."""
        mask = np.zeros(len(self._keywords), dtype=bool)
        terms = stems(phrase)
        if not terms:
            return mask
        rows = self._keywords.rows_containing(terms[0])
        for term in terms[1:]:
            rows = np.intersect1d(rows, self._keywords.rows_containing(term))
        if not exact:
            mask[rows] = True
            return mask
        pattern = phrase_pattern(phrase)
        pids = [int(self._keywords.passage_ids[r]) for r in rows]
        texts = self._source.texts(pids)
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
        for _score, pid in self._source.dense_search(vector, n, only):
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

    def _dense_scores(
        self, vector: npt.NDArray[np.float32], pids: Sequence[int]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], list[int | None]]:
        """(passage cosine, best sentence cosine, best sentence ordinal) of each passage; a
        passage without sentence vectors counts as its own best sentence."""
        query = vector.reshape(-1)
        whole = (self._source.passage_vectors(pids) @ query).astype(np.float32)
        counts = self._source.sentence_counts(pids)
        ids = [sentence_ids(pid, counts.get(pid, 0)) for pid in pids]
        flat = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
        try:
            sims = self._sentences.vectors(flat) @ query
        except KeyError:  # sentence rows without vectors: rank by the passages alone
            return whole, whole.copy(), [None] * len(pids)
        best_score = whole.copy()
        best: list[int | None] = [None] * len(pids)
        at = 0
        for i, sid in enumerate(ids):
            if len(sid):
                part = sims[at : at + len(sid)]
                j = int(np.argmax(part))
                best_score[i], best[i] = part[j], j
            at += len(sid)
        return whole, best_score, best


def phrase_pattern(phrase: str) -> regex.Pattern[str]:
    """Whole folded words of `phrase` in order, with any non-word characters between them."""
    parts = [regex.escape(w) for w in words(phrase)]
    return regex.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)")


def explain(
    ranked: Ranked,
    passage_text: str,
    passage_start: int,
    sentences: Sequence[Span],
    parsed: ParsedQuery,
) -> Why:
    """The sentence(s) behind a hit and the query words in it, as story offsets."""
    folded = FoldedText.of(passage_text)
    matches = _matched_words(folded, parsed)
    found = tuple((passage_start + s, passage_start + e) for s, e in matches)
    chosen: list[Span] = []
    if ranked.best_sentence is not None and ranked.best_sentence < len(sentences):
        chosen.append(sentences[ranked.best_sentence])
    if found and sentences:
        by_words = max(sentences, key=lambda s: sum(s[0] <= a and b <= s[1] for a, b in found))
        if by_words not in chosen and any(by_words[0] <= a and b <= by_words[1] for a, b in found):
            chosen.append(by_words)
    return Why(tuple(chosen), found, ranked.dense, ranked.keyword)


def _matched_words(folded: FoldedText, parsed: ParsedQuery) -> list[Span]:
    wanted = set(query_terms(parsed.text))
    spans: list[Span] = []
    tokens = list(WORD.finditer(folded.text))
    token_stems = stem_words([t.group() for t in tokens])
    spans.extend(
        folded.span(t.start(), t.end())
        for t, stem in zip(tokens, token_stems, strict=True)
        if stem in wanted
    )
    for phrase in parsed.phrases:
        spans.extend(
            folded.span(m.start(), m.end()) for m in phrase_pattern(phrase).finditer(folded.text)
        )
    return _merged(spans)


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
