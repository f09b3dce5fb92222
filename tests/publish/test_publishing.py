"""A corpus others can load: ``reports/croissant.json`` passes mlcroissant and reads every
table, the card's Hugging Face configs load every table with ``datasets`` (offline) from the
folder ``pipeline.publish.export`` assembles, and card, Croissant file and citation name the
dataset from ``report.dataset`` (the software's values where it says null)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from pipeline.outputs import OUTPUTS, PUBLISHED
from pipeline.publish.card import CARD, build_card, write_card
from pipeline.publish.croissant import CROISSANT, data_type, write_croissant
from pipeline.publish.export import ExportError, export
from pipeline.publish.identity import Citation, dataset_of_params
from pipeline.publish.plots import CorpusSummary
from tests.dvcrepo import ROOT
from tests.publish.corpus import load_configs_offline, write_published

DATASET = {
    "name": "Harbour towns 2026",
    "description": "Local news of three harbour towns",
    "license": "CC-BY-4.0",
    "authors": ["A. Byrne", "C. Ortiz"],
    "url": "https://data.example/harbour",
    "version": "2.1.0",
}


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository-shaped folder: the published tables, the card and croissant.json written
    by the report stage's functions (run from the project root, as dvc runs them)."""
    monkeypatch.chdir(ROOT)
    root = tmp_path / "built"
    files = write_published(root)
    write_card(output=root / CARD, files=files)
    write_croissant(files, output=root / CROISSANT)
    return root


