"""A long run as a researcher sees it, through the real `dvc repro` on a terminal: 1,000 pages
(the sample's pages and the benchmark pages, recombined by ``benchmarks.corpus``) plus our
multi-language news pages. Every stage that works through documents shows its progress line,
the run ends with the closing summary, and the removal audit holds on every document: its
cleaned text plus its recorded removals is its extracted text, and the newsletter, cookie and
donation prompts of the Spanish, French and Italian pages are removed and listed."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from benchmarks.corpus import build
from pipeline.text.removals import reconstructs
from tests.dvcrepo import BIN, make_repo
from tests.terminal import on_a_terminal
from tests.text.test_fixture_pages import PAGES, PROMPTS

pytestmark = pytest.mark.e2e

N_PAGES = 1000
# the stages that work through documents (or chunks of them) and so draw a progress line
PROGRESS_STAGES = ("ingest", "extract", "clean", "segment", "corpus", "validate")
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
_CURSOR_MOVES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
# a progress redraw with items done (the count is past 0) and the rate in the stage's unit
_ITEMS_DONE = re.compile(r"[1-9][\d,]*/(\d+|\?) [\d,]+ (docs|chunks|tasks)/s")


def _repro_on_a_terminal(repo: Path) -> str:
    """`dvc repro` with its stdout and stderr on a pseudo-terminal; what the terminal got."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NEWSCORPUS_PROGRESS")}
    environ.update(DVC_NO_ANALYTICS="1", GX_ANALYTICS_ENABLED="False", COLUMNS="120")
    code, shown = on_a_terminal(
        [str(BIN / "dvc"), "repro"], repo, environ, timeout=900, stdout_too=True
    )
    shown = _CURSOR_MOVES.sub("\n", _COLOURS.sub("", shown))
    assert code == 0, shown[-4000:]
    return shown


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = make_repo(tmp_path_factory.mktemp("long") / "repo")
    build(N_PAGES, repo / "data" / "sample" / "bench", warc=False)
    for page in PAGES.glob("news_*.html"):
        shutil.copy2(page, repo / "data" / "sample" / page.name)
    return repo, _repro_on_a_terminal(repo)


def test_each_stage_shows_its_progress_and_the_run_ends_with_the_summary(
    long_run: tuple[Path, str],
) -> None:
    repo, shown = long_run
    for stage in PROGRESS_STAGES:
        lines = [line for line in shown.splitlines() if line.lstrip().startswith(stage)]
        assert any(_ITEMS_DONE.search(line) for line in lines), (stage, lines[-5:])
    documents = pl.read_parquet(repo / "data/processed/documents.parquet").height
    summary = shown[shown.rindex("newscorpus: ") :]
    inputs = len([p for p in (repo / "data/sample").rglob("*") if p.is_file()])
    assert summary.startswith(f"newscorpus: {inputs} inputs -> {documents} documents kept")
    for where in ("data/processed/documents.parquet", "reports/dataset_card.md", "index.html"):
        assert where in summary
    assert "warning" not in shown.lower(), "a stray warning on the console"


def test_cleaned_text_plus_removals_rebuilds_every_extracted_text(
    long_run: tuple[Path, str],
) -> None:
    repo, _ = long_run
    documents = pl.read_parquet(repo / "data/processed/documents.parquet")
    extracted = pl.read_parquet(repo / "data/interim/extracted.parquet", columns=["doc_id", "text"])
    joined = documents.select("doc_id", "text", "removals").join(
        extracted.rename({"text": "extracted"}), on="doc_id", how="left"
    )
    assert joined["extracted"].null_count() == 0
    broken = [
        doc_id
        for doc_id, text, removals, before in joined.iter_rows()
        if not reconstructs(before, text, removals)
    ]
    assert not broken
    # the audit is not empty on real pages: cleaning removed something, and it is all listed
    assert documents["removals"].list.len().sum() > 0


@pytest.mark.parametrize("page", ["news_es.html", "news_fr.html", "news_it.html"])
def test_prompts_of_other_languages_are_removed_and_listed(
    long_run: tuple[Path, str], page: str
) -> None:
    repo, _ = long_run
    row = pl.read_parquet(repo / "data/processed/documents.parquet").filter(
        pl.col("source_path") == page
    )
    assert row.height == 1, page
    text = row["text"][0]
    listed = " ".join(r["text"] for r in row["removals"][0])
    for prompt in PROMPTS[page]:
        assert prompt not in text
        assert prompt in listed, prompt
