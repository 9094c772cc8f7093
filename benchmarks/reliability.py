"""The reliability matrix: each way of losing data or being misled, tried through the command
line as a person would, on a copy of the sample stories. Prints one row per case with what
happened, so a tree can be compared with another (before and after a change):

    python benchmarks/reliability.py                    # this checkout
    python benchmarks/reliability.py --code OTHER_TREE  # another checkout's index/, same cases

The model is loaded by the commands that embed; the others (info, similar) read stored vectors
only. About two minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Cli:
    def __init__(self, code: Path) -> None:
        self.code = code  # run from there: `python -m` puts the working folder first on the path
        self.env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}

    def output(self, index: Path, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "index.cli", "--index", str(index), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.code,
            check=False,
            timeout=600,
        ).stdout

    def __call__(self, index: Path, *args: str) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "index.cli", "--index", str(index), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.code,
            check=False,
            timeout=600,
        )
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
        tail = lines[-1] if lines else ""
        if "Traceback" in done.stderr:
            tail = "traceback: " + done.stderr.strip().splitlines()[-1]
        return done.returncode, tail[:110]


def stories(work: Path) -> Path:
    folder = work / "stories"
    shutil.copytree(ROOT / "seeds", folder)
    return folder


def case_foreign_folder(cli: Cli, work: Path) -> str:
    mine = work / "my-folder"
    (mine / "gen-2023-photos").mkdir(parents=True)
    (mine / "gen-2023-photos" / "photo1.txt").write_text("sunset", "utf-8")
    (mine / "gen-notes.partial").mkdir()
    (mine / "gen-notes.partial" / "draft.txt").write_text("draft", "utf-8")
    code, said = cli(mine, "index", str(stories(work)))
    kept = sum(1 for p in mine.rglob("*.txt"))
    return f"exit {code}; {kept} of 2 files of yours left; {said}"


def case_missing_source(cli: Cli, work: Path) -> str:
    folder, index = stories(work), work / "ix"
    cli(index, "index", str(folder))
    folder.rename(work / "renamed")
    code, said = cli(index, "index")
    _, info = cli(index, "info")
    return f"exit {code}; {said} | {info}"


def case_readers_during_publish(cli: Cli, work: Path) -> str:
    folder, index = stories(work), work / "ix"
    cli(index, "index", str(folder))
    story = folder / "camilla-roche.txt"
    stop = threading.Event()

    def write() -> None:
        for n in range(6):
            with story.open("a", encoding="utf-8") as f:
                f.write(f"\n\nA new paragraph, number {n}.")
            cli(index, "index")
        stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = false_damage = 0
    while not stop.is_set():
        code, _said = cli(index, "info")
        reads += 1
        false_damage += code != 0
    writer.join()
    return f"{false_damage} false 'damaged' in {reads} reads during 6 publishes"


def case_non_utf8_name(cli: Cli, work: Path) -> str:
    folder, index = stories(work), work / "ix"
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text("A story with a Latin-1 name.", "utf-8")
    code, said = cli(index, "index", str(folder))
    return f"exit {code}; {said}"


def _built(cli: Cli, work: Path) -> tuple[Path, Path]:
    index = work / "ix"
    cli(index, "index", str(stories(work)))
    generation = index / (index / "CURRENT").read_text("utf-8").strip()
    return index, generation


def case_random_bytes_in_vectors(cli: Cli, work: Path) -> str:
    index, generation = _built(cli, work)
    vectors = generation / "passages.faiss"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(range(64))
    vectors.write_bytes(bytes(data))
    code, said = cli(index, "similar", "3")
    return f"similar: exit {code}; {said}"


def case_keyword_file_deleted(cli: Cli, work: Path) -> str:
    index, generation = _built(cli, work)
    next(generation.glob("keywords.*.npy")).unlink()
    code, said = cli(index, "index")
    return f"index: exit {code}; {said}"


def case_damaged_database_header(cli: Cli, work: Path) -> str:
    index, generation = _built(cli, work)
    database = generation / "storylens.sqlite"
    data = bytearray(database.read_bytes())
    data[:100] = bytes(100)
    database.write_bytes(bytes(data))
    code, said = cli(index, "index", "--rebuild")
    return f"index --rebuild: exit {code}; {said}"


def case_damaged_database_page(cli: Cli, work: Path) -> str:
    index, generation = _built(cli, work)
    database = generation / "storylens.sqlite"
    data = bytearray(database.read_bytes())
    data[2 * 4096 :] = bytes([0x5A]) * (len(data) - 2 * 4096)
    database.write_bytes(bytes(data))
    code, said = cli(index, "info")
    return f"info: exit {code}; {said}"


def case_utf8_with_bad_bytes(cli: Cli, work: Path) -> str:
    folder, index = stories(work), work / "ix"
    story = folder / "sofia-kalejs.txt"
    raw = bytearray(story.read_bytes())
    for at in (300, 900, 1500, 1800, 2100):
        raw[at] = 0xFF
    story.write_bytes(bytes(raw))
    code, said = cli(index, "index", str(folder))
    found = cli.output(index, "search", "Kalējs", "--mode", "keyword", "-k", "1", "--json")
    right = "Sofía Kalējs" in found
    return f"exit {code}; accents {'kept' if right else 'wrong'}; {said}"


def case_killed_clean_up(cli: Cli, work: Path) -> str:
    index, generation = _built(cli, work)
    stale = index / "gen-000000"
    shutil.copytree(generation, stale)  # what a clean-up killed half-way leaves
    cli(index, "index")  # nothing to write
    return f"stale generation {'removed' if not stale.exists() else 'still on disk'}"


def case_killed_build(cli: Cli, work: Path) -> str:
    index, _generation = _built(cli, work)
    _, before = cli(index, "info")
    big = work / "stories" / "big.txt"
    big.write_text("\n\n".join(f"Paragraph {i}: rain on the harbour." for i in range(3000)))
    child = subprocess.Popen(
        [sys.executable, "-m", "index.cli", "--index", str(index), "index"],
        env=cli.env,
        cwd=cli.code,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        child.wait(timeout=25)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
    code, after = cli(index, "info")
    return f"info after kill -9: exit {code}; same as before: {after == before}"


CASES: list[tuple[str, Callable[[Cli, Path], str]]] = [
    ("index into a folder of your own files", case_foreign_folder),
    ("source folder renamed, then refresh", case_missing_source),
    ("reads while generations are published", case_readers_during_publish),
    ("a file name that is not UTF-8", case_non_utf8_name),
    ("random bytes in the vector file", case_random_bytes_in_vectors),
    ("a keyword file deleted, then refresh", case_keyword_file_deleted),
    ("damaged database header, then --rebuild", case_damaged_database_header),
    ("damaged database page, then info", case_damaged_database_page),
    ("UTF-8 with five bad bytes", case_utf8_with_bad_bytes),
    ("leftovers of a killed clean-up", case_killed_clean_up),
    ("a build killed with -9 while embedding", case_killed_build),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose index/ runs")
    args = parser.parse_args()
    cli = Cli(args.code.resolve())
    for name, case in CASES:
        with tempfile.TemporaryDirectory(prefix="storylens-reliability-") as work:
            try:
                outcome = case(cli, Path(work))
            except Exception as exc:  # the row says what broke; the next case still runs
                outcome = f"the case itself failed: {type(exc).__name__}: {exc}"
        print(f"{name:42} {outcome}", flush=True)


if __name__ == "__main__":
    main()
