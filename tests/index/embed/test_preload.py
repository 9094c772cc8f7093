"""Torch's CPU library opened before torch is imported, with the GIL released (see
index/embed/preload.py): in a process of its own, where torch was not imported yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
from index.embed.preload import preload_torch_library
preload_torch_library()
print("libtorch_cpu.so" in open("/proc/self/maps").read(), "torch" in sys.modules)
import torch
print(float(torch.ones(3, dtype=torch.bfloat16).sum()))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the preload is for Linux's dlopen")
def test_the_library_is_loaded_before_torch_and_torch_then_works() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "3.0"]
