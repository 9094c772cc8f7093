"""Evaluation sets: queries, the passages to index, and which passages answer which query.

Public data with ground truth written by others: three tasks of BIG-bench (Google, Apache-2.0),
from the `bigbench==1.0.0` source distribution on PyPI. Only the three task files are kept, in
the user cache directory; their texts are never committed (the tasks carry a canary string
asking that they stay out of training data):

- fables   understanding_fables: the query is a fable's moral, the answer the fable
           (186 morals, 189 fables; a moral shared by two fables has both as answers).
- proverbs abstract_narrative_understanding/4_distractors: the query is a proverb, the answers
           the 10 short stories written to illustrate it (100 proverbs, 1000 stories).
- cosmosqa natural_instructions/subtask024 (CosmosQA, CC BY 4.0): the query is a question
           about a short personal narrative, the answer that narrative. Questions asked of more
           than one narrative ("What may happen next?") are dropped; 2000 narratives are drawn
           with a fixed seed, with every remaining question about them.

- odyssey  two public-domain prose translations of the Odyssey (homer.py): the query is a
           sentence of Butler's (1900), the answer the paragraph of Butcher and Lang's (1879)
           that translates the same lines. Committed (benchmarks/eval/data/), public domain.
- iliad    the same with the Iliad: Butler's (1898) and Lang, Leaf and Myers's (1883).

- darwin   two editions of Darwin's *On the Origin of Species* (prepare_darwin.py): the query is a
           sentence of the sixth (1872) that Darwin reworded from the first (1859), the answer
           the first edition's paragraph holding it; found by a word-level diff, never a model.
           A scholar's versions: strong word overlap, where keywords alone do well.

Bible translations, also on PyPI and Debian, are left aside for an independent check.
The seed set (seed_queries.tsv) is ours: paraphrases of single sentences of the sample stories.
"""

from __future__ import annotations

import bisect
import collections
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIGBENCH = "bigbench==1.0.0"
_MEMBER_ROOT = "bigbench-1.0.0/bigbench/benchmark_tasks/"
TASKS = {
    "fables": "understanding_fables/task.json",
    "proverbs": "abstract_narrative_understanding/4_distractors/task.json",
    "cosmosqa": "natural_instructions/subtask024_cosmosqa_answer_generation/task.json",
}
COSMOS_PASSAGES = 2000
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_QUERIES = Path(__file__).resolve().parent / "seed_queries.tsv"


@dataclass(frozen=True)
class EvalSet:
    name: str
    queries: list[str]
    documents: list[str]  # each becomes one story file
    relevant: list[frozenset[int]]  # per query: indices of the documents that answer it
    markers: list[str] | None = None  # per query: text the right passage must contain


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("storylens") / "eval" / "bigbench-1.0.0"


def ensure_tasks(sdist: Path | None = None) -> Path:
    """The folder holding the three task files: cached, else taken from `sdist`, else fetched
    with pip (358 MB, once; only the three files are kept)."""
    folder = cache_dir()
    if all((folder / rel).is_file() for rel in TASKS.values()):
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        if sdist is None or not sdist.exists():
            print(f"Fetching {BIGBENCH} (358 MB, once) ...", file=sys.stderr)
            pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
            subprocess.run([*pip, "-q", BIGBENCH, "-d", tmp], check=True)
            sdist = next(Path(tmp).glob("bigbench-1.0.0.tar.gz"))
        _extract(sdist, folder)
    return folder


def _extract(sdist: Path, folder: Path) -> None:
    for rel in TASKS.values():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if sdist.is_dir():  # an unpacked source tree
            source = sdist / "bigbench" / "benchmark_tasks" / rel
            target.write_bytes(source.read_bytes())
            continue
        with tarfile.open(sdist, "r:gz") as archive:
            member = archive.extractfile(_MEMBER_ROOT + rel)
            if member is None:
                raise FileNotFoundError(f"{rel} is not in {sdist}")
            target.write_bytes(member.read())


def load(name: str, folder: Path) -> EvalSet:
    examples = json.loads((folder / TASKS[name]).read_text(encoding="utf-8"))["examples"]
    if name == "cosmosqa":
        return _cosmosqa(examples)
    if name == "fables":
        documents = [e["input"].removesuffix(" What is the moral of this story?") for e in examples]
    else:
        documents = [e["input"] for e in examples]
    answers = [next(k for k, v in e["target_scores"].items() if v == 1) for e in examples]
    by_query: dict[str, set[int]] = collections.defaultdict(set)
    for i, answer in enumerate(answers):
        by_query[answer].add(i)
    queries = list(by_query)
    return EvalSet(name, queries, documents, [frozenset(by_query[q]) for q in queries])


