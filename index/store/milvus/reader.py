"""A library in Milvus opened for reading: the LibraryStore port (index/store/port.py) over the
collections of layout.py, and the keyword and phrase lookups that search there needs
(index/search/milvus_candidates.py).

Nothing is read from local files: anyone with the address searches, browses and compares.
Stories are read once at open, as the local store does; everything else is asked of Milvus
when needed, a thousand ids a call at most.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import IndexIncompatible, IndexNotFound, StorylensError
from index.store.database import PassageRow, StoryRow
from index.store.milvus import MilvusAddress
from index.store.milvus.layout import (
    FORMAT,
    Collections,
    batches,
    connect,
    exists,
    first_line,
    load,
    query_all,
    read_meta,
)
from index.store.tokens import TokenCodec

Vectors = npt.NDArray[np.float32]
_IDS_PER_CALL = 1000
_PASSAGE = ["id", "story_id", "ordinal", "start", "end", "token_count"]


class MilvusLibraryStore:
    """A LibraryStore over Milvus. One lock serialises calls on the client, which the window's
    workers share."""

    def __init__(self, address: MilvusAddress, client: Any, meta: dict[str, str]) -> None:
        self.address = address
        self.path = Path(address.uri if address.is_local_file else address.text)
        self.names = Collections.named(address.name)
        self.meta = {
            key[len("build.") :]: value for key, value in meta.items() if key.startswith("build.")
        }
        self._remote_meta = meta
        self._client = client
        self._lock = threading.RLock()
        self._holding: dict[tuple[str, str], int] = {}
        self._recent: OrderedDict[int, _Described] = OrderedDict()
        self._stories = [
            StoryRow(**row) for row in self._query(self.names.stories, "id >= 0", _STORY)
        ]
        self._stories.sort(key=lambda row: (_nocase(row.title), row.path))
        # a passage's place in the local keyword index: its story's place, then its ordinal
        self.story_rank = {row.id: rank for rank, row in enumerate(self._stories)}
        self._tokens = MilvusTokens(self) if meta.get("token_codec", "none") != "none" else None

    @classmethod
    def open(cls, text: str) -> MilvusLibraryStore:
        """Open the library at a Milvus address; none there, or one in another layout, is a
        one-line error that says what to do."""
        address = MilvusAddress.parse(text)
        if address.is_local_file and not Path(address.uri).exists():
            raise IndexNotFound(
                f"No library at {text} yet. Build one: storylens index --index {text} FOLDER"
            )
        client = connect(address)
        try:
            names = Collections.named(address.name)
            if not exists(client, names):
                raise IndexNotFound(
                    f"No library at {text} yet. Build one: storylens index --index {text} FOLDER"
                )
            load(client, names)
            meta = read_meta(client, names)
            if meta.get("format") != FORMAT:
                raise IndexIncompatible(
                    f"The library at {text} is in layout {meta.get('format')}; this Storylens "
                    f"reads layout {FORMAT}. Publish it again with this version."
                )
            if "build.model_name" not in meta:
                raise IndexNotFound(f"The library at {text} was never finished: index it again.")
            return cls(address, client, meta)
        except StorylensError:
            client.close()
            raise
        except Exception as exc:
            client.close()
            raise StorylensError(f"Cannot read the library at {text}: {first_line(exc)}") from exc

    @property
    def tokens(self) -> MilvusTokens | None:
        return self._tokens

    def close(self) -> None:
        with self._lock:
            self._client.close()

    # -- stories ---------------------------------------------------------------------------

    def stories(self) -> list[StoryRow]:
        return list(self._stories)

    def sources(self) -> tuple[list[str], set[str]]:
        meta = self._remote_meta
        return json.loads(meta.get("sources", "[]")), set(json.loads(meta.get("excluded", "[]")))

    def story_text(self, story_id: int) -> str:
        if not any(row.id == story_id for row in self._stories):
            raise KeyError(story_id)
        return self.blob("text", story_id)

    def blob(self, kind: str, owner: int) -> str:
        rows = self._query(
            self.names.blobs, f'kind == "{kind}" and owner == {int(owner)}', ["part", "data"]
        )
        return "".join(str(row["data"]) for row in sorted(rows, key=lambda row: int(row["part"])))

    # -- passages --------------------------------------------------------------------------

    def passage_count(self) -> int:
        return sum(row.passage_count for row in self._stories)

    def story_passages(self, story_id: int) -> list[PassageRow]:
        rows = self._query(self.names.passages, f"story_id == {int(story_id)}", _PASSAGE)
        return sorted((PassageRow(**row) for row in rows), key=lambda row: row.ordinal)

    def passages_by_id(self, ids: Sequence[int]) -> dict[int, PassageRow]:
        return {pid: found.row for pid, found in self._described(ids).items()}

    def _described(self, ids: Sequence[int]) -> dict[int, _Described]:
        """Each passage's row, text and sentences, asked of Milvus in one call for those not
        remembered: a search reads the same candidates' rows, texts and sentences in turn.
        Passages never change under their id (a changed story's get new ids), so what is
        remembered stays true."""
        wanted = [int(pid) for pid in ids]
        with self._lock:
            missing = [pid for pid in wanted if pid not in self._recent]
        if missing:
            self._remember(self._by_ids(self.names.passages, missing, _DESCRIBED))
        with self._lock:
            found = {pid: self._recent[pid] for pid in wanted if pid in self._recent}
            for pid in found:
                self._recent.move_to_end(pid)
        return found

    def _remember(self, rows: Iterable[dict[str, Any]]) -> list[_Described]:
        described = [
            _Described(
                PassageRow(**{field: row[field] for field in _PASSAGE}),
                str(row["text"]),
                [(int(s), int(e)) for s, e in json.loads(row["sentences"])],
            )
            for row in rows
        ]
        with self._lock:
            for item in described:
                self._recent[item.row.id] = item
            while len(self._recent) > _REMEMBERED:
                self._recent.popitem(last=False)
        return described

    def passages_at(self, places: Sequence[tuple[int, int]]) -> dict[tuple[int, int], PassageRow]:
        by_story: dict[int, list[int]] = {}
        for story_id, ordinal in places:
            if ordinal >= 0:
                by_story.setdefault(int(story_id), []).append(int(ordinal))
        found: dict[tuple[int, int], PassageRow] = {}
        if not by_story:
            return found
        where = " or ".join(
            f"(story_id == {story_id} and ordinal in {ordinals})"
            for story_id, ordinals in by_story.items()
        )
        for item in self._remember(self._query_few(self.names.passages, where, _DESCRIBED)):
            found[(item.row.story_id, item.row.ordinal)] = item.row
        return found

    def passage_ids_of_stories(self, story_ids: Sequence[int]) -> list[int]:
        found: list[int] = []
        for batch in batches(story_ids, _IDS_PER_CALL):
            rows = self._query(self.names.passages, f"story_id in {batch}", ["id"])
            found.extend(int(row["id"]) for row in rows)
        return found

    def passage_ids_by_story(self) -> dict[int, list[int]]:
        rows = self._query(self.names.passages, "id >= 0", ["id", "story_id", "ordinal"])
        rows.sort(key=lambda row: (int(row["story_id"]), int(row["ordinal"])))
        by_story: dict[int, list[int]] = {}
        for row in rows:
            by_story.setdefault(int(row["story_id"]), []).append(int(row["id"]))
        return by_story

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        return {pid: found.text for pid, found in self._described(ids).items()}

    def sentences_of(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        described = self._described(ids)
        return {int(pid): list(described[pid].sentences) if pid in described else [] for pid in ids}

    def sentence_counts(self, ids: Sequence[int]) -> dict[int, int]:
        return {pid: len(spans) for pid, spans in self.sentences_of(ids).items() if spans}

    # -- vectors ---------------------------------------------------------------------------

    def passage_vectors(self, ids: Sequence[int]) -> Vectors:
        return self._vectors(self.names.passages, ids)

    def sentence_vectors(self, sentence_ids: Sequence[int] | npt.NDArray[np.int64]) -> Vectors:
        return self._vectors(self.names.sentences, [int(i) for i in sentence_ids])

    def dense_search(
        self,
        vector: Vectors,
        n: int,
        only: Sequence[int] | None = None,
        exclude: Sequence[int] | None = None,
    ) -> list[tuple[float, int]]:
        conditions = []
        if only is not None:
            if not only:
                return []
            conditions.append(f"id in {[int(i) for i in only]}")
        if exclude:
            conditions.append(f"id not in {[int(i) for i in exclude]}")
        return self.dense_search_where(vector, n, " and ".join(conditions))

    def dense_search_where(self, vector: Vectors, n: int, where: str) -> list[tuple[float, int]]:
        """dense_search within a Milvus filter expression over the passages ("": all)."""
        return self.search_vectors(self.names.passages, vector, n, where)

    def ids_where(self, where: str) -> list[int]:
        """The passages a Milvus filter expression allows."""
        return [int(row["id"]) for row in self._query(self.names.passages, where, ["id"])]

    def search_vectors(
        self, collection: str, vector: Vectors, n: int, where: str = ""
    ) -> list[tuple[float, int]]:
        """(inner product, id) of the n rows of `collection` closest to `vector`, best first.
        `ef`: how widely HNSW (a server's index) looks, at least the n asked for; FLAT (a
        Milvus Lite file's) is exact and ignores it."""
        limit = max(1, min(int(n), 16_384))
        with self._lock:
            found = self._client.search(
                collection,
                data=[np.asarray(vector, dtype=np.float32).reshape(-1).tolist()],
                anns_field="vector",
                limit=limit,
                filter=where,
                output_fields=["id"],
                search_params={"metric_type": "IP", "params": {"ef": max(_HNSW_EF, limit)}},
            )
        return [(float(hit["distance"]), int(hit["id"])) for hit in found[0]]

    # -- keywords --------------------------------------------------------------------------

    def keyword_search(
        self, terms: Sequence[str], n: int, where: str = ""
    ) -> list[tuple[float, int]]:
        """(BM25, passage id) of the n passages best for these stems, best first; only passages
        holding at least one of them."""
        if not terms:
            return []
        with self._lock:
            found = self._client.search(
                self.names.passages,
                data=[" ".join(terms)],
                anns_field="keywords",
                limit=max(1, min(int(n), 16_384)),
                filter=where,
                output_fields=["id"],
                search_params={"metric_type": "BM25"},
            )
        # Milvus Lite answers BM25 as a distance (the score negated), a server as a score
        return [(abs(float(hit["distance"])), int(hit["id"])) for hit in found[0]]

    def holding(self, field: str, term: str) -> int:
        """How many passages hold `term` in `field` ("words" or "stems"); remembered, as the
        stories are, for as long as the library is open."""
        key = (field, term)
        if key not in self._holding:
            with self._lock:
                rows = self._client.query(
                    self.names.passages,
                    filter=f"text_match({field}, '{term}')",
                    output_fields=["count(*)"],
                )
            self._holding[key] = int(rows[0]["count(*)"])
        return self._holding[key]

    def ids_holding(self, field: str, terms: Sequence[str]) -> dict[int, str]:
        """The passages that hold every one of `terms` in `field`, with that field's text."""
        where = " and ".join(f"text_match({field}, '{term}')" for term in terms)
        rows = self._query(self.names.passages, where, ["id", field])
        return {int(row["id"]): str(row[field]) for row in rows}

    # -- reading ---------------------------------------------------------------------------

    def _vectors(self, collection: str, ids: Sequence[int]) -> Vectors:
        dimension = int(self.meta.get("dimension", "0"))
        if not len(ids):
            return np.empty((0, dimension), dtype=np.float32)
        found = {
            int(row["id"]): row["vector"] for row in self._by_ids(collection, ids, ["id", "vector"])
        }
        try:
            return np.asarray([found[int(i)] for i in ids], dtype=np.float32)
        except KeyError as exc:
            raise KeyError(exc.args[0]) from None

    def _by_ids(
        self, collection: str, ids: Sequence[int], fields: list[str]
    ) -> Iterator[dict[str, Any]]:
        for batch in batches([int(i) for i in ids], _IDS_PER_CALL):
            yield from self._query_few(collection, f"id in {batch}", fields)

    def _query_few(self, collection: str, where: str, fields: list[str]) -> list[dict[str, Any]]:
        """The rows matching `where`, known to be at most a page: one call, where an iterator
        takes at least two."""
        with self._lock:
            rows = self._client.query(collection, filter=where, output_fields=fields, limit=16_384)
        return [{field: row[field] for field in fields} for row in rows]

    def _query(self, collection: str, where: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every row matching `where`, read in pages (a server answers at most 16,384 at once)."""
        with self._lock:
            return query_all(self._client, collection, where, fields)


class MilvusTokens:
    """Stored token vectors of a library in Milvus (the StoredTokens port), decoded with the
    codec the library was published with."""

    def __init__(self, store: MilvusLibraryStore) -> None:
        self._store = store
        self._codec: TokenCodec | None = None

    def __contains__(self, passage_id: int) -> bool:
        return True  # a publish writes every passage's codes, or the library has none

    @property
    def codec(self) -> TokenCodec:
        if self._codec is None:
            self._codec = TokenCodec.from_bytes(base64.b64decode(self._store.blob("codec", 0)))
        return self._codec

    def vectors(self, passage_ids: Sequence[int]) -> tuple[Vectors, list[int]]:
        codec = self.codec
        if not passage_ids:
            return np.empty((0, codec.dimension), dtype=np.float32), []
        parts: dict[int, list[tuple[int, str]]] = {}
        for batch in batches([int(i) for i in passage_ids], _IDS_PER_CALL):
            rows = self._store._query_few(
                self._store.names.blobs,
                f'kind == "tokens" and owner in {batch}',
                ["owner", "part", "data"],
            )
            for row in rows:
                parts.setdefault(int(row["owner"]), []).append((int(row["part"]), str(row["data"])))
        codes = []
        for pid in passage_ids:
            data = base64.b64decode("".join(chunk for _, chunk in sorted(parts.get(int(pid), []))))
            codes.append(np.frombuffer(data, dtype=np.uint8).reshape(-1, codec.code_size))
        counts = [len(c) for c in codes]
        return codec.decode(np.concatenate(codes)), counts


_STORY = ["id", "path", "title", "content_hash", "source_format", "passage_count"]
_DESCRIBED = [*_PASSAGE, "text", "sentences"]
_HNSW_EF = 64  # a search's breadth on HNSW: recall@10 1.000 in benchmarks/README.md, run N
_REMEMBERED = 4096  # passages whose row, text and sentences are kept (a few MB)


@dataclass(frozen=True)
class _Described:
    row: PassageRow
    text: str
    sentences: list[tuple[int, int]]


def _nocase(text: str) -> str:
    """SQLite's NOCASE, by which the local store orders stories: ASCII letters folded only."""
    return "".join(char.lower() if char.isascii() else char for char in text)
