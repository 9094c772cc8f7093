"""Late interaction: a passage scored by how well each word of the query finds its match among
the passage's words, both read in context by the same model (no other model).

One vector per passage or per sentence is the mean of its token vectors: the detail a paraphrase
recalls ("sunlight" for "sun-kissed", "songwriter" for "musician") is averaged with everything
else the passage says, and among passages that share a theme the pooled vectors barely differ.
Token vectors keep it: each query token takes its best cosine over the passage's word tokens
(MaxSim, as in ColBERT; a passage's punctuation is not kept, as ColBERT's document side drops
it), and the passage scores their mean. Query tokens of content words weigh 1, those
of stopwords and punctuation SearchSettings.function_weight (0.5, chosen on the tune halves of
the public data with stored, compressed token vectors: a stopword finds a close match in almost
any passage, and compression adds to that noise; without them proverbs did worse).

The passages' token vectors are stored by the build, compressed (index/store/tokens.py), so a
search runs the model on the query alone. A passage without stored tokens (an index built
before they were stored) is read by the model here, and kept in memory for the next query.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.embed.outputs import passage_tokens
from index.store.port import StoredTokens
from index.store.vectors import one_numpy_blas_thread
from index.text.folding import WORD, fold
from index.text.stems import is_stopword

Vectors = npt.NDArray[np.float32]
Spans = list[tuple[int, int]]
Encode = Callable[[Sequence[str]], list[tuple[Vectors, Spans]]]
Texts = Callable[[list[int]], Mapping[int, str]]  # passage texts by id


@dataclass(frozen=True)
class QueryTokens:
    vectors: Vectors  # one normalised row per query token, content words first
    content: int  # how many rows are content words (the rest: stopwords and punctuation)


@dataclass(frozen=True)
class TokenScores:
    """Per passage, the mean best cosine of the query's content tokens and of the rest."""

    content: npt.NDArray[np.float32]
    function: npt.NDArray[np.float32]
    content_count: int
    function_count: int

    def combined(self, function_weight: float) -> npt.NDArray[np.float32]:
        n_c, n_f = self.content_count, function_weight * self.function_count
        if n_c + n_f <= 0:
            return np.zeros_like(self.content)
        return ((n_c * self.content + n_f * self.function) / (n_c + n_f)).astype(np.float32)


class TokenMatcher:
    def __init__(
        self, encode: Encode, stored: StoredTokens | None = None, cache_passages: int = 512
    ) -> None:
        self._encode = encode
        self._stored = stored
        self.cache_passages = cache_passages
        self._cache: OrderedDict[int, npt.NDArray[np.float16]] = OrderedDict()
        self._lock = threading.Lock()

    def query(self, text: str) -> QueryTokens:
        [(vectors, spans)] = self._encode([text])
        return query_tokens(text, vectors, spans)

    def scores(self, query: QueryTokens, ids: Sequence[int], texts: Texts) -> TokenScores:
        """MaxSim of the query against each passage of `ids`, in that order. Stored tokens are
        decoded; `texts` gives the text of any passage without them, for the model to read."""
        stored = self._stored
        on_disk = [pid for pid in ids if stored is not None and pid in stored]
        if stored is not None and len(on_disk) == len(ids):
            # All stored (any index built since they are): the decoded rows are already one
            # matrix in the order of `ids`, compared as they are, without a copy.
            matrix, counts = stored.vectors(list(ids))
        else:
            tokens: dict[int, Vectors] = {}
            if on_disk and stored is not None:
                decoded, on_disk_counts = stored.vectors(on_disk)
                parts = np.split(decoded, np.cumsum(on_disk_counts)[:-1])
                tokens.update(zip(on_disk, parts, strict=True))
            tokens.update(self._read([pid for pid in ids if pid not in tokens], texts))
            passages = [tokens[pid] for pid in ids]
            counts = [len(p) for p in passages]
            matrix = np.concatenate(passages) if passages else np.empty((0, 0), np.float32)
        content = np.zeros(len(ids), dtype=np.float32)
        function = np.zeros(len(ids), dtype=np.float32)
        n_c = query.content
        sizes = np.asarray(counts, dtype=np.int64)
        scored = np.flatnonzero(sizes)  # a passage without tokens keeps 0
        if len(scored):
            starts = (np.cumsum(sizes) - sizes)[scored]
            with one_numpy_blas_thread():
                similarity = query.vectors @ matrix.T
            best = np.maximum.reduceat(similarity, starts, axis=1)  # query tokens x passages
            if n_c:
                content[scored] = best[:n_c].mean(axis=0)
            if len(best) > n_c:
                function[scored] = best[n_c:].mean(axis=0)
        return TokenScores(content, function, n_c, len(query.vectors) - n_c)

    def _read(self, ids: list[int], texts: Texts) -> dict[int, Vectors]:
        """Token vectors by the model, for passages the index has none of; cached. The model
        runs outside the cache's lock, so searches in two threads wait for each other only to
        look up and store."""
        with self._lock:
            missing = [pid for pid in ids if pid not in self._cache]
        read: dict[int, npt.NDArray[np.float16]] = {}
        if missing:
            text = texts(missing)
            encoded = self._encode([text[pid] for pid in missing])
            read = {  # the tokens a build stores of a passage
                pid: passage_tokens(text[pid], vectors, spans).astype(np.float16)
                for pid, (vectors, spans) in zip(missing, encoded, strict=True)
            }
        with self._lock:
            self._cache.update(read)
            for pid in ids:
                self._cache.move_to_end(pid)
            found = {pid: read.get(pid, self._cache.get(pid)) for pid in ids}
            while len(self._cache) > self.cache_passages:
                self._cache.popitem(last=False)
        return {pid: v.astype(np.float32) for pid, v in found.items() if v is not None}


def query_tokens(text: str, vectors: Vectors, spans: Spans) -> QueryTokens:
    """A query's token vectors (Embedder.token_vectors), content words first."""
    content = content_tokens(text, spans)
    if not content.any():  # a query of stopwords only: every token counts as content
        content[:] = True
    order = np.concatenate([np.flatnonzero(content), np.flatnonzero(~content)])
    return QueryTokens(vectors[order], int(content.sum()))


def content_tokens(text: str, spans: Spans) -> npt.NDArray[np.bool_]:
    """Which tokens lie in a word that is neither a stopword nor free of letters."""
    folded = fold(text)
    source = folded if len(folded) == len(text) else text.casefold()
    found = [(m.start(), m.end(), m.group()) for m in WORD.finditer(source)]
    starts = [start for start, _, _ in found]
    content = np.zeros(len(spans), dtype=bool)
    for i, (start, _end) in enumerate(spans):
        at = bisect.bisect_right(starts, start) - 1
        if at >= 0 and start < found[at][1]:
            word = found[at][2]
            content[i] = not is_stopword(word) and any(c.isalpha() for c in word)
    return content
