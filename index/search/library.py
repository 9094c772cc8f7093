"""Reading an index: search, "more like this", and browsing stories and passages.

lib = Library.open()                # the default index; the model loads on first query
for hit in lib.search("a dancer doubts she is good enough", k=5):
    print(hit.score, hit.passage.story_title, hit.passage.text)

A hybrid search has two stages (index/search/fusion.py): `first_stage()` finds and ranks the
candidates, `refine()` reorders its best by token match against the passages' stored token
vectors (index/store/tokens.py); `search()` does both, in tens of milliseconds. An index built
before token vectors were stored has the model read those passages instead (seconds), so the
window shows such an index's first stage, then the refined answer.
The model never runs while the database lock is held, so a story load or a comparison submitted
meanwhile does not wait for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.embed.model import Embedder, Vectors
from index.errors import IndexCorrupt, IndexIncompatible, QueryError
from index.paths import bundled_seeds_dir, path_from_text, path_text
from index.search.candidates import CandidateFinder, Ranker
from index.search.explain import explain
from index.search.fusion import MODES, Candidates, Mode, Ranked, SearchSettings
from index.search.query import ParsedQuery, literal_query, parse_query
from index.search.relevance import evidence, shown_relevance
from index.search.rerank import RERANK_DEPTH, Reranker
from index.search.results import Hit, IndexInfo, Passage, Story, Why
from index.search.token_match import QueryTokens, TokenMatcher, query_tokens
from index.store.build_record import Skipped, read_build_record
from index.store.collections import Collection, group_stories
from index.store.database import PassageRow, StoryRow, passage_tokens_of
from index.store.generation import Generation
from index.store.generations import IndexDir
from index.store.milvus import is_milvus_address
from index.store.named_sets import read_named_sets
from index.store.port import LibraryStore
from index.store.sentences import sentence_ids_of
from index.store.vectors import one_numpy_blas_thread
from index.text.passages import split_passages

MAX_K = 1000

Neighbours = dict[tuple[int, int], Passage]  # by (story id, ordinal)


@dataclass(frozen=True)
class FirstStage:
    """A search's first answer and what refine() needs to reorder it without redoing it."""

    query: ParsedQuery
    mode: Mode
    k: int
    candidates: Candidates
    hits: list[Hit]  # the first stage's k best, ready to show ([] when not asked for)
    context: bool  # whether hits carry their neighbouring passages
    relaxed: tuple[str, ...] = ()  # phrases and exclusions set aside: they would leave nothing
    tokens: QueryTokens | None = None  # the query's token vectors, when read with its vector
    asked: tuple[str, ...] = ()  # every phrase and exclusion the query held, set aside or not


