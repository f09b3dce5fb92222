"""Validation results added up over the chunks, distribution gates, and what the stage reports.

The per-chunk results are added up per expectation: success over all rows (``mostly`` on the
summed counts), counts summed, the first sample rows in chunk order. One validation result per
suite goes to the Data Docs. A gated expectation lets a share of rows fail, with a binomial
tolerance that makes sense at any size (``allowed_unexpected``). Page text stays in the Data
Docs; the summaries name failing rows by their ids only.
"""

from __future__ import annotations

import copy
import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.quality.data_docs import write_site
from pipeline.quality.gx import (
    GATE,
    ROW_EXPECTATIONS,
    SAMPLE_ROWS,
    UNEXPECTED_UNITS,
    UNITS,
    SuiteSpec,
    gate_unit,
)
from pipeline.schema import MAX_TITLE_CHARS, QUARANTINE_REASONS


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


def _counts_key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _add_run(total: dict[str, Any] | None, run: dict[str, Any]) -> dict[str, Any]:
    """Distinct units over chunks in order: a chunk's first unit is not counted again when it
    is the last one seen before (a unit's rows are contiguous)."""
    if total is None:
        return dict(run)
    repeated = run["first"] is not None and run["first"] == total["last"]
    last = run["last"] if run["last"] is not None else total["last"]
    return {
        "count": total["count"] + run["count"] - repeated,
        "first": total["first"],
        "last": last,
    }


