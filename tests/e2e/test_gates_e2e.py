"""Quality gates that guide instead of trip, through the real `dvc repro`: one odd document
never fails the corpus, and a corpus where nothing is kept still publishes every table."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.dvcrepo import copy_repo, dvc, make_repo, set_param

pytestmark = pytest.mark.e2e

PROCESSED = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")
INPUT = "data/own"

# An explainer that quotes markup in its prose (escaped in the HTML, so it is text).
QUOTING_ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>How web pages load their scripts | Fenwick Tech Desk</title></head><body>
<nav><a href="/">Home</a> <a href="/tech">Tech</a></nav>
<article><h1>How web pages load their scripts</h1>
<p>Every page you open is a small program. The browser reads the markup from top to bottom, and
when it meets a &lt;script&gt; tag it stops to fetch and run the code before it goes on.</p>
<p>Styles work differently. A &lt;style&gt; block such as body { color: #222; margin: 0 auto; }
is read at once, and the browser keeps drawing while it applies the rules to the page.</p>
<p>Developers at the Fenwick meetup said that moving scripts to the end of the page, or marking
them with the defer attribute, made their pages appear about a second sooner on old phones.</p>
<p>"Most readers never see the code, but they feel it," said one of the organisers, who has
taught the evening course on page speed for six years at the town's library.</p>
</article><footer>Fenwick Tech Desk</footer></body></html>
"""


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


def test_markup_in_prose_and_code_titles_never_fail_the_run(
    base_repo: Path, tmp_path: Path
) -> None:
    repo = copy_repo(base_repo, tmp_path / "repo")
    write_inputs(
        repo,
        {
            "quoting.html": QUOTING_ARTICLE,
            "script_title.html": page_titled(SCRIPT_TITLE, "The first story."),
            "markup_title.html": page_titled(MARKUP_TITLE, "A second story."),
        },
    )
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tables = published(repo)
    kept = accounted(repo, tables)
    assert "quoting.html" in kept  # kept, its prose about <script> and <style> intact
    text = tables["documents"].filter(pl.col("source_path") == "quoting.html")["text"][0]
    # its prose quoting <script> is published as text; the paragraph quoting a CSS rule is
    # taken for CSS residue by clean (the document stays)
    assert "when it meets a <script> tag" in text
    titles = [t for t in tables["documents"]["title"].to_list() if t is not None]
    assert not any("sectionLevel2" in t or "<div" in t or "kl61341a9" in t for t in titles)
    assert all(len(t) <= 400 for t in titles)


def test_an_empty_input_folder_publishes_empty_tables(base_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(base_repo, tmp_path / "repo")
    write_inputs(repo, {})
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tables = published(repo)
    assert accounted(repo, tables) == []
    assert tables["documents"].height == tables["sentences"].height == 0
    assert "No document was kept" in (repo / "reports/dataset_card.md").read_text()


def test_all_junk_at_minimum_limits_quarantines_everything(base_repo: Path, tmp_path: Path) -> None:
    repo = copy_repo(base_repo, tmp_path / "repo")
    write_inputs(
        repo,
        {
            "quoting.html": QUOTING_ARTICLE,
            "logo.html": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            "empty.html": b"",
        },
    )
    for section, key in (("ingest", "max_raw_bytes"), ("ingest", "max_inflated_bytes")):
        set_param(repo, section, key, 1)
    done = dvc(repo, "repro", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tables = published(repo)
    assert accounted(repo, tables) == []
    assert tables["quarantine"].height == 3
    assert set(tables["quarantine"]["reason"].to_list()) >= {"too_large"}
