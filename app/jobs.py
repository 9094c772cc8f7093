"""Running engine calls off the GUI thread: Anki's QueryOp pattern over a QThreadPool.

`runner.run(op, on_success, on_failure, on_progress)` runs `op(job)` in the thread pool; the
callbacks are called later on the GUI thread. `op` must never touch a widget.

    service.run(
        lambda job: job.library.similar(passage_id, k=5),
        on_success=self._show_hits,
        on_failure=lambda error: self._status.showMessage(str(error)),
    )

A `Job` hands the op the library that was open when it was submitted (`job.library`, kept open
until every op using it is done, even if a build swaps in a newer one), the shared
`job.embedder`, a `job.report(value)` that reaches `on_progress` on the GUI thread, and
`job.cancel_event`.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

if TYPE_CHECKING:
    from index import Embedder, Library

T = TypeVar("T")
log = logging.getLogger(__name__)

# Workers one search, one build and one story fetch can use at once, whatever the core count.
MIN_POOL_THREADS = 3


class Job:
    """What an op may use in its worker thread (see the module docstring)."""

    def __init__(
        self, relay: _Relay, job_id: int, library: Library | None, embedder: Embedder | None
    ) -> None:
        self._relay = relay
        self.id = job_id
        self._library = library
        self._embedder = embedder
        self.cancel_event = threading.Event()

    @property
    def library(self) -> Library:
        if self._library is None:
            from index import IndexNotFound

            raise IndexNotFound("No library is open yet: add a folder of stories first.")
        return self._library

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from index import ModelError

            raise ModelError("The model is still loading; try again in a moment.")
        return self._embedder

    def report(self, value: object) -> None:
        """Send `value` to the job's on_progress callback, on the GUI thread."""
        _emit(self._relay.progress, self.id, value)


class _Relay(QObject):
    """Carries results from worker threads to the GUI thread (queued connections).

    Signals: finished(int job id, object result), crashed(int job id, object exception),
    progress(int job id, object value).
    """

    finished = Signal(int, object)
    crashed = Signal(int, object)
    progress = Signal(int, object)


def _emit(signal: Any, *args: object) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the service was destroyed while this worker ran: nobody listens
        log.debug("result dropped: the service is gone")


class _Task(QRunnable):
    def __init__(self, relay: _Relay, job: Job, job_id: int, op: Callable[[Job], Any]) -> None:
        super().__init__()
        self._relay, self._job, self._id, self._op = relay, job, job_id, op

    def run(self) -> None:
        try:
            result = self._op(self._job)
        except BaseException as exc:  # delivered to on_failure on the GUI thread, never swallowed
            if not is_engine_error(exc):
                log.exception("background operation failed")
            # SystemExit, KeyboardInterrupt...: still a failure of this job, or it would stay
            # pending for ever and `idle` never come.
            error = exc if isinstance(exc, Exception) else _stopped(exc)
            _emit(self._relay.crashed, self._id, error)
        else:
            _emit(self._relay.finished, self._id, result)


def _stopped(exc: BaseException) -> Exception:
    error = RuntimeError(f"The background work stopped unexpectedly ({type(exc).__name__}).")
    error.__cause__ = exc
    return error


@dataclass
class _Pending(Generic[T]):
    job: Job
    on_success: Callable[[T], None]
    on_failure: Callable[[Exception], None] | None
    on_progress: Callable[[Any], None] | None
    on_discard: Callable[[T], None] | None = None  # result arrived after stop(): release it


class _Closer(QRunnable):
    """Closes a library nobody uses any more (SQLite handles), off the GUI thread."""

    def __init__(self, library: Library) -> None:
        super().__init__()
        self._library = library

    def run(self) -> None:
        self._library.close()


