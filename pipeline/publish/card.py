"""``reports/dataset_card.md``: a Hugging Face style dataset card, written by the report stage.

Every number in the card is computed here from the published Parquet files (the test suite
checks them against the files). How the corpus was built comes from ``dvc.yaml`` (the stage
list; DVC refuses dvc.yaml as a dependency, so a new stage shows up at the next data change)
and ``params.yaml`` (every section, a dependency of the report stage).
``python -m pipeline.publish.card --help`` writes it alone.

Identity and citation. The card is a tracked output, so it holds only what the tracked inputs
determine (a fresh clone's ``dvc repro`` writes the same bytes): not the hash of the
``dvc.lock`` that records it (the lock lists the card's own hash), not the git commit it was
built on, not a date. It holds:

* the **corpus fingerprint**: SHA-256 over the lines ``<md5>  <path>`` of the published
  files (:data:`pipeline.outputs.PUBLISHED`), where ``<md5>`` is the same digest ``dvc.lock``
  records for them under ``corpus``;
  anyone can recompute it from the files, any checkout, or ``dvc.lock``;
* the **pipeline code digest**: SHA-256 over the ``sha256sum`` lines of every file under
  ``pipeline/`` and ``expectations/`` plus ``pyproject.toml`` and ``uv.lock`` (see
  :data:`CODE_FILES`; all of them are deps of the report stage, so DVC reruns it when they
  change); the parameters are printed in full instead;
* the dataset's name, description, licence, authors, URL and version from ``params.yaml``
  ``report.dataset`` (a null key takes the software's value), and the software's citation from
  ``pyproject.toml`` (``[project]`` and ``[tool.newscorpus]``), which ``CITATION.cff`` agrees
  with (tested); see :mod:`pipeline.publish.identity`. ``reports/croissant.json`` says the same.

A version is cited by the git commit that holds the card and ``dvc.lock`` together with the
fingerprint (README, "Cite a version").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
import typer
import yaml

from pipeline.config import PARAMS_FILE, ExtractParams
from pipeline.outputs import OUTPUTS
from pipeline.outputs import PUBLISHED as PUBLISHED_TABLES
from pipeline.publish.identity import (
    OTHER_LICENSE,
    Citation,
    dataset_bibtex,
    dataset_of_params,
)
from pipeline.publish.plots import UNKNOWN, CorpusSummary, count_by, length_stats
from pipeline.runtime.hashing import md5_file, tree_digest
from pipeline.runtime.sink import atomic_path
from pipeline.runtime.stats import run_cli

PUBLISHED: dict[str, Path] = {name: OUTPUTS[name].path for name in PUBLISHED_TABLES}
CARD = Path("reports/dataset_card.md")
# What the card's code digest covers (folders walked whole, bytecode left out). Each is a
# dependency of the report stage in dvc.yaml (a test holds the two together).
CODE_FILES = ("pipeline", "expectations", "pyproject.toml", "uv.lock")
CODE_FILES_TEXT = "every file under `pipeline/` and `expectations/`, `pyproject.toml`, `uv.lock`"
LICENSE_NOTE = (
    "The texts belong to their publishers: this license does not cover them. Of the bundled "
    "sample, "
    "`seed_independent_belarus.txt` is a real news page kept for testing; every other sample "
    "page was written for this project about imaginary places and people. Before you "
    "redistribute a corpus built from your own pages, check the terms of their publishers."
)
LIMITATIONS = (
    "Main-text extraction and boilerplate removal are heuristic: some page furniture "
    "(captions, prompts, related links) can remain, and some short closing paragraphs can be "
    "lost.",
    "Sentence segmentation is rule-based with per-language data; languages without their own "
    "data fall back to generic rules.",
    "Metadata (URL, domain, title, dates, language) is taken from the page when it says so; "
    f"missing values stay null (shown as `{UNKNOWN}` here) and are never guessed.",
    "`published` is the first publication time the page states, converted to UTC; pages "
    "without a date are not placed in time.",
    "Counts describe exactly the inputs given to this build; they are not a sample of any "
    "population of news.",
    "Page types come from a small model: on held-out domains of a labelled benchmark it keeps "
    "about 98 % of articles and lets through about one page in six of other types (see "
    "reports/bench/page_types.md of the newscorpus repository).",
)


def code_digest(root: Path = Path()) -> str:
    """SHA-256 naming the pipeline's code (see :data:`CODE_FILES`), recomputable with
    ``find pipeline expectations pyproject.toml uv.lock -type f ! -path '*/__pycache__/*'
    ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum | sha256sum``."""
    return tree_digest(root, CODE_FILES)


def fingerprint(files: dict[str, Path]) -> tuple[str, dict[str, str]]:
    """(sha256 over ``<md5>  <path>`` lines sorted by path, path -> md5)."""
    md5s = {str(p): md5_file(p) for p in sorted(files.values(), key=str)}
    lines = "".join(f"{m}  {p}\n" for p, m in md5s.items())
    return hashlib.sha256(lines.encode("utf-8")).hexdigest(), md5s


def _label(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null(UNKNOWN)


def _sort_unknown_last(df: pl.DataFrame, key: str, *, by_count: str | None = None) -> pl.DataFrame:
    if by_count is None:
        return df.sort(pl.col(key) == UNKNOWN, key)
    return df.sort([pl.col(key) == UNKNOWN, by_count, key], descending=[False, True, False])


def breakdown(summary: CorpusSummary, column: str) -> pl.DataFrame:
    """Documents, sentences and characters per value of ``column`` (``year`` for published)."""
    key = _label(column)
    docs = summary.documents.group_by(key).agg(pl.col("documents", "characters").sum())
    sents = count_by(summary.sentences, key, "sentences")
    table = docs.join(sents, on=column, how="full", coalesce=True).select(
        column,
        pl.col("documents").fill_null(0),
        pl.col("sentences").fill_null(0),
        pl.col("characters").fill_null(0),
    )
    if column == "year":
        return _sort_unknown_last(table, column)
    return _sort_unknown_last(table, column, by_count="documents")


# A value made only of these (and letters, digits) is shown as code, as is: no Markdown or HTML
# can start in it.
_PLAIN_CODE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+-")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def markdown_text(value: str) -> str:
    """A page-derived ``value`` (a domain, a language) for a Markdown table cell, shown
    literally by any renderer. As code when it holds only letters, digits and ``_PLAIN_CODE``;
    else as text whose HTML-special characters are entities and whose other ASCII punctuation
    is backslash-escaped (CommonMark: taken literally), so no tag, link, emphasis or cell break
    can start in it; control characters and line breaks become U+FFFD."""
    if value and all(c in _PLAIN_CODE or c.isalnum() for c in value):
        return f"`{value}`"
    out = []
    for char in value:
        if char in _HTML_ENTITIES:
            out.append(_HTML_ENTITIES[char])
        elif char.isascii() and not char.isalnum() and char.isprintable() and char != " ":
            out.append("\\" + char)
        elif not char.isprintable() and char != " ":
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def page_types_section(summary: CorpusSummary, params: Mapping[str, Any]) -> list[str]:
    """``### By page type``: inputs per decided page type, kept and quarantined."""
    by_type = summary.pages_by_type()
    default = ExtractParams.model_fields["keep_page_types"].default
    keep = ", ".join(params.get("extract", {}).get("keep_page_types", default))
    if not by_type:
        return []
    table = pl.DataFrame(
        {
            "page_type": list(by_type),
            "kept": [v["kept"] for v in by_type.values()],
            "quarantined": [v["quarantined"] for v in by_type.values()],
        }
    )
    return [
        "### By page type",
        "",
        f"Every input with text gets a page type; this build keeps {keep} "
        "(`extract.keep_page_types`), the others are quarantined as `not_article`.",
        "",
        markdown_table(table),
        "",
    ]


