"""The library tree on the real window and engine: collections with tri-state checkboxes, the
filter box, several stories chosen at once, a folder removed in one step."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.library_view import CollectionEdit
from app.search_view import EmptyState
from index.store.collections import SAMPLES_NAME
from tests.app.conftest import READY_MS, OpenWindow
from tests.app.test_main_window import search
from tests.conftest import SEEDS_TITLES

CHECK = Qt.ItemDataRole.CheckStateRole


def shown_rows(window: object) -> list[str]:
    """What the tree shows, collections and their stories, as the person sees it."""
    view = window.library  # type: ignore[attr-defined]
    shown = view.shown
    rows = []
    for top in range(shown.rowCount()):
        collection = shown.index(top, 0)
        rows.append(collection.data())
        rows += [
            f"  {shown.index(r, 0, collection).data()}" for r in range(shown.rowCount(collection))
        ]
    return rows


def test_the_sample_stories_are_a_collection_checked_as_a_whole_or_in_part(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    model = window.stories
    assert shown_rows(window) == [SAMPLES_NAME, *(f"  {t}" for t in sorted(SEEDS_TITLES))]
    samples = model.collection_index(SAMPLES_NAME)
    assert window.library.tree.isExpanded(window.library.shown.mapFromSource(samples))
    camilla = next(s for s in model.stories() if s.title == "Camilla Roche")

    model.setData(model.story_index(camilla.id), Qt.CheckState.Unchecked, CHECK)
    assert model.data(samples, CHECK) == Qt.CheckState.PartiallyChecked
    assert window.library.count.text() == "3 of 4"

    model.setData(samples, Qt.CheckState.Checked, CHECK)  # a click on a partly checked box
    assert model.checked_ids() is None
    assert window.library.count.text() == "4"

    search(qtbot, window)
    model.setData(samples, Qt.CheckState.Unchecked, CHECK)
    assert model.checked_ids() == []
    assert window.search.empty_title.text() == EmptyState.NONE_CHECKED.value[0]
    assert window.library.count.text() == "0 of 4"


def test_the_filter_box_keeps_matching_stories_and_their_collection(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    qtbot.keyClicks(window.library.filter, "sofia")
    assert shown_rows(window) == [SAMPLES_NAME, "  Sofia Kalejs", "  Sofia Kalmurzaeva"]
    window.library.filter.clear()
    assert len(shown_rows(window)) == 5
    qtbot.keyClicks(window.library.filter, "sample")  # a collection's name keeps its stories
    assert len(shown_rows(window)) == 5
    window.library.filter.setText("no such story")
    assert shown_rows(window) == []


def test_space_checks_or_unchecks_every_selected_story(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    model, tree = window.stories, window.library.tree
    chosen = [s for s in model.stories() if s.title.startswith("Sofia")]
    tree.setFocus()
    window.library.select_story(chosen[0].id)
    tree.selectionModel().select(
        window.library.shown.mapFromSource(model.story_index(chosen[1].id)),
        QItemSelectionModel.SelectionFlag.Select,
    )
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert set(model.checked_ids() or ()) == {
        s.id for s in model.stories() if not s.title.startswith("Sofia")
    }
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert model.checked_ids() is None


def test_a_folder_is_removed_with_its_stories_in_one_step(
    qtbot: QtBot, open_window: OpenWindow, seeds: Path, tmp_path: Path
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    for name in ("harbour", "orchard"):
        (drafts / f"{name}.txt").write_text(f"A short story about the {name} at dawn.", "utf-8")
    window = open_window(tmp_path / "ix")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        window.add_paths([seeds, drafts])
    qtbot.waitUntil(lambda: len(window.stories.stories()) == 6)
    assert [c.name for c in window.stories.collections()] == ["stories", "drafts"]
    assert shown_rows(window)[-3:] == ["drafts", "  Harbour", "  Orchard"]

    tree = window.library.tree
    tree.setFocus()
    tree.setCurrentIndex(
        window.library.shown.mapFromSource(window.stories.collection_index("drafts"))
    )
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "Remove the folder “drafts” (2 stories) from the library?" in box.text()
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS) as built:
        remove.click()
    assert sorted(built.args[0].removed) == ["Harbour", "Orchard"]
    qtbot.waitUntil(lambda: [c.name for c in window.stories.collections()] == ["stories"])
    assert (drafts / "harbour.txt").is_file()  # the files themselves stay


def test_stories_gathered_into_a_named_collection_and_it_forgotten_again(
    qtbot: QtBot,
    open_window: OpenWindow,
    library_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(library_copy)
    model = window.stories
    bows = [s for s in model.stories() if s.title in {"Camilla Roche", "Sofia Kalejs"}]
    # The platform's name dialog cannot be answered offscreen; what it would return is given.
    monkeypatch.setattr(QInputDialog, "getText", lambda *_args: ("Bows", True))
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
        window.library.new_collection(tuple(s.path for s in bows))
    assert shown_rows(window)[-3:] == ["Bows", "  Camilla Roche", "  Sofia Kalejs"]
    assert (library_copy / "collections.json").is_file()  # kept with the index

    romy = next(s for s in model.stories() if s.title == "Romy Baktybekova")
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
        window.library.collection_edit_requested.emit(CollectionEdit("Bows", add=(romy.path,)))
    assert shown_rows(window)[-4:] == [
        "Bows",
        "  Camilla Roche",
        "  Romy Baktybekova",
        "  Sofia Kalejs",
    ]

    tree = window.library.tree
    tree.setFocus()
    tree.setCurrentIndex(window.library.shown.mapFromSource(model.collection_index("Bows")))
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "the collection “Bows” (its 3 stories stay)" in box.text()
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
        remove.click()
    assert [c.name for c in model.collections()] == [SAMPLES_NAME]
    assert len(model.stories()) == 4


def test_a_folded_collection_stays_folded_after_a_restart(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    view = window.library
    samples = view.shown.mapFromSource(window.stories.collection_index(SAMPLES_NAME))
    view.tree.collapse(samples)
    view.filter.setText("sofia")  # a filter opens it to show what matches ...
    assert view.tree.isExpanded(
        view.shown.mapFromSource(window.stories.collection_index(SAMPLES_NAME))
    )
    view.filter.clear()  # ... and folds it again when cleared
    assert not view.tree.isExpanded(
        view.shown.mapFromSource(window.stories.collection_index(SAMPLES_NAME))
    )
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible())
    again = open_window(library_copy, first_run=True)  # with the settings the first saved
    index = again.library.shown.mapFromSource(again.stories.collection_index(SAMPLES_NAME))
    assert not again.library.tree.isExpanded(index)


def test_two_stories_read_side_by_side_and_more_on_the_heat_map(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """The context menu's reading entries: one story from its start, two (or up to five) side
    by side, three or more on the heat map (each asks through the library's signals)."""
    from PySide6.QtWidgets import QMenu

    window = open_window(library_copy)
    stories = window.stories.stories()
    tree = window.library.tree
    for chosen, text, signal, expected in (
        (stories[:1], "Read from the start", window.library.open_requested, [stories[0]]),
        (
            stories[:2],
            "Read side by side",
            window.library.side_by_side_requested,
            [[stories[0].id, stories[1].id]],
        ),
        (
            stories[:3],
            "Heat map of these 3 stories",
            window.library.heat_map_requested,
            [[s.id for s in stories[:3]]],
        ),
    ):
        menu = QMenu()
        tree._reading_actions(menu, chosen, single_story=True)
        [action] = [a for a in menu.actions() if a.text() == text]
        with qtbot.waitSignal(signal, timeout=1000) as asked:
            action.trigger()
        assert asked.args == expected
    heat = window.pages.currentWidget()  # the last asked for, opened by the window
    qtbot.waitUntil(lambda: getattr(heat.map, "matrix", None) is not None, timeout=READY_MS)
    assert len(heat.map.matrix.stories) == 3
