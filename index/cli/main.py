"""`storylens`: the command line. With no subcommand it opens the window.

Exit codes: 0 success, 1 the work failed (message on stderr), 2 the command line was wrong.
argparse (standard library) rather than click/typer: no extra dependency in the installer, and
subcommands, help and exit code 2 for usage errors come with it.

`storylens compare A B --json` (A and B are passage ids) prints one object:
    {"left": PASSAGE, "right": PASSAGE, "similarity": float, "threshold": float,
     "pairs": [{"left": i, "right": j, "score": float}, ...],   # in left order
     "left_only": [i, ...], "right_only": [j, ...]}
where PASSAGE is {"passage_id", "story_id", "story", "ordinal", "story_passages", "start", "end",
"sentences": [{"start", "end", "text"}, ...]}; i and j index the sentences of each side, start
and end are offsets into the story text, and "left_only"/"right_only" are the sentences that
found no counterpart at the threshold.

`storylens align A B --json` (A and B are stories) prints StoryAlignment.to_json()
(index/compare/stories.py): {"left": {"story", "story_id"}, "right": {...}, "segments":
[{"left": SIDE | null, "right": SIDE | null, "score", "links": [{"left": [start, end],
"right": [start, end], "score"}, ...]}, ...]}, SIDE being {"start", "end", "text",
"passage_ids"}; null marks a stretch the other story tells alone.

`storylens heatmap --json` prints StoryMatrix.to_json() (index/compare/story_matrix.py):
{"stories": [{"story", "story_id"}, ...], "closeness": [[...], ...], "covered": [[...], ...]},
rows and columns in the stories' clustered order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from index.cli.export import (
    FORMATS,
    alignment_document,
    comparison_document,
    hits_document,
    many_document,
    matrix_document,
)
from index.cli.output import (
    hit_to_json,
    print_alignment,
    print_hits,
    print_many_alignment,
    print_report,
    print_story_alignment,
)
from index.embed.model import PRECISIONS
from index.errors import StorylensError
from index.store.milvus import MilvusAddress, library_place

if TYPE_CHECKING:
    from index.cli.selftest import WindowCheck
    from index.search.results import Hit

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a command that SIGPIPE ended
SIDE_BY_SIDE_MOST = 5  # the window's columns at most (app/parallel_view.py MAX_STORIES)
T = TypeVar("T")


def main(
    argv: Sequence[str] | None = None,
    *,
    open_window: Callable[[Path | str | None, tuple[str, ...] | None], int] | None = None,
    window_check: WindowCheck | None = None,
) -> int:
    """Run a command; with none, `open_window(index_dir, side_by_side)` (given by app/, which
    owns the window: the engine never imports it; `side_by_side`: the stories to open side by
    side), else a text demo on the sample stories. `--self-test` runs index/cli/selftest.py,
    with app/'s `window_check` when the window is installed."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        hint = ""
        if args.command == "search" and any(a.startswith("-") for a in unknown):
            hint = " (a query that starts with - goes after --: storylens search -- '-word text')"
        parser.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    if args.self_test:
        from index.cli.selftest import run_self_test

        return run_self_test(sys.stdout, window_check=window_check)
    chosen = tuple(args.side_by_side) if args.side_by_side else None
    if chosen is not None and (args.command or not 2 <= len(chosen) <= SIDE_BY_SIDE_MOST):
        print(
            f"storylens: --side-by-side takes 2 to {SIDE_BY_SIDE_MOST} stories, and no command",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.command is None:
        return open_window(args.index, chosen) if open_window is not None else _demo(args)
    try:
        result: int = args.run(args)
        sys.stdout.flush()  # here, where a reader that went away is caught
    except StorylensError as exc:  # a cancelled build too: one line, the old index kept
        print(f"storylens: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader stopped (`| head`): nothing more to say to it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the flush at exit does not fail again
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a file named on the command line, an output that went away
        where = f" {exc.filename}" if exc.filename else ""
        print(f"storylens: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("storylens: interrupted; the previous index is unchanged.", file=sys.stderr)
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storylens",
        description="Semantic search over stories. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_own_version()}")
    parser.add_argument(
        "--index",
        type=library_place,
        default=None,
        help="index directory (default: the user data dir), or a library in Milvus: "
        "milvus:PATH.db or milvus://HOST:PORT/NAME",
    )
    parser.add_argument(
        "--side-by-side",
        nargs="+",
        metavar="STORY",
        help=f"open the window with 2 to {SIDE_BY_SIDE_MOST} stories side by side, each aligned "
        "with the first by meaning",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offline on the sample stories, then exit (0 = all good)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # --index is also taken after the command, where most people type it.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument(
        "--index", type=library_place, default=argparse.SUPPRESS, help="index directory"
    )
    # Commands that run the model; float32 and bfloat16 rank alike (tests/index/embed/), so
    # an index built in one is searched in either.
    runs_model = argparse.ArgumentParser(add_help=False)
    runs_model.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="the model's arithmetic: bf16 where the CPU has it natively, else fp32 (auto, the "
        "default), or either by name",
    )
    # Commands whose answer can be saved as a file (index/cli/export.py).
    writes_files = argparse.ArgumentParser(add_help=False)
    writes_files.add_argument(
        "--format",
        choices=FORMATS,
        help="the answer as a document: json, md (Markdown), csv or html",
    )
    writes_files.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write it to FILE (default: stdout)"
    )
    # Commands that look in part of the library: stories by name, collections by folder.
    chooses_stories = argparse.ArgumentParser(add_help=False)
    chooses_stories.add_argument(
        "--story", action="append", help="only this story, by title or file name (repeatable)"
    )
    chooses_stories.add_argument(
        "--in",
        dest="collections",
        action="append",
        metavar="COLLECTION",
        help="only the stories of this collection: a folder added (its name or path), "
        '"Sample stories" or "Single stories" (repeatable; `storylens info` lists them)',
    )

    p = sub.add_parser(
        "index",
        parents=[after, runs_model],
        help="add stories (files or folders) and bring the index up to date",
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or folders; none = refresh sources")
    p.add_argument("--model", help="a local sentence-transformers model directory")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument(
        "--passage-tokens",
        type=int,
        metavar="N",
        help="passages of at most N tokens (48 to 512, capped by the model's limit); default: "
        "each paragraph whole up to the model's limit (0 goes back to that). A library cut "
        "otherwise changes with --rebuild",
    )
    p.add_argument("--remove", nargs="+", type=Path, default=[], help="forget these sources")
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="embed on a Ray cluster: local (this machine, all its CPUs), auto (the cluster "
        "this machine joined with `ray start`) or HOST:PORT (pip install storylens[scale])",
    )
    p.set_defaults(run=_cmd_index)

    p = sub.add_parser(
        "search",
        parents=[after, runs_model, chooses_stories, writes_files],
        help="passages closest in meaning to a query",
    )
    p.add_argument("query", nargs="?", help="what you are looking for, in plain language")
    p.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    p.add_argument("--json", action="store_true", help="JSON output (see README)")
    p.add_argument("--queries", type=Path, help="a file of queries, one per line: JSON Lines out")
    p.add_argument(
        "--mode",
        choices=["hybrid", "dense", "keyword"],
        default="hybrid",
        help="meaning and keywords fused (default), meaning only, or keywords only; queries may "
        'hold "exact phrases" and -excluded words',
    )
    p.set_defaults(run=_cmd_search)

    p = sub.add_parser(
        "similar",
        parents=[after, runs_model, chooses_stories, writes_files],
        help='"more like this": passages close to a passage',
    )
    p.add_argument("passage_id", type=int)
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--other-stories", action="store_true", help="only from other stories")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_similar)

    p = sub.add_parser(
        "compare",
        parents=[after, runs_model, writes_files],
        help="align the sentences of two passages by meaning",
    )
    p.add_argument("left", type=int, metavar="A", help="passage id (see search --json)")
    p.add_argument("right", type=int, metavar="B", help="passage id")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="lowest sentence similarity that counts as a match (default 0.5)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_compare)

    _add_story_commands(sub, after, chooses_stories, writes_files)
    p = sub.add_parser("info", parents=[after], help="what the index holds and how it was built")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--check",
        action="store_true",
        help="check every file of the index against the checksums written with it",
    )
    p.set_defaults(run=_cmd_info)
    return parser


