"""The shortcuts of the corpus stage equal the plain computations they stand for: the language
model's walk and encoding against py3langid's own; the normalised keys, word hashes and
shingles against a plain regex and a word at a time in Python."""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from itertools import pairwise

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from pipeline.corpuswide import dedup, langid, tasks

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
    plain = text.str.replace_all(r"[^\p{L}\p{N}]+", " ")  # every run of non-letters/digits
    assert text.str.replace_all(dedup.NON_WORD_RUN_TO_REWRITE, " ").equals(plain)


def _nfkc_stable_ranges() -> list[tuple[int, int]]:
    """NFKC_STABLE_RANGES derived from unicodedata, as its comment states them."""
    import unicodedata as ud

    second = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T
    for point in range(sys.maxunicode + 1):
        decomposition = ud.decomposition(chr(point)).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            second.add(int(decomposition[1], 16))

    def stable(point: int) -> bool:
        char = chr(point)
        return (
            ud.category(char) not in ("Cn", "Cs")
            and ud.normalize("NFKC", char) == char
            and ud.combining(char) == 0
            and point not in second
            and ord(ud.normalize("NFD", char)[0]) not in second
        )

    blocks = [(0x80, 0x52F), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3)]
    ranges: list[tuple[int, int]] = []
    for lo, hi in blocks:
        for point in filter(stable, range(lo, hi + 1)):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return ranges


def test_the_nfkc_stable_ranges_are_derived_from_unicode() -> None:
    assert list(tasks.NFKC_STABLE_RANGES) == _nfkc_stable_ranges()


_STABLE_CHARS = [chr(p) for lo, hi in tasks.NFKC_STABLE_RANGES for p in range(lo, hi + 1)]


def test_polars_nfkc_leaves_every_stable_character_and_pair_alone() -> None:
    # each stable character alone, after ASCII, and beside the next one (Polars' own tables)
    texts = _STABLE_CHARS + [f"e{c}" for c in _STABLE_CHARS]
    texts += [a + b for a, b in pairwise(_STABLE_CHARS)]
    series = pl.Series(texts)
    assert series.str.normalize("NFKC").equals(series)
    assert not series.str.contains(tasks._NEEDS_NFKC).any()


# texts of stable characters, ASCII and what NFKC does change or compose (combining marks,
# Hangul jamo, compatibility forms, spaces, ligatures)
_NFKC_TEXT = st.lists(
    st.sampled_from(_STABLE_CHARS)
    | st.sampled_from(["e", "A", " ", "\u0301", "\u1100", "\u1161", "\u11a8", "\u00a0", "ﬁ"])
    | st.sampled_from(["\u2026", "²", "Ｆ", "\u0b47", "\u0b3e", "\u3099", "가", "\u00e9"])
    | st.text(max_size=4),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NFKC_TEXT, max_size=6))
def test_normalised_keys_equal_nfkc_of_every_text(texts: list[str]) -> None:
    plain = pl.Series("t", texts, dtype=pl.String).to_frame().select(dedup.normalise("t"))
    assert tasks.normalised_keys(texts) == plain.to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_STABLE_CHARS) | st.sampled_from(["e", " ", "1"]), max_size=20))
def test_a_text_of_stable_characters_is_its_own_nfkc(chars: list[str]) -> None:
    text = pl.Series(["".join(chars)])
    assert text.str.normalize("NFKC").equals(text)
    assert not text.str.contains(tasks._NEEDS_NFKC).any()
