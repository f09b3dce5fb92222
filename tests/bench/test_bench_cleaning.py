"""The cleaning benchmark (benchmarks/cleaning.py): its removals are the clean stage's
audit (same text as ``clean_text``), every removed character is attributed to a rule, and a
small gold set is scored with the shared scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import cleaning
from pipeline.extract import extract_text
from pipeline.text.cleaning import clean_text
from pipeline.text.words import words_of

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"

MIXED = (
    ".a{color:red;margin:0}.b{display:none}@media(min-width:768px){.c{width:10px}}\n"
    "Sign up for our free newsletter to get the latest news. The minister resigned on Tuesday.\n"
    "Read more The government said on Monday that it would raise the minimum wage next year.\n"
    "A view of the flooded valley with the damaged bridge in the foreground (Getty Images) The "
    "river burst its banks on Sunday night after three days of rain.\n"
    "Your support makes all the difference."
)


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_traced_clean_is_clean_text_on_the_fixture_pages(name: str) -> None:
    text = extract_text((PAGES / name).read_text(encoding="utf-8"))
    assert cleaning.traced_clean(text)[0] == clean_text(text)


def test_every_removal_attributed_to_its_rule() -> None:
    cleaned, removed = cleaning.traced_clean(MIXED)
    assert cleaned == clean_text(MIXED)
    assert removed["code_residue"] == [MIXED.split("\n")[0]]
    assert "Sign up for our free newsletter to get the latest news." in (removed["chrome_sentence"])
    assert "Your support makes all the difference." in removed["chrome_sentence"]
    assert [s.strip() for s in removed["leading_fragment"]] == ["Read more"]
    # a glued caption is split off into its own paragraph, not removed
    assert any(p.endswith("(Getty Images)") for p in cleaned.split("\n"))
    # the words removed plus the words kept are the words of the input
    gone = [w for spans in removed.values() for s in spans for w in words_of(s)]
    assert sorted(gone + words_of(cleaned)) == sorted(words_of(MIXED))


def test_sentences_joined_keep_the_words_of_the_text() -> None:
    text = clean_text(extract_text((PAGES / "howto_en.html").read_text(encoding="utf-8")))
    joined = cleaning.sentences_joined(text, "en", 1500)
    assert words_of(joined) == words_of(text)
    assert joined.count("\n") == text.count("\n")


@pytest.mark.skipif(
    not (cleaning.bench_dir() / "extraction" / "extraction_bench.py").exists(),
    reason="no shared bench directory",
)
def test_bench_set_scores_a_small_gold_set(tmp_path: Path) -> None:
    bench = cleaning._load(
        cleaning.bench_dir() / "extraction" / "extraction_bench.py", "extraction_bench"
    )
    (tmp_path / "html").mkdir()
    gold = {}
    for name in ("howto_en.html", "news_es.html"):
        html = (PAGES / name).read_text(encoding="utf-8")
        (tmp_path / "html" / name).write_text(html, encoding="utf-8")
        # the gold: the cleaned text itself, so the cleaned text scores 1
        gold[name.removesuffix(".html")] = {"articleBody": clean_text(extract_text(html))}
        (tmp_path / "html" / name).rename(tmp_path / "html" / f"{name.removesuffix('.html')}.html")
    (tmp_path / "ground-truth.json").write_text(json.dumps(gold), encoding="utf-8")
    result = cleaning.bench_set(bench, tmp_path, None, "en", 1500)
    assert result["pages"] == 2
    assert result["f1"]["cleaned"]["f1"] == 1.0
    assert result["f1"]["extract_text"]["f1"] < 1.0  # the Spanish prompts are not in the gold
    removed = result["removals"]["chrome_sentence"]
    assert removed["spans"] >= 5 and removed["gold_keeps_spans"] == 0
