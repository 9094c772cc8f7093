"""`storylens --self-test`: prove an installed Storylens works, offline, on its own sample stories.

The installer's smoke test runs this from the installed package with the network cut off. It
indexes the bundled sample stories into a temporary index with the bundled model, asks a
paraphrased question whose answer is known, compares two tellings of the same moment, reads a
file of every supported format, and (when the window is installed) drives a search and a
comparison through the real window offscreen. Each check reports
what it measured; any failure makes the command exit 1. Everything the checks need ships inside
the package, so a pass means the package, not the build machine, is complete.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from index.build.builder import build_index
from index.cli.selftest_formats import check_formats
from index.embed.agreement import RANKING_OVERLAP, top_overlap
from index.embed.model import Embedder
from index.paths import bundled_seeds_dir
from index.search.library import Library

SEED_TITLES = {"Camilla Roche", "Romy Baktybekova", "Sofia Kalejs", "Sofia Kalmurzaeva"}
# A paraphrase that shares almost no words with its answer: "Sofia Kalejs", where her
# estranged father waits in the wings after the performance, full of apology.
PARAPHRASE = "a dad who walked out years ago turns up after her show to say he is sorry"
PARAPHRASE_STORY = "Sofia Kalejs"
PARAPHRASE_WORDS = "estranged father"
# Two stories that both end a performance with a bow to applause.
BOW_QUERY = "she takes her bow while the audience applauds"
BOW_STORIES = ("Camilla Roche", "Sofia Kalejs")


class SelfTestFailed(AssertionError):
    """A check saw a wrong answer."""


@dataclass
class Context:
    """What the checks share: the model, the index they build, and an optional window check."""

    embedder: Embedder
    index_dir: Path
    library: Library | None = None


Check = Callable[[Context], str]
# The window's own check (app/selftest.py): given the built index and the loaded model, it opens
# the real window offscreen, runs a search through it and says what it saw.
WindowCheck = Callable[[Path, Embedder], str]


def run_self_test(
    out: TextIO,
    *,
    window_check: WindowCheck | None = None,
    embedder: Embedder | None = None,
) -> int:
    """Run every check, one line each on `out`; 0 when all pass, 1 otherwise.

    `embedder` defaults to the default model, loaded here (tests pass their loaded one)."""
    started = time.perf_counter()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="storylens-selftest-") as tmp:
        model = embedder if embedder is not None else Embedder()
        context = Context(embedder=model, index_dir=Path(tmp) / "index")
        checks: list[tuple[str, Check]] = [
            ("offline", _check_offline),
            ("model", _check_model),
            ("index", _check_index),
            ("queries", _check_queries),
            ("ranking", _check_ranking),
            ("search", _check_search),
            ("compare", _check_compare),
            ("formats", lambda c: check_formats(c.index_dir.parent / "formats")),
        ]
        if window_check is not None:
            checks.append(("window", lambda c: window_check(c.index_dir, c.embedder)))
        for name, check in checks:
            t0 = time.perf_counter()
            try:
                detail = check(context)
            except Exception as exc:  # a self-test reports every failure and goes on
                failures += 1
                out.write(f"FAIL {name}: {type(exc).__name__}: {exc}\n")
            else:
                out.write(f"ok   {name} ({time.perf_counter() - t0:.2f} s): {detail}\n")
            out.flush()
        if context.library is not None:
            context.library.close()
    total = time.perf_counter() - started
    verdict = "passed" if failures == 0 else f"FAILED ({failures} of {len(checks)} checks)"
    out.write(f"self-test {verdict} in {total:.1f} s; peak RSS {_peak_rss_mb():.0f} MB\n")
    return 0 if failures == 0 else 1


def _check_offline(_: Context) -> str:
    values = {name: os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    frozen = bool(getattr(sys, "frozen", False))
    if frozen and any(value != "1" for value in values.values()):
        raise SelfTestFailed(f"the bundle must force offline model loading, found {values}")
    return f"{'bundle' if frozen else 'source checkout'}, {values}"


def _check_model(context: Context) -> str:
    path = context.embedder.path
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None and Path(bundle).resolve() not in path.resolve().parents:
        raise SelfTestFailed(f"the model must come from inside the bundle, not {path}")
    context.embedder.load()
    return f"{context.embedder.name} from {path}, {context.embedder.dimension} dimensions"


class _Warnings(logging.Handler):
    """The warnings a logger gave while attached."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _check_index(context: Context) -> str:
    seeds = bundled_seeds_dir()
    # Its word indexes in a separate process, as a large library's are: this program started
    # again as that process (packaging/entry.py's freeze_support) is checked here. Where it
    # cannot start, the build says so in a warning and does the work itself.
    fallbacks = _Warnings()
    logging.getLogger("index.store.search_files").addHandler(fallbacks)
    try:
        report = build_index(
            [seeds], context.index_dir, embedder=context.embedder, separate_process=True
        )
    finally:
        logging.getLogger("index.store.search_files").removeHandler(fallbacks)
    if fallbacks.messages:
        raise SelfTestFailed(f"no separate process for the word indexes: {fallbacks.messages[0]}")
    context.library = Library.open(context.index_dir, embedder=context.embedder)
    titles = {story.title for story in context.library.stories()}
    if titles != SEED_TITLES or report.skipped:
        raise SelfTestFailed(f"indexed {sorted(titles)}, skipped {report.skipped}")
    return (
        f"{len(titles)} stories, {report.passages_total} passages from {seeds}; "
        f"RSS {_current_rss_mb():.0f} MB"
    )


