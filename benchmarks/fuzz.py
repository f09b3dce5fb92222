"""Bounded-time fuzzing of the document path: decoding, HTML extraction, page type, metadata,
page dump extraction, cleaning and sentence segmentation.

    python -m benchmarks.fuzz --seconds 120 [--seed N] [--out reports/bench/fuzz.json]
    python -m benchmarks.fuzz --replay reports/bench/fuzz_cases/<sha>.bin

Inputs are mutations of seed pages (the bundled sample and the torture corpus's articles):
byte flips, truncations, splices of two pages, markup and Unicode pieces inserted at random
places, closing tags removed, deep nesting, and plain random bytes or text. Each input goes
through every target; a target that raises, breaks an invariant (cleaning is idempotent,
sentence spans keep every non-space character once and stay trimmed, bounded spans stay under
the bound), or takes longer than ``--slow`` seconds is a finding. Every finding's input is saved
under ``reports/bench/fuzz_cases/`` for ``--replay``. Exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.extract import extract_metadata, extract_text, page_type
from pipeline.sources.decoding import decode_bytes
from pipeline.text.cleaning import clean_text
from pipeline.text.dumps import extract_page_dump
from pipeline.text.sentences import split_sentences
from pipeline.text.spans import bounded_spans

REPO = Path(__file__).resolve().parents[1]
MAX_INPUT_BYTES = 200_000
MAX_SENTENCE_CHARS = 300

MARKUP: tuple[str, ...] = (
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<article>",
    "</article>",
    "<script>",
    '<script type="application/ld+json">{"@type": ["NewsArticle",',
    "application/ld+json",
    "</script>",
    "<style>",
    "<title>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<br/>",
    "<table><tr><td>",
    "<h1>",
    "<nav>",
    '<meta charset="utf-16">',
    '<meta charset="shift_jis">',
    '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
    '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-13-45",',
    '"author":[{"name":null},{"@type":"Person"}],"headline":',
    '<meta property="article:published_time" content="99999-01-01">',
    '<time datetime="1970-01-01T00:00:00Z">',
    '<link rel="canonical" href="http://[::1">',
    '<meta property="og:url" content="https://xn--.example/%%">',
    "&#xD800;",
    "&#0;",
    "&amp;amp;",
    "\x00",
    "\r",
    "\x0c",
)
UNICODE: tuple[str, ...] = (
    "\u200b",
    "\u200d",
    "\u2028",
    "\u2029",
    "\u0301",
    "\ufeff",
    "\u00a0",
    "\u3000",
    "\u202e",
    "👩‍👩‍👧",
    "🇳🇴",
    "。",
    "؟",
    "…",
    "“",
    "”",
    "Mr.",
    "U.S.",
    " . ",
    "?!",
    "\n\n",
)


def seed_pages() -> list[bytes]:
    """Seed inputs: the bundled sample and the torture corpus's articles (small ones)."""
    pages = [
        p.read_bytes()
        for p in sorted((REPO / "data/sample").iterdir())
        if p.is_file() and p.stat().st_size <= MAX_INPUT_BYTES
    ]
    from tests import torture

    for value in vars(torture).values():
        if isinstance(value, torture.Article):
            pages.append(torture.article_html(value).encode("utf-8"))
    pages += [
        torture.COOKIE_ONLY.encode(),
        torture.ONLY_CSS.encode(),
        torture.SECTION_INDEX.encode(),
    ]
    return pages


def mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    """One fuzz input."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 2000))
    if kind == 1:
        alphabet = "".join(MARKUP + UNICODE) + "abc .\n"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 800))).encode(
            rng.choice(["utf-8", "utf-16", "utf-8"])
        )
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.randrange(1, 8)):
        op = rng.randrange(8)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:  # flip bytes
            for _ in range(rng.randrange(1, 16)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:  # truncate
            del data[pos:]
        elif op == 2:  # splice another page
            other = rng.choice(seeds)
            cut = rng.randrange(len(other) + 1)
            data[pos:pos] = other[cut : cut + rng.randrange(1, 5000)]
        elif op == 3:  # markup
            data[pos:pos] = rng.choice(MARKUP).encode()
        elif op == 4:  # unicode
            data[pos:pos] = (rng.choice(UNICODE) * rng.randrange(1, 50)).encode()
        elif op == 5:  # remove closing tags
            data = bytearray(bytes(data).replace(b"</", b"<", rng.randrange(1, 50)))
        elif op == 6:  # deep nesting
            depth = rng.randrange(10, 3000)
            data[pos:pos] = b"<div><span>" * depth
        else:  # duplicate a slice many times
            piece = bytes(data[pos : pos + rng.randrange(1, 200)])
            data[pos:pos] = piece * rng.randrange(2, 200)
    return bytes(data[:MAX_INPUT_BYTES])


def _partition(text: str, spans: list[tuple[int, int]]) -> str | None:
    """Why ``spans`` do not partition the non-space characters of ``text`` (None if they do)."""
    previous = 0
    covered: list[int] = []
    for start, end in spans:
        if not previous <= start < end <= len(text):
            return f"span {(start, end)} out of order or bounds"
        piece = text[start:end]
        if piece != piece.strip():
            return f"span {(start, end)} not trimmed: {piece[:40]!r}"
        covered += [start + i for i, ch in enumerate(piece) if not ch.isspace()]
        previous = end
    if covered != [i for i, ch in enumerate(text) if not ch.isspace()]:
        return "non-space characters lost or duplicated"
    return None


class Invariant(AssertionError):
    """A target returned, but broke a promise of its contract."""


def run_targets(raw: bytes, timings: dict[str, float]) -> None:
    """Every target on one input, in pipeline order; raises on the first failure."""

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            timings[name] = time.perf_counter() - start

    decoded = timed("decode_bytes", lambda: decode_bytes(raw, max_inflated_bytes=1 << 22))
    page = decoded.text or raw.decode("utf-8", errors="replace")
    timed("extract_text", lambda: extract_text(page))
    timed("page_type", lambda: page_type(page))
    timed("extract_metadata", lambda: extract_metadata(page, url="https://www.example.org/a/1"))
    dump = timed("extract_page_dump", lambda: extract_page_dump(page))
    html_text = timed("extract_text_bytes", lambda: extract_text(raw))
    for source in (html_text, dump.text):
        check_text(source, timed)


def check_text(source: str, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    """Cleaning and segmentation of one extracted text, with their invariants."""
    cleaned: str = timed("clean_text", lambda: clean_text(source))
    if clean_text(cleaned) != cleaned:
        raise Invariant("clean_text is not idempotent")
    spans: list[tuple[int, int]] = timed("split_sentences", lambda: split_sentences(cleaned))
    problem = _partition(cleaned, spans)
    if problem:
        raise Invariant(f"split_sentences: {problem}")
    bounded: list[tuple[int, int]] = timed(
        "bounded_spans", lambda: bounded_spans(cleaned, spans, MAX_SENTENCE_CHARS)
    )
    if any(e - s > MAX_SENTENCE_CHARS for s, e in bounded):
        raise Invariant("bounded_spans: a span over the bound")
    problem = _partition(cleaned, bounded)
    if problem:
        raise Invariant(f"bounded_spans: {problem}")


@dataclass
class Report:
    seed: int
    seconds_budget: float
    examples: int = 0
    seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)
    slow: list[dict[str, Any]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    max_seconds: dict[str, float] = field(default_factory=dict)


def _replay_command(path: Path) -> str:
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return f"python -m benchmarks.fuzz --replay {shown}"


def save_case(raw: bytes, cases_dir: Path) -> tuple[str, Path]:
    digest = hashlib.sha256(raw).hexdigest()[:16]
    cases_dir.mkdir(parents=True, exist_ok=True)
    path = cases_dir / f"{digest}.bin"
    path.write_bytes(raw)
    return digest, path


def fuzz(seconds: float, seed: int, slow: float, cases_dir: Path) -> Report:
    rng = random.Random(seed)
    seeds = seed_pages()
    report = Report(seed=seed, seconds_budget=seconds)
    seen: set[tuple[str, str]] = set()
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        raw = mutate(rng, seeds)
        report.examples += 1
        timings: dict[str, float] = {}
        try:
            run_targets(raw, timings)
        except Exception as exc:
            target = next(reversed(timings), "decode_bytes")
            kind = "invariant" if isinstance(exc, Invariant) else type(exc).__name__
            report.kinds[kind] += 1
            signature = (target, f"{kind}: {str(exc)[:80]}")
            if signature not in seen:  # one reproducer per distinct failure
                seen.add(signature)
                digest, path = save_case(raw, cases_dir)
                report.failures.append(
                    {
                        "target": target,
                        "kind": kind,
                        "message": str(exc)[:500],
                        "traceback": traceback.format_exc(limit=-6)[-3000:],
                        "input_bytes": len(raw),
                        "input_sha256_16": digest,
                        "reproducer": _replay_command(path),
                    }
                )
        for name, took in timings.items():
            report.max_seconds[name] = max(report.max_seconds.get(name, 0.0), took)
            if took > slow:
                digest, path = save_case(raw, cases_dir)
                report.slow.append(
                    {
                        "target": name,
                        "seconds": round(took, 2),
                        "input_bytes": len(raw),
                        "reproducer": _replay_command(path),
                    }
                )
    report.seconds = time.monotonic() - start
    return report


def replay(path: Path) -> int:
    raw = path.read_bytes()
    timings: dict[str, float] = {}
    try:
        run_targets(raw, timings)
    except Exception:
        traceback.print_exc()
        print(f"failed in {next(reversed(timings), 'decode_bytes')}", file=sys.stderr)
        return 1
    print(
        "no failure; seconds per target: "
        + json.dumps({k: round(v, 3) for k, v in timings.items()})
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    parser.add_argument("--slow", type=float, default=5.0, help="seconds per target call")
    parser.add_argument("--out", type=Path, default=REPO / "reports/bench/fuzz.json")
    parser.add_argument("--cases", type=Path, default=REPO / "reports/bench/fuzz_cases")
    parser.add_argument("--replay", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay)
    seed = args.seed if args.seed is not None else int(time.time())
    report = fuzz(args.seconds, seed, args.slow, args.cases)
    result = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "seed": report.seed,
        "seconds_budget": report.seconds_budget,
        "seconds": round(report.seconds, 1),
        "examples": report.examples,
        "examples_per_second": round(report.examples / max(report.seconds, 1e-9), 1),
        "failing_examples": sum(report.kinds.values()),
        "failures_by_kind": dict(sorted(report.kinds.items())),
        "failures": report.failures,
        "slow": report.slow[:50],
        "max_seconds_per_target": {k: round(v, 3) for k, v in sorted(report.max_seconds.items())},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"fuzz: {report.examples} examples in {report.seconds:.0f} s (seed {seed}), "
        f"{len(report.failures)} distinct failures, {len(report.slow)} slow calls -> {args.out}"
    )
    for failure in report.failures:
        print(f"  {failure['target']}: {failure['kind']}: {failure['message'][:120]}")
        print(f"    {failure['reproducer']}")
    return 1 if report.failures or report.slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
