"""Data Docs: the validation results as static HTML pages, safe to open and byte-identical on
rerun.

``reports/data_docs/index.html`` lists every suite; ``validations/<suite>.html`` shows each
expectation of a suite in file order: its status, arguments, observed value, unexpected count,
sample values and sample rows (the failing rows' id columns) and any error.

Why not Great Expectations' own Data Docs: its renderer writes sample values into table cells
as raw HTML (a page title ``<script>…</script>`` ran as script when the page was opened, a
sentence quoting ``<script>`` cut the page short), names pages ``…#1.html`` (a ``file://``
path to them opens a blank page), stamps run ids, times and random element ids into every
page, and needs CDN scripts. Here every value is escaped where it is written (``_text``: the
only way a value reaches a page), pages carry no script at all and a Content-Security-Policy
that forbids scripts, file names are fixed, and a page is a pure function of the suites and
the merged results (never their run ids or validation times).
"""

from __future__ import annotations

import html
import json
import math
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# No scripts, frames, forms, fonts or network of any kind: only the inline stylesheet.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
VALUE_CHARS = 400  # a longer sample value is cut (before escaping) and marked with an ellipsis
END_ID = "end"  # the id of every page's last element: a page that has it was not cut short
KWARGS_SHOWN_APART = ("column",)

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.value, td.args, li.value { font-family: monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; max-width: 40em; }
td.args { min-width: 14em; }
.passed { color: #1e7e34; font-weight: bold; }
.failed { color: #b21f2d; font-weight: bold; }
table.rows td { border-color: #e0e0e0; }
footer { color: #777; font-size: 0.85em; margin-top: 2em; }
"""


def _text(value: Any, limit: int | None = VALUE_CHARS) -> str:
    """``value`` as escaped HTML text: strings as they are, anything else as JSON. Cut to
    ``limit`` characters *before* escaping, so a cut never splits an entity; ``quote=True``
    makes the result safe inside a quoted attribute as well as in text."""
    if isinstance(value, str):
        shown = value
    else:
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if limit is not None and len(shown) > limit:
        shown = shown[:limit] + "…"
    return html.escape(shown, quote=True)


def page_name(suite: str) -> str:
    """The file name of a suite's page: letters, digits, ``-``, ``_`` and ``.`` kept, anything
    else (``#``, ``/``, ``%``, ...) as ``_XX`` hex, so a ``file://`` path always opens it."""
    safe = "".join(
        c if (c.isascii() and c.isalnum()) or c in "-_." else f"_{ord(c):02x}" for c in suite
    )
    return f"{safe.lstrip('.') or '_'}.html"


def _page(title: str, body: Iterable[str], root: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_text(CSP, None)}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_text(title, None)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        *body,
        f'<footer id="{END_ID}">newscorpus validation results '
        f'(<a href="{root}index.html">all suites</a>): written by the validate stage from the '
        "suites in expectations/ and the validated tables.</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _status(success: bool) -> str:
    return '<span class="passed">passed</span>' if success else '<span class="failed">failed</span>'


def _number(value: Any) -> str:
    if isinstance(value, float):
        return _text(f"{value:.4g}" if math.isfinite(value) else str(value))
    return _text(value) if value is not None else ""


def _values_list(values: Sequence[Any]) -> str:
    if not values:
        return ""
    items = "".join(f'<li class="value">{_text(v)}</li>' for v in values)
    return f"<ol>{items}</ol>"


def _rows_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Sample rows (their id columns) as a nested table, columns in first-seen order."""
    if not rows:
        return ""
    columns: list[str] = []
    for row in rows:
        columns += [str(c) for c in row if str(c) not in columns]
    head = "".join(f"<th>{_text(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="value">{_text(row.get(c))}</td>' for c in columns) + "</tr>"
        for row in rows
    )
    return f'<table class="rows"><tr>{head}</tr>{body}</table>'


def _arguments(kwargs: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in kwargs.items() if k not in KWARGS_SHOWN_APART}
    return _text(json.dumps(shown, ensure_ascii=False, sort_keys=True), None)


def _notes(meta: Mapping[str, Any]) -> str:
    if not meta:
        return ""
    return "<br>".join(f"<b>{_text(k)}</b>: {_text(v, None)}" for k, v in sorted(meta.items()))


def expectation_row(position: int, expectation: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    """One table row: the suite file's ``expectation`` and its merged result ``item``."""
    result: Mapping[str, Any] = item.get("result") or {}
    kwargs: Mapping[str, Any] = expectation.get("kwargs") or {}
    error = (item.get("exception_info") or {}).get("exception_message")
    unexpected = result.get("unexpected_count")
    percent = result.get("unexpected_percent")
    counted = _number(unexpected) + (f" ({_number(percent)} %)" if percent is not None else "")
    cells = [
        _text(position),
        _status(bool(item.get("success"))),
        _text(expectation.get("type")),
        _text(kwargs.get("column", "")),
        f'<td class="args">{_arguments(kwargs)}</td>',
        f'<td class="value">{_text(result["observed_value"]) if "observed_value" in result else ""}'
        "</td>",
        counted,
        f"<td>{_values_list(result.get('partial_unexpected_list') or [])}</td>",
        f"<td>{_rows_table(result.get('partial_unexpected_index_list') or [])}</td>",
        f'<td class="value">{_text(error) if error else ""}</td>',
        _notes(expectation.get("meta") or {}),
    ]
    return "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>"


COLUMNS = (
    "#",
    "status",
    "expectation",
    "column",
    "arguments",
    "observed value",
    "unexpected",
    "sample values",
    "sample rows",
    "error",
    "notes",
)


def _statistics(run: Mapping[str, Any]) -> tuple[int, int]:
    items = list(run.get("results") or [])
    return sum(1 for i in items if i.get("success")), len(items)


def suite_page(
    name: str, expectations: Sequence[Mapping[str, Any]], run: Mapping[str, Any], rows: int
) -> str:
    """A suite's page; ``run["results"][i]`` is the result of ``expectations[i]``."""
    items = list(run.get("results") or [])
    if len(items) != len(expectations):
        raise ValueError(f"suite {name}: {len(expectations)} expectations, {len(items)} results")
    passed, total = _statistics(run)
    head = "".join(f"<th>{_text(c)}</th>" for c in COLUMNS)
    body = [
        f"<h1>Suite {_text(name)}: {_status(passed == total)}</h1>",
        f"<p>{_text(passed)} of {_text(total)} expectations passed on {_text(rows)} rows.</p>",
        f'<table class="expectations"><tr>{head}</tr>',
        *(
            expectation_row(i + 1, e, item)
            for i, (e, item) in enumerate(zip(expectations, items, strict=True))
        ),
        "</table>",
    ]
    return _page(f"newscorpus validation: {name}", body, "../")


def index_page(suites: Sequence[tuple[str, Mapping[str, Any], int]]) -> str:
    """The index: one row per (suite, merged result, rows), linking to each suite's page."""
    lines = []
    all_passed = 0
    for name, run, rows in suites:
        passed, total = _statistics(run)
        all_passed += passed == total
        failed = [
            (item.get("expectation_config") or {}).get("type", "")
            + (
                f" on {(item.get('expectation_config') or {}).get('kwargs', {}).get('column')}"
                if (item.get("expectation_config") or {}).get("kwargs", {}).get("column")
                else ""
            )
            for item in run.get("results") or []
            if not item.get("success")
        ]
        lines.append(
            f'<tr><td><a href="validations/{_text(page_name(name))}">{_text(name)}</a></td>'
            f"<td>{_status(passed == total)}</td><td>{_text(rows)}</td>"
            f"<td>{_text(passed)} of {_text(total)}</td>"
            f"<td>{_values_list(failed)}</td></tr>"
        )
    head = "".join(
        f"<th>{c}</th>"
        for c in ("suite", "status", "rows", "expectations passed", "failed expectations")
    )
    body = [
        "<h1>newscorpus validation</h1>",
        f"<p>{_text(all_passed)} of {_text(len(suites))} suites passed.</p>",
        f'<table class="suites"><tr>{head}</tr>',
        *lines,
        "</table>",
    ]
    return _page("newscorpus validation", body, "")


def write_site(
    site: Path, suites: Sequence[tuple[str, Sequence[Mapping[str, Any]], Mapping[str, Any], int]]
) -> None:
    """Replace ``site`` with the index and one page per (suite name, suite file expectations,
    merged result, rows validated)."""
    tmp = site.with_name(f".{site.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "validations").mkdir(parents=True)
    names = [page_name(name) for name, *_ in suites]
    if len(set(names)) != len(names):
        raise ValueError(f"two suites share a page name: {sorted(names)}")
    for (name, expectations, run, rows), file_name in zip(suites, names, strict=True):
        page = suite_page(name, expectations, run, rows)
        (tmp / "validations" / file_name).write_text(page, encoding="utf-8", errors="replace")
    index = index_page([(name, run, rows) for name, _, run, rows in suites])
    (tmp / "index.html").write_text(index, encoding="utf-8", errors="replace")
    if site.exists():
        shutil.rmtree(site)
    os.replace(tmp, site)
