"""The library: collections (a folder added, the sample stories, single files) and their stories
as a tree with checkboxes that choose where a search looks, a filter box, and a context menu to
check, open or remove what is selected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QPainter,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors, named

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Collection, Story

_Index = QModelIndex | QPersistentModelIndex
COUNT_ROLE = Qt.ItemDataRole.UserRole + 1  # int: a story's passages, a collection's stories
_TOP = 0  # internalId of a collection row; a story row's is its collection's row + 1


SIDE_BY_SIDE_MAX = 5  # stories read side by side at once (app/parallel_view.py MAX_STORIES)


@dataclass(frozen=True)
class Removal:
    """What the person asked to remove: the paths to forget, the named collections to forget
    (their stories stay), and how to say it."""

    paths: tuple[Path, ...]
    what: str  # "“Camilla Roche”", "3 stories", "the folder “drafts” (12 stories)"
    named: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionEdit:
    """Stories (by path) to put into or take out of the named collection `name`."""

    name: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


class LibraryModel(QAbstractItemModel):
    """Collections, each with its stories by title, all checkable; a collection is checked,
    unchecked or partly checked as its stories are. Unchecked stories are remembered by path,
    so the choice survives re-indexing and restarts.

    Signals: filter_changed(object): the person checked or unchecked stories: the checked
        story ids, or None when all are checked. Not emitted by set_library(): whoever changes
        the library acts on the change once (a finished build searches again once).
    """

    filter_changed = Signal(object)

    def __init__(self, unchecked_paths: set[str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._collections: list[Collection] = []
        self._members: list[list[Story]] = []  # per collection, by title
        self._unchecked: set[str] = set(unchecked_paths or ())

    def set_library(self, stories: list[Story], collections: list[Collection]) -> None:
        by_id = {story.id: story for story in stories}
        self.beginResetModel()
        self._collections = list(collections)
        self._members = [
            sorted((by_id[i] for i in c.story_ids if i in by_id), key=lambda s: s.title.casefold())
            for c in collections
        ]
        self.endResetModel()

    # -- reading ------------------------------------------------------------------------------

    def stories(self) -> list[Story]:
        return [story for members in self._members for story in members]

    def collections(self) -> list[Collection]:
        return list(self._collections)

    def story_at(self, index: _Index) -> Story | None:
        if not index.isValid() or index.internalId() == _TOP:
            return None
        return self._members[index.internalId() - 1][index.row()]

    def collection_at(self, index: _Index) -> Collection | None:
        if not index.isValid() or index.internalId() != _TOP:
            return None
        return self._collections[index.row()]

    def stories_at(self, index: _Index) -> list[Story]:
        """The story a row is, or every story of a collection row."""
        story = self.story_at(index)
        if story is not None:
            return [story]
        return list(self._members[index.row()]) if index.isValid() else []

    def stories_of(self, collection: Collection) -> list[Story]:
        """A collection's stories, by title."""
        rows = [i for i, c in enumerate(self._collections) if c.name == collection.name]
        return list(self._members[rows[0]]) if rows else []

    def story_index(self, story_id: int) -> QModelIndex:
        for top, members in enumerate(self._members):
            for row, story in enumerate(members):
                if story.id == story_id:
                    return self.createIndex(row, 0, top + 1)
        return QModelIndex()

    def collection_index(self, name: str) -> QModelIndex:
        for row, collection in enumerate(self._collections):
            if collection.name == name:
                return self.createIndex(row, 0, _TOP)
        return QModelIndex()

    def unchecked_paths(self) -> list[str]:
        return sorted(self._unchecked)

    def checked_ids(self) -> list[int] | None:
        """Ids of the checked stories; None when every story is checked (no filter)."""
        stories = self.stories()
        checked = [s.id for s in stories if s.path not in self._unchecked]
        return None if len(checked) == len(stories) else checked

    # -- choosing -----------------------------------------------------------------------------

    def set_checked(self, story_ids: set[int]) -> None:
        """Check exactly these stories."""
        for story in self.stories():
            if story.id in story_ids:
                self._unchecked.discard(story.path)
            else:
                self._unchecked.add(story.path)
        self._changed()

    def check(self, stories: list[Story], checked: bool) -> None:
        """Check or uncheck these stories, leaving the others as they are."""
        paths = {story.path for story in stories}
        if checked:
            self._unchecked -= paths
        else:
            self._unchecked |= paths
        self._changed()

    def check_all(self) -> None:
        self.check(self.stories(), True)

    def check_none(self) -> None:
        self.check(self.stories(), False)

    def _changed(self) -> None:
        role = [Qt.ItemDataRole.CheckStateRole]
        for top, members in enumerate(self._members):
            collection = self.createIndex(top, 0, _TOP)
            self.dataChanged.emit(collection, collection, role)
            if members:
                first = self.createIndex(0, 0, top + 1)
                self.dataChanged.emit(first, self.createIndex(len(members) - 1, 0, top + 1), role)
        self.filter_changed.emit(self.checked_ids())

    # -- Qt's model interface -----------------------------------------------------------------

    def index(self, row: int, column: int = 0, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, _TOP) if row < len(self._collections) else QModelIndex()
        if parent.internalId() == _TOP and row < len(self._members[parent.row()]):
            return self.createIndex(row, 0, parent.row() + 1)
        return QModelIndex()

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _TOP)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if not parent.isValid():
            return len(self._collections)
        return len(self._members[parent.row()]) if parent.internalId() == _TOP else 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        story = self.story_at(index)
        if story is None:
            return self._collection_data(index.row(), role)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{story.title} (offline)" if story.offline else story.title
        if role == Qt.ItemDataRole.ForegroundRole and story.offline:
            return QBrush(QColor(colors().muted))  # the theme's, read when painted
        if role == Qt.ItemDataRole.CheckStateRole:
            unchecked = story.path in self._unchecked
            return Qt.CheckState.Unchecked if unchecked else Qt.CheckState.Checked
        if role == COUNT_ROLE:
            return story.passage_count
        if role == Qt.ItemDataRole.ToolTipRole:
            offline = (
                "\n\nIts file cannot be found now (a folder renamed or a drive not mounted): it "
                "stays as indexed until you remove it."
                if story.offline
                else ""
            )
            return (
                f"{story.title}\n{story.passage_count} passages · {story.source_format}\n"
                f"{story.path}{offline}\n\nUncheck to leave it out of searches."
            )
        return None

    def _collection_data(self, row: int, role: int) -> Any:
        collection, members = self._collections[row], self._members[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return collection.name
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.CheckStateRole:
            unchecked = sum(story.path in self._unchecked for story in members)
            if unchecked == 0:
                return Qt.CheckState.Checked
            return (
                Qt.CheckState.Unchecked
                if unchecked == len(members)
                else (Qt.CheckState.PartiallyChecked)
            )
        if role == COUNT_ROLE:
            return len(members)
        if role == Qt.ItemDataRole.ToolTipRole:
            passages = sum(story.passage_count for story in members)
            where = collection.folder or "Stories added one file at a time"
            return (
                f"{collection.name}\n{len(members)} stories · {passages:,} passages\n{where}"
                "\n\nUncheck to leave all of them out of searches."
            )
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        # A partly checked collection clicked becomes checked: Qt cycles it to Checked
        # (tri-state items) or Unchecked; either way every story follows the collection.
        self.check(self.stories_at(index), Qt.CheckState(value) == Qt.CheckState.Checked)
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )


