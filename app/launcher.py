"""The `storylens` command: the engine's command line, and the window when no command is given.

It lives in app/ because only app/ may import both the engine and Qt; the engine's CLI stays
usable alone (`python -m index.cli`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.embed.model import Embedder


def main(argv: Sequence[str] | None = None) -> int:
    from index.cli.main import main as cli_main

    return cli_main(argv, open_window=_open_window, window_check=_check_window)


def _open_window(index_dir: Path | str | None, side_by_side: tuple[str, ...] | None) -> int:
    from app.main import run_app

    return run_app(index_dir=index_dir, side_by_side=side_by_side)


def _check_window(index_dir: Path, embedder: Embedder) -> str:
    """`storylens --self-test`: the window's part, run offscreen (app/selftest.py)."""
    from app.selftest import check_window

    return check_window(index_dir, embedder)


if __name__ == "__main__":
    sys.exit(main())
