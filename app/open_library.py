"""File > Open library…: another library, a folder holding an index or one kept in Milvus.

What a place is, and whether it can be opened, is said under the field as the person types
(`judge_place`), so a folder of their own files is refused before anything is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import named, scaled
from index.errors import StorylensError
from index.store.generations import IndexDir
from index.store.milvus import MilvusAddress, is_milvus_address


@dataclass(frozen=True)
class PlaceJudgement:
    """A place typed or chosen: where it is, whether it can be opened, and what it is."""

    place: Path | str
    usable: bool
    note: str


def judge_place(text: str) -> PlaceJudgement | None:
    """What opening `text` would do (None: nothing typed). Reads only what is on this machine:
    a Milvus server is reached when the library opens, and says then if it cannot be."""
    text = text.strip()
    if not text:
        return None
    if is_milvus_address(text):
        try:
            address = MilvusAddress.parse(text)
            missing = address.is_local_file and not Path(address.uri).exists()
        except StorylensError as exc:
            return PlaceJudgement(text, False, str(exc))
        except (OSError, ValueError) as exc:  # a NUL in the file's name
            return PlaceJudgement(text, False, f"This cannot be opened: {exc}.")
        if missing:
            return PlaceJudgement(text, False, f"There is no Milvus Lite file at {address.uri}.")
        return PlaceJudgement(
            text, True, "A library kept in Milvus: searched here, read-only in this window."
        )
    try:
        return _judge_folder(IndexDir(Path(text)))
    except (OSError, ValueError) as exc:  # a NUL in the name, a folder that cannot be read
        return PlaceJudgement(text, False, f"This cannot be opened: {exc}.")


def _judge_folder(folder: IndexDir) -> PlaceJudgement:
    if folder.path.exists() and not folder.path.is_dir():
        return PlaceJudgement(folder.path, False, "This is a file: choose a library's folder.")
    if folder.exists():
        if not folder.writable():
            return PlaceJudgement(
                folder.path, True, "A library in a folder you cannot write to: read-only here."
            )
        return PlaceJudgement(folder.path, True, "A library.")
    if folder.holds_other_files():
        return PlaceJudgement(
            folder.path,
            False,
            "This folder holds other files and no library. Choose a library's folder, or an "
            "empty one for a new library.",
        )
    if not folder.writable():
        return PlaceJudgement(
            folder.path,
            False,
            "You cannot write here, so no library can be made here. Choose a folder you can "
            "write to.",
        )
    return PlaceJudgement(
        folder.path, True, "No library here yet: a new one, empty until stories are added."
    )


class OpenLibraryDialog(QDialog):
    """Asks for a library's folder or Milvus address; `chosen` is set when accepted."""

    def __init__(self, current: Path | str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open library")
        self.chosen: Path | str | None = None
        em = self.fontMetrics().height()
        heading = QLabel("Open a library", self)
        heading.setFont(scaled(self.font(), 1.25, weight=self.font().Weight.DemiBold))
        explanation = named(
            QLabel(
                "The folder of a library's index, or a library kept in Milvus: "
                "milvus:PATH.db (Milvus Lite) or milvus://HOST:PORT/NAME (a server).",
                self,
                wordWrap=True,
            ),
            "muted",
        )
        self.place = QLineEdit(str(current) if current is not None else "", self)
        self.place.setPlaceholderText("/path/to/library  or  milvus://host:19530/library")
        self.place.setClearButtonEnabled(True)
        browse = QPushButton("Choose folder…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.place, 1)
        row.addWidget(browse)
        self.note = named(QLabel(self, wordWrap=True), "muted")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(round(em * 1.2), round(em * 1.2), round(em * 1.2), round(em))
        layout.setSpacing(round(em * 0.6))
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.place.textChanged.connect(self._judge)
        self._judge(self.place.text())
        self.resize(em * 36, self.sizeHint().height())

    def _judge(self, text: str) -> None:
        judgement = judge_place(text)
        self.note.setText(judgement.note if judgement is not None else "")
        usable = judgement is not None and judgement.usable
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(usable)

    def _browse(self) -> None:
        typed = self.place.text().strip()
        start = typed if typed and Path(typed).is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "A library's folder", start)
        if folder:
            self.place.setText(folder)

    def accept(self) -> None:
        judgement = judge_place(self.place.text())
        if judgement is None or not judgement.usable:
            return
        self.chosen = judgement.place
        super().accept()