class Library:
    """An open index generation with the model that reads it. Safe to share between threads."""

    def __init__(
        self,
        layout: IndexDir | None,
        store: LibraryStore,
        embedder: Embedder,
        ranker: CandidateFinder,
    ) -> None:
        self.layout = layout  # None for a library kept in Milvus: no local folder
        self._store = store
        self.embedder = embedder
        self._stories = {row.id: row for row in store.stories()}
        self._sources = store.sources()[0]
        # The longest passage the index was cut at (None: paragraphs up to the model's
        # limit); a query too long for the model is cut alike.
        self.passage_tokens = passage_tokens_of(store.meta)
        # A story whose file is gone is still searched; the window marks it. A library kept
        # in Milvus holds the texts itself, and its files are on the machine that indexed it.
        self._offline = (
            {row.id for row in self._stories.values() if not path_from_text(row.path).is_file()}
            if layout is not None
            else set()
        )
        self.settings = SearchSettings()  # benchmarks/eval varies these; the defaults are tuned
        self.reranker: Reranker | None = None  # see index/search/rerank.py; none ships
        self.token_matcher = TokenMatcher(embedder.token_vectors, store.tokens)
        self._ranker = ranker

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        *,
        embedder: Embedder | None = None,
        precision: str = "auto",
    ) -> Library:
        """Open the live generation; a foreign model, old format or damage gives a clear error.
        Without `embedder`, the index's model is loaded in `precision`: any, whatever the index
        was built in, since float32 and bfloat16 rank alike (tests/index/embed/test_model.py)."""
        from index.paths import default_index_dir

        if index_dir is not None and is_milvus_address(str(index_dir)):
            return cls._open_milvus(str(index_dir), embedder, precision)
        layout = IndexDir(Path(index_dir) if index_dir is not None else default_index_dir())
        generation = _open_live(layout)
        try:
            embedder = _embedder_for(generation.meta, embedder, precision)
        except BaseException:
            generation.close()
            raise
        ranker = Ranker(generation, generation.sentences, generation.keywords, generation.phrases)
        return cls(layout, generation, embedder, ranker)

    @classmethod
    def _open_milvus(cls, address: str, embedder: Embedder | None, precision: str) -> Library:
        """A library kept in Milvus (index/store/milvus/): read-only here; `storylens index
        --index milvus:...` publishes to it."""
        from index.search.milvus_candidates import MilvusCandidates
        from index.store.milvus.reader import MilvusLibraryStore

        store = MilvusLibraryStore.open(address)
        try:
            embedder = _embedder_for(store.meta, embedder, precision)
        except BaseException:
            store.close()
            raise
        return cls(None, store, embedder, MilvusCandidates(store))

    def skipped(self) -> list[Skipped]:
        """The files the build that made this index left out, and why (none from an index
        built before they were recorded)."""
        try:
            return read_build_record(self._store.path).skipped
        except (OSError, ValueError, KeyError, TypeError):
            return []

    @property
    def stores_token_vectors(self) -> bool:
        """Whether token match reads stored codes (milliseconds), not the passages with the
        model (seconds: an index built before they were stored)."""
        return self._store.tokens is not None

    @property
    def generation(self) -> Path:
        """The directory of the generation this library reads."""
        return self._store.path

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- browsing -----------------------------------------------------------------------------

    def info(self) -> IndexInfo:
        return IndexInfo(
            path=self.layout.path if self.layout is not None else self.generation,
            generation=self.generation.name,
            stories=len(self._stories),
            passages=self._store.passage_count(),
            meta=dict(self._store.meta),
            sources=list(self._sources),
        )

    def stories(self) -> list[Story]:
        """Every story, each marked offline when its file cannot be found now."""
        return [_story(row, row.id in self._offline) for row in self._stories.values()]

    def story_text(self, story_id: int) -> str:
        return self._store.story_text(story_id)

    def passages(self, story_id: int) -> list[Passage]:
        """A story's passages in reading order."""
        store = self._store
        text = store.story_text(story_id)
        rows = store.story_passages(story_id)
        sentences = store.sentences_of([row.id for row in rows])
        return [self._passage(row, text[row.start : row.end], sentences[row.id]) for row in rows]

    def stored_vectors(self, passages: Sequence[Passage]) -> tuple[Vectors, list[Vectors]]:
        """The passages' vectors and each one's sentence vectors (one per Passage.sentences
        span), as the index stores them: no model pass. Where sentence vectors are missing, a
        passage's own vector stands for its one sentence."""
        ids = [p.id for p in passages]
        whole = self._store.passage_vectors(ids)
        flat, counts = sentence_ids_of(ids, [len(p.sentences) for p in passages])
        try:
            sentences = self._store.sentence_vectors(flat)
        except KeyError:
            return whole, [whole[i : i + 1] for i in range(len(ids))]
        split = np.split(sentences, np.cumsum(counts)[:-1]) if ids else []
        return whole, [part if len(part) else whole[i : i + 1] for i, part in enumerate(split)]

    def story_passage_ids(self, story_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each of these stories' passage ids in reading order (none for an unknown id)."""
        by_story = self._store.passage_ids_by_story()
        return {story_id: by_story.get(story_id, []) for story_id in story_ids}

    def story_vectors(self, story_ids: Sequence[int]) -> list[Vectors]:
        """Each story's stored passage vectors in reading order (no model pass, no texts read):
        what pictures of the whole library are made from."""
        by_story = self.story_passage_ids(story_ids)
        ids = [by_story[story_id] for story_id in story_ids]
        flat = [passage_id for its in ids for passage_id in its]
        vectors = self._store.passage_vectors(flat)
        return np.split(vectors, np.cumsum([len(its) for its in ids])[:-1]) if ids else []

    def passage(self, passage_id: int) -> Passage:
        found, _ = self._passages([passage_id])
        if passage_id not in found:
            raise QueryError(f"No passage {passage_id} in this index.")
        return found[passage_id]

    def collections(self) -> list[Collection]:
        """The stories grouped by the folder they were added with (index/store/collections.py),
        in the order the folders were added, then the collections gathered by hand."""
        return group_stories(
            [(row.id, row.path) for row in self._stories.values()],
            self._sources,
            samples_root=path_text(bundled_seeds_dir()),
            named=read_named_sets(self.layout.path) if self.layout is not None else [],
        )

    def stories_in(self, names: Sequence[str]) -> list[int]:
        """The ids of the stories in the collections named (for `--in`), in library order."""
        collections = self.collections()
        chosen: set[int] = set()
        for name in names:
            found = [c for c in collections if c.matches(name)]
            if not found:
                known = "; ".join(c.name for c in collections) or "none"
                raise QueryError(f"No collection is called {name!r}. Collections: {known}")
            chosen.update(found[0].story_ids)
        return [story_id for story_id in self._stories if story_id in chosen]

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
        return _story(matches[0], matches[0].id in self._offline)

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
        context: bool = False,
    ) -> list[Hit]:
        """The k best passages for `query`, optionally within some stories.

        "hybrid" fuses meaning (passage and best sentence) with keywords; "dense" is meaning
        alone, "keyword" BM25 alone. The query may hold "exact phrases" and -excluded words
        (index/search/query.py) unless `literal`, for text that is not typed as a query (a
        passage). Each hit says why it matched (Hit.why); with `context` it also carries the
        passages before and after it. `token_match=False` stops after the first stage.
        """
        first = self.first_stage(
            query, k, stories, mode=mode, literal=literal, context=context, hits=not token_match
        )
        return self.refine(first) if token_match else first.hits

    def first_stage(
        self,
        query: str,
        k: int = 10,
        stories: Sequence[int] | None = None,
        *,
        mode: Mode = "hybrid",
        literal: bool = False,
        context: bool = False,
        hits: bool = True,
    ) -> FirstStage:
        """Everything of a search but token match. See search(). `hits=False` leaves out
        building the first stage's hits (FirstStage.hits is then []), for a caller that only
        wants the refined answer; refine() builds its own."""
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}; choose one of {', '.join(MODES)}.")
        k = _check_k(k)
        parsed = parse_query(query) if not literal else literal_query(query)
        vector, tokens = self._read_query(parsed.text, mode)
        only = None
        if stories is not None:
            only = self._store.passage_ids_of_stories(stories)
        candidates = Candidates.none()
        asked = parsed.constraints
        relaxed: tuple[str, ...] = ()
        if only is None or only:
            n = max(self.settings.candidates, k)
            with one_numpy_blas_thread():
                candidates = self._ranker.candidates(parsed, vector, mode=mode, only=only, n=n)
                if not candidates.passage_ids and parsed.constraints:
                    # No passage has every phrase and lacks every exclusion: rather than
                    # nothing, the closest that meet what can be met, saying what was set aside.
                    parsed, candidates = self._what_can_be_met(parsed, vector, mode, only, n)
                    relaxed = tuple(c for c in asked if c not in parsed.constraints)
        ranked = candidates.ranked(k, mode, self._first_stage_settings())
        shown = self._explained_hits(ranked, parsed, context) if hits else []
        return FirstStage(parsed, mode, k, candidates, shown, context, relaxed, tokens, asked)

    def _what_can_be_met(
        self,
        parsed: ParsedQuery,
        vector: Vectors | None,
        mode: Mode,
        only: Sequence[int] | None,
        n: int,
    ) -> tuple[ParsedQuery, Candidates]:
        """The query keeping each of its phrases, then each exclusion, in the order typed, that
        some passage meets together with those kept before it; and its candidates. `ballet "a
        purple elephant" -Moscow`, where no passage has the phrase, still leaves out Moscow."""
        kept = parsed.relaxed()
        found = self._ranker.candidates(kept, vector, mode=mode, only=only, n=n)
        if not found.passage_ids:
            return kept, found
        additions = [((p,), ()) for p in parsed.phrases] + [((), (e,)) for e in parsed.excluded]
        for phrases, excluded in additions:
            trial = replace(kept, phrases=kept.phrases + phrases, excluded=kept.excluded + excluded)
            if trial == parsed:  # every one kept so far and this too: the query, known to fail
                continue
            met = self._ranker.candidates(trial, vector, mode=mode, only=only, n=n)
            if met.passage_ids:
                kept, found = trial, met
        return kept, found

    def refine(self, first: FirstStage) -> list[Hit]:
        """The final answer: in hybrid mode the first stage's best reordered by token match
        (and by the reranker, when one is set); other modes are final after the first stage."""
        settings = self.settings
        candidates = first.candidates
        reorders = first.mode == "hybrid" and settings.rerank_depth > 0
        if not reorders and self.reranker is None:
            if first.hits or not candidates.passage_ids:
                return first.hits
            ranked = candidates.ranked(first.k, first.mode, self._first_stage_settings())
            return self._explained_hits(ranked, first.query, first.context)  # hits=False
        if reorders and candidates.passage_ids:
            candidates = self._token_matched(first.query, candidates, first.tokens)
        depth = max(first.k, RERANK_DEPTH) if self.reranker is not None else first.k
        ranked = candidates.ranked(depth, first.mode, settings)
        if self.reranker is not None:
            ranked = self._reranked(first.query.text, ranked)[: first.k]
        return self._explained_hits(ranked, first.query, first.context)

    def score_candidates(
        self,
        query: str,
        *,
        vector: Vectors | None = None,
        mode: Mode = "hybrid",
        n: int | None = None,
    ) -> Candidates:
        """What search() ranks, before ranking: each candidate with every part of its score,
        token match included in hybrid mode. For tuning and evaluation (benchmarks/eval);
        `vector` saves re-embedding the query."""
        parsed = parse_query(query)
        if vector is None and mode != "keyword":
            vector = self.embed_query(parsed.text)
        size = n if n is not None else self.settings.candidates
        with one_numpy_blas_thread():
            found = self._ranker.candidates(parsed, vector, mode=mode, n=size)
        if mode == "hybrid" and self.settings.rerank_depth > 0 and found.passage_ids:
            found = self._token_matched(parsed, found)
        return found

    def similar(
        self,
        passage_id: int,
        k: int = 10,
        *,
        other_stories: bool = False,
        stories: Sequence[int] | None = None,
        context: bool = False,
    ) -> list[Hit]:
        """ "More like this": passages closest to a stored passage (never the passage itself),
        by cosine of the passage vectors; optionally only from some stories."""
        k = _check_k(k)
        source = self.passage(passage_id)
        try:
            vector = self._store.passage_vectors([passage_id])
        except KeyError:
            raise QueryError(f"No vector for passage {passage_id}; rebuild the index.") from None
        store = self._store
        leave_out = set(
            store.passage_ids_of_stories([source.story_id]) if other_stories else [passage_id]
        )
        only = None
        if stories is not None:
            only = [p for p in store.passage_ids_of_stories(stories) if p not in leave_out]
            if not only:
                return []
        exclude = None if only is not None else sorted(leave_out)
        found = self._store.dense_search(vector, k, only, exclude)
        passages, near = self._passages([pid for _, pid in found], context=context)
        relevance = shown_relevance([score for score, _ in found])
        return [
            _hit(rank, score, passages[pid], Why(dense=score), near, relevance=relevance[rank - 1])
            for rank, (score, pid) in enumerate(found, start=1)
        ]

    def embed_query(self, query: str) -> Vectors:
        """One normalised vector. A query longer than the model reads is embedded in sentence
        chunks that each fit, and their mean is used: nothing of the query is cut off."""
        text = query.strip()
        if not text:
            raise QueryError("The query is empty: type what you are looking for.")
        if self._fits_model(text):
            return self.embedder.encode_queries([text])
        cut = split_passages(text, self.embedder.tokens, max_tokens=self.passage_tokens)
        chunks = [text[p.start : p.end] for p in cut]
        mean = self.embedder.encode_queries(chunks).mean(axis=0, keepdims=True)
        normalised: Vectors = (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(
            np.float32
        )
        return normalised

    # -- the stages' parts --------------------------------------------------------------------

    def _first_stage_settings(self) -> SearchSettings:
        return replace(self.settings, rerank_depth=0)

    def _read_query(self, text: str, mode: Mode) -> tuple[Vectors | None, QueryTokens | None]:
        """The query's vector (None in keyword mode) and, for a hybrid search of a query the
        model reads whole, its token vectors from the same forward pass."""
        if mode == "keyword":
            return None, None
        stripped = text.strip()
        if mode != "hybrid" or not stripped or not self._fits_model(stripped):
            return self.embed_query(text), None
        vector, tokens, spans = self.embedder.read_query(stripped)
        return vector, query_tokens(stripped, tokens, spans)

    def _fits_model(self, text: str) -> bool:
        """Whether the model reads `text` whole (else it is embedded in chunks)."""
        tokens = self.embedder.tokens
        return tokens.count(text) <= tokens.max_tokens

    def _token_matched(
        self, parsed: ParsedQuery, candidates: Candidates, tokens: QueryTokens | None = None
    ) -> Candidates:
        """The candidates with their first stage's best scored by token match: the query's
        token vectors (read now unless given) against the passages' stored ones (or, in an
        index without them, the passages read by the model, with no lock held)."""
        rows = candidates.token_rows_to_match(self.settings)
        ids = [candidates.passage_ids[i] for i in rows]
        matcher = self.token_matcher
        query = tokens if tokens is not None else matcher.query(parsed.text)
        scores = matcher.scores(query, ids, self._store.texts)
        return candidates.with_tokens(scores, rows)

    def _reranked(self, query: str, ranked: list[Ranked]) -> list[Ranked]:
        assert self.reranker is not None
        texts = self._store.texts([r.passage_id for r in ranked])
        scores = self.reranker.score(query, [texts[r.passage_id] for r in ranked])
        order = sorted(range(len(ranked)), key=lambda i: -float(scores[i]))
        return [
            Ranked(
                ranked[i].passage_id,
                float(scores[i]),
                ranked[i].dense,
                ranked[i].keyword,
                ranked[i].best_sentence,
            )
            for i in order
        ]

    def _explained_hits(
        self, ranked: Sequence[Ranked], parsed: ParsedQuery, context: bool
    ) -> list[Hit]:
        passages, near = self._passages([r.passage_id for r in ranked], context=context)
        whys = [explain(r, passages[r.passage_id], parsed) for r in ranked]
        relevance = shown_relevance([evidence(why) for why in whys])
        return [
            _hit(rank, r.score, passages[r.passage_id], why, near, relevance=relevance[rank - 1])
            for rank, (r, why) in enumerate(zip(ranked, whys, strict=True), start=1)
        ]

    def _passages(
        self, ids: Sequence[int], *, context: bool = False
    ) -> tuple[dict[int, Passage], Neighbours]:
        """The passages with these ids, in four statements however many there are; with
        `context` also their neighbours, by (story id, ordinal)."""
        store = self._store
        rows = store.passages_by_id(ids)
        near: dict[tuple[int, int], PassageRow] = {}
        if context:
            places = [(r.story_id, r.ordinal + step) for r in rows.values() for step in (-1, 1)]
            near = store.passages_at(places)
        wanted = [*rows, *(r.id for r in near.values())]
        texts = store.texts(wanted)
        sentences = store.sentences_of(wanted)
        neighbours = {
            place: self._passage(r, texts[r.id], sentences[r.id]) for place, r in near.items()
        }
        return {
            pid: self._passage(r, texts[pid], sentences[pid]) for pid, r in rows.items()
        }, neighbours

    def _passage(self, row: PassageRow, text: str, sentences: Sequence[tuple[int, int]]) -> Passage:
        story = self._stories[row.story_id]
        return Passage(
            id=row.id,
            story_id=row.story_id,
            story_title=story.title,
            ordinal=row.ordinal,
            story_passage_count=story.passage_count,
            start=row.start,
            end=row.end,
            text=text,
            sentences=tuple(sentences),
        )


def _embedder_for(meta: dict[str, str], embedder: Embedder | None, precision: str) -> Embedder:
    """The model a library was built with (loaded unless given); another model's vectors would
    not compare with the stored ones."""
    embedder = embedder or Embedder(meta.get("model_ref"), precision=precision)
    if embedder.name != meta.get("model_name"):
        raise IndexIncompatible(
            f"This index was built with model {meta.get('model_name')}, not "
            f"{embedder.name}. Search it with that model, or rebuild it (`--rebuild`)."
        )
    return embedder


def _open_live(layout: IndexDir) -> Generation:
    """The live generation. A writer may publish the next one and remove this one between
    reading CURRENT and opening its files: that is no damage, so the new one is opened. Damage
    is reported only when the generation CURRENT names failed and is still the one named."""
    seen = layout.current()
    for _ in range(_SWITCHES):
        try:
            return Generation.open(seen)
        except IndexCorrupt:
            now = layout.current()
            if now == seen:
                raise
            seen = now
    return Generation.open(seen)


_SWITCHES = 10  # generations published while one reader opens: far more than a writer makes


def _hit(
    rank: int, score: float, passage: Passage, why: Why, near: Neighbours, *, relevance: float
) -> Hit:
    return Hit(
        rank=rank,
        score=score,
        passage=passage,
        before=near.get((passage.story_id, passage.ordinal - 1)),
        after=near.get((passage.story_id, passage.ordinal + 1)),
        why=why,
        relevance=relevance,
    )


def _story(row: StoryRow, offline: bool) -> Story:
    return Story(
        id=row.id,
        title=row.title,
        path=row.path,
        passage_count=row.passage_count,
        source_format=row.source_format,
        offline=offline,
    )


def _check_k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, not {k}.")
    return k
