"""Search on the real model over the real sample stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import QueryError
from index.search.fusion import Mode
from index.search.library import Library
from tests.fake_embedder import FakeEmbedder

# Paraphrases that share none of the passage's key words: what a reader would remember and type.
PARAPHRASES = [
    (
        "her dad, long gone from her life, turns up after the show to say sorry",
        "Sofia Kalejs",
        "estranged father",
    ),
    (
        "she falls for a musician she meets at a nightclub in the Russian capital",
        "Sofia Kalmurzaeva",
        "underground club",
    ),
    (
        "the split with the man in charge of the company left her wounded",
        "Camilla Roche",
        "fiery explosion",
    ),
    (
        "as a girl in Central Asia her mum and dad backed her wish to train",
        "Romy Baktybekova",
        "Growing up in Kazakhstan",
    ),
]


@pytest.fixture(scope="module")
def library(seed_index: Path) -> Library:
    return Library.open(seed_index)


@pytest.mark.parametrize(("query", "title", "marker"), PARAPHRASES)
def test_paraphrased_query_finds_its_passage_first(
    library: Library, query: str, title: str, marker: str
) -> None:
    best = library.search(query, k=5)[0]
    assert best.passage.story_title == title
    assert marker in best.passage.text


def test_hits_carry_offsets_that_slice_the_story_and_their_neighbours(library: Library) -> None:
    hits = library.search("a dancer doubts she is good enough", k=10, context=True)
    assert [h.rank for h in hits] == list(range(1, 11))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        p = hit.passage
        story = library.story_text(p.story_id)
        assert story[p.start : p.end] == p.text
        assert all(p.start <= s < e <= p.end for s, e in p.sentences)
        assert (hit.before is None) == (p.ordinal == 0)
        assert (hit.after is None) == (p.ordinal == p.story_passage_count - 1)
        if hit.before is not None:
            assert hit.before.ordinal == p.ordinal - 1
            assert story[hit.before.start : hit.before.end] == hit.before.text
            assert all(hit.before.start <= s < e <= hit.before.end for s, e in hit.before.sentences)
        if hit.after is not None:
            assert hit.after.ordinal == p.ordinal + 1
            assert story[hit.after.start : hit.after.end] == hit.after.text


def test_neighbours_are_fetched_only_when_asked_for(library: Library) -> None:
    hits = library.search("a dancer doubts she is good enough", k=10)
    assert all(h.before is None and h.after is None for h in hits)
    assert any(h.before is not None for h in library.search("a dancer", k=10, context=True))


def test_search_within_chosen_stories_only(library: Library) -> None:
    romy = library.find_story("romy-baktybekova.txt")
    hits = library.search("her father apologises", k=3, stories=[romy.id])
    assert hits
    assert {h.passage.story_id for h in hits} == {romy.id}


def test_similar_never_returns_the_passage_itself_and_can_leave_its_story(
    library: Library,
) -> None:
    source = library.search("estranged father apologises", k=1)[0].passage
    same = library.similar(source.id, k=5)
    assert source.id not in {h.passage.id for h in same}
    others = library.similar(source.id, k=5, other_stories=True)
    assert others
    assert source.story_id not in {h.passage.story_id for h in others}


@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_empty_query_is_a_clear_error(library: Library, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        library.search(query)


def test_a_ten_thousand_character_query_is_embedded_whole(library: Library) -> None:
    sentence = "Her long-lost father came back to apologise after her show. "
    query = (sentence * (10_000 // len(sentence) + 1))[:10_000]
    tokens = library.embedder.tokens
    assert tokens.count(query) > tokens.max_tokens  # the model alone would truncate it
    best = library.search(query, k=1)[0]
    assert "estranged father" in best.passage.text


def test_stories_and_their_passages_in_order(library: Library) -> None:
    stories = library.stories()
    assert sorted(s.title for s in stories) == [
        "Camilla Roche",
        "Romy Baktybekova",
        "Sofia Kalejs",
        "Sofia Kalmurzaeva",
    ]
    for story in stories:
        passages = library.passages(story.id)
        assert [p.ordinal for p in passages] == list(range(story.passage_count))
        assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_unknown_story_name_lists_the_stories(library: Library) -> None:
    with pytest.raises(QueryError, match="Camilla Roche"):
        library.find_story("no such story")


def test_similar_within_chosen_stories(library: Library) -> None:
    source = library.search("estranged father apologises", k=1)[0].passage
    romy = library.find_story("romy-baktybekova.txt")
    hits = library.similar(source.id, k=3, stories=[romy.id])
    assert hits
    assert {h.passage.story_id for h in hits} == {romy.id}
    assert library.similar(source.id, k=3, stories=[source.story_id], other_stories=True) == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_search_answers_as_its_two_stages_do_in_every_mode(
    fake_seed_index: Path, fake_embedder: FakeEmbedder, mode: Mode
) -> None:
    with Library.open(fake_seed_index, embedder=fake_embedder) as lib:
        query = "her dad turns up after the show"
        first = lib.first_stage(query, k=5, mode=mode, context=True)
        refined = lib.refine(first)
        found = lib.search(query, k=5, mode=mode, context=True)  # skips the first stage's hits
    assert [h.passage.id for h in found] == [h.passage.id for h in refined]
    assert [h.relevance for h in found] == [h.relevance for h in refined]
    assert all(h.before is not None or h.passage.ordinal == 0 for h in found)
    if mode != "hybrid":
        assert [h.passage.id for h in found] == [h.passage.id for h in first.hits]
