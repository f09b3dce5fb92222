"""Quality gates that guide instead of trip, through the real `dvc repro`: one odd document
never fails the corpus, and a corpus where nothing is kept still publishes every table."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any, cast

import annotated_types
import polars as pl
import pytest
import yaml
from pydantic import BaseModel

from pipeline.config import Params
from tests.dvcrepo import copy_repo, dvc, make_repo, set_param, stages_run

pytestmark = pytest.mark.e2e

PROCESSED = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")
INPUT = "data/own"

# An explainer that quotes <script>, <style> and CSS rules in its prose (escaped in the HTML,
# so it is text).
QUOTING_ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>How web pages load their scripts | Fenwick Tech Desk</title></head><body>
<nav><a href="/">Home</a> <a href="/tech">Tech</a></nav>
<article><h1>How web pages load their scripts</h1>
<p>Every page you open is a small program. The browser reads the markup from top to bottom, and
when it meets a &lt;script&gt; tag it stops to fetch and run the code before it goes on.</p>
<p>Styles work differently. A &lt;style&gt; block such as body { color: #222; margin: 0 auto; }
is read at once, and the browser keeps drawing while it applies the rules to the page.</p>
<p>The designer changed one line, body { color: red; }, and the site broke.</p>
<p>She said the &lt;style&gt; element at the top of every page had grown to four thousand lines
over ten years, and that nobody in the office dared to remove any of them.</p>
<p>Developers at the Fenwick meetup said that moving scripts to the end of the page, or marking
them with the defer attribute, made their pages appear about a second sooner on old phones.</p>
<p>"Most readers never see the code, but they feel it," said one of the organisers, who has
taught the evening course on page speed for six years at the town's library.</p>
</article><footer>Fenwick Tech Desk</footer></body></html>
"""


# A short article with nothing unusual in it.
PLAIN_ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>Ferry timetable changes in March | Fenwick Gazette</title></head><body>
<article><h1>Ferry timetable changes in March</h1>
<p>The morning ferry to the island will leave twenty minutes earlier from the first of March.</p>
<p>The operator said the change lets workers reach the mainland before the shops open.</p>
</article></body></html>
"""


def local_news(town: str, subject: str) -> str:
    """A plain local news article about ``subject`` in ``town`` (its sentences name both, so
    no two such articles share a sentence)."""
    sentences = [
        f"The {town} council approved the {subject} plan on Tuesday evening.",
        f"Residents of {town} had asked for the {subject} work for almost three years.",
        f"The {subject} budget for {town} was agreed after a debate of two hours.",
        f"Work on the {subject} in {town} should begin in the spring, the clerk said.",
        f"Two members of the {town} council voted against the {subject} plan.",
        f"They said the {subject} money for {town} should go to the schools instead.",
        f"A public meeting about the {subject} will be held at the {town} library.",
        f"The {town} mayor thanked the volunteers who had campaigned for the {subject}.",
    ]
    paragraphs = "".join(
        f"<p>{a} {b}</p>" for a, b in zip(sentences[::2], sentences[1::2], strict=True)
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{town} approves the {subject} plan</title></head><body><article>"
        f"<h1>{town} approves the {subject} plan</h1>{paragraphs}</article></body></html>"
    )


# A few ordinary articles beside the one quoting markup: at three documents (~20 sentences)
# two sentences of one article quoting markup are a tenth of the corpus, and the sentence gate
# (0.1 %) allows one; from 46 sentences on it allows two (the binomial tolerance, docs/pipeline.md).
NEWS = {
    f"news_{i}.html": local_news(town, subject)
    for i, (town, subject) in enumerate(
        [
            ("Ashby", "harbour wall"),
            ("Brockton", "bus lane"),
            ("Carrow", "library roof"),
            ("Dunmore", "cycle path"),
        ]
    )
}


def page_titled(title_html: str, story: str) -> str:
    """An article whose only title candidate is ``title_html`` (no h1, no meta, no JSON-LD)."""
    paragraphs = "".join(
        f"<p>{story} The council met on Tuesday evening and voted on item {i} of the agenda, "
        f"after a long debate about the cost of repairs to the old harbour wall.</p>"
        for i in range(1, 5)
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{title_html}</title></head><body><article>{paragraphs}</article></body></html>"
    )


SCRIPT_TITLE = (
    "Harbour repairs approved - var section = 'news'; this.sectionLevel2 = 'local'; "
    "this.pageId = 'x81'; function track(a){return a+1;} " + "x" * 300
)
MARKUP_TITLE = '&lt;div class="kl61341a9" &gt;'


def write_inputs(repo: Path, pages: dict[str, str | bytes]) -> None:
    folder = repo / INPUT
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in pages.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    set_param(repo, "ingest", "input_dir", INPUT)


def published(repo: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(repo / f"data/processed/{name}.parquet") for name in PROCESSED}


def accounted(repo: Path, tables: dict[str, pl.DataFrame]) -> list[str]:
    inventory = pl.read_parquet(repo / "data/interim/inventory.parquet")["source_path"]
    kept = tables["documents"]["source_path"].to_list()
    dropped = tables["quarantine"]["source_path"].to_list()
    assert sorted(kept + dropped) == sorted(inventory.to_list())  # each input exactly once
    return kept


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("gates") / "repo")


@pytest.fixture(scope="module")
def prose_run(base_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An article quoting markup and CSS in its prose, and pages whose only titles are code
    or markup, run once with the default params (later tests copy the finished repo)."""
    repo = copy_repo(base_repo, tmp_path_factory.mktemp("prose") / "repo")
    write_inputs(
        repo,
        {
            "quoting.html": QUOTING_ARTICLE,
            "script_title.html": page_titled(SCRIPT_TITLE, "The first story."),
            "markup_title.html": page_titled(MARKUP_TITLE, "A second story."),
            **NEWS,
        },
    )
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def test_markup_in_prose_and_code_titles_never_fail_the_run(prose_run: Path) -> None:
    tables = published(prose_run)
    kept = accounted(prose_run, tables)
    assert "quoting.html" in kept  # kept, its prose about markup intact
    text = tables["documents"].filter(pl.col("source_path") == "quoting.html")["text"][0]
    assert "when it meets a <script> tag" in text
    assert "She said the <style> element at the top of every page" in text
    # a short paragraph quoting a CSS rule is prose, not CSS residue
    assert "The designer changed one line, body { color: red; }, and the site broke." in text
    assert "taught the evening course on page speed for six years" in text
    titles = [t for t in tables["documents"]["title"].to_list() if t is not None]
    assert not any("sectionLevel2" in t or "<div" in t or "kl61341a9" in t for t in titles)
    assert all(len(t) <= 400 for t in titles)


