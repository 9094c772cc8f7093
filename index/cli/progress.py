"""The command line's progress bar: tqdm on stderr, fed by the engine's progress callback."""

from __future__ import annotations

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
    """One bar per phase; silent when stderr is not a terminal except for a final line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: Any = None
        self._phase = ""

    def update(self, progress: BuildProgress) -> None:
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
