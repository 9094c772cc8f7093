"""The check before Qt starts on X11: missing libraries found by the loader, named with the
packages that bring them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.system_check import debian_package, missing_libraries, window_blockers, xcb_plugin


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libxcb.so.1", "libxcb1"),
    ],
)
def test_a_library_is_named_by_its_debian_package(soname: str, package: str) -> None:
    assert debian_package(soname) == package


def test_the_loader_says_what_is_missing(tmp_path: Path) -> None:
    """Qt's own plugin, copied away from the Qt libraries its run path finds: the loader
    cannot find them, and the check says which."""
    plugin = xcb_plugin()
    if plugin is None or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd on this system")
    in_place = missing_libraries(plugin)  # where PySide6 put it, Qt's own are found
    assert "libQt6XcbQpa.so.6" not in in_place
    moved = tmp_path / "platforms" / plugin.name
    moved.parent.mkdir()
    shutil.copy2(plugin, moved)
    assert "libQt6XcbQpa.so.6" in missing_libraries(moved)


def test_nothing_blocks_a_window_that_is_not_on_x11(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert window_blockers() is None
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert window_blockers() is None  # Qt chooses Wayland there


def test_on_x11_a_missing_library_blocks_the_window_with_its_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On this system as it is: blocked exactly when the loader misses something, and then
    told which packages to install."""
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    blocker = window_blockers()
    if not missing:
        assert blocker is None
        return
    assert blocker is not None
    assert "sudo apt-get install" in blocker
    assert all(debian_package(soname) in blocker for soname in missing)
