"""End to end: corpus-level quality (duplicates, outlet boilerplate, language) through the real
`dvc repro`, on pages written here; renamed inputs and another worker count give equal outputs."""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl
import pytest

from tests.dvcrepo import dvc, make_repo, set_param, stages_run
from tests.frames import LOCAL_ANGLE, STORY

pytestmark = pytest.mark.e2e

INPUT = "corpora/quality"
CHROME = "The Riverside Bugle is owned by its readers through the Bugle Cooperative."
TOPICS = [
    (
        "Ferry fares rise in spring",
        "Ferry fares between the mainland and the islands will rise by six percent in April.",
        "The operator said fuel and crew costs had both gone up since the last increase.",
    ),
    (
        "Bakery returns to Quay Street",
        "A bakery has opened on Quay Street, the first on the harbour front in ten years.",
        "Its owners moved back to the town after two decades of baking in the city.",
    ),
    (
        "Council approves parking charges",
        "The town council approved a budget that raises parking charges by ten pence an hour.",
        "Councillors said the money would pay for resurfacing the market square car park.",
    ),
    (
        "Beach clean-up clears four tonnes",
        "Volunteers cleared four tonnes of litter from the beach at the weekend clean-up.",
        "Most of it was fishing rope and plastic bottles washed in by the winter storms.",
    ),
    (
        "Lifeboat called out twice",
        "The lifeboat crew was called out twice on Sunday to swimmers caught by the tide.",
        "Both swimmers were brought ashore safely and checked over by paramedics.",
    ),
]
OUTLETS = {
    "harbourgazette": "The harbour master has asked boat owners to move their moorings before "
    "the dredging starts in May.",
    "valleycourier": "Apple growers in the valley expect a smaller harvest after frost hit the "
    "blossom in late March.",
    "northfieldledger": "The Northfield library will open on Sundays from next month after "
    "volunteers offered to staff the desk.",
    "lakesidetimes": "Swimming in the lake is allowed again after tests found the water clean "
    "for the third week running.",
    "midlandwire": "Freight trains will run through the night on the midland line while the "
    "signal upgrade is finished.",
}


