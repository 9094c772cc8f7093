"""The command line's progress: tqdm's bar on a terminal; elsewhere (a log, a pipe, a service)
a plain line every few seconds, with the rate and the time left."""

from __future__ import annotations

import math
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from index.build.builder import BuildProgress

_LABELS = {
    "scanning": "Scanning",
    "reading": "Reading",
    "embedding": "Embedding",
    "saving": "Saving",
}


class ProgressBar:
    """One bar per phase on a terminal; a line every `every` seconds otherwise."""

    def __init__(self, stream: TextIO, *, every: float = 5.0) -> None:
        self._stream = stream
        self._bar: Any = None
        self._phase = ""
        self._terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._every = every
        self._last_line = -math.inf

    def update(self, progress: BuildProgress) -> None:
        if not self._terminal:
            self._line(progress)
            return
        from tqdm import tqdm

        if progress.phase != self._phase:
            self._close_bar()
            self._phase = progress.phase
            if progress.total:
                self._bar = tqdm(
                    total=progress.total,
                    desc=_LABELS[progress.phase],
                    unit=" passages" if progress.phase == "embedding" else " stories",
                    file=self._stream,
                    leave=False,
                    dynamic_ncols=True,
                    disable=None,  # off when not a TTY
                )
        if self._bar is not None:
            self._bar.n = progress.done
            if progress.story:
                self._bar.set_postfix_str(progress.story[:30], refresh=False)
            self._bar.refresh()

    def _line(self, progress: BuildProgress) -> None:
        now = time.monotonic()
        finished = progress.total and progress.done >= progress.total
        if progress.phase != "embedding" or (now - self._last_line < self._every and not finished):
            return
        self._last_line = now
        self._stream.write(describe(progress) + "\n")
        self._stream.flush()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close_bar()


def describe(progress: BuildProgress) -> str:
    """One line: "Embedding: 1,024 of 6,847 passages (41/s, 2 min 22 s left) · Story"."""
    line = f"{_LABELS[progress.phase]}: {progress.done:,} of {progress.total:,} passages"
    if progress.rate > 0:
        left = f", {progress.time_left()} left" if progress.seconds_left is not None else ""
        line += f" ({progress.rate:,.0f}/s{left})"
    return line + (f" · {progress.story}" if progress.story else "")
