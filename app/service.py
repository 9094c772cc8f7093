"""The window's only bridge to the engine: every `index/` call runs in a worker thread
(`service.run(op, on_success, on_failure, on_progress)`, see app/jobs.py), and results come back
as signals on the GUI thread.

The engine itself (`index`, and with it numpy, torch, faiss) is imported by the first worker, not
by this module: the window is on screen before any of it loads.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.highlight import Span
from app.jobs import Job, JobRunner, describe, is_engine_error

__all__ = [
    "LibraryContents",
    "LibraryService",
    "SearchResult",
    "StoryDocument",
    "describe",
    "paused_gc",
]

if TYPE_CHECKING:
    from index import BuildReport, Collection, Embedder, Hit, Library, Passage, Story
    from index.store.build_record import Skipped


@dataclass(frozen=True)
class SearchResult:
    """What one search or "more like this" found, with the query's words located in each hit."""

    query: str  # the words searched for; "" for "more like this"
    hits: list[Hit]
    matches: list[tuple[Span, ...]]  # per hit: spans of query words in hit.passage.text
    similar_to: Passage | None = None  # the passage a "more like this" started from
    stories: tuple[int, ...] | None = None  # the story filter used; None = all stories
    preview: bool = False  # a first answer (hybrid's first stage); the full one follows
    keywords_only: bool = False  # a preview by keywords alone, while the model loads
    relaxed: tuple[str, ...] = ()  # phrases and exclusions set aside: no passage met them all
    constraints: tuple[str, ...] = ()  # the query's phrases and exclusions, as typed


@dataclass(frozen=True)
class StoryDocument:
    """A whole story for the reader: its text and its passages in reading order."""

    story: Story
    text: str
    passages: list[Passage]


