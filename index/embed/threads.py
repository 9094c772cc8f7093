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
    all cores and one until each has `trials` timings, and the faster (in characters per
    second) is used. The first `warmup` batches run on all cores unmeasured: a fresh model's
    first batch is slow on any thread count (the kernels' first use), and timed as a trial it
    made one thread look faster on an idle machine.

    Measuring costs: on an idle machine a batch on one thread takes about twice as long, and
    checking again every 32 batches cost a 2-core build 8-11% (benchmarks/README.md, run W).
    So while all cores are the choice, the next check comes after `recheck_all_cores` batches,
    or at once when a batch runs at under `slowdown` of the choice's recent pace (new load on
    the machine). One thread, chosen on a busy machine, is checked every `recheck` batches:
    the machine freeing up would not slow it, so only measuring finds that out.
    """

    def __init__(
        self,
        cores: int,
        *,
        trials: int = 2,
        warmup: int = 1,
        recheck: int = 32,
        recheck_all_cores: int = 128,
        slowdown: float = 0.5,
    ) -> None:
        self.candidates = sorted({cores, 1}, reverse=True)
        self.trials = trials
        self._warmup_left = warmup
        self.recheck = recheck
        self.recheck_all_cores = recheck_all_cores
        self.slowdown = slowdown
        self._rates: dict[int, list[float]] = {n: [] for n in self.candidates}
        self._recent: list[float] = []  # the choice's pace over its last few batches
        self._since_choice = 0
        self.choice = self.candidates[0]

    def next(self) -> int:
        """The thread count for the next batch: a trial while measuring, else the choice."""
        if self._warmup_left > 0:
            return self.candidates[0]
        untried = [n for n in self.candidates if len(self._rates[n]) < self.trials]
        if untried:
            return min(untried, key=lambda n: len(self._rates[n]))
        return self.choice

    def record(self, threads: int, characters: int, started: float) -> None:
        seconds = time.perf_counter() - started
        if self._warmup_left > 0:
            self._warmup_left -= 1
            return
        if seconds <= 0 or len(self.candidates) == 1:
            return
        rate = characters / seconds
        if len(self._rates[threads]) < self.trials:
            self._rates[threads].append(rate)
            if all(len(r) >= self.trials for r in self._rates.values()):
                self.choice = max(self.candidates, key=lambda n: float(np.median(self._rates[n])))
                self._recent = list(self._rates[self.choice])
                self._since_choice = 0
            return
        self._since_choice += 1
        all_cores = self.choice == self.candidates[0]
        slowed = (
            all_cores
            and len(self._recent) >= 2
            and rate < self.slowdown * float(np.median(self._recent))
        )
        self._recent = [*self._recent[-7:], rate]
        every = self.recheck_all_cores if all_cores else self.recheck
        if slowed or self._since_choice >= every:  # conditions changed, or may have
            self._rates = {n: [] for n in self.candidates}