def test_a_failed_gate_with_warn_finishes_and_says_so_and_with_fail_stops(
    prose_run: Path, tmp_path: Path
) -> None:
    repo = copy_repo(prose_run, tmp_path / "repo")
    # No document may quote markup: the kept article quoting <script> and <style> fails the
    # gate for real (its cleaned and published texts match the markup check).
    set_param(repo, "validate", "leaked_code_document_share", 0.0)
    set_param(repo, "validate", "on_failure", "warn")
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {"validate", "report"} <= stages_run(done)
    summary = json.loads((repo / "reports/validation.json").read_text())
    failed = {
        (suite, f["expectation"], f["column"])
        for suite, result in summary.items()
        for f in result["failures"]
    }
    gate = ("documents", "expect_column_values_to_not_match_regex", "text")
    assert gate in failed and not summary["documents"]["success"]
    metrics = json.loads((repo / "reports/metrics.json").read_text())["validation"]
    assert metrics["status"] == "failed"
    assert gate in {(f["suite"], f["expectation"], f["column"]) for f in metrics["failures"]}
    card = (repo / "reports/dataset_card.md").read_text()
    assert "**Validation failed**" in card
    assert "- `documents`: `expect_column_values_to_not_match_regex` on `text`" in card

    set_param(repo, "validate", "on_failure", "fail")
    done = dvc(repo, "repro", check=False)
    assert done.returncode != 0
    assert "report" not in stages_run(done)
    message = done.stdout + done.stderr
    assert "FAILED documents: expect_column_values_to_not_match_regex on column 'text'" in message
    assert "the gate allows 0" in message