def _cosmosqa(examples: list[dict[str, object]]) -> EvalSet:
    pattern = re.compile(r"^Context: (.*?) \nQuestion: (.*)$", re.S)
    contexts: dict[str, int] = {}
    asked: dict[str, set[int]] = collections.defaultdict(set)
    for e in examples:
        found = pattern.match(str(e["input"]))
        if found is None:
            continue
        context, question = found[1].strip(), found[2].strip()
        asked[question].add(contexts.setdefault(context, len(contexts)))
    chosen = sorted(random.Random(0).sample(range(len(contexts)), COSMOS_PASSAGES))
    position = {old: new for new, old in enumerate(chosen)}
    texts = list(contexts)
    pairs = [
        (q, position[next(iter(c))])
        for q, c in asked.items()
        if len(c) == 1 and next(iter(c)) in position
    ]
    return EvalSet(
        "cosmosqa",
        [q for q, _ in pairs],
        [texts[i] for i in chosen],
        [frozenset({d}) for _, d in pairs],
    )


def eval_set(name: str, folder: Path | None) -> EvalSet:
    """A set by its name; `folder` holds the BIG-bench task files (ensure_tasks), needed only
    for fables, proverbs and cosmosqa."""
    if name == "seeds":
        return seed_set()
    if name in ("odyssey", "iliad"):
        return translation_set(name)
    if name == "darwin":
        return edition_set()
    if folder is None:
        raise SystemExit(f"The {name} set needs --bigbench.")
    return load(name, folder)


TRANSLATION_QUERIES = 400
PARAGRAPH_BREAK = "\n\n"  # between paragraphs in a story file, as homer.BREAK
Spans = list[tuple[int, int, int]]  # per document: (part of the work, start, end) in that part
_SENTENCE_END = re.compile('(?<=[.!?])[\u201d\u2019"]?\\s+')  # closing quotes, curly or not


def translation_set(poem: str) -> EvalSet:
    """A sentence of Butler's translation of `poem` ("odyssey" or "iliad") as the query, the
    paragraphs of the other translation (Lang's, with Butcher or with Leaf and Myers) as the
    stories; the answer is the paragraph holding the sentence's middle (both, where that
    falls within 60 characters of a break: about four times the map's median error), found from
    the words both use once in a book (see homer.py), never from a model. Paragraphs under
    200 characters are joined to the next, so a story is a few sentences. Sentences of 12-50
    words are drawn with a fixed seed; where the two anchor words around a sentence are over
    3,000 characters apart the map is too loose and it is not used."""
    from benchmarks.eval.homer import BREAK, books

    documents: list[str] = []
    spans: Spans = []  # (book, start, end) in Butcher and Lang's book
    candidates: list[tuple[str, int, float]] = []  # query, book, where its middle is told
    for book in books(poem):
        _add_joined(book.lang, book.number, documents, spans)
        text = book.butler_text
        for sentence_start, sentence in _sentences(text, BREAK):
            words = len(sentence.split())
            if not 12 <= words <= 50 or book.anchor_gap(sentence_start) > 3000:
                continue
            middle = book.to_lang(sentence_start + len(sentence) / 2)
            candidates.append((sentence, book.number, middle))
    return _drawn(poem, candidates, documents, spans, TRANSLATION_QUERIES)


EDITION_QUERIES = 400
_DIFF_WORD = re.compile(r"[a-z0-9]+")