def markdown_table(df: pl.DataFrame) -> str:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * df.width]
    for row in df.iter_rows():
        cells = [markdown_text(v) if isinstance(v, str) and v != UNKNOWN else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M" if n < 1_000_000 else "n>1M"


def stage_list(dvc_yaml: Path) -> list[tuple[str, str]]:
    """(stage, command) in dvc.yaml order; a stage made per item (``foreach``) shows its
    command as written, ``${item}`` and all."""
    spec = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}
    stages = (spec.get("stages") or {}).items()
    return [(name, str((s.get("do") or s).get("cmd", ""))) for name, s in stages]


def inputs_sentence(ingest: dict[str, Any]) -> str:
    """Where the inputs were read: the folder, the remote files, or both."""
    where = []
    if ingest.get("input_dir"):
        where.append(f"under `{ingest['input_dir']}` (`ingest.input_dir`)")
    urls = ingest.get("input_urls") or []
    if urls:
        where.append(
            f"in {len(urls)} remote files (`ingest.input_urls`, each with its ETag in `dvc.lock`)"
        )
    return " and ".join(where)


def filtered_by_filter(ingest_stats: Mapping[str, Any]) -> dict[str, int]:
    """Records ``ingest.filters`` dropped, by filter, from the ingest stage's stats (their
    ``filtered_<filter>`` keys): the metrics' ``documents.filtered_by_filter`` and the card's."""
    prefix = "filtered_"
    return {
        k.removeprefix(prefix): int(v)
        for k, v in sorted(ingest_stats.items())
        if k.startswith(prefix)
    }


