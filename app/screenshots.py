"""`python -m app.screenshots docs/`: PNGs of the real window for the README (`make screenshots`).

Runs the app on the sample stories in a private index and config dir, the way a person would:
first run (indexing with progress), a search, the first result open in the reader, the dark
theme, and — when this build has them — a comparison and "the same moment in every story".
Meant for a real display or Xvfb; the offscreen platform works too, with plainer fonts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.main import create_window
from app.main_window import MainWindow
from app.preferences import PreferencesDialog

if TYPE_CHECKING:
    from index import Passage

QUERY = "her dad, long gone from her life, turns up after the show to say sorry"
BOW_QUERY = "she takes her bow while the audience applauds"
BOW_STORIES = ("Camilla Roche", "Sofia Kalejs")  # both end a performance with a bow
SIDE_BY_SIDE = ("Sofia Kalejs", "Sofia Kalmurzaeva")  # two lives told alike
WINDOW = QSize(1280, 800)
TIMEOUT_MS = 120_000


def _wait(signal: Any, timeout_ms: int = TIMEOUT_MS) -> list[Any]:
    """Run the event loop until `signal` fires; its arguments. (A script, not the app: the
    window itself never waits like this.)"""
    loop = QEventLoop()
    received: list[list[Any]] = []

    def fired(*args: Any) -> None:
        received.append(list(args))
        loop.quit()

    signal.connect(fired)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(fired)
    if not received:
        raise TimeoutError(f"no {signal} within {timeout_ms} ms")
    return received[0]


def _settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _save(window: QWidget, out: Path, name: str) -> Path:
    _settle()
    path = out / name
    window.grab().save(str(path))
    print(f"wrote {path}")
    return path


def take(out: Path, size: QSize = WINDOW) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="storylens-shots-"))
    window = create_window(work / "index", config_dir=work / "config")
    window.set_theme("light")
    window.resize(size)
    window.show()
    window.start()
    written = []
    progress = _wait(window.service.build_progress)
    while progress and progress[0].phase != "embedding":
        progress = _wait(window.service.build_progress)
    written.append(_save(window, out, "first-run.png"))
    if window.service.is_building:
        _wait(window.service.build_finished)
    _settle(500)

    window.search.box.setText(QUERY)
    window.search.box.submitted.emit()
    _wait(window.service.search_finished)
    window.search.box.setCursorPosition(0)  # show the query's start, as typed
    _settle(800)  # the reader fetches the story
    written.append(_save(window, out, "search.png"))

    window.set_theme("dark")
    written.append(_save(window, out, "search-dark.png"))
    window.set_theme("light")

    window.show_preferences()
    [preferences] = [d for d in window.findChildren(PreferencesDialog) if d.isVisible()]
    written.append(_save(preferences, out, "preferences.png"))
    preferences.reject()

    written += _comparisons(window, out)
    written += _library(window, out, work)
    window.settings.theme = "system"
    window.close()
    _settle(200)
    return written


def _comparisons(window: MainWindow, out: Path) -> list[Path]:
    """The two bow-to-applause scenes side by side, at the threshold the window ships with,
    and the same moment in every story: what the comparison is for."""
    import importlib.util

    written = []
    window.search.box.setText(BOW_QUERY)
    window.search.box.submitted.emit()
    _wait(window.service.search_finished)
    first: dict[str, Passage] = {}
    for hit in window.search.model.hits():
        first.setdefault(hit.passage.story_title, hit.passage)
    bows = [first[title] for title in BOW_STORIES if title in first]
    if importlib.util.find_spec("app.compare_view") is not None and len(bows) == 2:
        window.comparisons.compare(*bows)
        _settle(3000)
        written.append(_save(window, out, "compare.png"))
        window.comparisons.close()
    if importlib.util.find_spec("app.moment_view") is not None and bows:
        window.comparisons.same_moment(bows[0])
        _settle(3000)
        written.append(_save(window, out, "moment.png"))
        window.comparisons.close()
    written += _whole_stories(window, out)
    return written


def _whole_stories(window: MainWindow, out: Path) -> list[Path]:
    """Two sample stories read side by side (the two Sofias' lives, told alike), and the
    heat map of the sample library."""
    import importlib.util

    written = []
    by_title = {s.title: s.id for s in window.stories.stories()}
    pair = [by_title.get(title) for title in SIDE_BY_SIDE]
    if importlib.util.find_spec("app.parallel_view") is not None and None not in pair:
        window.comparisons.side_by_side(*pair)  # type: ignore[arg-type]
        _settle(3000)
        written.append(_save(window, out, "side-by-side.png"))
        window.comparisons.close()
    if importlib.util.find_spec("app.heat_map_view") is not None:
        window.comparisons.heat_map()
        _settle(2000)
        written.append(_save(window, out, "heat-map.png"))
        window.comparisons.close()
    if importlib.util.find_spec("app.corpus_map_view") is not None:
        window.comparisons.corpus_map()  # with the search shown (the bows) marked on it
        _settle(3000)
        written.append(_save(window, out, "corpus-map.png"))
        window.comparisons.close()
    return written


def _library(window: MainWindow, out: Path, work: Path) -> list[Path]:
    """The library as a tree: two folders of stories beside the samples (copies of the sample
    stories, sorted by who dances), one story left out of searches, a filter typed."""
    import shutil

    from index.paths import bundled_seeds_dir

    folders = {
        "Ballet drafts": ["sofia-kalejs.txt", "sofia-kalmurzaeva.txt"],
        "Stage stories": ["camilla-roche.txt", "romy-baktybekova.txt"],
    }
    for folder, names in folders.items():
        (work / folder).mkdir()
        for name in names:
            shutil.copy(bundled_seeds_dir() / name, work / folder / name)
    window.search.box.clear()  # the copies would list every passage twice
    window.add_paths([work / folder for folder in folders])
    _wait(window.service.build_finished)
    _settle(500)
    model = window.stories
    left_out = [s for s in model.stories() if s.path.endswith("romy-baktybekova.txt")]
    model.check(left_out[-1:], False)
    window.library.select_story(left_out[-1].id)
    written = [_save(window, out, "library.png")]
    window.library.filter.setText("sofia")
    written.append(_save(window.library, out, "library-filter.png"))
    window.library.filter.clear()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.screenshots", description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs"))
    args = parser.parse_args(argv)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Storylens")
    take(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
