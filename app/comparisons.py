"""Hooks for the comparison views, which live in their own modules (app/compare_view.py,
app/moment_view.py): imported on first use, each shown as a page of the window's central stack.

When a build lacks them, the person is told so politely instead of the window failing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QStackedWidget, QWidget

from app.reader_view import ReaderView
from app.results_model import position_text
from app.search_view import SearchView
from app.service import LibraryService

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from app.side_by_side import SideBySideView
    from index import Passage, Story

log = logging.getLogger(__name__)

MISSING = (
    "Comparing stories is not part of this build of Storylens yet.\n\n"
    "Search, reading and “More like this” work as usual."
)


class ComparisonPages(QObject):
    """Opens comparison pages in `stack` (page 0 is the search workspace), for the results
    selected in `search` or the passage open in `reader`.

    Signals: opened(): a comparison page is showing; closed(): back to the workspace;
    message(str): a hint for the status bar (e.g. "select two results"); export_requested():
    a page's Export button (the window asks where and writes `current_view`'s document).
    """

    opened = Signal()
    closed = Signal()
    message = Signal(str)
    export_requested = Signal()

    def __init__(
        self,
        stack: QStackedWidget,
        service: LibraryService,
        search: SearchView,
        reader: ReaderView,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._stack = stack
        self._service = service
        self._search = search
        self._reader = reader
        self._window = parent
        self._views: dict[str, SideBySideView] = {}
        self._back: list[QWidget] = []  # the views a comparison was opened from, in order
        self.notice: QMessageBox | None = None  # the last "not available" message
        self.chooser: QInputDialog | None = None  # the last "Compare with…" question
        # The stories searches look in (the library's checkboxes): the same moment keeps to
        # them. None: every story.
        self.chosen_stories: Callable[[], list[int] | None] = lambda: None
        self.library_stories: Callable[[], list[Story]] = list  # every story of the library

    @property
    def showing(self) -> bool:
        return self._stack.currentIndex() != 0

    def compare(self, left: Passage, right: Passage) -> bool:
        """Open the side-by-side comparison; False when this build has none."""
        view = self._view("app.compare_view", "CompareView")
        if view is None:
            return False
        view.set_passages(left, right)  # type: ignore[attr-defined]
        self._show(view)
        return True

    def compare_ids(self, left_id: int, right_id: int) -> bool:
        """compare() for passage ids, as the moment view hands them over."""
        view = self._view("app.compare_view", "CompareView")
        if view is None:
            return False
        view.compare(left_id, right_id)  # type: ignore[attr-defined]
        self._show(view)
        return True

    def open_in_reader(self, passage_id: int) -> None:
        """Leave the comparisons and read the passage in its story."""
        self.close(to_search=True)
        self._service.run(
            lambda job: job.library.passage(passage_id),
            on_success=self._reader.show_passage,
        )

    def same_moment(self, passage: Passage) -> bool:
        """Open "the same moment in every story" for `passage`; False when unavailable."""
        view = self._view("app.moment_view", "MomentView")
        if view is None:
            return False
        view.show_moment(passage.id, self.chosen_stories())  # type: ignore[attr-defined]
        self._show(view)
        return True

    def side_by_side(self, *story_ids: int) -> bool:
        """Whole stories side by side (two or more, aligned with the first); False when this
        build has no such view."""
        view = self._view("app.parallel_view", "ParallelView")
        if view is None:
            return False
        view.show_stories(*story_ids)  # type: ignore[attr-defined]
        self._show(view)
        return True

    def heat_map(self, story_ids: list[int] | None = None) -> bool:
        """The heat map of these stories (None: those searches look in, or all)."""
        view = self._view("app.heat_map_view", "HeatMapView")
        if view is None:
            return False
        chosen = story_ids if story_ids is not None else self.chosen_stories()
        view.show_map(chosen)  # type: ignore[attr-defined]
        self._show(view)
        return True

    def corpus_map(self) -> bool:
        """Every passage of the stories searches look in, on a plane, with the results shown
        (and their query) marked."""
        from app.corpus_map_view import MapRequest  # beside its view: loaded on first use

        view = self._view("app.corpus_map_view", "CorpusMapView")
        if view is None:
            return False
        hits = self._search.model.hits() if self._search.showing_results else []
        result = self._search.model.result
        query = result.query if hits and result is not None else ""
        request = MapRequest(self.chosen_stories(), query, tuple(h.passage.id for h in hits))
        view.show_map(request)  # type: ignore[attr-defined]
        self._show(view)
        return True

    def side_by_side_with(self) -> None:
        """The current result's (or reader's) story beside another, chosen from the library:
        the stories of the other results first, then the rest by title."""
        hit = self._search.current_hit()
        passage = self._reader.passage or (hit.passage if hit else None)
        if passage is None:
            self.message.emit("Select a result first, or choose two stories in the library.")
            return
        stories = [s for s in self.library_stories() if s.id != passage.story_id]
        if not stories:
            self.message.emit("Add another story to read it side by side with this one.")
            return
        found = [h.passage.story_id for h in self._search.model.hits()]
        rank = {story_id: n for n, story_id in enumerate(dict.fromkeys(found))}
        stories.sort(key=lambda s: (rank.get(s.id, len(rank)), s.title.casefold()))
        labels = [s.title for s in stories]
        self.chooser = QInputDialog(self._window)
        self.chooser.setWindowTitle("Read side by side with…")
        self.chooser.setLabelText(f"Read {passage.story_title} side by side with:")
        self.chooser.setComboBoxItems(labels)
        self.chooser.setComboBoxEditable(False)
        self.chooser.textValueSelected.connect(
            lambda label: self.side_by_side(passage.story_id, stories[labels.index(label)].id)
        )
        self.chooser.open()

    def current_view(self) -> SideBySideView | None:
        """The comparison page showing, if any."""
        current = self._stack.currentWidget()
        return current if self.showing and current in self._views.values() else None  # type: ignore[return-value]

    def compare_selected(self) -> None:
        """Two selected results side by side; with one, ask which to compare it with."""
        hits = self._search.selected_hits()
        if len(hits) == 2:
            self.compare(hits[0].passage, hits[1].passage)
        elif len(hits) == 1:
            self.compare_with()
        else:
            self.message.emit("Select two results to compare (Ctrl+click).")

    def compare_with(self) -> None:
        """Choose, among the other results, what to compare the current result with."""
        current = self._search.current_hit()
        others = [h for h in self._search.model.hits() if h is not current]
        if current is None or not others:
            self.message.emit("Search first, then select a result.")
            return
        labels = [f"{h.passage.story_title}, {position_text(h)}" for h in others]
        self.chooser = QInputDialog(self._window)
        self.chooser.setWindowTitle("Compare with…")
        self.chooser.setLabelText(
            f"Compare {current.passage.story_title}, {position_text(current)}, with:"
        )
        self.chooser.setComboBoxItems(labels)
        self.chooser.setComboBoxEditable(False)
        self.chooser.textValueSelected.connect(
            lambda label: self.compare(current.passage, others[labels.index(label)].passage)
        )
        self.chooser.open()  # window-modal without blocking the event loop

    def same_moment_of_current(self) -> None:
        hit = self._search.current_hit()
        passage = self._reader.passage or (hit.passage if hit else None)
        if passage is None:
            self.message.emit("Select a result first.")
        else:
            self.same_moment(passage)

    def close(self, *, to_search: bool = False) -> None:
        """Back to the view this one was opened from (Esc from a comparison opened in the
        same-moment view returns there), or to the search; `to_search`: all the way."""
        if self._back and not to_search:
            view = self._back.pop()
            self._stack.setCurrentWidget(view)
            view.setFocus()
            return
        self._back.clear()
        if self.showing:
            self._stack.setCurrentIndex(0)
            self.closed.emit()

    def _show(self, view: QWidget) -> None:
        current = self._stack.currentWidget()
        if self.showing and current is not None and current is not view:
            self._back.append(current)  # opened from another comparison view: Esc goes back
        self._stack.setCurrentWidget(view)
        view.setFocus()
        self.opened.emit()

    def _view(self, module_name: str, class_name: str) -> SideBySideView | None:
        if module_name in self._views:
            return self._views[module_name]
        try:
            module = importlib.import_module(module_name)
            view_class: Any = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            log.info("comparison view unavailable: %s", exc)
            self.notice = QMessageBox(
                QMessageBox.Icon.Information, "Not available", MISSING, parent=self._window
            )
            self.notice.open()  # window-modal without blocking the event loop
            return None
        view: SideBySideView = view_class(self._service)
        view.closed.connect(self.close)
        view.passage_requested.connect(self.open_in_reader)  # "open in story"
        view.export_requested.connect(self.export_requested)
        compare_requested = getattr(view, "compare_requested", None)
        if compare_requested is not None:  # "compare sentences" from a moment column
            compare_requested.connect(self.compare_ids)
        pair_requested = getattr(view, "pair_requested", None)
        if pair_requested is not None:  # a pair of stories on the heat map
            pair_requested.connect(self.side_by_side)
        self._stack.addWidget(view)
        self._views[module_name] = view
        return view
