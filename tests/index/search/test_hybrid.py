"""Hybrid search on the real model and the sample stories: names without accents, phrases,
exclusions, a single sentence inside a long paragraph, and the offsets behind each hit."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from index.build.builder import build_index
from index.embed.model import Embedder
from index.errors import QueryError
from index.search.fusion import Candidates, SearchSettings
from index.search.library import Library
from index.search.relevance import shown_relevance
from index.search.results import Hit
from index.search.token_match import TokenMatcher, TokenScores
from index.text.folding import fold, words
from index.text.stems import stems


@pytest.fixture(scope="module")
def library(seed_index: Path) -> Library:
    return Library.open(seed_index)


def _text(library: Library, hit: Hit) -> str:
    return library.story_text(hit.passage.story_id)


def test_a_name_typed_without_accents_finds_the_accented_one(library: Library) -> None:
    hits = library.search("Kalejs", k=5, mode="keyword")
    assert hits
    assert {h.passage.story_title for h in hits} == {"Sofia Kalejs"}
    assert [_text(library, hits[0])[s:e] for s, e in hits[0].why.words] == ["Kalējs"]
    # The Sofía of "Sofia Kalejs" is written with an accent throughout, the other Sofia without.
    sofia = library.search("Sofia", k=50, mode="keyword")
    assert {h.passage.story_title for h in sofia} == {"Sofia Kalejs", "Sofia Kalmurzaeva"}
    for hit in sofia:
        found = {_text(library, hit)[s:e] for s, e in hit.why.words}
        assert found <= {"Sofía", "Sofia"}
        assert found


def test_hybrid_search_for_a_name_prefers_its_story(library: Library) -> None:
    hits = library.search("Sofia Kalejs and her father", k=5)
    assert all(h.passage.story_title == "Sofia Kalejs" for h in hits[:3])


def test_a_quoted_phrase_must_appear(library: Library) -> None:
    hits = library.search('"estranged father"', k=10)
    assert [h.passage.story_title for h in hits] == ["Sofia Kalejs"]
    assert "estranged father" in hits[0].passage.text
    loose = library.search("estranged father", k=10)
    assert len(loose) > 1  # without quotes other passages come too


def test_a_quoted_name_matches_without_its_accents(library: Library) -> None:
    hits = library.search('"Sofia Kalejs" apology', k=10)
    assert hits
    assert all("Sofía Kalējs" in h.passage.text for h in hits)
    spans = [_text(library, hits[0])[s:e] for s, e in hits[0].why.words]
    assert "Sofía Kalējs" in spans


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_an_excluded_word_removes_every_passage_holding_it(library: Library, mode: str) -> None:
    query = "a ballerina in Moscow"
    assert any("moscow" in h.passage.text.casefold() for h in library.search(query, k=10))
    hits = library.search(query + " -moscow", k=10, mode=mode)  # type: ignore[arg-type]
    assert hits
    assert not any("moscow" in h.passage.text.casefold() for h in hits)


def test_an_excluded_phrase_removes_only_passages_holding_the_phrase(library: Library) -> None:
    hits = library.search('ballet company -"New York City Ballet"', k=40)
    assert not any("New York City Ballet" in h.passage.text for h in hits)
    assert any("New York City" in h.passage.text for h in hits)  # "NYC Ballet stage" etc. stay


def test_unknown_mode_is_a_query_error(library: Library) -> None:
    with pytest.raises(QueryError, match="mode"):
        library.search("ballet", mode="fuzzy")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_why_offsets_slice_back_to_matched_words_and_sentences(library: Library, mode: str) -> None:
    query = "her father apologises backstage after the performance"
    wanted = set(stems("father apologises backstage performance"))
    hits = library.search(query, k=5, mode=mode)  # type: ignore[arg-type]
    assert hits
    for hit in hits:
        story, p = _text(library, hit), hit.passage
        assert hit.why.sentences
        assert all(s in p.sentences for s in hit.why.sentences)
        for start, end in hit.why.words:
            assert p.start <= start < end <= p.end
            assert set(stems(story[start:end])) <= wanted | set(stems("her after the"))
        assert list(hit.why.words) == sorted(hit.why.words)
    assert any(hit.why.words for hit in hits)


def test_the_sentence_that_matched_is_named_first(library: Library) -> None:
    hit = library.search("her father, missing from her life, waits at the side of the stage", k=1)[
        0
    ]
    story = _text(library, hit)
    best = story[slice(*hit.why.sentences[0])]
    assert "estranged father" in best


@pytest.fixture(scope="module")
def long_paragraphs(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Library:
    """The sample stories with each story's paragraphs run together: long passages in which
    one sentence carries what a person remembers."""
    seeds = Path(__file__).resolve().parents[3] / "seeds"
    folder = tmp_path_factory.mktemp("long")
    for story in seeds.glob("*.txt"):
        text = " ".join(story.read_text(encoding="utf-8").split())
        (folder / story.name).write_text(text, encoding="utf-8")
    build_index([folder], folder / "index", embedder=embedder)
    return Library.open(folder / "index", embedder=embedder)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("the dad who walked out on her years ago turns up, crying", "estranged father"),
        ("her teacher as a child was tough but fair", "Madame Petrova"),
        ("her romance with the man running the company blew up", "fiery explosion"),
        ("drawn to the melody like an insect to a candle", "moth to flame"),
    ],
)
def test_one_sentence_in_a_long_passage_brings_its_passage_first(
    long_paragraphs: Library, query: str, sentence: str
) -> None:
    passages = [p for s in long_paragraphs.stories() for p in long_paragraphs.passages(s.id)]
    assert max(len(p.sentences) for p in passages) >= 6  # long passages indeed
    best = long_paragraphs.search(query, k=1)[0]
    assert sentence in best.passage.text
    story = long_paragraphs.story_text(best.passage.story_id)
    assert sentence in story[slice(*best.why.sentences[0])]


def test_a_reranker_reorders_the_top_passages(seed_index: Path, embedder: Embedder) -> None:
    class ShortestFirst:
        def score(self, query: str, passages: Sequence[str]) -> list[float]:
            return [-float(len(p)) for p in passages]

    with Library.open(seed_index, embedder=embedder) as lib:
        plain = lib.search("ballet", k=5)
        lib.reranker = ShortestFirst()
        reranked = lib.search("ballet", k=5)
    lengths = [len(h.passage.text) for h in reranked]
    assert lengths == sorted(lengths)
    assert [h.rank for h in reranked] == [1, 2, 3, 4, 5]
    assert [h.passage.id for h in plain] != [h.passage.id for h in reranked]


def test_folded_phrase_matching_is_whole_words(library: Library) -> None:
    ball = library.first_stage('"ball"', k=10)
    assert ball.relaxed == ('"ball"',)  # "ballet" and "ballerina" are not the word "ball"
    assert library.first_stage('"ballet"', k=3).relaxed == ()
    dancing = library.search('"dancer"', k=50)
    assert all("dancer" in fold(h.passage.text) for h in dancing)  # not "dance" or "danced"


def test_an_excluded_word_leaves_out_all_its_forms(library: Library) -> None:
    hits = library.search("ballet stage -dance", k=50)
    assert hits
    assert not any(
        w in words(h.passage.text) for h in hits for w in ("dance", "dances", "danced", "dancing")
    )


def _candidates(keyword: list[float], sentence: list[float]) -> Candidates:
    n = len(keyword)
    return Candidates(
        passage_ids=list(range(n)),
        whole=np.zeros(n, dtype=np.float32),
        sentence=np.asarray(sentence, dtype=np.float32),
        best_sentence=[0] * n,
        keyword=np.asarray(keyword, dtype=np.float32),
    )


def test_keywords_that_single_out_a_passage_outweigh_meaning() -> None:
    meaning = [0.5] + [0.4] * 11
    named = _candidates([0.05] * 11 + [0.6], meaning)  # one passage holds the rare name
    assert named.focus() > 0.9
    assert named.ranked(1, "hybrid", SearchSettings())[0].passage_id == 11
    assert named.ranked(1, "dense", SearchSettings())[0].passage_id == 0


def test_keywords_that_many_passages_share_leave_the_ranking_to_meaning() -> None:
    meaning = [0.5] + [0.4] * 11
    common = _candidates([0.3] * 11 + [0.32], meaning)  # a common word, everywhere
    assert common.focus() < 0.1
    assert common.ranked(1, "hybrid", SearchSettings())[0].passage_id == 0
    assert common.ranked(1, "keyword", SearchSettings())[0].passage_id == 11


# -- token match: the hybrid's second stage (index/search/token_match.py) ------------------------


@pytest.mark.parametrize(
    ("query", "marker"),
    [
        (
            "she walks onto a stage bathed in sunshine, grinning at the spectators, while "
            "secretly crushed by hopes placed on her",
            "façade of elegance",
        ),
        (
            "the critics adored her loveliness when she returned as the company's star",
            "full circle",
        ),
    ],
)
def test_token_match_puts_a_paraphrased_detail_first(
    library: Library, query: str, marker: str
) -> None:
    # Written for this test, not taken from the evaluation set; pooled vectors miss both.
    shipped = library.settings
    library.settings = replace(shipped, rerank_depth=0)  # the first stage alone
    try:
        assert marker not in library.search(query, k=1)[0].passage.text
    finally:
        library.settings = shipped
    assert marker not in library.search(query, k=1, token_match=False)[0].passage.text
    assert marker in library.search(query, k=1)[0].passage.text


def test_token_match_reorders_only_the_first_stages_best(library: Library) -> None:
    query = "she walks onto a stage bathed in sunshine, grinning at the spectators"
    found = library.score_candidates(query)
    settings = library.settings
    assert found.tokens is not None
    assert len(found.token_rows) == min(settings.rerank_depth, len(found.passage_ids))
    first = found.first_stage(settings)
    assert list(found.token_rows) == list(
        np.argsort(-first, kind="stable")[: len(found.token_rows)]
    )
    ranked = found.ranked(len(found.passage_ids), "hybrid", settings)
    reranked = {found.passage_ids[i] for i in found.token_rows}
    depth = len(reranked)
    assert {r.passage_id for r in ranked[:depth]} == reranked
    rest = [r.passage_id for r in ranked[depth:]]
    by_first = [found.passage_ids[i] for i in np.argsort(-first, kind="stable")[depth:]]
    assert rest == by_first  # the others keep the first stage's order, below
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)


def test_dense_and_keyword_modes_have_no_token_stage(library: Library) -> None:
    for mode in ("dense", "keyword"):
        assert library.score_candidates("a ballerina in Moscow", mode=mode).tokens is None


def test_token_vectors_are_normalised_and_slice_back_to_the_text(embedder: Embedder) -> None:
    text = "Sofía stepped onto the sun-kissed stage."
    [(vectors, spans)] = embedder.token_vectors([text])
    assert len(vectors) == len(spans) > 5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert "".join(text[s:e] for s, e in spans).replace("##", "") == "".join(text.split())


def test_query_tokens_of_content_words_come_first(embedder: Embedder) -> None:
    matcher = TokenMatcher(embedder.token_vectors)
    query = matcher.query("the sunlight on her, and the crowd")
    [(vectors, spans)] = embedder.token_vectors(["the sunlight on her, and the crowd"])
    text = "the sunlight on her, and the crowd"
    content_words = {text[s:e] for s, e in spans} - {"the", "on", "her", ",", "and"}
    assert query.content == sum(text[s:e] in content_words for s, e in spans)
    assert 0 < query.content < len(query.vectors) == len(vectors)


def test_token_scores_weigh_stopword_tokens_by_function_weight() -> None:
    scores = TokenScores(
        content=np.array([0.8, 0.6], dtype=np.float32),
        function=np.array([0.2, 0.9], dtype=np.float32),
        content_count=3,
        function_count=2,
    )
    assert np.allclose(scores.combined(0.0), [0.8, 0.6])
    assert np.allclose(scores.combined(1.0), [(3 * 0.8 + 2 * 0.2) / 5, (3 * 0.6 + 2 * 0.9) / 5])
    assert scores.combined(0.0)[0] > scores.combined(0.0)[1]
    assert scores.combined(1.0)[0] < scores.combined(1.0)[1]  # stopwords can tip the order


def test_passages_without_stored_tokens_are_read_once_while_cached() -> None:
    calls: list[list[str]] = []

    def encode(texts: Sequence[str]) -> list[tuple[npt.NDArray[np.float32], list[tuple[int, int]]]]:
        calls.append(list(texts))
        out = []
        for text in texts:
            vectors = np.eye(4, dtype=np.float32)[: len(text.split())]
            spans, at = [], 0
            for word in text.split():
                at = text.index(word, at)
                spans.append((at, at + len(word)))
                at += len(word)
            out.append((vectors, spans))
        return out

    texts = {1: "red", 2: "green", 3: "blue"}

    def texts_of(ids: list[int]) -> dict[int, str]:
        return {pid: texts[pid] for pid in ids}

    matcher = TokenMatcher(encode, cache_passages=2)  # an index without stored tokens
    query = matcher.query("red blue")
    first = matcher.scores(query, [1, 2], texts_of)
    assert first.content[0] == pytest.approx(0.5)  # "red" matches, "blue" does not
    assert calls == [["red blue"], ["red", "green"]]
    matcher.scores(query, [1, 2], texts_of)
    assert calls == [["red blue"], ["red", "green"]]  # both were cached
    matcher.scores(query, [3], texts_of)  # evicts passage 1, the least recently used
    matcher.scores(query, [2, 1], texts_of)
    assert calls[-1] == ["red"]


@pytest.mark.parametrize(
    "query",
    [
        "ballerina -dance",
        "the critics adored her loveliness when she returned as the company's star",
        "a dancer doubts she is good enough",
        "Kalejs",
    ],
)
def test_the_relevance_shown_never_rises_down_the_list(library: Library, query: str) -> None:
    shown = [h.relevance for h in library.search(query, k=10)]
    assert shown
    assert all(0.0 <= r <= 1.0 for r in shown)
    assert shown == sorted(shown, reverse=True)
    assert shown[0] > 0.2  # a real answer is not shown as irrelevant


def test_the_relevance_shown_is_the_word_by_word_match_that_ordered_the_hits(
    library: Library,
) -> None:
    """Drawn from the passages' cosine, capped by every hit above, the bars of this query read
    0.49 then 0.40 nine times; the token match that ordered the hits tells them apart, and
    tells its right passage (the one where Camilla fears she will never be good enough) from
    the rest."""
    hits = library.search("a dancer doubts she is good enough", k=10)
    assert all(h.why.token_match is not None for h in hits)  # all were read word by word
    matched = [h.why.token_match for h in hits]
    shown = [h.relevance for h in hits]
    assert shown == shown_relevance([m for m in matched if m is not None])  # never rising
    assert max(abs(a - b) for a, b in zip(shown, matched, strict=True) if b) < 0.01  # nearly
    # in token match's order already (keywords also weigh in the order)
    assert "Camilla" in hits[0].passage.text
    assert hits[0].relevance - hits[1].relevance > 0.1
    shown = [round(h.relevance, 2) for h in hits]
    shown_twice = sum(a == b for a, b in itertools.pairwise(shown))
    assert shown_twice <= 3  # drawn from the cosine: eight
    nonsense = library.search("quantum chromodynamics on a lattice", k=10)
    assert nonsense[0].relevance < hits[0].relevance - 0.3  # one scale across queries
    named = library.search("Kalejs", k=3)  # the name itself, in each of her passages
    assert all(h.relevance > 0.8 for h in named)


def test_hits_tell_their_closeness_in_meaning_on_a_fixed_scale(library: Library) -> None:
    query = "the critics adored her loveliness when she returned as the company's star"
    hits = library.search(query, k=10)
    assert any(not 0 <= h.score <= 1 for h in hits)  # token match's fused score has no scale
    assert all(0 < h.similarity <= 1 and h.similarity == h.why.dense for h in hits)
    alike = library.similar(hits[0].passage.id, k=3)
    assert all(h.similarity == h.score for h in alike)  # similar() scores are cosines


def test_a_small_story_filter_does_not_make_common_words_look_rare(
    seeds: Path, tmp_path: Path, fake_embedder: Embedder
) -> None:
    """Keywords weigh in as far as they single out a few passages of the library; inside a
    filter of fewer passages than the focus looks at, every query once looked focused."""
    (seeds / "short.txt").write_text(
        "She danced on the stage.\n\nThe stage was dark.\n\nShe went home.", "utf-8"
    )
    build_index([seeds], tmp_path / "ix", embedder=fake_embedder)
    with Library.open(tmp_path / "ix", embedder=fake_embedder) as lib:
        query = "she danced on the stage"
        everywhere = lib.first_stage(query, k=5).candidates
        short = lib.find_story("Short")
        inside = lib.first_stage(query, k=5, stories=[short.id]).candidates
        assert len(inside.passage_ids) < 10
        assert everywhere.focus() < 0.9
        assert inside.focus() == pytest.approx(everywhere.focus())


def test_one_forward_pass_reads_a_query_as_the_two_separate_ones_do(embedder: Embedder) -> None:
    text = "she moved so smoothly it seemed otherworldly"
    vector, tokens, spans = embedder.read_query(text)
    [(separate_tokens, separate_spans)] = embedder.token_vectors([text])
    assert spans == separate_spans
    assert np.allclose(tokens, separate_tokens, atol=2e-2)  # bf16 batches round differently
    assert float((vector @ embedder.encode([text]).T)[0, 0]) > 0.999
