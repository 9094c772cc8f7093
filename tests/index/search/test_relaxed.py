"""No query, however odd, raises or comes back empty on a non-empty library without saying why:
phrases and exclusions nothing satisfies are set aside, and the answer says which. The relevance
shown never rises down the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import QueryError
from index.search.library import Library
from index.search.query import parse_query
from tests.fake_embedder import FakeEmbedder


@pytest.fixture(scope="module")
def library(fake_seed_index: Path, fake_embedder: FakeEmbedder) -> Library:
    return Library.open(fake_seed_index, embedder=fake_embedder)


def test_a_phrase_nobody_wrote_gives_the_closest_passages_without_it(library: Library) -> None:
    first = library.first_stage('ballet "the purple elephant"', k=5)
    assert first.relaxed == ('"the purple elephant"',)
    assert len(first.hits) == 5
    assert len(library.refine(first)) == 5


def test_an_exclusion_that_leaves_nothing_is_set_aside(library: Library) -> None:
    first = library.first_stage("a ballerina -her -the -she", k=3)  # every passage has one
    assert first.relaxed == ("-her", "-the", "-she")
    assert first.hits


def test_what_can_be_satisfied_is_not_relaxed(library: Library) -> None:
    first = library.first_stage('"Madame Petrova" -Moscow', k=10)
    assert first.relaxed == ()
    assert first.hits
    assert all("Madame Petrova" in h.passage.text for h in first.hits)


# Queries people write: words of the stories and words of none, quotes straight and curly,
# dashes and pluses, in short queries (where they are operators) and long ones.
_piece = st.sampled_from(
    ["ballet", "she", "Moscow", "Petrova", "father", "zyxwv", "purple", "elephant", "the"]
) | st.sampled_from(['"', "“", "”", "-", "+", "--", "«", "»", ",", "!", "\n\n"])
_query = st.one_of(
    st.text(max_size=10_000),
    st.lists(_piece, min_size=1, max_size=30).map(" ".join),
    st.lists(_piece, min_size=1, max_size=30).map("".join),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_query)
def test_any_text_as_a_query_answers_or_says_there_is_nothing_to_look_for(
    library: Library, query: str
) -> None:
    try:
        first = library.first_stage(query, k=5)
    except QueryError as exc:  # nothing but spaces, or nothing but exclusions
        assert "empty" in str(exc) or "leave out" in str(exc)
        return
    hits = library.refine(first)
    assert hits, f"no answer for {query!r}"
    if first.relaxed:  # what was set aside is what the query asked for, and labelled so
        assert first.relaxed == parse_query(query).constraints


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
@pytest.mark.parametrize(
    "query", ["ballet", "Madame Petrova", "she danced on the stage -Moscow", "zyxwv purple"]
)
def test_relevance_is_a_share_that_never_rises_down_the_list(
    library: Library, query: str, mode: str
) -> None:
    hits = library.search(query, k=20, mode=mode)  # type: ignore[arg-type]
    shown = [h.relevance for h in hits]
    assert all(0.0 <= r <= 1.0 for r in shown)
    assert shown == sorted(shown, reverse=True)
    if not hits:  # keyword mode and no word of the query in any passage
        assert mode == "keyword"
        return
    alike = library.similar(hits[0].passage.id, k=10)
    assert [h.relevance for h in alike] == sorted((h.relevance for h in alike), reverse=True)
