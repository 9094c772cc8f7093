"""Publishing a built library to Milvus: only what changed since the last publish.

A story is the unit, as in the local build: one whose id and content hash Milvus already holds
is left alone; one gone or changed is deleted; one new is written passages first and its story
row last. The ids about to be written are recorded in NAME_meta before the first row goes in,
so a publish that is interrupted (a crash, a lost connection) is finished by the next one: it
clears those stories' rows and writes them again. Searching meanwhile sees the stories already
complete, never half of one.

The token codes are only comparable under one codec. When the local build trained another
(index/store/tokens.py), every story is written again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import StorylensError
from index.store.database import StoryRow
from index.store.generation import Generation
from index.store.generations import IndexDir
from index.store.milvus import MilvusAddress
from index.store.milvus.layout import (
    BLOB_PART,
    FORMAT,
    PLACEHOLDER,
    TEXT_LIMIT,
    Collections,
    batches,
    connect,
    create,
    exists,
    first_line,
    load,
    query_all,
    read_meta,
)
from index.store.sentences import passage_of, sentence_ids_of
from index.text.folding import words
from index.text.stems import stem_words

_STORIES_PER_BATCH = 20
Progress = Callable[[int, int], None]  # (stories written, stories to write)


@dataclass(frozen=True)
class Published:
    written: int  # stories written now
    removed: int  # stories deleted (gone or changed)
    kept: int  # stories Milvus already held unchanged
    passages: int  # passages in Milvus after the publish


def publish(
    generation: Generation,
    address: MilvusAddress,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Published:
    """Make the library at `address` hold what `generation` holds."""
    client = connect(address)
    try:
        return _publish(
            client,
            Collections.named(address.name),
            generation,
            address,
            progress=progress,
            cancel=cancel,
        )
    except StorylensError:
        raise
    except Exception as exc:  # a server gone away mid-way: the next publish finishes the job
        raise StorylensError(
            f"Publishing to Milvus at {address.text} stopped: {first_line(exc)}. "
            "Run the same command again to finish it."
        ) from exc
    finally:
        client.close()


def publish_index(
    index_dir: Path,
    address: MilvusAddress,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Published:
    """publish() the live generation of the local index at `index_dir`."""
    generation = Generation.open(IndexDir(index_dir).current())
    try:
        return publish(generation, address, progress=progress, cancel=cancel)
    finally:
        generation.close()


def _publish(
    client: Any,
    names: Collections,
    generation: Generation,
    address: MilvusAddress,
    *,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Published:
    meta = dict(generation.meta)
    if not exists(client, names):
        create(client, names, int(meta["dimension"]), exact=address.is_local_file)
        _set_meta(client, names, {"format": FORMAT})
    load(client, names)
    remote_meta = read_meta(client, names)
    _check_same_library(remote_meta, meta, address)
    codec = generation.tokens.codec if generation.tokens is not None else None
    fingerprint = codec.fingerprint if codec is not None else "none"
    same_codec = remote_meta.get("token_codec") == fingerprint
    held = _held_stories(client, names)  # complete stories: their row is written last
    half_written = [sid for sid in json.loads(remote_meta.get("pending", "[]")) if sid not in held]
    _delete_stories(client, names, half_written)
    local = {row.id: row for row in generation.stories()}
    ids_by_story = generation.passage_ids_by_story()
    wanted = {sid: _published_as(row, ids_by_story.get(sid, [])) for sid, row in local.items()}
    if same_codec:
        changed = [sid for sid, digest in held.items() if wanted.get(sid) != digest]
    else:
        changed = list(held)  # codes under another codec: everything is written again
        held = {}
    new = [sid for sid, digest in wanted.items() if held.get(sid) != digest]
    _set_meta(client, names, {"pending": json.dumps(new)})
    _delete_stories(client, names, changed)
    if not same_codec:
        client.delete(names.blobs, filter='kind == "codec"')
        if codec is not None:
            encoded = base64.b64encode(codec.to_bytes()).decode()
            client.insert(names.blobs, list(_blob_rows("codec", 0, 0, encoded)))
        _set_meta(client, names, {"token_codec": fingerprint})
    done = 0
    for batch in batches(new, _STORIES_PER_BATCH):
        if cancel is not None and cancel.is_set():
            raise StorylensError("Publishing was cancelled; run it again to finish.")
        _write_stories(client, names, generation, [local[sid] for sid in batch])
        done += len(batch)
        if progress is not None:
            progress(done, len(new))
    sources, excluded = generation.sources()
    _set_meta(
        client,
        names,
        {
            **{f"build.{key}": value for key, value in meta.items()},
            "sources": json.dumps(sources),
            "excluded": json.dumps(sorted(excluded)),
            "pending": "[]",
        },
    )
    client.flush(names.passages)
    count = _count(client, names.passages)
    return Published(len(new), len(changed), len(local) - len(new), count)


def _check_same_library(
    remote: dict[str, str], local: dict[str, str], address: MilvusAddress
) -> None:
    if remote.get("format") != FORMAT:
        raise StorylensError(
            f"The Milvus library at {address.text} is in layout {remote.get('format')}, and this "
            f"Storylens writes layout {FORMAT}: publish to another name."
        )
    model = remote.get("build.model_name")
    if model is not None and model != local.get("model_name"):
        raise StorylensError(
            f"The Milvus library at {address.text} was built with model {model}, not "
            f"{local.get('model_name')}: publish to another name, or drop its collections."
        )


def _held_stories(client: Any, names: Collections) -> dict[int, str]:
    rows = query_all(client, names.stories, "id >= 0", ["id", "published"])
    return {int(row["id"]): str(row["published"]) for row in rows}


def _published_as(story: StoryRow, passage_ids: Sequence[int]) -> str:
    """What a story is held under in Milvus: its content and its passages' ids, so that a
    working copy rebuilt from scratch (new passage ids, same text) is published again rather
    than left pointing at ids that now name other passages."""
    ids = ",".join(str(pid) for pid in passage_ids)
    return hashlib.sha256(f"{story.content_hash}\n{ids}".encode()).hexdigest()[:32]


def _delete_stories(client: Any, names: Collections, story_ids: Sequence[int]) -> None:
    for batch in batches(story_ids, 1000):
        where = f"story_id in {list(batch)}"
        client.delete(names.passages, filter=where)
        client.delete(names.sentences, filter=where)
        client.delete(names.blobs, filter=where)
        client.delete(names.stories, filter=f"id in {list(batch)}")


def _write_stories(
    client: Any, names: Collections, generation: Generation, stories: list[StoryRow]
) -> None:
    passages: list[dict[str, Any]] = []
    sentences: list[dict[str, Any]] = []
    blobs: list[dict[str, Any]] = []
    story_rows: list[dict[str, Any]] = []
    tokens = generation.tokens
    for story in stories:
        text = generation.story_text(story.id)
        rows = generation.story_passages(story.id)
        ids = [row.id for row in rows]
        spans = generation.sentences_of(ids)
        vectors = generation.passage_vectors(ids)
        flat, _counts = sentence_ids_of(ids, [len(spans[pid]) for pid in ids])
        try:
            sentence_vectors = generation.sentence_vectors(flat)
        except KeyError:  # an index built before sentences had vectors: passages alone
            flat, sentence_vectors = flat[:0], vectors[:0]
        for row, vector in zip(rows, vectors, strict=True):
            folded = words(text[row.start : row.end])
            passages.append(
                {
                    "id": row.id,
                    "story_id": story.id,
                    "ordinal": row.ordinal,
                    "start": row.start,
                    "end": row.end,
                    "token_count": row.token_count,
                    "sentences": json.dumps(spans[row.id]),
                    "text": _checked(text[row.start : row.end], story),
                    "words": _checked(" ".join(folded), story),
                    "stems": _checked(" ".join(stem_words(folded)), story),
                    "vector": vector.tolist(),
                }
            )
            if tokens is not None and row.id in tokens:
                codes = base64.b64encode(tokens.codes(row.id).tobytes()).decode()
                blobs.extend(_blob_rows("tokens", row.id, story.id, codes))
        for sid, vector in zip(flat, sentence_vectors, strict=True):
            sentences.append(
                {
                    "id": int(sid),
                    "passage_id": passage_of(int(sid))[0],
                    "story_id": story.id,
                    "vector": vector.tolist(),
                }
            )
        blobs.extend(_blob_rows("text", story.id, story.id, text))
        mean = vectors.mean(axis=0) if len(vectors) else np.zeros(vectors.shape[1], np.float32)
        norm = float(np.linalg.norm(mean))
        story_rows.append(
            {
                "id": story.id,
                "path": story.path,
                "title": story.title,
                "content_hash": story.content_hash,
                "published": _published_as(story, ids),
                "source_format": story.source_format,
                "passage_count": len(rows),
                "vector": (mean / norm if norm > 0 else mean).tolist(),
            }
        )
    for collection, rows_of in (
        (names.passages, passages),
        (names.sentences, sentences),
        (names.blobs, blobs),
    ):
        for batch in batches(rows_of, 500):
            client.insert(collection, list(batch))
    client.insert(names.stories, story_rows)  # last: a story is visible once complete


def _checked(value: str, story: StoryRow) -> str:
    if len(value.encode("utf-8")) > TEXT_LIMIT:
        raise StorylensError(
            f"A passage of {story.title} is longer than Milvus stores ({TEXT_LIMIT} bytes); "
            "index with a passage length (--passage-tokens) to cut it."
        )
    return value


def _blob_rows(kind: str, owner: int, story_id: int, data: str) -> Iterator[dict[str, Any]]:
    parts = _parts(data)
    for part, chunk in enumerate(parts):
        yield {
            "kind": kind,
            "owner": owner,
            "story_id": story_id,
            "part": part,
            "data": chunk,
            "unused": PLACEHOLDER,
        }


def _parts(data: str) -> list[str]:
    """`data` in pieces that each fit a Milvus string (UTF-8 bytes, not characters)."""
    parts: list[str] = []
    at = 0
    while at < len(data) or not parts:
        size = BLOB_PART
        while len(data[at : at + size].encode("utf-8")) > TEXT_LIMIT:
            size //= 2
        parts.append(data[at : at + size])
        at += size
    return parts


def _set_meta(client: Any, names: Collections, values: dict[str, str]) -> None:
    client.upsert(
        names.meta,
        [{"key": key, "value": value, "unused": PLACEHOLDER} for key, value in values.items()],
    )


def _count(client: Any, collection: str) -> int:
    rows = client.query(collection, filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"])
