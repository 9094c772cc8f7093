"""The search box's syntax: free text, "exact phrases", -exclusions."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.errors import QueryError
from index.search.query import (
    OPERATOR_WORDS,
    ParsedQuery,
    literal_query,
    parse_query,
    without,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("her father apologises", ParsedQuery("her father apologises", (), ())),
        (
            'ballerina "estranged father" -Moscow',
            ParsedQuery("ballerina estranged father", ("estranged father",), ("Moscow",)),
        ),
        ("“Sofía  Kalējs” bows", ParsedQuery("Sofía Kalējs bows", ("Sofía Kalējs",), ())),
        ('club -"New York" music', ParsedQuery("club music", (), ("New York",))),
        ("a well-known dancer", ParsedQuery("a well-known dancer", (), ())),
        ('a "b', ParsedQuery('a "b', (), ())),
        ("dancer - tired", ParsedQuery("dancer - tired", (), ())),
        ('dancer "" "?!"', ParsedQuery("dancer", (), ())),
        # Speech in a sentence recalled or pasted: text, quotes and dashes included.
        (
            '"You were magnificent," he said to her after the show, and she smiled -- at last.',
            ParsedQuery(
                '"You were magnificent," he said to her after the show, and she smiled -- at last.',
                (),
                (),
            ),
        ),
        (
            'she whispered "I have waited for this night for so many years" and bowed',
            ParsedQuery(
                'she whispered "I have waited for this night for so many years" and bowed', (), ()
            ),
        ),
        (
            'a long recollection of the night she danced the lead -Moscow +"estranged father"',
            ParsedQuery(
                "a long recollection of the night she danced the lead -Moscow estranged father",
                ("estranged father",),
                (),
            ),
        ),
    ],
)
def test_parts_of_a_query(query: str, expected: ParsedQuery) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(("query", "message"), [("", "empty"), ("  ", "empty"), ("-x", "leave")])
def test_a_query_with_nothing_to_look_for_is_refused(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(query)


_word = st.text(alphabet="abcdéfgñ", min_size=1, max_size=8)


@given(
    st.lists(_word, min_size=1, max_size=3),
    st.lists(st.lists(_word, min_size=1, max_size=3), max_size=2),
    st.lists(_word, max_size=2),
)
def test_phrases_and_exclusions_come_back_as_written(
    free: list[str], phrases: list[list[str]], excluded: list[str]
) -> None:
    quoted = [" ".join(p) for p in phrases]
    query = " ".join([*free, *(f'"{p}"' for p in quoted), *(f"-{w}" for w in excluded)])
    parsed = parse_query(query)
    assert parsed.phrases == tuple(quoted)
    assert parsed.excluded == tuple(excluded)
    assert parsed.text == " ".join([*free, *quoted])


@given(st.text())
def test_any_input_parses_or_is_refused_with_a_query_error(query: str) -> None:
    try:
        parsed = parse_query(query)
    except QueryError:
        return
    assert parsed.text.strip()
    assert all(p.strip() for p in parsed.phrases)


@given(st.lists(_word, min_size=OPERATOR_WORDS + 1, max_size=40), st.integers(0, 10))
def test_in_a_long_query_quotes_and_dashes_are_text(words: list[str], at: int) -> None:
    quoted = words.copy()
    at = min(at, len(words) - 2)
    quoted[at] = f'"{quoted[at]}'
    quoted[at + 1] = f'{quoted[at + 1]}"'
    quoted[-1] = f"-{quoted[-1]}"
    query = " ".join(quoted)
    assert parse_query(query) == ParsedQuery(query, (), ())


def test_literal_text_keeps_its_quotes_and_dashes_as_words() -> None:
    text = '"You were magnificent," he said -- and -meant it'
    assert literal_query(text) == ParsedQuery(text, (), ())
    with pytest.raises(QueryError, match="empty"):
        literal_query(" \n")


@given(
    st.lists(_word, max_size=3),
    st.lists(st.lists(_word, min_size=1, max_size=3), max_size=2),
    st.lists(_word, max_size=2),
    st.randoms(use_true_random=False),
)
def test_taking_out_a_constraint_leaves_the_others(
    free: list[str], phrases: list[list[str]], excluded: list[str], rng: random.Random
) -> None:
    parts = [*free, *(f'"{" ".join(p)}"' for p in phrases), *(f"-{w}" for w in excluded)]
    rng.shuffle(parts)
    query = " ".join(parts)
    try:
        parsed = parse_query(query)
    except QueryError:
        return
    if not parsed.constraints:
        return
    chosen = rng.choice(parsed.constraints)
    rest = list(parsed.constraints)
    rest.remove(chosen)
    try:
        remaining = parse_query(without(query, chosen))
    except QueryError:  # the phrase was all there was to look for
        assert not free and chosen.startswith('"') and all(c.startswith("-") for c in rest)
        return
    assert sorted(remaining.constraints) == sorted(rest)
