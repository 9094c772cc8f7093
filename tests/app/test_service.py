"""LibraryService: engine calls run in workers, results arrive on the GUI thread, newer searches
win, and a damaged index is reported rather than crashing."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.jobs import Job
from app.service import LibraryService, SearchResult, paused_gc
from index import Embedder, QueryError
from tests.app.conftest import QUERY, READY_MS, start
from tests.conftest import SEEDS_TITLES
from tests.older_index import without_stored_tokens


@pytest.fixture
def service(qtbot: QtBot, embedder: Embedder, library_copy: Path) -> Iterator[LibraryService]:
    started = LibraryService(library_copy, embedder=embedder)
    start(qtbot, started, READY_MS)
    yield started
    started.stop()
    qtbot.waitUntil(lambda: started.active_jobs == 0, timeout=READY_MS)


def test_ops_run_in_a_worker_and_answer_on_the_gui_thread(
    qtbot: QtBot, service: LibraryService
) -> None:
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    def op(job: Job) -> list[str]:
        seen["op_thread"] = threading.get_ident()
        job.report("halfway")
        return sorted(s.title for s in job.library.stories())

    def progress(value: object) -> None:
        seen["progress"] = (value, threading.get_ident())

    def success(titles: list[str]) -> None:
        seen["titles"] = (titles, threading.get_ident())

    service.run(op, success, on_progress=progress)
    qtbot.waitUntil(lambda: "titles" in seen)
    assert seen["op_thread"] != gui
    assert seen["progress"] == ("halfway", gui)
    assert seen["titles"] == (sorted(SEEDS_TITLES), gui)


def test_a_failing_op_reaches_on_failure_or_the_failed_signal(
    qtbot: QtBot, service: LibraryService
) -> None:
    errors: list[Exception] = []
    service.run(lambda job: job.library.search("   "), print, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], QueryError)

    with qtbot.waitSignal(service.failed) as failed:
        service.run(lambda job: job.library.passage(10**9), print)
    assert "No passage" in failed.args[0]


def test_only_the_newest_search_is_delivered(qtbot: QtBot, service: LibraryService) -> None:
    answers: list[SearchResult] = []
    service.search_finished.connect(answers.append)
    service.search("a lighthouse in a storm")
    service.search("a city at night")
    service.search(QUERY)
    qtbot.waitUntil(lambda: service.active_jobs == 0 and bool(answers), timeout=READY_MS)
    qtbot.wait(50)
    assert [a.query for a in answers] == [QUERY]
    assert answers[0].hits[0].passage.story_title == "Sofia Kalejs"
    words = {answers[0].hits[0].passage.text[a:b].casefold() for a, b in answers[0].matches[0]}
    assert "life" in words


def test_stop_during_a_build_delivers_nothing_and_goes_idle(
    qtbot: QtBot, service: LibraryService, tmp_path: Path
) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "river.txt").write_text("The river froze early that year.\n", encoding="utf-8")
    with qtbot.waitSignal(service.build_started):
        service.add([folder])
    with (
        qtbot.assertNotEmitted(service.build_finished),
        qtbot.waitSignal(service.idle, timeout=READY_MS),
    ):
        assert service.stop() is False
    assert service.library is None


def test_a_damaged_index_is_reported_and_the_library_starts_empty(
    qtbot: QtBot, embedder: Embedder, library_copy: Path
) -> None:
    (library_copy / "CURRENT").write_text("gen-999999\n", encoding="utf-8")
    service = LibraryService(library_copy, embedder=embedder)
    with (
        qtbot.waitSignal(service.failed, timeout=READY_MS) as failed,
        qtbot.waitSignal(service.library_changed, timeout=READY_MS) as changed,
    ):
        service.start()
    assert "missing generation" in failed.args[0]
    assert changed.args[0] == []
    assert not service.is_ready
    qtbot.waitUntil(lambda: service.active_jobs == 0)


def test_the_garbage_collector_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


# Written for the token-match tests (tests/index/search/test_hybrid.py): the first stage alone ranks
# another passage first; the full hybrid finds the one that comes "full circle".
REFINED_QUERY = "the critics adored her loveliness when she returned as the company's star"


def test_a_search_answers_once_in_full(qtbot: QtBot, service: LibraryService) -> None:
    previews: list[SearchResult] = []
    service.search_previewed.connect(previews.append)
    with qtbot.waitSignal(service.search_finished, timeout=READY_MS) as finished:
        service.search(REFINED_QUERY, k=10)
    full = finished.args[0]
    library = service.library
    assert library is not None and library.stores_token_vectors
    assert previews == [] and not full.preview
    assert [h.passage.id for h in full.hits] == [
        h.passage.id for h in library.search(REFINED_QUERY, k=10)
    ]
    assert "full circle" in full.hits[0].passage.text


def test_an_older_index_shows_its_first_stage_at_once_then_the_full_answer(
    qtbot: QtBot, library_copy: Path, embedder: Embedder
) -> None:
    service = LibraryService(without_stored_tokens(library_copy), embedder=embedder)
    start(qtbot, service)
    try:
        previews: list[SearchResult] = []
        service.search_previewed.connect(previews.append)
        with qtbot.waitSignal(service.search_finished, timeout=READY_MS) as finished:
            service.search(REFINED_QUERY, k=10)
        full = finished.args[0]
        assert [p.preview for p in previews] == [True]
        assert not full.preview
        library = service.library
        assert library is not None and not library.stores_token_vectors
        first_stage = library.search(REFINED_QUERY, k=10, token_match=False)
        assert [h.passage.id for h in previews[0].hits] == [h.passage.id for h in first_stage]
        assert [h.passage.id for h in full.hits] == [
            h.passage.id for h in library.search(REFINED_QUERY, k=10)
        ]
        assert "full circle" not in previews[0].hits[0].passage.text
        assert "full circle" in full.hits[0].passage.text
    finally:
        service.stop()
        qtbot.waitUntil(lambda: service.active_jobs == 0, timeout=READY_MS)


def test_a_job_ended_by_a_base_exception_fails_and_the_runner_goes_idle(qtbot: QtBot) -> None:
    from app.jobs import JobRunner

    runner = JobRunner()
    errors: list[Exception] = []

    def op(_job: Job) -> None:
        raise SystemExit(3)

    with qtbot.waitSignal(runner.idle, timeout=READY_MS):
        runner.run(op, print, errors.append)
    assert isinstance(errors[0], RuntimeError)
    assert "SystemExit" in str(errors[0])
    assert runner.active_jobs == 0


def test_the_model_runs_in_the_precision_the_settings_name(
    qtbot: QtBot, library_copy: Path
) -> None:
    """No shared model given (as when the window starts): the start-up worker loads one in
    the chosen precision, and it searches an index built in another (they rank alike)."""
    service = LibraryService(library_copy, precision="fp32")
    with qtbot.waitSignals([service.library_changed, service.model_ready], timeout=READY_MS):
        service.start()
    assert service.embedder is not None
    assert service.embedder.precision == "fp32"
    with qtbot.waitSignal(service.search_finished, timeout=READY_MS) as finished:
        service.search(QUERY)
    result = finished.args[0]
    assert isinstance(result, SearchResult)
    assert result.hits
    service.stop()
    qtbot.waitUntil(lambda: service.active_jobs == 0, timeout=READY_MS)
