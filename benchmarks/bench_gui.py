"""Window responsiveness: launch to window shown, launch to first answered search, and the longest
stall of the GUI event loop while the model loads and while indexing a synthetic corpus.

    python benchmarks/bench_gui.py [--passages 10000] [--runs 3] [--query "..."]

Start-up: `python -m app` is spawned with STORYLENS_BENCH=1 on a prebuilt index of the sample
stories; the app prints time.time() stamps when its window first paints and when the first
search (typed before the model is ready) is answered, then quits. Times are from just before the
spawn, so they include Python start-up and imports.

Library: in this process, the real window indexes `--passages` synthetic passages (see
bench_index.synthetic_corpus), is cancelled half-way and indexes again, then sees a story file
added, changed and deleted in its watched folder. It prints the total work of cancel-and-resume
against one build (goal <= 1.05x), the longest wait between progress updates (goal: every 64
passages or every second), each watched change's latency from the file written to the build
that took it in, and the GUI stalls throughout: a QTimer ticks every 10 ms, and a gap between
ticks longer than that is time the event loop could not run (goal: none over 100 ms).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    shown, previewed, answered = [], [], []
    for run in range(1, runs + 1):
        stamps = startup_once(index, config, query)
        shown.append(stamps["window-shown"])
        # By keywords while the model loads, then in full (the index stores token vectors).
        previewed.append(stamps.get("first-search-previewed", float("nan")))
        answered.append(stamps["first-search-answered"])
        print(
            f"  run {run}: window shown {shown[-1]:.2f} s, first answer by keywords "
            f"{previewed[-1]:.2f} s, in full {answered[-1]:.2f} s"
        )
    print(
        f"start-up (median of {runs}): window shown {statistics.median(shown):.2f} s "
        f"(goal < 1 s); first answer by keywords {statistics.median(previewed):.2f} s, "
        f"in full {statistics.median(answered):.2f} s (goal <= 5 s)"
    )


class StallMeter:
    """Records the gaps between ticks of a 10 ms timer, labelled by what was going on; with
    `explain`, also where the other threads stood when a stall over the goal ended: a thread
    that held the GIL gives it up on returning from the long call, so its innermost frames of
    Storylens's own code, or of the library it called, name that call."""

    def __init__(self, *, explain: bool = False) -> None:
        from PySide6.QtCore import QTimer

        self.phase = "idle"
        self.gaps: dict[str, list[float]] = {}
        self.explained: list[tuple[str, float, list[str]]] = []
        self._explain = explain
        self._last = time.perf_counter()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000 - TICK_MS
        self.gaps.setdefault(self.phase, []).append(gap)
        if self._explain and gap > STALL_GOAL_MS:
            self.explained.append((self.phase, gap, _other_threads_stacks()))
        self._last = now

    def explanations(self) -> str:
        lines = []
        for phase, gap, stacks in self.explained:
            lines.append(f"  {phase}: {gap:.0f} ms stall; the other threads then stood at:")
            lines += [f"      {stack}" for stack in stacks]
        return "\n".join(lines)

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


def _other_threads_stacks(depth: int = 4) -> list[str]:
    """Each thread but this one, as its innermost `depth` frames (file:line function)."""
    import threading
    import traceback

    main = threading.get_ident()
    stacks = []
    for ident, frame in sys._current_frames().items():
        if ident == main:
            continue
        frames = traceback.extract_stack(frame)[-depth:]
        if any("bench_gui" in f.filename or "threading.py" in f.filename for f in frames[-1:]):
            continue  # idle pool threads waiting for work
        stacks.append(
            " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
        )
    return stacks


class ProgressLog:
    """Every embedding progress update: when it came and how many passages it said were done."""

    def __init__(self) -> None:
        self.updates: list[tuple[float, int]] = []

    def record(self, progress: Any) -> None:
        if progress.phase == "embedding":
            self.updates.append((time.perf_counter(), progress.done))

    def report(self) -> str:
        pairs = list(itertools.pairwise(self.updates))
        if not pairs:
            return "progress: no embedding updates"
        seconds = max(b[0] - a[0] for a, b in pairs)
        passages = max(b[1] - a[1] for a, b in pairs)
        return (
            f"progress: {len(self.updates)} updates while embedding; longest wait between two "
            f"{seconds:.2f} s, most passages between two {passages} (goal: every 64 passages "
            "or every second)"
        )


def waiter() -> Callable[..., Any]:
    """wait(signal, timeout_s): run the event loop until `signal` fires; its first argument.
    (A benchmark script: the window itself never waits like this.)"""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()

    def wait(signal: Any, timeout_s: float = 3600) -> Any:
        got: list[Any] = []

        def fired(*args: Any) -> None:
            got.append(args[0] if args else None)
            loop.quit()

        signal.connect(fired)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        signal.disconnect(fired)
        if not got:
            raise TimeoutError(f"nothing from {signal} in {timeout_s} s")
        return got[0]

    return wait


