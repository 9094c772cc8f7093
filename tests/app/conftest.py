"""Fixtures for the window's tests: real engine, real model (shared), private index and config
dirs, and a check that no test leaves a worker thread running."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from app.main import create_window
from app.main_window import MainWindow
from app.service import LibraryService
from app.settings import Settings
from index import Library

QUERY = "her dad, long gone from her life, turns up after the show to say sorry"
POOL_WAIT_MS = 60_000
READY_MS = 60_000

# The offscreen platform plugin says this whenever a top-level window's size limits change;
# it is about the test platform, not about Storylens.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/app/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def no_threads_left() -> Iterator[None]:
    """Fail a test that leaves work running in the thread pool."""
    yield
    pool = QThreadPool.globalInstance()
    finished = pool.waitForDone(POOL_WAIT_MS)
    assert finished, f"worker threads still running {POOL_WAIT_MS} ms after the test"
    assert pool.activeThreadCount() == 0


@pytest.fixture
def library_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the indexed sample stories, for a test that may change it."""
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy)
    return copy


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


def start(qtbot: QtBot, service: LibraryService, timeout: int = READY_MS) -> None:
    """Start a service and wait until both its library and its model are ready: the library
    is listed before the model has loaded (app/service.py _open), and a search made in
    between is answered by keywords first."""
    with qtbot.waitSignal(service.library_changed, timeout=timeout):
        service.start()
    qtbot.waitUntil(lambda: not service.model_loading, timeout=timeout)


@pytest.fixture
def seed_service(qtbot: QtBot, seed_index: Path, embedder: object) -> Iterator[LibraryService]:
    """A started service on the sample stories' index, for a view tested on its own."""
    from index import Embedder

    assert isinstance(embedder, Embedder)
    running = LibraryService(seed_index, embedder=embedder)
    start(qtbot, running)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def seed_library(seed_index: Path, embedder: object) -> Iterator[Library]:
    """The sample stories' index read directly, to check what a view shows."""
    from index import Embedder

    assert isinstance(embedder, Embedder)
    with Library.open(seed_index, embedder=embedder) as library:
        yield library


OpenWindow = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot: QtBot, embedder: object, config_dir: Path) -> Iterator[OpenWindow]:
    """Open (and show, and start) a window on `index_dir`; `first_run=False` makes the settings
    say that library was opened before. Waits until its library is open unless told not to."""
    from index import Embedder

    assert isinstance(embedder, Embedder)
    opened: list[MainWindow] = []

    def close_and_drain(window: MainWindow) -> None:
        window.close()
        qtbot.waitUntil(lambda: window.service.active_jobs == 0, timeout=POOL_WAIT_MS)

    def open_(index_dir: Path, *, first_run: bool = False, wait: bool = True) -> MainWindow:
        if not first_run:
            Settings(last_index_dir=str(index_dir), config_dir=config_dir).save()
        window = create_window(index_dir, config_dir=config_dir, embedder=embedder)
        # pytest-qt closes and deleteLater()s registered widgets before fixtures are torn down;
        # a job still running then (a comparison just opened) would report to a deleted
        # service and never count as done. So the window's work is drained before that.
        qtbot.addWidget(window, before_close_func=close_and_drain)
        opened.append(window)
        window.show()
        if wait:
            with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
                window.start()
            # The library is listed before the model is ready (app/service.py _open); tests
            # start from a window that has both.
            qtbot.waitUntil(lambda: not window.service.model_loading, timeout=READY_MS)
        return window

    yield open_
    for window in opened:  # close now, so cancelled work is done before the thread check
        window.close()
        qtbot.waitUntil(lambda w=window: w.service.active_jobs == 0, timeout=POOL_WAIT_MS)
