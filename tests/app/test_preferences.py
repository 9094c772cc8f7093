"""Edit > Preferences: the dialog shows the settings, OK applies and saves them, Cancel doesn't."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.preferences import Choices, PreferencesDialog, precision_name
from app.settings import Settings
from tests.app.conftest import QUERY, READY_MS, OpenWindow

BUILD_MS = 180_000  # embedding the four sample stories again


def preferences_of(qtbot: QtBot, window: object) -> PreferencesDialog:
    window.act.preferences.trigger()  # type: ignore[attr-defined]
    shown = [
        d
        for d in window.findChildren(PreferencesDialog)  # type: ignore[attr-defined]
        if d.isVisible()
    ]
    assert len(shown) == 1
    return shown[0]


def test_the_dialog_shows_the_settings_and_reads_back_what_is_chosen(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(Choices("dark", 20, "auto"), running="bf16")
    qtbot.addWidget(dialog)
    assert dialog.choices() == Choices("dark", 20, "auto")
    assert "runs in bfloat16" in dialog.precision_note.text()
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.results.setValue(500)  # more than a search may ask: held to the most
    dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
    assert dialog.choices() == Choices("light", 200, "fp32")


def test_the_model_is_a_chosen_folder_or_the_built_in_one(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = PreferencesDialog(Choices("system", 20, "auto"), library_model="all-MiniLM-L6-v2")
    qtbot.addWidget(dialog)
    assert "built with all-MiniLM-L6-v2" in dialog.model_note.text()
    assert not dialog.built_in_model.isEnabled()  # the built-in one is chosen already
    # The platform's folder dialog cannot run offscreen; what it would return is given.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_: str(tmp_path))
    dialog.choose_model.click()
    assert dialog.choices().model == str(tmp_path)
    assert dialog.model.text() == str(tmp_path)
    dialog.built_in_model.click()
    assert dialog.choices().model is None


def test_ok_applies_and_saves_the_choices_and_cancel_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, config_dir: Path
) -> None:
    window = open_window(library_copy)
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as first:
        window.search.box.setText(QUERY)
        window.search.box.returnPressed.emit()
    assert len(first.args[0].hits) == 20  # the default number of results

    try:
        dialog = preferences_of(qtbot, window)
        assert dialog.choices() == Choices.of(window.settings)
        assert window.service.embedder is not None
        running = precision_name(window.service.embedder.running_precision or "")
        assert running in ("float32", "bfloat16")
        assert f"runs in {running}" in dialog.precision_note.text()
        dialog.results.setValue(2)
        dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
        dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
        with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as again:
            dialog.accept()
        assert len(again.args[0].hits) == 2  # the shown search ran again with the new number
        qtbot.waitUntil(lambda: "ready, in float32" in window.statusBar().currentMessage())
        saved = Settings.load(config_dir)
        assert (saved.theme, saved.results_per_search, saved.precision) == ("dark", 2, "fp32")
        assert [a.data() for a in window.act.themes.actions() if a.isChecked()] == ["dark"]
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        assert app.palette().window().color().lightness() < 128
        assert window.service.embedder is not None
        assert window.service.embedder.precision == "fp32"  # loaded again, in float32

        dialog = preferences_of(qtbot, window)
        dialog.results.setValue(50)
        dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
        dialog.reject()
        saved = Settings.load(config_dir)
        assert (saved.theme, saved.results_per_search, saved.precision) == ("dark", 2, "fp32")
        assert window.settings.results_per_search == 2
    finally:
        window.set_theme("system")  # the palette is the whole test session's


def choose_another_model(qtbot: QtBot, window: MainWindow, model: Path) -> list[object]:
    """Choose `model` in Preferences for a library built with the bundled one; what the
    service's model_mismatch says."""
    chosen = replace(Choices.of(window.settings), model=str(model))
    with qtbot.waitSignal(window.service.model_mismatch, timeout=READY_MS) as mismatch:
        window.apply_preferences(chosen)
    return list(mismatch.args or [])


