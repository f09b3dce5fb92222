"""The validate stage's shortcuts equal the plain computations they stand for: the NumPy scan
for control characters against the regex, and each patch of GX (1.24) internals against GX's
own function, on the same inputs, with real Great Expectations (no mocks)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from pipeline.quality import checks, gx
from pipeline.quality.checks import _C0_CONTROLS, has_c0_controls, raw_text_facts

_ALPHABET = [chr(c) for c in range(0x00, 0x28)] + [
    "é",
    "€",
    "😀",
    "\u0300",
    "\x7f",
    "\x80",
    "\x85",
    "\u2028",
    "\ufeff",
    "a",
    " ",
]


def _texts(rng: random.Random, rows: int) -> list[str | None]:
    return [
        None
        if rng.random() < 0.1
        else "".join(
            rng.choice(_ALPHABET) if rng.random() < 0.1 else rng.choice("ab é€😀\n\t\r")
            for _ in range(rng.randint(0, 25))
        )
        for _ in range(rows)
    ]


def _series_cases(rng: random.Random) -> list[pl.Series]:
    texts = pl.Series("raw_text", _texts(rng, rng.randint(0, 40)), dtype=pl.String)
    return [
        texts,
        texts.slice(rng.randint(0, 5), rng.randint(0, 30)),  # an offset into the buffers
        pl.concat([texts, texts.slice(2)], rechunk=False),  # several chunks
    ]


def test_control_scan_equals_the_regex() -> None:
    rng = random.Random(7)
    fixed = [
        pl.Series("raw_text", [], dtype=pl.String),
        pl.Series("raw_text", [None, None], dtype=pl.String),
        pl.Series("raw_text", ["", "", "x"]),
        pl.Series("raw_text", ["\x00", "\t\n\r", "\x0b", "\x1f", " \x7f", "\x0c"]),
    ]
    for texts in fixed + [s for _ in range(200) for s in _series_cases(rng)]:
        want = texts.str.contains(_C0_CONTROLS)
        got = has_c0_controls(texts)
        assert got.dtype == want.dtype and got.name == want.name
        assert got.to_list() == want.to_list(), texts.to_list()


@pytest.mark.parametrize("scan_bytes", [1, 3, 16])
def test_control_scan_a_few_bytes_at_a_time_equals_the_regex(
    scan_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "_SCAN_BYTES", scan_bytes)
    rng = random.Random(scan_bytes)
    for texts in [s for _ in range(50) for s in _series_cases(rng)]:
        assert has_c0_controls(texts).to_list() == texts.str.contains(_C0_CONTROLS).to_list()


def test_raw_text_facts_equal_the_regex_facts() -> None:
    rng = random.Random(11)
    for _ in range(50):
        texts = _texts(rng, rng.randint(0, 30))
        frame = pl.DataFrame({"doc_id": [str(i) for i in range(len(texts))], "raw_text": texts})
        frame = frame.with_columns(pl.col("raw_text").cast(pl.String))
        plain = frame.with_columns(
            raw_text_chars=pl.col("raw_text").str.len_chars().cast(pl.Int64),
            raw_text_has_controls=pl.col("raw_text").str.contains(_C0_CONTROLS),
        ).drop("raw_text")
        for got in (raw_text_facts(frame), raw_text_facts(frame.lazy()).collect()):
            assert got.schema == plain.schema and got.equals(plain)


def _gx_expectations() -> list[Any]:
    import great_expectations

    gx._worker_context()
    ge: Any = great_expectations  # its expectation classes are not re-exported for mypy
    return [
        ge.expectations.ExpectColumnValuesToNotBeNull(column="a", mostly=0.9),
        ge.expectations.ExpectColumnValuesToBeBetween(
            column="n", min_value=0, max_value={"$PARAMETER": "top"}, strict_max=True
        ),
        ge.expectations.ExpectColumnValuesToBeInSet(column="a", value_set=["x", "y"]),
        ge.expectations.ExpectColumnValuesToMatchRegex(
            column="a", regex="^x", meta={"gate": {"max_share": 0.1}}
        ),
        ge.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="n", column_B="m", or_equal=True
        ),
        ge.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        ge.expectations.ExpectColumnMedianToBeBetween(column="n", min_value=1, max_value=3),
    ]


def test_one_configuration_per_reader_call_reads_what_gx_reads() -> None:
    """Each kwargs reader, its configuration shared within the call, returns what GX's reader
    returns building it on every read; outside a call it is built on every access."""
    from great_expectations.expectations.expectation import Expectation

    runtime = {"result_format": {"result_format": "SUMMARY", "partial_unexpected_count": 5}}
    for expectation in _gx_expectations():
        for name in gx.GX_KWARGS_READERS:
            shared = getattr(Expectation, name)
            assert getattr(shared, "one_configuration_per_call", False)
            args = (runtime,) if name == "_get_runtime_kwargs" else ()
            got = shared(expectation, *args)
            assert got == shared.__wrapped__(expectation, *args)
        assert expectation.configuration is not expectation.configuration
        assert expectation.configuration.to_json_dict() == expectation.configuration.to_json_dict()


def test_one_configuration_per_reader_call_builds_it_once() -> None:
    from great_expectations.expectations.expectation import Expectation

    gx._worker_context()
    configuration: Any = Expectation.__dict__["configuration"]
    patch = configuration.fget.__self__
    build = patch.build
    built = []

    def counting(expectation: Any) -> Any:
        built.append(1)
        return build(expectation)

    patch.build = counting
    try:
        expectation = _gx_expectations()[1]
        expectation._get_runtime_kwargs({})
        assert len(built) == 1
    finally:
        patch.build = build


def test_plain_values_first_converts_as_gx_does() -> None:
    from great_expectations import util

    gx._worker_context()
    convert: Any = util.convert_to_json_serializable
    assert getattr(convert, "plain_values_first", False)
    values: list[Any] = [
        None,
        "",
        "x",
        0,
        -3,
        2**70,
        True,
        False,
        1.5,
        float("nan"),
        np.int32(4),
        np.int64(5),
        np.float32(0.1),
        np.bool_(True),
        {"a": None, 3: [1, None, "z", np.int16(2)], "b": {"c": (1, 2)}},
        [None, [None, {"d": None}]],
        pd.Timestamp("2024-01-02", tz="UTC"),
    ]
    for value in values:
        got, want = convert(value), convert.__wrapped__(value)
        assert type(got) is type(want)
        assert got == want or (got != got and want != want)  # nan
        assert convert(data=value) == convert.__wrapped__(data=value) or value != value


@pytest.mark.parametrize("dtype", [pl.Int8, pl.Int16, pl.Int32, pl.UInt16, pl.UInt32])
def test_widened_columns_validate_as_the_narrow_ones(dtype: Any) -> None:
    """A between on a narrow integer column gives the same result widened to Int64 (GX's
    vectorized path) as narrow (GX's Python function per row), failures included."""
    from great_expectations.validator.v1_validator import Validator

    low = 0 if dtype.is_unsigned_integer() else -5
    frame = pl.DataFrame(
        {"k": [f"r{i}" for i in range(60)], "n": [low + i % 11 for i in range(60)]},
        schema={"k": pl.String, "n": dtype},
    )
    suite = {
        "name": "widen",
        "expectations": [
            {"type": gx.BETWEEN, "kwargs": {"column": "n", "min_value": 2}, "meta": {}},
            {
                "type": gx.BETWEEN,
                "kwargs": {"column": "n", "min_value": 1.5, "max_value": 7, "strict_max": True},
                "meta": {},
            },
        ],
        "meta": {},
    }
    part = gx._suite_part(suite, ["k"])
    assert part.widen == {"n"}
    widened = gx._widened(frame, part.widen)
    assert widened.schema["n"] == pl.Int64 and widened.equals(frame)

    def run(data: pl.DataFrame) -> list[dict[str, Any]]:
        validator = Validator(
            batch_definition=part.batch_definition,
            batch_parameters={"dataframe": data.to_pandas()},
            result_format=part.result_format,
        )
        run: Any = validator.validate_expectation_suite(part.suite, {})
        result = run.to_json_dict()
        return sorted(
            (r["result"] for r in result["results"]), key=lambda r: str(r["unexpected_count"])
        )

    narrow, wide = run(frame), run(widened)
    assert narrow == wide and narrow[0]["unexpected_count"] > 0


def test_only_columns_a_numeric_between_alone_checks_are_widened() -> None:
    def between(column: str, **bounds: Any) -> dict[str, Any]:
        return {"type": gx.BETWEEN, "kwargs": {"column": column, **bounds}}

    expectations = [
        between("a", min_value=0),
        between("b", min_value={"$PARAMETER": "low"}),
        between("c", min_value=0),
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "c", "value_set": []}},
        between("d", min_value="a"),
        between("e", min_value=True),
        between("f", min_value=float("nan")),
        between("g", max_value=2.5),
        between("k", min_value=0),
        {
            "type": "expect_column_pair_values_to_be_equal",
            "kwargs": {"column_A": "g", "column_B": "h"},
        },
    ]
    assert gx._between_only_columns(expectations, ["k"]) == {"a"}
    filtered = {"type": gx.BETWEEN, "kwargs": {"column": "z", "min_value": 0, "row_condition": ""}}
    assert gx._between_only_columns([*expectations, filtered], ["k"]) == set()
    frame = pl.DataFrame(
        {"a": [1, None], "x": [1, 2]}, schema={"a": pl.Int32, "x": pl.Int32}
    )  # nulls: pandas makes it float64 anyway
    assert gx._widened(frame, frozenset({"a"})).schema == frame.schema