def _add_story_commands(
    sub: Any,
    after: argparse.ArgumentParser,
    chooses_stories: argparse.ArgumentParser,
    writes_files: argparse.ArgumentParser,
) -> None:
    """The commands over whole stories and collections, which never load the model."""
    p = sub.add_parser(
        "moment",
        parents=[after, chooses_stories, writes_files],
        help="the same moment in other stories: each one's closest passage to this one, "
        "the closest first",
    )
    p.add_argument("passage_id", type=int, help="passage id (see search --json)")
    p.add_argument("-k", type=int, default=6, help="how many stories (default 6)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_moment)

    p = sub.add_parser(
        "align",
        parents=[after, writes_files],
        help="align two whole stories by meaning: what each tells that the other does too",
    )
    p.add_argument("left", metavar="STORY_A", help="a story, by title or file name")
    p.add_argument("right", metavar="STORY_B", help="another story")
    p.add_argument(
        "more",
        nargs="*",
        metavar="STORY",
        help="more stories: each is aligned with STORY_A, all in rows (--json: rows)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="lowest passage similarity that counts as telling the same (default 0.55)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_align)

    p = sub.add_parser(
        "heatmap",
        parents=[after, chooses_stories, writes_files],
        help="how close every two stories are (the window's heat map): the closest pairs first",
    )
    p.add_argument("-k", type=int, default=20, help="how many pairs to print (default 20)")
    p.add_argument("--json", action="store_true", help="both whole matrices, in clustered order")
    p.set_defaults(run=_cmd_heatmap)

    p = sub.add_parser(
        "collection",
        parents=[after],
        help="list the collections, or gather stories into a named one (kept with the index)",
    )
    p.add_argument("name", nargs="?", help="the collection; none: list them all")
    p.add_argument("--add", nargs="+", default=[], metavar="STORY", help="stories to put in it")
    p.add_argument("--remove", nargs="+", default=[], metavar="STORY", help="stories to take out")
    p.add_argument("--delete", action="store_true", help="forget it (its stories stay)")
    p.set_defaults(run=_cmd_collection)


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("storylens")
    except PackageNotFoundError:
        return "unknown"


def _cmd_index(args: argparse.Namespace) -> int:
    from index.build.builder import build_index
    from index.build.distributed import RayEmbedding
    from index.cli.progress import ProgressBar

    missing = [str(path) for path in args.paths if not path.exists()]
    if args.paths and len(missing) == len(args.paths) and not args.remove:
        # A mistyped folder: say so, rather than load the model to build an empty index.
        print(f"storylens: nothing to index: not found: {', '.join(missing)}", file=sys.stderr)
        return EXIT_FAILED
    milvus = MilvusAddress.parse(args.index) if isinstance(args.index, str) else None
    index_dir = milvus.working_copy() if milvus is not None else args.index
    with ProgressBar(sys.stderr) as bar:
        report = build_index(
            args.paths,
            index_dir,
            model=args.model,
            precision=args.precision,
            rebuild=args.rebuild,
            remove=args.remove,
            progress=bar.update,
            passage_tokens=args.passage_tokens,
            ray=RayEmbedding(args.ray) if args.ray else None,
        )
    print_report(report, sys.stdout)
    if report.passages_embedded:
        _export_for_queries(index_dir, args.precision)
    if milvus is not None:
        _publish(index_dir, milvus)
    return EXIT_OK


def _publish(index_dir: Path, address: MilvusAddress) -> None:
    """Bring the library in Milvus up to date with the working copy just built."""
    from index.store.milvus.publish import publish_index

    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= 2 or done == total:
            last[0] = time.monotonic()
            print(f"Publishing to Milvus: {done:,} of {total:,} stories", file=sys.stderr)

    published = publish_index(index_dir, address, progress=progress)
    print(
        f"Milvus {address.text}: {published.written} stories written, {published.removed} "
        f"removed, {published.kept} unchanged; {published.passages} passages there."
    )


def _export_for_queries(index_dir: Path | None, precision: str) -> None:
    """Once per model on this machine, while the build's model is still loaded: export it for
    ONNX Runtime, so that searches need no torch from now on (index/embed/query_graph.py)."""
    from index.search.library import Library

    with Library.open(index_dir, precision=precision) as lib:
        embedder = lib.embedder
        if not embedder.may_use_query_graph or embedder.query_graph() is not None:
            return
        print("Preparing quick searches with this model (once)...", file=sys.stderr)
        embedder.export_query_graph()


def _cmd_search(args: argparse.Namespace) -> int:
    from index.search.library import Library

    if (args.query is None) == (args.queries is None):
        print("storylens search: give a query or --queries FILE (not both)", file=sys.stderr)
        return EXIT_USAGE
    with Library.open(args.index, precision=args.precision) as lib:
        story_ids = _chosen_stories(lib, args)
        if args.queries is not None:
            return _search_many(lib, args.queries, args.k, story_ids, sys.stdout, mode=args.mode)
        answer = _Answer.of(lib, args.query, args.k, story_ids, args.mode, context=args.json)
        if args.format:
            title = f"Search: {args.query}"
            return _write(hits_document(answer.hits, args.format, title=title), args)
        if args.json:
            _dump(answer.to_json(), sys.stdout)
        else:
            if answer.relaxed:
                print(answer.relaxed_line(), end="\n\n")
            print_hits(answer.hits, sys.stdout)
    return EXIT_OK


def _write(document: str, args: argparse.Namespace) -> int:
    """A document to -o FILE (said on stderr) or to stdout."""
    if args.output is None:
        sys.stdout.write(document if document.endswith("\n") else document + "\n")
        return EXIT_OK
    try:
        args.output.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise StorylensError(f"Cannot write {args.output}: {exc}") from exc
    print(f"Wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _chosen_stories(lib: Any, args: argparse.Namespace) -> list[int] | None:
    """The stories `--story` and `--in` name together; None when neither is given (all)."""
    if not args.story and not args.collections:
        return None
    chosen = [lib.find_story(name).id for name in args.story or ()]
    chosen += lib.stories_in(args.collections) if args.collections else []
    return list(dict.fromkeys(chosen))


def _search_many(
    lib: Any,
    queries_file: Path,
    k: int,
    story_ids: list[int] | None,
    out: TextIO,
    *,
    mode: str = "hybrid",
) -> int:
    """One JSON object per line: {"query", "hits"} or {"query", "error"}; the model loads once."""
    try:
        lines = queries_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise StorylensError(f"Cannot read {queries_file}: {exc}") from exc
    failed = False
    for line in lines:
        if not line.strip():
            continue
        try:
            record = _Answer.of(lib, line, k, story_ids, mode, context=True).to_json()
        except StorylensError as exc:
            record, failed = {"query": line, "error": str(exc)}, True
        _dump(record, out, indent=None)
    return EXIT_FAILED if failed else EXIT_OK


@dataclass(frozen=True)
class _Answer:
    """One query's answer, with the phrases and exclusions set aside when nothing met them."""

    query: str
    hits: list[Hit]
    relaxed: tuple[str, ...]

    @classmethod
    def of(
        cls, lib: Any, query: str, k: int, stories: list[int] | None, mode: str, *, context: bool
    ) -> _Answer:
        first = lib.first_stage(query, k=k, stories=stories, mode=mode, context=context)
        return cls(query, lib.refine(first), first.relaxed)

    def to_json(self) -> dict[str, Any]:
        hits = [hit_to_json(h) for h in self.hits]
        return {"query": self.query, "hits": hits, "relaxed": list(self.relaxed)}

    def relaxed_line(self) -> str:
        them = "it" if len(self.relaxed) == 1 else "them"
        return (
            f"No passage meets {', '.join(self.relaxed)} with the rest of the query: "
            f"the closest without {them}."
        )


def _cmd_similar(args: argparse.Namespace) -> int:
    from index.search.library import Library

    with Library.open(args.index, precision=args.precision) as lib:
        hits = lib.similar(
            args.passage_id,
            k=args.k,
            other_stories=args.other_stories,
            stories=_chosen_stories(lib, args),
            context=args.json,
        )
    return _answer_about_passage(hits, args, title=f"More like passage {args.passage_id}")


def _answer_about_passage(hits: list[Hit], args: argparse.Namespace, *, title: str) -> int:
    """Passages found from a passage (`similar`, `moment`): a document, the JSON
    {"passage_id", "hits"}, or the hits as text."""
    if args.format:
        return _write(hits_document(hits, args.format, title=title), args)
    if args.json:
        _dump({"passage_id": args.passage_id, "hits": [hit_to_json(h) for h in hits]}, sys.stdout)
    else:
        print_hits(hits, sys.stdout)
    return EXIT_OK


def _threshold(args: argparse.Namespace, default: float) -> float | None:
    """--threshold, or `default` without one; None (said on stderr) outside -1..1."""
    threshold = default if args.threshold is None else args.threshold
    if -1.0 <= threshold <= 1.0:
        return float(threshold)
    print(f"storylens {args.command}: --threshold must be between -1 and 1", file=sys.stderr)
    return None


def _cmd_compare(args: argparse.Namespace) -> int:
    from index.compare.align import DEFAULT_THRESHOLD, align_passages
    from index.search.library import Library

    threshold = _threshold(args, DEFAULT_THRESHOLD)
    if threshold is None:
        return EXIT_USAGE
    with Library.open(args.index, precision=args.precision) as lib:
        alignment = align_passages(
            lib, lib.passage(args.left), lib.passage(args.right), threshold=threshold
        )
    return _answer_as_asked(
        args, comparison_document, alignment, alignment.to_json, print_alignment
    )


def _cmd_moment(args: argparse.Namespace) -> int:
    from index.compare.align import same_moment
    from index.search.library import Library

    if args.k < 1:
        print("storylens moment: -k must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    with Library.open(args.index) as lib:  # stored vectors only: the model is not loaded
        hits = same_moment(lib, args.passage_id, stories=_chosen_stories(lib, args), limit=args.k)
    return _answer_about_passage(hits, args, title=f"The same moment as passage {args.passage_id}")


def _cmd_align(args: argparse.Namespace) -> int:
    from index.compare.stories import PASSAGE_THRESHOLD, align_many, align_stories
    from index.search.library import Library

    threshold = _threshold(args, PASSAGE_THRESHOLD)
    if threshold is None:
        return EXIT_USAGE
    with Library.open(args.index) as lib:  # stored vectors only: the model is not loaded
        stories = [lib.find_story(name) for name in (args.left, args.right, *args.more)]
        if len(stories) > 2:
            many = align_many(lib, stories, threshold=threshold)
        else:
            aligned = align_stories(lib, stories[0], stories[1], threshold=threshold)
    if len(stories) > 2:
        return _answer_as_asked(args, many_document, many, many.to_json, print_many_alignment)
    return _answer_as_asked(
        args, alignment_document, aligned, aligned.to_json, print_story_alignment
    )


def _answer_as_asked(
    args: argparse.Namespace,
    document: Callable[[T, Any], str],
    answer: T,
    payload: Callable[[], dict[str, Any]],
    show: Callable[[T, TextIO], None],
) -> int:
    """An answer as the command line asked for it: a document (--format, to -o FILE or
    stdout), JSON (--json), or text."""
    if args.format:
        return _write(document(answer, args.format), args)
    if args.json:
        _dump(payload(), sys.stdout)
    else:
        show(answer, sys.stdout)
    return EXIT_OK


def _cmd_heatmap(args: argparse.Namespace) -> int:
    from index.compare.story_matrix import story_matrix
    from index.search.library import Library

    if args.k < 1:
        print("storylens heatmap: -k must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    with Library.open(args.index) as lib:  # stored vectors only: the model is not loaded
        matrix = story_matrix(lib, _chosen_stories(lib, args))
    if args.format:
        return _write(matrix_document(matrix, args.format), args)
    if args.json:
        _dump(matrix.to_json(), sys.stdout)
        return EXIT_OK
    pairs = matrix.pairs()
    if not pairs:
        print("Fewer than two stories with passages: nothing to compare.")
    for left, right, closeness, covered in pairs[: args.k]:
        print(f"{closeness:.2f}  {covered:4.0%} told by both  {left.title}  |  {right.title}")
    return EXIT_OK


def _cmd_collection(args: argparse.Namespace) -> int:
    from index.search.library import Library
    from index.store.named_sets import edit_named_set

    with Library.open(args.index) as lib:  # the model is never loaded for this
        if args.name is not None and (args.add or args.remove or args.delete):
            if lib.layout is None:
                raise StorylensError("Collections of a library in Milvus cannot be edited here.")
            edit_named_set(
                lib.layout.path,
                args.name,
                add=[lib.find_story(story).path for story in args.add],
                remove=[lib.find_story(story).path for story in args.remove],
                delete=args.delete,
            )
        collections = lib.collections()
    for collection in collections:
        if args.name is None or collection.name == args.name.strip():
            kind = "gathered" if collection.named else (collection.folder or "files")
            count = len(collection.story_ids)
            print(f"{collection.name}  ({count} {'story' if count == 1 else 'stories'}, {kind})")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from index.search.library import Library
    from index.store.database import passage_tokens_of

    if args.check:
        if isinstance(args.index, str):
            raise StorylensError("--check reads local index files; a library in Milvus has none.")
        return _check(args.index)
    with Library.open(args.index) as lib:
        info = lib.info()
        stories = lib.stories()
        collections = lib.collections()
        skipped = lib.skipped()
    if args.json:
        _dump(
            {
                "path": str(info.path),
                "generation": info.generation,
                "stories": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "path": s.path,
                        "passages": s.passage_count,
                        "offline": s.offline,
                    }
                    for s in stories
                ],
                "passages": info.passages,
                "sources": info.sources,
                "collections": [
                    {
                        "name": c.name,
                        "folder": c.folder,
                        "roots": list(c.roots),
                        "story_ids": list(c.story_ids),
                        "samples": c.samples,
                        "named": c.named,
                    }
                    for c in collections
                ],
                "skipped": [{"path": str(f.path), "reason": f.reason} for f in skipped],
                "meta": info.meta,
            },
            sys.stdout,
        )
        return EXIT_OK
    print(f"Index       {info.path} ({info.generation})")
    print(
        f"Model       {info.meta.get('model_name')} ({info.meta.get('dimension')} dimensions, "
        f"{info.meta.get('precision')})"
    )
    print(f"Built       {info.meta.get('built_at')}")
    cut = passage_tokens_of(info.meta)
    cut_at = f"at most {cut} tokens each" if cut else "paragraphs up to the model's limit"
    print(f"Stories     {info.stories}    Passages {info.passages} ({cut_at})")
    by_id = {story.id: story for story in stories}
    for collection in collections:
        where = f"  {collection.folder}" if collection.folder else ""
        count = len(collection.story_ids)
        stories_word = "story" if count == 1 else "stories"
        print(f"Collection  {collection.name}  ({count} {stories_word}){where}")
        for story_id in collection.story_ids:
            story = by_id[story_id]
            note = "  [source offline]" if story.offline else ""
            print(f"  {story.title}  ({story.passage_count} passages)  {story.path}{note}")
    for left_out in skipped:
        print(f"Skipped     {left_out.path}: {left_out.reason}")
    return EXIT_OK


def _check(index_dir: Path | None) -> int:
    """Every file of the live generation against its manifest, and the database page by page."""
    from index.errors import REBUILD_ADVICE
    from index.paths import default_index_dir
    from index.store.database import quick_check
    from index.store.generations import DATABASE_NAME, IndexDir, verify

    generation = IndexDir(index_dir or default_index_dir()).current()
    problems = verify(generation, full=True)
    database = quick_check(generation / DATABASE_NAME)
    if database is not None:
        problems.append(f"{DATABASE_NAME}: {database}")
    if problems:
        for problem in problems:
            print(f"storylens: damaged: {problem}", file=sys.stderr)
        print(f"storylens: {REBUILD_ADVICE}", file=sys.stderr)
        return EXIT_FAILED
    files = sum(1 for child in generation.iterdir() if child.is_file())
    print(f"Sound: {files} files of {generation.name} match what was written.")
    return EXIT_OK


def _dump(obj: object, out: TextIO, indent: int | None = 2) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def _demo(args: argparse.Namespace) -> int:
    """Until the window exists: index the sample stories and show an example search."""
    from index.paths import bundled_seeds_dir

    seeds = bundled_seeds_dir()
    code = main([*(["--index", str(args.index)] if args.index else []), "index", str(seeds)])
    if code != EXIT_OK:
        return code
    query = "a dancer doubts she is good enough"
    print(f'\nExample search: "{query}"\n')
    return main([*(["--index", str(args.index)] if args.index else []), "search", query, "-k", "3"])