class _StoryFilter(QSortFilterProxyModel):
    """Rows whose title holds the typed text, with their collection; a collection's name
    keeps all its stories (no signals)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)


class CountDelegate(QStyledItemDelegate):
    """A row: checkbox and title as usual, its count (a story's passages, a collection's
    stories) muted at the right (no signals)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        count = index.data(COUNT_ROLE)
        if not isinstance(count, int):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        label = f"{count:,}"
        metrics = QFontMetricsF(opt.font)
        room = metrics.horizontalAdvance(label) + metrics.height() * 0.8
        text_rect = opt.widget.style().subElementRect(
            QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget
        )
        opt.text = metrics.elidedText(
            opt.text, Qt.TextElideMode.ElideRight, text_rect.width() - room
        )
        opt.widget.style().drawControl(
            QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget
        )
        painter.save()
        painter.setPen(QColor(colors().muted))
        painter.setFont(option.font)
        right = QRectF(opt.rect).adjusted(0, 0, -metrics.height() * 0.4, 0)
        painter.drawText(right, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.restore()


class LibraryView(QWidget):
    """The sidebar: "Stories" with a count, a filter box, the tree, and a context menu.

    Signals:
        remove_requested(object): a Removal the person asked for (to be confirmed).
        add_requested(): the "+" button (add a folder).
        open_requested(object): the Story to read, from its start (Enter or a double click).
        collection_edit_requested(object): a CollectionEdit chosen in the context menu.
        side_by_side_requested(object): the ids of two to SIDE_BY_SIDE_MAX selected stories,
            to read side by side.
        heat_map_requested(object): the ids of the selected stories (three or more) to see on
            the heat map of how close stories are.
    """

    remove_requested = Signal(object)
    add_requested = Signal()
    open_requested = Signal(object)
    collection_edit_requested = Signal(object)
    side_by_side_requested = Signal(object)
    heat_map_requested = Signal(object)

    def __init__(self, model: LibraryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.model = model
        self.read_only = False  # set_read_only: a library this window only reads
        em = self.fontMetrics().height()
        self.heading = named(QLabel("STORIES", self), "paneTitle")
        heading_font = self.heading.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 0.85)
        heading_font.setLetterSpacing(heading_font.SpacingType.PercentageSpacing, 110)
        self.heading.setFont(heading_font)
        self.count = named(QLabel(self), "muted")
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a folder of stories")
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self.add_requested)
        self.filter = named(QLineEdit(self), "filterBox")
        self.filter.setPlaceholderText("Filter stories")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter stories by title")
        self.shown = _StoryFilter(self)
        self.shown.setSourceModel(model)
        self.filter.textChanged.connect(self._filter_text_changed)
        self.tree = _LibraryTree(self)
        self.tree.setObjectName("stories")
        self.tree.setModel(self.shown)
        self.tree.setItemDelegate(CountDelegate(self.tree))
        self.tree.setAccessibleName("Stories")
        self.tree.remove_requested.connect(self.remove_requested)
        self.tree.activated.connect(self._activated)
        self.collapsed: set[str] = set()  # collections folded by the person
        self._restoring = False  # _expand() at work: the folds are ours, not the person's
        self.tree.collapsed.connect(lambda index: self._folded(index, True))
        self.tree.expanded.connect(lambda index: self._folded(index, False))
        self._lay_out(em)
        model.modelReset.connect(self._library_reset)
        model.filter_changed.connect(self._update_count)

    def _lay_out(self, em: int) -> None:
        header = QHBoxLayout()
        header.setContentsMargins(round(em * 0.9), round(em * 0.9), round(em * 0.5), 0)
        header.addWidget(self.heading)
        header.addWidget(self.count)
        header.addStretch()
        header.addWidget(self.add_button)
        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(round(em * 0.7), 0, round(em * 0.7), 0)
        filter_row.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(round(em * 0.4))
        layout.addLayout(header)
        layout.addLayout(filter_row)
        layout.addWidget(self.tree, 1)
        self.tree.setViewportMargins(round(em * 0.2), 0, round(em * 0.4), 0)

    def _library_reset(self) -> None:
        self._expand()
        self._update_count()

    def _expand(self) -> None:
        """Every collection open but those the person folded (kept across restarts)."""
        self._restoring = True
        try:
            self.tree.expandAll()
            for name in self.collapsed:
                index = self.shown.mapFromSource(self.model.collection_index(name))
                if index.isValid():
                    self.tree.collapse(index)
        finally:
            self._restoring = False

    def _folded(self, index: QModelIndex, folded: bool) -> None:
        collection = self.model.collection_at(self.shown.mapToSource(index))
        if collection is None or self._restoring or self.shown.filterRegularExpression().pattern():
            return  # a filter opens every collection; that is not the person folding them
        if folded:
            self.collapsed.add(collection.name)
        else:
            self.collapsed.discard(collection.name)

    def _filter_text_changed(self, text: str) -> None:
        self.shown.setFilterFixedString(text.strip())
        if text.strip():
            self._restoring = True
            self.tree.expandAll()
            self._restoring = False
        else:
            self._expand()

    def _update_count(self) -> None:
        stories = self.model.stories()
        checked = self.model.checked_ids()
        shown = len(stories) if checked is None else len(checked)
        self.count.setText(f"{shown} of {len(stories)}" if checked is not None else f"{shown}")
        self.count.setToolTip(
            "Every story is searched"
            if checked is None
            else f"Searches look in the {shown} checked stories"
        )

    def _activated(self, index: QModelIndex) -> None:
        story = self.model.story_at(self.shown.mapToSource(index))
        if story is not None:
            self.open_requested.emit(story)

    def current_story(self) -> Story | None:
        return self.model.story_at(self.shown.mapToSource(self.tree.currentIndex()))

    def select_story(self, story_id: int) -> None:
        """Make a story the current row (scrolled to, selected)."""
        index = self.shown.mapFromSource(self.model.story_index(story_id))
        self.tree.setCurrentIndex(index)

    def new_collection(self, paths: tuple[str, ...]) -> None:
        """Ask for a name, then gather `paths` into a new collection of that name."""
        name, accepted = QInputDialog.getText(
            self, "New collection", "Name of the collection (its stories stay where they are):"
        )
        if accepted and name.strip():
            self.collection_edit_requested.emit(CollectionEdit(name.strip(), add=paths))

    def selected_removal(self) -> Removal | None:
        """The selected rows as one removal; None when nothing is selected (or the library is
        read-only)."""
        return None if self.read_only else self.tree.removal()

    def set_read_only(self, read_only: bool) -> None:
        """A library this window only reads (one kept in Milvus): no adding, removing or
        gathering into collections; checking stories for searches and reading stay."""
        self.read_only = read_only
        self.add_button.setVisible(not read_only)

    def sizeHint(self) -> QSize:
        em = self.fontMetrics().height()
        return QSize(em * 15, em * 30)


