"""The search column: a plain-language search box over a list of results, or a friendly empty
state when there is nothing to list (no stories yet, no results, still loading)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.highlight import Span
from app.icons import search_icon
from app.query_chips import QueryChips
from app.results_delegate import ResultDelegate
from app.results_model import ResultsModel
from app.service import SearchResult
from app.theme import named, scaled

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Hit

DEBOUNCE_MS = 300
READY_PLACEHOLDER = "Describe a moment in your own words…"
LOADING_PLACEHOLDER = "Loading the model…"
UNAVAILABLE_PLACEHOLDER = "Search is unavailable: the model could not be loaded"


class EmptyState(Enum):
    LOADING = ("Opening your library…", "The model and the index load in the background.")
    INDEXING = ("Indexing your stories…", "Results appear as soon as the index is ready.")
    NO_STORIES = (
        "No stories yet — add a folder",
        "Storylens reads .txt, .md, .html, .epub, .docx and .pdf files.",
    )
    IDLE = (
        "Search your stories by meaning",
        "Describe a scene, a feeling or a turn of events — e.g. “a dancer doubts she is good "
        "enough”. Passages that mean the same are found even when the words differ.",
    )
    NO_RESULTS = ("No results", "Try other words, or check more stories in the list.")
    NONE_CHECKED = (
        "No stories are checked",
        "Check stories or a whole collection in the library to search them.",
    )


class SearchBox(QLineEdit):
    """The search field. Up/Down/PageUp/PageDown go to the results while typing.

    Signals: navigate(int): rows to move the current result by (-1, +1, ±page);
    submitted(): Enter was pressed.
    """

    navigate = Signal(int)
    submitted = Signal()

    _MOVES: ClassVar[dict[Qt.Key, int]] = {
        Qt.Key.Key_Up: -1,
        Qt.Key.Key_Down: 1,
        Qt.Key.Key_PageUp: -5,
        Qt.Key.Key_PageDown: 5,
    }

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in self._MOVES and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.navigate.emit(self._MOVES[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
        elif key == Qt.Key.Key_Escape and self.text():
            self.clear()
        else:
            super().keyPressEvent(event)


class ResultsList(QListView):
    """The results list with a context menu of `context_actions` (no signals of its own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context_actions: list[QAction | None] = []  # None draws a separator

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if index.isValid() and not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        menu = QMenu(self)
        for action in self.context_actions:
            menu.addSeparator() if action is None else menu.addAction(action)
        menu.exec(event.globalPos())


class SearchView(QWidget):
    """Search box, results header, results list / empty state.

    Signals:
        search_requested(str): a query to run (debounced while typing, at once on Enter).
        cleared(): the search box was emptied.
        hit_selected(object): the current Hit, or None when there is none.
        hit_activated(object): a Hit opened with Enter or a double click.
        more_like_this(object): "More like this" on a Hit.
        add_folder_requested(): the empty state's "Add folder…" button.
        every_story_requested(): the story filter's chip taken out: search every story.
    """

    search_requested = Signal(str)
    cleared = Signal()
    hit_selected = Signal(object)
    hit_activated = Signal(object)
    more_like_this = Signal(object)
    add_folder_requested = Signal()
    every_story_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._last_query = ""
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_typed)

        self.box = named(SearchBox(self, clearButtonEnabled=True), "searchBox")
        self.box.setFont(scaled(self.font(), 1.15))
        self._search_icon = self.box.addAction(
            search_icon(self.box), QLineEdit.ActionPosition.LeadingPosition
        )
        self.box.setPlaceholderText(LOADING_PLACEHOLDER)
        self.box.setToolTip("Plain-language search (Ctrl+L). ↑/↓ move through the results.")
        self.box.textChanged.connect(self._typed)
        self.box.submitted.connect(self._submitted)
        self.box.navigate.connect(self._navigated)
        self._picked = False  # a result reached with ↑/↓ from the box since the last results

        self.chips = QueryChips(self)
        self.chips.removed.connect(self._remove_constraint)
        self.chips.scope_removed.connect(self.every_story_requested)
        # Wrapped: a long header (the constraints set aside, a story's title) takes a second
        # line rather than holding the results pane wide.
        self.header = named(QLabel(self, wordWrap=True), "muted")
        self.more_button = QPushButton("More like this", self)
        self.more_button.setToolTip("Passages close in meaning to the selected result")
        self.more_button.clicked.connect(self._more_like_current)
        self.more_button.setEnabled(False)

        self._make_results()

        # Wrapped, so that a narrow results pane wraps the title rather than being held wide
        # by it (it held the pane at 369 px, squeezing the reader, and a restored layout moved).
        self.empty_title = named(
            QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True), "emptyTitle"
        )
        self.empty_title.setFont(scaled(self.font(), 1.35, weight=self.font().Weight.DemiBold))
        self.empty_hint = named(QLabel(self, wordWrap=True), "emptyHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_button = named(QPushButton("Add folder…", self), "primary")
        self.empty_button.clicked.connect(self.add_folder_requested)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self._empty_page())
        self._lay_out()
        self.show_empty(EmptyState.LOADING)

    def _make_results(self) -> None:
        self.model = ResultsModel(self)
        self.list = ResultsList(self)
        self.list.setObjectName("results")
        self.list.setModel(self.model)
        self.list.setItemDelegate(ResultDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMouseTracking(True)
        self.list.setDragEnabled(True)
        self.list.setAccessibleName("Results")
        self.list.activated.connect(self._activated)
        self.list.selectionModel().currentRowChanged.connect(self._current_changed)

        self.copy_action = QAction("C&opy as Markdown", self.list)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.setToolTip("Copy the selected results, with story and position")
        self.copy_action.triggered.connect(self.copy_selected)
        self.more_action = QAction("More &like this", self.list)
        self.more_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.more_action.triggered.connect(self._more_like_current)
        self.list.addAction(self.copy_action)
        self.list.context_actions = [self.more_action, self.copy_action]

    def _empty_page(self) -> QWidget:
        page = QWidget(self)
        em = self.fontMetrics().height()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(em * 2, em * 2, em * 2, em * 2)
        layout.setSpacing(round(em * 0.8))
        layout.addStretch(2)
        layout.addWidget(self.empty_title)
        layout.addWidget(self.empty_hint)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.empty_button)
        row.addStretch()
        layout.addLayout(row)
        layout.addStretch(3)
        return page

    def _lay_out(self) -> None:
        em = self.fontMetrics().height()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(round(em * 0.9), round(em * 0.9), round(em * 0.9), 0)
        layout.setSpacing(round(em * 0.6))
        layout.addWidget(self.box)
        layout.addWidget(self.chips)
        header = QHBoxLayout()
        header.setContentsMargins(round(em * 0.3), 0, 0, 0)
        header.addWidget(self.header, 1)
        header.addWidget(self.more_button)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)

    # -- state --------------------------------------------------------------------------------

    def repaint_icons(self) -> None:
        self._search_icon.setIcon(search_icon(self.box))

    def set_ready(self, ready: bool) -> None:
        self.box.setPlaceholderText(READY_PLACEHOLDER if ready else LOADING_PLACEHOLDER)

    def show_empty(self, state: EmptyState) -> None:
        title, hint = state.value
        self.empty_title.setText(title)
        self.empty_hint.setText(hint)
        self.empty_button.setVisible(state is EmptyState.NO_STORIES)
        self.stack.setCurrentIndex(1)
        if state is not EmptyState.NO_RESULTS:
            self.header.clear()
        self.model.clear()
        self.more_button.setEnabled(False)
        self.more_button.setVisible(False)

    def show_result(self, result: SearchResult, *, story_count: int = 0) -> None:
        """Show what a search found; the first hit becomes current (and so opens in the reader),
        except where the full answer follows its preview and the person has already moved to
        another hit: that one stays current if the full answer has it too."""
        kept = self._chosen_in_preview_of(result)
        self._picked = self._picked and kept is not None
        self.header.setText(_header_text(result))
        self.chips.show_constraints(
            result.constraints, result.relaxed, _scope_text(result, story_count)
        )
        if not result.hits:
            self.show_empty(EmptyState.NO_RESULTS)
            self.hit_selected.emit(None)
            return
        self.model.set_result(result)
        self.stack.setCurrentIndex(0)
        self.more_button.setVisible(True)
        ids = [hit.passage.id for hit in result.hits]
        if kept in ids:
            self._select_row(ids.index(kept))
        else:
            self.list.scrollToTop()
            self.move_current(0)

    def _chosen_in_preview_of(self, result: SearchResult) -> int | None:
        """The passage the person chose among a preview of `result`'s query, if they did."""
        shown = self.model.result
        current = self.current_hit()
        if not shown.preview or shown.query != result.query or current is None:
            return None
        return current.passage.id if self.list.currentIndex().row() > 0 else None

    @property
    def showing_results(self) -> bool:
        return self.stack.currentIndex() == 0 and self.model.rowCount() > 0

    def current_hit(self) -> Hit | None:
        index = self.list.currentIndex()
        return self.model.hit(index.row()) if index.isValid() and self.showing_results else None

    def matches_of(self, hit: Hit) -> tuple[Span, ...]:
        """Where the query's words are in `hit`'s passage (nothing for "more like this")."""
        result = self.model.result
        for shown, matches in zip(result.hits, result.matches, strict=True):
            if shown is hit:
                return matches
        return ()

    def selected_hits(self) -> list[Hit]:
        rows = sorted(i.row() for i in self.list.selectionModel().selectedRows())
        return [self.model.hit(r) for r in rows]

    def focus_search(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def rerun(self) -> None:
        """Search again for what the box holds (after the library changed)."""
        if self.box.text().strip():
            self._emit_search(force=True)

    # -- behaviour ----------------------------------------------------------------------------

    def move_current(self, step: int) -> None:
        """Select the result `step` rows from the current one (0: the first result)."""
        rows = self.model.rowCount()
        if not rows or not self.showing_results:
            return
        current = self.list.currentIndex().row() if step else -1
        self._select_row(min(max(current + step, 0), rows - 1) if step else 0)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.list.selectionModel().setCurrentIndex(index, flags)
        self.list.scrollTo(index)

    def copy_selected(self) -> None:
        indexes = self.list.selectionModel().selectedRows()
        if indexes:
            # Text, not setMimeData: a QMimeData made in Python and handed to the clipboard is
            # owned twice and crashed the interpreter at exit. Markdown is plain text anyway.
            QGuiApplication.clipboard().setText(self.model.mimeData(indexes).text())

    def _typed(self, text: str) -> None:
        if text.strip():
            self._debounce.start()
        else:
            self._debounce.stop()
            self._last_query = ""
            self.chips.show_constraints((), ())
            self.cleared.emit()

    def _remove_constraint(self, constraint: str) -> None:
        """A chip's ✕: the query without that phrase or exclusion, searched at once."""
        from index.search.query import without  # pure text, but the window shows before
        # anything of the engine is imported

        self.box.setText(without(self.box.text(), constraint))
        self.box.setFocus()
        self._debounce.stop()
        self._emit_search(force=True)

    def _search_typed(self) -> None:
        self._emit_search(force=False)

    def _navigated(self, step: int) -> None:
        self._picked = True
        self.move_current(step)

    def _submitted(self) -> None:
        """Enter searches now; on a result reached with ↑/↓ it opens that result. Live
        results alone never take the keyboard from the box: Enter pressed as they appear
        would move it to the reader, and the next keys typed would be lost there."""
        self._debounce.stop()
        query = self.box.text().strip()
        picked = self._picked and self.current_hit() is not None
        if query and query == self._last_query and picked:
            self.hit_activated.emit(self.current_hit())
        else:
            self._emit_search(force=True)

    def _emit_search(self, *, force: bool) -> None:
        query = self.box.text().strip()
        if query and (force or query != self._last_query):
            self._last_query = query
            self.search_requested.emit(query)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = self.model.hit(current.row()) if current.isValid() else None
        self.more_button.setEnabled(hit is not None)
        self.hit_selected.emit(hit)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.hit_activated.emit(self.model.hit(index.row()))

    def _more_like_current(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.more_like_this.emit(hit)

    def sizeHint(self) -> QSize:
        em = self.fontMetrics().height()
        return QSize(em * 26, em * 30)


def _header_text(result: SearchResult) -> str:
    n = len(result.hits)
    found = f"{n} closest passage{'s' if n != 1 else ''}"
    if result.keywords_only:
        found = f"{n} passage{'s' if n != 1 else ''} with these words"
    if result.similar_to is not None:
        p = result.similar_to
        return f"{found} like {p.story_title}, passage {p.ordinal + 1} of {p.story_passage_count}"
    # The story filter is not repeated here: it has a chip of its own (_scope_text).
    set_aside = ""  # what no passage met with the rest: said, rather than showing nothing
    phrases = [c for c in result.relaxed if not c.startswith("-")]
    kept_in = [_quoted(c[1:]) for c in result.relaxed if c.startswith("-")]
    if phrases:
        set_aside += f" · none has {', '.join(phrases)}, so without {_them(phrases)}"
    if kept_in:
        set_aside += f" · none lacks {', '.join(kept_in)}, so not left out"
    if result.keywords_only:
        return f"{found}{set_aside} · the model is loading: matches by meaning follow"
    return f"{found}{set_aside}{' · refining…' if result.preview else ''}"


def _scope_text(result: SearchResult, story_count: int) -> str | None:
    """The story filter's chip, "in 3 of 4 stories"; None when every story is searched."""
    if result.stories is None or not story_count:
        return None
    return f"in {len(result.stories)} of {story_count} stories"


def _quoted(word_or_phrase: str) -> str:
    return word_or_phrase if word_or_phrase.startswith('"') else f'"{word_or_phrase}"'


def _them(relaxed: list[str]) -> str:
    return "it" if len(relaxed) == 1 else "them"
