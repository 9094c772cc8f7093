"""`storylens --self-test` on the real model and the real sample stories."""

from __future__ import annotations

import io
from pathlib import Path

from index.cli.selftest import run_self_test
from index.embed.model import Embedder


def test_engine_checks_pass_and_a_failing_check_fails_the_run(embedder: Embedder) -> None:
    # One run (indexing is the slow part): every engine check must pass with the known answers,
    # and the window check given here fails, which must be reported and make the run fail.
    def broken_window(index_dir: Path, _: Embedder) -> str:
        raise RuntimeError(f"no window for {index_dir.name}")

    out = io.StringIO()

    code = run_self_test(out, embedder=embedder, window_check=broken_window)

    report = out.getvalue()
    assert code == 1
    lines = report.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * (len(lines) - 2) + ["FAIL"]
    assert "FAIL window: RuntimeError: no window for index" in report
    assert "-> Sofia Kalejs, passage 5" in report
    assert "ok   queries" in report and "on ONNX Runtime" in report
    assert lines[-1].startswith("self-test FAILED (1 of 9 checks)")
    [ranking] = [line for line in lines if line.startswith("ok   ranking")]
    if embedder.precision == "bf16":  # a CPU with bfloat16: compared with float32, and kept
        assert "bf16 keeps" in ranking and "of float32's top ten" in ranking
    else:
        assert "it is the reference" in ranking
