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
from index.search.query import ParsedQuery, parse_query, phrase_pattern
from index.text.folding import fold, words
from index.text.stems import stems
from tests.fake_embedder import FakeEmbedder


@pytest.fixture(scope="module")
def library(fake_seed_index: Path, fake_embedder: FakeEmbedder) -> Library:
    return Library.open(fake_seed_index, embedder=fake_embedder)


def test_a_phrase_nobody_wrote_gives_the_closest_passages_without_it(library: Library) -> None:
    first = library.first_stage('ballet "the purple elephant"', k=5)
    assert first.relaxed == ('"the purple elephant"',)
    assert len(first.hits) == 5
    assert len(library.refine(first)) == 5


def test_what_cannot_be_met_is_set_aside_and_the_rest_still_holds(library: Library) -> None:
    first = library.first_stage('ballet "the purple elephant" -Moscow', k=10)
    assert first.relaxed == ('"the purple elephant"',)
    assert first.asked == ('"the purple elephant"', "-Moscow")
    assert first.hits
    assert all("moscow" not in h.passage.text.casefold() for h in first.hits)


def test_exclusions_are_set_aside_only_as_far_as_they_leave_nothing(library: Library) -> None:
    first = library.first_stage("a ballerina -her -the -she", k=3)  # every passage has one
    assert first.asked == ("-her", "-the", "-she")
    assert first.relaxed and set(first.relaxed) < set(first.asked)
    assert first.hits
    assert all(meets(h.passage.text, first.query) for h in first.hits)
    for aside in first.relaxed:  # each one set aside leaves nothing with those kept
        again = library.first_stage(" ".join(["a ballerina", *first.query.constraints, aside]))
        assert again.relaxed == (aside,)


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
    asked = parse_query(query).constraints
    assert first.asked == asked
    # What was set aside is some of what the query asked for, and labelled so; the rest holds.
    assert [c for c in asked if c in first.relaxed] == list(first.relaxed)
    assert all(meets(h.passage.text, first.query) for h in hits)


def meets(text: str, query: ParsedQuery) -> bool:
    """Whether a passage has every phrase of `query` and none of its exclusions (a single
    word in any form of its stem)."""
    folded, forms = fold(text), set(stems(text))
    if not all(phrase_pattern(p).search(folded) for p in query.phrases):
        return False
    for excluded in query.excluded:
        several = len(words(excluded)) > 1
        if several and phrase_pattern(excluded).search(folded):
            return False
        if not several and set(stems(excluded)) & forms:
            return False
    return True


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
