"""Two whole stories side by side, aligned by meaning: one row per stretch that both tell (or
that one tells alone), scrolled together, the sentences that correspond joined across the
gutter as in the passage comparison; beside it a map of every passage against every other with
the alignment's path, to see the whole at once and jump.

The alignment comes from the engine (index/compare/stories.py) in a worker; rows are painted
by a delegate from laid-out text documents, so a story of hundreds of passages costs only the
rows on screen.
"""

from __future__ import annotations

import html
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
    from index.compare.stories import Segment, Side, StoryAlignment

Index = QModelIndex | QPersistentModelIndex


def align_whole_stories(library: Any, left_id: int, right_id: int) -> StoryAlignment:
    """Engine calls: run in a worker."""
    from index.compare.stories import align_stories

    stories = {story.id: story for story in library.stories()}
    return align_stories(library, stories[left_id], stories[right_id])


class SegmentRows(QAbstractListModel):
    """The alignment's segments, one row each (the segment itself under UserRole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segments: tuple[Segment, ...] = ()

    def set_segments(self, segments: tuple[Segment, ...]) -> None:
        self.beginResetModel()
        self.segments = segments
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.segments)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.UserRole:
            return None
        return self.segments[index.row()]


@dataclass
class _Laid:
    """A row's two texts laid out at one width, with each link's vertical span on each side."""

    left: QTextDocument | None
    right: QTextDocument | None
    link_spans: list[tuple[tuple[float, float], tuple[float, float]]]
    height: int


class SegmentDelegate(QStyledItemDelegate):
    """Paints a segment: a caption line (where it is in each story, and its score), then the
    two stretches in the reading font in two columns with the linked sentences in pair colours
    and a ribbon across the gutter for each link. A stretch told on one side only is tinted,
    and the other column says which story does not tell it."""

    GUTTER_EM = 3.5

    def __init__(self, view: ParallelView) -> None:
        super().__init__(view)
        self._view = view
        self._laid: dict[int, _Laid] = {}  # by row, at `_width`
        self._width = 0

    def forget(self) -> None:
        """Lay every row out again (a new alignment, a new theme)."""
        self._laid.clear()

    def columns(self, width: int) -> tuple[QRect, QRect, QRect]:
        """Left text, gutter, right text, in a row of `width` pixels."""
        em = self._view.fontMetrics().height()
        gutter = round(em * self.GUTTER_EM)
        column = max(em * 6, (width - gutter) // 2)
        return (
            QRect(0, 0, column, 0),
            QRect(column, 0, gutter, 0),
            QRect(column + gutter, 0, column, 0),
        )

    def laid(self, row: int, width: int) -> _Laid:
        """A row laid out at `width` (rows are laid out again when the width changes)."""
        if width != self._width:
            self._laid.clear()
            self._width = width
        if row not in self._laid:
            self._laid[row] = self._lay_out(self._view.rows.model_rows.segments[row], width)
        return self._laid[row]

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        width = self._view.rows.viewport().width()
        return QSize(width, self.laid(index.row(), width).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        segment: Segment = index.data(Qt.ItemDataRole.UserRole)
        rect = option.rect
        laid = self.laid(index.row(), rect.width())
        left, gutter, right = self.columns(rect.width())
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
        painter.setPen(QColor(colors().muted))
        small = self._view.font()
        painter.setFont(small)
        for column, side, other in (
            (left, segment.left, self._view.right_title),
            (right, segment.right, self._view.left_title),
        ):
            if side is not None:
                painter.drawText(
                    QRect(column.x() + 8, 2, column.width() - 16, caption),
                    Qt.AlignmentFlag.AlignLeft,
                    _passages_text(side, segment, column is left),
                )
                if segment.left is None or segment.right is None:
                    [tint] = only_brushes(palette)
                    painter.fillRect(
                        QRect(column.x(), caption, column.width(), rect.height() - caption), tint
                    )
            else:
                painter.drawText(
                    QRect(column.x() + 8, caption + 4, column.width() - 16, caption * 2),
                    Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                    f"Not told in {self._view.left_title if column is left else other}",
                )
        if segment.left is not None and segment.right is not None:
            painter.drawText(
                QRect(gutter.x(), 2, gutter.width(), caption),
                Qt.AlignmentFlag.AlignHCenter,
                f"{segment.score:.2f}",
            )
        painter.save()
        painter.translate(0, caption)  # the texts start below the caption line
        for n, spans in enumerate(laid.link_spans):
            _ribbon(painter, gutter, spans, pair_colour(n, palette))
        painter.restore()
        for column, document in ((left, laid.left), (right, laid.right)):
            if document is not None:
                painter.save()
                painter.translate(column.x(), caption)
                document.drawContents(painter)
                painter.restore()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(0, rect.height() - 1, rect.width(), rect.height() - 1)
        painter.restore()

    def _lay_out(self, segment: Segment, width: int) -> _Laid:
        left_rect, _gutter, right_rect = self.columns(width)
        palette = self._view.palette()
        documents: list[QTextDocument | None] = []
        spans: list[list[tuple[float, float]]] = []
        for side, column, which in ((segment.left, left_rect, 0), (segment.right, right_rect, 1)):
            if side is None:
                documents.append(None)
                spans.append([])
                continue
            document = QTextDocument()
            document.setDefaultFont(reading_font(self._view.font()))
            document.setDocumentMargin(8)
            document.setPlainText(side.text)
            document.setTextWidth(column.width())
            ranges = [link.right if which else link.left for link in segment.links]
            for n, (start, end) in enumerate(ranges):
                marked = QTextCharFormat()
                marked.setBackground(pair_colour(n, palette))
                _cursor(document, side, start, end).mergeCharFormat(marked)
            if segment.left is None or segment.right is None:
                quiet = QTextCharFormat()
                quiet.setForeground(context_colour(palette))
                _cursor(document, side, side.start, side.end).mergeCharFormat(quiet)
            documents.append(document)
            spans.append([_span_y(document, side, start, end) for start, end in ranges])
        caption = self._view.fontMetrics().height()
        heights = [round(d.size().height()) for d in documents if d is not None]
        empty = caption * 3  # "Not told in …"
        height = caption + max([*heights, empty]) + 6
        links = list(zip(spans[0], spans[1], strict=False))
        return _Laid(documents[0], documents[1], links, height)


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


def _passages_text(side: Side, segment: Segment, is_left: bool) -> str:
    first, last = segment.left_range if is_left else segment.right_range
    where = f"passage {first + 1}" if last - first == 1 else f"passages {first + 1} to {last}"
    told = "" if segment.left is not None and segment.right is not None else " · only here"
    return where + told


class SegmentList(QListView):
    """The rows; scrolls by pixel so long stretches move smoothly."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_rows = SegmentRows(self)
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
        if not self.model_rows.segments:
            return -1, -1
        top = self.indexAt(QPoint(4, 1)).row()
        bottom = self.indexAt(QPoint(4, self.viewport().height() - 2)).row()
        top = 0 if top < 0 else top
        return top, (len(self.model_rows.segments) - 1 if bottom < 0 else bottom)


