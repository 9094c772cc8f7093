"""Keeps a long-running process's memory flat while the model reads texts of ever-new shapes.

Hybrid search re-reads its best passages with the model at every query (token_match.py), so a
session runs forward passes of hundreds of shapes, and two things grew without bound:
- oneDNN keeps a primitive, with its reordered weights, for every shape it has run (1024 by
  default): capped at 64, more than one forward pass needs;
- glibc raises its mmap threshold each time a large buffer is freed, after which activations are
  cut from the heap and the freed pieces are not returned: the threshold is fixed at 128 KiB.
On a 10,000-passage library, 100 queries took the process from 624 MB to 1437 MB before and to
785 MB after, at the same latency (benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

_PRIMITIVE_CACHE = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's <malloc.h>
_MMAP_THRESHOLD = 128 * 1024


def bound_inference_memory() -> None:
    """Call before the model's first forward pass: oneDNN reads its setting once."""
    os.environ.setdefault(_PRIMITIVE_CACHE, "64")
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc: no such threshold
            ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
