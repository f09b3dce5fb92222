"""Validation at scale: the corpus facts are the same whether the hashes are grouped whole or
one hash part at a time (as on large corpora), from Parquet files and from frames."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.quality import checks, repeats
from tests.dvcrepo import ROOT

SUITES = ROOT / "expectations"


def _tables(tmp_path: Path) -> tuple[Path, Path]:
    """Sentences with duplicate ids and texts repeated within and across clusters/domains."""
    rows = []
    for doc in range(60):
        for i in range(7):
            text = f"Sentence {i} of story {doc % 9}." if i < 3 else f"Own {doc}-{i}."
            rows.append(
                {
                    "doc_id": f"d{doc:03d}",
                    "sentence_id": f"d{doc % 50:03d}-{i}",  # documents 50..59 repeat ids
                    "domain": None if doc % 11 == 0 else f"site{doc % 2}.example",
                    "text": text,
                }
            )
    documents = pl.DataFrame(
        {
            "doc_id": [f"d{d:03d}" for d in range(60)],
            "cluster_id": [None if d % 3 else f"c{d % 4}" for d in range(60)],
        }
    )
    sentences_path, documents_path = tmp_path / "sentences.parquet", tmp_path / "documents.parquet"
    pl.DataFrame(rows).write_parquet(sentences_path, row_group_size=50)
    documents.write_parquet(documents_path)
    return sentences_path, documents_path


@pytest.mark.parametrize("part_rows", [7, 100, 10_000])
def test_hash_parts_do_not_change_the_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_rows: int
) -> None:
    sentences, documents = _tables(tmp_path)
    whole_repeats = repeats.domain_repeats(sentences, documents)
    whole_dups = repeats.duplicated_values(sentences, "sentence_id")
    monkeypatch.setattr(repeats, "HASH_PART_ROWS", part_rows)
    monkeypatch.setattr(repeats, "FACT_READ_ROWS", 33)
    assert repeats.hash_parts(420) == -(-420 // part_rows)
    for source, docs in ((sentences, documents), (pl.read_parquet(sentences), documents)):
        assert repeats.domain_repeats(source, docs).equals(whole_repeats)
        assert repeats.duplicated_values(source, "sentence_id").equals(whole_dups)
    assert whole_dups.to_list() == sorted({f"d{d:03d}-{i}" for d in range(10) for i in range(7)})
    assert whole_repeats.height > 0


def test_repeated_keys_over_parts() -> None:
    pairs = [
        pl.DataFrame(
            {"_key": [1, 2, 3, 3], "_value": [1, 1, 1, 2]}, schema_overrides={"_key": pl.UInt64}
        ),
        pl.DataFrame(
            {"_key": [2, 4, 5], "_value": [2, 1, 1]}, schema_overrides={"_key": pl.UInt64}
        ),
    ]
    for parts in (1, 2, 5):
        found = repeats.repeated_keys(pairs, 7, pl.col("_value").n_unique(), parts=parts)
        assert sorted(found["_key"].to_list()) == [2, 3]
        counted = repeats.repeated_keys(pairs, 7, pl.len(), parts=parts)
        assert sorted(counted["_key"].to_list()) == [2, 3]


# ------------------------------------------------------------------------------------------
# every suite regex runs on pyarrow's RE2 (pandas otherwise falls back to Python's `re`,
# one call per value) with the meaning Python's `re` gives it
# ------------------------------------------------------------------------------------------

SUITE_REGEXES = sorted(
    {
        str(e["kwargs"]["regex"])
        for path in sorted(SUITES.glob("*.json"))
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]
        if "regex" in e["kwargs"]
    }
)
_SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
_NOT_LF = _SPACES.replace("\n", "")  # line breaks: MULTILINE
HOSTILE = [
    "",
    "plain words",
    " leading",
    "trailing ",
    "two  spaces",
    "tab\tinside",
    "ünïcödé wörds ñ",
    "日本語のテキスト",
    *(f"a{c}b" for c in _NOT_LF),
    *(f"{c}edge{c}" for c in _NOT_LF),
    *(f"a{c}{c}b" for c in _NOT_LF),
    "<b>bold</b>",
    "<B>loud</B>",
    "<div\u00a0class=x>",
    "<span\u2003id=y>",
    "<p\x0b>",
    "<ſpan>",  # long s: case-folds to s under (?i) in both engines
    "<\u212aeep>",  # Kelvin sign
    "<bé>",
    ".menu {",
    ".menü {",
    "#nav\u00a0{",
    "a { color: red; }",
    "@media\u2009(max-width: 1px)",
    "function () {",
    "function\u00a0(a) {",
    "éfunction () {",
    "_function () {",
    "document.write(",
    "xwindow.open(",
    "var x = [",
    "var\u3000x\u2028=\u2029{",
    "var café = {",
    "0123456789abcdef",
    "0123456789abcdef-00001",
    "0123456789ABCDEF",
    "https://example.org/",
    "en-us",
    "news.example.org",
]
MULTILINE = ["para one\npara two", "para\n\u00a0\npara", "ends\n", "\nstarts", "x\n \n"]


def _python(pattern: str, values: list[str]) -> list[bool]:
    return [re.search(pattern, v) is not None for v in values]


def _pyarrow(pattern: str, values: list[str]) -> list[bool]:
    return [bool(v) for v in pc.match_substring_regex(pa.array(values), pattern).to_pylist()]


@pytest.mark.parametrize("pattern", SUITE_REGEXES)
def test_suite_regex_runs_on_pyarrow_with_pythons_meaning(pattern: str) -> None:
    data: Any = pd.Series(HOSTILE, dtype="str").array  # a private method: not in pandas-stubs
    assert not data._needs_python_regex(pattern), "pandas would run this regex with `re`"
    assert _pyarrow(pattern, HOSTILE) == _python(pattern, HOSTILE)
    # Where pandas still prefers `re` (``$`` on text with line breaks) its meaning is Python's
    # anyway; elsewhere pyarrow's must be the same.
    texts: Any = pd.Series(MULTILINE, dtype="str").array
    if not texts._needs_python_regex(pattern):
        assert _pyarrow(pattern, MULTILINE) == _python(pattern, MULTILINE)


TOKENS = [
    *"<>{};:()=.#/[_9é$@\n\t ",
    *_SPACES,
    "</",
    "b",
    "span",
    "ſpan",
    "color",
    "@media",
    "function",
    "var",
    "document",
    "window",
    "x",
    "  ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKENS), max_size=12).map("".join), min_size=1))
def test_suite_regexes_agree_on_random_text(values: list[str]) -> None:
    data: Any = pd.Series(values, dtype="str").array
    for pattern in SUITE_REGEXES:
        if not data._needs_python_regex(pattern):
            assert _pyarrow(pattern, values) == _python(pattern, values), pattern


def test_trailing_whitespace_is_checked_on_the_last_character() -> None:
    """``\\s$`` on a text (pandas would run it with ``re``: line breaks) means the same as
    the whitespace class on the derived last character (run on RE2)."""
    suite = json.loads((SUITES / "cleaned.json").read_text(encoding="utf-8"))
    (check,) = [e for e in suite["expectations"] if e["kwargs"].get("column") == "text_last_char"]
    texts = [*HOSTILE, *MULTILINE, "ends in nbsp\u00a0", "line\nbreak\u2029"]
    frame = pl.DataFrame({"text": texts, "n_chars": 0, "n_paragraphs": 1})
    last = checks._text_checks(frame)["text_last_char"].to_list()
    assert _python(check["kwargs"]["regex"], last) == _python(r"\s$", texts)
    array: Any = pd.Series(last, dtype="str").array
    assert not array._needs_python_regex(check["kwargs"]["regex"])
