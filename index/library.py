"""Reading an index: search, "more like this", and browsing stories and passages.

lib = Library.open()                # the default index; the model loads on first query
for hit in lib.search("a dancer doubts she is good enough", k=5):
    print(hit.score, hit.passage.story_title, hit.passage.text)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.errors import IndexIncompatible, QueryError
from index.hybrid import (
    MODES,
    Candidates,
    Mode,
    PassageSource,
    Ranked,
    Ranker,
    SearchSettings,
    explain,
)
from index.keywords import KeywordIndex
from index.layout import DATABASE_NAME, VECTORS_NAME, IndexDir
from index.model import Embedder, Vectors
from index.passages import split_passages
from index.query import ParsedQuery, literal_query, parse_query
from index.rerank import RERANK_DEPTH, Reranker
from index.results import Hit, IndexInfo, Passage, Story
from index.search_files import read_search_files
from index.sentence_vectors import SentenceIndex
from index.store import PassageRow, Store, StoryRow
from index.token_match import TokenMatcher, TokenScores
from index.vectors import VectorIndex, one_numpy_blas_thread

MAX_K = 1000


class Library:
    """An open index generation. Safe to share between threads (a lock guards SQLite)."""

    def __init__(
        self,
        layout: IndexDir,
        generation: Path,
        store: Store,
        vectors: VectorIndex,
        embedder: Embedder,
        *,
        sentences: SentenceIndex,
        keywords: KeywordIndex,
    ) -> None:
        self.layout = layout
        self.generation = generation
        self._store = store
        self._vectors = vectors
        self.embedder = embedder
        self._lock = threading.RLock()
        self._stories = {row.id: row for row in store.stories()}
        self.settings = SearchSettings()  # benchmarks/eval varies these; the defaults are tuned
        self.reranker: Reranker | None = None  # see index/rerank.py; none ships
        self.token_matcher = TokenMatcher(embedder.token_vectors)  # its cache size may be set
        self._ranker = Ranker(self._passage_source(), sentences, keywords)

    @classmethod
    def open(
        cls, index_dir: str | Path | None = None, *, embedder: Embedder | None = None
    ) -> Library:
        """Open the live generation; a foreign model, old format or damage gives a clear error."""
        from index.paths import default_index_dir

        layout = IndexDir(Path(index_dir) if index_dir is not None else default_index_dir())
        generation = layout.current()
        store = Store.open(generation / DATABASE_NAME)
        try:
            meta = store.meta()
            vectors = VectorIndex.read(generation / VECTORS_NAME)
            if str(vectors.dimension) != meta.get("dimension"):
                raise IndexIncompatible(
                    f"The vectors have {vectors.dimension} dimensions but the index records "
                    f"{meta.get('dimension')}. Rebuild the index (`storylens index --rebuild`)."
                )
            if len(vectors) != store.passage_count():
                raise IndexIncompatible(
                    f"The index holds {len(vectors)} vectors for {store.passage_count()} "
                    "passages. Rebuild the index (`storylens index --rebuild`)."
                )
            sentences, keywords = read_search_files(generation)
            if len(keywords) != len(vectors) or sentences.dimension != vectors.dimension:
                raise IndexIncompatible(
                    "The keyword or sentence index does not match the passages. "
                    "Rebuild the index (`storylens index --rebuild`)."
                )
            embedder = embedder or Embedder(meta.get("model_ref"))
            if embedder.name != meta.get("model_name"):
                raise IndexIncompatible(
                    f"This index was built with model {meta.get('model_name')}, not "
                    f"{embedder.name}. Search it with that model, or rebuild it (`--rebuild`)."
                )
        except BaseException:
            store.close()
            raise
        return cls(
            layout, generation, store, vectors, embedder, sentences=sentences, keywords=keywords
        )

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- browsing -----------------------------------------------------------------------------

    def info(self) -> IndexInfo:
        with self._lock:
            return IndexInfo(
                path=self.layout.path,
                generation=self.generation.name,
                stories=len(self._stories),
                passages=len(self._vectors),
                meta=self._store.meta(),
                sources=self._store.sources()[0],
            )

    def stories(self) -> list[Story]:
        return [_story(row) for row in self._stories.values()]

    def story_text(self, story_id: int) -> str:
        with self._lock:
            return self._store.story_text(story_id)

    def passages(self, story_id: int) -> list[Passage]:
        """A story's passages in reading order."""
        with self._lock:
            text = self._store.story_text(story_id)
            return [self._passage(row, text) for row in self._store.story_passages(story_id)]

    def passage(self, passage_id: int) -> Passage:
        with self._lock:
            row = self._store.passages_by_id([passage_id]).get(passage_id)
            if row is None:
                raise QueryError(f"No passage {passage_id} in this index.")
            return self._passage(row)

    def find_story(self, name: str) -> Story:
        """A story by title or file name, case-insensitively; for --story on the command line."""
        wanted = name.casefold()
        matches = [
            row
            for row in self._stories.values()
            if wanted in (row.title.casefold(), Path(row.path).name.casefold(), row.path.casefold())
            or Path(row.path).stem.casefold() == wanted
        ]
        if len(matches) != 1:
            titles = ", ".join(sorted(r.title for r in self._stories.values()))
            what = "No story" if not matches else "More than one story"
            raise QueryError(f"{what} is called {name!r}. Stories: {titles}")
        return _story(matches[0])

    # -- search -------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        stories: Sequence[int] | None = None,
        *,
        mode: Mode = "hybrid",
        literal: bool = False,
        token_match: bool = True,
    ) -> list[Hit]:
        """The k best passages for `query`, optionally within some stories.

        "hybrid" fuses meaning (passage and best sentence) with keywords; "dense" is meaning
        alone, "keyword" BM25 alone. The query may hold "exact phrases" and -excluded words
        (index/query.py) unless `literal`, for text that is not typed as a query (a passage).
        Each hit says why it matched (Hit.why). `token_match=False` leaves out hybrid's second
        stage (index/token_match.py), which re-reads passages with the model: milliseconds
        instead of a few hundred, for a first answer to show while the full one is computed.
        """
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}; choose one of {', '.join(MODES)}.")
        k = _check_k(k)
        parsed = parse_query(query) if not literal else literal_query(query)
        vector = self.embed_query(parsed.text) if mode != "keyword" else None
        with self._lock, one_numpy_blas_thread():  # under the lock: the limit is process-wide
            only = None
            if stories is not None:
                only = self._store.passage_ids_of_stories(stories)
                if not only:
                    return []
            depth = max(k, RERANK_DEPTH) if self.reranker is not None else k
            settings = self.settings if token_match else replace(self.settings, rerank_depth=0)
            ranked = self._ranker.rank(
                parsed, vector, depth, mode=mode, only=only, settings=settings
            )
            if self.reranker is not None:
                ranked = self._reranked(parsed.text, ranked)[:k]
            rows = self._store.passages_by_id([r.passage_id for r in ranked])
            return [
                self._explained_hit(rank, r, rows[r.passage_id], parsed)
                for rank, r in enumerate(ranked, start=1)
            ]

    def score_candidates(
        self,
        query: str,
        *,
        vector: Vectors | None = None,
        mode: Mode = "hybrid",
        n: int | None = None,
    ) -> Candidates:
        """What search() ranks, before ranking: each candidate with every part of its score.
        For tuning and evaluation (benchmarks/eval); `vector` saves re-embedding the query."""
        parsed = parse_query(query)
        if vector is None and mode != "keyword":
            vector = self.embed_query(parsed.text)
        with self._lock:
            return self._ranker.candidates(
                parsed,
                vector,
                mode=mode,
                n=n if n is not None else self.settings.candidates,
                settings=self.settings,
            )

    def similar(
        self,
        passage_id: int,
        k: int = 10,
        *,
        other_stories: bool = False,
        stories: Sequence[int] | None = None,
    ) -> list[Hit]:
        """ "More like this": passages closest to a stored passage (never the passage itself),
        by cosine of the passage vectors; optionally only from some stories."""
        source = self.passage(passage_id)
        try:
            vector = self._vectors.vector(passage_id)[None, :]
        except KeyError:
            raise QueryError(f"No vector for passage {passage_id}; rebuild the index.") from None
        with self._lock:
            leave_out = set(
                self._store.passage_ids_of_stories([source.story_id])
                if other_stories
                else [passage_id]
            )
            if stories is not None:
                only = [
                    pid
                    for pid in self._store.passage_ids_of_stories(stories)
                    if pid not in leave_out
                ]
                return self._hits(vector, _check_k(k), only=only) if only else []
        return self._hits(vector, _check_k(k), exclude=sorted(leave_out))

    def embed_query(self, query: str) -> Vectors:
        """One normalised vector. A query longer than the model reads is embedded in sentence
        chunks that each fit, and their mean is used: nothing of the query is cut off."""
        text = query.strip()
        if not text:
            raise QueryError("The query is empty: type what you are looking for.")
        tokens = self.embedder.tokens
        if tokens.count(text) <= tokens.max_tokens:
            return self.embedder.encode([text])
        chunks = [text[p.start : p.end] for p in split_passages(text, tokens)]
        mean = self.embedder.encode(chunks).mean(axis=0, keepdims=True)
        normalised: Vectors = (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(
            np.float32
        )
        return normalised

    def _hits(
        self,
        vector: Vectors,
        k: int,
        *,
        only: Sequence[int] | None = None,
        exclude: Sequence[int] | None = None,
    ) -> list[Hit]:
        if len(self._vectors) == 0:
            return []
        scores, ids = self._vectors.search(vector, k, only=only, exclude=exclude)
        found = [(float(s), int(i)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]
        with self._lock:
            rows = self._store.passages_by_id([pid for _, pid in found])
            hits = []
            for rank, (score, pid) in enumerate(found, start=1):
                row = rows[pid]
                hits.append(
                    Hit(
                        rank=rank,
                        score=score,
                        passage=self._passage(row),
                        before=self._neighbour(row, -1),
                        after=self._neighbour(row, +1),
                    )
                )
            return hits

    def _reranked(self, query: str, ranked: list[Ranked]) -> list[Ranked]:
        assert self.reranker is not None
        texts = self._passage_source().texts([r.passage_id for r in ranked])
        scores = self.reranker.score(query, [texts[r.passage_id] for r in ranked])
        order = sorted(range(len(ranked)), key=lambda i: -float(scores[i]))
        return [replace(ranked[i], score=float(scores[i])) for i in order]

    def _explained_hit(
        self, rank: int, ranked: Ranked, row: PassageRow, parsed: ParsedQuery
    ) -> Hit:
        passage = self._passage(row)
        return Hit(
            rank=rank,
            score=ranked.score,
            passage=passage,
            before=self._neighbour(row, -1),
            after=self._neighbour(row, +1),
            why=explain(ranked, passage.text, passage.start, passage.sentences, parsed),
        )

    def _passage_source(self) -> PassageSource:
        """The store and vectors as the ranker sees them; called with the lock held."""

        def texts(ids: Sequence[int]) -> dict[int, str]:
            rows = self._store.passages_by_id(ids)
            return {
                pid: self._store.slice_story(row.story_id, row.start, row.end)
                for pid, row in rows.items()
            }

        def dense_search(
            vector: Vectors, n: int, only: Sequence[int] | None
        ) -> list[tuple[float, int]]:
            if len(self._vectors) == 0:
                return []
            scores, ids = self._vectors.search(vector, n, only=only)
            return [(float(s), int(i)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

        def token_match(query: str, ids: Sequence[int]) -> TokenScores:
            found = texts(ids)
            matcher = self.token_matcher
            return matcher.scores(matcher.query(query), {pid: found[pid] for pid in ids})

        return PassageSource(
            texts=texts,
            sentence_counts=self._store.sentence_counts,
            passage_vectors=self._vectors.vectors,
            dense_search=dense_search,
            token_match=token_match,
        )

    def _neighbour(self, row: PassageRow, step: int) -> Passage | None:
        other = self._store.passage_at(row.story_id, row.ordinal + step)
        return self._passage(other) if other else None

    def _passage(self, row: PassageRow, story_text: str | None = None) -> Passage:
        story = self._stories[row.story_id]
        text = (
            story_text[row.start : row.end]
            if story_text is not None
            else self._store.slice_story(row.story_id, row.start, row.end)
        )
        return Passage(
            id=row.id,
            story_id=row.story_id,
            story_title=story.title,
            ordinal=row.ordinal,
            story_passage_count=story.passage_count,
            start=row.start,
            end=row.end,
            text=text,
            sentences=tuple(self._store.sentences(row.id)),
        )


def _story(row: StoryRow) -> Story:
    return Story(
        id=row.id,
        title=row.title,
        path=row.path,
        passage_count=row.passage_count,
        source_format=row.source_format,
    )


def _check_k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, not {k}.")
    return k
