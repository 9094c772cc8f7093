"""File > Open library…: what a typed place is judged to be, and the window opening another
library, a local one or one kept in Milvus (Milvus Lite, real), which it only reads."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.open_library import OpenLibraryDialog, judge_place
from app.settings import Settings
from tests.app.conftest import QUERY, READY_MS, OpenWindow


def test_a_place_is_judged_before_anything_is_opened(fake_seed_index: Path, tmp_path: Path) -> None:
    own_files = tmp_path / "novel"
    own_files.mkdir()
    (own_files / "chapter-1.md").write_text("It was a dark night.", encoding="utf-8")
    lite = tmp_path / "library.db"
    lite.write_bytes(b"")

    library, new = judge_place(str(fake_seed_index)), judge_place(str(tmp_path / "new"))
    assert library is not None and library.usable and library.place == fake_seed_index
    assert new is not None and new.usable and "new one" in new.note
    for text, says in [
        (str(own_files), "holds other files and no library"),
        (str(own_files / "chapter-1.md"), "This is a file"),
        ("milvus:library", "ending in .db"),
        ("milvus://localhost:19530/my-library", "not a Milvus server address"),
        (f"milvus:{tmp_path / 'absent.db'}", "is no Milvus Lite file"),
    ]:
        refused = judge_place(text)
        assert refused is not None and not refused.usable and says in refused.note, text
    for text in (f"milvus:{lite}", "milvus://milvus.example.org:19530/stories"):
        remote = judge_place(text)
        assert remote is not None and remote.usable and remote.place == text
        assert "read-only" in remote.note
    assert judge_place("   ") is None
    assert own_files.is_dir() and [p.name for p in own_files.iterdir()] == ["chapter-1.md"]


@given(st.text(max_size=40))
@example("~0")  # a ~name of no user here: pathlib's expanduser raised RuntimeError
def test_nothing_typed_makes_the_judgement_raise(text: str) -> None:
    judgement = judge_place(text)
    assert judgement is None or isinstance(judgement.note, str)


def test_the_dialog_opens_only_what_can_be_opened(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("a story of my own", encoding="utf-8")
    dialog = OpenLibraryDialog(None)
    qtbot.addWidget(dialog)
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    assert not open_button.isEnabled()
    dialog.place.setText(str(tmp_path))
    assert not open_button.isEnabled()
    assert "holds other files" in dialog.note.text()
    dialog.place.setText(str(tmp_path / "library"))
    assert open_button.isEnabled()
    open_button.click()
    assert dialog.chosen == tmp_path / "library"


@pytest.fixture
def milvus_library(seed_index: Path, tmp_path: Path) -> str:
    """The sample stories' index published to a Milvus Lite file."""
    pytest.importorskip("pymilvus", reason="the scale extra (pip install storylens[scale])")
    from index.store.milvus import MilvusAddress
    from index.store.milvus.publish import publish_index

    address = f"milvus:{tmp_path / 'shared.db'}"
    publish_index(seed_index, MilvusAddress.parse(address))
    return address


def test_a_library_in_milvus_is_searched_and_only_read(
    qtbot: QtBot, open_window: OpenWindow, milvus_library: str, library_copy: Path
) -> None:
    window = open_window(milvus_library)
    service = window.service
    assert service.library is not None and service.library.layout is None  # read from Milvus
    assert len(window.stories.stories()) == 4
    assert not any(story.offline for story in window.stories.stories())
    assert service.read_only is not None and milvus_library in service.read_only
    assert window.read_only_badge.isVisibleTo(window)
    changes = (window.act.add_folder, window.act.add_files, window.act.reindex, window.act.remove)
    assert not any(action.isEnabled() for action in (*changes, window.act.watch))
    assert not window.library.add_button.isVisibleTo(window)
    assert not window.toolbar.isVisibleTo(window)
    assert window.settings.last_index_dir == milvus_library
    assert window.windowTitle() == f"{milvus_library} — Storylens"
    assert Settings.load(window.settings.config_dir).index_dir() == milvus_library  # next start

    with qtbot.waitSignal(service.search_finished, timeout=READY_MS) as answered:
        window.search.box.setText(QUERY)
        window.search.box.submitted.emit()
    assert answered.args[0].hits[0].passage.story_title == "Sofia Kalejs"

    with qtbot.waitSignal(service.failed, timeout=READY_MS) as refused:
        window.add_paths([library_copy])  # dropped on the window, say
    assert refused.args[0].startswith("Read-only")
    assert not service.is_building

    with qtbot.waitSignal(service.library_changed, timeout=READY_MS):
        window.open_library(library_copy)
    assert service.read_only is None and service.library is not None
    assert service.library.layout is not None
    assert all(action.isEnabled() for action in changes)
    assert not window.read_only_badge.isVisibleTo(window)
    assert window.library.add_button.isVisibleTo(window)
    assert window.toolbar.isVisibleTo(window)
    assert window.settings.last_index_dir == str(library_copy)
    assert window.windowTitle() == f"{library_copy.name} — Storylens"


def test_an_address_with_nothing_published_says_so(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    pytest.importorskip("pymilvus", reason="the scale extra (pip install storylens[scale])")
    address = f"milvus:{tmp_path / 'nothing-yet.db'}"
    window = open_window(address, wait=False)
    with qtbot.waitSignal(window.service.failed, timeout=READY_MS) as failed:
        window.start()
    assert f"No library at {address} yet" in failed.args[0]
    assert window.stories.stories() == []
    assert not (tmp_path / "nothing-yet.db").exists()  # nothing made by looking


@pytest.fixture
def unwritable_library(library_copy: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the sample library where this process may not write: a read-only mount when
    the tests run as root (permissions do not stop root), else a folder without write
    permission."""
    if os.geteuid() != 0:
        library_copy.chmod(0o555)
        yield library_copy
        library_copy.chmod(0o755)
        return
    disk = tmp_path / "read-only disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(disk)], check=False).returncode:
        pytest.skip("running as root without the right to mount: no way to deny a write")
    try:
        shutil.copytree(library_copy, disk / "library")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        yield disk / "library"
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


def test_a_library_in_a_folder_nobody_may_write_is_searched_and_only_read(
    unwritable_library: Path, qtbot: QtBot, open_window: OpenWindow
) -> None:  # the mount set up first, so that it is taken down after the window has closed
    before = sorted(str(p.relative_to(unwritable_library)) for p in unwritable_library.rglob("*"))
    judged = judge_place(str(unwritable_library))
    assert judged is not None and judged.usable and "read-only" in judged.note
    refused = judge_place(str(unwritable_library / "new library"))
    assert refused is not None and not refused.usable and "cannot write" in refused.note

    window = open_window(unwritable_library)
    service = window.service
    assert len(window.stories.stories()) == 4
    assert service.read_only is not None and str(unwritable_library) in service.read_only
    assert window.read_only_badge.isVisibleTo(window)
    changes = (window.act.add_folder, window.act.add_files, window.act.reindex, window.act.remove)
    assert not any(action.isEnabled() for action in (*changes, window.act.watch))

    with qtbot.waitSignal(service.search_finished, timeout=READY_MS) as answered:
        window.search.box.setText(QUERY)
        window.search.box.submitted.emit()
    assert answered.args[0].hits[0].passage.story_title == "Sofia Kalejs"

    with qtbot.waitSignal(service.failed, timeout=READY_MS) as said:
        window.add_paths([unwritable_library.parent])
    assert said.args[0].startswith("Read-only")
    assert not service.is_building
    after = sorted(str(p.relative_to(unwritable_library)) for p in unwritable_library.rglob("*"))
    assert after == before
