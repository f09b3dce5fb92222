"""The shortcuts of the corpus stage equal the plain computations they stand for: the language
model's walk and encoding against py3langid's own; the normalised keys, word hashes and
shingles against a plain regex and a word at a time in Python."""

from __future__ import annotations

import hashlib
import sys
from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from pipeline.corpuswide import dedup, langid

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


# keys rich in what the word splitting looks at: every separator Python's split() knows, runs
# of them, separators at either end, letters of other scripts and empty keys
_SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
_KEY = st.lists(
    st.sampled_from([*_SPACES, "a", "bb", "Café", "市", "x2", "  "]) | st.text(max_size=6),
    max_size=16,
).map("".join)


def test_the_split_class_is_pythons_whitespace() -> None:
    # every code point: those Polars splits a key on are those str.split() splits it on
    points = pl.Series([chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000])
    matched = points.filter(points.str.contains(f"^[{dedup._PY_SPACE}]$")).to_list()
    assert matched == _SPACES


def _plain_word_hashes(key: str) -> list[int]:
    digests = (hashlib.blake2b(w.encode(), digest_size=8).digest() for w in key.split())
    return [int.from_bytes(d, "little") for d in digests]


def _plain_shingles(key: str, words: int) -> list[int]:
    """A shingle's hash, one word at a time in Python integers (mod 2**64)."""
    hashes = _plain_word_hashes(key)
    if not hashes:
        return [0]
    width = min(words, len(hashes))
    out = []
    for start in range(len(hashes) - width + 1):
        value = 0
        for h in hashes[start : start + width]:
            value = (value * int(dedup._SHINGLE_BASE) + h) % 2**64
        out.append(value)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(_KEY, max_size=8))
def test_word_hashes_equal_a_split_and_hash_per_word(keys: list[str]) -> None:
    hashes, counts = dedup.word_hashes(keys)
    assert counts.tolist() == [len(key.split()) for key in keys]
    assert hashes.tolist() == [h for key in keys for h in _plain_word_hashes(key)]


@settings(max_examples=200, deadline=None)
@given(st.lists(_KEY, max_size=8), st.integers(1, 6))
def test_shingles_of_a_batch_equal_each_keys_own(keys: list[str], words: int) -> None:
    flat, offsets = dedup.shingles(keys, words)
    assert offsets.tolist()[0] == 0 and offsets.size == len(keys) + 1
    for i, key in enumerate(keys):
        assert flat[offsets[i] : offsets[i + 1]].tolist() == _plain_shingles(key, words)


def test_signatures_of_a_batch_equal_each_keys_own() -> None:
    # a batch's signatures do not depend on its other keys (nor on the blocks they cut)
    keys = ["", "a b c d e f g", "x " * 3000, "a", "b a c a b " * 400, "café 市 x2 " * 7]
    together = dedup.signatures(keys, 32, 5)
    for i, key in enumerate(keys):
        assert np.array_equal(together[i], dedup.signatures([key], 32, 5)[0])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "É", "1", "²", " ", "  ", ".", ", ", "\t", "\u00a0"])
        | st.text(max_size=8)
    )
)
def test_the_rewritten_runs_give_the_plain_regexs_result(pieces: list[str]) -> None:
    text = pl.Series(["".join(pieces)])
    plain = text.str.replace_all(dedup.NON_WORD_RUN, " ")
    assert text.str.replace_all(dedup.NON_WORD_RUN_TO_REWRITE, " ").equals(plain)
