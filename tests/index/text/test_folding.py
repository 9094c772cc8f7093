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


def _fold_the_long_way(text: str) -> str:
    """fold() without its shortcuts: the table, NFKD, marks dropped, case folded."""
    import unicodedata

    from index.text import folding

    decomposed = unicodedata.normalize("NFKD", text.translate(folding._NO_DECOMPOSITION))
    return str(folding._MARKS.sub("", decomposed).casefold())


# ASCII, punctuation fold() leaves alone (curly quotes, dashes, guillemets), and characters it
# must not leave alone (ellipsis, no-break space and hyphen, accents, ligatures, a lone mark)
MIXED = "aZ ,.'\"-\u2019\u2018\u201c\u201d\u2014\u2013\u2026\u00ab\u00bb\u00a0\u2011éŁßİﬁ\u0301½"


@given(st.text(alphabet=st.sampled_from(MIXED)))
def test_folding_takes_shortcuts_only_where_they_change_nothing(text: str) -> None:
    assert fold(text) == _fold_the_long_way(text)


@given(st.text())
def test_folding_any_text_gives_what_the_long_way_gives(text: str) -> None:
    assert fold(text) == _fold_the_long_way(text)
