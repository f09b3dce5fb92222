"""Report stage: DVC metrics and plot data match the Parquet, and `dvc metrics diff`,
`dvc plots show` and `dvc plots diff` work across two versions built with different params."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline.publish.plots import (
    LengthDistribution,
    document_keys,
    documents_per_domain,
    documents_per_month,
    length_histogram,
    length_stats,
    quarantine_keys,
    quarantine_per_reason,
    sentence_lengths,
)
from pipeline.schema import QUARANTINE_REASONS
from tests.dvcrepo import dvc
from tests.reportrepo import Versions

pytestmark = pytest.mark.e2e

PLOTS = ("sentence_length", "documents_per_domain", "documents_per_month", "quarantine_reasons")


def _plot(repo: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        (repo / "reports/plots" / f"{name}.json").read_text(encoding="utf-8")
    )
    return rows


# --- pure plot tables on hand-made frames ---------------------------------------------------


def test_histogram_has_empty_bins_and_right_edges() -> None:
    sentences = pl.DataFrame({"text": ["a" * 3, "b" * 9, "c" * 10, "d" * 31]})
    rows = length_histogram(sentence_lengths(sentences), 10)
    assert rows == [
        {"chars_from": 0, "chars_to": 9, "sentences": 2},
        {"chars_from": 10, "chars_to": 19, "sentences": 1},
        {"chars_from": 20, "chars_to": 29, "sentences": 0},
        {"chars_from": 30, "chars_to": 39, "sentences": 1},
    ]
    assert length_histogram(sentence_lengths(sentences.head(0)), 10) == []
    with pytest.raises(ValueError):
        length_histogram(sentence_lengths(sentences), 0)


def test_domain_month_and_reason_tables_keep_unknowns_and_zeros() -> None:
    utc = UTC
    documents = pl.DataFrame(
        {
            "domain": ["b.example", None, "a.example", "b.example"],
            "language_detected": ["en", "en", None, "fr"],
            "published": [
                datetime(2024, 3, 31, 23, 0, tzinfo=utc),
                None,
                datetime(2023, 1, 1, tzinfo=utc),
                datetime(2024, 3, 1, tzinfo=utc),
            ],
            "n_chars": [10, 20, 30, 40],
            "page_type": ["article"] * 4,
        }
    )
    keys = document_keys(documents)
    assert documents_per_domain(keys) == [
        {"domain": "b.example", "documents": 2},
        {"domain": "(unknown)", "documents": 1},
        {"domain": "a.example", "documents": 1},
    ]
    assert documents_per_month(keys) == [
        {"month": "2023-01", "documents": 1},
        {"month": "2024-03", "documents": 2},
        {"month": "(unknown)", "documents": 1},
    ]
    quarantine = pl.DataFrame(
        {"reason": ["empty", "binary", "empty"], "stage": ["ingest"] * 3, "page_type": [None] * 3},
        schema={
            "reason": pl.Enum(list(QUARANTINE_REASONS)),
            "stage": pl.String,
            "page_type": pl.String,
        },
    )
    rows = quarantine_per_reason(quarantine_keys(quarantine))
    assert [r["reason"] for r in rows] == list(QUARANTINE_REASONS)
    assert {r["reason"]: r["documents"] for r in rows if r["documents"]} == {
        "empty": 2,
        "binary": 1,
    }


@pytest.mark.parametrize("seed", range(40))
def test_length_distribution_gives_polars_own_statistics(seed: int) -> None:
    """Quantiles from the per-length counts equal Polars' on the whole column: odd and even
    sizes, ties, a single value, quantile positions that fall exactly half-way."""
    rng = random.Random(seed)
    size = rng.choice([1, 2, 3, 4, 5, 20, 21, 101, rng.randint(1, 3000)])
    spread = rng.choice([1, 3, 50, 5000])
    column = pl.Series("n", [rng.randint(0, spread) for _ in range(size)], dtype=pl.Int64)
    lengths = LengthDistribution.of(column.to_frame(), pl.col("n"))
    assert lengths.total == size
    for q in (0.05, 0.25, 0.5, 0.75, 0.95, rng.random()):
        assert lengths.quantile_nearest(q) == column.quantile(q, "nearest"), q
        assert lengths.quantile_linear(q) == column.quantile(q, "linear"), q
    assert lengths.quantile_linear(0.5) == column.median()
    assert lengths.mean() == column.mean()
    assert (lengths.min(), lengths.max()) == (column.min(), column.max())


def test_length_stats_of_an_empty_corpus_are_zeros() -> None:
    empty = sentence_lengths(pl.DataFrame({"text": []}, schema={"text": pl.String}))
    assert empty.total == 0
    assert set(length_stats(empty).values()) == {0.0}


# --- the real pipeline ------------------------------------------------------------------------


def test_metrics_and_plot_data_match_the_parquet(versions: Versions) -> None:
    repo, frames = versions.repo, versions.frames_v2
    docs, sents, quar = frames["documents"], frames["sentences"], frames["quarantine"]
    metrics = json.loads((repo / "reports/metrics.json").read_text(encoding="utf-8"))
    assert metrics["documents"]["kept"] == docs.height
    assert metrics["documents"]["quarantined"] == quar.height
    assert metrics["sentences"]["count"] == sents.height
    lengths = sents["text"].str.len_chars()
    assert metrics["sentences"]["max_chars"] == lengths.max()
    assert metrics["sentences"]["median_chars"] == lengths.median()

    hist = _plot(repo, "sentence_length")
    assert sum(r["sentences"] for r in hist) == sents.height
    for r in hist:
        inside = ((lengths >= r["chars_from"]) & (lengths <= r["chars_to"])).sum()
        assert r["sentences"] == inside, r
    domains = {r["domain"]: r["documents"] for r in _plot(repo, "documents_per_domain")}
    assert sum(domains.values()) == docs.height
    for domain, n in docs.group_by("domain").len().iter_rows():
        assert domains[domain or "(unknown)"] == n
    months = {r["month"]: r["documents"] for r in _plot(repo, "documents_per_month")}
    assert months.get("(unknown)", 0) == docs["published"].null_count()
    dated = docs.drop_nulls("published")
    for month, n in dated.group_by(pl.col("published").dt.strftime("%Y-%m")).len().iter_rows():
        assert months[month] == n
    reasons = {r["reason"]: r["documents"] for r in _plot(repo, "quarantine_reasons")}
    assert reasons["too_short"] == 1
    assert sum(reasons.values()) == quar.height


def test_metrics_diff_between_the_two_versions(versions: Versions) -> None:
    proc = dvc(versions.repo, "metrics", "diff", versions.v1, versions.v2, "--json")
    diff = json.loads(proc.stdout)["reports/metrics.json"]
    kept = diff["documents.kept"]
    assert kept["old"] == versions.frames_v1["documents"].height
    assert kept["new"] == versions.frames_v2["documents"].height == kept["old"] - 1
    assert diff["documents.quarantined_by_reason.too_short"]["new"] == 1
    sentences = diff["sentences.count"]
    assert sentences["old"] == versions.frames_v1["sentences"].height
    assert sentences["new"] == versions.frames_v2["sentences"].height < sentences["old"]
    text = dvc(versions.repo, "metrics", "diff", versions.v1).stdout
    assert "documents.kept" in text
    # Only the data's figures: no timing that would differ between any two runs.
    timings = [k for k in diff if "seconds" in k or ".ms_" in k or k.endswith(".reused")]
    assert timings == []


def test_plots_show_writes_an_offline_page(versions: Versions, tmp_path: Path) -> None:
    out = tmp_path / "plots"
    dvc(versions.repo, "plots", "show", "-o", str(out))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in page and "<script src=" not in page
    assert page.count("vegaEmbed('#") == len(PLOTS)
    for name in PLOTS:
        assert f"reports/plots/{name}.json" in page or name in page


def test_plots_diff_holds_both_revisions(versions: Versions) -> None:
    proc = dvc(versions.repo, "plots", "diff", versions.v1, versions.v2, "--json")
    data = json.loads(proc.stdout)["data"]
    reasons = next(v for k, v in data.items() if k.endswith("quarantine_reasons.json"))
    points = [p for r in reasons for p in r["content"]["data"]["values"]]
    too_short = {p["rev"]: p["documents"] for p in points if p["reason"] == "too_short"}
    assert too_short == {versions.v1: 0, versions.v2: 1}
