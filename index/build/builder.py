"""Building and updating an index: only changed stories are embedded, and nothing is live until
the whole new generation is on disk (see layout.py)."""

from __future__ import annotations

import functools
import itertools
import os
import platform
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from index.build.distributed import RayEmbedding
from index.build.readers import (
    StoryText,
    UnreadableStory,
    discover,
    file_digest,
    read_story,
)
from index.build.staging import Staged, Staging
from index.build.token_codes import TokenCoder
from index.embed.model import Embedder
from index.embed.sentences import embed_with_sentences
from index.errors import REBUILD_ADVICE, IndexCorrupt, IndexIncompatible, StorylensError
from index.paths import expand_user, path_text
from index.store.build_record import Skipped, read_build_record, write_build_record
from index.store.database import SCHEMA_VERSION, NewPassage, Store, StoryRow, passage_tokens_of
from index.store.generations import (
    DATABASE_NAME,
    VECTORS_NAME,
    IndexDir,
    kill_point,
    verify,
)
from index.store.search_files import add_sentences, open_sentence_index, write_search_files
from index.store.tokens import Codes, TokenCodec, TokenCodes, carried_codes, write_token_codes
from index.store.vectors import VectorIndex
from index.text.passages import PASSAGE_TOKENS_RANGE, PassageSpan, split_passages

if TYPE_CHECKING:
    from index.embed.model import Vectors as VectorArray

Phase = Literal["scanning", "reading", "embedding", "saving"]

# Passages sorted by length together: enough that length-sorted batches pad little. Progress
# is reported after every batch inside it, and Cancel is checked between batches.
_EMBED_CHUNK = 512


@dataclass(frozen=True)
class BuildProgress:
    phase: Phase
    done: int
    total: int
    story: str  # title of the story being worked on, "" when none
    rate: float = 0.0  # passages a second so far (embedding only)
    seconds_left: float | None = None  # at that rate (embedding only, once it is known)

    def time_left(self) -> str:
        """ "3 s", "2 min 05 s", "1 h 04 min": as precise as a person waiting wants it."""
        whole = round(self.seconds_left or 0.0)
        if whole < 60:
            return f"{whole} s"
        minutes, seconds = divmod(whole, 60)
        if minutes < 60:
            return f"{minutes} min {seconds:02d} s"
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d} min"


ProgressCallback = Callable[[BuildProgress], None]


@dataclass
class BuildReport:
    index_dir: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)  # kept: their folder cannot be read now
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    damaged: list[Skipped] = field(default_factory=list)  # indexed, with what was wrong in them
    passages_embedded: int = 0
    passages_total: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Prepared:
    story: StoryText
    passages: list[PassageSpan]
    replaces: StoryRow | None