class JobRunner(QObject):
    """Runs ops in the thread pool against the library open at the time (see the module).

    Signals:
        failed(str): an op without on_failure failed; the message is meant for people.
        idle(): the last running job finished.
    """

    failed = Signal(str)
    idle = Signal()

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.embedder: Embedder | None = None
        self._pool = pool or QThreadPool.globalInstance()
        self._pool.setMaxThreadCount(max(self._pool.maxThreadCount(), MIN_POOL_THREADS))
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.crashed.connect(self._on_crashed)
        self._relay.progress.connect(self._on_progress)
        self._pending: dict[int, _Pending[Any]] = {}
        self._next_id = 0
        self._library: Library | None = None
        self._leases: dict[Library, int] = {}  # library -> jobs using it
        self._retired: list[Library] = []
        self._stopping = False

    @property
    def library(self) -> Library | None:
        """The open library: read its attributes here, but call its methods only inside ops."""
        return self._library

    @property
    def active_jobs(self) -> int:
        return len(self._pending)

    def run(
        self,
        op: Callable[[Job], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        *,
        on_discard: Callable[[T], None] | None = None,
    ) -> Job:
        """Run `op(job)` in a worker; the callbacks run on the GUI thread. Without on_failure,
        an error is announced through `failed`. A result that arrives after `stop()` goes to
        `on_discard` (to release what it holds) instead of `on_success`."""
        job_id = self._next_id
        self._next_id += 1
        job = Job(self._relay, job_id, self._library, self.embedder)
        if self._library is not None:
            self._leases[self._library] = self._leases.get(self._library, 0) + 1
        self._pending[job_id] = _Pending(job, on_success, on_failure, on_progress, on_discard)
        self._pool.start(_Task(self._relay, job, job_id, op))
        return job

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: object) -> None:
        pending = self._done(job_id)
        if pending is not None and not self._stopping:
            pending.on_success(result)
        elif pending is not None and pending.on_discard is not None:
            pending.on_discard(result)
        self._after_job()

    @Slot(int, object)
    def _on_crashed(self, job_id: int, error: Exception) -> None:
        pending = self._done(job_id)
        if pending is not None and not self._stopping:
            if pending.on_failure is not None:
                pending.on_failure(error)
            else:
                self.failed.emit(describe(error))
        self._after_job()

    @Slot(int, object)
    def _on_progress(self, job_id: int, value: object) -> None:
        pending = self._pending.get(job_id)
        if pending is not None and pending.on_progress is not None and not self._stopping:
            pending.on_progress(value)

    def _done(self, job_id: int) -> _Pending[Any] | None:
        pending = self._pending.pop(job_id, None)
        library = pending.job._library if pending else None
        if library is not None:
            self._leases[library] -= 1
            self._close_retired()
        return pending

    def _after_job(self) -> None:
        if not self._pending:
            self.idle.emit()

    def _set_library(self, library: Library | None) -> None:
        """Make `library` current; the previous one closes once no op uses it."""
        old, self._library = self._library, library
        if old is not None:
            self._retired.append(old)
            self._close_retired()

    def _discard(self, library: Library | None) -> None:
        if library is not None:
            self._pool.start(_Closer(library))

    def _close_retired(self) -> None:
        for library in [lib for lib in self._retired if not self._leases.get(lib)]:
            self._retired.remove(library)
            self._leases.pop(library, None)
            self._pool.start(_Closer(library))

    def stop(self) -> bool:
        """Cancel what can be cancelled and stop delivering results. True when nothing runs any
        more; otherwise `idle` is emitted when the last worker returns. Never blocks."""
        self._stopping = True
        for pending in self._pending.values():
            pending.job.cancel_event.set()
        self._set_library(None)
        return not self._pending


def is_engine_error(error: BaseException, name: str = "StorylensError") -> bool:
    """Whether `error` is one of the engine's errors (index.errors.<name>), without importing
    the engine on the GUI thread: if it was never imported, no error can come from it."""
    errors = sys.modules.get("index.errors")
    kind = getattr(errors, name, None)
    return isinstance(kind, type) and isinstance(error, kind)


def describe(error: BaseException) -> str:
    """A message for people: the engine's own words, or what kind of thing failed."""
    if is_engine_error(error):
        return str(error)
    if isinstance(error, OSError):
        return f"Could not read or write a file: {error}"
    return f"Something went wrong ({type(error).__name__}: {error}). Details are in the log."