def filtered_lines(by_filter: Mapping[str, int]) -> list[str]:
    """What ``ingest.filters`` left out: not inputs, so in no table, only counted here."""
    total = sum(by_filter.values())
    if not total:
        return []
    parts = ", ".join(f"{n} `{name}`" for name, n in by_filter.items())
    return [
        "",
        f"Out of scope by `ingest.filters`, dropped unread and not counted as inputs: {total} "
        f"records ({parts}).",
    ]


def ingest_filtered(stats: Path = Path("reports/stages/ingest.json")) -> dict[str, int]:
    """:func:`filtered_by_filter` of the ingest stage's stats file (empty when there is none)."""
    if not stats.is_file():
        return {}
    return filtered_by_filter(json.loads(stats.read_text(encoding="utf-8")))


class ValidationSummary(NamedTuple):
    """What reports/validation.json says: expectations passed and evaluated, and the failed
    ones (suite, expectation, column, unexpected count, sample row ids)."""

    passed: int
    evaluated: int
    failures: tuple[dict[str, Any], ...] = ()


def validation_summary(path: Path) -> ValidationSummary | None:
    """The summary of reports/validation.json (None when there is none)."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    results = [e for suite in data.values() for e in suite.get("expectations", [])]
    failures = tuple(
        {"suite": name, **failure}
        for name, suite in sorted(data.items())
        for failure in suite.get("failures", [])
    )
    return ValidationSummary(sum(1 for e in results if e.get("success")), len(results), failures)


def status_lines(
    n_documents: int, n_quarantined: int, validation: ValidationSummary | tuple[int, int] | None
) -> list[str]:
    """The card's plain statement of an empty corpus and of a failed validation (a run with
    ``validate.on_failure: warn`` finishes), with the failed expectations and their rows."""
    out: list[str] = []
    if n_documents == 0:
        why = (
            "the input held no file"
            if n_quarantined == 0
            else f"all {n_quarantined} inputs were quarantined (see Quarantine for the reasons)"
        )
        out += [f"**No document was kept**: {why}. The published tables are empty.", ""]
    if validation is not None and validation[0] < validation[1]:
        failures: tuple[dict[str, Any], ...] = getattr(validation, "failures", ())
        out += [
            f"**Validation failed**: {validation[1] - validation[0]} of {validation[1]} "
            "checks failed (`validate.on_failure: warn` let the run finish); do not use this "
            "corpus before reading `reports/validation.json` and "
            "`reports/data_docs/index.html`.",
            "",
        ]
        for f in failures:
            column = f" on `{f.get('column')}`" if f.get("column") else ""
            rows = ", ".join(
                " ".join(f"{k}={v}" for k, v in sorted(row.items()))
                for row in f.get("sample_rows") or []
            )
            rows = markdown_text(rows)  # ids and file names, from pages: shown literally
            out.append(
                f"- `{f['suite']}`: `{f.get('expectation')}`{column}, "
                f"{f.get('unexpected_count')} rows" + (f" (e.g. {rows})" if rows else "")
            )
        out += [""] if failures else []
    return out


def build_card(
    summary: CorpusSummary,
    *,
    params: dict[str, Any],
    stages: list[tuple[str, str]],
    files: dict[str, Path],
    citation: Citation,
    code: str,
    validation: ValidationSummary | tuple[int, int] | None,
    filtered: dict[str, int] | None = None,
) -> str:
    """The card's Markdown (YAML front matter first); ``code`` is the :func:`code_digest`;
    ``filtered``: records out of scope, by filter (:func:`ingest_filtered`)."""
    dataset = dataset_of_params(params, citation)
    name, license_id = dataset.name, dataset.license
    print_fp, md5s = fingerprint(files)
    heights = {
        "documents": summary.n_documents,
        "sentences": summary.n_sentences,
        "quarantine": summary.n_quarantined,
    }
    n_documents, n_sentences, n_quarantined = heights.values()
    heights |= {t: parquet_rows(p) for t, p in files.items() if t not in heights}
    n_inputs = n_documents + n_quarantined
    front: dict[str, Any] = {
        "pretty_name": name,
        "license": license_id,
        # Hugging Face asks for a name when the license is "other": the texts keep their
        # publishers' terms (see the License section).
        **({"license_name": "publishers-terms"} if license_id == OTHER_LICENSE else {}),
        "language": summary.languages,
        "size_categories": [_size_category(n_sentences)],
        "tags": ["news", "sentences", "web-pages", "dvc"],
        # One config per published table, under its repository path: the folder
        # `python -m pipeline.publish.export` assembles (this card as README.md) loads as is.
        "configs": hf_configs(files, heights),
        "newscorpus": {
            "inputs": n_inputs,
            "documents": n_documents,
            "sentences": n_sentences,
            "quarantined": n_quarantined,
            "fingerprint": f"sha256:{print_fp}",
            "code_digest": f"sha256:{code}",
            "version": citation.version,
        },
    }
    doc_lengths = {
        "mean": summary.document_lengths.mean(),
        "median": summary.document_lengths.quantile_linear(0.5),
        "min": summary.document_lengths.min(),
        "max": summary.document_lengths.max(),
    }
    sl = length_stats(summary.sentence_lengths)
    dated = summary.n_dated
    first_published, last_published = summary.published_span()
    ingest = params.get("ingest", {}) or {}
    quarantine_table = summary.quarantine.sort(
        ["inputs", "reason", "stage"], descending=[True, False, False]
    )

    out: list[str] = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip()]
    out += ["---", "", f"# Dataset card: {name}", ""]
    out += [
        "Generated by the `report` stage of `dvc repro` (`pipeline/publish/card.py`) from the "
        "published Parquet files; do not edit by hand.",
        "",
        "## What it is",
        "",
        f"{dataset.description}.",
        "",
        f"A sentence-level corpus of news articles: {n_documents} documents split into "
        f"{n_sentences} sentences with exact character offsets into the cleaned text, "
        "and rich page metadata (URL, domain, title, authors, dates, language). Every input "
        f"file is accounted for: {n_documents} kept + {n_quarantined} quarantined = "
        f"{n_inputs} inputs.",
        "",
        "| file | rows | md5 (as in dvc.lock) |",
        "|---|---|---|",
    ]
    for table, path in sorted(files.items()):
        out.append(f"| `{path}` | {heights.get(table, '')} | `{md5s[str(path)]}` |")
    empty = sorted(t for t in files if not heights[t])
    if empty:
        out += [
            "",
            f"Empty, so without a Hugging Face config: {', '.join(f'`{t}`' for t in empty)}.",
        ]
    out += ["", *status_lines(n_documents, n_quarantined, validation)]
    out += [
        "Schemas: generated from `pipeline/schema.py`; the same tables, fields, types and "
        "SHA-256 of each file are in `reports/croissant.json` (Croissant 1.1). "
        "`python -m pipeline.publish.export DEST` puts this card (as `README.md`), the tables "
        "and `croissant.json` in one folder, ready for `huggingface-cli upload`.",
        "",
        "## Where it comes from",
        "",
        "Raw news web pages (HTML, gzip, page text dumps, WARC records) "
        f"{inputs_sentence(ingest)}: {n_inputs} inputs"
        + (
            f" in {summary.source_files} files (each WARC record is one input)"
            if summary.source_files != n_inputs
            else ""
        )
        + f", from {len(summary.domains)} known domains.",
        *filtered_lines(filtered or {}),
        "",
        "## How it was built",
        "",
        "A DVC pipeline; each stage reads only its own section of `params.yaml`.",
        "",
        "| stage | command |",
        "|---|---|",
    ]
    out += [f"| `{s}` | `{c}` |" for s, c in stages]
    out += [
        "",
        "Parameters (`params.yaml`):",
        "",
        "```yaml",
        yaml.safe_dump(params, sort_keys=False, allow_unicode=True).strip(),
        "```",
        "",
    ]
    if validation is not None:
        out += [
            f"Validation: {validation[0]} of {validation[1]} Great Expectations checks passed "
            "(`reports/validation.json`, Data Docs in `reports/data_docs/index.html`).",
            "",
        ]
    out += [
        "## Counts",
        "",
        "### By domain",
        "",
        markdown_table(breakdown(summary, "domain")),
        "",
        "### By language (detected from the text)",
        "",
        markdown_table(breakdown(summary, "language_detected")),
        "",
        "### By year of publication (UTC)",
        "",
        markdown_table(breakdown(summary, "year")),
        "",
    ]
    first = first_published.astimezone(UTC).date().isoformat() if first_published else UNKNOWN
    last = last_published.astimezone(UTC).date().isoformat() if last_published else UNKNOWN
    out += [
        f"{dated} of {n_documents} documents have a publication date ({first} to {last}).",
        "",
        *page_types_section(summary, params),
    ]
    out += [
        "## Lengths (characters)",
        "",
        "| unit | min | p05 | median | mean | p95 | max |",
        "|---|---|---|---|---|---|---|",
        f"| sentence | {sl['min']:g} | {sl['p05']:g} | {sl['median']:g} | {sl['mean']:g} "
        f"| {sl['p95']:g} | {sl['max']:g} |",
        "| document | {min} | | {median:g} | {mean:.2f} | | {max} |".format(
            **{k: (v if v is not None else 0) for k, v in doc_lengths.items()}
        ),
        "",
        "## Quarantine",
        "",
        "Inputs that were not kept, by reason and the stage that dropped them "
        f"(`{PUBLISHED['quarantine'].as_posix()}`; the reasons are explained in "
        "docs/schemas.md of the newscorpus repository).",
        "",
        markdown_table(quarantine_table) if n_quarantined else "None.",
        "",
        *duplicates_section(files, params),
        *removals_section(files),
        "## Known limitations",
        "",
        *[f"- {item}" for item in LIMITATIONS],
        "",
        "## License",
        "",
        f"`{license_id}` (`report.dataset.license`). The pipeline code is "
        f"{citation.license}-licensed (`LICENSE`). {LICENSE_NOTE}",
        "",
        "## Citation",
        "",
        f"- corpus fingerprint: `sha256:{print_fp}` (SHA-256 of the `<md5>  <path>` lines of "
        "the files above, sorted by path; recompute with `python -m pipeline.publish.card "
        "--fingerprint-only`)",
        f"- pipeline code digest: `sha256:{code}` (SHA-256 of the `sha256sum` lines of "
        f"{CODE_FILES_TEXT}, sorted by path, `__pycache__` left out; recompute with "
        "`python -m pipeline.publish.card --code-digest-only`); parameters: listed in full above",
        f"- dataset: {dataset.name} {dataset.version}, {', '.join(dataset.authors)}, "
        f"<{dataset.url}> (`report.dataset` in `params.yaml`)",
        f"- software: {citation.name} {citation.version} ({citation.year}), "
        f"{', '.join(citation.authors)}, {citation.license} license, <{citation.url}>",
        "",
        "The card names what built the corpus by content, not by the git commit (it is written "
        "before the commit that records it, and rebuilds byte for byte on a fresh clone). Cite "
        "the commit or tag that contains this card and `dvc.lock` together with the "
        "fingerprint; `git checkout <commit> && dvc pull` gets these exact files back.",
        "",
        "```bibtex",
        dataset_bibtex(dataset, print_fp, citation, code),
        "```",
        "",
    ]
    return "\n".join(out)


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file (from its footer)."""
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def hf_configs(files: Mapping[str, Path], rows: Mapping[str, int]) -> list[dict[str, Any]]:
    """The Hugging Face ``configs``: one per table that has rows (``datasets`` cannot load an
    empty file: "corresponds to no data"), ``sentences`` the default, each under its published
    path (:data:`pipeline.outputs.OUTPUTS`) wherever ``files`` were read from."""
    ordered = sorted((t for t in files if rows[t]), key=lambda t: (t != "sentences", t))
    return [
        {
            "config_name": t,
            "data_files": OUTPUTS[t].path.as_posix(),
            **({"default": True} if i == 0 else {}),
        }
        for i, t in enumerate(ordered)
    ]


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def duplicate_counts(dedup_map: Path) -> dict[str, int]:
    """What ``dedup_map`` says: clusters of two or more documents, their documents, the exact
    and near duplicates in them, and how many of those were dropped (quarantined)."""
    in_clusters = pl.col("cluster_size") > 1
    method = pl.col("method")
    row = (
        pl.scan_parquet(dedup_map)
        .select(
            documents=pl.len(),
            clusters=pl.col("cluster_id").filter(in_clusters).n_unique(),
            in_clusters=in_clusters.sum(),
            exact=(method == "exact").sum(),
            near=(method == "near").sum(),
            dropped=pl.col("dropped").sum(),
        )
        .collect()
        .row(0, named=True)
    )
    return {k: int(v or 0) for k, v in row.items()}