def build_index(
    paths: Iterable[str | Path] = (),
    index_dir: str | Path | None = None,
    *,
    embedder: Embedder | None = None,
    model: str | Path | None = None,
    precision: str = "auto",
    rebuild: bool = False,
    remove: Iterable[str | Path] = (),
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    passage_tokens: int | None = None,
    ray: RayEmbedding | None = None,
    separate_process: bool | None = None,
) -> BuildReport:
    """Add `paths` to the library's sources, drop `remove`, and bring the index up to date.

    With no paths, refreshes the sources the index already has. `rebuild` re-embeds everything
    (needed after changing the model). `precision` is the model's arithmetic when no `embedder`
    is given (index/embed/model.py); the index records every precision its vectors came from.
    `passage_tokens` is how long passages are cut (a new index, or a rebuild); None keeps the
    length the index was built with. `ray` embeds on a Ray cluster (index/build/distributed.py)
    instead of in this process. `separate_process`: build the keyword and phrase indexes in
    another process (True), here (False), or there from SEPARATE_PROCESS_FROM passages on
    (None; index/store/search_files.py says why).
    Raises BuildCancelled, IndexBusy, IndexIncompatible...
    """
    from index.paths import default_index_dir

    started = time.perf_counter()
    layout = IndexDir(Path(index_dir) if index_dir is not None else default_index_dir())
    report = BuildReport(index_dir=layout.path)
    notify = progress or (lambda _p: None)
    with layout.writer_lock():
        old_store, old_generation = _open_previous(layout, rebuild=rebuild)
        try:
            recorded = _recorded_sources(layout) if old_store is None else ([], set(), None)
            embedder = embedder or Embedder(
                model or _recorded_model(old_store) or recorded[2], precision=precision
            )
            cut = _check_compatible(old_store, embedder, passage_tokens, rebuild=rebuild)
            known_sources = old_store.sources() if old_store else recorded[:2]
            sources, excluded = _updated_sources(known_sources, paths, remove)

            notify(BuildProgress("scanning", 0, 0, ""))
            files, report.skipped = discover(sources)
            files = [f for f in files if not _is_excluded(f, excluded)]
            known = {row.path: row for row in old_store.stories()} if old_store else {}
            changed, unchanged = _find_changed(files, known, rebuild, report)
            stored = old_store if rebuild else None
            prepared = _chunk_stories(
                changed, embedder, report, notify, cancel, stored=stored, passage_tokens=cut
            )
            # A story whose file is still there but unreadable now keeps its indexed version;
            # so does one in a folder that cannot be read or reached now (a renamed folder, an
            # unmounted drive): only a file really gone from a readable folder is removed.
            present = {path_text(f) for f in files}
            offline = _unreachable(sources, excluded, report.skipped)
            missing = [row for path, row in known.items() if path not in present]
            gone = [row for row in missing if not _inside(row.path, offline)]
            report.offline = [row.title for row in missing if _inside(row.path, offline)]
            report.unchanged = len(unchanged)
            report.removed = [row.title for row in gone]

            sources_same = old_store is not None and old_store.sources() == (sources, excluded)
            if not prepared and not gone and sources_same and not rebuild:
                report.passages_total = old_store.passage_count() if old_store else 0
                report.seconds = time.perf_counter() - started
                return report

            if old_store is not None and not rebuild:
                _check_same_model(old_store, embedder, load=True)
            kill_point("before-embedding")
            staging, tokens = _resumable(layout, embedder, None if rebuild else old_generation)
            vectors, sentence_vectors, embedded = _embed(
                embedder, prepared, staging, notify, cancel, tokens=tokens, ray=ray
            )
            kill_point("before-saving")
            notify(BuildProgress("saving", 0, 1, ""))
            write = functools.partial(
                _write_generation,
                old_store=None if rebuild else old_store,
                old_generation=None if rebuild else old_generation,
                embedder=embedder,
                prepared=prepared,
                vectors=vectors,
                sentence_vectors=sentence_vectors,
                old_tokens=tokens.previous,
                token_codec=tokens.finish(),
                token_codes=tokens.codes,
                gone=gone,
                sources=sources,
                excluded=excluded,
                report=report,
                passage_tokens=cut,
                separate_process=separate_process,
            )
            _save(layout, write, cancel)
            staging.clear()  # published: what it held is in the index now, or out of date
        finally:
            if old_store is not None:
                old_store.close()
    report.passages_embedded = embedded
    report.seconds = time.perf_counter() - started
    notify(BuildProgress("saving", 1, 1, ""))
    return report


def _save(layout: IndexDir, write: Callable[[Path], None], cancel: threading.Event | None) -> None:
    """Write the next generation (`write(folder)`) and make it live; a failure to write (a full
    disk, say) leaves the previous one live and says so in one line."""
    partial = layout.new_generation()
    try:
        write(partial)
        kill_point("before-publishing")
        if cancel is not None and cancel.is_set():
            raise _cancelled()
        layout.publish(partial)
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        layout.discard(partial)
        raise StorylensError(
            f"Could not save the new index ({_first_line(exc)}); the previous index is "
            "unchanged. Free some disk space, then index again."
        ) from exc
    except BaseException:
        layout.discard(partial)
        raise


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _cancelled() -> StorylensError:
    from index.errors import BuildCancelled

    return BuildCancelled()


def _open_previous(layout: IndexDir, *, rebuild: bool) -> tuple[Store | None, Path | None]:
    """The live generation's database and folder, when it can be built upon. A damaged one is
    refused for an update (which would copy the damage, or say "up to date" over it); a
    rebuild reads what it still can."""
    if not layout.exists():
        return None, None
    try:
        generation = layout.current()
        problems = verify(generation, full=False)
        if problems and not rebuild:
            raise IndexCorrupt(f"The index is damaged: {'; '.join(problems)}. {REBUILD_ADVICE}")
        return Store.open(generation / DATABASE_NAME), generation
    except (IndexCorrupt, IndexIncompatible):
        if rebuild:
            return None, None  # a rebuild is exactly the cure for these
        raise