class AlignmentMap(QWidget):
    """Every passage of the left story (down) against every passage of the right (across),
    darker where closer, with the alignment's matched stretches outlined and the rows on
    screen marked. Click to go to the stretch nearest that point; hover for the two passages'
    similarity.

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

    def set_visible_rows(self, first: int, last: int) -> None:
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
        first, last = self._visible
        if first >= 0:
            segments = self._alignment.segments
            top = segments[first].left_range[0] * cell_h
            bottom = max(segments[last].left_range[1] * cell_h, top + 2)
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
    """Two whole stories in columns, aligned stretch by stretch, with the alignment's map.

    Keys: F3 / Shift+F3 next / previous stretch told by both, Ctrl+Shift+S swap the stories,
    Enter read the selected stretch in its story, Esc close (app/side_by_side.py).

    Signals (and those of SideBySideView: closed, passage_requested, failed):
        aligned(): an alignment is on screen.
    """

    aligned = Signal()

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self._alignment: StoryAlignment | None = None
        self._stories: tuple[int, int] | None = None
        self.left_title = self.right_title = ""
        self._build_ui()

    # -- state --------------------------------------------------------------------------------

    @property
    def alignment(self) -> StoryAlignment | None:
        return self._alignment

    @property
    def stories(self) -> tuple[int, int] | None:
        """The story ids shown (or being aligned), left then right."""
        return self._stories

    # -- actions ------------------------------------------------------------------------------

    def show_stories(self, left_id: int, right_id: int) -> None:
        """Align two stories (in a worker) and show them side by side."""
        self._stories = (left_id, right_id)
        self.submit(
            lambda job: align_whole_stories(job.library, left_id, right_id),
            self._show,
            "Aligning the two stories…",
        )

    def swap(self) -> None:
        if self._stories is not None:
            self.show_stories(self._stories[1], self._stories[0])

    def step(self, by: int) -> None:
        """Select the next (by=1) or previous (-1) stretch told by both."""
        segments = self.rows.model_rows.segments
        here = self.rows.currentIndex().row()
        order = range(here + 1, len(segments)) if by > 0 else range(here - 1, -1, -1)
        for row in order:
            if segments[row].left is not None and segments[row].right is not None:
                self.go_to(row)
                return

    def go_to(self, row: int) -> None:
        index = self.rows.model_rows.index(row)
        self.rows.setCurrentIndex(index)
        self.rows.scrollTo(index, QListView.ScrollHint.PositionAtTop)

    def go_to_passages(self, left: int, right: int) -> None:
        """The stretch nearest these two passages' place on the map."""
        segments = self.rows.model_rows.segments
        if not segments:
            return

        def distance(segment: Segment) -> float:
            (a, b), (c, d) = segment.left_range, segment.right_range
            across = 0 if a <= left < max(b, a + 1) else min(abs(left - a), abs(left - b + 1))
            down = 0 if c <= right < max(d, c + 1) else min(abs(right - c), abs(right - d + 1))
            return float(across + down)

        self.go_to(min(range(len(segments)), key=lambda row: distance(segments[row])))

    def read_current(self) -> None:
        """The selected stretch in its story, in the reader (the left side where both tell it)."""
        row = self.rows.currentIndex().row()
        if row < 0:
            return
        segment = self.rows.model_rows.segments[row]
        side = segment.left or segment.right
        if side is not None and side.passage_ids:
            self.passage_requested.emit(side.passage_ids[0])

    def export_name(self) -> str:
        if self._alignment is None:
            return "storylens-side-by-side.html"
        return f"{self.left_title} and {self.right_title}.html"

    def export_document(self, fmt: str) -> str:
        """The alignment on screen as a file (index/cli/export.py); "" when none is."""
        from index.cli.export import alignment_document

        if self._alignment is None:
            return ""
        return alignment_document(self._alignment, fmt)  # type: ignore[arg-type]

    # -- building -----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel()
        self.summary.setObjectName("muted")
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
        self.rows = SegmentList()
        self.delegate = SegmentDelegate(self)
        self.rows.setItemDelegate(self.delegate)
        self.rows.doubleClicked.connect(lambda _index: self.read_current())
        self.rows.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.map = AlignmentMap()
        self.map.jump_requested.connect(self.go_to_passages)
        map_side = QWidget()
        map_layout = QVBoxLayout(map_side)
        map_layout.setContentsMargins(0, 0, 0, 0)
        self.map_caption = QLabel()
        self.map_caption.setObjectName("muted")
        self.map_caption.setWordWrap(True)
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

    def _show(self, alignment: StoryAlignment) -> None:
        self._alignment = alignment
        self._stories = (alignment.left.id, alignment.right.id)
        self.left_title, self.right_title = alignment.left.title, alignment.right.title
        self.title.setText(
            f"<b>{html.escape(self.left_title)}</b> &nbsp;and&nbsp; "
            f"<b>{html.escape(self.right_title)}</b>, side by side"
        )
        both = [s for s in alignment.segments if s.left is not None and s.right is not None]
        links = sum(len(s.links) for s in both)
        left_only = sum(1 for s in alignment.segments if s.right is None)
        right_only = sum(1 for s in alignment.segments if s.left is None)
        self.summary.setText(
            f"{len(both)} stretch{'es' if len(both) != 1 else ''} told by both, "
            f"{links} matching sentence{'s' if links != 1 else ''}; "
            f"{left_only} only in {self.left_title}, {right_only} only in {self.right_title}. "
            "F3: next stretch told by both; double-click or Enter: read it in its story."
        )
        self.map_caption.setText(
            f"Down: {self.left_title}; across: {self.right_title}. Click to go there."
        )
        self.status.setText("" if alignment.segments else "These stories have no passages.")
        self.delegate.forget()
        self.rows.model_rows.set_segments(alignment.segments)
        self.map.set_alignment(alignment)
        if alignment.segments:
            self.go_to(0)
        self._scrolled()
        self.aligned.emit()

    def _scrolled(self) -> None:
        self.map.set_visible_rows(*self.rows.visible_rows())

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._scrolled()

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self._alignment is not None:
            self.delegate.forget()
            self.map.set_alignment(self._alignment)
            self.rows.viewport().update()
