"""Whole stories aligned: the dynamic programme on vectors whose true alignment is made known,
its guarantees on any vectors, and a story against a reworked copy of itself on the real model
(passages deleted, inserted, split and moved), through the engine and `storylens align`."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.compare.stories import (
    PASSAGE_THRESHOLD,
    Segment,
    Side,
    align_many,
    align_passage_vectors,
    align_stories,
)
from index.search.library import Library
from tests.index.cli.test_cli import storylens
from tests.index.compare.conftest import unit_vectors

DIMENSION = 64


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    return unit_vectors(rng, n, DIMENSION)


def test_deleted_inserted_split_and_moved_passages_are_found() -> None:
    rng = np.random.default_rng(3)
    a = unit(rng, 8)
    halves = unit(rng, 2)  # passage 5 of A is these two together, told apart in B
    a[5] = halves.sum(axis=0) / np.linalg.norm(halves.sum(axis=0))
    foreign = unit(rng, 1)
    b = np.concatenate([a[7:8], a[0:2], a[3:4], foreign, a[4:5], halves, a[6:7]])
    assert align_passage_vectors(a, b) == [
        ((0, 0), (0, 1)),  # moved to the front of B: told there alone, and alone at A's end
        ((0, 1), (1, 2)),
        ((1, 2), (2, 3)),
        ((2, 3), (3, 3)),  # deleted from B
        ((3, 4), (3, 4)),
        ((4, 4), (4, 5)),  # inserted into B
        ((4, 5), (5, 6)),
        ((5, 6), (6, 8)),  # split in B: one block, one passage against two
        ((6, 7), (8, 9)),
        ((7, 8), (9, 9)),
    ]


def test_a_copy_aligns_passage_for_passage_and_strangers_not_at_all() -> None:
    rng = np.random.default_rng(5)
    a = unit(rng, 12)
    assert align_passage_vectors(a, a.copy()) == [((i, i + 1), (i, i + 1)) for i in range(12)]
    assert align_passage_vectors(a, unit(rng, 9)) == [((0, 12), (0, 0)), ((12, 12), (0, 9))]
    assert align_passage_vectors(a, a[:0]) == [((0, 12), (0, 0))]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 9), m=st.integers(0, 9), seed=st.integers(0, 2**16))
def test_blocks_cover_both_stories_in_order_whatever_the_vectors(n: int, m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = unit(rng, n), unit(rng, m)
    if n and m:  # some near copies, so that there is something to match
        b[: min(n, m) // 2] = a[: min(n, m) // 2]
    blocks = align_passage_vectors(a, b, threshold=0.1)
    left_at = right_at = 0
    for (s, e), (t, u) in blocks:
        assert (s, t) == (left_at, right_at)  # monotone, nothing skipped, nothing twice
        assert e > s or u > t
        if e > s and u > t:
            assert (e - s, u - t) in {(1, 1), (1, 2), (2, 1)}
        left_at, right_at = e, u
    assert (left_at, right_at) == (n, m)


def test_a_reworked_draft_aligns_with_its_original(reworked: Library) -> None:
    original = reworked.find_story("sofia-kalejs.txt")
    draft = reworked.find_story("sofia-kalejs-draft.txt")
    aligned = align_stories(reworked, original, draft)
    ordinals = {p.id: p.ordinal for s in (original, draft) for p in reworked.passages(s.id)}

    def shape(side: object) -> tuple[int, ...]:
        return tuple(ordinals[i] for i in side.passage_ids) if side else ()  # type: ignore[attr-defined]

    assert [(shape(s.left), shape(s.right)) for s in aligned.segments] == [
        ((), (0,)),
        ((0,), (1,)),
        ((1,), (2,)),
        ((2,), ()),
        ((3,), (3,)),
        ((), (4,)),
        ((4,), (5,)),
        ((5,), (6, 7)),
        ((6,), (8,)),
        ((7,), ()),
    ]
    # Each segment's place on the map: its passages' positions, and where a gap falls.
    for segment in aligned.segments:
        assert tuple(range(*segment.left_range)) == shape(segment.left)
        assert tuple(range(*segment.right_range)) == shape(segment.right)
    assert aligned.similarity.shape == (8, 9)
    assert aligned.similarity[7, 0] > 0.95  # the last passage, moved to the front
    split = aligned.segments[7]
    assert split.score > 0.9
    text = reworked.story_text(draft.id)
    # Sentences link across the boundary of the two passages the sixth was split into.
    linked = {text[b:e] for (_, (b, e)) in ((k.left, k.right) for k in split.links)}
    draft_passages = reworked.passages(draft.id)
    assert any(s in draft_passages[6].text for s in linked)
    assert any(s in draft_passages[7].text for s in linked)
    # Sentence vectors are read in their passage's context, so the same sentence in the
    # split-off half scores a little under 1.
    assert all(link.score > 0.8 for link in split.links)
    # The moved passage, told alone at both ends of the path, is paired again out of order;
    # the deleted and the inserted passage are not paired with anything.
    assert [(p.left_index, p.right_index) for p in aligned.elsewhere] == [(7, 0)]
    assert aligned.elsewhere[0].score > 0.95 and aligned.elsewhere[0].links


def test_two_stories_that_reach_the_same_moment_by_different_roads(
    samples_and_draft: Library,
) -> None:
    """Camilla Roche and Sofia Kalejs both end a performance with a bow to applause, at
    different places of their stories: the monotone path cannot match both the bows and
    what it does match, so the bows are paired out of order (each the other's closest
    passage), in either direction, and nothing else between the two is."""
    camilla = samples_and_draft.find_story("camilla-roche.txt")
    sofia = samples_and_draft.find_story("sofia-kalejs.txt")
    bows = ("took a triumphant bow", "took her final bow")
    for left, right in ((camilla, sofia), (sofia, camilla)):
        aligned = align_stories(samples_and_draft, left, right)
        [pair] = aligned.elsewhere
        assert any(bow in pair.left.text for bow in bows)
        assert any(bow in pair.right.text for bow in bows)
        assert pair.score >= PASSAGE_THRESHOLD and pair.links
        told_alone = {i for s in aligned.segments if s.right is None for i in range(*s.left_range)}
        assert pair.left_index in told_alone
        rows = align_many(samples_and_draft, [left, right]).rows
        row = next(r for r in rows if r.ranges[0][0] <= pair.left_index < r.ranges[0][1])
        assert row.cells[1] is None  # the window's empty cell, which says where it is told
        assert [(p.position, p.side) for p in row.elsewhere[1]] == [(pair.right_index, pair.right)]


def test_align_on_the_command_line(reworked: Library) -> None:
    index = reworked.layout.path
    done = storylens("align", "sofia-kalejs.txt", "sofia-kalejs-draft.txt", "--json", index=index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["left"]["story"], result["right"]["story"]) == (
        "Sofia Kalejs",
        "Sofia Kalejs Draft",
    )
    first, second = result["segments"][:2]
    assert first["left"] is None and first["right"]["passage_ids"]
    text = reworked.story_text(reworked.find_story("sofia-kalejs.txt").id)
    assert second["left"]["text"] == text[second["left"]["start"] : second["left"]["end"]]
    assert {"left", "right", "score", "links"} == set(second)
    [moved] = result["elsewhere"]  # the last passage, moved to the front of the draft
    assert moved["left"]["text"] == moved["right"]["text"] and moved["score"] > 0.95
    said = storylens("align", "sofia-kalejs.txt", "sofia-kalejs-draft.txt", index=index)
    assert "6 stretch(es) told by both" in said.stdout
    assert "1 passage(s) of each told by the other out of order" in said.stdout
    wrong = storylens("align", "sofia-kalejs.txt", "nobody", index=index)
    assert wrong.returncode == 1 and wrong.stderr.startswith("storylens: No story")


def test_two_stories_align_in_rows_as_in_segments(reworked: Library) -> None:
    original = reworked.find_story("sofia-kalejs.txt")
    draft = reworked.find_story("sofia-kalejs-draft.txt")
    pair = align_stories(reworked, original, draft)
    many = align_many(reworked, [original, draft])
    assert [(r.cells[0], r.cells[1]) for r in many.rows] == [
        (s.left, s.right) for s in pair.segments
    ]
    assert [r.ranges for r in many.rows] == [(s.left_range, s.right_range) for s in pair.segments]
    assert [r.links[1] for r in many.rows] == [s.links for s in pair.segments]
    assert [round(r.scores[1], 5) for r in many.rows] == [round(s.score, 5) for s in pair.segments]


def test_several_stories_align_with_the_first_in_rows(samples_and_draft: Library) -> None:
    """Every story's passages appear once, in reading order, down its column; a row's links
    join sentences inside its cells; the draft's column is its own alignment with the first."""
    lib = samples_and_draft
    stories = [
        lib.find_story("sofia-kalejs.txt"),
        lib.find_story("sofia-kalejs-draft.txt"),
        lib.find_story("Sofia Kalmurzaeva"),
        lib.find_story("Romy Baktybekova"),
    ]
    many = align_many(lib, stories)
    assert [s.id for s in many.stories] == [s.id for s in stories]
    for column, story in enumerate(stories):
        told = [p for r in many.rows for p in range(*r.ranges[column])]
        assert told == list(range(story.passage_count))
        ids = [i for r in many.rows if r.cells[column] for i in r.cells[column].passage_ids]
        assert ids == [p.id for p in lib.passages(story.id)]
    for row in many.rows:
        assert any(cell is not None for cell in row.cells)
        for column in range(1, len(stories)):
            first, other = row.cells[0], row.cells[column]
            for link in row.links[column]:
                assert first is not None and first.start <= link.left[0] < first.end
                assert other is not None and other.start <= link.right[0] < other.end
    draft_pair = many.pairwise[0]
    linked = {link for row in many.rows for link in row.links[1]}
    assert linked == {link for s in draft_pair.segments for link in s.links}
    payload = many.to_json()
    assert len(payload["stories"]) == 4 and len(payload["rows"]) == len(many.rows)


