"""Whole stories side by side, aligned by meaning: one row per stretch told by the first story
and the others (or by some alone), scrolled together, the sentences that correspond in one
colour across the columns and joined across each gutter as in the passage comparison; beside it
a map of every passage of the first story against every passage of another with the
alignment's path, to see the whole at once and jump.

The alignment comes from the engine (index/compare/stories.py) in a worker; rows are painted
by a delegate from laid-out text documents, so a story of hundreds of passages costs only the
rows on screen.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.compare_ops import LibraryRunner
from app.compare_widgets import context_colour, only_brushes, pair_colour
from app.highlight import utf16_index
from app.side_by_side import SideBySideView
from app.theme import colors, reading_font

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index.compare.stories import ManyAlignment, Row, Side, StoryAlignment

Index = QModelIndex | QPersistentModelIndex


MAX_STORIES = 5  # columns that still leave each a readable width on a desktop screen


def align_whole_stories(library: Any, story_ids: tuple[int, ...]) -> ManyAlignment:
    """Engine calls: run in a worker."""
    from index.compare.stories import align_many

    stories = {story.id: story for story in library.stories()}
    return align_many(library, [stories[story_id] for story_id in story_ids])


class AlignedRows(QAbstractListModel):
    """The alignment's rows (the Row itself under UserRole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[Row, ...] = ()

    def set_rows(self, rows: tuple[Row, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.UserRole:
            return None
        return self.rows[index.row()]


Band = tuple[tuple[float, float], tuple[float, float], int]  # left y, right y, colour


@dataclass
class _Laid:
    """A row's texts laid out at one width (None where a story does not tell it), and for each
    gutter the bands to draw across it: a sentence's lines on its left, its counterpart's on
    its right, and their colour number."""

    documents: list[QTextDocument | None]
    bands: list[list[Band]]  # one list per gutter
    height: int


class RowDelegate(QStyledItemDelegate):
    """Paints a row: a caption line per column (where the stretch is in its story, and how
    close it is to the first story's), then the stretches in the reading font with the linked
    sentences in their colours (a sentence of the first story and its counterparts share one)
    and a band across each gutter for each pair of neighbouring counterparts. A stretch the
    first story does not tell, or that only it tells, is tinted; an empty column says which
    story does not tell it."""

    GUTTER_EM = 3.5

    def __init__(self, view: ParallelView) -> None:
        super().__init__(view)
        self._view = view
        self._laid: dict[int, _Laid] = {}  # by row, at `_width`
        self._width = 0

    def forget(self) -> None:
        """Lay every row out again (a new alignment, a new theme)."""
        self._laid.clear()

    def columns(self, width: int) -> list[QRect]:
        """Each story's column, in a row of `width` pixels (the gutters between them)."""
        count = max(len(self._view.titles), 2)
        em = self._view.fontMetrics().height()
        gutter = round(em * self.GUTTER_EM)
        column = max(em * 6, (width - gutter * (count - 1)) // count)
        return [QRect(n * (column + gutter), 0, column, 0) for n in range(count)]

    def gutters(self, width: int) -> list[QRect]:
        columns = self.columns(width)
        return [
            QRect(a.x() + a.width(), 0, b.x() - a.x() - a.width(), 0)
            for a, b in itertools.pairwise(columns)
        ]

    def laid(self, row: int, width: int) -> _Laid:
        """A row laid out at `width` (rows are laid out again when the width changes)."""
        if width != self._width:
            self._laid.clear()
            self._width = width
        if row not in self._laid:
            self._laid[row] = self._lay_out(self._view.rows.model_rows.rows[row], width)
        return self._laid[row]

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        width = self._view.rows.viewport().width()
        return QSize(width, self.laid(index.row(), width).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: Row = index.data(Qt.ItemDataRole.UserRole)
        rect = option.rect
        laid = self.laid(index.row(), rect.width())
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.translate(rect.topLeft())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            shade = QColor(palette.color(QPalette.ColorRole.Highlight))
            shade.setAlpha(28)
            painter.fillRect(QRect(0, 0, rect.width(), rect.height()), shade)
        caption = self._view.fontMetrics().height()
        painter.setFont(self._view.font())
        alone = _apart(row)
        for n, column in enumerate(self.columns(rect.width())):
            cell = row.cells[n]
            painter.setPen(QColor(colors().muted))
            if cell is None:
                painter.drawText(
                    QRect(column.x() + 8, caption + 4, column.width() - 16, caption * 4),
                    Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                    _empty_cell(row, n, self._view.titles),
                )
                continue
            painter.drawText(
                QRect(column.x() + 8, 2, column.width() - 16, caption),
                Qt.AlignmentFlag.AlignLeft,
                _caption(row, n),
            )
            if alone:
                [tint] = only_brushes(palette)
                painter.fillRect(
                    QRect(column.x(), caption, column.width(), rect.height() - caption), tint
                )
        painter.save()
        painter.translate(0, caption)  # the texts start below the caption line
        for gutter, bands in zip(self.gutters(rect.width()), laid.bands, strict=False):
            for left_y, right_y, colour in bands:
                _ribbon(painter, gutter, (left_y, right_y), pair_colour(colour, palette))
        painter.restore()
        for column, document in zip(self.columns(rect.width()), laid.documents, strict=False):
            if document is not None:
                painter.save()
                painter.translate(column.x(), caption)
                document.drawContents(painter)
                painter.restore()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(0, rect.height() - 1, rect.width(), rect.height() - 1)
        painter.restore()

    def _lay_out(self, row: Row, width: int) -> _Laid:
        from index.compare.stories import shared_colours  # pure: loads nothing heavy

        columns = self.columns(width)
        palette = self._view.palette()
        colours = shared_colours(row.links)
        # Per column: (story range, colour) of each marked sentence. The first story marks each
        # of its linked sentences once; another marks its counterparts in their colours.
        marks: list[list[tuple[tuple[int, int], int]]] = [list(colours.items())]
        marks += [[(link.right, colours[link.left]) for link in links] for links in row.links[1:]]
        alone = _apart(row)
        documents: list[QTextDocument | None] = []
        places: list[dict[int, tuple[float, float]]] = []  # per column: colour -> its lines
        for cell, column, its_marks in zip(row.cells, columns, marks, strict=False):
            if cell is None:
                documents.append(None)
                places.append({})
                continue
            document = QTextDocument()
            document.setDefaultFont(reading_font(self._view.font()))
            document.setDocumentMargin(8)
            document.setPlainText(cell.text)
            document.setTextWidth(column.width())
            for (start, end), colour in its_marks:
                marked = QTextCharFormat()
                marked.setBackground(pair_colour(colour, palette))
                _cursor(document, cell, start, end).mergeCharFormat(marked)
            if alone:
                quiet = QTextCharFormat()
                quiet.setForeground(context_colour(palette))
                _cursor(document, cell, cell.start, cell.end).mergeCharFormat(quiet)
            documents.append(document)
            places.append(
                {colour: _span_y(document, cell, start, end) for (start, end), colour in its_marks}
            )
        bands = [
            [(places[n][c], places[n + 1][c], c) for c in sorted(places[n]) if c in places[n + 1]]
            for n in range(len(places) - 1)
        ]
        caption = self._view.fontMetrics().height()
        heights = [round(d.size().height()) for d in documents if d is not None]
        empty = caption * 5  # "Not told here in …", and where it is told out of order
        height = caption + max([*heights, empty]) + 6
        return _Laid(documents, bands, height)


def _ribbon(
    painter: QPainter,
    gutter: QRect,
    spans: tuple[tuple[float, float], tuple[float, float]],
    colour: QColor,
) -> None:
    """A band across the gutter from a sentence's lines on the left to its counterpart's on
    the right (as the passage comparison's ConnectorBand draws them)."""
    x0, x1 = float(gutter.x()), float(gutter.x() + gutter.width())
    middle = (x0 + x1) / 2
    (lt, lb), (rt, rb) = spans
    path = QPainterPath(QPointF(x0, lt))
    path.cubicTo(middle, lt, middle, rt, x1, rt)
    path.lineTo(x1, rb)
    path.cubicTo(middle, rb, middle, lb, x0, lb)
    path.closeSubpath()
    outline = QColor(colour)
    outline.setAlpha(170)
    painter.setPen(QPen(outline, 1.0))
    painter.setBrush(colour)
    painter.drawPath(path)


def _cursor(document: QTextDocument, side: Side, start: int, end: int) -> QTextCursor:
    """A selection of the story range [start, end) in a document holding `side`'s text."""
    length = utf16_index(side.text, len(side.text))

    def at(offset: int) -> int:
        return min(length, utf16_index(side.text, max(0, min(len(side.text), offset - side.start))))

    cursor = QTextCursor(document)
    cursor.setPosition(at(start))
    cursor.setPosition(at(end), QTextCursor.MoveMode.KeepAnchor)
    return cursor


def _span_y(document: QTextDocument, side: Side, start: int, end: int) -> tuple[float, float]:
    """Top and bottom, in the document, of the lines the story range [start, end) falls on."""
    cursor = _cursor(document, side, start, end)
    layout = document.documentLayout()

    def line_y(position: int, bottom: bool) -> float:
        block = document.findBlock(position)
        box = layout.blockBoundingRect(block)
        lines = block.layout()
        line = lines.lineForTextPosition(position - block.position())
        if not line.isValid():
            return box.bottom() if bottom else box.top()
        return box.top() + line.y() + (line.height() if bottom else 0.0)

    top = line_y(cursor.selectionStart(), bottom=False)
    bottom = line_y(max(cursor.selectionStart(), cursor.selectionEnd() - 1), bottom=True)
    return top, max(bottom, top + 1.0)


def _caption(row: Row, column: int) -> str:
    """Where a cell's stretch is in its story, and how close it is to the first story's."""
    first, last = row.ranges[column]
    where = f"passage {first + 1}" if last - first == 1 else f"passages {first + 1} to {last}"
    tellers = sum(cell is not None for cell in row.cells)
    if tellers == 1:
        return where + " · only here"
    if column and row.cells[0] is not None:
        return f"{where} · {row.scores[column]:.2f}"
    return where


class RowList(QListView):
    """The rows; scrolls by pixel so long stretches move smoothly."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_rows = AlignedRows(self)
        self.setModel(self.model_rows)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        # Rows are laid out a few at a time between events, so a story of hundreds of
        # passages never holds the window still while its texts are measured.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(16)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def visible_rows(self) -> tuple[int, int]:
        """First and last row on screen (-1, -1 when empty)."""
        if not self.model_rows.rows:
            return -1, -1
        top = self.indexAt(QPoint(4, 1)).row()
        bottom = self.indexAt(QPoint(4, self.viewport().height() - 2)).row()
        top = 0 if top < 0 else top
        return top, (len(self.model_rows.rows) - 1 if bottom < 0 else bottom)


class AlignmentMap(QWidget):
    """Every passage of the left story (down) against every passage of the right (across),
    darker where closer, with the alignment's matched stretches outlined (dashed: a passage
    each tells out of order) and the rows on screen marked. Click to go to the stretch nearest
    that point; hover for the two passages' similarity.

    Signals: jump_requested(int, int): (left passage, right passage) positions clicked.
    """

    jump_requested = Signal(int, int)

    MAX_CELL = 20  # pixels a passage gets at most, so a short pair of stories stays a map

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._alignment: StoryAlignment | None = None
        self._image: QImage | None = None
        self._visible: tuple[int, int] = (-1, -1)
        self.setMinimumWidth(160)
        self.setMouseTracking(True)
        self.setToolTip("")

    def set_alignment(self, alignment: StoryAlignment) -> None:
        self._alignment = alignment
        self._image = self._picture(alignment.similarity)
        self.update()

    def set_visible(self, first: int, last: int) -> None:
        """The first story's passages [first, last) on screen (first < 0: none)."""
        self._visible = (first, last)
        self.update()

    def area(self) -> QRectF:
        """Where the map is drawn: cells square, as large as fit (up to MAX_CELL)."""
        if self._alignment is None:
            return QRectF()
        n, m = self._alignment.similarity.shape
        if n == 0 or m == 0:
            return QRectF()
        cell = min((self.width() - 8) / m, (self.height() - 8) / n, float(self.MAX_CELL))
        return QRectF(4, 4, cell * m, cell * n)

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        area = self.area()
        if self._alignment is None or not area.contains(point):
            return None
        n, m = self._alignment.similarity.shape
        i = int((point.y() - area.top()) / area.height() * n)
        j = int((point.x() - area.left()) / area.width() * m)
        return min(i, n - 1), min(j, m - 1)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = self.area()
        if self._alignment is None or self._image is None or area.isEmpty():
            painter.end()
            return
        n, m = self._alignment.similarity.shape
        painter.drawImage(area, self._image)
        cell_w, cell_h = area.width() / m, area.height() / n
        accent = QColor(colors().accent)
        painter.setPen(QPen(accent, 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for segment in self._alignment.segments:
            (a, b), (c, d) = segment.left_range, segment.right_range
            if b > a and d > c:
                painter.drawRect(
                    QRectF(
                        area.left() + c * cell_w,
                        area.top() + a * cell_h,
                        (d - c) * cell_w,
                        (b - a) * cell_h,
                    )
                )
        painter.setPen(QPen(accent, 1.5, Qt.PenStyle.DashLine))
        for pair in self._alignment.elsewhere:  # told by both, out of order: off the path
            painter.drawRect(
                QRectF(
                    area.left() + pair.right_index * cell_w,
                    area.top() + pair.left_index * cell_h,
                    cell_w,
                    cell_h,
                )
            )
        first, last = self._visible
        if first >= 0:
            top = first * cell_h
            bottom = max(last * cell_h, top + 2)
            band = QColor(accent)
            band.setAlpha(40)
            painter.fillRect(
                QRectF(area.left(), area.top() + top, area.width(), bottom - top), band
            )
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.jump_requested.emit(*cell)
        else:
            super().mousePressEvent(event)

    def event(self, event: Any) -> bool:
        if isinstance(event, QHelpEvent) and self._alignment is not None:
            cell = self.cell_at(QPointF(event.pos()))
            if cell is None:
                QToolTip.hideText()
                return True
            i, j = cell
            a = self._alignment
            QToolTip.showText(
                event.globalPos(),
                f"{a.left.title}, passage {i + 1}\n{a.right.title}, passage {j + 1}\n"
                f"similarity {float(a.similarity[i, j]):.2f}",
                self,
            )
            return True
        return super().event(event)

    def _picture(self, similarity: np.ndarray) -> QImage:
        """The matrix as pixels, one per pair of passages: the theme's base colour where far
        apart, its text colour where close, spread over the range this pair of stories spans."""
        n, m = similarity.shape
        if n == 0 or m == 0:
            return QImage()
        low, high = float(np.percentile(similarity, 5)), float(similarity.max())
        share = np.clip((similarity - low) / max(high - low, 1e-6), 0.0, 1.0) ** 1.5
        base = QColor(self.palette().color(QPalette.ColorRole.Base))
        ink = QColor(self.palette().color(QPalette.ColorRole.Text))
        channels = [
            (b + (t - b) * share).astype(np.uint8)
            for b, t in (
                (base.blue(), ink.blue()),
                (base.green(), ink.green()),
                (base.red(), ink.red()),
            )
        ]
        pixels = np.dstack([*channels, np.full((n, m), 255, dtype=np.uint8)])
        self._pixels = np.ascontiguousarray(pixels)  # QImage borrows the buffer: keep it
        return QImage(self._pixels.data, m, n, m * 4, QImage.Format.Format_ARGB32).copy()


class ParallelView(SideBySideView):
    """Two to MAX_STORIES whole stories in columns, aligned stretch by stretch with the first,
    and the map of the first against another.

    Keys: F3 / Shift+F3 next / previous stretch the first story shares with another,
    Ctrl+Shift+S swap the stories (with more than two: the next one first), Enter read the
    selected stretch in its story, Esc close (app/side_by_side.py).

    Signals (and those of SideBySideView: closed, passage_requested, failed):
        aligned(): an alignment is on screen.
    """

    aligned = Signal()

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self._alignment: ManyAlignment | None = None
        self._stories: tuple[int, ...] | None = None
        self.titles: list[str] = []
        self._build_ui()

    # -- state --------------------------------------------------------------------------------

    @property
    def alignment(self) -> ManyAlignment | None:
        return self._alignment

    @property
    def stories(self) -> tuple[int, ...] | None:
        """The story ids shown (or being aligned), in column order."""
        return self._stories

    @property
    def mapped(self) -> int:
        """The column whose story the map sets against the first (1 unless chosen)."""
        return max(1, self.map_choice.currentIndex() + 1)

    # -- actions ------------------------------------------------------------------------------

    def show_stories(self, *story_ids: int) -> None:
        """Align two or more stories with the first (in a worker) and show them in columns."""
        chosen = tuple(dict.fromkeys(story_ids))[:MAX_STORIES]
        if len(chosen) < 2:
            self.status.setText("Choose two different stories to read side by side.")
            return
        self._stories = chosen
        self.submit(
            lambda job: align_whole_stories(job.library, chosen),
            self._show,
            f"Aligning the {len(chosen)} stories…",
        )

    def swap(self) -> None:
        """Two stories: change sides. More: the next story becomes the first."""
        if self._stories is not None:
            self.show_stories(*self._stories[1:], self._stories[0])

    def step(self, by: int) -> None:
        """Select the next (by=1) or previous (-1) stretch the first story shares."""
        rows = self.rows.model_rows.rows
        here = self.rows.currentIndex().row()
        order = range(here + 1, len(rows)) if by > 0 else range(here - 1, -1, -1)
        for row in order:
            if _shared(rows[row]):
                self.go_to(row)
                return

    def go_to(self, row: int) -> None:
        index = self.rows.model_rows.index(row)
        self.rows.setCurrentIndex(index)
        self.rows.scrollTo(index, QListView.ScrollHint.PositionAtTop)

    def go_to_passages(self, first: int, other: int) -> None:
        """The row nearest these two passages' place on the map (the first story's passage,
        and the mapped story's)."""
        rows = self.rows.model_rows.rows
        if not rows:
            return
        column = self.mapped

        def distance(row: Row) -> float:
            (a, b), (c, d) = row.ranges[0], row.ranges[column]
            down = 0 if a <= first < max(b, a + 1) else min(abs(first - a), abs(first - b + 1))
            across = 0 if c <= other < max(d, c + 1) else min(abs(other - c), abs(other - d + 1))
            return float(across + down)

        self.go_to(min(range(len(rows)), key=lambda n: distance(rows[n])))

    def read_current(self) -> None:
        """The selected stretch in its story, in the reader (the first story's, if it tells it)."""
        row = self.rows.currentIndex().row()
        if row < 0:
            return
        side = next((cell for cell in self.rows.model_rows.rows[row].cells if cell), None)
        if side is not None and side.passage_ids:
            self.passage_requested.emit(side.passage_ids[0])

    def export_name(self) -> str:
        if self._alignment is None:
            return "storylens-side-by-side.html"
        return " and ".join(self.titles) + ".html"

    def export_document(self, fmt: str) -> str:
        """The alignment on screen as a file (index/cli/export.py); "" when none is."""
        from index.cli.export import alignment_document, many_document

        aligned = self._alignment
        if aligned is None:
            return ""
        if len(aligned.stories) == 2:
            return alignment_document(aligned.pairwise[0], fmt)  # type: ignore[arg-type]
        return many_document(aligned, fmt)  # type: ignore[arg-type]

    # -- building -----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.swap_button = QPushButton("&Swap sides")
        self.swap_button.clicked.connect(self.swap)
        self.export_button = QPushButton("E&xport…")
        self.export_button.clicked.connect(self.export_requested.emit)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.closed.emit)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        for button in (self.swap_button, self.export_button, self.close_button):
            top.addWidget(button)
        self.rows = RowList()
        self.delegate = RowDelegate(self)
        self.rows.setItemDelegate(self.delegate)
        self.rows.doubleClicked.connect(lambda _index: self.read_current())
        self.rows.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.map = AlignmentMap()
        self.map.jump_requested.connect(self.go_to_passages)
        self.map_choice = QComboBox()
        self.map_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.map_choice.setMinimumContentsLength(8)
        self.map_choice.setAccessibleName("The story the map sets against the first")
        self.map_choice.currentIndexChanged.connect(self._map_chosen)
        map_side = QWidget()
        map_layout = QVBoxLayout(map_side)
        map_layout.setContentsMargins(0, 0, 0, 0)
        self.map_caption = QLabel()
        self.map_caption.setObjectName("muted")
        self.map_caption.setWordWrap(True)
        map_layout.addWidget(self.map_choice)
        map_layout.addWidget(self.map_caption)
        map_layout.addWidget(self.map, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.rows)
        self.split.addWidget(map_side)
        self.split.setStretchFactor(0, 5)
        self.split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.split, 1)
        layout.addWidget(self.status)
        self.add_keys(
            [
                (QKeySequence("F3"), lambda: self.step(1)),
                (QKeySequence("Shift+F3"), lambda: self.step(-1)),
                (QKeySequence("Ctrl+Shift+S"), self.swap),
                (QKeySequence(Qt.Key.Key_Return), self.read_current),
            ]
        )
        self.setFocusProxy(self.rows)

    def _show(self, alignment: ManyAlignment) -> None:
        self._alignment = alignment
        self._stories = tuple(s.id for s in alignment.stories)
        self.titles = [s.title for s in alignment.stories]
        names = [f"<b>{html.escape(t)}</b>" for t in self.titles]
        self.title.setText(", ".join(names[:-1]) + f" &nbsp;and&nbsp; {names[-1]}, side by side")
        self.swap_button.setText("&Swap sides" if len(self.titles) == 2 else "&Next story first")
        self.summary.setText(_summary(alignment, self.titles))
        self.status.setText("" if alignment.rows else "These stories have no passages.")
        self.map_choice.blockSignals(True)
        self.map_choice.clear()
        self.map_choice.addItems([f"against {t}" for t in self.titles[1:]])
        self.map_choice.setToolTip(f"The story the map sets against {self.titles[0]}")
        self.map_choice.blockSignals(False)
        self.map_choice.setVisible(len(self.titles) > 2)
        self.delegate.forget()
        self.rows.model_rows.set_rows(alignment.rows)
        self._map_chosen()
        if alignment.rows:
            self.go_to(0)
        self._scrolled()
        self.aligned.emit()

    def _map_chosen(self) -> None:
        if self._alignment is None:
            return
        column = self.mapped
        self.map.set_alignment(self._alignment.pairwise[column - 1])
        self.map_caption.setText(
            f"Down: {self.titles[0]}; across: {self.titles[column]}. Click to go there."
        )
        self._scrolled()

    def _scrolled(self) -> None:
        first, last = self.rows.visible_rows()
        rows = self.rows.model_rows.rows
        if first < 0 or not rows:
            self.map.set_visible(-1, -1)
            return
        self.map.set_visible(rows[first].ranges[0][0], rows[last].ranges[0][1])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._scrolled()

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self._alignment is not None:
            self.delegate.forget()
            self._map_chosen()
            self.rows.viewport().update()


def _empty_cell(row: Row, column: int, titles: Sequence[str]) -> str:
    """What an empty cell says: that its story does not tell the row's stretch here, and
    where it tells part of it out of order, if it does."""
    from index.cli.output import out_of_order  # loads nothing heavy

    return " ".join(
        filter(None, [f"Not told here in {titles[column]}.", out_of_order(row, column, titles)])
    )


def _apart(row: Row) -> bool:
    """Told by one story alone, or without the first story: what the view tints."""
    return sum(cell is not None for cell in row.cells) == 1 or row.cells[0] is None


def _shared(row: Row) -> bool:
    """The first story tells this stretch, and at least one other story does too."""
    return row.cells[0] is not None and any(cell is not None for cell in row.cells[1:])


def _summary(alignment: ManyAlignment, titles: list[str]) -> str:
    rows = alignment.rows
    if len(titles) == 2:
        both = [r for r in rows if _shared(r)]
        links = sum(len(r.links[1]) for r in both)
        first_only = sum(1 for r in rows if r.cells[1] is None)
        second_only = sum(1 for r in rows if r.cells[0] is None)
        moved = len(alignment.pairwise[0].elsewhere)
        told = (
            f"{len(both)} stretch{'es' if len(both) != 1 else ''} told by both, "
            f"{links} matching sentence{'s' if links != 1 else ''}; "
            f"{first_only} only in {titles[0]}, {second_only} only in {titles[1]}"
            + (
                f"; {moved} passage{'s' if moved != 1 else ''} of each told by the other out "
                "of order."
                if moved
                else "."
            )
        )
    else:
        everyone = sum(1 for r in rows if all(cell is not None for cell in r.cells))
        told = (
            f"{len(rows)} rows, each aligned with {titles[0]}; {everyone} told by all "
            f"{len(titles)} stories. Same colour: the same sentence of {titles[0]}."
        )
    return told + " F3: next shared stretch; double-click or Enter: read it in its story."