class _LibraryTree(QTreeView):
    """The tree itself: several rows selectable at once, Space checks or unchecks all of
    them, the context menu acts on them.

    Signals: remove_requested(object): a Removal chosen in the context menu.
    """

    remove_requested = Signal(object)

    def __init__(self, parent: LibraryView) -> None:
        super().__init__(parent)
        self._view = parent
        self.setHeaderHidden(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformRowHeights(True)
        self.setExpandsOnDoubleClick(True)
        self.setIndentation(round(self.fontMetrics().height() * 1.1))

    def selected(self) -> tuple[list[Collection], list[Story]]:
        """The collections and the stories selected (a story inside a selected collection
        counts with its collection only)."""
        model = self._view.model
        rows = [self._view.shown.mapToSource(i) for i in self.selectionModel().selectedRows()]
        collections = [c for c in (model.collection_at(i) for i in rows) if c is not None]
        inside = {story_id for c in collections for story_id in c.story_ids}
        stories = [s for s in (model.story_at(i) for i in rows) if s and s.id not in inside]
        return collections, stories

    def chosen_stories(self) -> list[Story]:
        """Every story the selection stands for: selected ones, and those of a collection."""
        collections, stories = self.selected()
        return [s for c in collections for s in self._view.model.stories_of(c)] + stories

    def removal(self) -> Removal | None:
        collections, stories = self.selected()
        if not collections and not stories:
            return None
        paths: list[Path] = []
        for collection in collections:  # its sources; stories under none go one by one
            if not collection.named:
                members = self._view.model.stories_of(collection)
                paths += [Path(r) for r in collection.roots] or [Path(s.path) for s in members]
        paths += [Path(story.path) for story in stories]
        named = tuple(c.name for c in collections if c.named)
        return Removal(tuple(paths), _describe(collections, stories), named)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Delete):
            removal = self._view.selected_removal()
            if removal is not None:
                self.remove_requested.emit(removal)
            return
        if event.key() == Qt.Key.Key_Space and len(self.selectionModel().selectedRows()) > 1:
            chosen = self.chosen_stories()
            model = self._view.model
            current = self._view.shown.mapToSource(self.currentIndex())
            state = model.data(current, Qt.ItemDataRole.CheckStateRole)
            model.check(chosen, state != Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        at = self.indexAt(event.pos())
        if at.isValid() and not self.selectionModel().isSelected(at):
            self.selectionModel().setCurrentIndex(
                at, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        model = self._view.model
        chosen = self.chosen_stories() if at.isValid() else []
        menu = QMenu(self)
        if chosen:
            collections, stories = self.selected()
            what = _describe(collections, stories)
            only = QAction(f"Search only {what}", menu)
            only.triggered.connect(lambda: model.set_checked({s.id for s in chosen}))
            check = QAction("Check", menu)
            check.triggered.connect(lambda: model.check(chosen, True))
            uncheck = QAction("Uncheck", menu)
            uncheck.triggered.connect(lambda: model.check(chosen, False))
            menu.addActions([only, check, uncheck])
            self._reading_actions(menu, chosen, single_story=not collections)
            menu.addSeparator()
        every = QAction("Search all stories", menu)
        every.triggered.connect(model.check_all)
        none = QAction("Uncheck all", menu)
        none.triggered.connect(model.check_none)
        menu.addActions([every, none])
        if chosen and not self._view.read_only:
            menu.addSeparator()
            menu.addMenu(self._collections_menu(menu, chosen))
            inside = self._named_parent()
            if inside is not None:
                take_out = QAction(f"Remove from “{inside.name}”", menu)
                take_out.triggered.connect(
                    lambda: self._view.collection_edit_requested.emit(
                        CollectionEdit(inside.name, remove=tuple(s.path for s in chosen))
                    )
                )
                menu.addAction(take_out)
        removal = self._view.selected_removal() if chosen else None
        if removal is not None:
            menu.addSeparator()
            remove = QAction(f"Remove {removal.what} from the library…", menu)
            remove.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
            remove.setToolTip("Storylens forgets them; the files themselves are not deleted")
            remove.triggered.connect(lambda: self.remove_requested.emit(removal))
            menu.addAction(remove)
        menu.exec(event.globalPos())

    def _reading_actions(self, menu: QMenu, chosen: list[Story], *, single_story: bool) -> None:
        """Read one story from its start; two to SIDE_BY_SIDE_MAX side by side; three or more
        on the heat map."""
        view = self._view
        actions = []
        if len(chosen) == 1 and single_story:
            read = QAction("Read from the start", menu)
            read.triggered.connect(lambda: view.open_requested.emit(chosen[0]))
            actions.append(read)
        if 2 <= len(chosen) <= SIDE_BY_SIDE_MAX:
            count = len(chosen)
            label = "Read side by side" if count == 2 else f"Read these {count} side by side"
            both = QAction(label, menu)
            both.triggered.connect(lambda: view.side_by_side_requested.emit([s.id for s in chosen]))
            actions.append(both)
        if len(chosen) > 2:
            pictured = QAction(f"Heat map of these {len(chosen)} stories", menu)
            pictured.triggered.connect(lambda: view.heat_map_requested.emit([s.id for s in chosen]))
            actions.append(pictured)
        if actions:
            menu.addSeparator()
            menu.addActions(actions)

    def _collections_menu(self, parent: QMenu, chosen: list[Story]) -> QMenu:
        """Add to collection ▸ each collection gathered by hand, and a new one."""
        menu = QMenu("Add to &collection", parent)
        paths = tuple(story.path for story in chosen)
        emit = self._view.collection_edit_requested.emit
        for collection in self._view.model.collections():
            if collection.named:
                action = menu.addAction(collection.name)
                action.triggered.connect(
                    lambda _=False, name=collection.name: emit(CollectionEdit(name, add=paths))
                )
        if menu.actions():
            menu.addSeparator()
        new = menu.addAction("New collection…")
        new.triggered.connect(lambda: self._view.new_collection(paths))
        return menu

    def _named_parent(self) -> Collection | None:
        """The collection gathered by hand that every selected story row is listed under."""
        model, shown = self._view.model, self._view.shown
        parents = {
            shown.mapToSource(i.parent()).row()
            for i in self.selectionModel().selectedRows()
            if i.parent().isValid()
        }
        rows = self.selectionModel().selectedRows()
        if len(parents) != 1 or any(not i.parent().isValid() for i in rows):
            return None
        collection = model.collections()[parents.pop()]
        return collection if collection.named else None


def _describe(collections: list[Collection], stories: list[Story]) -> str:
    """How a menu and a question name a selection."""
    if len(collections) == 1 and not stories:
        collection = collections[0]
        if collection.samples:
            return "the sample stories"
        count = len(collection.story_ids)
        noun = "story" if count == 1 else "stories"
        if collection.named:
            return f"the collection “{collection.name}” (its {count} {noun} stay)"
        if collection.folder is not None:
            return f"the folder “{collection.name}” ({count} {noun})"
        return f"“{collection.name}” ({count} {noun})"
    if len(stories) == 1 and not collections:
        return f"“{stories[0].title}”"
    if not collections:
        return f"{len(stories)} stories"
    parts = [f"{len(collections)} collection{'s' if len(collections) > 1 else ''}"]
    if stories:
        parts.append(f"{len(stories)} {'story' if len(stories) == 1 else 'stories'}")
    return " and ".join(parts)