def _recorded_sources(layout: IndexDir) -> tuple[list[str], set[str], str | None]:
    """What the live generation's build record says, for a rebuild whose database is too
    damaged to tell; nothing when there is none to read."""
    try:
        record = read_build_record(layout.current())
    except (StorylensError, OSError, ValueError, KeyError, TypeError):
        return [], set(), None
    return record.sources, record.excluded, record.model_ref


def _place(path: str | Path) -> str:
    """Where a path really is, symlinks followed: stories are found at such places
    (readers.discover), so sources and removals are compared there too."""
    return path_text(expand_user(path).resolve())


def _is_excluded(story: Path, excluded: set[str]) -> bool:
    """Whether the person removed this story, or a folder that holds it."""
    return any(path_text(place) in excluded for place in (story, *story.parents))


def _unreachable(
    sources: Sequence[str], excluded: set[str], skipped: Sequence[Skipped]
) -> list[str]:
    """Places whose stories cannot be seen now: a source that is missing or cannot be listed,
    and any folder inside one that could not be opened."""
    places = [s for s in sources if not _listable(Path(s))]
    places += [path_text(s.path.resolve()) for s in skipped if s.path.is_dir()]
    return [p for p in places if p not in excluded]


def _listable(path: Path) -> bool:
    try:
        if path.is_file():
            return True
        with os.scandir(path):
            return True
    except OSError:
        return False


def _inside(story: str, places: Sequence[str]) -> bool:
    return any(story == place or Path(story).is_relative_to(place) for place in places)


def _updated_sources(
    known: tuple[list[str], set[str]], add: Iterable[str | Path], remove: Iterable[str | Path]
) -> tuple[list[str], set[str]]:
    """The library's roots after this call, and the stories or folders inside them that the
    person removed, from what the index `known`."""
    sources, excluded = known[0].copy(), known[1].copy()
    for path in add:
        place = _place(path)
        if place not in {_place(s) for s in sources}:
            sources.append(place)
        excluded -= {e for e in excluded if e == place or Path(e).is_relative_to(place)}
    for path in remove:
        place = _place(path)
        removed = [s for s in sources if _place(s) == place]
        for source in removed:
            sources.remove(source)
        if not removed:
            excluded.add(place)
    if not sources:
        raise StorylensError("Nothing to index: name a file or folder of stories.")
    return sources, excluded


def _check_compatible(
    store: Store | None, embedder: Embedder, passage_tokens: int | None, *, rebuild: bool
) -> int | None:
    """An update keeps the index's model and passage length (a rebuild may change both).
    Returns the longest passage this build cuts; None: whole paragraphs up to the model's
    limit. `passage_tokens` None keeps the index's; 0 asks for whole paragraphs again."""
    if store is not None and not rebuild:
        _check_same_model(store, embedder, load=False)
    low, high = PASSAGE_TOKENS_RANGE
    if passage_tokens and not low <= passage_tokens <= high:
        raise StorylensError(
            f"A passage length must be {low} to {high} tokens (or 0: whole paragraphs), "
            f"not {passage_tokens}."
        )
    recorded = passage_tokens_of(store.meta()) if store is not None else None
    wanted = recorded if passage_tokens is None else (passage_tokens or None)
    if store is not None and not rebuild and wanted != recorded:
        now = f"cut at {recorded} tokens" if recorded else "whole paragraphs"
        then = f"cut them at {wanted} tokens" if wanted else "keep paragraphs whole"
        raise IndexIncompatible(
            f"This library's passages are {now}; rebuild it (--rebuild) to {then}."
        )
    return wanted


def _recorded_model(store: Store | None) -> str | None:
    return store.meta().get("model_ref") if store else None


def _check_same_model(store: Store, embedder: Embedder, *, load: bool) -> None:
    """The index and `embedder` name the same model; with `load`, the model is loaded to
    compare dimensions too. A refresh with nothing to embed compares names only, so it never
    waits for the model to load."""
    meta = store.meta()
    differs = meta.get("model_name") != embedder.name
    if not differs and load:
        differs = meta.get("dimension") != str(embedder.dimension)
    if differs:
        asked = f"{embedder.name} ({embedder.dimension})" if load else embedder.name
        raise IndexIncompatible(
            f"This index was built with model {meta.get('model_name')} "
            f"({meta.get('dimension')} dimensions); you asked for {asked}. Rebuild it with "
            "that model (`--rebuild`)."
        )


