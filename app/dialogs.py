"""Small dialogs: the files an indexing run skipped, About, and the keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    qVersion,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.theme import named, scaled

_Index = QModelIndex | QPersistentModelIndex

# Versions worth naming in bug reports; read from package metadata (importing torch takes seconds).
COMPONENTS = (
    ("Storylens", ("storylens",)),
    ("PySide6", ("PySide6", "PySide6-Essentials")),
    ("torch", ("torch",)),
    ("sentence-transformers", ("sentence-transformers",)),
    ("faiss", ("faiss-cpu", "faiss")),
)


class Shortcut(NamedTuple):
    keys: str
    what: str


def component_versions() -> list[tuple[str, str]]:
    found = [("Qt", qVersion())]
    for label, distributions in COMPONENTS:
        found.append((label, _first_version(distributions)))
    return found


def _first_version(distributions: Sequence[str]) -> str:
    for name in distributions:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "not installed"


class _TwoColumns(QAbstractTableModel):
    """A read-only table of (first, second) string pairs with two headers (no signals)."""

    def __init__(self, headers: tuple[str, str], rows: Sequence[tuple[str, str]], parent: Any):
        super().__init__(parent)
        self._headers = headers
        self._rows = list(rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else 2

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None


class _TableDialog(QDialog):
    """A titled explanation above a two-column table, with a Close button (no signals)."""

    def __init__(
        self,
        title: str,
        intro: str,
        headers: tuple[str, str],
        rows: Sequence[tuple[str, str]],
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        em = self.fontMetrics().height()
        heading = QLabel(title, self)
        heading.setFont(scaled(self.font(), 1.25, weight=self.font().Weight.DemiBold))
        explanation = named(QLabel(intro, self, wordWrap=True), "muted")
        self.model = _TwoColumns(headers, rows, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(round(em * 1.5))
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setShowGrid(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(round(em * 1.2), round(em * 1.2), round(em * 1.2), round(em))
        layout.setSpacing(round(em * 0.6))
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(QSize(em * 40, self._height_for_every_row(em)))

    def _height_for_every_row(self, em: int) -> int:
        """Tall enough to show every row without scrolling, up to most of the screen (the
        shortcut list showed six rows at a time)."""
        table = self.table
        rows = sum(table.rowHeight(r) for r in range(self.model.rowCount()))
        wanted = self.sizeHint().height() - table.sizeHint().height()  # all but the table
        wanted += rows + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        screen = self.screen().availableGeometry().height() if self.screen() else em * 50
        return max(em * 14, min(wanted + em // 2, round(screen * 0.85)))


class SkippedDialog(_TableDialog):
    """The files an indexing run left out, each with the reason (no signals)."""

    def __init__(self, skipped: Sequence[Any], parent: QWidget | None = None) -> None:
        rows = [(Path(s.path).name, s.reason) for s in skipped]
        n = len(rows)
        super().__init__(
            f"{n} file{'s' if n != 1 else ''} skipped",
            "These files were not indexed. Hover over a name to see its full path.",
            ("File", "Reason"),
            rows,
            parent,
        )
        self.paths = [str(s.path) for s in skipped]


class ShortcutsDialog(_TableDialog):
    """Every keyboard shortcut of the window (no signals)."""

    def __init__(self, shortcuts: Sequence[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(
            "Keyboard shortcuts",
            "Storylens can be used without the mouse.",
            ("Keys", "Action"),
            [(s.keys, s.what) for s in shortcuts],
            parent,
        )


class AboutDialog(QDialog):
    """What Storylens is and the versions of what it runs on (no signals)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Storylens")
        em = self.fontMetrics().height()
        name = QLabel("Storylens", self)
        name.setFont(scaled(self.font(), 1.8, weight=self.font().Weight.Bold))
        blurb = QLabel(
            "Semantic search over stories: ask in plain language, read each passage in its "
            "story, and compare how stories tell the same moment. Everything runs on this "
            "computer; nothing is sent anywhere.",
            self,
            wordWrap=True,
        )
        self.versions = component_versions()
        table = "".join(
            f"<tr><td style='padding-right:1.5em'>{label}</td><td>{value}</td></tr>"
            for label, value in self.versions
        )
        details = named(QLabel(f"<table>{table}</table>", self), "muted")
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(round(em * 1.5), round(em * 1.5), round(em * 1.5), round(em))
        layout.setSpacing(round(em * 0.7))
        layout.addWidget(name)
        layout.addWidget(blurb)
        layout.addWidget(details)
        layout.addWidget(buttons)
        self.setMinimumWidth(em * 26)
