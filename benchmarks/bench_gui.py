"""Window responsiveness: launch to window shown, launch to first answered search, and the longest
stall of the GUI event loop while the model loads and while indexing a synthetic corpus.

    python benchmarks/bench_gui.py [--passages 10000] [--runs 3] [--query "..."]

Start-up: `python -m app` is spawned with STORYLENS_BENCH=1 on a prebuilt index of the sample
stories; the app prints time.time() stamps when its window first paints and when the first
search (typed before the model is ready) is answered, then quits. Times are from just before the
spawn, so they include Python start-up and imports.

Stalls: in this process, the real window indexes `--passages` synthetic passages (see
bench_index.synthetic_corpus) while a QTimer ticks every 10 ms; a gap between ticks longer than
10 ms is time the event loop could not run. Goal: no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUERY = "her dad, long gone from her life, turns up after the show to say sorry"
TICK_MS = 10
STALL_GOAL_MS = 100


def _app_env(config: Path, query: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "STORYLENS_BENCH": "1",
        "STORYLENS_BENCH_QUERY": query,
        "STORYLENS_CONFIG_DIR": str(config),
    }


def startup_once(index: Path, config: Path, query: str) -> dict[str, float]:
    launched = time.time()
    process = subprocess.run(
        [sys.executable, "-m", "app", "--index", str(index), "--config", str(config)],
        env=_app_env(config, query),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    stamps: dict[str, float] = {}
    for line in process.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "storylens-bench":
            stamps[parts[1]] = float(parts[2]) - launched
    if process.returncode != 0 or len(stamps) < 2:
        raise RuntimeError(f"app failed ({process.returncode}):\n{process.stderr[-3000:]}")
    return stamps


def bench_startup(work: Path, runs: int, query: str) -> None:
    from app.settings import Settings

    index = work / "seed-index"
    subprocess.run(
        [sys.executable, "-m", "index.cli", "--index", str(index), "index", str(ROOT / "seeds")],
        env=_app_env(work, query),
        check=True,
        capture_output=True,
    )
    config = work / "config"
    Settings(last_index_dir=str(index), config_dir=config).save()  # a later run, not the first
    shown, answered = [], []
    for run in range(1, runs + 1):
        stamps = startup_once(index, config, query)
        shown.append(stamps["window-shown"])
        answered.append(stamps["first-search-answered"])  # in full: the index stores tokens
        print(f"  run {run}: window shown {shown[-1]:.2f} s, first answer {answered[-1]:.2f} s")
    print(
        f"start-up (median of {runs}): window shown {statistics.median(shown):.2f} s "
        f"(goal < 1 s); first search answered {statistics.median(answered):.2f} s"
    )


class StallMeter:
    """Records the gaps between ticks of a 10 ms timer, labelled by what was going on."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.phase = "idle"
        self.gaps: dict[str, list[float]] = {}
        self._last = time.perf_counter()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.setdefault(self.phase, []).append((now - self._last) * 1000 - TICK_MS)
        self._last = now

    def report(self, phase: str) -> str:
        gaps = sorted(self.gaps.get(phase, [0.0]))
        worst = gaps[-1]
        p99 = gaps[min(len(gaps) - 1, round(0.99 * (len(gaps) - 1)))]
        over = sum(1 for g in gaps if g > STALL_GOAL_MS)
        verdict = "ok" if worst <= STALL_GOAL_MS else "OVER GOAL"
        return (
            f"{phase:>14}: longest stall {worst:6.1f} ms, p99 {p99:5.1f} ms, "
            f"{over} over {STALL_GOAL_MS} ms, {len(gaps)} ticks  [{verdict}]"
        )


def bench_stalls(work: Path, passages: int) -> None:
    from bench_index import synthetic_corpus
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from app.main import create_window
    from app.settings import Settings

    corpus = work / "corpus"
    paragraphs = synthetic_corpus(corpus, passages)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    config = work / "stall-config"
    Settings(last_index_dir=str(work / "stall-index"), config_dir=config).save()
    window = create_window(work / "stall-index", config_dir=config)
    window.show()
    meter = StallMeter()
    loop = QEventLoop()

    def model_loaded() -> None:
        meter.phase = "indexing"
        started["indexing"] = time.perf_counter()
        window.add_paths([corpus])

    def built(report: object) -> None:
        meter.phase = "done"
        loop.quit()

    started = {"loading": time.perf_counter()}
    window.service.model_ready.connect(model_loaded)
    window.service.build_finished.connect(built)
    window.service.failed.connect(lambda message: (print("failed:", message), loop.quit()))
    meter.phase = "model loading"
    window.start()
    loop.exec()
    seconds = time.perf_counter() - started["indexing"]
    window.close()
    print(
        f"indexed {len(paragraphs)} synthetic passages in the window in {seconds:.1f} s "
        f"({len(paragraphs) / seconds:.0f} passages/s); GUI event loop gaps beyond the 10 ms tick:"
    )
    print(meter.report("model loading"))
    print(meter.report("indexing"))
    del app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="storylens-bench-gui-"))
    print(f"work dir {work}; {os.cpu_count()} cores; Qt platform {os.environ['QT_QPA_PLATFORM']}")
    if not args.skip_startup:
        bench_startup(work, args.runs, args.query)
    bench_stalls(work, args.passages)


if __name__ == "__main__":
    main()
