"""What the Storylens bundle leaves out, and how its shared libraries are stripped.

Every cut here was measured on a plain bundle and proven safe by the smoke test
(`storylens --self-test`: index, search, comparison and the window, offline); the sizes are in
packaging/README.md (`python packaging/bundle_rules.py report BUNDLE` measures them again).
Known unsafe, so kept: torch/bin/torch_shm_manager (torch's DataLoader and shared-memory
tensors start it), torch._dynamo/_inductor/testing/distributed (imported by torch itself or
by transformers at import time), any folder of transformers/models (loaded by name from the
model's config), sklearn and scipy (sentence-transformers and the comparison import them).

STORYLENS_BUNDLE_BASELINE=1 turns every cut and the stripping off, to measure against.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

BASELINE = os.environ.get("STORYLENS_BUNDLE_BASELINE") == "1"

# Python packages never imported by Storylens at run time. PyInstaller follows every import
# statement, including optional ones inside test helpers (torch.testing pulls pytest and
# hypothesis) and type-checking tools present in the build venv.
_NEVER_IMPORTED = [
    "tkinter",
    "_tkinter",
    "pytest",
    "_pytest",
    "pluggy",
    "hypothesis",
    "pytestqt",
    "mypy",
    "mypyc",
    "ast_serialize",
    "IPython",
    "matplotlib",
    # Hugging Face's Xet download client: the model ships inside, nothing is ever downloaded.
    "hf_xet",
    # Hugging Face's compute-kernel loader, a requirement of transformers since 5.25: it fetches
    # kernels from the Hub, which Storylens forbids (USE_HUB_KERNELS=NO, rthook_offline.py), and
    # transformers keeps its own layers without it. Bundled, it broke the model's load: its data
    # file (python_depends.json) is not one PyInstaller's analysis finds.
    "kernels",
    # PyInstaller's PySide6 hook adds it; nothing in Storylens imports it.
    "PySide6.QtNetwork",
    # Only Hugging Face's and transformers' own command-line tools and webhooks use these.
    "pydantic",
    "pydantic_core",
    "typer",
    # Interactive-terminal modules: a window app never reads a line from a terminal.
    "readline",
    "curses",
    "_curses",
    # The `scale` extra (a library kept in Milvus): a person installs it with pip where they
    # need it; the window's installer stays as it was, and says so if an address is given.
    # With it come pandas and pyarrow, which some bundled libraries import only if present.
    "pymilvus",
    "milvus_lite",
    "ray",
    "grpc",
    "pandas",
    "pyarrow",
]
EXCLUDED_MODULES: list[str] = [] if BASELINE else _NEVER_IMPORTED

# Files dropped from the bundle, as glob patterns on the path inside _internal/ ("*" may cross
# "/"). Each line: the pattern and why it is safe.
DROPPED: list[tuple[str, str]] = [
    ("torch/test/*", "torch's C++ unit-test programs"),
    ("torch/bin/*", "C++ test programs, protoc and test models (torch_shm_manager is KEPT)"),
    ("torch/lib/libaoti_custom_ops.so", "test library for AOTInductor custom ops"),
    ("torch/lib/libbackend_with_compiler.so", "test library for the JIT backend API"),
    ("torch/lib/libjitbackend_test.so", "test library"),
    ("torch/lib/libtorchbind_test.so", "test library"),
    ("torch/include/*", "C++ headers, for building extensions"),
    ("torch/share/cmake/*", "CMake files, for building extensions"),
    ("*.a", "static libraries, for linking at build time"),
    # The build machine's CUDA runtime, found by PyInstaller through a ctypes lookup; torch
    # here is the CPU build and never loads it.
    ("libcudart.so*", "the build machine's CUDA runtime (CPU-only torch)"),
    # Qt: the window uses QtCore/QtGui/QtWidgets on X11 (xcb), offscreen or minimal.
    ("PySide6/Qt/plugins/platforms/libqwayland*", "Wayland platforms: Qt uses xcb (XWayland)"),
    ("PySide6/Qt/plugins/platforms/libqeglfs*", "EGLFS: embedded screens without a desktop"),
    ("PySide6/Qt/plugins/platforms/libqminimalegl*", "EGL test platform"),
    ("PySide6/Qt/plugins/platforms/libqvnc*", "VNC platform"),
    ("PySide6/Qt/plugins/platforms/libqlinuxfb*", "Linux framebuffer platform"),
    ("PySide6/Qt/plugins/platforms/libqvkkhrdisplay*", "Vulkan KHR display platform"),
    ("PySide6/Qt/plugins/egldeviceintegrations/*", "EGLFS back ends"),
    ("PySide6/Qt/plugins/generic/*", "evdev/TUIO input, for EGLFS and framebuffer platforms"),
    ("PySide6/Qt/plugins/wayland-*", "Wayland back ends"),
    ("PySide6/Qt/lib/libQt6Wayland*", "Wayland libraries"),
    ("PySide6/Qt/lib/libQt6WlShellIntegration*", "Wayland shell integration"),
    ("PySide6/Qt/lib/libQt6EglFS*", "EGLFS libraries"),
    ("PySide6/Qt/lib/libQt6EglFs*", "EGLFS libraries"),
    # GTK3 theme: would make GTK 3 a dependency; the XDG portal theme gives native dialogs.
    ("PySide6/Qt/plugins/platformthemes/libqgtk3*", "GTK 3 platform theme"),
    # No networking in Storylens: QtNetwork (excluded below), its TLS and reachability plugins.
    ("PySide6/Qt/lib/libQt6Network*", "QtNetwork: Storylens never uses the network"),
    ("PySide6/Qt/plugins/tls/*", "TLS back ends for QtNetwork"),
    ("PySide6/Qt/plugins/networkinformation/*", "network reachability for QtNetwork"),
    ("PySide6/Qt/plugins/imageformats/libq[tw]*", "TIFF, TGA, WebP, WBMP: the app shows no images"),
    ("PySide6/Qt/plugins/imageformats/libqicns*", "macOS icon images"),
    ("PySide6/Qt/translations/*", "Qt's own translations: Storylens ships in English only"),
]
if BASELINE:
    DROPPED = []
# Exceptions to DROPPED.
KEPT = ["torch/bin/torch_shm_manager"]

# Libraries PyInstaller copies from the build machine's system folders (X11/xcb, fontconfig,
# GL, glib, OpenSSL, ...) stay out: the .deb's Depends brings the target distribution's own
# builds, which match its drivers and configuration (a bundled libstdc++ or fontconfig older
# than the system's breaks Mesa drivers and font configs). deb.check_depends proves that every
# one of them is declared. libpython is the exception: it is the bundle's own interpreter.
SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")
_ALWAYS_CARRIED = ["libpython*"]

# Shared libraries that auditwheel grafted into wheels (*.libs/) were rewritten by patchelf;
# strip breaks their segment alignment, so they are left alone.
_NOT_STRIPPED = ["*.libs/*"]

Entry = TypeVar("Entry", bound=tuple[str, ...])


def dropped_reason(path: str) -> str | None:
    """Why `path` (relative to _internal/, "/"-separated) is left out, or None to keep it."""
    if path in KEPT:
        return None
    for pattern, reason in DROPPED:
        if fnmatch.fnmatch(path, pattern):
            return reason
    return None


def from_the_system(destination: str, source: str, kind: str) -> bool:
    """A library copied from the system's library folders, which the .deb's Depends provides."""
    if BASELINE or kind != "BINARY" or "/" in destination:
        return False
    if any(fnmatch.fnmatch(destination, name) for name in _ALWAYS_CARRIED):
        return False
    return source.startswith(SYSTEM_LIBRARY_DIRS)


def keep(toc: Iterable[Entry]) -> list[Entry]:
    """A PyInstaller TOC without the dropped files (entries are (dest_name, source, kind))."""
    kept = []
    for entry in toc:
        destination = entry[0].replace(os.sep, "/")
        system = from_the_system(destination, entry[1], entry[2])
        if dropped_reason(destination) is None and not system:
            kept.append(entry)
    return kept


def strip_bundle(bundle: Path) -> list[tuple[str, int]]:
    """strip --strip-unneeded every shared library that stays loadable; returns bytes saved.

    --strip-unneeded drops the static symbol table and debug data but keeps the dynamic symbols
    that loading and linking use. Each stripped copy is checked with the dynamic loader before
    it replaces the original, so a library strip would damage keeps its symbols instead.
    """
    if BASELINE or not sys.platform.startswith("linux"):
        return []
    internal = bundle / "_internal"
    saved: list[tuple[str, int]] = []
    for path in sorted(internal.rglob("*.so*")):
        relative = path.relative_to(internal).as_posix()
        if path.is_symlink() or not path.is_file() or not _has_symbol_table(path):
            continue
        if any(fnmatch.fnmatch(relative, pattern) for pattern in _NOT_STRIPPED):
            continue
        before = path.stat().st_size
        # Beside the original, so that its $ORIGIN run paths find the same dependencies.
        stripped = path.with_name(f".stripped-{path.name}")
        try:
            command = ["strip", "--strip-unneeded", "-o", str(stripped), str(path)]
            subprocess.run(command, check=True)
            if not _loads(stripped, internal):
                continue
            shutil.copyfile(stripped, path)  # copy, not rename: keep the mode bits
        finally:
            stripped.unlink(missing_ok=True)
        saved.append((relative, before - path.stat().st_size))
    return saved


def _has_symbol_table(path: Path) -> bool:
    sections = subprocess.run(
        ["readelf", "-S", "--wide", str(path)], capture_output=True, text=True, check=False
    ).stdout
    return ".symtab" in sections or ".debug_" in sections


def _loads(library: Path, internal: Path) -> bool:
    """The dynamic loader maps `library` and its dependencies (as ldd does) without errors."""
    loader = "/lib64/ld-linux-x86-64.so.2"
    environment = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    result = subprocess.run(
        [loader, "--list", str(library)], capture_output=True, env=environment, check=False
    )
    return result.returncode == 0


def report(bundle: Path) -> None:
    """Size of each cut in a plain (baseline) bundle, in MB, largest first."""
    internal = bundle / "_internal"
    by_reason: dict[str, int] = {}
    for path in internal.rglob("*"):
        if path.is_file() and not path.is_symlink():
            reason = dropped_reason(path.relative_to(internal).as_posix())
            if reason is not None:
                by_reason[reason] = by_reason.get(reason, 0) + path.stat().st_size
    for reason, size in sorted(by_reason.items(), key=lambda item: -item[1]):
        print(f"{size / 1e6:8.1f} MB  {reason}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "report":
        report(Path(sys.argv[2]))
    else:
        sys.exit("usage: bundle_rules.py report BUNDLE_DIR")
