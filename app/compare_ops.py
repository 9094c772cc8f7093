"""What the comparison views run in worker threads (engine calls only, never a widget), and
the part of the library service they rely on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from index.compare.align import Alignment, align_passages, same_moment
from index.search.library import Library
from index.search.results import Hit, Passage

T = TypeVar("T")


class JobLike(Protocol):
    """What an op receives from the service: the open library."""

    @property
    def library(self) -> Library: ...


class LibraryRunner(Protocol):
    """The part of app.service.LibraryService the views use: run `op(job)` in a worker and
    call back on the GUI thread."""

    def run(
        self,
        op: Callable[[JobLike], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None = None,
    ) -> object: ...


@dataclass(frozen=True)
class PassageInContext:
    """A passage with the neighbouring passages around it, as the story has them."""

    passage: Passage
    context_start: int  # story offset of the first character of `text`
    text: str


@dataclass(frozen=True)
class Comparison:
    """What the worker hands back: both passages in context and their alignment."""

    left: PassageInContext
    right: PassageInContext
    alignment: Alignment


def passage_in_context(library: Library, passage: Passage) -> PassageInContext:
    """The passage with the one before and the one after it (engine calls: run in a worker)."""
    passages = library.passages(passage.story_id)
    ordinal = passage.ordinal
    first = passages[ordinal - 1] if ordinal > 0 else passage
    last = passages[ordinal + 1] if ordinal + 1 < len(passages) else passage
    text = library.story_text(passage.story_id)[first.start : last.end]
    return PassageInContext(passage, first.start, text)


def compare_passages(library: Library, left_id: int, right_id: int, threshold: float) -> Comparison:
    left, right = library.passage(left_id), library.passage(right_id)
    return Comparison(
        passage_in_context(library, left),
        passage_in_context(library, right),
        align_passages(library, left, right, threshold=threshold),
    )


@dataclass(frozen=True)
class Moment:
    """A passage and the closest passage of each other story (in the library's story order)."""

    source: Passage
    matches: tuple[Hit, ...]


def find_moment(library: Library, passage_id: int) -> Moment:
    """Engine calls: run in a worker."""
    return Moment(library.passage(passage_id), tuple(same_moment(library, passage_id)))


def step_moment(library: Library, passage_id: int, step: int) -> Moment | None:
    """The moment of the passage `step` places after this one in its story; None past an end."""
    source = library.passage(passage_id)
    ordinal = source.ordinal + step
    if not 0 <= ordinal < source.story_passage_count:
        return None
    return find_moment(library, library.passages(source.story_id)[ordinal].id)
