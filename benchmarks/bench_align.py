"""Whole-story alignment time: two stories of `--passages` passages each (synthetic paragraphs
of the sample stories' sentences, see bench_index.synthetic_corpus), the second a reworked copy
of the first (every tenth passage deleted, a foreign one inserted after every fifteenth, every
twentieth split in two), indexed once; then `storylens align`'s engine call, timed.

    python benchmarks/bench_align.py [--passages 300] [--runs 5] [--window]

`--window` then shows the alignment in the window's side-by-side view (offscreen) and reports
how long putting it on screen held the GUI thread, and the longest pause of the event loop
while its rows are laid out (a timer ticking every 5 ms measures it).

Goal (the whole-stories issue): two 300-passage stories in <= 1 s on 2 cores, from stored
vectors (the model is not loaded for it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def write_pair(folder: Path, passages: int, seed: int = 5) -> None:
    from bench_index import seed_sentences

    rng = random.Random(seed)
    sentences = seed_sentences()

    def paragraph() -> str:
        return " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 6)))

    original = [paragraph() for _ in range(passages)]
    reworked: list[str] = []
    for n, text in enumerate(original):
        if n % 10 == 9:
            continue  # deleted
        if n % 20 == 18:  # split in two
            parts = text.split(". ")
            half = max(1, len(parts) // 2)
            reworked += [". ".join(parts[:half]) + ".", ". ".join(parts[half:])]
        else:
            reworked.append(text)
        if n % 15 == 14:
            reworked.append(paragraph())  # inserted
    folder.mkdir(parents=True)
    (folder / "original.txt").write_text("\n\n".join(original) + "\n", "utf-8")
    (folder / "reworked.txt").write_text("\n\n".join(reworked) + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--window", action="store_true", help="time the side-by-side view too")
    args = parser.parse_args()
    from index import Library, build_index
    from index.compare.stories import align_stories

    work = Path(tempfile.mkdtemp(prefix="storylens-bench-align-"))
    write_pair(work / "stories", args.passages)
    started = time.perf_counter()
    build_index([work / "stories"], work / "index")
    print(f"indexed the two stories in {time.perf_counter() - started:.0f} s")
    with Library.open(work / "index") as library:  # the model is never loaded below
        left, right = library.find_story("original.txt"), library.find_story("reworked.txt")
        counts = (left.passage_count, right.passage_count)
        took = []
        for _ in range(args.runs):
            started = time.perf_counter()
            aligned = align_stories(library, left, right)
            took.append(time.perf_counter() - started)
    matched = sum(1 for s in aligned.segments if s.left and s.right)
    links = sum(len(s.links) for s in aligned.segments)
    print(
        f"align {counts[0]} x {counts[1]} passages: median {statistics.median(took):.3f} s, "
        f"min {min(took):.3f} s over {args.runs} runs (goal <= 1 s); {matched} stretches "
        f"told by both, {links} sentence links, {len(aligned.segments)} segments"
    )
    if args.window:
        shown, longest = time_window(aligned)
        print(
            f"side-by-side view: on screen in {shown * 1000:.0f} ms of the GUI thread, longest "
            f"event-loop pause while its rows are laid out {longest * 1000:.0f} ms"
        )


def time_window(aligned: object) -> tuple[float, float]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.parallel_view import ParallelView

    app = QApplication.instance() or QApplication([])

    class NoWorkers:  # the alignment is given; the view runs nothing
        def run(self, *_args: object) -> None:
            pass

    view = ParallelView(NoWorkers())
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    pauses: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        pauses.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    started = time.perf_counter()
    view._show(aligned)  # type: ignore[arg-type]
    shown = time.perf_counter() - started
    loop = QEventLoop()
    QTimer.singleShot(3000, loop.quit)
    loop.exec()
    return shown, max(pauses)


if __name__ == "__main__":
    main()
