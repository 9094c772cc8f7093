"""A build embedded on Ray against the same build in one process, on this machine's cores.

    python benchmarks/bench_ray.py [--passages 2000] [--rounds 2]

Both build the same synthetic corpus (bench_index.synthetic_corpus: real English paragraphs
drawn from the sample stories) from scratch into fresh folders, alternating, `rounds` times
each. The local build is `build_index`; the Ray build is `build_index(ray=RayEmbedding
("local"))` on a Ray instance started once beforehand with every CPU, one model per CPU (its
start, about ten seconds, is printed apart and not counted). Printed: passages a second of
each build and their ratio, round by round; then what the overhead measured here means for a
cluster, under the assumptions printed with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import synthetic_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import ray

    from index.build.builder import build_index
    from index.build.distributed import RayEmbedding
    from index.embed.model import Embedder

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    stories = work / "stories"
    synthetic_corpus(stories, args.passages)
    started = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    print(f"Ray started with {os.cpu_count()} CPUs in {time.perf_counter() - started:.1f} s")
    embedder = Embedder()
    embedder.load()
    rates: dict[str, list[float]] = {"local": [], "ray": []}
    for round_ in range(args.rounds):
        for way in ("local", "ray") if round_ % 2 == 0 else ("ray", "local"):
            where = work / f"index-{way}-{round_}"
            started = time.perf_counter()
            report = build_index(
                [stories],
                where,
                embedder=embedder,
                ray=RayEmbedding("local") if way == "ray" else None,
            )
            seconds = time.perf_counter() - started
            rates[way].append(report.passages_embedded / seconds)
            print(
                f"round {round_ + 1} {way:<5}: {report.passages_embedded:,} passages in "
                f"{seconds:.1f} s, {rates[way][-1]:.1f}/s"
            )
            shutil.rmtree(where)
    ratios = [ray_rate / here for ray_rate, here in zip(rates["ray"], rates["local"], strict=True)]
    share = statistics.median(ratios)
    print(f"Ray / local, median of rounds: {share:.2f}")
    per_worker = statistics.median(rates["ray"]) / (os.cpu_count() or 1)
    print(
        f"Projection (an estimate, not a measurement): {per_worker:.1f} passages/s per Ray "
        f"worker here, so N such workers embed about N x {per_worker:.1f}/s while the machine "
        "running the build keeps up (it cuts passages, stages results and codes tokens); a "
        "GPU worker would bring its own rate instead (workers run on CPU today)."
    )
    ray.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
