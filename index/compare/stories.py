"""Two whole stories aligned by meaning: which stretch of one tells what stretch of the other,
what each tells alone, and which sentences correspond inside each matched stretch.

    aligned = align_stories(lib, lib.find_story("Camilla Roche"), lib.find_story("Sofia Kalejs"))
    for segment in aligned.segments:
        ...  # segment.left / segment.right: a stretch of passages, or None (told on one side)

The alignment is monotone (both stories are read forwards, as a reader compares them) and made
by dynamic programming over the passage-by-passage cosine matrix, in the manner of
Needleman-Wunsch: a matched block of one or two passages on each side gains its similarity less
`threshold`, a passage left unmatched gains nothing, and the path with the largest total wins.
Two passages against one let a scene that one story tells in one paragraph and the other in
two be matched whole (a split or a merge). Then, inside each matched block, sentences are
matched one to one (index/compare/align.py's matching) across the passage boundaries.

A monotone path cannot match a scene that one story tells earlier than the other (a draft
that moved it, two stories that reach the same moment by different roads): both copies are
left on the path as told alone. So a passage each story tells alone is paired with one the
other tells alone where the two are each other's closest in the whole other story
(`StoryAlignment.elsewhere`): by the mean of the passages' cosine and of their closest two
sentences', over the same bar as a matched block.

Everything comes from the vectors the index stores; no model pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from index.compare.align import DEFAULT_THRESHOLD, match_sentences
from index.search.library import Library
from index.search.results import Passage, Story

# Cosine of two passages (or of a passage and two merged ones) above which matching them beats
# telling them apart. Passages of different stories on one theme (the four sample stories, all
# about dancers) score 0.2-0.55; the passages that retell one scene score higher
# (tests/index/compare/test_stories.py, benchmarks/README.md).
PASSAGE_THRESHOLD = 0.55
_PAIR_WEIGHT = 1.5  # a block of three passages counts for more than one pair, less than two

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]


@dataclass(frozen=True)
class Side:
    """A stretch of consecutive passages of one story."""

    start: int  # character offsets into the story text
    end: int
    text: str
    passage_ids: tuple[int, ...]


@dataclass(frozen=True)
class Link:
    left: Span  # a sentence of the left side, as story offsets
    right: Span
    score: float


@dataclass(frozen=True)
class Segment:
    """A matched stretch (both sides), or what one story tells alone (the other side None)."""

    left: Side | None
    right: Side | None
    score: float  # cosine of the two stretches; 0.0 for a stretch told on one side only
    links: tuple[Link, ...] = ()
    # The stretch as passage positions in each story (half-open; empty on the side that does
    # not tell it, at the place it would be): where the segment lies on the alignment's map.
    left_range: Span = (0, 0)
    right_range: Span = (0, 0)


@dataclass(frozen=True)
class Elsewhere:
    """A passage of each story, both told alone on the alignment's path, that tell the same:
    one story tells it at another place (see the module's docstring)."""

    left: Side
    right: Side
    score: float  # mean of the passages' cosine and their closest sentences' cosine
    links: tuple[Link, ...]
    left_index: int  # passage positions in each story
    right_index: int


@dataclass(frozen=True)
class StoryAlignment:
    left: Story
    right: Story
    segments: tuple[Segment, ...]
    # Cosine of every left passage with every right passage (rows: left, in reading order):
    # the dot plot the alignment's path runs through.
    similarity: Vectors = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.float32), compare=False, repr=False
    )
    elsewhere: tuple[Elsewhere, ...] = ()  # passages told alone on the path, paired again

    def elsewhere_of(self, side: Literal["left", "right"], positions: Span) -> list[Elsewhere]:
        """The pairs whose `side` ("left" or "right") passage lies in `positions`."""
        start, end = positions
        return [
            pair
            for pair in self.elsewhere
            if start <= (pair.left_index if side == "left" else pair.right_index) < end
        ]

    def to_json(self) -> dict[str, Any]:
        """The shape `storylens align --json` prints."""
        return {
            "left": {"story": self.left.title, "story_id": self.left.id},
            "right": {"story": self.right.title, "story_id": self.right.id},
            "segments": [_pair_json(s.left, s.right, s.score, s.links) for s in self.segments],
            "elsewhere": [_pair_json(p.left, p.right, p.score, p.links) for p in self.elsewhere],
        }