def _check_queries(context: Context) -> str:
    """The path a query takes from the second start on: the model exported for ONNX Runtime
    (made now if this machine has none yet, as a first start makes it), then read by it; the
    search and window checks after this one run on it."""
    started = time.perf_counter()
    if not context.embedder.export_query_graph():
        raise SelfTestFailed("the model could not be exported for ONNX Runtime")
    made = time.perf_counter() - started
    graph = context.embedder.query_graph()
    if graph is None:
        raise SelfTestFailed("the exported model does not open")
    graph.read_query(PARAPHRASE)
    began = time.perf_counter()
    graph.read_query(PARAPHRASE)
    took = (time.perf_counter() - began) * 1000
    return f"on ONNX Runtime (exported or found in {made:.1f} s), {took:.0f} ms a query"


def _check_ranking(context: Context) -> str:
    """Where the build ran faster than float32 (bfloat16), it must still rank as float32 does:
    every sentence of the sample stories embedded both ways, each sentence's opening words as
    a query (read as a search reads it), and each query's ten nearest sentences compared. The
    bar is the indexing-speed issue's: on average 98% of float32's ten."""
    embedder = context.embedder
    if embedder.precision == "fp32":
        return "the build ran in float32: it is the reference"
    library = _library(context)
    sentences = [
        passage.text[start - passage.start : end - passage.start]
        for story in library.stories()
        for passage in library.passages(story.id)
        for start, end in passage.sentences
    ]
    queries = [" ".join(text.split()[:8]) for text in sentences]
    reference = Embedder(embedder.path, precision="fp32", query_graph=False)
    ours = embedder.encode_queries(queries) @ embedder.encode(sentences).T
    theirs = reference.encode(queries) @ reference.encode(sentences).T
    overlap = top_overlap(theirs, ours)
    if overlap < RANKING_OVERLAP:
        raise SelfTestFailed(
            f"{embedder.precision} kept {overlap:.3f} of float32's top ten, under {RANKING_OVERLAP}"
        )
    return (
        f"{embedder.precision} keeps {overlap:.3f} of float32's top ten "
        f"({len(queries)} queries over {len(sentences)} sentences)"
    )


def _check_search(context: Context) -> str:
    library = _library(context)
    hits = library.search(PARAPHRASE, k=3)
    if not hits:
        raise SelfTestFailed("no hits")
    top = hits[0].passage
    if top.story_title != PARAPHRASE_STORY or PARAPHRASE_WORDS not in top.text:
        raise SelfTestFailed(f"top hit is {top.story_title!r}: {top.text[:80]!r}")
    return f"{PARAPHRASE!r} -> {top.story_title}, passage {top.ordinal + 1} ({hits[0].score:.2f})"


def _check_compare(context: Context) -> str:
    try:
        from index.compare.align import align_passages
    except ImportError:
        return "skipped: this build has no comparison (index.compare.align)"
    library = _library(context)
    bows = []
    for title in BOW_STORIES:
        hits = library.search(BOW_QUERY, k=1, stories=[library.find_story(title).id])
        if not hits or "bow" not in hits[0].passage.text:
            raise SelfTestFailed(f"no bow passage found in {title}")
        bows.append(hits[0].passage)
    alignment = align_passages(library, bows[0], bows[1])
    if not alignment.pairs:
        raise SelfTestFailed("the two bow passages aligned no sentence")
    best = max(alignment.pairs, key=lambda pair: pair.score)
    left = alignment.left_sentences[best.left_index].text.strip()
    right = alignment.right_sentences[best.right_index].text.strip()
    return (
        f"{len(alignment.pairs)} sentence pairs; best {best.score:.2f}: "
        f"{_clip(left)!r} <-> {_clip(right)!r}"
    )


def _library(context: Context) -> Library:
    if context.library is None:
        raise SelfTestFailed("needs the index check to pass first")
    return context.library


def _clip(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _current_rss_mb() -> float:
    """Resident memory now, from /proc on Linux; the peak elsewhere."""
    try:
        fields = Path("/proc/self/status").read_text(encoding="ascii").split("\n")
    except OSError:
        return _peak_rss_mb()
    for line in fields:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