def _segments_of(blocks: list[tuple[tuple[int, int], tuple[int, int]]]) -> tuple[Segment, ...]:
    """Segments shaped as align_stories makes them from blocks (texts left out)."""

    def side(a: int, b: int) -> Side | None:
        return Side(a, b, "", tuple(range(a, b))) if b > a else None

    return tuple(
        Segment(side(a, b), side(c, d), 0.5 if b > a and d > c else 0.0, (), (a, b), (c, d))
        for (a, b), (c, d) in blocks
    )


def _retold(first: np.ndarray, edits: list[int], rng: np.random.Generator) -> np.ndarray:
    """Another story made from `first` by one edit per passage: 0 keep it, 1 drop it, 2 put a
    passage of its own before it, 3 tell it together with the next one (one merged passage)."""
    told: list[np.ndarray] = []
    i = 0
    while i < len(first):
        edit = edits[i % len(edits)] if edits else 0
        if edit == 1:
            i += 1
            continue
        if edit == 2:
            told.append(unit(rng, 1)[0])
        if edit == 3 and i + 1 < len(first):
            both = first[i] + first[i + 1]
            told.append(both / np.linalg.norm(both))
            i += 2
            continue
        told.append(first[i])
        i += 1
    return np.array(told, dtype=np.float32).reshape(-1, first.shape[1])


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(0, 12),
    others=st.lists(st.lists(st.integers(0, 3), max_size=12), min_size=1, max_size=3),
    seed=st.integers(0, 10_000),
)
def test_rows_of_several_alignments_keep_every_story_in_order(
    n: int, others: list[list[int]], seed: int
) -> None:
    """Whatever the retellings (passages kept, dropped, added, merged): down every column each
    story's passages come once and in order, every matched block sits whole in one row, and
    the first story's rows never overlap."""
    from index.compare.stories import StoryAlignment, _merged_rows
    from index.search.results import Story

    rng = np.random.default_rng(seed)
    first = unit(rng, n)
    pairwise = []
    for edits in others:
        other = _retold(first, edits, rng)
        blocks = align_passage_vectors(first, other)
        story = Story(1, "other", "", len(other), "txt")
        pairwise.append(StoryAlignment(story, story, _segments_of(blocks)))
    rows = _merged_rows(n, pairwise)
    assert [p for (a, b), _ in rows for p in range(a, b)] == list(range(n))
    for k, aligned in enumerate(pairwise):
        placed = [s for _, members in rows for s in members[k]]
        told = [s for s in aligned.segments if s.right is not None]
        assert placed == told  # each once, in reading order
        for (a, b), members in rows:
            for segment in members[k]:
                if segment.left is not None:
                    x, y = segment.left_range
                    assert a <= x and y <= b
