"""Changing the library from the window: cancelling a build, skipped files, removing a story."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.dialogs import SkippedDialog
from index import BuildProgress
from tests.app.conftest import QUERY, READY_MS, OpenWindow
from tests.app.test_main_window import search
from tests.conftest import SEEDS_TITLES


def large_story(folder: Path, paragraphs: int = 400) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(
        f"Paragraph {n}: the lighthouse keeper counted the ships that passed in the night, "
        f"and wrote each name in a ledger that nobody would ever read. It was entry {n}."
        for n in range(paragraphs)
    )
    path = folder / "the-long-ledger.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_cancelling_a_build_keeps_the_previous_index_answering(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, tmp_path: Path
) -> None:
    window = open_window(library_copy)
    before = (library_copy / "CURRENT").read_text(encoding="utf-8")
    large_story(tmp_path / "more")
    seen: list[BuildProgress] = []

    def cancel_on_first_progress(progress: BuildProgress) -> None:
        seen.append(progress)
        if len(seen) == 1:
            qtbot.mouseClick(window.build_status.cancel, Qt.MouseButton.LeftButton)

    window.service.build_progress.connect(cancel_on_first_progress)
    with (
        qtbot.assertNotEmitted(window.service.build_finished),
        qtbot.waitSignal(window.service.build_cancelled, timeout=READY_MS),
    ):
        window.add_paths([tmp_path / "more"])
    assert seen
    qtbot.waitUntil(lambda: not window.build_status.isVisible())
    assert (library_copy / "CURRENT").read_text(encoding="utf-8") == before
    assert {s.title for s in window.stories.stories()} == SEEDS_TITLES
    search(qtbot, window, QUERY)
    assert window.search.model.hit(0).passage.story_title == "Sofia Kalejs"


def test_re_index_after_cancel_goes_on_with_the_folder_being_added(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, tmp_path: Path
) -> None:
    window = open_window(library_copy)
    large_story(tmp_path / "more")
    at_cancel: list[BuildProgress] = []

    def cancel_once_some_are_embedded(progress: BuildProgress) -> None:
        if progress.phase == "embedding" and progress.done > 0 and not at_cancel:
            at_cancel.append(progress)
            window.service.cancel_build()

    window.service.build_progress.connect(cancel_once_some_are_embedded)
    with qtbot.waitSignal(window.service.build_cancelled, timeout=READY_MS):
        window.add_paths([tmp_path / "more"])
    assert "index again to go on" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as built:
        window.act.reindex.trigger()  # F5: the folder being added when Cancel was pressed
    report, cancelled = built.args[0], at_cancel[0]
    assert report.added == ["The Long Ledger"]
    assert report.passages_embedded <= cancelled.total - cancelled.done


def test_skipped_files_are_listed_with_their_reasons(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, tmp_path: Path
) -> None:
    window = open_window(library_copy)
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a-short-story.txt").write_text(
        "The tram stopped in the snow and nobody got off.\n", encoding="utf-8"
    )
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a picture")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as built:
        window.add_paths([folder])
    skipped_names = {Path(s.path).name for s in built.args[0].skipped}
    assert {"cover.jpg", "empty.txt"} <= skipped_names

    dialog = window.skipped_dialog
    assert isinstance(dialog, SkippedDialog)
    assert dialog.isVisible()
    rows = [
        (dialog.model.index(r, 0).data(), dialog.model.index(r, 1).data())
        for r in range(dialog.model.rowCount())
    ]
    listed = {Path(name).name: reason for name, reason in rows}
    assert set(listed) == skipped_names
    assert "unsupported" in listed["cover.jpg"]
    assert listed["empty.txt"]
    assert "A Short Story" in {s.title for s in window.stories.stories()}
    assert window.act.skipped.isEnabled()

    window.close()  # and open again, as after a restart: the index still knows them
    qtbot.waitUntil(lambda: window.service.active_jobs == 0, timeout=READY_MS)
    again = open_window(library_copy)
    assert again.act.skipped.isEnabled()
    again.act.skipped.trigger()
    assert isinstance(again.skipped_dialog, SkippedDialog)
    assert set(again.skipped_dialog.paths) == {str(s.path) for s in built.args[0].skipped}


def test_removing_a_story_after_confirming(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    story = next(s for s in window.stories.stories() if s.title == "Camilla Roche")
    window.library.select_story(story.id)
    window.library.tree.setFocus()
    qtbot.keyClick(window.library.tree, Qt.Key.Key_Delete)
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "Remove “Camilla Roche” from the library?" in box.text()
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as built:
        remove.click()
    assert built.args[0].removed == ["Camilla Roche"]
    assert {s.title for s in window.stories.stories()} == SEEDS_TITLES - {"Camilla Roche"}


def test_a_dropped_folder_is_added(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = open_window(library_copy)
    folder = tmp_path / "dropped"
    folder.mkdir()
    (folder / "harbour.txt").write_text(
        "The ferry left the harbour at dawn, and she did not look back.\n", encoding="utf-8"
    )
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as built:
        window.dropEvent(drop)
    assert built.args[0].added == ["Harbour"]
    assert "Harbour" in {s.title for s in window.stories.stories()}


def test_a_finished_build_searches_again_once(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, tmp_path: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window, QUERY)
    asked: list[str] = []
    send = window.service.search

    def counted(query: str, **options: object) -> None:
        asked.append(query)
        send(query, **options)  # type: ignore[arg-type]

    window.service.search = counted  # type: ignore[method-assign]
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "ledger.txt").write_text("The keeper wrote each ship's name.", "utf-8")
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS):
        window.add_paths([tmp_path / "more"])
    qtbot.waitUntil(lambda: window.service.active_jobs == 0, timeout=READY_MS)
    assert asked == [QUERY]


def test_a_damaged_index_is_rebuilt_from_the_file_menu(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    current = (library_copy / "CURRENT").read_text(encoding="utf-8").strip()
    (library_copy / current / "passages.faiss").write_bytes(b"not a vector file")
    window = open_window(library_copy, wait=False)
    with qtbot.waitSignal(window.service.failed, timeout=READY_MS) as failed:
        window.start()
    assert "File > Rebuild index" in failed.args[0]
    assert window.act.rebuild in window.menuBar().actions()[0].menu().actions()
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        window.act.rebuild.trigger()  # nothing opened, so nothing to confirm
    qtbot.waitUntil(lambda: {s.title for s in window.stories.stories()} == SEEDS_TITLES)
    search(qtbot, window, QUERY)
    assert window.search.model.hit(0).passage.story_title == "Sofia Kalejs"


def test_stories_whose_folder_went_offline_stay_and_say_so(
    qtbot: QtBot, open_window: OpenWindow, seeds: Path, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "ix")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        window.add_paths([seeds])
    seeds.rename(tmp_path / "renamed")  # a drive unplugged, a folder renamed
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as finished:
        window.service.reindex()
    assert finished.args[0].removed == []
    qtbot.waitUntil(lambda: all(s.offline for s in window.stories.stories()))
    model = window.stories
    rows = [model.story_index(s.id) for s in model.stories()]
    assert [model.data(row) for row in rows] == sorted(f"{t} (offline)" for t in SEEDS_TITLES)
    assert "cannot be found now" in model.data(rows[0], Qt.ItemDataRole.ToolTipRole)


def test_indexing_progress_says_its_pace_and_time_left() -> None:
    from app.build_status import describe_progress

    said = describe_progress(BuildProgress("embedding", 1024, 6847, "Sofia Kalejs", 41.0, 142))
    assert said == (
        "Indexing: 1,024 of 6,847 passages · 41 a second, 2 min 22 s left · Sofia Kalejs"
    )


def test_time_left_counts_down_between_two_progress_updates(qtbot: QtBot) -> None:
    from app.build_status import BuildStatus

    status = BuildStatus()
    qtbot.addWidget(status)
    status.started()
    status.update_progress(BuildProgress("embedding", 64, 6847, "Sofia Kalejs", 41.0, 142))
    assert "2 min 22 s left" in status.label.text()
    qtbot.waitUntil(lambda: "2 min 21 s left" in status.label.text(), timeout=2500)
    assert "64 of 6,847 passages" in status.label.text()  # the count is what was said
    status.update_progress(BuildProgress("saving", 0, 1, ""))
    qtbot.wait(1200)
    assert status.label.text() == "Saving the index…"
