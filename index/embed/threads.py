"""How many threads torch runs a batch on: chosen by measuring, set per calling thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the block on `threads` torch threads. torch keeps the setting per calling thread
    (OpenMP's), so a query on one thread does not slow a build on another."""
    import torch

    before = torch.get_num_threads()
    if before != threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if before != threads:
            torch.set_num_threads(before)


class ThreadChooser:
    """Chooses torch's thread count for batches by measuring, and keeps measuring.

    Using every core is fastest on an idle machine. On a busy one (another program, the
    window's own thread) each operator waits for its slowest thread, and one thread per batch
    ran 1.7x faster than two on the 2-core benchmark machine. So batches alternate between
    all cores and one until each has a few timings, the faster (in characters per second)
    is used, and the choice is checked again every `recheck` batches.
    """

    def __init__(self, cores: int, *, trials: int = 2, recheck: int = 32) -> None:
        self.candidates = sorted({cores, 1}, reverse=True)
        self.trials = trials
        self.recheck = recheck
        self._rates: dict[int, list[float]] = {n: [] for n in self.candidates}
        self._since_choice = 0
        self.choice = self.candidates[0]

    def next(self) -> int:
        """The thread count for the next batch: a trial while measuring, else the choice."""
        untried = [n for n in self.candidates if len(self._rates[n]) < self.trials]
        if untried:
            return min(untried, key=lambda n: len(self._rates[n]))
        return self.choice

    def record(self, threads: int, characters: int, started: float) -> None:
        seconds = time.perf_counter() - started
        if seconds <= 0 or len(self.candidates) == 1:
            return
        if len(self._rates[threads]) < self.trials:
            self._rates[threads].append(characters / seconds)
            if all(len(r) >= self.trials for r in self._rates.values()):
                self.choice = max(self.candidates, key=lambda n: float(np.median(self._rates[n])))
                self._since_choice = 0
            return
        self._since_choice += 1
        if self._since_choice >= self.recheck:  # conditions change: measure afresh
            self._rates = {n: [] for n in self.candidates}