@dataclass
class Tally:
    """One expectation's results (GX result JSON) added up over the chunks, in chunk order."""

    first: dict[str, Any]  # the first chunk's result: config and meta
    success: bool = True
    element_count: int = 0
    missing_count: int | None = 0
    unexpected_count: int | None = 0
    sample_values: list[Any] = field(default_factory=list)
    sample_rows: list[Any] = field(default_factory=list)
    value_counts: dict[Any, int] = field(default_factory=dict)
    exception_info: dict[str, Any] | None = None
    # a per-unit gate's distinct units, and the last one seen (chunks meet in at most one)
    units: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, item: dict[str, Any]) -> None:
        res: dict[str, Any] = item.get("result") or {}
        self.success = self.success and bool(item.get("success"))
        info = item.get("exception_info") or {}
        if info.get("raised_exception") and self.exception_info is None:
            self.exception_info = info
        self.element_count += int(res.get("element_count") or 0)
        missing, unexpected = res.get("missing_count"), res.get("unexpected_count")
        self.missing_count = (
            None if missing is None or self.missing_count is None else self.missing_count + missing
        )
        self.unexpected_count = (
            None
            if unexpected is None or self.unexpected_count is None
            else self.unexpected_count + unexpected
        )
        room = max(SAMPLE_ROWS - len(self.sample_values), 0)
        self.sample_values += list(res.get("partial_unexpected_list") or [])[:room]
        room = max(SAMPLE_ROWS - len(self.sample_rows), 0)
        self.sample_rows += list(res.get("partial_unexpected_index_list") or [])[:room]
        for entry in res.get("partial_unexpected_counts") or []:
            value = _counts_key(entry.get("value"))
            self.value_counts[value] = self.value_counts.get(value, 0) + int(entry.get("count", 0))
        for key in (UNITS, UNEXPECTED_UNITS):
            if key in res:
                self.units[key] = _add_run(self.units.get(key), res[key])

    def merged(self, chunks: int) -> dict[str, Any]:
        """The expectation's result over the whole table."""
        item = copy.deepcopy(self.first)
        if chunks == 1:
            return item
        res: dict[str, Any] = dict(item.get("result") or {})
        res.pop("unexpected_index_query", None)
        elements, unexpected, missing = (
            self.element_count,
            self.unexpected_count,
            self.missing_count,
        )
        considered = elements - (missing or 0)
        if "element_count" in res:
            res["element_count"] = elements
        if unexpected is not None:
            res["unexpected_count"] = unexpected
            if elements > 0:
                percent = unexpected / considered * 100 if considered > 0 else None
                res["unexpected_percent"] = percent
                if missing is not None:
                    res["missing_count"] = missing
                    res["missing_percent"] = missing / elements * 100
                    res["unexpected_percent_total"] = unexpected / elements * 100
                    res["unexpected_percent_nonmissing"] = percent
        if "partial_unexpected_list" in res:
            res["partial_unexpected_list"] = self.sample_values
        if "partial_unexpected_index_list" in res:
            res["partial_unexpected_index_list"] = self.sample_rows
        res.update(self.units)
        if "partial_unexpected_counts" in res:
            ranked = sorted(self.value_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            res["partial_unexpected_counts"] = [{"value": v, "count": c} for v, c in ranked[:20]]
        item["result"] = res
        if self.exception_info is not None:
            item["exception_info"], item["success"] = self.exception_info, False
        elif unexpected is not None:
            # GX's own rule (``_mostly_success``), on the whole table's counts.
            mostly = float(item["expectation_config"]["kwargs"].get("mostly", 1.0))
            item["success"] = considered <= 0 or (considered - unexpected) / considered >= mostly
        else:
            item["success"] = self.success
        return item


DEFAULT_GATE_FALSE_ALARM = 0.001


def allowed_unexpected(rows: int, share: float, false_alarm: float) -> int:
    """The most rows of ``rows`` a gate lets fail: the (1 - ``false_alarm``) quantile of
    Binomial(rows, share), i.e. the count a corpus whose true rate of bad rows is exactly
    ``share`` stays within, but for a ``false_alarm`` chance. At 13 rows and a share of 1 %
    that is 2 rows (one document quoting ``<script>`` is no sign of a broken extractor); at
    10 million rows, 1 % plus about three standard deviations (~100,970). Share 0: none; 1:
    all."""
    if rows <= 0 or share <= 0:
        return 0
    if share >= 1:
        return rows
    mean = rows * share
    sd = math.sqrt(mean * (1 - share))
    if sd > 30:  # the normal approximation is within a row or two of the exact quantile here
        # the lower tail's quantile, negated: 1 - false_alarm is 1.0 for a false_alarm < 1e-16
        z = -statistics.NormalDist().inv_cdf(false_alarm)
        return min(rows, math.floor(mean + z * sd))
    # exact: the probabilities of the counts within 12 standard deviations of the mean (the
    # rest is below 1e-30), scaled by the largest so that none underflows
    low, high = max(0, math.floor(mean - 12 * sd - 10)), min(rows, math.ceil(mean + 12 * sd + 10))
    log_p, log_q = math.log(share), math.log1p(-share)
    log_n = math.lgamma(rows + 1)
    logs = [
        log_n - math.lgamma(k + 1) - math.lgamma(rows - k + 1) + k * log_p + (rows - k) * log_q
        for k in range(low, high + 1)
    ]
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total, cumulative = sum(weights), 0.0
    for k, weight in zip(range(low, high + 1), weights, strict=True):
        cumulative += weight
        if cumulative / total >= 1 - false_alarm:
            return k
    return high


def gate_share(expectation: dict[str, Any], parameters: dict[str, Any]) -> float | None:
    """A gated expectation's share of rows allowed to fail (None: not a gate)."""
    gate = (expectation.get("meta") or {}).get(GATE)
    if not isinstance(gate, dict):
        return None
    share = gate.get("max_share")
    if isinstance(share, dict):
        name = str(share.get("$PARAMETER"))
        if name not in parameters:
            raise KeyError(f"validate.{name}: not set (the gate of a {expectation['type']})")
        share = parameters[name]
    if not isinstance(share, int | float | str):
        raise ValueError(f"gate share {share!r} is not a number")
    value = float(share)
    if not 0 <= value <= 1:
        raise ValueError(f"gate share {value} is not between 0 and 1")
    return value


def judge_gate(
    item: dict[str, Any], share: float, false_alarm: float, per: str | None = None
) -> dict[str, Any]:
    """The expectation's result over the whole table, judged as a gate: it passes when at
    most ``allowed_unexpected`` rows fail. The result shows the share this came to as its
    ``mostly`` (so the Data Docs state the rule that was applied) and the gate's figures in
    its meta."""
    item = copy.deepcopy(item)
    res = item.get("result") or {}
    unexpected = res.get("unexpected_count")
    considered = int(res.get("element_count") or 0) - int(res.get("missing_count") or 0)
    if unexpected is None or (item.get("exception_info") or {}).get("raised_exception"):
        return item
    if per is not None:  # distinct units (documents), not rows
        considered, unexpected = res[UNITS]["count"], res[UNEXPECTED_UNITS]["count"]
    allowed = allowed_unexpected(considered, share, false_alarm)
    item["success"] = int(unexpected) <= allowed
    if considered > 0:
        item["expectation_config"]["kwargs"]["mostly"] = 1 - allowed / considered
    item["meta"] = {
        **(item.get("meta") or {}),
        GATE: {
            "rows": considered,
            "unexpected": int(unexpected),
            "allowed": allowed,
            "max_share": share,
            "false_alarm": false_alarm,
            **({"per": per} if per is not None else {}),
        },
    }
    return item


@dataclass
class SuiteResult:
    """A suite's chunk results, added up as they arrive; -> one suite validation result."""

    spec: SuiteSpec
    id_columns: list[str]
    rows: int = 0
    chunks: int = 0
    template: dict[str, Any] | None = None  # the first row chunk's result (meta) and key
    key: dict[str, Any] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)

    def add(self, run: dict[str, Any], key: dict[str, Any], whole: bool, ids: list[str]) -> None:
        """A chunk's ``run``; ``ids[i]`` is the suite file's id of ``run["results"][i]``."""
        if self.template is None:  # rows come before the whole part
            self.template, self.key = run, key
        if not whole:
            self.chunks += 1
        for item, expectation_id in zip(run["results"], ids, strict=True):
            tally = self.tallies.get(expectation_id)
            if tally is None:
                tally = self.tallies[expectation_id] = Tally(first=item)
            tally.add(item)

    def merged(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """The suite's validation result (GX JSON), expectations in file order; gates (see
        ``judge_gate``) are judged with ``parameters``."""
        parameters = parameters or {}
        false_alarm = float(parameters.get("gate_false_alarm", DEFAULT_GATE_FALSE_ALARM))
        items = []
        for e in self.spec.expectations:
            item = self.tallies[e["id"]].merged(
                1 if e["type"] not in ROW_EXPECTATIONS else self.chunks
            )
            share = gate_share(e, parameters)
            items.append(
                item if share is None else judge_gate(item, share, false_alarm, gate_unit(e))
            )
        passed = sum(1 for i in items if i["success"])
        return {
            **copy.deepcopy(self.template or {}),
            "results": items,
            "suite_name": self.spec.name,
            "success": passed == len(items),
            "statistics": {
                "evaluated_expectations": len(items),
                "successful_expectations": passed,
                "unsuccessful_expectations": len(items) - passed,
                "success_percent": passed / len(items) * 100 if items else None,
            },
        }


def suite_parameters(params: dict[str, Any], input_files: int) -> dict[str, Any]:
    """Values the suites refer to as ``{"$PARAMETER": name}``: the validate section of
    params.yaml, plus facts of this run."""
    return {
        **params,
        "now": datetime.now(UTC).isoformat(),
        "input_files": input_files,
        "quarantine_reasons": list(QUARANTINE_REASONS),
        # extraction passes over longer titles: an invariant, not a setting
        "max_title_chars": MAX_TITLE_CHARS,
        # the kept-share gate counts the inputs not kept
        "max_not_kept_share": 1 - float(params.get("min_kept_share") or 0.0),
    }


def _summarise(
    name: str, rows: int, id_columns: list[str], run: dict[str, Any], failures: list[Failure]
) -> dict[str, Any]:
    expectations: list[dict[str, Any]] = []
    for item in run["results"]:
        config = item["expectation_config"]
        column = config["kwargs"].get("column")
        res = item.get("result") or {}
        exc = (item.get("exception_info") or {}).get("exception_message")
        expectations.append(
            {
                "expectation": config["type"],
                "column": column,
                "success": bool(item["success"]),
                "unexpected_count": res.get("unexpected_count"),
                "error": exc,
            }
        )
        if not item["success"]:
            index_rows = res.get("partial_unexpected_index_list") or []
            gate = (item.get("meta") or {}).get(GATE)
            observed = res.get("observed_value")
            if gate:
                counted = f"distinct {gate['per']}" if gate.get("per") else "rows"
                observed = (
                    f"{gate['unexpected']} of {gate['rows']} {counted}; the gate allows "
                    f"{gate['allowed']} (max_share {gate['max_share']})"
                )
            failures.append(
                Failure(
                    suite=name,
                    expectation=config["type"] + (f" [{exc}]" if exc else ""),
                    column=column,
                    unexpected_count=res.get("unexpected_count"),
                    observed=observed,
                    sample_values=list(res.get("partial_unexpected_list") or [])[:SAMPLE_ROWS],
                    sample_rows=[
                        {k: v for k, v in row.items() if k in id_columns}
                        for row in index_rows[:SAMPLE_ROWS]
                    ],
                )
            )
    expectations.sort(key=lambda e: (e["expectation"], str(e["column"])))
    return {
        "rows": rows,
        "success": all(e["success"] for e in expectations),
        "expectations": expectations,
        # which expectation failed on which rows (ids only: page text stays in the Data Docs)
        "failures": [failure_record(f) for f in failures if f.suite == name],
    }


def failure_record(failure: Failure) -> dict[str, Any]:
    """A failure as ``reports/validation.json`` and the metrics give it."""
    return {
        "expectation": failure.expectation,
        "column": failure.column,
        "unexpected_count": failure.unexpected_count,
        "observed": None if failure.observed is None else _short(failure.observed),
        "sample_rows": failure.sample_rows,
    }


def write_data_docs(
    docs_dir: Path,
    specs: dict[str, SuiteSpec],
    runs: dict[str, tuple[dict[str, Any], Any]],
    rows: dict[str, int],
) -> None:
    """Static Data Docs (``pipeline.quality.data_docs``) with one page per suite; ``runs``: suite ->
    (key parts, merged result JSON), ``rows``: suite -> rows validated. Only the suites and the
    results go in, never the run ids or times, so a rerun writes the same bytes."""
    write_site(
        docs_dir,
        [(name, spec.expectations, runs[name][1], rows[name]) for name, spec in specs.items()],
    )
