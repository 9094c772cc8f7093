"""The main window: assembles the views, menus, toolbar and status bar and wires them to the
LibraryService. The views do the work; this module only connects them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from app.build_status import BuildStatus, describe_report
from app.comparisons import ComparisonPages
from app.dialogs import AboutDialog, Shortcut, ShortcutsDialog, SkippedDialog
from app.icons import app_icon
from app.jobs import Job
from app.library_view import LibraryModel, LibraryView, Removal
from app.menus import Actions, install_menus, list_shortcuts, paint_icons
from app.preferences import Choices, PreferencesDialog, precision_name
from app.reader_view import ReaderView
from app.search_view import UNAVAILABLE_PLACEHOLDER, EmptyState, SearchView
from app.service import LibraryService, SearchResult
from app.settings import BUILT_IN_MODEL_REF, THEMES, Precision, Settings, Theme
from app.theme import apply_theme, named
from app.watcher import FolderWatcher

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from app.side_by_side import SideBySideView
    from index import BuildReport, Hit, Story

STATUS_MS = 8000


OLDER_INDEX_MESSAGE = (
    "This index was made by an older Storylens: results are refined a moment after they "
    "appear. File > Rebuild index makes search answer at once."
)


class MainWindow(QMainWindow):
    """Storylens' window (no signals of its own; see the views and the service)."""

    def __init__(self, service: LibraryService, settings: Settings) -> None:
        super().__init__()
        self.service = service
        service.setParent(self)
        self.settings = settings
        self.last_report: BuildReport | None = None
        self.skipped_dialog: SkippedDialog | None = None
        self.side_by_side_notice: QMessageBox | None = None  # `--side-by-side` named no story
        self._reloading: tuple[str | None, Precision] | None = None  # the model and precision
        # chosen in Preferences, while they load
        self.setWindowTitle("Storylens")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.stories = LibraryModel(set(settings.unchecked_stories), self)
        self.library = LibraryView(self.stories, self)
        self.library.collapsed = set(settings.collapsed_collections)
        self.search = SearchView(self)
        self.reader = ReaderView(service, self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("workspace")
        self.splitter.setHandleWidth(1)
        self.splitter.setChildrenCollapsible(False)
        for view, stretch in ((self.library, 0), (self.search, 2), (self.reader, 3)):
            self.splitter.addWidget(view)
            self.splitter.setStretchFactor(self.splitter.indexOf(view), stretch)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)
        self.comparisons = ComparisonPages(self.pages, service, self.search, self.reader, self)
        self.comparisons.chosen_stories = self.stories.checked_ids
        self.comparisons.library_stories = self.stories.stories

        self.build_status = BuildStatus(self)
        self.stats = named(QLabel(self), "muted")
        self.read_only_badge = named(QLabel("Read-only", self), "muted")
        self.read_only_badge.hide()
        self.statusBar().addPermanentWidget(self.build_status)
        self.statusBar().addPermanentWidget(self.read_only_badge)
        self.statusBar().addPermanentWidget(self.stats)
        self.statusBar().setSizeGripEnabled(False)
        self.act = Actions(
            self,
            {
                "open_library": self.choose_library,
                "add_folder": self.choose_folder,
                "add_files": self.choose_files,
                "reindex": self.service.reindex,
                "rebuild": self.rebuild_index,
                "remove": self.remove_current,
                "export": self.export_results,
                "skipped": self.show_skipped,
                "quit": self.close,
                "focus_search": self.search.focus_search,
                "preferences": self.show_preferences,
                "compare": self.comparisons.compare_selected,
                "compare_with": self.comparisons.compare_with,
                "moment": self.comparisons.same_moment_of_current,
                "side_by_side": self.comparisons.side_by_side_with,
                "heat_map": self.comparisons.heat_map,
                "corpus_map": self.comparisons.corpus_map,
                "close_compare": self.comparisons.close,
                "watch": self._watching_toggled,
                "shortcuts": self.show_shortcuts,
                "about": self.show_about,
            },
            themes=THEMES,
            theme=settings.theme,
            set_theme=self.set_theme,
        )
        self.act.watch.setChecked(settings.watch_folders)
        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self._folders_changed)
        self.toolbar = install_menus(
            self, self.act, edit=self._view_actions(), result_menu=self.search.list.context_actions
        )
        self._connect()
        self._set_tab_order()
        em = self.fontMetrics().height()
        self.resize(_first_size(self, em))
        self.splitter.setSizes([em * 15, em * 26, em * 33])
        self._restore_layout()
        # Typing at once searches; otherwise the first toolbar button held the keyboard and a
        # space in the query pressed "Add folder".
        self.search.box.setFocus(Qt.FocusReason.OtherFocusReason)

    def tab_order(self) -> list[QWidget]:
        """Where Tab goes, pane by pane as they stand, left to right: the library, the search
        and its results, the reader."""
        return [
            self.library.add_button,
            self.library.filter,
            self.library.tree,
            self.search.box,
            self.search.list,
            self.search.more_button,
            self.reader.previous_button,
            self.reader.next_button,
            self.reader.more_button,
            self.reader.text,
        ]

    def _set_tab_order(self) -> None:
        chain = self.tab_order()
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _connect(self) -> None:
        s, search = self.service, self.search
        s.model_ready.connect(lambda: search.set_ready(True))
        s.model_ready.connect(self._model_reloaded)
        s.model_mismatch.connect(self._offer_rebuild_with_chosen_model)
        s.library_changed.connect(self._library_changed)
        s.build_started.connect(self._build_started)
        s.build_progress.connect(self.build_status.update_progress)
        s.build_finished.connect(self._build_finished)
        s.build_cancelled.connect(self._build_ended)
        s.failed.connect(self._build_ended)
        s.search_previewed.connect(self._search_finished)
        s.search_finished.connect(self._search_finished)
        self.build_status.cancel_requested.connect(s.cancel_build)
        search.search_requested.connect(self._search)
        search.cleared.connect(self._cleared)
        search.hit_selected.connect(self._hit_selected)
        search.hit_activated.connect(lambda _hit: self.reader.text.setFocus())
        self.library.open_requested.connect(self._open_story)
        search.more_like_this.connect(lambda hit: s.similar(hit.passage))
        search.add_folder_requested.connect(self.choose_folder)
        search.every_story_requested.connect(self.stories.check_all)
        self.reader.more_like_this.connect(s.similar)
        self.library.add_requested.connect(self.choose_folder)
        self.library.remove_requested.connect(self.confirm_remove)
        self.library.collection_edit_requested.connect(
            lambda edit: s.edit_collection(edit.name, add=edit.add, remove=edit.remove)
        )
        self.stories.filter_changed.connect(self._filter_changed)
        s.exported.connect(lambda path: self.statusBar().showMessage(f"Saved to {path}", STATUS_MS))
        self.comparisons.opened.connect(lambda: self.act.close_compare.setEnabled(True))
        self.comparisons.closed.connect(self._comparison_closed)
        self.comparisons.message.connect(lambda text: self.statusBar().showMessage(text, STATUS_MS))
        self.comparisons.export_requested.connect(self.export_results)
        self.library.side_by_side_requested.connect(lambda ids: self.comparisons.side_by_side(*ids))
        self.library.heat_map_requested.connect(self.comparisons.heat_map)

    # -- start-up and layout ------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading (call after show): the first run indexes the sample stories."""
        self.service.start(index_samples=self.settings.first_run)

    def _restore_layout(self) -> None:
        state = self.settings.window_state()
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("state", self.restoreState),
            ("splitter", self.splitter.restoreState),
        ):
            value = state.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def _save(self) -> None:
        state = self.settings.window_state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("state", self.saveState())
        state.setValue("splitter", self.splitter.saveState())
        state.sync()
        self.settings.unchecked_stories = self.stories.unchecked_paths()
        self.settings.collapsed_collections = sorted(self.library.collapsed)
        self.settings.save()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save, and cancel background work; what still runs delivers nothing (run_app waits for
        it after the event loop ends). A hidden-then-closed window would not end the app, so
        the window closes at once rather than waiting for its workers."""
        self._save()
        self.watcher.stop()
        self.service.stop()
        event.accept()

    # -- library ------------------------------------------------------------------------------

    def choose_library(self) -> None:
        """File > Open library…: another library, searched with the model in use."""
        if self.service.is_building:
            self.statusBar().showMessage(
                "Another library opens once indexing ends (or is cancelled).", STATUS_MS
            )
            return
        from app.open_library import OpenLibraryDialog  # reads places with the engine's rules

        dialog = OpenLibraryDialog(self.service.index_dir, self)

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dialog.chosen is not None:
                self.open_library(dialog.chosen)

        dialog.finished.connect(finished)
        dialog.open()

    def open_library(self, place: Path | str) -> None:
        """Close the library shown and open the one at `place` (its stories are listed when
        it is open; a search typed is run again on it)."""
        if not self.service.open_library(place):
            self.statusBar().showMessage(
                "Another library opens once the model has loaded and indexing has ended.",
                STATUS_MS,
            )
            return
        self.comparisons.close(to_search=True)  # they show the closing library's passages
        self.reader.clear()
        self.statusBar().showMessage(f"Opening {place}…", STATUS_MS)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of stories", self.start_dir)
        if folder:
            self.add_paths([Path(folder)])

    def choose_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(
            self,
            "Add stories",
            self.start_dir,
            "Stories (*.txt *.md *.html *.htm *.epub *.docx *.pdf);;All files (*)",
        )
        if files:
            self.add_paths([Path(f) for f in files])

    @property
    def start_dir(self) -> str:
        """Where the file dialogs open: where stories were last added from, else home (not
        the folder the program happened to be started in)."""
        last = self.settings.last_added_from
        return last if last and Path(last).is_dir() else str(Path.home())

    def add_paths(self, chosen: Sequence[Path]) -> None:
        if chosen:
            first = Path(chosen[0])
            self.settings.last_added_from = str(first if first.is_dir() else first.parent)
            self.settings.save()
        self.service.add(chosen)

    def export_results(self) -> None:
        """What is shown, to a file the person names (its suffix picks the format): the
        comparison page's document when one is showing, else the results."""
        page = self.comparisons.current_view()
        if page is not None:
            self._export_page(page)
            return
        hits = self.search.model.hits()
        if not hits or not self.search.showing_results:
            self.statusBar().showMessage("Search first: there are no results to export.", STATUS_MS)
            return
        suggested = str(Path(self.start_dir) / "storylens-results.md")
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            "Export results",
            suggested,
            "Markdown (*.md);;CSV (*.csv);;HTML (*.html);;JSON (*.json)",
        )
        if chosen:
            result = self.search.model.result
            title = f"Search: {result.query}" if result.query else "More like this"
            self.service.export(hits, Path(chosen), title)

    def open_side_by_side_when_ready(self, *names: str) -> None:
        """Open two to five stories side by side (titles or file names, as `storylens
        --side-by-side A B …` names them) as soon as the library is open."""

        def resolve(job: Job) -> tuple[list[int], list[tuple[str, str]]]:
            """The engine's own matching (title, file name or path; one story only)."""
            from index.errors import QueryError

            found, problems = [], []
            for name in names:
                try:
                    found.append(job.library.find_story(name).id)
                except QueryError as exc:
                    problems.append((name, str(exc)))
            return found, problems

        def resolved(answer: tuple[list[int], list[tuple[str, str]]]) -> None:
            found, problems = answer
            if not problems:
                self.comparisons.side_by_side(*found)
                return
            name, message = problems[0]
            if message.startswith("No story"):
                message = f"No story called “{name}” is in this library."
            # a box, not the status line: the first build's messages follow
            self.side_by_side_notice = QMessageBox(
                QMessageBox.Icon.Information, "Side by side", message, parent=self
            )
            self.side_by_side_notice.open()

        def opened(_stories: object) -> None:
            self.service.library_changed.disconnect(opened)
            self.service.run(resolve, resolved)

        self.service.library_changed.connect(opened)

    def _export_page(self, page: SideBySideView) -> None:
        if not page.export_document("md"):
            self.statusBar().showMessage("There is nothing on this page to export.", STATUS_MS)
            return
        suggested = str(Path(self.start_dir) / _file_name(page.export_name()))
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            "Export",
            suggested,
            "HTML (*.html);;Markdown (*.md);;CSV (*.csv);;JSON (*.json)",
        )
        if chosen:
            self.service.export_document(page.export_document, Path(chosen))

    def remove_current(self) -> None:
        removal = self.library.selected_removal()
        if removal is None:
            self.statusBar().showMessage(
                "Select stories or a folder in the library first.", STATUS_MS
            )
        else:
            self.confirm_remove(removal)

    def confirm_remove(self, removal: Removal) -> None:
        def remove() -> None:
            if removal.paths:
                self.service.remove(list(removal.paths))
            for name in removal.named:
                self.service.edit_collection(name, delete=True)

        self._confirm(
            "Remove from the library",
            f"Remove {removal.what} from the library?\n\nThe files themselves stay where they "
            "are; add them again at any time.",
            "Remove",
            remove,
        )

    def rebuild_index(self) -> None:
        """Re-embed every story from its file: the cure for a damaged index. An index that
        opened and answers is only rebuilt once the person confirms (it takes a while)."""
        if self.service.library is None:
            self.service.reindex(rebuild=True)
            return
        self._confirm(
            "Rebuild index",
            "Read and embed every story again?\n\nSearch keeps using the current index "
            "until the new one is ready.",
            "Rebuild",
            lambda: self.service.reindex(rebuild=True),
        )

    def _confirm(self, title: str, question: str, button: str, then: Callable[[], None]) -> None:
        """Ask `question` (window-modal, without blocking the event loop); `then` runs only
        if the person presses `button`, not Cancel."""
        box = QMessageBox(
            QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.Cancel, self
        )
        accept = box.addButton(button, QMessageBox.ButtonRole.AcceptRole)

        def finished(_result: int) -> None:
            if box.clickedButton() is accept:
                then()

        box.finished.connect(finished)
        box.open()

    def _watching_toggled(self) -> None:
        self.settings.watch_folders = self.act.watch.isChecked()
        self.settings.save()
        self._watch_sources()
        if self.settings.watch_folders:
            self.service.reindex()  # what changed while nobody watched

    def _watch_sources(self) -> None:
        watched = (
            self.settings.watch_folders and self.service.is_ready and not self.service.read_only
        )
        self.watcher.watch([Path(s) for s in self.service.sources] if watched else [])

    def _folders_changed(self) -> None:
        self.service.reindex()  # queued behind a build under way; nothing new costs nothing

    def _library_changed(self, stories: list[Story]) -> None:
        self._show_read_only(self.service.read_only)
        self.setWindowTitle(_title(self.service.index_dir))
        self._watch_sources()
        self.act.skipped.setEnabled(bool(self.service.skipped))  # kept by the index itself
        self.stories.set_library(stories, self.service.contents.collections)
        if not self.service.model_loaded and not self.service.model_loading:
            # the start-up worker failed; `failed` said why
            self.search.box.setPlaceholderText(UNAVAILABLE_PLACEHOLDER)
        passages = sum(s.passage_count for s in stories)
        self.stats.setText(f"{len(stories)} stories · {passages:,} passages" if stories else "")
        library = self.service.library
        if stories and library is not None and not library.stores_token_vectors:
            self.statusBar().showMessage(OLDER_INDEX_MESSAGE)  # stays until something else
            # is said: searches work, but each refines a moment later until it is rebuilt
        if self.service.index_dir and self.settings.last_index_dir != str(self.service.index_dir):
            self.settings.last_index_dir = str(self.service.index_dir)
            self.settings.save()
        if not stories:
            busy = self.service.is_building
            self.search.show_empty(EmptyState.INDEXING if busy else EmptyState.NO_STORIES)
        elif self.search.box.text().strip():
            self.search.rerun()
        else:
            self.search.show_empty(EmptyState.IDLE)

    def _show_read_only(self, reason: str | None) -> None:
        """A library this window only reads: everything that would change it is turned off,
        and the status bar says so (its tooltip: why, and where it is indexed instead)."""
        writable = reason is None
        for action in (
            self.act.add_folder,
            self.act.add_files,
            self.act.reindex,
            self.act.rebuild,
            self.act.remove,
            self.act.watch,
        ):
            action.setEnabled(writable)
        self.toolbar.setVisible(writable)  # all it holds is adding and re-indexing
        self.library.set_read_only(not writable)
        self.read_only_badge.setVisible(not writable)
        self.read_only_badge.setToolTip(reason or "")
        if reason is not None:
            self.statusBar().showMessage(reason, STATUS_MS * 2)

    def _build_started(self) -> None:
        self.build_status.started()
        if not self.stories.stories():
            self.search.show_empty(EmptyState.INDEXING)

    def _build_finished(self, report: BuildReport) -> None:
        self._build_ended()
        self.last_report = report
        self.statusBar().showMessage(describe_report(report), STATUS_MS)
        self.act.skipped.setEnabled(bool(report.skipped))
        if report.skipped:
            self.show_skipped()

    def _build_ended(self, message: str = "") -> None:
        if not self.service.is_building:
            self.build_status.hide()
        if message:
            self.statusBar().showMessage(message, STATUS_MS * 2)

    def show_skipped(self) -> None:
        """The files the library's last build left out: known after a restart too."""
        if not self.service.skipped:
            return
        if self.skipped_dialog is not None:
            self.skipped_dialog.close()
        self.skipped_dialog = SkippedDialog(self.service.skipped, self)
        self.skipped_dialog.show()

    # -- drag and drop ------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if dropped:
            event.acceptProposedAction()
            self.add_paths(dropped)

    # -- searching ----------------------------------------------------------------------------

    def _search(self, query: str) -> None:
        k = self.settings.results_per_search
        chosen = self.stories.checked_ids()
        if chosen == [] and self.stories.stories():
            self.search.show_empty(EmptyState.NONE_CHECKED)
            return
        self.service.search(query, stories=chosen, k=k)

    def _cleared(self) -> None:
        if self.stories.stories():
            self.search.show_empty(EmptyState.IDLE)
        self.reader.clear()

    def _filter_changed(self) -> None:
        self.settings.unchecked_stories = self.stories.unchecked_paths()
        self.search.rerun()

    def _search_finished(self, result: SearchResult) -> None:
        self.search.show_result(result, story_count=len(self.stories.stories()))

    def _hit_selected(self, hit: Hit | None) -> None:
        if hit is None:
            self.reader.show_hit(None)
            return
        others = [h.passage for h in self.search.model.hits() if h is not hit]
        self.reader.show_hit(hit, self.search.matches_of(hit), others)

    def _open_story(self, story: Story) -> None:
        """A story opened from the library: read from its start, the keyboard in the reader."""
        self.comparisons.close(to_search=True)
        self.reader.show_story(story.id)
        self.reader.text.setFocus()

    def _comparison_closed(self) -> None:
        self.act.close_compare.setEnabled(False)
        self.search.list.setFocus()

    # -- help and appearance ------------------------------------------------------------------

    def shortcuts(self) -> list[Shortcut]:
        buttons = (self.reader.previous_button, self.reader.next_button)
        return list_shortcuts(self, self._view_actions(), buttons)

    def _view_actions(self) -> list[QAction]:
        """The result list's own actions, shown in the Edit menu and the shortcut list."""
        return [self.search.copy_action, self.search.more_action]

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcuts(), self).open()

    def show_about(self) -> None:
        AboutDialog(self).open()

    def show_preferences(self) -> None:
        embedder = self.service.embedder
        loaded = embedder is not None and self.service.model_loaded
        running = embedder.running_precision if embedder and loaded else None
        built_with = embedder.name if embedder and self.service.library is not None else None
        library = self.service.library
        cut = library.passage_tokens if library is not None else None
        dialog = PreferencesDialog(
            Choices.of(self.settings, passage_tokens=cut),
            running=running,
            library_model=built_with,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.choices()))
        dialog.open()

    def apply_preferences(self, chosen: Choices) -> None:
        """What an accepted Preferences dialog asks, at once: the theme; the number of
        results (the shown search runs again); the model and its precision, loaded in the
        background (while a build runs, from the next start instead)."""
        library = self.service.library
        before = Choices.of(
            self.settings, passage_tokens=library.passage_tokens if library else None
        )
        self.settings.results_per_search = chosen.results_per_search
        if chosen.theme != before.theme:
            self.set_theme(chosen.theme)  # saves the settings too
        self.settings.save()
        if chosen.results_per_search != before.results_per_search:
            self.search.rerun()
        if library is not None and chosen.passage_tokens != before.passage_tokens:
            self._offer_new_passage_length(chosen.passage_tokens)
        if (chosen.model, chosen.precision) != (before.model, before.precision):
            # Saved once the model loads (_model_reloaded): one that cannot load is never
            # remembered, and the service goes back to the one it had.
            if self.service.reload(model=chosen.model, precision=chosen.precision):
                self._reloading = (chosen.model, chosen.precision)
                self.search.set_ready(False)
                self.statusBar().showMessage("Loading the model…")
            else:
                self.settings.model, self.settings.precision = chosen.model, chosen.precision
                self.settings.save()
                self.statusBar().showMessage(
                    "The new model settings apply from the next start of Storylens.", 10_000
                )

    def _offer_new_passage_length(self, tokens: int | None) -> None:
        """Passages cut another way means every story embedded again: ask first."""
        how = f"at {tokens} tokens at most" if tokens else "as whole paragraphs"
        self._confirm(
            "Passage length",
            f"Cut the library's passages {how}? Every story is embedded again; search keeps "
            "using the current index until the new one is ready.",
            "Rebuild",
            lambda: self.service.reindex(rebuild=True, passage_tokens=tokens or 0),
        )

    def _model_reloaded(self) -> None:
        """A model chosen in Preferences is loaded: remember it. (The one it had, loaded
        again after the chosen one failed, changes nothing: the failure stays on show.)"""
        chosen, self._reloading = self._reloading, None
        if chosen is None or chosen != (self.service.model, self.service.precision):
            return
        self.settings.model, self.settings.precision = chosen
        self.settings.save()
        embedder = self.service.embedder
        if embedder is not None:
            precision = precision_name(embedder.running_precision or embedder.precision)
            self.statusBar().showMessage(f"Model {embedder.name} ready, in {precision}.", 10_000)

    def _offer_rebuild_with_chosen_model(self, built_with: str, its_ref: str, chosen: str) -> None:
        """The library was built with another model than the one chosen: embed it again with
        the chosen one, or go back to the library's (the only offer for a read-only one)."""
        self.statusBar().clearMessage()
        read_only = self.service.read_only is not None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Another model",
            f"This library was built with {built_with}; Preferences name {chosen}. "
            + (
                f"It is searched with {built_with}."
                if read_only
                else f"To search it with {chosen}, every story is embedded again (search "
                "waits until then)."
            ),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        rebuild = (
            None
            if read_only
            else box.addButton(f"Rebuild with {chosen}", QMessageBox.ButtonRole.AcceptRole)
        )
        keep = box.addButton(f"Keep {built_with}", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)

        def finished(_result: int) -> None:
            if rebuild is not None and box.clickedButton() is rebuild:
                self.service.reindex(rebuild=True)
                return
            self.settings.model = None if its_ref == BUILT_IN_MODEL_REF else its_ref
            self.settings.save()
            libraries = (self.settings.model, self.settings.precision)
            if self.service.reload(model=libraries[0], precision=libraries[1]):
                self._reloading = libraries

        box.finished.connect(finished)
        box.open()

    def set_theme(self, theme: Theme) -> None:
        """Apply and remember `theme`; View > Theme shows it, whoever chose it."""
        self.settings.theme = theme
        self.settings.save()
        for action in self.act.themes.actions():
            action.setChecked(action.data() == theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        paint_icons(self.toolbar, self.act)
        self.search.repaint_icons()

    def system_theme_changed(self) -> None:
        if self.settings.theme == "system":
            self.set_theme("system")


def _file_name(name: str) -> str:
    """A suggested file name with the characters file systems refuse replaced."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in name).strip() or "storylens.html"


def _first_size(window: QMainWindow, em: int) -> QSize:
    """A first window that uses most of the screen it opens on (a fixed size in text lines was
    a third of a large screen), never more than the screen."""
    wanted = QSize(em * 72, em * 44)
    room = window.screen().availableGeometry().size()
    return QSize(
        min(max(wanted.width(), round(room.width() * 0.8)), room.width()),
        min(max(wanted.height(), round(room.height() * 0.85)), room.height()),
    )


def _title(place: Path | str | None) -> str:
    """The window's title: which library is open (its folder's name, or its Milvus address),
    unless it is the default one, so a person with several libraries tells windows apart."""
    from index.paths import default_index_dir  # loaded by the first worker already

    if place is None or (isinstance(place, Path) and place == default_index_dir()):
        return "Storylens"
    return f"{place if isinstance(place, str) else place.name} — Storylens"
