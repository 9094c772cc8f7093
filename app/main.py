"""Starting the window: the window is shown first, and only then does loading begin, in workers.

`run_app()` is what `storylens` (no subcommand) and `python -m app` call. With STORYLENS_BENCH=1
the app prints timestamps (time.time()) at "window shown" and "first search answered", searches
for $STORYLENS_BENCH_QUERY as soon as it can, and quits: benchmarks/bench_gui.py reads them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from app.service import LibraryService, SearchResult
from app.settings import Settings
from app.system_check import window_blockers
from app.theme import apply_theme

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Embedder

BENCH_ENV = "STORYLENS_BENCH"
BENCH_QUERY_ENV = "STORYLENS_BENCH_QUERY"
BENCH_PREFIX = "storylens-bench"
SHUTDOWN_WAIT_MS = 10_000


def create_window(
    index_dir: Path | str | None = None,
    *,
    config_dir: Path | None = None,
    embedder: Embedder | None = None,
) -> MainWindow:
    """The window over the chosen (or last, or default) library; call `.start()` after showing.
    A QApplication must exist. Tests pass their own dirs and the session's shared Embedder."""
    settings = Settings.load(config_dir)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, settings.theme)
    service = LibraryService(
        settings.index_dir(index_dir),
        embedder=embedder,
        model=settings.model,
        precision=settings.precision,
    )
    window = MainWindow(service, settings)
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.connect(window.system_theme_changed)
    return window


def run_app(
    index_dir: Path | str | None = None,
    argv: list[str] | None = None,
    *,
    config_dir: Path | None = None,
    side_by_side: tuple[str, ...] | None = None,
) -> int:
    """Show the window, load in the background, and run until it is closed; `side_by_side`:
    two to five stories (titles or file names) to open side by side once the library is
    open. Returns the exit status (1 at once, with the packages to install, where Qt's X11
    libraries are missing)."""
    blocker = window_blockers()
    if blocker is not None:
        print(blocker, file=sys.stderr)
        return 1
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Storylens")
    app.setApplicationDisplayName("Storylens")
    app.setDesktopFileName("storylens")
    window = create_window(index_dir, config_dir=config_dir)
    bench = _BenchHook(window) if os.environ.get(BENCH_ENV) == "1" else None
    if side_by_side is not None:
        window.open_side_by_side_when_ready(*side_by_side)
    window.show()
    QTimer.singleShot(0, window.start)  # after the first paint, never before
    status = app.exec()
    # Cancelled work ends within a batch; let it, rather than end the process under it.
    QThreadPool.globalInstance().waitForDone(SHUTDOWN_WAIT_MS)
    del bench
    return status


class _BenchHook(QObject):
    """Timestamps for benchmarks/bench_gui.py (only with STORYLENS_BENCH=1; no signals)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._shown = False
        window.installEventFilter(self)
        window.service.search_previewed.connect(self._previewed)
        window.service.search_finished.connect(self._answered)
        query = os.environ.get(BENCH_QUERY_ENV, "").strip()
        if query:  # typed at once: it waits in the service until the model is ready
            window.search.box.setText(query)
            window.search.box.submitted.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._shown and event.type() == QEvent.Type.Paint:
            self._shown = True
            _stamp("window-shown")
        return False

    def _previewed(self, _result: SearchResult) -> None:
        _stamp("first-search-previewed")
        self._window.service.search_previewed.disconnect(self._previewed)

    def _answered(self, result: SearchResult) -> None:
        top = result.hits[0].passage.story_title if result.hits else "-"
        _stamp("first-search-answered", f"hits={len(result.hits)} top={top!r}")
        self._window.service.search_finished.disconnect(self._answered)
        QTimer.singleShot(0, self._window.close)


def _stamp(event: str, detail: str = "") -> None:
    print(f"{BENCH_PREFIX} {event} {time.time():.6f} {detail}".rstrip(), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from index.store.milvus import library_place

    parser = argparse.ArgumentParser(prog="python -m app", description="Open the Storylens window.")
    parser.add_argument(
        "--index",
        type=library_place,
        help="the library's index directory, or a library kept in Milvus (milvus:PATH.db, "
        "milvus://HOST:PORT/NAME): read-only in the window",
    )
    parser.add_argument("--config", type=Path, help="where settings live (for tests, demos)")
    args, qt_args = parser.parse_known_args(argv)
    return run_app(args.index, [sys.argv[0], *qt_args], config_dir=args.config)
