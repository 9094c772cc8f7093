"""The window's part of `storylens --self-test`: the real window, offscreen, searches and compares.

Run after the engine checks (index/cli/selftest.py) on the index they built: it opens the window
on that index with a private settings folder (the user's settings are never touched), waits
for the library to open, types a paraphrased query the way the search box receives it and
checks the first result, then searches for a bow to applause and opens the side-by-side
comparison of the two bow scenes, which must show at least one matched sentence pair. It
closes the window once its workers are done.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEventLoop,
    QMessageLogContext,
    QThreadPool,
    QTimer,
    QtMsgType,
    SignalInstance,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from index.embed.model import Embedder

QUERY = "her dad, long gone from her life, turns up after the show to say sorry"
EXPECTED_STORY = "Sofia Kalejs"
BOW_QUERY = "she takes her bow while the audience applauds"
BOW_STORIES = ("Camilla Roche", "Sofia Kalejs")
WAIT_MS = 120_000
# The offscreen platform says this whenever a window's size limits change: about the test
# platform, not about Storylens.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


class WindowCheckFailed(AssertionError):
    pass


def check_window(index_dir: Path, embedder: Embedder) -> str:
    from app.main import create_window
    from app.settings import Settings

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a self-test never opens a visible window
    app = QApplication.instance() or QApplication(["storylens"])
    previous_handler = qInstallMessageHandler(_quiet_offscreen)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="storylens-selftest-config-") as config:
        Settings(last_index_dir=str(index_dir), config_dir=Path(config)).save()
        window = create_window(index_dir, config_dir=Path(config), embedder=embedder)
        try:
            window.show()
            stories = _wait(window.service.library_changed, window.start)[0]
            shown = time.perf_counter() - started
            top = _search(window, QUERY)[0].passage
            if top.story_title != EXPECTED_STORY:
                raise WindowCheckFailed(f"the window's first result is {top.story_title!r}")
            pairs = _compare_bows(window)
            rows = _side_by_side(window)
        finally:
            window.close()
            QThreadPool.globalInstance().waitForDone(WAIT_MS)
            app.processEvents()
            qInstallMessageHandler(previous_handler)
    return (
        f"window open on {len(stories)} stories in {shown:.2f} s; its search shows "
        f"{top.story_title}, passage {top.ordinal + 1} first; its comparison of the bows "
        f"shows {len(pairs)} matched sentence pairs; the two stories side by side, "
        f"{rows} rows"
    )


def _search(window: Any, query: str) -> list[Any]:
    """Type `query` into the window's search box; the hits it then lists."""

    def type_query() -> None:
        window.search.box.setText(query)
        window.search.box.submitted.emit()

    result = _wait(window.service.search_finished, type_query)[0]
    if not result.hits:
        raise WindowCheckFailed(f"the window's search for {query!r} found nothing")
    hits: list[Any] = window.search.model.hits()
    return hits


def _compare_bows(window: Any) -> list[tuple[str, str]]:
    """Open the comparison of the two bow scenes; the sentence pairs it paints as matched."""
    first: dict[str, Any] = {}
    for hit in _search(window, BOW_QUERY):
        first.setdefault(hit.passage.story_title, hit.passage)
    missing = [title for title in BOW_STORIES if title not in first]
    if missing:
        raise WindowCheckFailed(f"the bow search found nothing in {missing}")
    if not window.comparisons.compare(*(first[title] for title in BOW_STORIES)):
        raise WindowCheckFailed("this build has no comparison view")
    view = window.pages.currentWidget()
    _wait(view.aligned, lambda: None, failed=view.failed)
    pairs: list[tuple[str, str]] = view.highlighted_pairs()
    if not pairs:
        raise WindowCheckFailed("the comparison of the two bows shows no matched sentences")
    window.comparisons.close()
    return pairs


def _side_by_side(window: Any) -> int:
    """Open the two bow stories side by side (whole stories, aligned); the rows it shows."""
    by_title = {story.title: story.id for story in window.stories.stories()}
    if not window.comparisons.side_by_side(*(by_title[title] for title in BOW_STORIES)):
        raise WindowCheckFailed("this build has no side-by-side view")
    view = window.pages.currentWidget()
    _wait(view.aligned, lambda: None, failed=view.failed)
    rows = view.rows.model_rows.rowCount()
    if not rows:
        raise WindowCheckFailed("the two stories side by side show no rows")
    window.comparisons.close()
    return int(rows)


def _quiet_offscreen(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if message != OFFSCREEN_NOISE:
        sys.stderr.write(f"{message}\n")


def _wait(
    signal: SignalInstance,
    trigger: Callable[[], object],
    *,
    failed: SignalInstance | None = None,
) -> tuple[Any, ...]:
    """Call `trigger()` and run the event loop until `signal` fires; its arguments."""
    received: list[tuple[Any, ...]] = []
    errors: list[str] = []
    loop = QEventLoop()

    def got(*args: Any) -> None:
        received.append(args)
        loop.quit()

    def went_wrong(message: str) -> None:
        errors.append(message)
        loop.quit()

    signal.connect(got)
    if failed is not None:
        failed.connect(went_wrong)
    QTimer.singleShot(WAIT_MS, loop.quit)
    try:
        trigger()
        if not received and not errors:
            loop.exec()
    finally:
        signal.disconnect(got)
        if failed is not None:
            failed.disconnect(went_wrong)
    if errors:
        raise WindowCheckFailed(errors[0])
    if not received:
        raise WindowCheckFailed(f"nothing came within {WAIT_MS // 1000} s")
    return received[0]