def page(domain: str, slug: str, day: str, title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="canonical" href="https://www.{domain}/news/{slug}">
<meta property="article:published_time" content="{day}T08:00:00+00:00">
</head><body>
<nav class="nav"><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<main><article><h1>{html.escape(title)}</h1>
<div class="story-body">
{body}
</div></article></main>
<footer class="site-footer"><p>Contact us</p></footer>
</body></html>
"""


def write_pages(root: Path, prefix: str) -> dict[str, str]:
    """The input pages under ``root`` with names starting ``prefix``: file name -> role."""
    root.mkdir(parents=True, exist_ok=True)
    roles: dict[str, str] = {}

    def put(name: str, role: str, text: str) -> None:
        (root / f"{prefix}{name}.html").write_text(text, encoding="utf-8")
        roles[f"{prefix}{name}.html"] = role

    for i, (title, first, second) in enumerate(TOPICS):
        # one outlet's chrome sentence at the foot of five of its stories
        paragraphs = [first, second, CHROME]
        put(
            f"bugle_{i}",
            "bugle",
            page("riversidebugle.example", f"b{i}", f"2024-03-0{i + 1}", title, paragraphs),
        )
        # the same sentence once on each of five other outlets: not chrome there
        outlet, story = list(OUTLETS.items())[i]
        put(
            f"outlet_{i}",
            "outlet",
            page(f"{outlet}.example", f"o{i}", f"2024-03-1{i}", title, [story, CHROME]),
        )
    title = "Coastal rail line to reopen after landslide repairs"
    rewrite = [LOCAL_ANGLE if i == 3 else s for i, s in enumerate(STORY)]
    put(
        "wire_original",
        "wire_original",
        page("riverdalepost.example", "rail", "2025-05-07", title, STORY),
    )
    put(
        "wire_copy", "wire_copy", page("kestrelbaynews.example", "rail", "2025-05-09", title, STORY)
    )
    put(
        "wire_rewrite",
        "wire_rewrite",
        page("moorlandecho.example", "rail", "2025-05-08", title, rewrite),
    )
    put(
        "french",
        "french",
        page(
            "journaldelacote.example",
            "port",
            "2024-06-01",
            "Le port rouvre",
            [
                "Le port de pêche rouvre lundi après trois mois de travaux sur la "
                "digue, a annoncé la mairie.",
                "Les pêcheurs attendaient cette "
                "réouverture depuis le début de l’hiver, disent-ils.",
            ],
        ),
    )
    return roles


def read_outputs(repo: Path) -> dict[str, pl.DataFrame]:
    names = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")
    return {n: pl.read_parquet(repo / f"data/processed/{n}.parquet") for n in names}


def test_corpus_quality_end_to_end(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    roles = write_pages(repo / INPUT, "p_")
    set_param(repo, "ingest", "input_dir", INPUT)
    # a handful of pages: the document stages run in-process (no worker pool to start)
    set_param(repo, "engine", "name", "serial")
    proc = dvc(repo, "repro")
    assert "corpus" in stages_run(proc) and "validate" in stages_run(proc)
    out = read_outputs(repo)
    docs = out["documents"].with_columns(
        role=pl.col("source_path").replace_strict(roles, default=None)
    )
    assert docs["role"].null_count() == 0 and docs.height == len(roles)
    by_role = {
        r["role"] + (r["source_path"][-6] if r["role"] in ("bugle", "outlet") else ""): r
        for r in docs.iter_rows(named=True)
    }
    sentences = out["sentences"].join(docs.select("doc_id", "role"), on="doc_id")

    # duplicates: the original leads (earliest), the copy is exact, the rewrite near
    original = by_role["wire_original"]["doc_id"]
    assert by_role["wire_original"]["duplicate_of"] is None
    assert by_role["wire_copy"]["duplicate_of"] == original
    assert by_role["wire_rewrite"]["duplicate_of"] == original
    assert {by_role[r]["cluster_id"] for r in ("wire_original", "wire_copy", "wire_rewrite")} == {
        original
    }
    decisions = dict(zip(out["dedup_map"]["doc_id"], out["dedup_map"]["method"], strict=True))
    assert decisions[by_role["wire_copy"]["doc_id"]] == "exact"
    assert decisions[by_role["wire_rewrite"]["doc_id"]] == "near"
    assert decisions[original] == "representative"
    others = docs.filter(~pl.col("role").str.starts_with("wire"))
    assert others["duplicate_of"].null_count() == others.height
    assert (others["cluster_id"] == others["doc_id"]).all()
    copy_sentences = sentences.filter(pl.col("role") == "wire_copy")
    assert copy_sentences["is_duplicate"].all()
    assert not sentences.filter(pl.col("role") == "wire_original")["is_duplicate"].any()

    # boilerplate: gone from all five Bugle pages, kept on the five other outlets, in the map
    assert sentences.filter(pl.col("role") == "bugle", pl.col("text") == CHROME).height == 0
    assert sentences.filter(pl.col("role") == "outlet", pl.col("text") == CHROME).height == 5
    assert docs.filter(pl.col("role") == "bugle")["n_boilerplate_sentences"].to_list() == [1] * 5
    bmap = out["boilerplate_map"]
    assert bmap["text"].to_list() == [CHROME]
    assert bmap["domain"].to_list() == ["riversidebugle.example"]
    assert bmap["n_removed_documents"].to_list() == [5]
    assert sorted(bmap["example_doc_ids"][0]) == sorted(
        docs.filter(pl.col("role") == "bugle")["doc_id"]
    )
    texts = dict(docs.select("doc_id", "text").iter_rows())
    for row in sentences.iter_rows(named=True):
        assert texts[row["doc_id"]][row["char_start"] : row["char_end"]] == row["text"]
    assert CHROME in by_role["bugle0"]["text"]  # documents.text stays as cleaned

    # language: detected beside the declared one
    assert by_role["french"]["language_detected"] == "fr"
    assert set(docs.filter(pl.col("role") != "french")["language_detected"]) == {"en"}

    # renamed inputs (another input order), two workers, small batches: the same corpus
    for name in roles:
        (repo / INPUT / name).rename(repo / INPUT / f"zz_{name[::-1]}")
    set_param(repo, "engine", "name", "local")
    set_param(repo, "engine", "workers", 2)
    set_param(repo, "engine", "batch_size", 3)
    set_param(repo, "corpus", "languages", "[en]")
    dvc(repo, "repro", "corpus")
    again = read_outputs(repo)
    french = by_role["french"]["doc_id"]
    for name in ("documents", "sentences", "dedup_map", "boilerplate_map"):
        before = (
            out[name].filter(pl.col("doc_id") != french) if name != "boilerplate_map" else out[name]
        )
        after = again[name]
        if name == "documents":
            before, after = before.drop("source_path"), after.drop("source_path")
        assert after.equals(before), name
    quarantined = again["quarantine"].filter(pl.col("stage") == "corpus")
    assert quarantined["doc_id"].to_list() == [french]
    assert quarantined["reason"].to_list() == ["language_filtered"]
