"""Load torch's main shared library without holding Python's GIL.

`import torch` opens libtorch_cpu.so (hundreds of MB) with the GIL held, so every other thread
of the process stops for the 0.35-0.45 s the dynamic loader takes: the window froze for that
long while its worker loaded the model (benchmarks/bench_gui.py). Through ctypes, the C
library's own dlopen() runs with the GIL released; torch's import then finds the library
loaded. Where anything differs (another system, another layout of the wheel), nothing is done
and torch loads it itself, as before.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from pathlib import Path

_LIBRARY = "libtorch_cpu.so"
_done = threading.Event()


def preload_torch_library() -> None:
    """Open torch's CPU library once, before torch is imported (a no-op after that)."""
    if _done.is_set() or sys.platform != "linux" or "torch" in sys.modules:
        return
    _done.set()
    spec = importlib.util.find_spec("torch")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return
    library = Path(next(iter(spec.submodule_search_locations))) / "lib" / _LIBRARY
    if not library.is_file():
        return
    try:
        dlopen = ctypes.CDLL(None).dlopen  # a foreign call: ctypes releases the GIL for it
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    # Never closed: torch keeps it for the life of the process anyway. RTLD_LOCAL, as torch
    # opens it (as a dependency of its extension module).
    dlopen(os.fsencode(library), os.RTLD_NOW | os.RTLD_LOCAL)
