"""The reader: the whole story in a serif column, scrolled to the passage, which is highlighted
with the query's words marked inside it, its neighbours readable above and below."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.highlight import Span, utf16_index
from app.service import LibraryService, StoryDocument
from app.theme import colors, named, reading_font, scaled

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Hit, Passage

COLUMN_EMS = 34  # a comfortable line length, in em of the reading font
PASSAGE_TOP = 0.22  # the passage starts this far down the page, so what came before shows


class StoryText(QTextEdit):
    """A read-only page of serif text laid out in a centred column (no signals)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, readOnly=True)
        self.setObjectName("reader")
        self.setFont(reading_font(self.font()))
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.fit_column()
        super().resizeEvent(event)

    def column_margin(self) -> float:
        """Space left and right of the text column, inside the viewport."""
        em = self.fontMetrics().height()
        return max(em * 1.2, (self.viewport().width() - em * COLUMN_EMS) / 2)

    def fit_column(self) -> None:
        em = self.fontMetrics().height()
        side = self.column_margin()
        frame = self.document().rootFrame()
        fmt = frame.frameFormat()
        if abs(fmt.leftMargin() - side) >= 1:
            fmt.setLeftMargin(side)
            fmt.setRightMargin(side)
            fmt.setTopMargin(em * 1.2)
            fmt.setBottomMargin(em * 3)
            frame.setFrameFormat(fmt)


