"""Stage 5, validate: one Great Expectations suite per stage output (``expectations/*.json``).

A failed expectation makes this stage, and so ``dvc repro``, fail with the suite, the
expectation, the column, the unexpected count and sample values and rows. Data Docs (static
HTML) are written to ``reports/data_docs``. ``python -m pipeline.validate --help``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import polars as pl
import typer

from pipeline.offline_docs import make_offline
from pipeline.schema import QUARANTINE_REASONS, QuarantineReason
from pipeline.stage import load_params, run_cli, timed_stage, write_json

STAGE = "validate"

# Suite name -> (Parquet file, columns identifying a row in failure reports).
SUITE_TABLES: dict[str, tuple[str, list[str]]] = {
    "ingested": ("data/interim/ingested.parquet", ["doc_id"]),
    "extracted": ("data/interim/extracted.parquet", ["doc_id"]),
    "cleaned": ("data/interim/cleaned.parquet", ["doc_id"]),
    "documents": ("data/processed/documents.parquet", ["doc_id"]),
    "sentences": ("data/processed/sentences.parquet", ["sentence_id"]),
    "quarantine": ("data/processed/quarantine.parquet", ["source_path", "stage"]),
    "accounting": ("data/interim/inventory.parquet", ["source_path"]),
}


@dataclass(frozen=True)
class Failure:
    suite: str
    expectation: str
    column: str | None
    unexpected_count: int | None
    observed: Any
    sample_values: list[Any]
    sample_rows: list[dict[str, Any]]

    def describe(self) -> str:
        where = f" on column '{self.column}'" if self.column else ""
        lines = [f"  FAILED {self.suite}: {self.expectation}{where}"]
        if self.unexpected_count is not None:
            lines.append(f"    unexpected count: {self.unexpected_count}")
        if self.observed is not None:
            lines.append(f"    observed value: {self.observed!r}")
        if self.sample_values:
            lines.append(f"    sample values: {[_short(v) for v in self.sample_values]}")
        if self.sample_rows:
            lines.append(f"    sample rows: {[_short(r) for r in self.sample_rows]}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def domain_consistent(url: str | None, domain: str | None) -> bool:
    """A domain must be the url's host (or a parent of it) whenever both are known."""
    host = host_of(url)
    if host is None or domain is None:
        return True
    return host == domain or host.endswith("." + domain)


def offsets_slice_back(sentences: pl.DataFrame, documents: pl.DataFrame) -> pl.Series:
    """True where documents.text[char_start:char_end] == sentences.text."""
    texts = dict(documents.select("doc_id", "text").iter_rows())
    ok = [
        doc_id in texts and texts[doc_id][start:end] == text
        for doc_id, start, end, text in sentences.select(
            "doc_id", "char_start", "char_end", "text"
        ).iter_rows()
    ]
    return pl.Series("offsets_slice_back", ok, dtype=pl.Boolean)


# The stage that must report each reason; reasons not listed may come from any stage
# (``timeout`` is per stage; ``duplicate`` is found by bytes at ingest or by text later).
REASON_STAGES: dict[str, frozenset[str]] = {
    **{
        r.value: frozenset({"ingest"})
        for r in (
            QuarantineReason.EMPTY,
            QuarantineReason.BINARY,
            QuarantineReason.UNDECODABLE,
            QuarantineReason.CORRUPT_GZIP,
            QuarantineReason.TOO_LARGE,
            QuarantineReason.INFLATED_TOO_LARGE,
            QuarantineReason.UNREADABLE,
        )
    },
    **{
        r.value: frozenset({"extract"})
        for r in (
            QuarantineReason.NO_CONTENT,
            QuarantineReason.TEXT_TOO_LONG,
            QuarantineReason.EXTRACTION_ERROR,
        )
    },
    QuarantineReason.TOO_SHORT.value: frozenset({"clean"}),
    QuarantineReason.NO_SENTENCES.value: frozenset({"segment", "corpus"}),
}


def reason_fits_stage(reason: str | None, stage: str | None) -> bool:
    """False when a reason is reported by a stage that cannot have found it."""
    if reason is None or stage is None:
        return False
    allowed = REASON_STAGES.get(str(reason))
    return allowed is None or stage in allowed


def _text_checks(df: pl.DataFrame) -> pl.DataFrame:
    """text_length, and for cleaned text: counts that match the text, NFC normal form."""
    out = df.with_columns(text_length=pl.col("text").str.len_chars().cast(pl.Int64))
    if "n_chars" in df.columns:
        out = out.with_columns(
            n_chars_matches_text=pl.col("n_chars") == pl.col("text_length"),
            n_paragraphs_matches_text=pl.col("n_paragraphs")
            == pl.col("text").str.count_matches("\n", literal=True) + 1,
            text_is_nfc=pl.col("text").str.normalize("NFC") == pl.col("text"),
        )
    return out