def test_an_empty_input_folder_publishes_empty_tables(base_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(base_repo, tmp_path / "repo")
    write_inputs(repo, {})
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tables = published(repo)
    assert accounted(repo, tables) == []
    assert tables["documents"].height == tables["sentences"].height == 0
    assert "No document was kept" in (repo / "reports/dataset_card.md").read_text()


def smallest_allowed(model: type[BaseModel]) -> dict[str, int | float]:
    """Each numeric key of a params section at the smallest value its model accepts (read
    from the model's bounds, so a new limit is covered when it is declared)."""
    out: dict[str, int | float] = {}
    for name, info in model.model_fields.items():
        is_int = info.annotation in (int, int | None)
        for bound in info.metadata:
            if isinstance(bound, annotated_types.Ge):
                ge = cast(float, bound.ge)
                out[name] = int(ge) if is_int else float(ge)
            elif isinstance(bound, annotated_types.Gt):
                gt = cast(float, bound.gt)
                out[name] = int(gt) + 1 if is_int else math.nextafter(gt, math.inf)
    return out


# Limits at which no document can pass a stage: a budget of a few microseconds per document
# (every input times out at ingest), a page of one byte (too large), a text of one character.
# Each run keeps the ones before it in this list at their defaults, so that documents reach
# the next stage with every other limit at its minimum.
EVERY_LIMIT: dict[str, tuple[str, ...]] = {}
BUT_THE_TIME_BUDGET = {"engine": ("max_seconds_per_doc",)}
BUT_THE_GATEKEEPERS = {
    "engine": ("max_seconds_per_doc",),
    "ingest": ("max_raw_bytes", "max_inflated_bytes"),
    "extract": ("max_text_chars",),
    # and a throughput setting: chunks of one row cost a GX run (~0.5 s) per sentence, and
    # sentences of one character are many (the runs above have it at 1)
    "validate": ("chunk_rows",),
}
# validate's copies of the stage limits (anchors in params.yaml)
MIRRORED = {
    "max_raw_bytes": "ingest",
    "max_text_chars": "extract",
    "min_chars": "clean",
    "max_sentence_chars": "segment",
}


def params_at_minimum(repo: Path, *, keep: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    path = repo / "params.yaml"
    params: dict[str, Any] = yaml.safe_load(path.read_text())
    for name, info in Params.model_fields.items():
        section = info.alias or name
        model = info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for key, value in smallest_allowed(model).items():
            if key not in keep.get(section, ()):
                params.setdefault(section, {})[key] = value
    for key, stage in MIRRORED.items():
        params["validate"][key] = params[stage][key]
    # gates at their strictest fail a corpus of one-character sentences, as they should:
    # the run finishes, marked failed
    params["validate"]["on_failure"] = "warn"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    assert yaml.safe_load(path.read_text()) == params  # 5e-324 is read back as a number
    return params


JUNK: dict[str, str | bytes] = {
    "logo.html": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "empty.html": b"",
    "menu.html": "<html><body><nav><a href='/'>Home</a></nav></body></html>",
}


@pytest.mark.parametrize(
    "keep,reasons_if_none_kept",
    [
        (EVERY_LIMIT, {"timeout"}),
        (BUT_THE_TIME_BUDGET, {"too_large", "empty"}),  # the empty page is not over one byte
        (BUT_THE_GATEKEEPERS, None),
    ],
    ids=["every-limit", "every-limit-but-the-time-budget", "every-limit-but-the-gatekeepers"],
)
def test_limits_at_their_minimum_run_to_the_end(
    base_repo: Path,
    tmp_path: Path,
    keep: dict[str, tuple[str, ...]],
    reasons_if_none_kept: set[str] | None,
) -> None:
    repo = copy_repo(base_repo, tmp_path / "repo")
    write_inputs(repo, {"quoting.html": QUOTING_ARTICLE, "plain.html": PLAIN_ARTICLE, **JUNK})
    params_at_minimum(repo, keep=keep)
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report" in stages_run(done)
    tables = published(repo)
    kept = accounted(repo, tables)
    reasons = tables["quarantine"]["reason"].to_list()
    assert None not in reasons and len(kept) + len(reasons) == 5
    # the gates at their strictest may fail (see above); the invariants hold
    summary = json.loads((repo / "reports/validation.json").read_text())
    assert summary["accounting"]["success"] and summary["quarantine"]["success"]
    if reasons_if_none_kept is not None:
        assert kept == [] and set(reasons) == reasons_if_none_kept
        assert "No document was kept" in (repo / "reports/dataset_card.md").read_text()
    else:
        # the articles came through clean, segment and corpus, cut to one-character sentences
        assert sorted(kept) == ["plain.html", "quoting.html"]
        assert tables["sentences"]["text"].str.len_chars().max() == 1