class ScrollMap(QWidget):
    """A slim bar beside the story: the whole story top to bottom, the passage on show marked
    in the accent colour and the search's other results in this story muted; a click scrolls
    the story there (no signals)."""

    def __init__(self, text: StoryText, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.marks: list[tuple[float, float, bool]] = []  # (top, bottom) as fractions, current
        self.setFixedWidth(max(6, round(self.fontMetrics().height() * 0.45)))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Where this passage and the other results fall in the story")

    def set_spans(self, spans: list[tuple[int, int, bool]]) -> None:
        """(start, end, current) in document positions: placed by where the text lays them."""
        layout = self._text.document().documentLayout()
        height = layout.documentSize().height()
        marks = []
        if height > 0:
            for start, end, current in spans:
                top = self._y(start)
                bottom = max(self._y(end), top + 1)
                marks.append((top / height, bottom / height, current))
        self.marks = marks
        self.update()

    def _y(self, position: int) -> float:
        document = self._text.document()
        block = document.findBlock(position)
        rect = document.documentLayout().blockBoundingRect(block)
        line = block.layout().lineForTextPosition(position - block.position())
        return rect.top() + (line.y() if line.isValid() else 0.0)

    def paintEvent(self, _event: QPaintEvent) -> None:
        c = colors()
        painter = QPainter(self)
        track = QRectF(self.rect()).adjusted(1, 0, -1, 0)
        painter.fillRect(track, QColor(c.bar_track))
        other = QColor(c.muted)
        other.setAlpha(150)
        for top, bottom, current in sorted(self.marks, key=lambda m: m[2]):
            y, h = track.height() * top, max(3.0, track.height() * (bottom - top))
            painter.fillRect(
                QRectF(track.left(), y, track.width(), h), QColor(c.accent) if current else other
            )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        bar = self._text.verticalScrollBar()
        fraction = min(max(event.position().y() / max(self.height(), 1), 0.0), 1.0)
        page = self._text.viewport().height()
        total = bar.maximum() + page
        bar.setValue(round(fraction * total - page / 2))


class ReaderView(QWidget):
    """The reading pane.

    Signals:
        more_like_this(object): the Passage shown, when "More like this" is pressed.
    """

    more_like_this = Signal(object)

    def __init__(self, service: LibraryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._service = service
        self._stories: dict[int, StoryDocument] = {}
        self._wanted: tuple[Passage, tuple[Span, ...], Span | None] | None = None
        self._document: StoryDocument | None = None
        self._scroll_pending = False
        self._anchored_at = -1  # the scroll value that last put the passage in view
        self.passage: Passage | None = None
        service.library_changed.connect(self._forget_stories)

        self.title = QLabel(self, wordWrap=True)
        self.title.setFont(scaled(reading_font(self.font()), 1.35, weight=QFont.Weight.DemiBold))
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = named(QLabel(self), "muted")
        meta_font = scaled(self.font(), 0.85, weight=QFont.Weight.DemiBold)
        meta_font.setCapitalization(QFont.Capitalization.AllUppercase)
        meta_font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        self.meta.setFont(meta_font)
        self.previous_button = self._button("↑", "Previous passage (Alt+Up)", "Alt+Up", -1)
        self.next_button = self._button("↓", "Next passage (Alt+Down)", "Alt+Down", +1)
        self.more_button = QPushButton("More like this", self)
        self.more_button.setToolTip("Passages close in meaning to this one")
        self.more_button.clicked.connect(self._more_like_this)
        self.text = StoryText(self)
        self.scroll_map = ScrollMap(self.text, self)
        self._others: tuple[Passage, ...] = ()  # the search's other results in this story
        self._wanted_others: tuple[Passage, ...] = ()  # ... in the wanted one's, once it shows
        self.text.installEventFilter(self)
        self.text.viewport().installEventFilter(self)  # it narrows when the scroll bar shows
        self.placeholder = named(
            QLabel("Select a result to read it in its story.", self), "emptyHint"
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self._page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    def _button(self, label: str, tip: str, keys: str, step: int) -> QPushButton:
        button = named(QPushButton(label, self), "iconButton")
        button.setToolTip(tip)
        button.setShortcut(QKeySequence(keys))
        button.setFixedWidth(self.fontMetrics().height() * 2)
        button.clicked.connect(lambda: self.step(by=step))
        return button

    def _page(self) -> QWidget:
        page = QWidget(self)
        em = self.fontMetrics().height()
        header = self._header = QHBoxLayout()
        header.setContentsMargins(
            round(em * 1.4), round(em * 1.0), round(em * 1.0), round(em * 0.6)
        )
        header.setSpacing(round(em * 0.4))
        titles = QVBoxLayout()
        titles.setSpacing(round(em * 0.15))
        titles.addWidget(self.meta)
        titles.addWidget(self.title)
        header.addLayout(titles, 1)
        header.addWidget(self.previous_button, 0, Qt.AlignmentFlag.AlignBottom)
        header.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignBottom)
        header.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        rule = named(QFrame(page), "rule")
        rule.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(rule)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.text, 1)
        body.addWidget(self.scroll_map)
        layout.addLayout(body, 1)
        return page

    def _align_header(self) -> None:
        """Start the title where the text column starts, for one clean left edge."""
        margins = self._header.contentsMargins()
        left = round(self.text.column_margin() + self.text.frameWidth())
        if margins.left() != left:
            margins.setLeft(left)
            margins.setRight(left)
            self._header.setContentsMargins(margins)

    # -- showing passages ---------------------------------------------------------------------

    def show_hit(
        self, hit: Hit | None, matches: tuple[Span, ...] = (), others: Sequence[Passage] = ()
    ) -> None:
        """Open the hit's story at the hit (None clears the pane); `others`, the search's
        other results, are marked on the scroll map where they are in this story."""
        if hit is None:
            self.clear()
            return
        best = hit.why.sentences[0] if hit.why.sentences else None
        self.show_passage(hit.passage, matches, best_sentence=best, others=others)

    def show_passage(
        self,
        passage: Passage,
        matches: tuple[Span, ...] = (),
        *,
        best_sentence: Span | None = None,
        others: Sequence[Passage] = (),
    ) -> None:
        """Open `passage` in its story; `matches` are passage-relative spans of query words,
        `best_sentence` the story span of the sentence that matched best (tinted deeper)."""
        self._wanted_others = tuple(p for p in others if p.story_id == passage.story_id)
        self._wanted = (passage, matches, best_sentence)
        self._stack.setCurrentIndex(1)
        self.title.setText(passage.story_title)
        self._set_meta(passage)
        document = self._stories.get(passage.story_id)
        if document is not None:
            self._display(document)
        else:
            self._service.load_story(passage.story_id, self._story_loaded)

    def show_story(self, story_id: int) -> None:
        """Open a story at its beginning (its first passage highlighted)."""
        document = self._stories.get(story_id)
        if document is not None:
            self._first_passage_of(document)
        else:
            self._service.load_story(story_id, self._first_passage_of)

    def _first_passage_of(self, document: StoryDocument) -> None:
        self._stories[document.story.id] = document
        if document.passages:
            self.show_passage(document.passages[0])
            self.text.verticalScrollBar().setValue(0)

    def clear(self) -> None:
        self._wanted = None
        self.passage = None
        self._document = None
        self._stack.setCurrentIndex(0)

    def step(self, by: int) -> None:
        """Move the highlight to the passage `by` places away in the same story."""
        if self._document is None or self.passage is None:
            return
        ordinal = self.passage.ordinal + by
        if 0 <= ordinal < len(self._document.passages):
            self.show_passage(self._document.passages[ordinal])

    def highlight_range(self, kind: str = "passage") -> tuple[int, int] | None:
        """The highlighted passage ("passage") or best sentence ("sentence") as document
        positions (Qt's UTF-16 units)."""
        for selection in self.text.extraSelections():
            if selection.format.property(QTextFormat.Property.UserProperty) == kind:
                return selection.cursor.selectionStart(), selection.cursor.selectionEnd()
        return None

    def _story_loaded(self, document: StoryDocument) -> None:
        self._stories[document.story.id] = document
        if self._wanted is not None and self._wanted[0].story_id == document.story.id:
            self._display(document)

    def _forget_stories(self) -> None:
        self._stories.clear()
        self._document = None
        self.clear()

    def _display(self, document: StoryDocument) -> None:
        assert self._wanted is not None
        passage, matches, best_sentence = self._wanted
        if self._document is not document:
            self._document = document
            self._set_text(document.text)
        self.passage = passage
        self._others = self._wanted_others
        self._set_meta(passage)
        self.previous_button.setEnabled(passage.ordinal > 0)
        self.next_button.setEnabled(passage.ordinal + 1 < len(document.passages))
        self._highlight(document.text, passage, matches, best_sentence)
        self.map_results()
        self._scroll_pending = True
        self._scroll_to_passage()

    def map_results(self) -> None:
        """Lay out the map again: the passage on show and the search's other results in its
        story (those given with a passage whose story is still loading wait for it: _display
        takes them up)."""
        document, passage = self._document, self.passage
        if document is None or passage is None:
            self.scroll_map.set_spans([])
            return
        text = document.text
        spans = [
            (utf16_index(text, p.start), utf16_index(text, p.end), p.id == passage.id)
            for p in (*self._others, passage)
        ]
        self.scroll_map.set_spans(spans)

    def _set_meta(self, passage: Passage) -> None:
        where = f"Passage {passage.ordinal + 1} of {passage.story_passage_count}"
        path = self._document.story.path if self._document else ""
        self.meta.setText(where)
        self.meta.setToolTip(path)

    def _set_text(self, text: str) -> None:
        self.text.setPlainText(text)
        self.text.fit_column()
        cursor = QTextCursor(self.text.document())
        cursor.select(QTextCursor.SelectionType.Document)
        body = QTextBlockFormat()
        body.setLineHeight(160, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cursor.mergeBlockFormat(body)
        gap = QTextBlockFormat()  # blank lines between paragraphs: a gap, not a full line
        gap.setLineHeight(45, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        block = self.text.document().begin()
        while block.isValid():
            if not block.text().strip():
                QTextCursor(block).mergeBlockFormat(gap)
            block = block.next()

    def _highlight(
        self, text: str, passage: Passage, matches: tuple[Span, ...], best: Span | None
    ) -> None:
        c = colors()
        start, end = utf16_index(text, passage.start), utf16_index(text, passage.end)
        selections = [self._selection(start, end, QColor(c.passage), "passage")]
        if best is not None:
            selections.append(
                self._selection(
                    utf16_index(text, best[0]),
                    utf16_index(text, best[1]),
                    QColor(c.best_sentence),
                    "sentence",
                )
            )
        for a, b in matches:
            selections.append(
                self._selection(
                    utf16_index(text, passage.start + a),
                    utf16_index(text, passage.start + b),
                    QColor(c.match),
                    "match",
                )
            )
        self.text.setExtraSelections(selections)
        cursor = self.text.textCursor()
        cursor.setPosition(start)
        self.text.setTextCursor(cursor)

    def _selection(
        self, start: int, end: int, color: QColor, kind: str
    ) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(color)
        fmt.setProperty(QTextFormat.Property.UserProperty, kind)
        selection.format = fmt
        return selection

    def _scroll_to_passage(self) -> None:
        """Put the passage's first line a little below the top, once the page has a size."""
        height = self.text.viewport().height()
        if not self._scroll_pending or not self.text.isVisible() or height <= 0:
            return
        self._scroll_pending = False
        rect = self.text.cursorRect()
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.value() + rect.top() - round(height * PASSAGE_TOP))
        self._anchored_at = bar.value()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        watching = watched in (self.text, self.text.viewport())
        if watching and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._align_header()
            QTimer.singleShot(0, self.scroll_map, self.map_results)  # once it has reflowed
            if self.text.verticalScrollBar().value() == self._anchored_at:
                # Not scrolled since the passage was put in view: a new width reflows the
                # story and moves the passage's line, so put it back once the text edit has
                # laid out again (a filter sees the resize before the widget handles it).
                self._scroll_pending = self.passage is not None
                QTimer.singleShot(0, self.text, self._scroll_to_passage)
            else:
                self._scroll_to_passage()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and self._showing_what_is_wanted():
            assert self._document is not None
            self._display(self._document)  # the highlight colours follow the theme
        super().changeEvent(event)

    def _showing_what_is_wanted(self) -> bool:
        """False while the story of the passage asked for is still loading: the one on screen
        is another story, and the passage's positions mean nothing in it."""
        return (
            self._document is not None
            and self._wanted is not None
            and self._wanted[0].story_id == self._document.story.id
        )

    def _more_like_this(self) -> None:
        if self.passage is not None:
            self.more_like_this.emit(self.passage)