def bench_library(work: Path, passages: int, *, explain: bool = False) -> None:
    """One window, one model load: index a synthetic corpus, cancel half-way, index again (the
    resumed build embeds only what is missing), then change files in the watched folder."""
    from bench_index import synthetic_corpus
    from PySide6.QtWidgets import QApplication

    from app.main import create_window
    from app.settings import Settings

    corpus = work / "corpus"
    paragraphs = synthetic_corpus(corpus, passages)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    config = work / "library-config"
    Settings(last_index_dir=str(work / "library-index"), config_dir=config).save()
    window = create_window(work / "library-index", config_dir=config)
    window.show()
    service, wait = window.service, waiter()
    meter, progress = StallMeter(explain=explain), ProgressLog()
    service.build_progress.connect(progress.record)
    service.failed.connect(lambda message: print("failed:", message))
    meter.phase = "model loading"
    window.start()
    wait(service.model_ready)
    _cancel_and_resume(window, corpus, meter, wait)
    print(progress.report())
    meter.phase = "watching"
    latencies = _watched_folder_latencies(corpus, service, wait)
    window.close()
    print(
        f"indexed {len(paragraphs)} synthetic passages in the window; GUI event loop gaps "
        "beyond the 10 ms tick:"
    )
    for phase in ("model loading", "indexing", "resumed", "watching"):
        print(meter.report(phase))
    if explain and meter.explained:
        print("where the stalls over the goal came from:")
        print(meter.explanations())
    print(
        "watched folder, file written to story in the library: "
        + ", ".join(f"{what} {seconds:.1f} s" for what, seconds in latencies)
    )
    del app


def _cancel_and_resume(window: Any, corpus: Path, meter: StallMeter, wait: Any) -> None:
    """Cancel the first build half-way, then Re-index: the second build embeds only what the
    first did not (what the first embedded is read back from its staging area)."""
    from PySide6.QtCore import QCoreApplication

    from index.build.staging import Staging

    service = window.service
    cancelled_at: list[int] = []

    def cancel_half_way(update: Any) -> None:
        if update.phase == "embedding" and update.done >= update.total // 2 and not cancelled_at:
            cancelled_at.append(update.done)
            service.cancel_build()

    meter.phase = "indexing"
    service.build_progress.connect(cancel_half_way)
    started = time.perf_counter()
    window.add_paths([corpus])
    wait(service.build_cancelled)
    first_seconds = time.perf_counter() - started
    meter.phase = "measuring"  # reading the staging area is the benchmark's, not the window's
    staged = len(Staging(service.index_dir, model="").load())  # kept for the next build
    QCoreApplication.processEvents()  # the tick this held up counts as "measuring"
    service.build_progress.disconnect(cancel_half_way)
    meter.phase = "resumed"
    started = time.perf_counter()
    service.reindex()
    report = wait(service.build_finished)
    second_seconds = time.perf_counter() - started
    total = report.passages_total
    print(
        f"cancel and resume: cancelled after {first_seconds:.0f} s, when progress said "
        f"{cancelled_at[0]:,} of {total:,}; {staged:,} passages embedded by then were kept; "
        f"Re-index embedded the other {report.passages_embedded:,} in {second_seconds:.0f} s; "
        f"total work {(staged + report.passages_embedded) / total:.3f}x a single build's "
        "(goal <= 1.05)"
    )


def _watched_folder_latencies(
    corpus: Path, service: Any, wait: Callable[[Any], Any]
) -> list[tuple[str, float]]:
    """Seconds from a file added, changed or deleted in a watched folder to the finished
    build that took it in (the watcher's debounce included)."""
    new = corpus / "zz-new-story.txt"
    changes: list[tuple[str, Callable[[], None], str]] = [
        ("added", lambda: new.write_text("A lighthouse keeper counts ships.\n", "utf-8"), "added"),
        (
            "changed",
            lambda: new.write_text("A lighthouse keeper counts gulls.\n", "utf-8"),
            "updated",
        ),
        ("deleted", new.unlink, "removed"),
    ]
    latencies = []
    for what, change, field in changes:
        written = time.perf_counter()
        change()
        while True:
            report = wait(service.build_finished, 120)
            if getattr(report, field):
                break
        latencies.append((what, time.perf_counter() - written))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-library", action="store_true")
    parser.add_argument(
        "--word-indexes-here",
        action="store_true",
        help="build keyword and phrase indexes in the window's process, as before run P",
    )
    parser.add_argument(
        "--explain-stalls",
        action="store_true",
        help="print where the worker threads stood when each stall over the goal ended",
    )
    args = parser.parse_args()
    if args.word_indexes_here:
        from index.store import search_files

        search_files.SEPARATE_PROCESS_FROM = sys.maxsize
    work = Path(tempfile.mkdtemp(prefix="storylens-bench-gui-"))
    print(f"work dir {work}; {os.cpu_count()} cores; Qt platform {os.environ['QT_QPA_PLATFORM']}")
    if not args.skip_startup:
        bench_startup(work, args.runs, args.query)
    if not args.skip_library:
        bench_library(work, args.passages, explain=args.explain_stalls)


if __name__ == "__main__":
    main()
