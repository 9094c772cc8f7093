"""The list of hits behind the results view: one adapter over a plain list, no data in items."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt

from app.highlight import Span
from app.mime import PASSAGE_MIME
from app.service import SearchResult

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Hit

_Index = QModelIndex | QPersistentModelIndex


def evidence_text(hit: Hit) -> str:
    """The parts a hit's relevance is drawn from, as the tooltip names them."""
    why = hit.why
    parts = [] if why.token_match is None else [f"word by word {why.token_match:.2f}"]
    return ", ".join([*parts, f"meaning {why.dense:.2f}", f"keywords {why.keyword:.2f}"])


class Role(IntEnum):
    HIT = Qt.ItemDataRole.UserRole + 1  # the Hit
    MATCHES = Qt.ItemDataRole.UserRole + 2  # spans of query words in hit.passage.text
    POSITION = Qt.ItemDataRole.UserRole + 3  # "passage 3 of 9"
    SCORE = Qt.ItemDataRole.UserRole + 4  # float, Hit.relevance: 0..1, never rising down the list
    STRIP = Qt.ItemDataRole.UserRole + 5  # Strip: where the hit and its story's others fall


@dataclass(frozen=True)
class Strip:
    """A story as a thin bar: its `count` passages, this hit's ordinal, and the ordinals of the
    story's other hits in the same result."""

    count: int
    here: int
    others: tuple[int, ...]


def position_text(hit: Hit) -> str:
    passage = hit.passage
    return f"passage {passage.ordinal + 1} of {passage.story_passage_count}"


def hit_markdown(hit: Hit) -> str:
    """A result as a Markdown quote that says where it comes from."""
    quoted = "\n".join(
        f"> {line}" if line.strip() else ">" for line in hit.passage.text.split("\n")
    )
    return f"{quoted}\n\n— *{hit.passage.story_title}*, {position_text(hit)}\n"


class ResultsModel(QAbstractListModel):
    """Rows are the hits of the last SearchResult, best first; read-only (no signals beyond
    QAbstractItemModel's own)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._result = SearchResult("", [], [])
        self._ordinals: dict[int, list[int]] = {}  # story id -> its hits' ordinals (strips)

    @property
    def result(self) -> SearchResult:
        return self._result

    def set_result(self, result: SearchResult) -> None:
        self.beginResetModel()
        self._result = result
        self._ordinals = {}
        for hit in result.hits:
            self._ordinals.setdefault(hit.passage.story_id, []).append(hit.passage.ordinal)
        self.endResetModel()

    def clear(self) -> None:
        self.set_result(SearchResult("", [], []))

    def hit(self, row: int) -> Hit:
        return self._result.hits[row]

    def hits(self) -> list[Hit]:
        return list(self._result.hits)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._result.hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._result.hits):
            return None
        hit = self._result.hits[index.row()]
        matches: tuple[Span, ...] = self._result.matches[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{hit.passage.story_title}, {position_text(hit)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            more = len(self._ordinals.get(hit.passage.story_id, [])) - 1
            elsewhere = f" ({more} more result{'s' if more != 1 else ''} in it)" if more else ""
            return (
                f"{hit.passage.story_title}, {position_text(hit)}{elsewhere}\n"
                f"Relevance {hit.relevance:.2f} ({evidence_text(hit)}). "
                "Enter opens it; Ctrl+C copies it as Markdown."
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{hit.passage.story_title}, {position_text(hit)}: {hit.passage.text}"
        if role == Role.HIT:
            return hit
        if role == Role.MATCHES:
            return matches
        if role == Role.POSITION:
            return position_text(hit)
        if role == Role.SCORE:
            return hit.relevance
        if role == Role.STRIP:
            passage = hit.passage
            others = self._ordinals.get(passage.story_id, [])
            return Strip(
                passage.story_passage_count,
                passage.ordinal,
                tuple(sorted(o for o in set(others) if o != passage.ordinal)),
            )
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def mimeTypes(self) -> list[str]:
        return [PASSAGE_MIME, "text/markdown", "text/plain"]

    def mimeData(self, indexes: Any) -> QMimeData:
        """Selected hits as Markdown (for drag and for the clipboard)."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        text = "\n".join(hit_markdown(self._result.hits[r]) for r in rows)
        mime = QMimeData()
        if rows:  # dropped on a side of the comparison, the first one is compared
            passage_id = self._result.hits[rows[0]].passage.id
            mime.setData(PASSAGE_MIME, str(passage_id).encode("ascii"))
        mime.setData("text/markdown", text.encode("utf-8"))
        mime.setText(text)
        return mime
