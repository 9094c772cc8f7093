"""What reading an index gives back: plain frozen records, safe to hand between threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Span = tuple[int, int]


@dataclass(frozen=True)
class Why:
    """Why a passage matched, in story offsets, so the window can highlight it."""

    sentences: tuple[Span, ...] = ()  # the sentence(s) that drove the score, best first
    words: tuple[Span, ...] = ()  # query words and phrases found in the passage, in order
    dense: float = 0.0  # meaning score (cosine, passage and best sentence combined)
    keyword: float = 0.0  # keyword score, 0..1
    token_match: float | None = None  # word by word (token match, 0..1), where it was read


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    path: str
    passage_count: int
    source_format: str
    offline: bool = False  # its file cannot be found now (folder renamed, drive not mounted):
    # kept as indexed until the person removes it


@dataclass(frozen=True)
class Passage:
    id: int
    story_id: int
    story_title: str
    ordinal: int  # 0-based position in its story
    story_passage_count: int
    start: int  # character offsets into the story text
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # story offsets of each sentence


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # higher is better: cosine similarity (-1..1) in "dense" mode and for
    # similar(); the fused score of index/search/fusion.py in "hybrid"; BM25 share in "keyword"
    passage: Passage
    before: Passage | None = None  # the neighbouring passages, when asked for (context=True)
    after: Passage | None = None
    why: Why = field(default_factory=Why)  # the sentence(s) and words behind the match
    relevance: float = 0.0  # 0..1, never higher than the hit's above: what people are shown
    # (index/search/relevance.py)

    @property
    def similarity(self) -> float:
        """Closeness in meaning (a cosine) for people to read: the meaning part of the score,
        whose fused value has no fixed scale (token match standardises it per query). 0 in
        keyword mode, which does not compute meaning."""
        return self.why.dense


@dataclass(frozen=True)
class IndexInfo:
    path: Path
    generation: str
    stories: int
    passages: int
    meta: dict[str, str]
    sources: list[str]
