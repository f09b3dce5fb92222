"""End to end: the real `dvc repro` in a temporary git repository with the bundled sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipeline import outputs
from tests.dvcrepo import ROOT, built_sample, copy_repo, digests, dvc, set_param, stages_run

pytestmark = pytest.mark.e2e

STAGES = {"inventory", "ingest", "extract", "clean", "segment", "corpus", "validate", "report"}
OUTPUTS = tuple(outputs.path(name).as_posix() for name in outputs.PUBLISHED)
SEED = "seed_independent_belarus.txt"
SEED_CHROME = (
    "Notifications can be managed",
    "Not now",
    "Yes please",
    "Your support",
    "donation",
    "Read more",
    "This map shows",
    "Thank you for registering",
    "commenting forum",
    "Comments",
    "News World Europe",
    "{",
)


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh git repository holding the project, after one full `dvc repro` (a copy of the
    session's build, which tests/e2e/test_fresh_clone.py starts from as well)."""
    repo, first = built_sample(tmp_path_factory, tmp_path_factory.mktemp("clone") / "repo")
    # report may be skipped: its outputs are committed, and a rebuild gives the same bytes
    ran = stages_run(first)
    assert ran | {"report"} == STAGES, first.stdout
    assert "report" in ran or "Stage 'report' didn't change" in first.stdout, first.stdout
    yield repo


def test_outputs_invariant_and_offsets(built_repo: Path) -> None:
    inventory = pl.read_parquet(built_repo / "data/interim/inventory.parquet")
    documents = pl.read_parquet(built_repo / OUTPUTS[0])
    sentences = pl.read_parquet(built_repo / OUTPUTS[1])
    quarantine = pl.read_parquet(built_repo / OUTPUTS[2])
    sample = sorted(p.name for p in (built_repo / "data/sample").iterdir())
    assert sorted(inventory["source_path"].to_list()) == sample
    # kept + quarantined = every input file, each exactly once
    accounted = documents["source_path"].to_list() + quarantine["source_path"].to_list()
    assert sorted(accounted) == sample
    reasons = dict(zip(quarantine["source_path"], quarantine["reason"], strict=True))
    assert reasons["empty_download.html"] == "empty"
    assert reasons["logo_saved_as_page.html"] == "binary"
    assert reasons["harbour_gazette_sport_index.html"] == "not_article"
    index = quarantine.filter(pl.col("source_path") == "harbour_gazette_sport_index.html")
    assert index["page_type"][0] != "article"
    assert index["detail"][0].startswith(f"page_type={index['page_type'][0]} (confidence ")
    kept = set(documents["source_path"])
    assert set(documents["page_type"]) == {"article"}  # extract.keep_page_types: [article]
    assert {"midland_wire_rail_freight.html.gz", "journal_cote_cafe_cp1252.html"} <= kept
    texts = dict(zip(documents["doc_id"], documents["text"], strict=True))
    for row in sentences.iter_rows(named=True):
        assert texts[row["doc_id"]][row["char_start"] : row["char_end"]] == row["text"]
    assert sentences["sentence_id"].is_unique().all()
    cafe = documents.filter(pl.col("source_path") == "journal_cote_cafe_cp1252.html").row(
        0, named=True
    )
    assert cafe["encoding"] == "cp1252"
    assert "Le Café du Port" in cafe["text"] and "900 €" in cafe["text"]


def test_seed_gives_exactly_the_article_sentences(built_repo: Path) -> None:
    documents = pl.read_parquet(built_repo / OUTPUTS[0])
    sentences = pl.read_parquet(built_repo / OUTPUTS[1])
    seed = documents.filter(pl.col("source_path") == SEED).row(0, named=True)
    assert (
        seed["title"]
        == "Ukraine: Belarus says its troops could support Russian invasion ‘if needed’"
    )
    got = sentences.filter(pl.col("doc_id") == seed["doc_id"]).sort("sentence_index")["text"]
    expected = (ROOT / "tests/data/seed_expected_sentences.txt").read_text(encoding="utf-8")
    assert got.to_list() == expected.splitlines()
    for chrome in SEED_CHROME:
        assert chrome not in seed["text"], chrome


def test_second_repro_has_nothing_to_do(built_repo: Path) -> None:
    """Only the inventory runs (always: it owns the input folder); its table is unchanged,
    so nothing after it reruns and dvc.lock stays as it was."""
    lock = (built_repo / "dvc.lock").read_bytes()
    again = dvc(built_repo, "repro")
    assert stages_run(again) == {"inventory"}, again.stdout
    assert (built_repo / "dvc.lock").read_bytes() == lock


def test_forced_reruns_are_byte_identical(built_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(built_repo, tmp_path / "forced")
    before = digests(repo, OUTPUTS)
    # Without the persisted rows of the last run, every document is computed again.
    for path in (repo / "data" / "interim").glob("*.parquet"):
        path.unlink()
    dvc(repo, "repro", "-f")
    assert digests(repo, OUTPUTS) == before


def test_clean_param_reruns_only_clean_and_what_follows(built_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(built_repo, tmp_path / "param")
    lengths = pl.read_parquet(repo / OUTPUTS[0])["n_chars"].sort()
    current = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))["clean"]
    # A threshold just above the shortest kept document drops exactly that one.
    threshold = int(lengths[0]) + 1
    assert threshold > current["min_chars"] and lengths[1] >= threshold
    set_param(repo, "clean", "min_chars", threshold)
    proc = dvc(repo, "repro")
    assert stages_run(proc) == {"inventory", "clean", "segment", "corpus", "validate", "report"}
    quarantine = pl.read_parquet(repo / OUTPUTS[2])
    assert quarantine.filter(pl.col("reason") == "too_short").height == 1


def test_violated_expectation_fails_repro_with_its_name(built_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(built_repo, tmp_path / "violated")
    # validate's copy of ingest's size limit, set below every input: an invariant broken
    set_param(repo, "validate", "max_raw_bytes", 5)
    proc = dvc(repo, "repro", check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "expect_column_values_to_be_between" in message
    assert "column 'size_bytes'" in message
    assert "unexpected count" in message and "sample rows" in message


def test_tampered_sentence_with_html_is_caught(built_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(built_repo, tmp_path / "tampered")
    path = repo / OUTPUTS[1]
    sentences = pl.read_parquet(path)
    victim = sentences["sentence_id"][0]
    broken = sentences.with_columns(
        pl.when(pl.col("sentence_id") == victim)
        .then(pl.lit("<b>Breaking</b> news"))
        .otherwise(pl.col("text"))
        .alias("text")
    )
    path.unlink()  # DVC may link outputs from its cache: never write through the link
    broken.write_parquet(path)
    proc = dvc(repo, "repro", "--single-item", "validate", check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    # one sentence with a tag is within the markup gate; its offsets no longer slice back
    assert victim in message
    assert "offsets_slice_back" in message