def edition_set() -> EvalSet:
    """A sentence of Darwin's sixth edition as the query, the paragraphs of the first (joined to
    at least 200 characters, as translation_set joins them) as the stories. Chapters are paired
    by their place (the sixth's new chapter VII has no counterpart). In each pair the two texts'
    words are diffed (difflib, runs of three words or more kept as anchors); a sentence of 12-50
    words is a query when anchors hold at least half its words but not all (Darwin changed it)
    and lie together (within twice its length and 20 words in the first edition); the answer is
    the paragraph holding its middle anchor (both, within 60 characters of a break)."""
    import difflib

    from benchmarks.eval.prepare_darwin import EDITIONS
    from benchmarks.eval.prepare_homer import read

    first, sixth = (read(path) for path in EDITIONS)
    documents: list[str] = []
    spans: Spans = []  # (section of the first edition, start, end)
    candidates: list[tuple[str, int, float]] = []  # query, section, where its middle is
    for number, revised in enumerate(sixth):
        if number == 7:  # chapter VII of the sixth edition is new (the Introduction is 0)
            continue
        section = number if number < 7 else number - 1
        original = first[section]
        _add_joined(original, section, documents, spans)
        joined = PARAGRAPH_BREAK.join(original)
        old = [(m.group(), m.start()) for m in _DIFF_WORD.finditer(joined.lower())]
        text = PARAGRAPH_BREAK.join(revised)
        new = [(m.group(), m.start()) for m in _DIFF_WORD.finditer(text.lower())]
        diff = difflib.SequenceMatcher(
            None, [w for w, _ in new], [w for w, _ in old], autojunk=False
        )
        anchored = {
            a + k: b + k
            for a, b, size in diff.get_matching_blocks()
            if size >= 3
            for k in range(size)
        }
        starts = [at for _, at in new]
        for sentence_start, sentence in _sentences(text, PARAGRAPH_BREAK):
            if not 12 <= len(sentence.split()) <= 50:
                continue
            words = range(
                bisect.bisect_left(starts, sentence_start),
                bisect.bisect_left(starts, sentence_start + len(sentence)),
            )
            kept = sorted(anchored[w] for w in words if w in anchored)
            if not words or not 0.5 <= len(kept) / len(words) < 1:
                continue
            if kept[-1] - kept[0] > 2 * len(words) + 20:
                continue
            candidates.append((sentence, section, old[kept[len(kept) // 2]][1]))
    return _drawn("darwin", candidates, documents, spans, EDITION_QUERIES)


def _add_joined(paragraphs: list[str], part: int, documents: list[str], spans: Spans) -> None:
    """A part's paragraphs as documents, each joined to the next until at least 200
    characters, and where each lies in the part's text (paragraphs joined by a blank line)."""
    gap = len(PARAGRAPH_BREAK)
    start, pending = 0, []
    for paragraph in paragraphs:
        pending.append(paragraph)
        if sum(len(p) for p in pending) >= 200 or paragraph is paragraphs[-1]:
            documents.append(PARAGRAPH_BREAK.join(pending))
            end = start + sum(len(p) + gap for p in pending) - gap
            spans.append((part, start, end))
            start, pending = end + gap, []


def _drawn(
    name: str,
    candidates: list[tuple[str, int, float]],
    documents: list[str],
    spans: Spans,
    count: int,
) -> EvalSet:
    """`count` of the (query, part, offset of its middle in the part) drawn with a fixed seed;
    a query's answers are the documents of its part within 60 characters of that offset."""
    chosen = sorted(random.Random(0).sample(range(len(candidates)), count))
    queries, relevant = [], []
    for i in chosen:
        sentence, part, middle = candidates[i]
        queries.append(sentence)
        relevant.append(
            frozenset(
                d
                for d, (p, start, end) in enumerate(spans)
                if p == part and start <= middle + 60 and end >= middle - 60
            )
        )
    return EvalSet(name, queries, documents, relevant)


def _sentences(text: str, separator: str) -> list[tuple[int, str]]:
    spans, start = [], 0
    for paragraph in text.split(separator):
        at = 0
        for end in [m.end() for m in _SENTENCE_END.finditer(paragraph)] + [len(paragraph)]:
            sentence = paragraph[at:end].strip()
            if sentence:
                spans.append((start + paragraph.index(sentence, at), sentence))
            at = end
        start += len(paragraph) + len(separator)
    return spans


def seed_set() -> EvalSet:
    """Our paraphrases of single sentences of the sample stories; the answer is the passage
    holding `marker`, so the story alone is not enough."""
    files = sorted(SEEDS.glob("*.txt"))
    names = [f.name for f in files]
    queries, relevant, markers = [], [], []
    for line in SEED_QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, story, marker = line.split("\t")
        queries.append(query)
        relevant.append(frozenset({names.index(story)}))
        markers.append(marker)
    documents = [f.read_text(encoding="utf-8") for f in files]
    return EvalSet("seeds", queries, documents, relevant, markers)


def split(count: int, seed: int = 20240601) -> tuple[list[int], list[int]]:
    """(tune, test) query indices: a fixed shuffle cut in half."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    half = count // 2
    return sorted(order[:half]), sorted(order[half:])
