"""The window's actions, menus and toolbar, and the shortcut list read back from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QMainWindow, QToolBar, QWidget

from app.dialogs import Shortcut
from app.icons import toolbar_icon
from app.settings import Theme


@dataclass(frozen=True)
class ActionSpec:
    """One window-level action, as data: the window supplies what it does by `name`."""

    name: str
    text: str
    keys: tuple[str, ...] = ()
    tip: str = ""
    enabled: bool = True
    checkable: bool = False  # a setting: on or off (the slot reads the action's state)


# Every window-level action, in menu order; install_menus places them by name.
ACTIONS = (
    ActionSpec(
        "open_library",
        "&Open library…",
        (),
        "Open another library: an index folder, or a library kept in Milvus",
    ),
    ActionSpec(
        "add_folder", "&Add folder…", ("Ctrl+Shift+O",), "Add a folder of stories to the library"
    ),
    ActionSpec("add_files", "Add &files…", ("Ctrl+O",), "Add story files to the library"),
    ActionSpec(
        "reindex", "&Re-index", ("F5",), "Index what changed in the library's files and folders"
    ),
    ActionSpec("rebuild", "Re&build index…", (), "Read and embed every story again"),
    ActionSpec(
        "remove",
        "Re&move from library…",
        (),
        "Remove the selected stories or folder from the library",
    ),
    ActionSpec(
        "skipped", "&Skipped files…", (), "The files the last indexing run left out", enabled=False
    ),
    ActionSpec(
        "export",
        "&Export results…",
        ("Ctrl+E",),
        "Save the results shown as Markdown, CSV, HTML or JSON",
    ),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",)),
    ActionSpec("focus_search", "&Search", ("Ctrl+L", "Ctrl+F"), "Go to the search box"),
    ActionSpec(
        "preferences", "&Preferences…", ("Ctrl+,",), "Theme, results per search, model precision"
    ),
    ActionSpec(
        "compare", "&Compare selected", ("Ctrl+D",), "Compare two selected results side by side"
    ),
    ActionSpec(
        "compare_with",
        "Compare &with…",
        ("Ctrl+Shift+D",),
        "Compare the selected result with another result",
    ),
    ActionSpec(
        "moment",
        "Same &moment in every story",
        ("Ctrl+M",),
        "How every story tells the moment of the selected result",
    ),
    ActionSpec(
        "side_by_side",
        "Read &side by side with…",
        ("Ctrl+Shift+B",),
        "Read the selected result's whole story beside another story, aligned by meaning",
    ),
    ActionSpec(
        "heat_map",
        "&Heat map of the library",
        ("Ctrl+Shift+H",),
        "How close every two stories are; click a pair to read them side by side",
    ),
    ActionSpec(
        "corpus_map",
        "Ma&p of the library",
        ("Ctrl+Shift+L",),
        "Every passage as a point placed by its meaning, with your search marked",
    ),
    ActionSpec("close_compare", "C&lose comparison", ("Esc",), enabled=False),
    ActionSpec(
        "watch",
        "Watch &folders for changes",
        (),
        "Refresh the library when story files change in its folders",
        checkable=True,
    ),
    ActionSpec("shortcuts", "&Keyboard shortcuts", ("F1",)),
    ActionSpec("about", "&About Storylens"),
)


class Actions:
    """The QActions of ACTIONS, added to `host` so their shortcuts work wherever the focus
    is, each calling `slots[name]`; and the theme choices, calling `set_theme(theme)`."""

    def __init__(
        self,
        host: QMainWindow,
        slots: Mapping[str, Callable[[], object]],
        *,
        themes: Sequence[Theme],
        theme: Theme,
        set_theme: Callable[[Theme], object],
    ) -> None:
        made = {spec.name: _action(host, spec, slots[spec.name]) for spec in ACTIONS}
        self.open_library = made["open_library"]
        self.add_folder, self.add_files = made["add_folder"], made["add_files"]
        self.reindex, self.rebuild = made["reindex"], made["rebuild"]
        self.remove, self.skipped = made["remove"], made["skipped"]
        self.quit, self.focus_search = made["quit"], made["focus_search"]
        self.export = made["export"]
        self.preferences = made["preferences"]
        self.compare, self.compare_with = made["compare"], made["compare_with"]
        self.moment, self.close_compare = made["moment"], made["close_compare"]
        self.side_by_side, self.heat_map = made["side_by_side"], made["heat_map"]
        self.corpus_map = made["corpus_map"]
        self.watch = made["watch"]
        self.shortcuts, self.about = made["shortcuts"], made["about"]
        self.themes = QActionGroup(host)
        for name in themes:
            action = QAction(f"&{name.capitalize()}", self.themes, checkable=True)
            action.setChecked(name == theme)
            action.setData(name)
            action.triggered.connect(lambda _=False, chosen=name: set_theme(chosen))


def _action(host: QWidget, spec: ActionSpec, slot: Callable[[], object]) -> QAction:
    action = QAction(spec.text, host)
    action.setShortcuts([QKeySequence(k) for k in spec.keys])
    action.setToolTip(spec.tip or spec.text.replace("&", "").rstrip("…"))
    action.setEnabled(spec.enabled)
    action.setCheckable(spec.checkable)
    action.triggered.connect(lambda _checked=False: slot())
    host.addAction(action)
    return action


def install_menus(
    window: QMainWindow,
    act: Actions,
    *,
    edit: Sequence[QAction] = (),
    result_menu: list[QAction | None] | None = None,
) -> QToolBar:
    """The menu bar and the library toolbar; returns the toolbar. `edit`: the views' own
    actions for the Edit menu; `result_menu`: a result's context menu, extended here."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addAction(act.open_library)
    file.addSeparator()
    file.addActions([act.add_folder, act.add_files, act.reindex, act.rebuild])
    file.addSeparator()
    file.addActions([act.remove, act.skipped])
    file.addSeparator()
    file.addAction(act.export)
    file.addSeparator()
    file.addAction(act.quit)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([act.focus_search, *edit])
    edit_menu.addSeparator()
    edit_menu.addAction(act.preferences)
    view = bar.addMenu("&View")
    view.addActions([act.compare, act.compare_with, act.moment, act.side_by_side])
    view.addActions([act.heat_map, act.corpus_map, act.close_compare])
    view.addSeparator()
    view.addAction(act.watch)
    view.addMenu("&Theme").addActions(act.themes.actions())
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([act.shortcuts, act.about])
    if result_menu is not None:
        result_menu += [None, act.compare, act.compare_with, act.moment, act.side_by_side]

    toolbar = window.addToolBar("Library")
    toolbar.setObjectName("libraryToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    em = window.fontMetrics().height()
    toolbar.setIconSize(QSize(round(em * 1.1), round(em * 1.1)))
    toolbar.addActions([act.add_folder, act.add_files, act.reindex])
    paint_icons(toolbar, act)
    return toolbar


def paint_icons(toolbar: QToolBar, act: Actions) -> None:
    """Toolbar icons in the current text colour (again after a theme change)."""
    size, ratio = toolbar.iconSize().height(), toolbar.devicePixelRatioF()
    for action, kind in (
        (act.add_folder, "folder"),
        (act.add_files, "file"),
        (act.reindex, "refresh"),
    ):
        action.setIcon(toolbar_icon(kind, size, ratio))


def list_shortcuts(
    window: QWidget, views: Sequence[QAction] = (), buttons: Sequence[QAbstractButton] = ()
) -> list[Shortcut]:
    """Every shortcut, for Help > Keyboard shortcuts, read from the actions themselves: the
    window's, the views' `views` and the `buttons` that have a shortcut."""
    native = QKeySequence.SequenceFormat.NativeText
    actions = [a for a in window.actions() if a.shortcuts()]
    actions += views
    listed = [
        Shortcut(
            ", ".join(k.toString(native) for k in a.shortcuts()),
            a.text().replace("&", "").rstrip("…"),
        )
        for a in actions
    ]
    for button in buttons:
        listed.append(Shortcut(button.shortcut().toString(native), button.toolTip().split(" (")[0]))
    listed += [
        Shortcut("↑, ↓", "Move through the results from the search box"),
        Shortcut("Enter", "Search now; on a result (or one reached with ↑/↓), open it"),
        Shortcut("F3, Shift+F3", "In a comparison: the next, the previous matched pair"),
        Shortcut("Ctrl+], Ctrl+[", "In a comparison: stricter, looser sentence matching"),
    ]
    return listed
