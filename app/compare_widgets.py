"""The parts of the side-by-side comparison: a passage pane, the band that joins matched
sentences across the panes, the legend, and colours that read in light and dark themes."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextEdit, QToolTip, QVBoxLayout, QWidget

from app.compare_ops import PassageInContext
from app.mime import PASSAGE_MIME
from app.theme import contrast_ratio, reading_font

# Okabe-Ito hues: told apart by people with the common colour-vision deficiencies. Laid over
# the text background with some transparency, so the text keeps its own colour in any theme.
_HUES = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def pair_colour(key: int, palette: QPalette, *, strong: bool = False) -> QColor:
    """The colour of a matched pair, the same on both sides; `strong` for the current pair."""
    colour = QColor(_HUES[key % len(_HUES)])
    alpha = (150 if strong else 95) if is_dark(palette) else (140 if strong else 80)
    colour.setAlpha(alpha)
    return colour


def only_grey(palette: QPalette) -> QColor:
    return QColor("#B4B4B4" if is_dark(palette) else "#6E6E6E")


def only_brushes(palette: QPalette) -> tuple[QBrush]:
    """Sentences with no counterpart: a faint grey tint, so the style never reads as a pair
    colour, with a dotted grey underline (ONLY_UNDERLINE) that marks them without crossing a
    letter (a hatch over the text did)."""
    tint = only_grey(palette)
    tint.setAlpha(40)
    return (QBrush(tint),)


ONLY_UNDERLINE = QTextCharFormat.UnderlineStyle.DotLine


READABLE_CONTRAST = 4.5  # WCAG AA for body text


def context_colour(palette: QPalette) -> QColor:
    """Neighbouring passages: the text colour moved toward the background as far as keeps
    4.5:1 contrast with it, so they read as context yet stay readable (halfway, as before,
    was 3.2:1 in the light theme)."""
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    for step in range(50, -1, -1):  # the share of the background, in hundredths
        share = step / 100
        colour = QColor(
            round(text.red() + (base.red() - text.red()) * share),
            round(text.green() + (base.green() - text.green()) * share),
            round(text.blue() + (base.blue() - text.blue()) * share),
        )
        if contrast_ratio(colour, base) >= READABLE_CONTRAST:
            return colour
    return text


def passage_id_from(mime: QMimeData) -> int | None:
    if not mime.hasFormat(PASSAGE_MIME):
        return None
    try:
        return int(bytes(mime.data(PASSAGE_MIME).data()).decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class Mark:
    """A highlighted sentence: story offsets, and its pair colour (None: only in this story)."""

    start: int
    end: int
    colour: QColor | None
    current: bool = False
    tip: str = ""  # shown on hover: its counterpart and score, or why it has none


class SentencePane(QWidget):
    """One side: a header naming the story and the passage, then the passage in its context.

    Signals: `scrolled()` when the text moves (scrolled or re-wrapped: the band redraws),
    `passage_dropped(int)` when a passage id is dropped here, `open_requested(int)` from the
    header's "open in story" link.
    """

    scrolled = Signal()
    passage_dropped = Signal(int)
    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.linkActivated.connect(self._open_link)
        self.text = QTextEdit()
        self.text.setFont(reading_font(self.text.font()))  # the reader's serif: read, not scanned
        self.text.setReadOnly(True)
        self.text.setAcceptDrops(False)  # drops go to the pane, which takes passage ids only
        self.text.verticalScrollBar().valueChanged.connect(self.scrolled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)
        self._content: PassageInContext | None = None
        self._tips: list[tuple[int, int, str]] = []  # document positions of each mark's tip
        self.text.viewport().installEventFilter(self)

    @property
    def content(self) -> PassageInContext | None:
        return self._content

    def show_passage(self, content: PassageInContext) -> None:
        self._content = content
        p = content.passage
        self.header.setText(
            f"<b>{html.escape(p.story_title)}</b> &mdash; passage {p.ordinal + 1} of "
            f'{p.story_passage_count} &nbsp; <a href="open">open in story</a>'
        )
        self.text.setPlainText(content.text)
        self.text.document().setDocumentMargin(self.text.fontMetrics().height() * 0.6)
        spaced = QTextBlockFormat()
        spaced.setLineHeight(145, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        self._cursor(0, len(content.text)).mergeBlockFormat(spaced)
        dim = QTextCharFormat()
        dim.setForeground(context_colour(self.palette()))
        for start, end in ((0, self._at(p.start)), (self._at(p.end), len(content.text))):
            if end > start:
                self._cursor(start, end).mergeCharFormat(dim)
        self.text.setExtraSelections([])

    def set_marks(self, marks: Sequence[Mark]) -> None:
        selections = []
        self._tips = [(self._at(m.start), self._at(m.end), m.tip) for m in marks if m.tip]
        for mark in marks:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = self._cursor(self._at(mark.start), self._at(mark.end))
            if mark.colour is not None:
                selection.format.setBackground(QBrush(mark.colour))
                selection.format.setFontUnderline(mark.current)
            else:
                [tint] = only_brushes(self.palette())
                selection.format.setBackground(tint)
                selection.format.setUnderlineStyle(ONLY_UNDERLINE)
                selection.format.setUnderlineColor(only_grey(self.palette()))
            selections.append(selection)
        self.text.setExtraSelections(selections)

    def tip_at(self, position: QPoint) -> str:
        """The tip of the mark under a point of the text's viewport ("" where none is)."""
        at = self.text.cursorForPosition(position).position()
        return next((tip for start, end, tip in self._tips if start <= at < end), "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.text.viewport() and isinstance(event, QHelpEvent):
            tip = self.tip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.text)
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(watched, event)

    def painted(self) -> list[tuple[int, int, QBrush]]:
        """What is drawn over the text: (story start, story end, brush) per highlight."""
        if self._content is None:
            return []
        offset = self._content.context_start
        return [
            (
                s.cursor.selectionStart() + offset,
                s.cursor.selectionEnd() + offset,
                s.format.background(),
            )
            for s in self.text.extraSelections()
        ]

    def only_spans(self) -> list[tuple[int, int]]:
        """The story ranges marked "only in this story" (tinted, underlined with dots)."""
        if self._content is None:
            return []
        offset = self._content.context_start
        return [
            (s.cursor.selectionStart() + offset, s.cursor.selectionEnd() + offset)
            for s in self.text.extraSelections()
            if s.format.underlineStyle() == ONLY_UNDERLINE
        ]

    def shown_text(self, start: int, end: int) -> str:
        return self._cursor(self._at(start), self._at(end)).selectedText()

    def span_y(self, start: int, end: int, target: QWidget) -> tuple[float, float]:
        """Top and bottom of the story range [start, end) in `target`'s coordinates."""
        first = self.text.cursorRect(self._cursor(self._at(start), self._at(start)))
        last = self.text.cursorRect(self._cursor(self._at(end), self._at(end)))
        viewport = self.text.viewport()
        top = target.mapFromGlobal(viewport.mapToGlobal(QPoint(0, first.top()))).y()
        bottom = target.mapFromGlobal(viewport.mapToGlobal(QPoint(0, last.bottom()))).y()
        return float(top), float(max(bottom, top + 1))

    def scroll_to(self, start: int, end: int) -> None:
        """Put the story range [start, end) in the middle of the view."""
        first = self.text.cursorRect(self._cursor(self._at(start), self._at(start)))
        last = self.text.cursorRect(self._cursor(self._at(end), self._at(end)))
        bar = self.text.verticalScrollBar()
        middle = (first.top() + last.bottom()) // 2
        bar.setValue(bar.value() + middle - self.text.viewport().height() // 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.scrolled.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if passage_id_from(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if passage_id_from(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        passage_id = passage_id_from(event.mimeData())
        if passage_id is not None:
            event.acceptProposedAction()
            self.passage_dropped.emit(passage_id)

    def _open_link(self, _link: str) -> None:
        if self._content is not None:
            self.open_requested.emit(self._content.passage.id)

    def _at(self, story_offset: int) -> int:
        """Document position of a story offset, kept inside the shown text."""
        if self._content is None:
            return 0
        return max(0, min(len(self._content.text), story_offset - self._content.context_start))

    def _cursor(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor


@dataclass(frozen=True)
class Link:
    """A band to draw: story ranges on the left and the right, and its colour."""

    left: tuple[int, int]
    right: tuple[int, int]
    colour: QColor
    current: bool


class ConnectorBand(QWidget):
    """The strip between the panes: a ribbon from each left sentence's vertical span to its
    counterpart's on the right (as in Juxta's side-by-side view), redrawn on scroll/resize."""

    def __init__(
        self,
        left: SentencePane,
        right: SentencePane,
        links: Callable[[], Sequence[Link]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._left, self._right, self._links = left, right, links
        self.setFixedWidth(56)
        left.scrolled.connect(self.update)
        right.scrolled.connect(self.update)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = float(self.width())
        for link in sorted(self._links(), key=lambda item: item.current):
            left_top, left_bottom = self._left.span_y(*link.left, self)
            right_top, right_bottom = self._right.span_y(*link.right, self)
            path = QPainterPath(QPointF(0, left_top))
            middle = width / 2
            path.cubicTo(middle, left_top, middle, right_top, width, right_top)
            path.lineTo(width, right_bottom)
            path.cubicTo(middle, right_bottom, middle, left_bottom, 0, left_bottom)
            path.closeSubpath()
            outline = QColor(link.colour)
            outline.setAlpha(255 if link.current else 160)
            painter.setPen(QPen(outline, 2.0 if link.current else 1.0))
            painter.setBrush(link.colour)
            painter.drawPath(path)
        painter.end()


class Legend(QWidget):
    """What the colours mean."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for swatch, label in (
            (
                _Swatch(lambda palette: (QBrush(pair_colour(0, palette)),)),
                "Same colour: same meaning",
            ),
            (_Swatch(only_brushes, dotted=True), "Only in this story"),
            (_Swatch(lambda palette: (QBrush(context_colour(palette)),)), "Neighbouring text"),
        ):
            layout.addWidget(swatch)
            layout.addWidget(QLabel(label))
            layout.addSpacing(12)
        layout.addStretch(1)


class _Swatch(QWidget):
    """A sample of a style, drawn from the current palette (so it follows theme switches)."""

    def __init__(
        self,
        brushes: Callable[[QPalette], Sequence[QBrush]],
        parent: QWidget | None = None,
        *,
        dotted: bool = False,
    ):
        super().__init__(parent)
        self._brushes = brushes
        self._dotted = dotted  # with the dotted underline of "only in this story"
        self.setFixedSize(18, 12)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        for brush in self._brushes(self.palette()):
            painter.fillRect(self.rect(), brush)
        if self._dotted:
            painter.setPen(QPen(only_grey(self.palette()), 1.0, Qt.PenStyle.DotLine))
            painter.drawLine(2, self.height() - 3, self.width() - 3, self.height() - 3)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
