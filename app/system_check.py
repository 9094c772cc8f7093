"""Before Qt starts on X11: the system libraries its xcb platform plugin needs, and which are
missing, named with the Debian/Ubuntu packages that bring them.

Without this, a desktop that lacks one of them (a fresh Debian or Ubuntu lacks libxcb-icccm4,
libxcb-keysyms1 or libxkbcommon-x11-0) gets Qt's own message, which names another library and
no package. The dynamic loader's own answer (`ldd`) is what counts, so nothing is guessed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def xcb_plugin() -> Path | None:
    """Qt's X11 platform plugin as PySide6 ships it, found without importing Qt."""
    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(next(iter(spec.submodule_search_locations))) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries `library` needs that the loader cannot find (sonames); none
    when `ldd` is not there to ask."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        listed = subprocess.run(
            [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [m.group(1) for line in listed.splitlines() if (m := _NOT_FOUND.match(line))]


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library, by Debian's naming rule: the name in
    lower case, then its major version, a hyphen between when the name ends in a digit
    (libxcb-icccm.so.4 -> libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0)."""
    name, _, version = soname.partition(".so.")
    name = name.lower()
    return f"{name}{'-' if name[-1:].isdigit() else ''}{version.split('.')[0]}"


def window_blockers() -> str | None:
    """Why the window cannot start on this system, in one message with the command that
    fixes it; None when nothing is missing or the window will not use X11."""
    if not sys.platform.startswith("linux") or not os.environ.get("DISPLAY"):
        return None
    asked = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if asked not in ("", "xcb") or (not asked and os.environ.get("WAYLAND_DISPLAY")):
        return None  # another platform, or Qt's own choice on a Wayland desktop
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    if not missing:
        return None
    packages = " ".join(sorted({debian_package(soname) for soname in missing}))
    return (
        f"Storylens cannot open its window: Qt needs {', '.join(missing)}, which this system "
        f"does not have. On Debian or Ubuntu: sudo apt-get install {packages}"
    )
