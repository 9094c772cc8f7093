"""`python -m app` end to end: the window shows, a query typed at once is answered once the
model is ready, and closing ends the process (STORYLENS_BENCH's hooks drive it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.main import BENCH_ENV, BENCH_PREFIX, BENCH_QUERY_ENV
from app.settings import Settings
from tests.app.conftest import QUERY

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_app_shows_the_window_answers_and_exits(seed_index: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    Settings(last_index_dir=str(seed_index), config_dir=config).save()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        BENCH_ENV: "1",
        BENCH_QUERY_ENV: QUERY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "--index", str(seed_index), "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    events = [line.split()[1] for line in done.stdout.splitlines() if line.startswith(BENCH_PREFIX)]
    # By keywords while the model loads, then once in full (the index stores token vectors).
    assert events == ["window-shown", "first-search-previewed", "first-search-answered"]
    assert "top='Sofia Kalejs'" in done.stdout
