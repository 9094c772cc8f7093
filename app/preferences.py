"""Edit > Preferences: the settings a person chooses (app/settings.py), in one dialog.

The dialog only edits a copy of the choices; the window applies them when it is accepted
(MainWindow.apply_preferences), so Cancel leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import (
    PASSAGE_TOKENS_RANGE,
    PRECISIONS,
    RESULTS_PER_SEARCH,
    THEMES,
    Precision,
    Settings,
    Theme,
)

THEME_NAMES: dict[Theme, str] = {"system": "As the system", "light": "Light", "dark": "Dark"}
PRECISION_NAMES: dict[Precision, str] = {
    "auto": "Automatic (bfloat16 where this CPU computes it natively)",
    "fp32": "Float32 (exact; about half the speed where bfloat16 is native)",
    "bf16": "BFloat16 (fast on CPUs with AMX or AVX512_BF16, slow elsewhere)",
}


def precision_name(precision: str) -> str:
    """A precision as people read it ("bf16" -> "bfloat16")."""
    return {"fp32": "float32", "bf16": "bfloat16"}.get(precision, precision)


@dataclass(frozen=True)
class Choices:
    """What the dialog lets a person change."""

    theme: Theme
    results_per_search: int
    precision: Precision
    model: str | None = None  # a local model folder; None: the bundled model
    passage_tokens: int | None = None  # the library's longest passage; None: whole paragraphs

    @classmethod
    def of(cls, settings: Settings, *, passage_tokens: int | None = None) -> Choices:
        """The settings, and the open library's passage length (the index keeps that)."""
        return cls(
            settings.theme,
            settings.results_per_search,
            settings.precision,
            settings.model,
            passage_tokens,
        )


BUILT_IN_MODEL = "all-MiniLM-L6-v2 (built in, English)"


class PreferencesDialog(QDialog):
    """Theme, results per search, the model and its arithmetic. `running` names the
    precision the loaded model runs in, when one is loaded; `library_model`, the model that
    built the open library."""

    def __init__(
        self,
        current: Choices,
        *,
        running: str | None = None,
        library_model: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._model = current.model
        model_row = self._model_row(current.model)
        about_model = (
            "Any sentence-transformers model in a local folder (one for several languages to "
            "compare a story with its translation). Changing it means embedding the library "
            "again: Storylens offers to."
        )
        if library_model is not None:
            about_model = f"This library was built with {library_model}. " + about_model
        self.model_note = QLabel(about_model)
        self.model_note.setWordWrap(True)
        self.theme = QComboBox()
        for theme in THEMES:
            self.theme.addItem(THEME_NAMES[theme], theme)
        self.theme.setCurrentIndex(THEMES.index(current.theme))
        self.results = QSpinBox()
        self.results.setRange(*RESULTS_PER_SEARCH)
        self.results.setValue(current.results_per_search)
        self.precision = QComboBox()
        for precision in PRECISIONS:
            self.precision.addItem(PRECISION_NAMES[precision], precision)
        self.precision.setCurrentIndex(PRECISIONS.index(current.precision))
        note = "Float32 and bfloat16 rank alike; an index built in one is searched in the other."
        if running is not None:
            note += f" The model runs in {precision_name(running)} now."
        self.precision_note = QLabel(note)
        self.precision_note.setWordWrap(True)
        self.passages = QSpinBox()
        low, high = PASSAGE_TOKENS_RANGE
        self.passages.setRange(low - 1, high)  # the lowest shows as whole paragraphs
        self.passages.setSingleStep(16)
        self.passages.setSpecialValueText("Whole paragraphs (up to the model's limit)")
        self.passages.setSuffix(" tokens at most")
        self.passages.setValue(current.passage_tokens or low - 1)
        self.passages_note = QLabel(
            "Shorter passages point at a moment more closely; longer ones keep more of a scene "
            "together. Changing it embeds the library again: Storylens asks first."
        )
        self.passages_note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Theme:", self.theme)
        form.addRow("&Results per search:", self.results)
        model_label = QLabel("&Model:")
        model_label.setBuddy(self.choose_model)
        form.addRow(model_label, model_row)
        form.addRow("", self.model_note)
        form.addRow("Model &precision:", self.precision)
        form.addRow("", self.precision_note)
        form.addRow("&Passage length:", self.passages)
        form.addRow("", self.passages_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _model_row(self, current: str | None) -> QHBoxLayout:
        """The chosen model's folder (or the built-in model's name) and the buttons to
        change it."""
        self.model = QLineEdit()
        self.model.setReadOnly(True)
        metrics = self.model.fontMetrics()
        self.model.setMinimumWidth(
            metrics.horizontalAdvance(BUILT_IN_MODEL) + metrics.horizontalAdvance("M")
        )
        self.choose_model = QPushButton("&Choose folder…")
        self.choose_model.clicked.connect(self._choose_model)
        self.built_in_model = QPushButton("&Built in")
        self.built_in_model.clicked.connect(lambda: self._set_model(None))
        self._set_model(current)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(self.choose_model)
        row.addWidget(self.built_in_model)
        return row

    def choices(self) -> Choices:
        """What the dialog shows now (what the window applies if it is accepted)."""
        return Choices(
            theme=self.theme.currentData(),
            results_per_search=self.results.value(),
            precision=self.precision.currentData(),
            model=self._model,
            passage_tokens=(
                None if self.passages.value() < PASSAGE_TOKENS_RANGE[0] else self.passages.value()
            ),
        )

    def _set_model(self, folder: str | None) -> None:
        self._model = folder
        self.model.setText(folder if folder is not None else BUILT_IN_MODEL)
        self.model.setCursorPosition(0)
        self.built_in_model.setEnabled(folder is not None)

    def _choose_model(self) -> None:
        start = self._model or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "A sentence-transformers model", start)
        if folder:
            self._set_model(folder)