def answer_model_question(qtbot: QtBot, window: object, button_text: str) -> None:
    """Click `button_text` in the question the window asks when the chosen model is not the
    library's."""
    boxes: list[QMessageBox] = []

    def asked() -> bool:
        boxes[:] = [
            b
            for b in window.findChildren(QMessageBox)  # type: ignore[attr-defined]
            if b.isVisible()
        ]
        return len(boxes) == 1

    qtbot.waitUntil(asked, timeout=READY_MS)
    [button] = [b for b in boxes[0].buttons() if b.text() == button_text]
    button.click()


def test_another_model_is_loaded_and_the_library_rebuilt_with_it_when_asked(
    qtbot: QtBot,
    open_window: OpenWindow,
    library_copy: Path,
    config_dir: Path,
    dense_model: Path,
) -> None:
    window = open_window(library_copy)
    mismatch = choose_another_model(qtbot, window, dense_model)
    assert mismatch == ["all-MiniLM-L6-v2", "default", dense_model.name]
    assert Settings.load(config_dir).model == str(dense_model)
    with qtbot.waitSignal(window.service.build_finished, timeout=BUILD_MS):
        answer_model_question(qtbot, window, f"Rebuild with {dense_model.name}")
    assert window.service.embedder is not None
    assert window.service.embedder.name == dense_model.name
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as found:
        window.service.search(QUERY, k=3)
    assert len(found.args[0].hits) == 3  # the rebuilt library answers with the new model


def test_keeping_the_librarys_model_goes_back_to_it(
    qtbot: QtBot,
    open_window: OpenWindow,
    library_copy: Path,
    config_dir: Path,
    dense_model: Path,
) -> None:
    window = open_window(library_copy)
    choose_another_model(qtbot, window, dense_model)
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS) as reopened:
        answer_model_question(qtbot, window, "Keep all-MiniLM-L6-v2")
    assert len(reopened.args[0]) == 4  # the library open again, with the model that built it
    assert Settings.load(config_dir).model is None
    qtbot.waitUntil(lambda: window.service.model_loaded, timeout=READY_MS)
    assert window.service.embedder is not None
    assert window.service.embedder.name == "all-MiniLM-L6-v2"


def test_a_model_that_cannot_load_is_reported_and_the_old_one_kept(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, config_dir: Path, tmp_path: Path
) -> None:
    window = open_window(library_copy)
    not_a_model = tmp_path / "holiday photos"
    not_a_model.mkdir()
    with (
        qtbot.waitSignal(window.service.failed, timeout=READY_MS) as failed,
        qtbot.waitSignal(window.service.library_changed, timeout=READY_MS) as reopened,
    ):
        window.apply_preferences(replace(Choices.of(window.settings), model=str(not_a_model)))
    assert "not a sentence-transformers model directory" in failed.args[0]
    assert "keeps the model it had" in failed.args[0]
    assert len(reopened.args[0]) == 4
    assert "keeps the model it had" in window.statusBar().currentMessage()
    assert Settings.load(config_dir).model is None  # never remembered
    qtbot.waitUntil(lambda: window.service.model_loaded, timeout=READY_MS)
    assert window.service.embedder is not None
    assert window.service.embedder.name == "all-MiniLM-L6-v2"


def test_the_passage_lengths_offered_are_the_engines() -> None:
    from app.settings import PASSAGE_TOKENS_RANGE
    from index.text.passages import PASSAGE_TOKENS_RANGE as ENGINE_RANGE

    assert PASSAGE_TOKENS_RANGE == ENGINE_RANGE


def test_a_new_passage_length_rebuilds_the_library_once_confirmed(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    dialog = preferences_of(qtbot, window)
    assert dialog.passages.text() == "Whole paragraphs (up to the model's limit)"
    assert dialog.choices().passage_tokens is None
    dialog.passages.setValue(96)
    dialog.accept()
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "at 96 tokens at most" in box.text()
    rebuild = next(b for b in box.buttons() if b.text() == "Rebuild")
    with qtbot.waitSignal(window.service.build_finished, timeout=BUILD_MS) as built:
        rebuild.click()
    assert built.args[0].passages_embedded == built.args[0].passages_total > 32
    library = window.service.library
    assert library is not None and library.passage_tokens == 96
    tokens = library.embedder.tokens
    assert (
        max(tokens.count(p.text) for s in library.stories() for p in library.passages(s.id)) <= 96
    )
    again = preferences_of(qtbot, window)
    assert again.choices().passage_tokens == 96
    again.reject()
