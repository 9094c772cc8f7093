"""The engine works where Qt cannot even be imported (a server, a script, CI without a display)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pkgutil, sys

class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PySide6", "shiboken6", "app"}:
            raise ImportError(f"{name} is blocked for this test")
        return None

sys.meta_path.insert(0, NoQt())
import index
for module in pkgutil.walk_packages(index.__path__, "index."):
    importlib.import_module(module.name)
from index.cli.main import main
assert main(["--index", sys.argv[1], "index", sys.argv[2]]) == 0
assert main(["--index", sys.argv[1], "search", "an apology from a father", "-k", "1"]) == 0
assert not any(name.startswith(("PySide6", "app")) for name in sys.modules)
"""


def test_engine_builds_and_searches_with_qt_unimportable(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "ix"), str(ROOT / "seeds")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Sofia Kalejs" in done.stdout