def duplicates_section(files: Mapping[str, Path], params: dict[str, Any]) -> list[str]:
    """``## Duplicates`` from ``dedup_map`` and ``boilerplate_map`` (when published)."""
    if "dedup_map" not in files:
        return []
    n = duplicate_counts(files["dedup_map"])
    dropped = bool((params.get("corpus") or {}).get("drop_duplicates", False))
    out = [
        "## Duplicates",
        "",
        f"{_counted(n['clusters'], 'cluster')} of two or more documents hold "
        f"{n['in_clusters']} of the {n['documents']} documents compared: "
        f"{_counted(n['exact'], 'exact duplicate')} (the same normalised text) and "
        f"{_counted(n['near'], 'near duplicate')} (MinHash similarity of at least "
        "`corpus.near_duplicate_threshold`) of their cluster's representative, the earliest "
        "member.",
        "",
        f"{_counted(n['dropped'], 'duplicate')} dropped (quarantined as `duplicate_text` / "
        "`near_duplicate`, `corpus.drop_duplicates: true`)."
        if dropped
        else "Duplicates are kept and flagged (`corpus.drop_duplicates: false`): "
        "`documents.duplicate_of` names the representative, `documents.cluster_id` the "
        "cluster; filter on `duplicate_of IS NULL` for one document per cluster.",
        "",
        f"Every decision, with its similarity and method: `{files['dedup_map'].as_posix()}`.",
        "",
    ]
    if "boilerplate_map" in files:
        removed = pl.scan_parquet(files["boilerplate_map"]).select(
            sentences=pl.len(), removed=pl.col("n_removed_sentences").sum()
        )
        distinct, total = removed.collect().row(0)
        out += [
            f"Outlet boilerplate: {_counted(distinct, 'distinct sentence')} repeated across an "
            f"outlet's documents removed, {_counted(int(total or 0), 'time')} in all "
            f"(`{files['boilerplate_map'].as_posix()}`).",
            "",
        ]
    return out


