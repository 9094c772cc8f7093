"""Passages follow paragraphs, fit the model's real token limit, and slice the story exactly."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from index.embed.model import default_model_dir
from index.text.passages import HFTokenCounter, PassageSpan, split_passages

MODEL_DIR = default_model_dir()  # found from the installed package, wherever it is
SEEDS = sorted((Path(__file__).resolve().parents[3] / "seeds").glob("*.txt"))

# Pieces that stress sentence splitting and tokenisation: titles, abbreviations, words past
# WordPiece's 100-character limit, CJK, emoji (ZWJ families, flags, keycaps), combining and
# spacing marks, Hangul, Arabic prepend marks, literal special tokens.
TRICKY_PIECES = [
    "the",
    "said",
    "Dr.",
    "Mr.",
    "e.g.",
    "U.S.A.",
    "3.14",
    "...",
    "?!",
    '"Why?"',
    "unbelievably",
    "naïve",
    "e\u0301",
    "\u0301",
    "a\u093e\u093e\u093e",
    "किताब",
    "क्षि",
    "東京",
    "日本語の文章です。",
    "한국어",
    "😀",
    "👨\u200d👩\u200d👧",
    "🇫🇷🇩🇪",
    "#\ufe0f\u20e3",
    "\u0600",
    "\u200b",
    "ß",
    "İ",
    "[SEP]",
    "[CLS]",
    "x" * 150,
    "abc" * 40,
]
SEPARATORS = [" ", "  ", ". ", "! ", "? ", "\n", "\n\n", "\n \n", "\r\n", "\r\n\r\n", "\t"]
ODD_SEPARATORS = ["\u3000", "\u2028", "\u2029", "\x0c", "\x0b", "\x1c", "\x85", ""]

stories = st.lists(
    st.one_of(
        st.sampled_from(TRICKY_PIECES),
        st.sampled_from(SEPARATORS + ODD_SEPARATORS),
        st.text(max_size=40),
    ),
    max_size=120,
).map("".join)
# Whitespace that the tokenizer and Python agree on, so a token never spans a paragraph break.
plain_stories = st.lists(
    st.one_of(st.sampled_from(TRICKY_PIECES), st.sampled_from(SEPARATORS)),
    max_size=150,
).map("".join)

property_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def counter() -> HFTokenCounter:
    return HFTokenCounter.from_model_dir(MODEL_DIR)


@pytest.fixture(scope="module")
def small_counter() -> HFTokenCounter:
    """A tiny limit, so that ordinary text has to be split."""
    return HFTokenCounter.from_model_dir(MODEL_DIR, max_tokens=32)


def passage_texts(text: str, passages: list[PassageSpan]) -> list[str]:
    return [text[p.start : p.end] for p in passages]


def sentence_texts(text: str, passage: PassageSpan) -> list[str]:
    return [text[s.start : s.end] for s in passage.sentences]


def assert_valid_passages(text: str, passages: list[PassageSpan], counter: HFTokenCounter) -> None:
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    previous_end = 0
    for passage in passages:
        # In order, not overlapping, and only whitespace left between them.
        assert previous_end <= passage.start < passage.end <= len(text)
        assert not text[previous_end : passage.start].strip()
        body = text[passage.start : passage.end]
        assert body == body.strip()
        # Counted by the real tokenizer and within the model's limit.
        assert passage.token_count == counter.count(body) <= counter.max_tokens
        # Sentences slice the story, lie in the passage in order, and cover its non-whitespace.
        assert passage.sentences
        assert passage.sentences[0].start == passage.start
        assert passage.sentences[-1].end == passage.end
        cursor = passage.start
        for sentence in passage.sentences:
            assert cursor <= sentence.start < sentence.end <= passage.end
            assert not text[cursor : sentence.start].strip()
            sentence_text = text[sentence.start : sentence.end]
            assert sentence_text == sentence_text.strip()
            cursor = sentence.end
        previous_end = passage.end
    assert not text[previous_end:].strip()


def grapheme_boundaries(text: str) -> set[int]:
    return {0, *(m.end() for m in regex.finditer(r"\X", text))}


@property_settings
@given(text=stories)
@example(text="0\x1f0. the")  # a control "space" (crashed the splitter used before)
def test_any_text_is_covered_by_valid_passages_within_the_model_limit(
    text: str, counter: HFTokenCounter
) -> None:
    assert_valid_passages(text, split_passages(text, counter), counter)


@property_settings
@given(text=stories, target=st.integers(min_value=3, max_value=40))
def test_a_small_limit_forces_splits_that_stay_valid(
    text: str, target: int, small_counter: HFTokenCounter
) -> None:
    passages = split_passages(text, small_counter, target_tokens=target, min_tokens=target // 3)
    assert_valid_passages(text, passages, small_counter)


@property_settings
@given(text=plain_stories)
def test_passages_never_split_a_token_or_a_grapheme(
    text: str, small_counter: HFTokenCounter
) -> None:
    passages = split_passages(text, small_counter)
    assert_valid_passages(text, passages, small_counter)
    tokens = small_counter.offsets(text)
    boundaries = grapheme_boundaries(text)
    for before, after in pairwise(passages):
        assert not any(a < before.end and b > after.start for a, b in tokens)
        assert any(before.end <= b <= after.start for b in boundaries)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.stem)
def test_each_seed_paragraph_is_one_passage_of_whole_sentences(
    seed: Path, counter: HFTokenCounter
) -> None:
    text = seed.read_text("utf-8")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    passages = split_passages(text, counter)
    assert passage_texts(text, passages) == paragraphs
    for passage in passages:
        sentences = sentence_texts(text, passage)
        assert 2 <= len(sentences) <= 5
        for sentence in sentences:
            assert sentence[0].isupper() or sentence[0] in "\"'"
            assert sentence.rstrip("\"'")[-1] in ".!?"


def test_a_seed_paragraph_has_exactly_its_sentences(counter: HFTokenCounter) -> None:
    text = (Path(__file__).resolve().parents[3] / "seeds" / "camilla-roche.txt").read_text()
    first = split_passages(text, counter)[0]
    assert sentence_texts(text, first) == [
        "Camilla Roche stood at the edge of the stage, her eyes scanning the crowded room "
        "with an air of quiet confidence.",
        "The spotlight shone down on her, illuminating the intricate patterns on her dark hair "
        "and the delicate curve of her lips.",
        "She took a deep breath, feeling the familiar flutter in her chest as she prepared to "
        "take the stage.",
    ]


def test_titles_and_abbreviations_do_not_end_sentences(counter: HFTokenCounter) -> None:
    text = (
        'Dr. Watson arrived late. Mr. Holmes waited on Baker St. for him. "Why?" asked Mrs. Hudson.'
    )
    [passage] = split_passages(text, counter)
    assert sentence_texts(text, passage) == [
        "Dr. Watson arrived late.",
        "Mr. Holmes waited on Baker St. for him.",
        '"Why?" asked Mrs. Hudson.',
    ]


def test_hard_wrapped_lines_do_not_end_sentences(counter: HFTokenCounter) -> None:
    text = "She opened the door\nand looked out at the\r\nrain. Nobody was there."
    [passage] = split_passages(text, counter)
    assert sentence_texts(text, passage) == [
        "She opened the door\nand looked out at the\r\nrain.",
        "Nobody was there.",
    ]


NORMAL = (
    "The harbour lay quiet under a low grey sky, and the fishing boats rocked gently against "
    "the old stone quay while the gulls circled overhead, waiting for the morning catch."
)


def test_runs_of_short_dialogue_lines_share_a_passage(counter: HFTokenCounter) -> None:
    dialogue = ['"Now?"', '"Not yet."', '"When, then?"', '"Soon."', '"You said that before."']
    text = "\n\n".join([NORMAL, *dialogue, NORMAL])
    passages = split_passages(text, counter)
    assert passage_texts(text, passages) == [NORMAL, "\n\n".join(dialogue), NORMAL]
    assert sentence_texts(text, passages[1]) == dialogue


def test_a_lone_short_paragraph_stays_its_own_passage(counter: HFTokenCounter) -> None:
    text = f"{NORMAL}\n\n* * *\n\n{NORMAL}"
    assert passage_texts(text, split_passages(text, counter)) == [NORMAL, "* * *", NORMAL]


def test_a_long_run_of_short_lines_is_packed_up_to_the_target(counter: HFTokenCounter) -> None:
    lines = [f'"Line number {n}, she said."' for n in range(40)]
    text = "\n\n".join(lines)
    passages = split_passages(text, counter, target_tokens=60, min_tokens=24)
    assert len(passages) > 1
    assert all(p.token_count <= 60 for p in passages)
    # Packing never breaks a paragraph: each passage is a run of whole lines.
    assert "\n\n".join(passage_texts(text, passages)) == text


def test_a_long_paragraph_splits_between_sentences_near_the_target(
    counter: HFTokenCounter,
) -> None:
    sentences = [f"Sentence {n} tells of the storm that came over the hills." for n in range(300)]
    text = " ".join(sentences)  # one paragraph of 17,000 characters
    passages = split_passages(text, counter)
    assert len(passages) >= 20
    assert all(p.token_count <= 160 for p in passages)
    assert [s for p in passages for s in sentence_texts(text, p)] == sentences


def test_an_overlong_sentence_is_cut_between_words(small_counter: HFTokenCounter) -> None:
    # 5 + 2 tokens, so 30-token pieces would end inside "unbelievably" if cut by count alone.
    words = ["unbelievably", "lanternlight"] * 60
    text = " ".join(words)
    passages = split_passages(text, small_counter)
    assert len(passages) > 5
    assert all(p.token_count <= 32 for p in passages)
    assert " ".join(passage_texts(text, passages)) == text  # every cut falls at a space
    for passage in passages:  # the pieces are sentences of their own
        assert sentence_texts(text, passage) == [text[passage.start : passage.end]]


def test_text_without_spaces_is_cut_at_token_and_grapheme_boundaries(
    small_counter: HFTokenCounter,
) -> None:
    # One 72-character word of 18 graphemes; each grapheme is 4 tokens, so most token starts
    # fall inside a grapheme.
    text = "\u0915\u093e\u093f\u093e" * 18
    passages = split_passages(text, small_counter)
    assert len(passages) >= 3
    assert "".join(passage_texts(text, passages)) == text
    token_starts = {a for a, _ in small_counter.offsets(text)}
    boundaries = grapheme_boundaries(text)
    for passage in passages[1:]:
        assert passage.start in token_starts
        assert passage.start in boundaries
    assert_valid_passages(text, passages, small_counter)


def test_a_mark_after_a_full_stop_stays_with_its_sentence(counter: HFTokenCounter) -> None:
    # The splitter starts the next sentence at the combining mark, inside the grapheme ".\u0301".
    text = "Hello.\u0301 World. Next one."
    [passage] = split_passages(text, counter)
    assert sentence_texts(text, passage) == ["Hello.\u0301", "World.", "Next one."]


def test_a_word_longer_than_wordpiece_reads_is_one_token_and_never_cut(
    small_counter: HFTokenCounter,
) -> None:
    text = "x" * 5000  # WordPiece turns a word over 100 characters into a single [UNK]
    [passage] = split_passages(text, small_counter)
    assert (passage.start, passage.end, passage.token_count) == (0, 5000, 3)


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\r\n\u3000\n"])
def test_blank_text_has_no_passages(text: str, counter: HFTokenCounter) -> None:
    assert split_passages(text, counter) == []


def test_counter_ignores_the_truncation_and_padding_in_tokenizer_json(
    counter: HFTokenCounter,
) -> None:
    # tokenizer.json of all-MiniLM-L6-v2 truncates and pads to 128 tokens.
    assert counter.count("word " * 300) == 302
    assert counter.count("word") == 3
    assert counter.offsets("Hello world") == [(0, 5), (6, 11)]


def test_counter_reads_the_limit_from_the_sentence_transformers_config() -> None:
    assert HFTokenCounter.from_model_dir(MODEL_DIR).max_tokens == 256
    assert HFTokenCounter.from_model_dir(MODEL_DIR, max_tokens=64).max_tokens == 64


def test_counter_copies_the_tokenizer_it_wraps() -> None:
    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    wrapped = HFTokenCounter(tokenizer, max_tokens=256)
    assert wrapped.count("word " * 300) == 302
    assert tokenizer.truncation is not None  # the caller's tokenizer keeps its settings
    assert len(tokenizer.encode("word " * 300).ids) == 128


def test_counter_accepts_a_transformers_fast_tokenizer() -> None:
    transformers = pytest.importorskip("transformers")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(MODEL_DIR / "tokenizer.json"))
    assert HFTokenCounter(fast, max_tokens=256).count("word " * 300) == 302


def test_counter_rejects_what_is_not_a_fast_tokenizer() -> None:
    with pytest.raises(TypeError):
        HFTokenCounter(object(), max_tokens=256)


def test_limits_that_cannot_work_are_rejected(counter: HFTokenCounter) -> None:
    with pytest.raises(ValueError):
        split_passages("text", HFTokenCounter.from_model_dir(MODEL_DIR, max_tokens=2))
    with pytest.raises(ValueError):
        split_passages("text", counter, target_tokens=20, min_tokens=30)