def _find_changed(
    files: Sequence[Path], known: dict[str, StoryRow], rebuild: bool, report: BuildReport
) -> tuple[list[tuple[Path, StoryRow | None]], list[Path]]:
    """Stories that are new or whose bytes changed, by hash alone: unchanged ones aren't parsed."""
    changed: list[tuple[Path, StoryRow | None]] = []
    unchanged: list[Path] = []
    for path in files:
        previous = known.get(path_text(path))
        try:
            digest = file_digest(path)
        except OSError as exc:
            report.skipped.append(Skipped(path, f"cannot read: {exc.strerror or exc}"))
            continue
        if previous is not None and previous.content_hash == digest and not rebuild:
            unchanged.append(path)
        else:
            changed.append((path, previous))
    return changed, unchanged


def _chunk_stories(
    changed: Sequence[tuple[Path, StoryRow | None]],
    embedder: Embedder,
    report: BuildReport,
    notify: ProgressCallback,
    cancel: threading.Event | None,
    *,
    stored: Store | None = None,
    passage_tokens: int | None = None,
) -> list[_Prepared]:
    """Read and cut the changed stories. A story indexed before whose file is unreadable now
    keeps its indexed version: an update leaves it as it is; a rebuild (`stored`: the index
    it replaces) embeds it again from the text stored there."""
    prepared: list[_Prepared] = []
    tokens = embedder.tokens if changed else None
    for done, (path, previous) in enumerate(changed):
        if cancel is not None and cancel.is_set():
            raise _cancelled()
        notify(BuildProgress("reading", done, len(changed), path.name))
        try:
            story = read_story(path)
        except UnreadableStory as exc:
            if previous is None:
                report.skipped.append(Skipped(path, exc.reason))
                continue
            report.skipped.append(Skipped(path, f"{exc.reason}; kept the version indexed before"))
            if stored is None:
                continue  # an update: the indexed version stays as it is
            story = _as_stored(stored, previous)  # a rebuild: embedded again from its text
        assert tokens is not None
        passages = split_passages(story.text, tokens, max_tokens=passage_tokens)
        if not passages:
            report.skipped.append(Skipped(path, "no text to index"))
            continue
        if story.replaced:
            report.damaged.append(
                Skipped(path, f"{story.replaced} undecodable byte sequence(s) shown as \ufffd")
            )
        prepared.append(_Prepared(story, passages, previous))
        (report.updated if previous is not None else report.added).append(story.title)
    return prepared


def _as_stored(store: Store, row: StoryRow) -> StoryText:
    """A story as an index holds it: its text exactly as it was read then."""
    return StoryText(
        path=Path(row.path),
        title=row.title,
        text=store.story_text(row.id),
        content_hash=row.content_hash,
        source_format=row.source_format,
        encoding=None,
    )


def _resumable(
    layout: IndexDir, embedder: Embedder, old_generation: Path | None
) -> tuple[Staging, TokenCoder]:
    """Where embedded batches are kept until the build is published, and what collects their
    token codes (with the previous generation's codec, when there is one to keep)."""
    staging = Staging(layout.path, f"{embedder.model_ref}|{embedder.precision}")
    previous = TokenCodes.open(old_generation) if old_generation is not None else None
    return staging, TokenCoder(previous, embedder.dimension)