def align_stories(
    library: Library,
    left: Story,
    right: Story,
    *,
    threshold: float = PASSAGE_THRESHOLD,
    sentence_threshold: float = DEFAULT_THRESHOLD,
) -> StoryAlignment:
    """Align two stories of `library` from their stored vectors (see the module's docstring)."""
    return _aligned(_read(library, left), _read(library, right), threshold, sentence_threshold)


@dataclass(frozen=True)
class _Told:
    """What alignment reads of a story: its passages, their stored vectors and sentence
    vectors, and its text."""

    story: Story
    passages: list[Passage]
    vectors: Vectors
    sentences: list[Vectors]
    text: str


def _read(library: Library, story: Story) -> _Told:
    passages = library.passages(story.id)
    vectors, sentences = library.stored_vectors(passages)
    return _Told(story, passages, vectors, sentences, library.story_text(story.id))


def _aligned(
    left: _Told, right: _Told, threshold: float, sentence_threshold: float
) -> StoryAlignment:
    lp, lv, ls, ltext = left.passages, left.vectors, left.sentences, left.text
    rp, rv, rs, rtext = right.passages, right.vectors, right.sentences, right.text
    segments = []
    for block in align_passage_vectors(lv, rv, threshold):
        (a, b), (c, d) = block
        left_side = _side(lp[a:b], ltext) if b > a else None
        right_side = _side(rp[c:d], rtext) if d > c else None
        if left_side is None or right_side is None:
            segments.append(Segment(left_side, right_side, 0.0, (), (a, b), (c, d)))
            continue
        score = float(_mean_direction(lv[a:b]) @ _mean_direction(rv[c:d]))
        links = _links(lp[a:b], ls[a:b], rp[c:d], rs[c:d], sentence_threshold)
        segments.append(Segment(left_side, right_side, score, links, (a, b), (c, d)))
    similarity = (lv @ rv.T).astype(np.float32)
    elsewhere = _told_elsewhere(
        left,
        right,
        segments,
        similarity,
        threshold=threshold,
        sentence_threshold=sentence_threshold,
    )
    return StoryAlignment(left.story, right.story, tuple(segments), similarity, elsewhere)


def _told_elsewhere(
    left: _Told,
    right: _Told,
    segments: Sequence[Segment],
    similarity: Vectors,
    *,
    threshold: float,
    sentence_threshold: float,
) -> tuple[Elsewhere, ...]:
    """The passages told alone on each side that are each other's closest in the whole other
    story, over `threshold`. Closest in the whole story, not only among those told alone: a
    passage whose counterpart the path did match elsewhere is not paired with a stranger.
    `similarity`: the passages' cosines, left by right."""
    left_alone = {i for s in segments if s.right is None for i in range(*s.left_range)}
    right_alone = {j for s in segments if s.left is None for j in range(*s.right_range)}
    if not left_alone or not right_alone:
        return ()
    closeness = (similarity + _closest_sentences(left, right)) / 2
    found = []
    for i in sorted(left_alone):
        j = int(np.argmax(closeness[i]))
        score = float(closeness[i, j])
        if j not in right_alone or score < threshold or int(np.argmax(closeness[:, j])) != i:
            continue
        links = _links(
            left.passages[i : i + 1],
            left.sentences[i : i + 1],
            right.passages[j : j + 1],
            right.sentences[j : j + 1],
            sentence_threshold,
        )
        found.append(
            Elsewhere(
                _side(left.passages[i : i + 1], left.text),
                _side(right.passages[j : j + 1], right.text),
                score,
                links,
                i,
                j,
            )
        )
    return tuple(found)