def front_matter(card: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(card.split("---\n", 2)[1])
    return data


def _plain(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def test_croissant_passes_mlcroissant_and_reads_every_table(built: Path, tmp_path: Path) -> None:
    import mlcroissant as mlc

    folder = tmp_path / "out"
    export(folder, root=built)
    jsonld = folder / "croissant.json"
    validate = Path(sys.executable).with_name("mlcroissant")
    done = subprocess.run(
        [str(validate), "validate", "--jsonld", str(jsonld)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]

    dataset = mlc.Dataset(jsonld=jsonld)
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    data = json.loads(jsonld.read_text(encoding="utf-8"))
    assert data["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    shas = {f["contentUrl"]: f["sha256"] for f in data["distribution"]}
    assert shas == {
        OUTPUTS[t].path.as_posix(): hashlib.sha256(
            (folder / OUTPUTS[t].path).read_bytes()
        ).hexdigest()
        for t in PUBLISHED
    }
    record_sets = {rs["name"]: rs for rs in data["recordSet"]}
    assert set(record_sets) == set(PUBLISHED)
    for table in PUBLISHED:
        declared = OUTPUTS[table].schema
        fields = record_sets[table]["field"]
        assert [f["name"] for f in fields] == list(declared)
        assert [f["dataType"] for f in fields] == [data_type(t) for t in declared.values()]
        frame = pl.read_parquet(folder / OUTPUTS[table].path)
        first = next(iter(dataset.records(record_set=table)))
        row = frame.row(0, named=True)
        for column, dtype in declared.items():
            got = first[f"{table}/{column}"]
            if isinstance(dtype, pl.List):
                assert [_plain(v) for v in got] == row[column], (table, column)
            elif isinstance(dtype, pl.Datetime):
                assert (got is None) == (row[column] is None), (table, column)
            else:
                want = str(row[column]) if isinstance(dtype, pl.Enum) else row[column]
                assert _plain(got) == want, (table, column)


def test_the_card_configs_load_every_table_with_hf_datasets_offline(
    built: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    written = export(folder, root=built)
    assert {p.as_posix() for p in written} >= {"README.md", "croissant.json"}
    configs = front_matter((folder / "README.md").read_text(encoding="utf-8"))["configs"]
    assert {c["config_name"] for c in configs} == set(PUBLISHED)
    assert [c["config_name"] for c in configs if c.get("default")] == ["sentences"]
    loaded = load_configs_offline(folder, PUBLISHED, tmp_path / "hf")
    for table in PUBLISHED:
        frame = pl.read_parquet(folder / OUTPUTS[table].path)
        assert loaded[table] == [frame.height, frame.columns], table


def test_an_empty_table_is_published_without_a_config(built: Path) -> None:
    """``datasets`` cannot load an empty Parquet file ("corresponds to no data"): an empty
    table keeps its file, Croissant record set and card row, and the card says why it has no
    config (the sample's boilerplate_map is empty)."""
    path = built / OUTPUTS["boilerplate_map"].path
    pl.read_parquet(path).head(0).write_parquet(path)
    files = {t: built / OUTPUTS[t].path for t in PUBLISHED}
    card = build_card(
        CorpusSummary.of_files(files),
        params={},
        stages=[],
        files=files,
        citation=Citation.from_pyproject(),
        code="0" * 64,
        validation=None,
    )
    configs = {c["config_name"] for c in front_matter(card)["configs"]}
    assert configs == set(PUBLISHED) - {"boilerplate_map"}
    assert "Empty, so without a Hugging Face config: `boilerplate_map`." in card
    assert "0 distinct sentences repeated" in card


def test_export_refuses_stale_files_and_a_non_empty_destination(
    built: Path, tmp_path: Path
) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ExportError, match="not an empty folder"):
        export(occupied, root=built)
    documents = built / OUTPUTS["documents"].path
    pl.read_parquet(documents).head(1).write_parquet(documents)  # changed after the report
    with pytest.raises(ExportError, match="dvc repro"):
        export(tmp_path / "out", root=built)
    assert not (tmp_path / "out").exists()


def test_croissant_is_byte_identical_on_a_rerun(built: Path) -> None:
    files = {t: built / OUTPUTS[t].path for t in PUBLISHED}
    first = (built / CROISSANT).read_bytes()
    write_croissant(files, output=built / CROISSANT)
    assert (built / CROISSANT).read_bytes() == first
    assert b"T0" not in first.replace(b"T00:00", b"")  # no build time anywhere


def test_card_croissant_and_citation_name_the_dataset_from_params(
    built: Path, tmp_path: Path
) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["report"]["dataset"] = DATASET
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params), encoding="utf-8")
    files = {t: built / OUTPUTS[t].path for t in PUBLISHED}
    output = write_croissant(files, output=tmp_path / "croissant.json", params_file=params_file)
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["name"] == DATASET["name"]
    assert data["description"] == DATASET["description"]
    assert data["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert [c["name"] for c in data["creator"]] == DATASET["authors"]
    assert data["url"] == DATASET["url"] and data["version"] == DATASET["version"]
    software = Citation.from_pyproject()
    card = build_card(
        CorpusSummary.of_files(files),
        params=params,
        stages=[],
        files=files,
        citation=software,
        code="0" * 64,
        validation=None,
    )
    meta = front_matter(card)
    assert meta["pretty_name"] == DATASET["name"] and meta["license"] == "CC-BY-4.0"
    bibtex = card[card.index("```bibtex") + len("```bibtex\n") : card.rindex("```")].strip()
    # the same entry (the card was given a dummy code digest: the note differs there only)
    assert bibtex.split("  note")[0] == data["citeAs"].split("  note")[0]
    assert "author  = {{A. Byrne} and {C. Ortiz}}" in bibtex
    assert f"built with {software.name} {software.version}" in bibtex


def test_a_null_dataset_key_takes_the_softwares_value(built: Path) -> None:
    """Defaults: the dataset is named, authored, versioned and located as pyproject.toml
    (and so CITATION.cff, tests/publish/test_citation.py) says; the licence is the texts'."""
    software = Citation.from_pyproject()
    dataset = dataset_of_params({"report": {"dataset": {"name": None}}}, software)
    assert (dataset.name, dataset.description, dataset.authors) == (
        software.name,
        software.description,
        software.authors,
    )
    assert (dataset.url, dataset.version, dataset.license) == (
        software.url,
        software.version,
        "other",
    )
    data = json.loads((built / CROISSANT).read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert data["name"] == cff["title"] and data["version"] == cff["version"]
    assert [c["name"] for c in data["creator"]] == [a["name"] for a in cff["authors"]]
    assert data["url"] == cff["repository-code"]
    assert data["datePublished"] == cff["date-released"]


def test_the_card_tallies_detected_languages_and_describes_duplicates(built: Path) -> None:
    card = (built / CARD).read_text(encoding="utf-8")
    languages = card.split("### By language", 1)[1].split("###", 1)[0]
    assert "(unknown)" not in languages  # a page that declares none is still detected
    assert "| `en` | 4 |" in languages
    assert front_matter(card)["language"] == ["en"]
    duplicates = card.split("## Duplicates", 1)[1].split("\n## ", 1)[0]
    assert "1 cluster of two or more documents hold 2 of the 4 documents" in duplicates
    assert "0 exact duplicates" in duplicates and "1 near duplicate " in duplicates
    assert "kept and flagged" in duplicates
    assert "1 distinct sentence repeated" in duplicates and "6 times" in duplicates
    rows = {line.split("|")[1].strip() for line in card.splitlines() if line.startswith("| `")}
    assert {f"`{built / OUTPUTS[t].path}`" for t in PUBLISHED} <= rows