def _embed(
    embedder: Embedder,
    prepared: Sequence[_Prepared],
    staging: Staging,
    notify: ProgressCallback,
    cancel: threading.Event | None,
    *,
    tokens: TokenCoder,
    ray: RayEmbedding | None = None,
) -> tuple[VectorArray, list[VectorArray], int]:
    """Passage and sentence vectors of every prepared passage, in order, and how many passages
    were embedded now; their token codes go to `tokens`, by the same row. A passage a stopped
    build already embedded comes from the staging area, and every batch embedded here goes
    there at once. Embedded in chunks, in story order, so progress can name the story; each
    passage's sentence and token vectors come from its own forward pass
    (index/embed/sentences.py)."""
    import numpy as np

    passages = [(item, p) for item in prepared for p in item.passages]
    texts = [item.story.text[p.start : p.end] for item, p in passages]
    spans = [[(s.start - p.start, s.end - p.start) for s in p.sentences] for _, p in passages]
    keys = [staging.key(text, span) for text, span in zip(texts, spans, strict=True)]
    dimension = embedder.dimension
    vectors = np.empty((len(passages), dimension), dtype=np.float32)
    sentence_vectors: list[VectorArray] = [np.empty((0, dimension), np.float32)] * len(passages)
    staged = staging.load() if keys else {}
    if tokens.codec is None and staged:  # the quantizer a stopped build trained, if it got one
        trained = staging.codec()
        tokens.codec = trained if trained is not None and trained.kind == "pq" else None
    tokens.on_trained = staging.save_codec
    todo: list[int] = []
    for row, key in enumerate(keys):
        found = staged.get(key)
        if found is None or not _usable_tokens(found, tokens.codec):
            todo.append(row)
            continue
        vectors[row], sentence_vectors[row] = found.vector, found.sentences
        if found.token_codec:  # codes of this build's codec (checked above)
            tokens.add_codes([row], [np.asarray(found.tokens, dtype=np.uint8)])
        else:
            tokens.add([row], [np.asarray(found.tokens, dtype=np.float32)])
    titles = [passages[row][0].story.title for row in todo]
    done = 0
    started = time.perf_counter()
    notify(BuildProgress("embedding", 0, len(todo), titles[0] if titles else ""))

    def batch_done(count: int) -> None:  # after every batch: a step of at most batch_size
        nonlocal done
        done += count
        rate = done / max(time.perf_counter() - started, 1e-9)
        left = (len(todo) - done) / rate if rate > 0 else None
        story = titles[min(done, len(titles)) - 1]
        notify(BuildProgress("embedding", done, len(todo), story, rate, left))

    def embedded(
        chunk: list[int],
        batch: list[int],
        got: VectorArray,
        got_sentences: list[VectorArray],
        got_tokens: list[VectorArray],
    ) -> None:  # after every batch: its vectors in place, and staged
        rows = [chunk[i] for i in batch]
        vectors[rows] = got
        for row, its_sentences in zip(rows, got_sentences, strict=True):
            sentence_vectors[row] = its_sentences
        tokens.add(rows, got_tokens)
        codec = tokens.codec if all(row in tokens.codes for row in rows) else None
        staging.save(
            [keys[row] for row in rows],
            got,
            got_sentences,
            [tokens.codes[row] for row in rows]
            if codec is not None
            else [t.astype(np.float16) for t in got_tokens],
            codec.fingerprint if codec is not None else "",
        )

    # On Ray, one pipeline for the whole build: its actors load the model once.
    embed = ray.embed if ray is not None else embed_with_sentences
    chunk_size = max(1, len(todo)) if ray is not None else _EMBED_CHUNK
    for first in range(0, len(todo), chunk_size):
        chunk = todo[first : first + chunk_size]
        embed(
            embedder,
            [texts[row] for row in chunk],
            [spans[row] for row in chunk],
            token_counts=[passages[row][1].token_count for row in chunk],
            cancel=cancel,
            on_batch=batch_done,
            on_embedded=functools.partial(embedded, chunk),
        )
    return vectors, sentence_vectors, len(todo)


def _usable_tokens(staged: Staged, codec: TokenCodec | None) -> bool:
    """Whether a staged passage's tokens can be used: vectors always, codes only of `codec`."""
    return not staged.token_codec or (codec is not None and staged.token_codec == codec.fingerprint)