def _closest_sentences(left: _Told, right: _Told) -> npt.NDArray[np.float64]:
    """[i, j]: the cosine of the closest two sentences of left passage i and right passage j."""
    starts = [np.cumsum([0] + [len(v) for v in told.sentences[:-1]]) for told in (left, right)]
    every = np.concatenate(left.sentences) @ np.concatenate(right.sentences).T
    by_left = np.maximum.reduceat(every, starts[0], axis=0)
    return np.maximum.reduceat(by_left, starts[1], axis=1).astype(np.float64)


def align_passage_vectors(
    left: Vectors, right: Vectors, threshold: float = PASSAGE_THRESHOLD
) -> list[tuple[Span, Span]]:
    """The monotone alignment of two sequences of unit vectors, as blocks in reading order:
    ((left start, left end), (right start, right end)), half-open. A matched block has one or
    two passages on each side (never two and two); a block with one side empty is told on the
    other side alone, consecutive ones merged."""
    n, m = len(left), len(right)
    total = np.zeros((n + 1, m + 1))  # best total gain of the first i left and j right passages
    reached = np.zeros((n + 1, m + 1))  # ... when (i, j) ends on a block, not a right gap
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 left gap, 1 one:one, 2 one:two, 3 two:one
    gains = _block_gains(left, right, threshold)
    for i in range(1, n + 1):
        best = total[i - 1].copy()  # left passage i-1 unmatched
        chosen = np.zeros(m + 1, dtype=np.int8)
        for code, (di, dj), gain in gains:
            if i < di or gain.shape[1] == 0:
                continue
            candidate = np.full(m + 1, -np.inf)
            candidate[dj:] = total[i - di, : m + 1 - dj] + gain[i - 1]
            better = candidate > best
            best[better], chosen[better] = candidate[better], code
        reached[i], move[i] = best, chosen
        total[i] = np.maximum.accumulate(best)  # right passages left unmatched
    return _merged_gaps(_trace(total, reached, move, n, m))


def _block_gains(
    left: Vectors, right: Vectors, threshold: float
) -> list[tuple[int, tuple[int, int], npt.NDArray[np.float64]]]:
    """(move code, (left passages, right passages), gain matrix), where gain[i, j] is for the
    block that ends at left passage i and right passage j (-inf where no such block fits).

    Two passages count as one telling only where together they are closer to the one on the
    other side than either is alone: a scene split in two. Without that, a passage's exact
    copy would take an unrelated neighbour along (a copy's cosine 1.0 against 0.87 for the
    copy and a neighbour at 0.5 together, which the block's weight would prefer)."""
    one = (left @ right.T).astype(np.float64)
    one_two = np.full(one.shape, -np.inf)  # [i, j]: left i with right j-1 and j
    if len(right) > 1:
        together = (left @ _pairs(right).T).astype(np.float64)
        alone = np.maximum(one[:, :-1], one[:, 1:])
        one_two[:, 1:] = np.where(together > alone, (together - threshold) * _PAIR_WEIGHT, -np.inf)
    two_one = np.full(one.shape, -np.inf)  # [i, j]: left i-1 and i with right j
    if len(left) > 1:
        together = (_pairs(left) @ right.T).astype(np.float64)
        alone = np.maximum(one[:-1, :], one[1:, :])
        two_one[1:, :] = np.where(together > alone, (together - threshold) * _PAIR_WEIGHT, -np.inf)
    return [(1, (1, 1), one - threshold), (2, (1, 2), one_two[:, 1:]), (3, (2, 1), two_one)]


def _pairs(vectors: Vectors) -> Vectors:
    """The direction of each two consecutive vectors together."""
    if len(vectors) < 2:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32)
    summed = vectors[:-1] + vectors[1:]
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    pairs: Vectors = (summed / np.maximum(norms, 1e-12)).astype(np.float32)
    return pairs


