"""Accent- and case-free matching, and the way back to the original offsets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.text.folding import WORD, FoldedText, fold, words


def test_names_match_with_or_without_their_accents() -> None:
    assert fold("Sofía Kalējs") == fold("SOFIA KALEJS") == "sofia kalejs"
    assert words("Łódź, Ærøskøbing; straße") == ["lodz", "ærøskøbing".replace("ø", "o"), "strasse"]


def test_ligatures_and_compatibility_forms_fold_to_plain_letters() -> None:
    assert fold("ﬁnal Ⅻ ½") == "final xii 1\u20442"


@given(st.text())
def test_every_folded_character_points_into_the_original(text: str) -> None:
    folded = FoldedText.of(text)
    assert len(folded.origin) == len(folded.text)
    assert list(folded.origin) == sorted(folded.origin)
    assert all(0 <= i < len(text) for i in folded.origin)


@given(st.text(alphabet=st.sampled_from("aáeéiíoóuüñçĒēSsßŁł -,.'")))
def test_a_folded_word_maps_back_to_the_original_word(text: str) -> None:
    folded = FoldedText.of(text)
    for match in WORD.finditer(folded.text):
        start, end = folded.span(match.start(), match.end())
        assert fold(text[start:end]) == match.group()
