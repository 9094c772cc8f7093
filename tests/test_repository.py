"""The repository works from any clone: no tracked file names a path of the machine it was
written on (a checkout, a virtual environment, a home directory)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where a path of one machine usually starts: home and work directories on Linux and macOS,
# Windows user profiles.
_MACHINE_PATH = re.compile(r"(?<![\w.~$])(?:/(?:home|root|work|Users)/|[A-Za-z]:\\Users\\)")


def _tracked_text_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = []
    for name in listed.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            files.append(path)
    return files


def machine_paths(text: str, here: list[str]) -> list[str]:
    """Absolute paths in `text` that belong to one machine: any of `here` (this checkout,
    this Python's packages) or one under a home or work directory."""
    found = [place for place in here if place in text]
    found += [m.group() for m in _MACHINE_PATH.finditer(text)]
    return found


def test_the_check_finds_paths_of_a_machine() -> None:
    here = [str(ROOT)]
    assert machine_paths(f"MODEL = {ROOT}/model", here)
    assert machine_paths('Path("/home/ada/storylens/.venv/lib/python3.11/site-packages/x")', [])
    assert machine_paths(r"C:\Users\ada\stories", [])
    assert not machine_paths("~/.local/share/Storylens and /usr/bin/storylens", [])


def test_no_tracked_file_names_a_path_of_this_machine() -> None:
    here = [str(ROOT), sysconfig.get_paths()["purelib"]]
    offenders = []
    for path in _tracked_text_files():
        if path == Path(__file__).resolve():
            continue  # its examples above
        text = path.read_text(encoding="utf-8", errors="replace")
        for found in machine_paths(text, here):
            offenders.append(f"{path.relative_to(ROOT)}: {found}")
    assert not offenders, "derive these from the package or the repository root:\n" + "\n".join(
        offenders
    )


def test_every_test_file_is_collected() -> None:
    """pytest passes over some folder names by default (build, dist...): a test folder that
    mirrors such a package must not silently drop out of the run."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=300,
    ).stdout
    collected = {line.split("::")[0] for line in listed.splitlines() if "::" in line}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")}
    assert on_disk - collected == set()
