"""Plot data for ``dvc plots`` and the offline HTML template ``dvc plots show`` renders with.

The report stage writes one small JSON file per plot under ``reports/plots/`` (declared as
``plots:`` of the ``report`` stage in dvc.yaml). ``dvc plots show`` fills them into
``reports/templates/plots.html``, which carries vega, vega-lite and vega-embed inline, so the
page draws with no network (DVC's default page loads them from a CDN).

``python -m pipeline.publish.plots build-template <dir>`` rebuilds that page from the unpacked npm
tarballs (``npm pack vega@5 vega-lite@5 vega-embed@6``); see reports/templates/VENDORED.md.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.runtime.scratch import owned_tmp_file
from pipeline.schema import QUARANTINE_REASONS

PLOTS_DIR = Path("reports/plots")
TEMPLATE = Path("reports/templates/plots.html")
UNKNOWN = "(unknown)"
TABLES = ("documents", "sentences", "quarantine")

# (npm package, file inside the tarball) in load order: vega-embed needs the other two.
VENDORED: tuple[tuple[str, str], ...] = (
    ("vega", "build/vega.min.js"),
    ("vega-lite", "build/vega-lite.min.js"),
    ("vega-embed", "build/vega-embed.min.js"),
)


Frame = pl.DataFrame | pl.LazyFrame


def _lazy(frame: Frame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _streamed(query: pl.LazyFrame) -> pl.DataFrame:
    """Run an aggregation on the streaming engine: the Parquet is read a morsel at a time and
    only the small result is held, whatever the corpus size."""
    return query.collect(engine="streaming")


def _label(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null(UNKNOWN)


@dataclass(frozen=True)
class LengthDistribution:
    """How many values there are of each length (sorted by length, nulls left out). Quantiles
    come from the cumulative counts, exactly as Polars computes them on the whole column, in
    memory bounded by the number of distinct lengths instead of the number of rows."""

    lengths: tuple[int, ...]
    counts: tuple[int, ...]

    @classmethod
    def of(cls, frame: Frame, length: pl.Expr) -> LengthDistribution:
        table = _streamed(
            _lazy(frame)
            .select(length.alias("n"))
            .drop_nulls("n")
            .group_by("n")
            .agg(count=pl.len())
            .sort("n")
        )
        return cls(tuple(table["n"].to_list()), tuple(table["count"].to_list()))

    @property
    def total(self) -> int:
        return sum(self.counts)

    @cached_property
    def _cumulative(self) -> list[int]:
        return list(itertools.accumulate(self.counts))

    def _at(self, index: int) -> int:
        """The value at 0-based ``index`` of the sorted column."""
        return self.lengths[bisect.bisect_right(self._cumulative, index)]

    def mean(self) -> float | None:
        if not self.total:
            return None
        return sum(n * c for n, c in zip(self.lengths, self.counts, strict=True)) / self.total

    def quantile_nearest(self, q: float) -> int | None:
        """Polars' ``quantile(q, "nearest")``: the value at ``(n - 1) * q`` rounded half up."""
        if not self.total:
            return None
        position = (self.total - 1) * q
        index = math.floor(position)
        return self._at(index + 1 if position - index >= 0.5 else index)

    def quantile_linear(self, q: float) -> float | None:
        """Polars' ``quantile(q, "linear")`` (``median`` is q = 0.5): interpolated between the
        two values around ``(n - 1) * q``."""
        if not self.total:
            return None
        position = (self.total - 1) * q
        lower = math.floor(position)
        low, high = self._at(lower), self._at(math.ceil(position))
        return low + (high - low) * (position - lower) if high != low else float(low)

    def min(self) -> int | None:
        return self.lengths[0] if self.lengths else None

    def max(self) -> int | None:
        return self.lengths[-1] if self.lengths else None


def sentence_lengths(sentences: Frame) -> LengthDistribution:
    """Sentences per length in characters (``text`` read a morsel at a time, never held)."""
    return LengthDistribution.of(sentences, pl.col("text").str.len_chars())