@dataclass(frozen=True)
class LibraryContents:
    """What the window lists of an open library, read by the worker that opened it."""

    stories: list[Story] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # folders and files, for the watcher
    collections: list[Collection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # files its last build left out
    writable: bool = True  # False: a local library's folder this process may not write to

    @classmethod
    def of(cls, library: Library) -> LibraryContents:
        return cls(
            library.stories(),
            library.info().sources,
            library.collections(),
            library.skipped(),
            library.layout is None or library.layout.writable(),  # asked off the GUI thread
        )


@dataclass(frozen=True)
class _SearchRequest:
    query: str
    stories: tuple[int, ...] | None
    k: int
    similar_to: Passage | None = None


@dataclass
class _BuildRequest:
    paths: list[Path] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    rebuild: bool = False
    passage_tokens: int | None = None  # None: as the index is cut (build_index)


@dataclass(frozen=True)
class _Opened:
    """What the start-up worker found."""

    embedder: Embedder
    index_dir: Path | str
    library: Library | None
    contents: LibraryContents
    problem: str | None  # why an existing index could not be opened
    samples: Path | None  # the sample stories to index, on a first run with no index yet
    built_with: tuple[str, str] | None = None  # (name, reference) of the model that built an
    # index the chosen model cannot search


class LibraryService(JobRunner):
    """Owns the Embedder and the open Library; runs every engine call in the thread pool.

    Signals:
        model_ready(): the model is loaded; searches run from now on.
        library_changed(object): list[Story] of the library now open ([] when there is none).
        busy_changed(bool): True while the model loads or an index build runs.
        build_started(): a build began (a progress bar should appear).
        build_progress(object): a BuildProgress (phase, done, total, story title).
        build_finished(object): the BuildReport of a build that was published.
        build_cancelled(str): a build was cancelled; the previous index stays in use.
        search_previewed(object): only on an index built before token vectors were stored,
            whose token match reads passages with the model (seconds): a first SearchResult
            (preview=True) without that stage, in milliseconds; search_finished follows with
            the full answer. An index that stores them answers once, in full.
        search_finished(object): a SearchResult for the newest search or "more like this".
        model_mismatch(str, str, str): the library was built with another model than the one
            chosen: that model's name and reference (for reload) and the chosen one's name.
        exported(object): the Path results were written to (export).
        failed(str): something went wrong, in words meant for people.
        idle(): the last running job finished (see `stop`).
    """

    model_ready = Signal()
    library_changed = Signal(object)
    busy_changed = Signal(bool)
    build_started = Signal()
    build_progress = Signal(object)
    build_finished = Signal(object)
    build_cancelled = Signal(str)
    search_previewed = Signal(object)
    search_finished = Signal(object)
    model_mismatch = Signal(str, str, str)
    exported = Signal(object)

    def __init__(
        self,
        index_dir: Path | str | None = None,
        *,
        embedder: Embedder | None = None,
        model: str | None = None,
        precision: str = "auto",
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`index_dir` None: the default library, resolved by the start-up worker; a str: a
        library kept in Milvus (index/store/milvus/), which the window reads only. `embedder`:
        a shared, possibly already loaded model (tests); else that worker loads `model` (a
        local folder; None: the bundled one) in `precision` (index/embed/model.py)."""
        super().__init__(pool, parent)
        self.index_dir = index_dir
        self.embedder = embedder
        self.model = model
        self.precision = precision
        self._previous_model: tuple[str | None, str] | None = None  # while reloading
        self.skipped: list[Skipped] = []  # what the open index's last build left out, and why
        self._model_loaded = False
        self._model_loading = False
        self._keyword_preview_of: _SearchRequest | None = None
        self._opened = False
        self._searching = False
        self._next_search: _SearchRequest | None = None
        self._build_job: Job | None = None
        self._builds: deque[_BuildRequest] = deque()
        self._cancelled: list[_BuildRequest] = []  # what reindex() goes on with
        self._busy = False
        self.contents = LibraryContents()  # of the open library (library_changed)

    @property
    def model_loaded(self) -> bool:
        return self._model_loaded

    @property
    def is_ready(self) -> bool:
        return self._model_loaded and self._library is not None

    @property
    def is_building(self) -> bool:
        return self._build_job is not None

    @property
    def active_jobs(self) -> int:
        return len(self._pending)

    @property
    def read_only(self) -> str | None:
        """Why the open library cannot be changed from this window, in words for people; None
        when it can. A library kept in Milvus is written only by publishing from its working
        copy (`storylens index --index ADDRESS`), on the machine that holds it."""
        if isinstance(self.index_dir, str):
            return (
                f"Read-only: this library is kept in Milvus ({self.index_dir}). It is searched "
                "here and indexed where it is published from: "
                f"storylens index --index {self.index_dir} FOLDER"
            )
        if not self.contents.writable:
            return (
                f"Read-only: you cannot write to the folder this library is in "
                f"({self.index_dir}). It is searched here; to add or re-index stories, copy "
                "the folder somewhere you can write to and open the copy."
            )
        return None

    def open_library(self, place: Path | str) -> bool:
        """Close the open library and open the one at `place` (a folder, or a Milvus address)
        with the model in use, through start-up's worker: library_changed follows, or
        model_mismatch, or failed. Refused (False) while a build runs or is queued, or before
        the model first loaded."""
        if self._build_job is not None or self._builds or not self._model_loaded:
            return False
        self.index_dir = place
        self._cancelled = []  # what a Cancel left belongs to the library being closed
        self._set_library(None)
        self.start()
        return True

    # -- the general mechanism --------------------------------------------------------------

    # -- start-up ---------------------------------------------------------------------------

    def start(self, *, index_samples: bool = False) -> None:
        """Load the engine, the model and the library in a worker. With `index_samples` and no
        index yet (a first run), the bundled sample stories are indexed next."""
        self._set_busy(True)
        self._model_loading = True
        wanted_dir, given = self.index_dir, self.embedder
        model, precision = self.model, self.precision
        early: list[Library] = []  # the library, opened before the model loaded

        def load(job: Job) -> _Opened:
            return _open(
                wanted_dir, given, model, precision, index_samples=index_samples, early=job.report
            )

        def opened_early(found: tuple[Library, LibraryContents]) -> None:
            """The library is open and the model still loading: list its stories now, and
            answer by keywords meanwhile (_preview_with_keywords)."""
            early.append(found[0])
            self._swap_library(*found)

        def loaded(opened: _Opened) -> None:
            self.embedder, self.index_dir = opened.embedder, opened.index_dir
            self._model_loaded, self._model_loading = True, False
            self._previous_model = None
            self.model_ready.emit()
            if given is None:
                self._export_for_queries(opened.embedder)
            if opened.built_with is not None:
                self.model_mismatch.emit(*opened.built_with, opened.embedder.name)
            elif opened.problem is not None:
                self.failed.emit(opened.problem)
            if opened.samples is not None:
                self.add([opened.samples])
            elif opened.library is not None and opened.library in early:
                self._start_next_search()  # listed already; what waited for the model runs
            else:
                self._swap_library(opened.library, opened.contents)
            self._start_next_build()
            self._update_busy()

        def failed(error: Exception) -> None:  # the engine or the model could not load
            self._model_loading = False
            if self._previous_model is not None:  # a model chosen in Preferences: go back
                self.model, self.precision = self._previous_model
                self._previous_model = None
                self.failed.emit(f"{describe(error)} Storylens keeps the model it had.")
                self.start()
                return
            self.failed.emit(describe(error))
            self._swap_library(None, LibraryContents())
            self._update_busy()

        def discard(opened: _Opened) -> None:  # the window closed meanwhile
            if opened.library not in early:  # one listed early closes with the service
                self._discard(opened.library)

        self.run(load, loaded, failed, opened_early, on_discard=discard)

    def _export_for_queries(self, embedder: Embedder) -> None:
        """Once per model on this machine: export it for ONNX Runtime in a worker, so that
        from the next start on a search by meaning needs no torch (index/embed/query_graph.py).
        Nothing is shown; where it cannot be made, queries stay in torch."""
        if not embedder.may_use_query_graph or embedder.query_graph() is not None:
            return
        self.run(
            lambda _job: embedder.export_query_graph(),
            on_success=lambda _made: None,
            on_failure=lambda _error: None,  # queries simply stay in torch
        )

    @property
    def model_loading(self) -> bool:
        """The start-up worker is loading the model (searches answer by keywords meanwhile)."""
        return self._model_loading

    def reload(self, *, model: str | None, precision: str) -> bool:
        """Load `model` in `precision` instead of the model in use and open the library with
        it again (through start-up's worker: model_ready, then library_changed, or
        model_mismatch). A model that cannot load is reported (failed) and the previous one
        loaded again. Refused (False) while a build runs or before the first model loaded:
        the change then applies from the next start."""
        if self._build_job is not None or self._builds or not self._model_loaded:
            return False
        self._previous_model = (self.model, self.precision)
        self.model, self.precision = model, precision
        self.embedder = None
        self._model_loaded = False
        self._set_library(None)
        self.start()
        return True

    @property
    def sources(self) -> list[str]:
        return self.contents.sources

    def _swap_library(self, library: Library | None, contents: LibraryContents) -> None:
        self._set_library(library)
        self.contents = contents
        self.skipped = contents.skipped
        self._opened = True
        self.library_changed.emit(contents.stories)
        self._start_next_search()

    # -- search -----------------------------------------------------------------------------

    def search(self, query: str, *, stories: Sequence[int] | None = None, k: int = 20) -> None:
        """Search in the background; only the newest request's result is delivered, and a
        request made before the model is ready runs once it is."""
        chosen = tuple(stories) if stories is not None else None
        self._next_search = _SearchRequest(query.strip(), chosen, k)
        self._start_next_search()

    def similar(self, passage: Passage, *, k: int = 20) -> None:
        """ "More like this": like search, delivered through search_finished."""
        self._next_search = _SearchRequest("", None, k, similar_to=passage)
        self._start_next_search()

    def _start_next_search(self) -> None:
        request = self._next_search
        if request is None or self._searching or self._stopping:
            return
        if not self.is_ready:
            self._preview_with_keywords(request)
            return
        self._next_search = None
        self._searching = True

        def op(job: Job) -> SearchResult:
            if request.similar_to is not None:
                hits = job.library.similar(request.similar_to.id, k=request.k)
                return SearchResult("", hits, [() for _ in hits], request.similar_to)

            library = job.library
            preview = not library.stores_token_vectors  # token match runs the model: seconds
            first = library.first_stage(
                request.query, k=request.k, stories=request.stories, hits=preview
            )

            def result(hits: list[Hit], *, preview: bool) -> SearchResult:
                matches = [_query_words(hit) for hit in hits]
                return SearchResult(
                    request.query,
                    hits,
                    matches,
                    stories=request.stories,
                    preview=preview,
                    relaxed=first.relaxed,
                    constraints=first.asked,
                )

            if preview:
                job.report(result(first.hits, preview=True))
                if self._next_search is not None:  # typed on meanwhile: spare the slow stage
                    return result(first.hits, preview=True)
            return result(library.refine(first), preview=False)

        def previewed(result: object) -> None:
            if self._next_search is None:
                self.search_previewed.emit(result)

        def done(result: SearchResult) -> None:
            self._searching = False
            if self._next_search is None:  # else a newer request supersedes this one
                self.search_finished.emit(result)
            self._start_next_search()

        def failed(error: Exception) -> None:
            self._searching = False
            if self._next_search is None:
                self.failed.emit(describe(error))
            self._start_next_search()

        self.run(op, done, failed, previewed)

    def _preview_with_keywords(self, request: _SearchRequest) -> None:
        """While the model loads (seconds after a start), the library is open already: answer
        by keywords at once, as a preview. The request stays waiting; the full answer follows
        once the model is ready. Nothing is shown when no passage has the words."""
        if (
            self._library is None
            or request.similar_to is not None
            or request is self._keyword_preview_of
        ):
            return
        self._keyword_preview_of = request
        self._searching = True

        def op(job: Job) -> SearchResult:
            first = job.library.first_stage(
                request.query, k=request.k, stories=request.stories, mode="keyword"
            )
            return SearchResult(
                request.query,
                first.hits,
                [_query_words(hit) for hit in first.hits],
                stories=request.stories,
                preview=True,
                keywords_only=True,
                relaxed=first.relaxed,
                constraints=first.asked,
            )

        def done(result: SearchResult) -> None:
            self._searching = False
            if self._next_search is request and result.hits and not self.is_ready:
                self.search_previewed.emit(result)
            self._start_next_search()

        def failed(_error: Exception) -> None:  # the full search says what is wrong, if it is
            self._searching = False
            self._start_next_search()

        self.run(op, done, failed)

    def load_story(self, story_id: int, on_loaded: Callable[[StoryDocument], None]) -> Job | None:
        """Fetch a whole story for the reader; None when no library is open."""
        if self._library is None:
            return None

        def op(job: Job) -> StoryDocument:
            story = next(s for s in job.library.stories() if s.id == story_id)
            return StoryDocument(
                story, job.library.story_text(story_id), job.library.passages(story_id)
            )

        return self.run(op, on_loaded)

    def edit_collection(
        self,
        name: str,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        delete: bool = False,
    ) -> None:
        """Put stories (by path) into the named collection `name`, take some out, or forget
        it (index/store/named_sets.py); library_changed follows with the collections as they
        are then. Nothing is embedded: the index itself does not change."""
        library = self._library
        if library is None or self._refused_as_read_only():
            return

        def op(job: Job) -> LibraryContents:
            from index.store.named_sets import edit_named_set

            layout = job.library.layout
            assert layout is not None, "the window opens local libraries only"
            edit_named_set(layout.path, name, add=add, remove=remove, delete=delete)
            return LibraryContents.of(job.library)

        def done(contents: LibraryContents) -> None:
            if self._library is library:  # else a build swapped it meanwhile, and listed it
                self.contents = contents
                self.library_changed.emit(contents.stories)

        self.run(op, done, lambda error: self.failed.emit(describe(error)))

    def export(self, hits: Sequence[Hit], path: Path, title: str) -> None:
        """Write `hits` to `path` as the document its suffix names (.md, .csv, .html, .json;
        index/cli/export.py), in a worker; `exported(path)` or `failed` follows."""

        def document(fmt: str) -> str:
            from index.cli.export import hits_document

            return hits_document(hits, fmt, title=title)  # type: ignore[arg-type]

        self.export_document(document, path)

    def export_document(self, document: Callable[[str], str], path: Path) -> None:
        """Write `document(format)` to `path`, the format named by its suffix (.md, .csv,
        .html, .json; Markdown otherwise), in a worker; `exported(path)` or `failed` follows."""

        def op(_job: Job) -> Path:
            from index.cli.export import SUFFIXES

            formats = {suffix: fmt for fmt, suffix in SUFFIXES.items()}
            fmt = formats.get(path.suffix.lower(), "md")
            try:
                path.write_text(document(fmt), encoding="utf-8")
            except OSError as exc:
                raise OSError(f"Cannot write {path}: {exc.strerror or exc}") from exc
            return path

        self.run(op, self.exported.emit, lambda error: self.failed.emit(describe(error)))

    # -- building ---------------------------------------------------------------------------

    def add(self, paths: Sequence[Path]) -> None:
        """Add files or folders to the library and index what is new (queued behind a build)."""
        self._queue_build(_BuildRequest(paths=[Path(p) for p in paths]))

    def remove(self, paths: Sequence[Path]) -> None:
        """Forget stories (their files) or whole source folders."""
        self._queue_build(_BuildRequest(remove=[Path(p) for p in paths]))

    def reindex(self, *, rebuild: bool = False, passage_tokens: int | None = None) -> None:
        """Bring the index up to date with the files on disk; `rebuild` re-embeds everything.
        After a Cancel it goes on with what was cancelled (folders being added, stories being
        removed): what was embedded before the Cancel is not embedded again.
        `passage_tokens` cuts passages anew (with `rebuild`; 0: whole paragraphs)."""
        cancelled, self._cancelled = self._cancelled, []
        if passage_tokens is None:  # a passage length a cancelled rebuild asked for
            asked = [r.passage_tokens for r in cancelled if r.passage_tokens is not None]
            passage_tokens = asked[0] if asked else None
        self._queue_build(
            _BuildRequest(
                paths=[p for r in cancelled for p in r.paths],
                remove=[p for r in cancelled for p in r.remove],
                rebuild=rebuild or any(r.rebuild for r in cancelled),
                passage_tokens=passage_tokens,
            )
        )

    def cancel_build(self) -> None:
        """Cancel the running build and any queued ones; the previous index stays in use, and
        the next reindex() goes on from where this one stopped."""
        self._cancelled += self._builds
        self._builds.clear()
        if self._build_job is not None:
            self._build_job.cancel_event.set()

    def _queue_build(self, request: _BuildRequest) -> None:
        if self._refused_as_read_only():
            return
        self._builds.append(request)
        self._start_next_build()

    def _refused_as_read_only(self) -> bool:
        """Nothing is written to a read-only library: `failed` says why instead."""
        reason = self.read_only
        if reason is not None:
            self.failed.emit(reason)
        return reason is not None

    def _start_next_build(self) -> None:
        """Builds wait for the model: each would otherwise load a copy of its own."""
        if self._build_job is not None or not self._builds or self._stopping:
            return
        if not self._model_loaded:
            return
        request = self._builds.popleft()
        index_dir = self.index_dir
        assert not isinstance(index_dir, str), "a library in Milvus is read-only (_queue_build)"

        def op(job: Job) -> tuple[BuildReport, Library, LibraryContents]:
            from index import Library, build_index

            with paused_gc():
                had_model = job.embedder.torch_loaded
                try:
                    report = build_index(
                        request.paths,
                        index_dir,
                        embedder=job.embedder,
                        remove=request.remove,
                        rebuild=request.rebuild,
                        progress=job.report,
                        cancel=job.cancel_event,
                        passage_tokens=request.passage_tokens,
                    )
                finally:
                    if not had_model and job.embedder.torch_loaded:
                        # Loaded for this build (queries had not needed it): out of the
                        # collector's sight, as a model loaded at start is (_load_model).
                        gc.freeze()
                library = Library.open(index_dir, embedder=job.embedder)
            return report, library, LibraryContents.of(library)

        def done(outcome: tuple[BuildReport, Library, LibraryContents]) -> None:
            report, library, contents = outcome
            self._build_job = None
            self._swap_library(library, contents)
            self.build_finished.emit(report)
            self._after_build()

        def failed(error: Exception) -> None:
            self._build_job = None
            if is_engine_error(error, "BuildCancelled"):
                self._cancelled.insert(0, request)
                self.build_cancelled.emit(str(error))
            else:
                self.failed.emit(describe(error))
            if not self._opened:  # first start: say there is no library rather than wait
                self._swap_library(None, LibraryContents())
            self._after_build()

        self._build_job = self.run(
            op, done, failed, self.build_progress.emit, on_discard=lambda got: self._discard(got[1])
        )
        self.build_started.emit()
        self._update_busy()

    def _after_build(self) -> None:
        self._update_busy()
        self._start_next_build()

    def _update_busy(self) -> None:
        self._set_busy(self._build_job is not None or not self._opened)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def stop(self) -> bool:
        """Also drop queued searches and builds; see JobRunner.stop."""
        self._next_search = None
        self.cancel_build()
        return super().stop()


def _query_words(hit: Hit) -> tuple[Span, ...]:
    """The query's words the engine found in the hit (Hit.why.words, story offsets), as spans
    of the passage's own text."""
    start, end = hit.passage.start, hit.passage.end
    return tuple((a - start, b - start) for a, b in hit.why.words if start <= a and b <= end)


class _CollectorPause:
    """Pauses Python's cyclic garbage collector for blocks run in workers (nests, thread-safe).

    A full collection walks every tracked object while holding the GIL; with the model loaded,
    or a large build's passages in memory, one took 0.1-0.5 s, and the window froze for that long
    (benchmarks/bench_gui.py). Loading and indexing make little cyclic garbage, so the collector
    can wait until they finish.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


paused_gc = _CollectorPause()


def _open(
    wanted_dir: Path | str | None,
    given: Embedder | None,
    model: str | None,
    precision: str,
    *,
    index_samples: bool,
    early: Callable[[tuple[Library, LibraryContents]], None] | None = None,
) -> _Opened:
    """Start-up's work, in a worker: open the library (or say why not), then load the model.
    The library opens without the model (its files and keywords only), so `early` gets it
    seconds before the model is ready: the window lists the stories and answers by keywords
    meanwhile."""
    from index import Embedder, IndexIncompatible, IndexNotFound, Library, StorylensError, paths

    embedder = given or Embedder(model, precision=precision)
    where = wanted_dir or paths.default_index_dir()
    library, problem, built_with = None, None, None
    try:
        library = Library.open(where, embedder=embedder)
    except IndexIncompatible as exc:  # built with another model: which one, to offer
        problem = str(exc)
        built_with = _built_with(where, embedder)
    except IndexNotFound as exc:  # a folder: a new library; an address: nothing published
        problem = str(exc) if isinstance(where, str) else None
    except StorylensError as exc:  # damaged or foreign index: say so, start empty
        problem = str(exc)
    contents = LibraryContents.of(library) if library is not None else LibraryContents()
    if library is not None and early is not None:
        early((library, contents))  # the window owns it from here
    try:
        _load_model(embedder)
    except BaseException:
        if library is not None and early is None:
            library.close()
        raise
    samples = paths.bundled_seeds_dir()
    first = index_samples and library is None and problem is None and samples.is_dir()
    if library is None:
        return _Opened(
            embedder,
            where,
            None,
            LibraryContents(),
            problem,
            samples if first else None,
            built_with,
        )
    return _Opened(
        embedder,
        where,
        library,
        contents,
        problem,
        None,
        built_with,
    )


def _built_with(where: Path | str, chosen: Embedder) -> tuple[str, str] | None:
    """The name and reference of the model an index was built with (None if it cannot be
    opened with it either): read from the index, the model itself not loaded."""
    from index import Library, StorylensError

    try:
        with Library.open(where, precision=chosen.requested_precision) as library:
            return library.embedder.name, library.embedder.model_ref
    except StorylensError:
        return None


def _load_model(embedder: Embedder) -> None:
    """Load the model with the collector paused, then freeze what survived: the model lives as
    long as the process, so its millions of objects are taken out of the collector's sight once
    (gc.freeze), and later collections stay short."""
    with paused_gc():
        embedder.ready_for_queries()
        gc.freeze()
