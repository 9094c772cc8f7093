"""Watched folders: story files that change start a refresh, a burst of changes one refresh,
and nothing else starts one; in the window, a new story is indexed while it is open."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.watcher import FolderWatcher
from tests.app.conftest import READY_MS, OpenWindow


def test_a_story_file_written_in_a_watched_folder_is_noticed_once(
    qtbot: QtBot, tmp_path: Path
) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    watcher = FolderWatcher(quiet_ms=300)
    watcher.watch([tmp_path])
    seen: list[None] = []
    watcher.changed.connect(lambda: seen.append(None))
    try:
        with qtbot.waitSignal(watcher.changed, timeout=10_000):
            for n in range(5):  # a burst: one refresh
                (tmp_path / "deep" / "er" / f"chapter-{n}.md").write_text("The keeper.", "utf-8")
        qtbot.wait(800)
        assert len(seen) == 1
    finally:
        watcher.stop()


def test_files_that_are_not_stories_are_not_noticed(qtbot: QtBot, tmp_path: Path) -> None:
    watcher = FolderWatcher(quiet_ms=200)
    watcher.watch([tmp_path, tmp_path / "missing"])
    assert watcher.folders == (tmp_path,)
    try:
        with qtbot.assertNotEmitted(watcher.changed, wait=1500):
            (tmp_path / ".draft.txt").write_text("hidden", "utf-8")
            (tmp_path / "notes.log").write_text("a log", "utf-8")
            (tmp_path / "~$story.docx").write_bytes(b"an Office lock file")
            (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8")
    finally:
        watcher.stop()


def test_a_story_added_while_the_window_is_open_is_indexed(
    qtbot: QtBot, open_window: OpenWindow, seeds: Path, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "ix")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        window.add_paths([seeds])
    qtbot.waitUntil(lambda: window.watcher.folders == (seeds,), timeout=READY_MS)
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as finished:
        (seeds / "the-lighthouse.txt").write_text("A keeper counts the ships at night.", "utf-8")
    assert finished.args[0].added == ["The Lighthouse"]
    window.act.watch.trigger()  # off: a change is left for the next refresh
    assert not window.settings.watch_folders
    assert window.watcher.folders == ()