def _write_generation(
    partial: Path,
    *,
    old_store: Store | None,
    old_generation: Path | None,
    embedder: Embedder,
    prepared: Sequence[_Prepared],
    vectors: VectorArray,
    sentence_vectors: Sequence[VectorArray],
    old_tokens: TokenCodes | None,
    token_codec: TokenCodec,
    token_codes: dict[int, Codes],
    gone: Sequence[StoryRow],
    sources: Sequence[str],
    excluded: set[str],
    report: BuildReport,
    passage_tokens: int | None,
    separate_process: bool | None,
) -> None:
    if old_store is not None and old_generation is not None:
        store = old_store.copy_to(partial / DATABASE_NAME)
        index = VectorIndex.read(old_generation / VECTORS_NAME)
    else:
        store = Store.create(partial / DATABASE_NAME)
        index = VectorIndex.empty(embedder.dimension)
    sentences = open_sentence_index(
        old_generation if old_store is not None else None, embedder.dimension
    )
    new_codes: dict[int, Codes] = {}  # by passage id
    try:
        for row in [*gone, *(item.replaces for item in prepared if item.replaces is not None)]:
            removed = store.delete_story(row.id)
            index.remove(removed)
            sentences.remove_passages(removed)
        kept = store.all_passage_ids()  # before the new ones are added
        next_id = max(store.max_passage_id() + 1, int(store.meta().get("next_passage_id", 0)))
        row_of_vector = 0
        for item in prepared:
            story = item.story
            story_id = store.add_story(
                path=path_text(story.path),
                title=story.title,
                content_hash=story.content_hash,
                source_format=story.source_format,
                text=story.text,
            )
            ids = list(range(next_id, next_id + len(item.passages)))
            store.add_passages(
                story_id,
                (
                    NewPassage(
                        id=pid,
                        ordinal=p.ordinal,
                        start=p.start,
                        end=p.end,
                        token_count=p.token_count,
                        sentences=[(s.start, s.end) for s in p.sentences],
                    )
                    for pid, p in zip(ids, item.passages, strict=True)
                ),
            )
            index.add(ids, vectors[row_of_vector : row_of_vector + len(ids)])
            add_sentences(
                sentences, ids, sentence_vectors[row_of_vector : row_of_vector + len(ids)]
            )
            for pid, at in zip(ids, range(row_of_vector, row_of_vector + len(ids)), strict=True):
                new_codes[pid] = token_codes[at]
            row_of_vector += len(ids)
            next_id += len(ids)
        for path in store.sources()[0]:
            if path not in sources:
                store.remove_source(path)
        store.add_sources(sources)
        for path in excluded:
            store.remove_source(path)
        report.passages_total = store.passage_count()
        if report.passages_total != len(index):
            raise IndexCorrupt(
                f"Internal mismatch: {report.passages_total} passages but {len(index)} vectors. "
                f"{REBUILD_ADVICE}"
            )
        index = index.fitted()  # exact search while small, an inverted file past that
        precision = _precisions(
            store.meta().get("precision") if kept else None,
            embedder.precision if any(item.passages for item in prepared) else None,
        )
        store.set_meta(
            _metadata(embedder, next_id, report.passages_total, index, precision)
            | {"passage_tokens": str(passage_tokens or "")}
        )
        store.commit()
        kill_point("while-saving")
        write_search_files(partial, store, sentences, separate=separate_process)
        _write_tokens(partial, old_tokens, token_codec, kept, new_codes)
        write_build_record(partial, sources, excluded, embedder.model_ref, report.skipped)
    finally:
        store.close()
    index.write(partial / VECTORS_NAME)


def _write_tokens(
    partial: Path,
    old: TokenCodes | None,
    codec: TokenCodec,
    kept: Sequence[int],
    new_codes: dict[int, Codes],
) -> None:
    """The token codes of the passages kept from the previous generation (those it has) and
    of the new ones, all in the terms of `codec`."""
    carried = [pid for pid in kept if old is not None and pid in old]
    total = sum(len(codes) for codes in new_codes.values())
    if old is not None:
        total += sum(old.count(pid) for pid in carried)  # from its table: no code read twice
    passages = itertools.chain(carried_codes(old, codec, carried), new_codes.items())
    write_token_codes(partial, codec, passages, total)


def _precisions(kept: str | None, now: str | None) -> str:
    """What the index records as its precision: every one its vectors came from, joined by
    "+" ("bf16+fp32" after a float32 refresh of a bfloat16 index: they rank alike)."""
    made = {part for part in (kept or "").split("+") if part}
    if now is not None:
        made.add(now)
    return "+".join(sorted(made))


def _metadata(
    embedder: Embedder, next_id: int, passages: int, index: VectorIndex, precision: str
) -> dict[str, str]:
    return {
        "schema_version": str(SCHEMA_VERSION),
        "model_name": embedder.name,
        "model_ref": embedder.model_ref,
        "dimension": str(embedder.dimension),
        "max_tokens": str(embedder.max_tokens),
        "precision": precision or embedder.precision,
        "index_kind": index.kind,
        "index_params": index.params,
        "passages": str(passages),
        "next_passage_id": str(next_id),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        **{f"version_{name}": _version(name) for name in _LIBRARIES},
    }


_LIBRARIES = ("storylens", "sentence-transformers", "transformers", "torch", "faiss-cpu")


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"