def _trace(
    total: npt.NDArray[np.float64],
    reached: npt.NDArray[np.float64],
    move: npt.NDArray[np.int8],
    n: int,
    m: int,
) -> list[tuple[Span, Span]]:
    steps = {1: (1, 1), 2: (1, 2), 3: (2, 1)}
    blocks: list[tuple[Span, Span]] = []
    i, j = n, m
    while i > 0 or j > 0:
        # A right passage told alone, wherever that is as good: so where both stories tell
        # something alone at one place, the left story's comes first.
        if i == 0 or (j > 0 and total[i, j - 1] >= reached[i, j]):
            blocks.append(((i, i), (j - 1, j)))  # right passage j-1 told alone
            j -= 1
        elif move[i, j] == 0:
            blocks.append(((i - 1, i), (j, j)))  # left passage i-1 told alone
            i -= 1
        else:
            di, dj = steps[int(move[i, j])]
            blocks.append(((i - di, i), (j - dj, j)))
            i, j = i - di, j - dj
    return blocks[::-1]


def _merged_gaps(blocks: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """Consecutive stretches told on the same side alone, as one."""
    merged: list[tuple[Span, Span]] = []
    for (a, b), (c, d) in blocks:
        if merged:
            (pa, pb), (pc, pd) = merged[-1]
            left_gap, previous_left_gap = c == d, pc == pd
            right_gap, previous_right_gap = a == b, pa == pb
            if left_gap and previous_left_gap and pb == a:
                merged[-1] = ((pa, b), (pc, pd))
                continue
            if right_gap and previous_right_gap and pd == c:
                merged[-1] = ((pa, pb), (pc, d))
                continue
        merged.append(((a, b), (c, d)))
    return merged


def _mean_direction(vectors: Vectors) -> Vectors:
    summed = vectors.sum(axis=0)
    direction: Vectors = (summed / max(float(np.linalg.norm(summed)), 1e-12)).astype(np.float32)
    return direction


def _side(passages: Sequence[Passage], text: str) -> Side:
    start, end = passages[0].start, passages[-1].end
    return Side(start, end, text[start:end], tuple(p.id for p in passages))


def _links(
    left: Sequence[Passage],
    left_sentences: Sequence[Vectors],
    right: Sequence[Passage],
    right_sentences: Sequence[Vectors],
    threshold: float,
) -> tuple[Link, ...]:
    """The block's sentences matched one to one, across its passages' boundaries."""
    left_spans = _sentence_spans(left, left_sentences)
    right_spans = _sentence_spans(right, right_sentences)
    if not left_spans or not right_spans:
        return ()
    matrix = np.concatenate(left_sentences) @ np.concatenate(right_sentences).T
    return tuple(
        Link(left_spans[pair.left_index], right_spans[pair.right_index], pair.score)
        for pair in match_sentences(matrix.astype(np.float32), threshold)
    )


def _sentence_spans(passages: Sequence[Passage], vectors: Sequence[Vectors]) -> list[Span]:
    """Each sentence vector's span: the passage's sentences, or the passage itself when its
    one vector stands for it whole."""
    spans: list[Span] = []
    for passage, its_vectors in zip(passages, vectors, strict=True):
        sentences = list(passage.sentences)
        if len(sentences) != len(its_vectors):
            sentences = [(passage.start, passage.end)] * len(its_vectors)
        spans += sentences
    return spans


def _pair_json(
    left: Side | None, right: Side | None, score: float, links: Sequence[Link]
) -> dict[str, Any]:
    """A segment, or a pair told out of order, as `storylens align --json` prints it."""
    return {
        "left": _side_json(left),
        "right": _side_json(right),
        "score": round(score, 6),
        "links": [
            {"left": list(k.left), "right": list(k.right), "score": round(k.score, 6)}
            for k in links
        ],
    }


def _side_json(side: Side | None) -> dict[str, Any] | None:
    return None if side is None else _side_dict(side)


def _side_dict(side: Side) -> dict[str, Any]:
    return {
        "start": side.start,
        "end": side.end,
        "text": side.text,
        "passage_ids": list(side.passage_ids),
    }


@dataclass(frozen=True)
class Row:
    """One stretch of several stories told side by side: the first story's stretch (the one the
    others are aligned with) and each other story's counterpart, or None where a story does not
    tell it. Every tuple has one entry per story, the first story first."""

    cells: tuple[Side | None, ...]
    ranges: tuple[Span, ...]  # passage positions per story (empty where None, at its place)
    scores: tuple[float, ...]  # cosine of each story's stretch with the first's (0.0: none)
    links: tuple[tuple[Link, ...], ...]  # sentence links with the first story (first: ())
    # Per story: the passages of that story that tell this row's stretch out of order
    # (StoryAlignment.elsewhere): where an empty cell's story does tell it.
    elsewhere: tuple[tuple[Placed, ...], ...] = ()


@dataclass(frozen=True)
class Placed:
    """A passage told out of order: its position in its story, the passage, its closeness,
    and the passage of the row it tells: (that story's column, its position there)."""

    position: int
    side: Side
    score: float
    answers: tuple[int, int]


@dataclass(frozen=True)
class ManyAlignment:
    """Several stories aligned with the first: rows in reading order of every story, and the
    alignment of the first story with each other one (its map, its export)."""

    stories: tuple[Story, ...]
    rows: tuple[Row, ...]
    pairwise: tuple[StoryAlignment, ...]  # first story against stories[1], stories[2], ...

    def to_json(self) -> dict[str, Any]:
        """The shape `storylens align A B C… --json` prints for three stories or more."""
        return {
            "stories": [{"story": s.title, "story_id": s.id} for s in self.stories],
            "rows": [
                {
                    "cells": [_side_json(cell) for cell in row.cells],
                    "scores": [round(score, 6) for score in row.scores],
                    "links": [
                        [
                            {
                                "first": list(k.left),
                                "other": list(k.right),
                                "score": round(k.score, 6),
                            }
                            for k in links
                        ]
                        for links in row.links
                    ],
                    "elsewhere": [
                        [{**_side_dict(p.side), "score": round(p.score, 6)} for p in told]
                        for told in row.elsewhere
                    ],
                }
                for row in self.rows
            ],
        }


def shared_colours(links: Sequence[Sequence[Link]]) -> dict[Span, int]:
    """A row's colour numbers: one for each sentence of the first story linked to any other
    story, in reading order, so a sentence and its counterparts in every column share one."""
    firsts = sorted({link.left for column in links for link in column})
    return {span: n for n, span in enumerate(firsts)}


def align_many(
    library: Library,
    stories: Sequence[Story],
    *,
    threshold: float = PASSAGE_THRESHOLD,
    sentence_threshold: float = DEFAULT_THRESHOLD,
) -> ManyAlignment:
    """Every story of `stories` after the first aligned with the first (align_stories), then
    merged into rows: a row holds a stretch of the first story and what each other story tells
    of it; a stretch no story matches with another's is a row of its own. With two stories the
    rows are the alignment's segments."""
    told = [_read(library, story) for story in stories]  # each story read once
    pairwise = tuple(_aligned(told[0], other, threshold, sentence_threshold) for other in told[1:])
    vectors = [t.vectors for t in told]
    texts = [t.text for t in told]
    passages = [t.passages for t in told]
    rows = []
    reached = [0] * len(stories)  # where each story's column has got to: an empty cell's place
    for interval, members in _merged_rows(len(passages[0]), pairwise):
        cells: list[Side | None] = []
        ranges: list[Span] = []
        scores: list[float] = []
        links: list[tuple[Link, ...]] = []
        for column in range(len(stories)):
            if column == 0:
                span = interval
                found: list[Segment] = []
            else:
                found = members[column - 1]
                span = _union([s.right_range for s in found]) if found else (0, 0)
                if span[1] <= span[0]:
                    span = (reached[column], reached[column])
            reached[column] = max(reached[column], span[1])
            has = span[1] > span[0]
            cells.append(_side(passages[column][span[0] : span[1]], texts[column]) if has else None)
            ranges.append(span)
            links.append(tuple(link for s in found for link in s.links))
            first_has = interval[1] > interval[0]
            if column and has and first_has:
                score = float(
                    _mean_direction(vectors[0][interval[0] : interval[1]])
                    @ _mean_direction(vectors[column][span[0] : span[1]])
                )
            else:
                score = 0.0
            scores.append(score)
        elsewhere = _elsewhere_of_row(ranges, pairwise)
        rows.append(Row(tuple(cells), tuple(ranges), tuple(scores), tuple(links), elsewhere))
    return ManyAlignment(tuple(stories), tuple(rows), pairwise)


def _elsewhere_of_row(
    ranges: Sequence[Span], pairwise: Sequence[StoryAlignment]
) -> tuple[tuple[Placed, ...], ...]:
    """Per story, where it tells this row's stretches out of order: another story's passages
    for the first story's stretch; the first story's for the others' stretches."""
    first: list[Placed] = []
    others: list[tuple[Placed, ...]] = []
    for column, alignment in enumerate(pairwise, start=1):
        told = alignment.elsewhere_of("left", ranges[0])
        others.append(
            tuple(Placed(p.right_index, p.right, p.score, (0, p.left_index)) for p in told)
        )
        first += [
            Placed(p.left_index, p.left, p.score, (column, p.right_index))
            for p in alignment.elsewhere_of("right", ranges[column])
        ]
    return (tuple(sorted(first, key=lambda p: p.answers)), *others)


def _merged_rows(
    length: int, pairwise: Sequence[StoryAlignment]
) -> list[tuple[Span, list[list[Segment]]]]:
    """The first story cut into stretches no other story's matched block crosses, each with the
    segments of every other story that belong to it; and, between them, rows of what other
    stories tell alone (the first story's span empty there)."""
    matched = sorted(
        s.left_range
        for a in pairwise
        for s in a.segments
        if s.left is not None and s.right is not None
    )
    intervals: list[list[int]] = []  # overlapping matched blocks merged
    for a, b in matched:
        if intervals and a < intervals[-1][1]:
            intervals[-1][1] = max(intervals[-1][1], b)
        else:
            intervals.append([a, b])
    cuts: list[tuple[Span, bool]] = []  # (interval, matched), covering 0..length in order
    at = 0
    for a, b in intervals:
        if a > at:
            cuts.append(((at, a), False))
        cuts.append(((a, b), True))
        at = b
    if at < length:
        cuts.append(((at, length), False))
    others = len(pairwise)
    rows: list[tuple[Span, list[list[Segment]]]] = [
        ((a, b), [[] for _ in range(others)]) for (a, b), _ in cuts
    ]
    alone_before: dict[int, list[list[Segment]]] = {}  # row index: segments told before it
    for k, aligned in enumerate(pairwise):
        for segment in aligned.segments:
            a, b = segment.left_range
            if segment.left is not None and segment.right is not None:
                row = next(n for n, ((x, y), _) in enumerate(rows) if x <= a and b <= y)
                rows[row][1][k].append(segment)
            elif segment.right is not None:  # told by story k alone, at first-story place a
                inside = next(
                    (n for n, ((x, y), _) in enumerate(rows) if x < a < y and cuts[n][1]), None
                )
                if inside is not None:
                    rows[inside][1][k].append(segment)
                    continue
                place = next((n for n, ((x, _y), _) in enumerate(rows) if x >= a), len(rows))
                if place < len(rows) and not cuts[place][1] and rows[place][0][0] == a:
                    place += 1  # after what the first story tells alone there
                alone_before.setdefault(place, [[] for _ in range(others)])[k].append(segment)
    merged: list[tuple[Span, list[list[Segment]]]] = []
    for n in range(len(rows) + 1):
        if n in alone_before:
            a = rows[n][0][0] if n < len(rows) else length
            merged.append(((a, a), alone_before[n]))
        if n < len(rows):
            merged.append(rows[n])
    return merged


def _union(spans: Sequence[Span]) -> Span:
    return min(a for a, _ in spans), max(b for _, b in spans)