def _domain_checks(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.Series(
            "domain_matches_url",
            [domain_consistent(u, d) for u, d in df.select("url", "domain").iter_rows()],
            dtype=pl.Boolean,
        )
    )


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
_C0_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def raw_text_facts(frame: FrameT) -> FrameT:
    """The facts the ``ingested`` suite checks about the raw pages, in place of the pages."""
    return frame.with_columns(
        raw_text_chars=pl.col("raw_text").str.len_chars().cast(pl.Int64),
        raw_text_has_controls=pl.col("raw_text").str.contains(_C0_CONTROLS),
    ).drop("raw_text")


def load_table(name: str, path: Path) -> pl.DataFrame:
    """A table to validate. The raw pages are the bulk of ``ingested``: they are reduced to
    their facts while streaming, so validation never holds every page at once."""
    if name != "ingested":
        return pl.read_parquet(path)
    return raw_text_facts(pl.scan_parquet(path)).collect(engine="streaming")


def sentence_checks(sentences: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Derived sentence columns: offsets slice back, text length, order within the document,
    and in how many documents (duplicate clusters) of the same domain the same sentence text
    appears (page chrome that slipped through repeats across a site's pages; null when the
    domain is unknown)."""
    out = sentences.with_columns(offsets_slice_back(sentences, documents))
    # A story republished (a duplicate cluster) repeats its own sentences: count clusters.
    if "cluster_id" in documents.columns:
        clusters = documents.select(
            "doc_id", _cluster=pl.col("cluster_id").fill_null(pl.col("doc_id"))
        )
        out = out.join(clusters, on="doc_id", how="left", maintain_order="left")
    else:
        out = out.with_columns(_cluster=pl.col("doc_id"))
    ordered = pl.int_range(pl.len()).over("doc_id", order_by="sentence_index")
    previous_end = pl.col("char_end").shift(1).over("doc_id", order_by="sentence_index")
    return out.with_columns(
        text_length=pl.col("text").str.len_chars().cast(pl.Int64),
        follows_previous=(pl.col("sentence_index") == ordered)
        & (previous_end.is_null() | (pl.col("char_start") >= previous_end)),
        domain_repeat_docs=pl.when(pl.col("domain").is_not_null()).then(
            pl.col("_cluster").n_unique().over("domain", "text").cast(pl.Int64)
        ),
    ).drop("_cluster")


def accounting_checks(
    inventory: pl.DataFrame, documents: pl.DataFrame, quarantine: pl.DataFrame
) -> pl.DataFrame:
    """One row per input path (and per path an output names): outcomes and whether it was kept."""
    crash = QuarantineReason.EXTRACTION_ERROR.value
    outcomes = pl.concat(
        [
            documents.select("source_path", outcome=pl.lit("kept")),
            quarantine.select(
                "source_path",
                outcome=pl.when(pl.col("reason").cast(pl.String) == crash)
                .then(pl.lit(crash))
                .otherwise(pl.lit("quarantined")),
            ),
        ]
    )
    per_path = outcomes.group_by("source_path").agg(
        n_outcomes=pl.len(),
        kept=(pl.col("outcome") == "kept").any().cast(pl.Int8),
        crashed=(pl.col("outcome") == crash).any().cast(pl.Int8),
    )
    return (
        inventory.join(per_path, on="source_path", how="full", coalesce=True)
        .with_columns(
            pl.col("n_outcomes").fill_null(0),
            pl.col("kept").fill_null(0),
            pl.col("crashed").fill_null(0),
        )
        .with_columns(in_inventory=pl.col("source_path").is_in(inventory["source_path"].implode()))
        .sort("source_path")
    )


def with_derived_checks(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Add the cross-column and cross-table facts that GX cannot compute as columns; each
    expectation using one says so in its ``meta.why``. Frames that are absent are skipped."""
    out = dict(frames)
    if "ingested" in frames:
        ingested = frames["ingested"]
        if "raw_text" in ingested.columns:
            ingested = raw_text_facts(ingested)
        out["ingested"] = ingested.with_columns(
            doc_id_is_hash_prefix=pl.col("source_sha256").str.slice(0, 16) == pl.col("doc_id")
        )
    for name in ("extracted", "cleaned", "documents"):
        if name in frames:
            out[name] = _text_checks(_domain_checks(frames[name]))
    documents = frames.get("documents")
    sentences = frames.get("sentences")
    if documents is not None and sentences is not None:
        out["sentences"] = sentence_checks(sentences, documents)
        per_doc = sentences.group_by("doc_id").agg(n_sentences=pl.len().cast(pl.Int64))
        out["documents"] = (
            out["documents"]
            .join(per_doc, on="doc_id", how="left")
            .with_columns(pl.col("n_sentences").fill_null(0))
        )
    quarantine = frames.get("quarantine")
    if quarantine is not None:
        out["quarantine"] = quarantine.with_columns(
            pl.Series(
                "reason_fits_stage",
                [
                    reason_fits_stage(r, s)
                    for r, s in quarantine.select(
                        pl.col("reason").cast(pl.String), "stage"
                    ).iter_rows()
                ],
                dtype=pl.Boolean,
            )
        )
    if "accounting" in frames and documents is not None and quarantine is not None:
        out["accounting"] = accounting_checks(frames["accounting"], documents, quarantine)
    return out


def suite_parameters(params: dict[str, Any], frames: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """Values the suites refer to as ``{"$PARAMETER": name}``: the validate section of
    params.yaml, plus facts of this run."""
    return {
        **params,
        "now": datetime.now(UTC).isoformat(),
        "input_files": frames["accounting"].height,
        "quarantine_reasons": list(QUARANTINE_REASONS),
    }


def _with_sample_rows_for_docs(run: Any) -> Any:
    """The validation result with each failure's sample rows where the Data Docs renderer
    looks for them. GX renders the id columns of failing rows only from ``unexpected_index_list``,
    which the COMPLETE result format fills with *every* failing row (unbounded on a large
    corpus); the SUMMARY format's bounded samples are copied there instead."""
    for item in run.results:
        res = item.result
        if isinstance(res, dict) and res.get("partial_unexpected_index_list"):
            res["unexpected_index_list"] = list(res["partial_unexpected_index_list"])
            res["unexpected_list"] = list(res.get("partial_unexpected_list") or [])
    return run


def load_suite_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_suites(
    frames: dict[str, pl.DataFrame],
    suites_dir: Path,
    parameters: dict[str, Any],
    docs_dir: Path | None,
) -> tuple[list[Failure], dict[str, Any]]:
    """Validate each frame with its suite; return the failures and a JSON-able summary."""
    # Imported here: GX's import is slow and only this stage needs it.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        ctx.add_data_docs_site(
            site_name="newscorpus",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = ctx.data_sources.add_pandas("newscorpus")
    failures: list[Failure] = []
    summary: dict[str, Any] = {}
    for name, (_, id_columns) in SUITE_TABLES.items():
        spec = load_suite_json(suites_dir / f"{name}.json")
        suite = gx.ExpectationSuite(**spec)
        # GX drops an invalid expectation silently (only logs): refuse to validate with fewer.
        if len(suite.expectations) != len(spec["expectations"]):
            raise ValueError(
                f"suite {name}: {len(spec['expectations'])} expectations in file, "
                f"{len(suite.expectations)} loaded"
            )
        suite = ctx.suites.add(suite)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[],
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": 5,
                    "unexpected_index_column_names": id_columns,
                },
            )
        )
        result = checkpoint.run(
            batch_parameters={"dataframe": frames[name].to_pandas()},
            expectation_parameters=parameters,
        )
        if docs_dir is not None:
            for key, run in result.run_results.items():
                ctx.validation_results_store.set(key, _with_sample_rows_for_docs(run))
        suite_summary: list[dict[str, Any]] = []
        for run in result.run_results.values():
            for item in run.results:
                config = item.expectation_config
                if config is None:
                    continue
                column = config.kwargs.get("column")
                res = item.result or {}
                exc = (item.exception_info or {}).get("exception_message")
                suite_summary.append(
                    {
                        "expectation": config.type,
                        "column": column,
                        "success": bool(item.success),
                        "unexpected_count": res.get("unexpected_count"),
                        "error": exc,
                    }
                )
                if not item.success:
                    index_rows = res.get("partial_unexpected_index_list") or []
                    failures.append(
                        Failure(
                            suite=name,
                            expectation=config.type + (f" [{exc}]" if exc else ""),
                            column=column,
                            unexpected_count=res.get("unexpected_count"),
                            observed=res.get("observed_value"),
                            sample_values=list(res.get("partial_unexpected_list") or [])[:5],
                            sample_rows=[
                                {k: v for k, v in row.items() if k in id_columns}
                                for row in index_rows[:5]
                            ],
                        )
                    )
        suite_summary.sort(key=lambda e: (e["expectation"], str(e["column"])))
        summary[name] = {
            "rows": frames[name].height,
            "success": all(e["success"] for e in suite_summary),
            "expectations": suite_summary,
        }
    if docs_dir is not None:
        ctx.build_data_docs(site_names=["newscorpus"])
    return failures, summary


def main(
    suites_dir: Path = typer.Option(Path("expectations")),
    summary_out: Path = typer.Option(Path("reports/validation.json")),
    docs_dir: Path = typer.Option(Path("reports/data_docs")),
) -> None:
    params = load_params(STAGE)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with timed_stage(STAGE) as stats:
        frames = {name: load_table(name, Path(path)) for name, (path, _) in SUITE_TABLES.items()}
        frames = with_derived_checks(frames)
        parameters = suite_parameters(params, frames)
        failures, summary = run_suites(frames, suites_dir, parameters, docs_dir)
        write_json(summary, summary_out)
        # GX pages load their scripts and styles from CDNs: point them at vendored copies.
        for page, urls in make_offline(docs_dir).items():
            print(f"warning: Data Docs page {page} still loads {urls}", file=sys.stderr)
        stats.docs_in = stats.docs_out = frames["documents"].height
        stats.extra["failed_expectations"] = len(failures)
    if failures:
        print("Data validation failed (see reports/data_docs/index.html):", file=sys.stderr)
        for failure in failures:
            print(failure.describe(), file=sys.stderr)
        raise typer.Exit(code=1)
    print(f"validation passed: {len(SUITE_TABLES)} suites")


if __name__ == "__main__":
    run_cli(main)
