"""The shortcuts of the corpus stage equal the plain computations they stand for: the language
model's walk and encoding against py3langid's own."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from pipeline.corpuswide import langid

# text rich in what the shortcuts look at: ASCII and not, all caps, combining marks (NFC
# composes them), other scripts, and lone surrogates (encoded with surrogatepass)
_PIECES = [
    "The council voted",
    "BREAKING NEWS",
    "ΤΟ ΣΥΜΒΟΥΛΙΟ",
    "Café",
    "Cafe\u0301",
    "ﬁnance",
    "Город",
    "市议会",
    "🙂",
    " ",
    "\n",
    "2024-03-14",
    "l'abonnement",
    "\ud800",
]
_TEXT = st.lists(st.sampled_from(_PIECES) | st.text(max_size=12), max_size=12).map("".join)


@pytest.fixture(scope="module")
def model() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_encode_equals_py3langid_encoding(text: str) -> None:
    # the ASCII shortcut skips NFC, which changes no ASCII text
    assert langid.encode(text) == LanguageIdentifier._encode(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=20))
def test_the_dfa_walk_by_transition_index_finds_py3langid_features(
    model: LanguageIdentifier, texts: list[str]
) -> None:
    detector = langid.detector()
    encoded = sorted((langid.encode(t) for t in texts), key=len, reverse=True)
    rows, feats = detector._features(encoded)
    for row, text in enumerate(encoded):
        expected = visit_counts(model.tk_nextmove, model._rowbase, model.tk_output, text)
        assert Counter(feats[rows == row].tolist()) == (expected or Counter())


def test_the_dfa_walk_across_state_blocks(
    model: LanguageIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # strings longer than STATE_BLOCK bytes, and strings that end inside a block
    monkeypatch.setattr(langid, "STATE_BLOCK", 7)
    texts = ["Le conseil municipal a voté mardi " * 5, "Der Stadtrat", "x", "Город " * 9]
    encoded = sorted((langid.encode(t) for t in texts), key=len, reverse=True)
    rows, feats = langid.detector()._features(encoded)
    for row, text in enumerate(encoded):
        expected = visit_counts(model.tk_nextmove, model._rowbase, model.tk_output, text)
        assert Counter(feats[rows == row].tolist()) == (expected or Counter())