def length_histogram(lengths: LengthDistribution, bin_chars: int) -> list[dict[str, Any]]:
    """Sentences per length bin ``[chars_from, chars_from + bin_chars)``, empty bins included."""
    if bin_chars < 1:
        raise ValueError("report.length_bin_chars must be >= 1")
    if not lengths.lengths:
        return []
    found: Counter[int] = Counter()
    for n, count in zip(lengths.lengths, lengths.counts, strict=True):
        found[n // bin_chars * bin_chars] += count
    return [
        {"chars_from": start, "chars_to": start + bin_chars - 1, "sentences": found[start]}
        for start in range(0, max(found) + 1, bin_chars)
    ]


def length_stats(lengths: LengthDistribution) -> dict[str, float]:
    """Sentence length in characters: mean, quantiles and max (0 for an empty corpus)."""
    row = {
        "mean": lengths.mean(),
        "p05": lengths.quantile_nearest(0.05),
        "median": lengths.quantile_linear(0.5),
        "p95": lengths.quantile_nearest(0.95),
        "min": lengths.min(),
        "max": lengths.max(),
    }
    return {k: round(float(v), 2) if v is not None else 0.0 for k, v in row.items()}


def document_keys(documents: Frame) -> pl.DataFrame:
    """Documents and characters per (domain, detected language, publication year and month),
    with the
    first and last publication time of each group: every per-document count of the report
    comes from this table, whose size follows the number of groups, not of documents."""
    published = pl.col("published")
    return _streamed(
        _lazy(documents)
        .select("domain", "language_detected", "page_type", "published", "n_chars")
        .group_by(
            "domain",
            "language_detected",
            "page_type",
            published.dt.year().alias("year"),
            published.dt.strftime("%Y-%m").alias("month"),
        )
        .agg(
            documents=pl.len(),
            characters=pl.col("n_chars").sum(),
            first=published.min(),
            last=published.max(),
        )
    )


def sentence_keys(sentences: Frame) -> pl.DataFrame:
    """Sentences per (domain, detected language of the sentence, publication year of its
    document)."""
    return _streamed(
        _lazy(sentences)
        .select("domain", "language_detected", "published")
        .group_by("domain", "language_detected", pl.col("published").dt.year().alias("year"))
        .agg(sentences=pl.len())
    )


def quarantine_keys(quarantine: Frame) -> pl.DataFrame:
    """Quarantined inputs per (reason, stage, page type)."""
    return _streamed(
        _lazy(quarantine)
        .select(pl.col("reason").cast(pl.String), "stage", "page_type")
        .group_by("reason", "stage", "page_type")
        .agg(inputs=pl.len())
    )


def count_source_files(documents: Frame, quarantine: Frame) -> int:
    """Distinct input files of the kept and quarantined inputs: a WARC record's
    ``source_path`` is ``<file>#<offset>``, so the part before ``#`` names its file."""
    paths = pl.concat([_lazy(t).select("source_path") for t in (documents, quarantine)])
    files = paths.select(pl.col("source_path").str.split("#").list.first().n_unique())
    return int(_streamed(files).item())


def count_by(table: pl.DataFrame, key: pl.Expr, count: str) -> pl.DataFrame:
    """Sum of ``count`` per value of ``key`` (an expression named after its column)."""
    return table.group_by(key).agg(pl.col(count).sum())


def documents_per_domain(keys: pl.DataFrame) -> list[dict[str, Any]]:
    """Documents per domain, most documents first (ties by name); no domain is ``(unknown)``.
    ``keys`` is a ``document_keys`` table."""
    counts = count_by(keys, _label("domain"), "documents")
    return counts.sort(["documents", "domain"], descending=[True, False]).to_dicts()


def documents_per_month(keys: pl.DataFrame) -> list[dict[str, Any]]:
    """Documents per publication month (``YYYY-MM``, UTC) in time order; undated last."""
    counts = count_by(keys, pl.col("month").fill_null(UNKNOWN), "documents")
    return counts.sort(pl.col("month") == UNKNOWN, "month").to_dicts()


def quarantine_per_reason(keys: pl.DataFrame) -> list[dict[str, Any]]:
    """Quarantined inputs for every reason of the closed set (zeros too, so revisions align).
    ``keys`` is a ``quarantine_keys`` table."""
    found = dict(count_by(keys, pl.col("reason"), "inputs").iter_rows())
    return [{"reason": r, "documents": int(found.get(r, 0))} for r in QUARANTINE_REASONS]


@dataclass(frozen=True)
class CorpusSummary:
    """Everything the metrics, plots and dataset card say about the published tables, from
    streamed aggregations: its size follows the number of domains, languages, months and
    distinct lengths, never the number of documents or sentences."""

    documents: pl.DataFrame  # document_keys
    sentences: pl.DataFrame  # sentence_keys
    quarantine: pl.DataFrame  # quarantine_keys
    sentence_lengths: LengthDistribution
    document_lengths: LengthDistribution  # n_chars
    source_files: int = 0  # input files behind the inputs (a WARC file holds many records)

    @classmethod
    def scan(cls, documents: Frame, sentences: Frame, quarantine: Frame) -> CorpusSummary:
        return cls(
            documents=document_keys(documents),
            sentences=sentence_keys(sentences),
            quarantine=quarantine_keys(quarantine),
            sentence_lengths=sentence_lengths(sentences),
            document_lengths=LengthDistribution.of(documents, pl.col("n_chars")),
            source_files=count_source_files(documents, quarantine),
        )

    @classmethod
    def of_files(cls, files: Mapping[str, Path]) -> CorpusSummary:
        return cls.scan(*(pl.scan_parquet(files[t]) for t in TABLES))

    @property
    def n_documents(self) -> int:
        return int(self.documents["documents"].sum())

    @property
    def n_sentences(self) -> int:
        return int(self.sentences["sentences"].sum())

    @property
    def n_quarantined(self) -> int:
        return int(self.quarantine["inputs"].sum())

    def pages_by_type(self) -> dict[str, dict[str, int]]:
        """Inputs whose page type was decided, per type: how many were kept, how many
        quarantined (as not_article, or for another reason after the decision)."""
        kept = count_by(self.documents, pl.col("page_type"), "documents")
        dropped = count_by(self.quarantine, pl.col("page_type"), "inputs")
        out: dict[str, dict[str, int]] = {}
        for column, table in (("kept", kept), ("quarantined", dropped)):
            for page_type, n in table.iter_rows():
                if page_type is not None:
                    out.setdefault(page_type, {"kept": 0, "quarantined": 0})[column] = int(n)
        return dict(sorted(out.items()))

    @property
    def n_dated(self) -> int:
        return int(self.documents.filter(pl.col("year").is_not_null())["documents"].sum())

    @property
    def n_characters(self) -> int:
        return int(self.documents["characters"].sum())

    @property
    def domains(self) -> list[str]:
        return sorted(self.documents["domain"].drop_nulls().unique().to_list())

    @property
    def languages(self) -> list[str]:
        """Languages detected in the documents' text (not the ones the pages declare)."""
        return sorted(self.documents["language_detected"].drop_nulls().unique().to_list())

    def published_span(self) -> tuple[datetime | None, datetime | None]:
        """First and last publication time (``None`` when no document is dated)."""
        first, last = self.documents.select(pl.col("first").min(), pl.col("last").max()).row(0)
        return first, last


def plot_tables(summary: CorpusSummary, bin_chars: int) -> dict[str, list[dict[str, Any]]]:
    """File stem -> rows, one entry per plot declared in dvc.yaml."""
    return {
        "sentence_length": length_histogram(summary.sentence_lengths, bin_chars),
        "documents_per_domain": documents_per_domain(summary.documents),
        "documents_per_month": documents_per_month(summary.documents),
        "quarantine_reasons": quarantine_per_reason(summary.quarantine),
    }


# Characters a plot label keeps as they are; none of them can end or start markup.
_LABEL_PUNCTUATION = frozenset(" ._:()+-")


def plot_label(value: str) -> str:
    """A label safe wherever a plot goes: letters, digits and ``_LABEL_PUNCTUATION`` as they
    are, any other character percent-encoded (its UTF-8 bytes as ``%XX``, ``%`` itself too).

    ``dvc plots show`` writes each plot's data into the page as ``var spec = <JSON>;`` inside a
    ``<script>``, and its JSON leaves ``</script>`` as it is: a domain such as
    ``x</script><img src=x onerror=...>`` would end the script and run. Labels come from pages
    (domains) and cannot be trusted; a real host name or month is left unchanged."""
    return "".join(
        char
        if char.isalnum() or char in _LABEL_PUNCTUATION
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        for char in value
    )


def write_plot(rows: list[dict[str, Any]], path: Path) -> None:
    """A JSON array of flat objects, the plot format DVC reads; replaced atomically. Every
    string value goes through ``plot_label``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = [{k: plot_label(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    tmp = owned_tmp_file(path)  # named for this process: a killed writer's is swept
    tmp.write_text(json.dumps(safe, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


PAGE_HEAD = """<!DOCTYPE html>
<!-- newscorpus: DVC plots page that works offline (no CDN). Generated by
     `python -m pipeline.publish.plots build-template`; do not edit by hand.
{provenance}
     DVC replaces the plot_divs placeholder below with one vega-embed call per plot. -->
<html>
<head>
<meta charset="utf-8">
<title>newscorpus plots</title>
<style>
  body {{ font-family: sans-serif; margin: 1.5em; }}
  body > div {{ margin-bottom: 2em; }}
  table {{ border-spacing: 15px; }}
</style>
"""

# DVC's plot divs call vegaEmbed(id, spec) with no options: default to SVG (inspectable in the
# DOM, sharp in screenshots) and no action menu, whose links point online.
EMBED_DEFAULTS = """<script>
(function () {
  var embed = window.vegaEmbed;
  window.vegaEmbed = function (el, spec, opts) {
    return embed(el, spec, Object.assign({renderer: "svg", actions: false}, opts || {}));
  };
})();
</script>
"""


def build_template(unpacked: Path, output: Path = TEMPLATE) -> dict[str, dict[str, str]]:
    """Inline the vendored vega libraries into DVC's HTML template; return their provenance.

    ``unpacked`` holds one directory per package (``vega/``, ``vega-lite/``, ``vega-embed/``),
    each the ``package/`` folder of its npm tarball.
    """
    scripts: list[str] = []
    provenance: dict[str, dict[str, str]] = {}
    for package, relpath in VENDORED:
        root = unpacked / package
        meta = json.loads((root / "package.json").read_text(encoding="utf-8"))
        code = (root / relpath).read_text(encoding="utf-8")
        if "</script" in code.lower() or "{plot_divs}" in code or "{scripts}" in code:
            raise ValueError(f"{package}/{relpath} cannot be inlined as is")
        provenance[package] = {
            "version": str(meta["version"]),
            "license": str(meta["license"]),
            "file": relpath,
            "sha256": hashlib.sha256(code.encode("utf-8")).hexdigest(),
        }
        scripts.append(f"<script>/* {package}@{meta['version']} {relpath} */\n{code}\n</script>\n")
    lines = "\n".join(
        f"     {p}@{v['version']} ({v['license']}) {v['file']} sha256 {v['sha256']}"
        for p, v in provenance.items()
    )
    page = (
        PAGE_HEAD.format(provenance=lines)
        + "".join(scripts)
        + EMBED_DEFAULTS
        + "</head>\n<body>\n<h1>newscorpus plots</h1>\n{plot_divs}\n</body>\n</html>\n"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return provenance


cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command("build-template")
def build_template_cmd(
    unpacked: Path = typer.Argument(..., help="dir with vega/, vega-lite/, vega-embed/"),
    output: Path = typer.Option(TEMPLATE),
) -> None:
    """Rebuild the offline DVC plots page from unpacked npm tarballs."""
    print(json.dumps(build_template(unpacked, output), indent=2))


@cli.callback()
def _group() -> None:
    """Plot helpers for the report stage (the stage itself is `python -m pipeline.report`)."""


if __name__ == "__main__":
    cli()
