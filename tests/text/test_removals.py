"""The removal audit of cleaning: what clean_text drops is recorded, rule by rule, and the
cleaned text plus its removals rebuilds the input (pipeline/text/removals.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.cleaning import clean_text, clean_text_audited
from pipeline.text.removals import canonical, reconstruct, reconstructs
from tests.text.test_textclean import _prose


def _as_rows(removed: list[tuple[str, int, str]]) -> list[dict[str, object]]:
    return [{"rule": r, "position": at, "text": t} for r, at, t in removed]


def test_each_removal_names_its_rule_and_stands_where_it_was() -> None:
    text = (
        "Subscribe to our newsletter. The minister said on Monday that the budget would pass.\n"
        ".promo{color:red;font-size:12px}\n"
        "Read more: The council met on Tuesday and approved the plan after a long debate.\n"
        "Click here to subscribe!"
    )
    cleaned, removed = clean_text_audited(text)
    assert cleaned == (
        "The minister said on Monday that the budget would pass.\n"
        "The council met on Tuesday and approved the plan after a long debate."
    )
    assert [(rule, piece) for rule, _, piece in removed] == [
        ("chrome_sentence", "Subscribe to our newsletter."),
        ("code_residue", ".promo{color:red;font-size:12px}"),
        ("leading_fragment", "Read more:"),
        ("chrome_sentence", "Click here to subscribe!"),
    ]
    # positions: before the first paragraph, then at the end of the first one (twice: the
    # residue line, then the fragment glued to the second paragraph), then at the very end
    assert [at for _, at, _ in removed] == [0, 55, 55, len(cleaned)]
    assert reconstruct(cleaned, _as_rows(removed)).split() == text.split()


def test_nothing_removed_nothing_recorded() -> None:
    text = "The minister resigned on Tuesday.\nShe had been in office for four years."
    assert clean_text_audited(text) == (text, [])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _prose))
def test_cleaned_text_plus_removals_is_the_input(text: str) -> None:
    cleaned, removed = clean_text_audited(text)
    assert cleaned == clean_text(text)
    assert reconstructs(text, cleaned, _as_rows(removed))
    # a removal is never empty, and never counted as kept text
    assert all(canonical(piece) for _, _, piece in removed)
    assert all(0 <= at <= len(cleaned) for _, at, _ in removed)
