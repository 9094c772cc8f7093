"""What reading an index gives back: plain frozen records, safe to hand between threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.hybrid import Why


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    path: str
    passage_count: int
    source_format: str


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
    # similar(); the fused score of index/hybrid.py in "hybrid"; BM25 share (0..1) in "keyword"
    passage: Passage
    before: Passage | None  # the neighbouring passages, for context
    after: Passage | None
    why: Why = field(
        default_factory=Why
    )  # the sentence(s) and words behind the match, in story offsets

    @property
    def similarity(self) -> float:
        """Closeness in meaning (a cosine) for people to read: the meaning part of a hybrid
        score, whose fused value has no fixed scale (token match standardises it per query),
        else the score itself (similar() and dense search give cosines)."""
        return self.why.dense if self.why.dense else self.score


@dataclass(frozen=True)
class IndexInfo:
    path: Path
    generation: str
    stories: int
    passages: int
    meta: dict[str, str]
    sources: list[str]
