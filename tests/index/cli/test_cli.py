"""The command line: its commands run in-process (`main([...])`), as a script would call them,
with real exit codes and output; one smoke test runs it as its own process."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.cli.main import main
from tests.conftest import SEEDS_TITLES

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def storylens(*args: str, index: Path) -> Ran:
    """`storylens --index INDEX ARGS...` in this process: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--index", str(index), *args])
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Path:
    """The sample stories indexed by `storylens index`; the model loads once per process, so
    the commands here share the session's."""
    where = tmp_path_factory.mktemp("cli") / "ix"
    done = storylens("index", str(ROOT / "seeds"), index=where)
    assert done.returncode == 0, done.stderr
    assert "Added 4" in done.stdout
    return where


def test_search_json_is_stable_and_ranked(cli_index: Path) -> None:
    done = storylens("search", "an apology from a father", "-k", "3", "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["query"] == "an apology from a father"
    hits = result["hits"]
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert set(hits[0]) == {
        "rank",
        "score",
        "relevance",
        "passage_id",
        "story_id",
        "story",
        "ordinal",
        "story_passages",
        "start",
        "end",
        "text",
        "sentences",
        "before",
        "after",
        "why",
    }
    assert hits[0]["story"] == "Sofia Kalejs"
    why = hits[0]["why"]
    assert set(why) == {"sentences", "words", "dense", "keyword", "token_match"}
    assert 0 < why["token_match"] <= 1  # a hybrid search's first hits are read word by word
    assert all(hits[0]["start"] <= s < e <= hits[0]["end"] for s, e in why["words"])
    assert why["sentences"][0] in hits[0]["sentences"]


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_search_mode_and_query_syntax(cli_index: Path, mode: str) -> None:
    query = '"Madame Petrova" teacher -Moscow'
    done = storylens("search", query, "--mode", mode, "-k", "3", "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert [h["story"] for h in hits] == ["Romy Baktybekova"]
    assert "Madame Petrova" in hits[0]["text"]


def test_an_unknown_mode_is_a_usage_error(cli_index: Path) -> None:
    done = storylens("search", "ballet", "--mode", "fuzzy", index=cli_index)
    assert done.returncode == 2


def test_queries_file_answers_each_line_as_json_lines(cli_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text("a nightclub in Moscow\n\nher strict teacher Madame Petrova\n", "utf-8")
    done = storylens("search", "--queries", str(queries), "-k", "2", index=cli_index)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in lines] == [
        "a nightclub in Moscow",
        "her strict teacher Madame Petrova",
    ]
    assert lines[0]["hits"][0]["story"] == "Sofia Kalmurzaeva"
    assert lines[1]["hits"][0]["story"] == "Romy Baktybekova"


def test_story_filter_and_similar(cli_index: Path) -> None:
    done = storylens("search", "music", "--story", "Camilla Roche", "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert {h["story"] for h in hits} == {"Camilla Roche"}
    similar = storylens(
        "similar", str(hits[0]["passage_id"]), "--other-stories", "--json", index=cli_index
    )
    assert similar.returncode == 0, similar.stderr
    assert "Camilla Roche" not in {h["story"] for h in json.loads(similar.stdout)["hits"]}


def test_info_reports_how_the_index_was_built(cli_index: Path) -> None:
    done = storylens("info", "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["meta"]["model_name"] == "all-MiniLM-L6-v2"
    assert len(info["stories"]) == 4


def test_failures_exit_1_with_one_clear_line(tmp_path: Path, cli_index: Path) -> None:
    missing = storylens("search", "anything", index=tmp_path / "nowhere")
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("storylens: No index at")
    assert "Traceback" not in missing.stderr
    empty = storylens("search", "   ", index=cli_index)
    assert empty.returncode == 1
    assert "empty" in empty.stderr


def test_usage_errors_exit_2(cli_index: Path) -> None:
    assert storylens("search", index=cli_index).returncode == 2
    assert storylens("search", "x", "-k", "many", index=cli_index).returncode == 2
    dash = storylens("search", "-dance", "ballet", index=cli_index)
    assert dash.returncode == 2
    assert "storylens search -- '-word text'" in dash.stderr
    assert storylens("search", "--", "-dance ballet", index=cli_index).returncode == 0


def test_index_reports_skipped_files_and_goes_on(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "good.txt").write_text("A fisherman mends his nets at dawn.", "utf-8")
    (stories / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    done = storylens("index", str(stories), str(tmp_path / "missing"), index=tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    assert "Added 1: Good" in done.stdout
    assert "Skipped 2 file(s)" in done.stdout
    assert "photo.jpg" in done.stdout
    assert "missing" in done.stdout
    info = storylens("info", index=tmp_path / "ix")  # the index keeps what it left out
    assert f"Skipped     {stories / 'photo.jpg'}: " in info.stdout
    listed = json.loads(storylens("info", "--json", index=tmp_path / "ix").stdout)["skipped"]
    assert [Path(f["path"]).name for f in listed] == ["photo.jpg", "missing"]


def test_index_of_nothing_but_missing_paths_fails_and_builds_nothing(tmp_path: Path) -> None:
    done = storylens("index", str(tmp_path / "storeis"), index=tmp_path / "ix")
    assert done.returncode == 1
    assert done.stderr == f"storylens: nothing to index: not found: {tmp_path / 'storeis'}\n"
    assert not (tmp_path / "ix").exists()


def passage_id(cli_index: Path, query: str, story: str) -> int:
    done = storylens("search", query, "-k", "1", "--story", story, "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["hits"][0]["passage_id"])


def test_compare_aligns_the_bow_sentences_of_two_stories(cli_index: Path) -> None:
    camilla = passage_id(cli_index, "the audience applauds her triumphant bow", "Camilla Roche")
    sofia = passage_id(cli_index, "her final bow and thunderous applause", "Sofia Kalejs")
    done = storylens("compare", str(camilla), str(sofia), "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {
        "left",
        "right",
        "similarity",
        "threshold",
        "pairs",
        "left_only",
        "right_only",
    }
    assert (result["left"]["story"], result["right"]["story"]) == ("Camilla Roche", "Sofia Kalejs")
    assert result["left"]["passage_id"] == camilla
    left, right = result["left"]["sentences"], result["right"]["sentences"]
    joined = [(left[p["left"]]["text"], right[p["right"]]["text"]) for p in result["pairs"]]
    assert any("triumphant bow" in a and ("bow" in b or "applause" in b) for a, b in joined)
    matched = {p["left"] for p in result["pairs"]}
    assert sorted([*matched, *result["left_only"]]) == list(range(len(left)))

    text = storylens("compare", str(camilla), str(sofia), index=cli_index)
    assert text.returncode == 0, text.stderr
    assert "Camilla Roche, passage" in text.stdout
    assert "triumphant bow" in text.stdout
    assert "Only in Sofia Kalejs:" in text.stdout

    # As a file: each matched pair marked in its colour on both sides of an HTML table.
    page = storylens("compare", str(camilla), str(sofia), "--format", "html", index=cli_index)
    assert page.returncode == 0, page.stderr
    assert page.stdout.count("<mark") == 2 * len(result["pairs"])
    assert "Camilla Roche, passage" in page.stdout and "triumphant bow" in page.stdout


def test_compare_threshold_and_errors(cli_index: Path) -> None:
    camilla = passage_id(cli_index, "the audience applauds her triumphant bow", "Camilla Roche")
    sofia = passage_id(cli_index, "her final bow and thunderous applause", "Sofia Kalejs")
    strict = storylens(
        "compare", str(camilla), str(sofia), "--threshold", "0.99", "--json", index=cli_index
    )
    assert strict.returncode == 0, strict.stderr
    result = json.loads(strict.stdout)
    assert result["threshold"] == 0.99
    assert result["pairs"] == []
    assert len(result["left_only"]) == len(result["left"]["sentences"])
    missing = storylens("compare", str(camilla), "999999", index=cli_index)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "storylens: No passage 999999 in this index."
    assert storylens("compare", str(camilla), index=cli_index).returncode == 2
    assert storylens("compare", "1", "2", "--threshold", "3", index=cli_index).returncode == 2


def test_the_command_runs_as_its_own_process(cli_index: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "index.cli",
            "--index",
            str(cli_index),
            "search",
            "ballet",
            "-k",
            "1",
        ],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "1." in done.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "index.cli", "search", "x", "-k", "many"],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert usage.returncode == 2


def test_a_reader_that_stops_reading_ends_the_command_quietly(cli_index: Path) -> None:
    """`storylens info | head -1`: no traceback and no error line once the reader has gone."""
    command = [sys.executable, "-m", "index.cli", "--index", str(cli_index), "info"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    ) as ran:
        assert ran.stdout is not None and ran.stderr is not None
        ran.stdout.close()  # before the command writes a line
        stderr = ran.stderr.read()
        code = ran.wait(timeout=300)
    assert code == 141, stderr
    assert stderr == ""


def test_info_marks_stories_whose_folder_is_offline(
    seeds: Path, tmp_path: Path, fake_embedder: object
) -> None:
    from index.build.builder import build_index
    from tests.fake_embedder import FakeEmbedder

    assert isinstance(fake_embedder, FakeEmbedder)
    odd = seeds / os.fsdecode(b"caf\xe9.txt")
    odd.write_text("A story with a Latin-1 name.", "utf-8")
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    here = json.loads(storylens("info", "--json", index=where).stdout)
    assert [s["offline"] for s in here["stories"]] == [False] * 5
    seeds.rename(tmp_path / "elsewhere")
    build_index([], where, embedder=fake_embedder)  # kept, not removed
    done = storylens("info", "--json", index=where)
    assert done.returncode == 0, done.stderr
    assert [s["offline"] for s in json.loads(done.stdout)["stories"]] == [True] * 5
    assert storylens("info", index=where).stdout.count("[source offline]") == 5


def test_info_check_says_sound_or_names_the_damage(
    seeds: Path, tmp_path: Path, fake_embedder: object
) -> None:
    from index.build.builder import build_index
    from index.store.generations import IndexDir
    from tests.fake_embedder import FakeEmbedder

    assert isinstance(fake_embedder, FakeEmbedder)
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    sound = storylens("info", "--check", index=where)
    assert sound.returncode == 0, sound.stderr
    assert sound.stdout.startswith("Sound:")
    sentences = IndexDir(where).current() / "sentences.faiss"
    data = bytearray(sentences.read_bytes())
    data[-100:-36] = bytes(64)
    sentences.write_bytes(bytes(data))
    damaged = storylens("info", "--check", index=where)
    assert damaged.returncode == 1
    lines = damaged.stderr.splitlines()
    assert (
        lines[0]
        == "storylens: damaged: sentences.faiss has changed since it was written (checksum)"
    )
    assert "--rebuild" in lines[-1]


def test_a_phrase_nothing_has_answers_without_it_and_says_so(cli_index: Path) -> None:
    query = 'her final bow "a purple elephant"'
    done = storylens("search", query, "--json", "-k", "3", index=cli_index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["relaxed"] == ['"a purple elephant"']
    assert len(result["hits"]) == 3
    plain = storylens("search", "her final bow", "--json", "-k", "3", index=cli_index)
    assert json.loads(plain.stdout)["relaxed"] == []
    text = storylens("search", query, "-k", "1", index=cli_index)
    assert text.stdout.startswith(
        'No passage meets "a purple elephant" with the rest of the query: the closest without it.'
    )


def test_index_may_be_relative_and_come_after_the_command(
    seeds: Path, tmp_path: Path, fake_embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.build.builder import build_index
    from tests.fake_embedder import FakeEmbedder

    assert isinstance(fake_embedder, FakeEmbedder)
    build_index([seeds], tmp_path / "ix", embedder=fake_embedder)
    monkeypatch.chdir(tmp_path)
    before = storylens("info", "--json", index=Path("ix"))  # --index ix info
    assert before.returncode == 0, before.stderr
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["info", "--json", "--index", "ix"]) == 0
    assert json.loads(out.getvalue()) == json.loads(before.stdout)
    monkeypatch.setenv("STORYLENS_INDEX", "ix")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["info", "--json"]) == 0
    assert json.loads(out.getvalue())["path"] == str(tmp_path / "ix")


def test_progress_off_a_terminal_is_a_line_every_few_seconds() -> None:
    from index.build.builder import BuildProgress
    from index.cli.progress import ProgressBar

    log = io.StringIO()  # not a terminal: a log file, a pipe
    bar = ProgressBar(log, every=3600)
    for done in range(0, 129, 64):
        bar.update(BuildProgress("embedding", done, 128, "Sofia Kalejs", 40.0, (128 - done) / 40))
    lines = log.getvalue().splitlines()
    assert lines == [
        "Embedding: 0 of 128 passages (40/s, 3 s left) · Sofia Kalejs",
        "Embedding: 128 of 128 passages (40/s, 0 s left) · Sofia Kalejs",
    ]  # the first, then none within the hour but the last


def test_precision_is_chosen_on_the_command_line_and_recorded(
    tmp_path: Path, cli_index: Path
) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "nets.txt").write_text("A fisherman mends his nets at dawn.", "utf-8")
    done = storylens("index", str(stories), "--precision", "fp32", index=tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    info = json.loads(storylens("info", "--json", index=tmp_path / "ix").stdout)
    assert info["meta"]["precision"] == "fp32"
    # Searched in the other precision: they rank alike (tests/index/embed/test_model.py).
    found = storylens("search", "mending nets", "--precision", "bf16", "--json", index=cli_index)
    assert found.returncode == 0, found.stderr
    assert storylens("index", "--precision", "int8", index=cli_index).returncode == 2


def test_in_limits_search_and_similar_to_a_collection(tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "harbour.txt").write_text(
        "The fisherman mended his nets at dawn while the gulls argued over the harbour.", "utf-8"
    )
    loose = tmp_path / "letter.txt"
    loose.write_text("Dear sister, the orchard bloomed early and the bees came back.", "utf-8")
    where = tmp_path / "ix"
    built = storylens("index", str(ROOT / "seeds"), str(drafts), str(loose), index=where)
    assert built.returncode == 0, built.stderr

    info = json.loads(storylens("info", "--json", index=where).stdout)
    collections = {c["name"]: c for c in info["collections"]}
    assert list(collections) == ["Sample stories", "drafts", "Single stories"]
    assert collections["Sample stories"]["samples"]
    assert len(collections["Sample stories"]["story_ids"]) == 4
    assert collections["drafts"]["folder"] == str(drafts)
    listed = storylens("info", index=where).stdout
    assert f"Collection  drafts  (1 story)  {drafts}" in listed

    only_drafts = storylens("search", "a dancer on stage", "--in", "drafts", "--json", index=where)
    assert only_drafts.returncode == 0, only_drafts.stderr
    assert {h["story"] for h in json.loads(only_drafts.stdout)["hits"]} == {"Harbour"}
    both = storylens(
        "search",
        "fishing nets",
        "--in",
        str(drafts),
        "--in",
        "single stories",
        "--json",
        index=where,
    )
    assert {h["story"] for h in json.loads(both.stdout)["hits"]} == {"Harbour", "Letter"}
    samples = storylens(
        "search", "fishing nets", "--in", "Sample stories", "-k", "10", "--json", index=where
    )
    hits = json.loads(samples.stdout)["hits"]
    assert hits and {h["story"] for h in hits} <= SEEDS_TITLES
    similar = storylens(
        "similar", str(hits[0]["passage_id"]), "--in", "drafts", "--json", index=where
    )
    assert {h["story"] for h in json.loads(similar.stdout)["hits"]} == {"Harbour"}

    unknown = storylens("search", "nets", "--in", "nowhere", index=where)
    assert unknown.returncode == 1
    assert unknown.stderr.count("\n") == 1
    assert "No collection is called 'nowhere'" in unknown.stderr
    assert "Sample stories; drafts; Single stories" in unknown.stderr


def test_a_named_collection_gathers_stories_and_limits_a_search(
    cli_index: Path, tmp_path: Path
) -> None:
    where = tmp_path / "ix"
    shutil.copytree(cli_index, where)
    made = storylens("collection", "Bows", "--add", "Camilla Roche", "Sofia Kalejs", index=where)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "Bows  (2 stories, gathered)"
    listed = storylens("collection", index=where).stdout.splitlines()
    assert listed[0].startswith("Sample stories  (4 stories, ")
    assert listed[1] == "Bows  (2 stories, gathered)"
    found = storylens(
        "search", "she bows to the applause", "--in", "bows", "-k", "10", "--json", index=where
    )
    assert {h["story"] for h in json.loads(found.stdout)["hits"]} == {
        "Camilla Roche",
        "Sofia Kalejs",
    }
    storylens("collection", "Bows", "--remove", "Sofia Kalejs", index=where)
    assert (
        storylens("collection", "Bows", index=where).stdout.strip() == "Bows  (1 story, gathered)"
    )
    gone = storylens("collection", "Bows", "--delete", index=where)
    assert gone.returncode == 0 and gone.stdout == ""
    assert len(json.loads(storylens("info", "--json", index=where).stdout)["stories"]) == 4
    unknown = storylens("collection", "Bows", "--add", "Nobody", index=where)
    assert unknown.returncode == 1 and "No story is called 'Nobody'" in unknown.stderr


def test_moment_ranks_the_other_stories_closest_passages(cli_index: Path) -> None:
    camilla = passage_id(cli_index, "the audience applauds her triumphant bow", "Camilla Roche")
    done = storylens("moment", str(camilla), "-k", "2", "--json", index=cli_index)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert [h["rank"] for h in hits] == [1, 2]
    assert hits[0]["score"] >= hits[1]["score"]
    assert hits[0]["story"] == "Sofia Kalejs" and "final bow" in hits[0]["text"]
    assert "Camilla Roche" not in {h["story"] for h in hits}
    one = storylens(
        "moment", str(camilla), "--story", "Romy Baktybekova", "--json", index=cli_index
    )
    assert [h["story"] for h in json.loads(one.stdout)["hits"]] == ["Romy Baktybekova"]


def test_answers_are_written_as_documents(cli_index: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    done = storylens(
        "search", "her final bow", "-k", "3", "--format", "csv", "-o", str(target), index=cli_index
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"Wrote {target}" and done.stdout == ""
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["rank", "relevance", "story"] and len(rows) == 4
    page = storylens(
        "align", "Camilla Roche", "Sofia Kalejs", "--format", "html", index=cli_index
    ).stdout
    assert page.startswith("<!DOCTYPE html>") and "<th>Camilla Roche</th>" in page
    markdown = storylens(
        "moment",
        str(passage_id(cli_index, "bow", "Camilla Roche")),
        "--format",
        "md",
        index=cli_index,
    ).stdout
    assert markdown.startswith("# The same moment as passage") and "## 1. " in markdown


def test_side_by_side_wants_two_to_five_stories(tmp_path: Path) -> None:
    """Checked before anything opens: the window, the demo or a command."""
    for wrong in (
        ["--side-by-side", "One story"],
        ["--side-by-side", *(f"Story {n}" for n in range(6))],
    ):
        said = storylens(*wrong, index=tmp_path / "nothing")
        assert said.returncode == 2, wrong
        assert said.stderr.startswith("storylens: --side-by-side takes 2 to 5 stories"), wrong
