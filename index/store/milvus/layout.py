"""The collections that hold one library in Milvus, and the connection to them.

    NAME_passages   one row per passage: place in its story, text, sentence spans, the
                    passage vector, and its words twice for the two kinds of keyword search:
                    `words` (folded) for text_match filters, `stems` (folded, stemmed) feeding
                    Milvus's BM25 function, whose output is the sparse `keywords` field
    NAME_sentences  one row per sentence vector, under the local index's sentence id
    NAME_stories    one row per story: path, title, content hash, and what it was published
                    as (publish.py); its vector is the story's mean passage vector
    NAME_blobs      values longer than a Milvus string holds, in parts: each story's text,
                    each passage's token codes, the token codec
    NAME_meta       how the library was built (the local index's meta table), its sources

Words and stems are stored as the engine folds and stems them (index/text/), joined by spaces,
and Milvus's "standard" analyzer (\\w+, lower case) splits them back into exactly those terms,
so BM25 scores the same terms as the local keyword index with the same k1 and b. Milvus
requires a vector in every collection; blobs and meta carry a two-dimensional zero vector that
nothing searches.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from index.errors import StorylensError
from index.store.milvus import MilvusAddress

FORMAT = "1"  # of the collections' layout; a library in another format is refused, not misread
TEXT_LIMIT = 65_535  # bytes in a Milvus VARCHAR
BLOB_PART = 48_000  # characters of a blob per row: under TEXT_LIMIT bytes once base64 or UTF-8
# (a part of story text is cut on characters, and is re-cut if its UTF-8 is too long)
BM25_K1 = 1.5  # as bm25s scores the local keyword index (index/store/keywords.py)
BM25_B = 0.75
_ANALYZER = {"tokenizer": "standard"}
T = TypeVar("T")


@dataclass(frozen=True)
class Collections:
    passages: str
    sentences: str
    stories: str
    blobs: str
    meta: str

    @classmethod
    def named(cls, name: str) -> Collections:
        return cls(
            *(f"{name}_{part}" for part in ("passages", "sentences", "stories", "blobs", "meta"))
        )

    def all(self) -> tuple[str, ...]:
        return (self.passages, self.sentences, self.stories, self.blobs, self.meta)


def connect(address: MilvusAddress) -> Any:
    """A pymilvus client for `address`; a missing extra or an unreachable server is one line."""
    # gRPC's core logs to stderr on its own (a server's keepalive complaints during a long
    # publish, which the client survives by reconnecting); errors reach the person as one line
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StorylensError(
            "Milvus support is not installed here: pip install 'storylens[scale]'."
        ) from None
    # pymilvus logs every failed call with a traceback at ERROR; the engine reports errors itself
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    # Milvus Lite's in-process server logs, with a traceback, each call it does not implement;
    # pymilvus's query iterator asks for one (AllocTimestamp) and carries on without it.
    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(uri=address.uri)
    except Exception as exc:  # pymilvus raises its own and grpc's exceptions alike
        raise StorylensError(f"Cannot reach Milvus at {address.text}: {first_line(exc)}") from exc


def query_all(client: Any, collection: str, where: str, fields: list[str]) -> list[dict[str, Any]]:
    """Every row matching `where`, only `fields` of each, read in pages (a server answers at
    most 16,384 rows a call)."""
    found: list[dict[str, Any]] = []
    pages = client.query_iterator(collection, filter=where, output_fields=fields, batch_size=1000)
    try:
        while page := pages.next():
            found.extend({field: row[field] for field in fields} for row in page)
    finally:
        pages.close()
    return found


def read_meta(client: Any, names: Collections) -> dict[str, str]:
    rows = client.query(names.meta, filter='key != ""', output_fields=["key", "value"])
    return {str(row["key"]): str(row["value"]) for row in rows}


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """`items` a `size` at a time: a Milvus filter or insert of bounded length."""
    for at in range(0, len(items), size):
        yield list(items[at : at + size])


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def exists(client: Any, collections: Collections) -> bool:
    return all(client.has_collection(name) for name in collections.all())


def load(client: Any, collections: Collections) -> None:
    """Make the collections searchable (Milvus leaves them released after a restart)."""
    for name in collections.all():
        client.load_collection(name)


def create(client: Any, collections: Collections, dimension: int, *, exact: bool) -> None:
    """Make the five collections, their indexes, and load them. `exact`: passage and sentence
    vectors searched by a full scan (FLAT; what the local index does below 20,000 passages),
    else by HNSW, which a Milvus server builds and serves at any size."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    def schema(**options: Any) -> Any:
        return MilvusClient.create_schema(enable_dynamic_field=False, **options)

    dense = ("FLAT", {}) if exact else ("HNSW", {"M": 16, "efConstruction": 200})

    passages = schema(auto_id=False)
    passages.add_field("id", DataType.INT64, is_primary=True)
    for field in ("story_id", "ordinal", "start", "end", "token_count"):
        passages.add_field(field, DataType.INT64)
    passages.add_field("sentences", DataType.VARCHAR, max_length=TEXT_LIMIT)
    passages.add_field("text", DataType.VARCHAR, max_length=TEXT_LIMIT)
    for field in ("words", "stems"):
        passages.add_field(
            field,
            DataType.VARCHAR,
            max_length=TEXT_LIMIT,
            enable_analyzer=True,
            enable_match=True,
            analyzer_params=_ANALYZER,
        )
    passages.add_field("keywords", DataType.SPARSE_FLOAT_VECTOR)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    passages.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["stems"],
            output_field_names=["keywords"],
        )
    )
    index = client.prepare_index_params()
    index.add_index("vector", index_type=dense[0], metric_type="IP", params=dense[1])
    index.add_index(
        "keywords",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    index.add_index("story_id", index_type="INVERTED")
    _make(client, collections.passages, passages, index)

    sentences = schema(auto_id=False)
    sentences.add_field("id", DataType.INT64, is_primary=True)
    sentences.add_field("passage_id", DataType.INT64)
    sentences.add_field("story_id", DataType.INT64)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    index = client.prepare_index_params()
    index.add_index("vector", index_type=dense[0], metric_type="IP", params=dense[1])
    index.add_index("passage_id", index_type="INVERTED")
    _make(client, collections.sentences, sentences, index)

    stories = schema(auto_id=False)
    stories.add_field("id", DataType.INT64, is_primary=True)
    for field in ("path", "title", "content_hash", "source_format", "published"):
        stories.add_field(field, DataType.VARCHAR, max_length=TEXT_LIMIT)
    stories.add_field("passage_count", DataType.INT64)
    stories.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    _make(client, collections.stories, stories, index)

    blobs = schema(auto_id=True)
    blobs.add_field("id", DataType.INT64, is_primary=True)
    blobs.add_field("kind", DataType.VARCHAR, max_length=16)  # "text", "tokens", "codec"
    blobs.add_field("owner", DataType.INT64)  # story id (text), passage id (tokens), 0 (codec)
    blobs.add_field("story_id", DataType.INT64)
    blobs.add_field("part", DataType.INT64)
    blobs.add_field("data", DataType.VARCHAR, max_length=TEXT_LIMIT)
    blobs.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    _make(client, collections.blobs, blobs, _placeholder_index(client, owner=True))

    meta = schema(auto_id=False)
    meta.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
    meta.add_field("value", DataType.VARCHAR, max_length=TEXT_LIMIT)
    meta.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    _make(client, collections.meta, meta, _placeholder_index(client, owner=False))


PLACEHOLDER = [0.0, 0.0]  # the vector of a blob or meta row


def _placeholder_index(client: Any, *, owner: bool) -> Any:
    index = client.prepare_index_params()
    index.add_index("unused", index_type="FLAT", metric_type="L2")
    if owner:
        index.add_index("owner", index_type="INVERTED")
    return index


def _make(client: Any, name: str, schema: Any, index: Any) -> None:
    client.create_collection(name, schema=schema, index_params=index)
    client.load_collection(name)