def removals_section(files: Mapping[str, Path]) -> list[str]:
    """``## What cleaning removed``: the removal audit of the published documents, by rule."""
    if "documents" not in files:
        return []
    by_rule = (
        pl.scan_parquet(files["documents"])
        .select("doc_id", "removals")
        .explode("removals")
        .unnest("removals")
        .drop_nulls("rule")
        .group_by("stage", "rule")
        .agg(
            documents=pl.col("doc_id").n_unique(),
            spans=pl.len(),
            characters=pl.col("text").str.len_chars().sum(),
        )
        .sort("stage", "rule")
        .collect()
    )
    return [
        "## What cleaning removed",
        "",
        "Every span taken out of a document's extracted text is listed in "
        f"`{files['documents'].as_posix()}` (column `removals`: stage, rule, position, text); "
        "the text plus its removals rebuilds the extracted text, which validation checks.",
        "",
        markdown_table(by_rule) if by_rule.height else "Nothing was removed.",
        "",
    ]


def write_card(
    summary: CorpusSummary | None = None,
    *,
    output: Path = CARD,
    files: dict[str, Path] = PUBLISHED,
    dvc_yaml: Path = Path("dvc.yaml"),
    validation: Path = Path("reports/validation.json"),
) -> Path:
    """Build the card from the published files (or their ``summary`` already computed)."""
    summary = summary or CorpusSummary.of_files(files)
    params = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8")) or {}
    text = build_card(
        summary,
        params=params,
        stages=stage_list(dvc_yaml),
        files=files,
        citation=Citation.from_pyproject(),
        code=code_digest(),
        validation=validation_summary(validation),
        filtered=ingest_filtered(),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(output)  # named for this process: a killed writer's is swept
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return output


def main(
    output: Path = typer.Option(CARD),
    fingerprint_only: bool = typer.Option(False, help="print the corpus fingerprint and exit"),
    code_digest_only: bool = typer.Option(False, help="print the pipeline code digest and exit"),
) -> None:
    if fingerprint_only:
        print(f"sha256:{fingerprint(PUBLISHED)[0]}")
        return
    if code_digest_only:
        print(f"sha256:{code_digest()}")
        return
    print(f"wrote {write_card(output=output)}")


if __name__ == "__main__":
    run_cli(main)
