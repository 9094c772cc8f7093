"""What the comparison views run in worker threads (engine calls only, never a widget), and
the part of the library service they rely on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from index.compare.align import Alignment, align_passages, moment_stories, same_moment
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
    """A passage and the closest passage of other stories, the closest first: of `stories`
    (a search's filter; None: all), the best `limit` (None: all) of `total` stories."""

    source: Passage
    matches: tuple[Hit, ...]
    total: int = 0
    stories: tuple[int, ...] | None = None
    limit: int | None = None


def find_moment(
    library: Library,
    passage_id: int,
    stories: Sequence[int] | None = None,
    limit: int | None = None,
) -> Moment:
    """Engine calls: run in a worker."""
    source = library.passage(passage_id)
    total = len(moment_stories(library, source, stories))
    matches = same_moment(library, passage_id, stories=stories, limit=limit)
    chosen = tuple(stories) if stories is not None else None
    return Moment(source, tuple(matches), total, chosen, limit)


def step_moment(library: Library, moment: Moment, step: int) -> Moment | None:
    """The same for the passage `step` places after the moment's in its story (same stories,
    same limit); None past an end."""
    source = moment.source
    ordinal = source.ordinal + step
    if not 0 <= ordinal < source.story_passage_count:
        return None
    following = library.passages(source.story_id)[ordinal].id
    return find_moment(library, following, moment.stories, moment.limit)
