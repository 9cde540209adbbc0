"""CPA merge from Python: the real sample files by path, bytes and Arrow; pyarrow, polars and
pandas inputs; exact decimals; undefined CPAs; ratio-of-sums roll-ups; bad rows reported or
raised; progress; determinism; wrong types."""

from __future__ import annotations

import dataclasses
import datetime
import doctest
import json
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ces
from ces import _ces
from ces.cpa import MergeResult, RowIssue, merge, read_everflow, read_mapping, read_redtrack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cpa"
EVERFLOW = FIXTURES / "everflow-entity-table.json"
REDTRACK = FIXTURES / "redtrack-report.json"
MAPPING = FIXTURES / "internal-affiliates.csv"
# The sample Redtrack report (a `group=source` report for one day) carries no dates.
DAY = datetime.date(2024, 12, 2)

HEADER = ",".join(ces.cpa.MAPPING_COLUMNS)


def mapping_csv(*rows: str) -> bytes:
    """A mapping file with CRLF line ends, as the real file has them."""
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


@pytest.fixture
def parallel_restored() -> Iterator[None]:
    before = _ces._parallel_enabled()
    try:
        yield
    finally:
        _ces._set_parallel(before)


def rows(result: MergeResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = result.performance.to_pylist()
    return out


# ---------------------------------------------------------------------------------------
# The real sample files.


def sample(**kwargs: Any) -> MergeResult:
    return merge(EVERFLOW, REDTRACK, MAPPING, redtrack_date=DAY, **kwargs)


def test_sample_files_by_path() -> None:
    result = sample()
    assert len(result) == 2
    google, meta = rows(result)
    assert meta == {
        "date": DAY,
        "advertiser_id": 1,
        "advertiser_label": "CCW",
        "affiliate_label": "G2 - Meta",
        "is_internal": True,
        "everflow_clicks": 150,
        "conversions": 25,
        "everflow_revenue": Decimal("2500.00"),
        "everflow_payout": Decimal("1875.00"),
        "redtrack_cost": Decimal("7825.50"),
        "cost": Decimal("7825.50"),  # internal: the Redtrack spend, not the payout
        "redtrack_clicks": 1523,
        "cpa": Decimal("313.020000000000"),
        "everflow_rows": 1,
        "spend_rows": 1,
    }
    # Google Ads CCW's spend maps to G2 - Google, which has no Everflow row that day: the row
    # keeps the cost, its CPA is undefined (null, never 0), and the day is flagged.
    assert (google["affiliate_label"], google["conversions"], google["cost"], google["cpa"]) == (
        "G2 - Google",
        0,
        Decimal("1240.00"),
        None,
    )
    d = result.diagnostics
    assert [(f.date, f.affiliate_label, f.redtrack_cost) for f in d.spend_without_conversions] == [
        (DAY, "G2 - Google", Decimal("1240.00"))
    ]
    # The mapping file's n/a rows (BOM and CRLF read as the file comes), each with its line.
    assert [(i.location, i.field, i.value) for i in d.malformed_mappings] == [
        ("line 7", "everflow.affiliate_label", "n/a"),
        ("line 14", "everflow.affiliate_label", "n/a"),
        ("line 15", "everflow.advertiser_id", "n/a"),
        ("line 19", "everflow.affiliate_label", "n/a"),
    ]
    assert d.totals.redtrack_cost == d.totals.mapped_cost + d.totals.unmapped_cost == Decimal("9065.50")
    assert d.totals.output_conversions == d.totals.everflow_conversions == 25
    assert d.has_findings and d.rejected_rows == () and d.unmapped_spend == ()


def test_schema_of_the_merged_rows() -> None:
    schema = sample().performance.schema
    money = pa.decimal128(38, 2)
    assert [(f.name, f.type, f.nullable) for f in schema] == [
        ("date", pa.date32(), False),
        ("advertiser_id", pa.int64(), False),
        ("advertiser_label", pa.string(), False),
        ("affiliate_label", pa.string(), False),
        ("is_internal", pa.bool_(), False),
        ("everflow_clicks", pa.int64(), False),
        ("conversions", pa.int64(), False),
        ("everflow_revenue", money, False),
        ("everflow_payout", money, False),
        ("redtrack_cost", money, False),
        ("redtrack_clicks", pa.int64(), False),
        ("cost", money, False),
        ("cpa", pa.decimal128(38, ces.cpa.CPA_SCALE), True),
        ("everflow_rows", pa.int32(), False),
        ("spend_rows", pa.int32(), False),
    ]
    assert ces.cpa.CPA_SCALE == 12


def test_sample_files_by_path_bytes_and_arrow_agree() -> None:
    by_path = sample()
    by_str = merge(str(EVERFLOW), str(REDTRACK), str(MAPPING), redtrack_date="2024-12-02")
    by_bytes = merge(EVERFLOW.read_bytes(), REDTRACK.read_bytes(), bytearray(MAPPING.read_bytes()), redtrack_date=DAY)
    by_list = merge([EVERFLOW], [REDTRACK.read_bytes()], [MAPPING], redtrack_date=DAY)
    everflow, ef_issues = read_everflow(EVERFLOW)
    redtrack, rt_issues = read_redtrack(REDTRACK, date=DAY)
    mapping, mp_issues = read_mapping(MAPPING)
    assert ef_issues == [] and rt_issues == [] and len(mp_issues) == 4
    by_arrow = merge(everflow, redtrack, mapping)  # no redtrack_date: the table has dates
    for other in (by_str, by_bytes, by_list, by_arrow):
        assert other.performance.equals(by_path.performance)
        assert other.diagnostics == by_path.diagnostics


def test_readers_give_the_input_tables() -> None:
    everflow, _ = read_everflow(EVERFLOW.read_bytes())
    assert everflow.schema.names == [
        "date",
        "affiliate_id",
        "affiliate_label",
        "advertiser_id",
        "advertiser_label",
        "clicks",
        "conversions",
        "revenue",
        "payout",
        "profit",
        "currency",
    ]
    assert everflow.to_pylist() == [
        {
            "date": DAY,  # epoch seconds 1733097600, converted in UTC
            "affiliate_id": 1,
            "affiliate_label": "G2 - Meta",
            "advertiser_id": 1,
            "advertiser_label": "CCW",
            "clicks": 150,
            "conversions": 25,
            "revenue": Decimal("2500.00"),
            "payout": Decimal("1875.00"),
            "profit": Decimal("625.00"),
            "currency": "USD",
        }
    ]
    redtrack, _ = read_redtrack(REDTRACK, date="2024-12-02")
    assert redtrack.schema.field("stamp").type == pa.timestamp("s", tz="UTC")
    assert redtrack.column("cost").to_pylist() == [Decimal("7825.50"), Decimal("1240.00")]
    assert redtrack.column("date").to_pylist() == [DAY, DAY]
    mapping, issues = read_mapping(MAPPING)
    assert mapping.schema.names == [*ces.cpa.MAPPING_COLUMNS, "location"]
    assert mapping.num_rows == 18  # every row kept, usable or not
    first = mapping.to_pylist()[0]
    assert first["redtrack.source"] == "Facebook CCW"  # the BOM is not part of the header
    assert first["location"] == "line 2"
    assert mapping.to_pylist()[1]["redtrack.source"] == "Meta CCW AWF2 Stephanie "  # raw, as it came
    assert all(isinstance(i, RowIssue) for i in issues)
    assert issues[0] == RowIssue(
        "mapping", 5, "line 7", "everflow.affiliate_label", "n/a", "missing or n/a: the source maps to no affiliate"
    )


def test_everflow_pages_as_a_list_of_documents() -> None:
    page = json.loads(EVERFLOW.read_text())
    second = json.loads(EVERFLOW.read_text())
    second["table"][0]["columns"][2]["id"] = str(1733097600 + 86_400)
    table, issues = read_everflow([json.dumps(page).encode(), json.dumps(second).encode()])
    assert issues == [] and table.column("date").to_pylist() == [DAY, DAY + datetime.timedelta(days=1)]
    table, _ = read_everflow(json.dumps([page, second]).encode())  # an array of pages
    assert table.num_rows == 2


# ---------------------------------------------------------------------------------------
# A richer data set, as pyarrow, polars and pandas tables.

D1, D2 = datetime.date(2025, 11, 1), datetime.date(2025, 11, 2)

EVERFLOW_ROWS: list[dict[str, Any]] = [
    {"date": D1, "affiliate_id": 1, "affiliate_label": "G2 - Meta", "advertiser_id": 1, "advertiser_label": "CCW",
     "clicks": 150, "conversions": 25, "revenue": Decimal("2500.00"), "payout": Decimal("1875.00")},
    {"date": D1, "affiliate_id": 7, "affiliate_label": "Blue Bench", "advertiser_id": 1, "advertiser_label": "CCW",
     "clicks": 40, "conversions": 3, "revenue": Decimal("300.00"), "payout": Decimal("210.00")},
    {"date": D2, "affiliate_id": 1, "affiliate_label": " G2 -  Meta ", "advertiser_id": 1, "advertiser_label": "CCW",
     "clicks": 12, "conversions": 0, "revenue": Decimal("0"), "payout": Decimal("0")},
    {"date": D2, "affiliate_id": None, "affiliate_label": "Blue Bench", "advertiser_id": 2, "advertiser_label": "EXP",
     "clicks": 9, "conversions": 2, "revenue": Decimal("90.50"), "payout": Decimal("60.25")},
    {"date": D2, "affiliate_id": 3, "affiliate_label": "SB - Meta", "advertiser_id": 1, "advertiser_label": "CCW",
     "clicks": 70, "conversions": 4, "revenue": Decimal("400.00"), "payout": Decimal("300.00")},
]  # fmt: skip

REDTRACK_ROWS: list[dict[str, Any]] = [
    {"date": D1, "source_id": "s1", "source_name": "Facebook CCW", "source_alias": "facebook",
     "clicks": 1523, "conversions": 45, "cost": Decimal("7825.50")},
    {"date": D1, "source_id": "s2", "source_name": "Facebook AWF CCW", "source_alias": None,
     "clicks": 10, "conversions": 1, "cost": Decimal("0.10")},
    {"date": D2, "source_id": "s1", "source_name": "Facebook CCW", "source_alias": "facebook",
     "clicks": 30, "conversions": 0, "cost": Decimal("12.25")},
    {"date": D2, "source_id": "s9", "source_name": "Tigresh Facebook CCW", "source_alias": "facebook",
     "clicks": 5, "conversions": 0, "cost": Decimal("207.20")},
]  # fmt: skip

MAPPING_ROWS = mapping_csv(
    "Facebook CCW,facebook,s1,1,G2 - Meta,1,CCW",
    "Facebook AWF CCW,facebook,s2,1,G2 - Meta ,1,CCW",
    "713 Meta,facebook,s3,n/a,n/a,n/a,n/a",
    "Meta SB,facebook,s4,1,SB - Meta,1,CCW",
)


def arrow_inputs() -> tuple[pa.Table, pa.Table, pa.Table]:
    mapping, _ = read_mapping(MAPPING_ROWS)
    return pa.Table.from_pylist(EVERFLOW_ROWS), pa.Table.from_pylist(REDTRACK_ROWS), mapping


def test_richer_merge() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    result = merge(everflow, redtrack, mapping)
    got = [
        (r["date"], r["advertiser_id"], r["affiliate_label"], r["is_internal"], r["conversions"], r["cost"], r["cpa"])
        for r in rows(result)
    ]
    assert got == [
        (D1, 1, "Blue Bench", False, 3, Decimal("210.00"), Decimal("70.000000000000")),
        # s1 + s2 summed through the mapping before the join; labels normalised on both sides.
        (D1, 1, "G2 - Meta", True, 25, Decimal("7825.60"), Decimal("313.024000000000")),
        (D2, 1, "G2 - Meta", True, 0, Decimal("12.25"), None),
        (D2, 1, "SB - Meta", True, 4, Decimal("0.00"), Decimal("0E-12")),
        (D2, 2, "Blue Bench", False, 2, Decimal("60.25"), Decimal("30.125000000000")),
    ]
    d = result.diagnostics
    assert [(u.source_id, u.reason, u.cost, u.first_date) for u in d.unmapped_spend] == [
        ("s9", "not_in_mapping", Decimal("207.20"), D2)
    ]
    assert [(f.date, f.affiliate_label) for f in d.conversions_without_spend] == [(D2, "SB - Meta")]
    assert [(f.date, f.affiliate_label) for f in d.spend_without_conversions] == [(D2, "G2 - Meta")]
    assert [m.location for m in d.malformed_mappings] == ["line 4"]
    t = d.totals
    assert t.redtrack_cost == t.mapped_cost + t.unmapped_cost
    assert t.output_cost == t.mapped_cost - t.excluded_cost + t.external_payout
    as_dict = d.to_dict()
    assert set(as_dict) == {f.name for f in dataclasses.fields(d)} - {"has_findings"}
    assert as_dict["unmapped_spend"][0]["cost"] == Decimal("207.20")
    assert isinstance(as_dict["malformed_mappings"], list)


def to_polars(t: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(t)
    assert isinstance(df, pl.DataFrame)
    return df


def to_pandas(t: pa.Table) -> pd.DataFrame:
    df = t.to_pandas()
    if "affiliate_label" in df:
        df["affiliate_label"] = df["affiliate_label"].astype("category")  # a dictionary column
    return df


KINDS: dict[str, Callable[[pa.Table], Any]] = {
    "pyarrow": lambda t: t,
    "pyarrow RecordBatchReader": lambda t: pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=2)),
    "polars": to_polars,
    "pandas": to_pandas,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_pyarrow_polars_pandas_give_identical_output(kind: str) -> None:
    expected = merge(*arrow_inputs())
    make = KINDS[kind]
    got = merge(*(make(t) for t in arrow_inputs()))
    assert got.performance.equals(expected.performance)
    assert got.diagnostics == expected.diagnostics
    for period in ("day", "week", "month"):
        assert got.summary(period).equals(expected.summary(period))


class LegacyFrame(pd.DataFrame):
    """A pandas DataFrame without the Arrow PyCapsule interface (pandas < 2.2)."""

    @property
    def __arrow_c_stream__(self) -> Any:
        raise AttributeError("__arrow_c_stream__")


def test_pandas_without_the_capsule_goes_through_pyarrow() -> None:
    expected = merge(*arrow_inputs())
    everflow, redtrack, mapping = (LegacyFrame(t.to_pandas()) for t in arrow_inputs())
    assert not hasattr(everflow, "__arrow_c_stream__")
    got = merge(everflow, redtrack, mapping)
    assert got.performance.equals(expected.performance)
    assert got.diagnostics == expected.diagnostics


def test_dicts_of_columns_and_row_dicts_are_tables() -> None:
    expected = merge(*arrow_inputs())
    columns = {k: [r[k] for r in EVERFLOW_ROWS] for k in EVERFLOW_ROWS[0]}
    got = merge(columns, REDTRACK_ROWS, MAPPING_ROWS)
    assert got.performance.equals(expected.performance)


# ---------------------------------------------------------------------------------------
# Money is exact.


def spend_only(cost: Any, *, n: int = 1) -> MergeResult:
    redtrack = pa.table(
        {"date": [D1] * n, "source_id": [f"s{i}" for i in range(n)], "clicks": [1] * n, "cost": cost}
    )
    mapping = mapping_csv(*(f"src {i},facebook,s{i},1,G2 - Meta,1,CCW" for i in range(n)))
    return merge(pa.Table.from_pylist(EVERFLOW_ROWS[:1]), redtrack, mapping)


@pytest.mark.parametrize(
    "cost",
    [
        pa.array([0.30000000000000004], pa.float64()),
        pa.array(["0.30000000000000004"]),
        pa.array([Decimal("0.30000000000000004")], pa.decimal128(20, 17)),
        pa.array([Decimal("0.30000000000000004")], pa.decimal256(50, 17)),
    ],
    ids=["float64", "string", "decimal128", "decimal256"],
)
def test_decimal_survives_exactly(cost: pa.Array) -> None:
    result = spend_only(cost)
    assert result.money_scale == 17
    assert result.performance.schema.field("cost").type == pa.decimal128(38, 17)
    assert rows(result)[0]["redtrack_cost"] == Decimal("0.30000000000000004")


def test_floats_are_read_through_their_shortest_text() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point; the amounts are 0.1 and 0.2.
    result = spend_only(pa.array([0.1, 0.2]), n=2)
    assert rows(result)[0]["cost"] == Decimal("0.3")
    assert rows(spend_only(pa.array([7825.5], pa.float32())))[0]["cost"] == Decimal("7825.50")


def test_decimals_with_scales_beyond_28_and_negative_scales() -> None:
    # decimal128(38, 30) holding 1.5: trailing zeros go, the value stays.
    assert rows(spend_only(pa.array([Decimal("1.5")], pa.decimal128(38, 30))))[0]["cost"] == Decimal("1.50")
    assert rows(spend_only(pa.array([Decimal("7825.50")], pa.decimal128(6, 2))))[0]["cost"] == Decimal("7825.50")
    assert rows(spend_only(pa.array([12], pa.int64())))[0]["cost"] == Decimal("12")


def test_amounts_beyond_the_output_type_raise_not_panic() -> None:
    big = "79228162514264337593543950335"  # the largest decimal
    tiny = "0.0000000000000000000000000001"  # 28 places: the money scale becomes 28
    everflow = pa.table(
        {"date": [D1, D1], "affiliate_label": ["a", "b"], "advertiser_id": [1, 1], "clicks": [1, 1],
         "conversions": [1, 1], "revenue": [big, "0"], "payout": ["1", tiny]}
    )  # fmt: skip
    no_spend = pa.table({"date": pa.array([], pa.date32()), "source_id": pa.array([], pa.string())})
    result = merge(everflow, no_spend, mapping_csv())
    assert result.money_scale == 28
    message = r"^`everflow_revenue`: 7922\d+ cannot be represented as decimal128\(38, 28\)"
    with pytest.raises(OverflowError, match=message):
        result.performance
    # Sums beyond 28 digits are the core's error, not a panic.
    two_big = everflow.set_column(5, "revenue", pa.array([big, big])).set_column(6, "payout", pa.array(["0", "0"]))
    with pytest.raises(ces.CesError, match="28 significant digits"):
        merge(two_big, no_spend, mapping_csv())
    negative = everflow.set_column(5, "revenue", pa.array(["-" + big, "0"]))
    negative = negative.set_column(6, "payout", pa.array([big, "0"]))
    _, issues = read_everflow(negative)
    # The core checks the amounts before deriving profit (revenue − payout), so the negative
    # revenue is what gets reported, not an overflow of the subtraction.
    assert [(i.row, i.field, i.reason) for i in issues] == [(0, "revenue", "must not be negative")]


def test_json_money_is_read_from_its_text() -> None:
    doc = b'[{"source_id": "s0", "clicks": 1, "cost": 0.30000000000000004}]'
    table, _ = read_redtrack(doc, date=D1)
    assert table.column("cost").to_pylist() == [Decimal("0.30000000000000004")]


# ---------------------------------------------------------------------------------------
# CPA: undefined with no conversions; roll-ups are ratios of sums.


def test_ratio_of_sums_not_mean_of_row_cpas() -> None:
    everflow = pa.Table.from_pylist(
        [
            {"date": D1, "affiliate_label": "a", "advertiser_id": 1, "clicks": 1, "conversions": 1,
             "revenue": "0", "payout": "100"},
            {"date": D1, "affiliate_label": "b", "advertiser_id": 1, "clicks": 1, "conversions": 99,
             "revenue": "0", "payout": "99"},
            {"date": D2, "affiliate_label": "a", "advertiser_id": 1, "clicks": 1, "conversions": 0,
             "revenue": "0", "payout": "5"},
        ]  # fmt: skip
    )
    empty = pa.table({"date": pa.array([], pa.date32()), "source_id": pa.array([], pa.string())})
    result = merge(everflow, empty, mapping_csv())
    row_cpas = [r["cpa"] for r in rows(result)]
    assert row_cpas == [Decimal("100.000000000000"), Decimal("1.000000000000"), None]
    day = result.summary("day").to_pylist()
    assert [(s["start"], s["total_rows"], s["total_conversions"], s["total_cost"], s["total_cpa"]) for s in day] == [
        (D1, 2, 100, Decimal("199.00"), Decimal("1.990000000000")),  # 199 / 100, not (100 + 1) / 2
        (D2, 1, 0, Decimal("5.00"), None),  # the cost is kept; the CPA is undefined
    ]
    assert day[0]["external_cpa"] == day[0]["total_cpa"] and day[0]["internal_cpa"] is None
    week = result.summary("week").to_pylist()
    assert len(week) == 1 and week[0]["start"] == datetime.date(2025, 10, 27) and week[0]["period"] == "week"
    assert week[0]["total_cpa"] == Decimal("2.040000000000")  # 204 / 100
    assert result.summary("month").to_pylist()[0]["start"] == datetime.date(2025, 11, 1)
    board = result.leaderboard(n=1).to_pylist()
    assert [(b["rank"], b["affiliate_label"], b["days"], b["cpa"]) for b in board] == [
        (1, "b", 1, Decimal("1.000000000000"))
    ]
    assert [b["affiliate_label"] for b in result.leaderboard(start=D2).to_pylist()] == ["a"]
    assert result.leaderboard(advertiser=2).num_rows == 0


def test_summary_and_leaderboard_schemas() -> None:
    result = merge(*arrow_inputs())
    summary = result.summary()
    names = ["period", "start", "advertiser_id", "advertiser_label"]
    for part in ("total", "internal", "external"):
        names += [f"{part}_{c}" for c in ("rows", "conversions", "cost", "revenue", "payout", "redtrack_cost", "cpa")]
    assert summary.schema.names == names
    assert summary.schema.field("total_cost").type == pa.decimal128(38, result.money_scale)
    assert summary.schema.field("total_cpa").type == pa.decimal128(38, 12)
    board = result.leaderboard()
    assert board.schema.names == [
        "rank",
        "advertiser_id",
        "advertiser_label",
        "affiliate_label",
        "is_internal",
        "days",
        "conversions",
        "cost",
        "revenue",
        "cpa",
    ]
    assert board.column("affiliate_label").to_pylist()[0] == "G2 - Meta"


def test_date_range() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    result = merge(everflow, redtrack, mapping, start=D2, end="2025-11-02")
    assert {r["date"] for r in rows(result)} == {D2}
    assert result.diagnostics.out_of_range == ces.cpa.OutOfRange(everflow_rows=2, redtrack_rows=2)
    assert merge(everflow, redtrack, mapping, end=D1).diagnostics.out_of_range.everflow_rows == 3
    with pytest.raises(ces.InvalidArgumentError, match="end is before the start"):
        merge(everflow, redtrack, mapping, start=D2, end=D1)


def test_internal_rule_overrides() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    result = merge(everflow, redtrack, mapping, include=["Blue  Bench"], exclude=pa.array(["SB - Meta"]))
    internal = {(r["date"], r["affiliate_label"]): r["is_internal"] for r in rows(result)}
    assert internal[(D1, "Blue Bench")] and not internal[(D2, "SB - Meta")]
    off = merge(everflow, redtrack, mapping, internal_from_mapping=False, exclude=["G2 - Meta"])
    assert [e.affiliate_label for e in off.diagnostics.excluded_spend] == ["G2 - Meta"]
    with pytest.raises(ces.InvalidArgumentError, match="both included and excluded"):
        merge(everflow, redtrack, mapping, include=["x"], exclude=["x"])


# ---------------------------------------------------------------------------------------
# Bad rows: reported (strict=False) or raised (strict=True), never dropped.

BAD_REDTRACK = pa.table(
    {
        "date": ["2025-11-01", "2025-11-01", "2025-11-01", "01/11/2025", "2025-11-01", "2025-11-01"],
        "source_id": ["s1", "s2", "s3", "s4", "s5", None],
        "clicks": [1, 1, 1, 1, 1, 1],
        "cost": ["-5", "abc", "3.50", "1", "NaN", "2"],
        "currency": [None, None, "XYZ", None, None, None],
    }
)

BAD_ROWS = [
    (0, "cost", "-5", "must not be negative"),
    (1, "cost", "abc", "not a decimal number"),
    (2, "currency", "XYZ", "not an ISO 4217 currency code"),
    (3, "date", "01/11/2025", "not a date (expected YYYY-MM-DD or an RFC 3339 timestamp)"),
    (4, "cost", "NaN", "not a decimal number"),
    (5, "source_id", "null", "missing"),
]


def test_bad_rows_are_reported_with_row_field_and_value() -> None:
    everflow, _, mapping = arrow_inputs()
    result = merge(everflow, BAD_REDTRACK, mapping)
    got = [(i.input, i.row, i.location, i.field, i.value, i.reason) for i in result.diagnostics.rejected_rows]
    assert got == [("redtrack", r, f"row {r}", f, v, why) for r, f, v, why in BAD_ROWS]
    assert result.diagnostics.totals.redtrack_cost == 0  # no bad amount reached a total
    _, issues = read_redtrack(BAD_REDTRACK)
    assert [(i.row, i.field, i.value) for i in issues] == [(r, f, v) for r, f, v, _ in BAD_ROWS]


@pytest.mark.parametrize("row", range(len(BAD_ROWS)))
def test_bad_rows_raise_when_strict(row: int) -> None:
    everflow, _, mapping = arrow_inputs()
    mapping = mapping.filter(pa.compute.field("location") != "line 4")  # drop the n/a row
    with pytest.raises(ces.InvalidRecordError) as info:
        merge(everflow, BAD_REDTRACK.slice(row, 1), mapping, strict=True)
    err = info.value
    _, field, value, reason = BAD_ROWS[row]
    assert isinstance(err, ces.CesError) and isinstance(err, ValueError)
    assert (err.code, err.input, err.row, err.field, err.value, err.reason) == (
        "invalid_record",
        "redtrack",
        0,
        field,
        value,
        reason,
    )
    assert err.message == str(err) == f'redtrack row 0: invalid `{field}`: "{value}" ({reason})'


def test_bad_everflow_json_rows() -> None:
    doc = json.loads(EVERFLOW.read_text())
    good = doc["table"][0]
    bad = json.loads(json.dumps(good))
    bad["reporting"]["payout"] = "abc"
    late = json.loads(json.dumps(good))
    late["columns"][2]["id"] = "1733101200"  # 01:00 UTC: requested in another zone
    doc["table"] = [good, bad, late]
    result = merge(json.dumps(doc).encode(), b"[]", MAPPING)
    assert [(i.row, i.location, i.field, i.value) for i in result.diagnostics.rejected_rows] == [
        (1, "page 1, row 2", "payout", "abc"),
        (2, "page 1, row 3", "date", "1733101200"),
    ]
    with pytest.raises(ces.InvalidRecordError) as info:
        read_everflow(json.dumps(doc).encode(), strict=True)
    assert (info.value.row, info.value.field) == (1, "payout")


def test_strict_makes_the_mapping_n_a_rows_errors() -> None:
    with pytest.raises(ces.InvalidRecordError) as info:
        sample(strict=True)
    assert (info.value.input, info.value.row, info.value.field, info.value.value) == (
        "mapping",
        5,
        "everflow.affiliate_label",
        "n/a",
    )


def test_everflow_arrow_bad_cells() -> None:
    table = pa.table(
        {
            "date": pa.array([1733097600, 1733097600 + 3600, 1733097600], pa.int64()),
            "affiliate_label": ["G2 - Meta", "x", None],
            "advertiser_id": ["1", "1", "1"],
            "clicks": [1.0, 2.0, 3.5],
            "conversions": [1, 1, 1],
            "revenue": [1, 1, 1],
            "payout": [float("inf"), 1.0, 1.0],
        }
    )
    table_out, issues = read_everflow(table)
    assert table_out.num_rows == 0
    assert [(i.row, i.field, i.value, i.reason) for i in issues] == [
        (0, "payout", "inf", "not a finite number"),
        (1, "date", "1733101200", "not 00:00 UTC of a date (was the report requested in another time zone?)"),
        (2, "affiliate_label", "null", "missing"),
    ]
    ok, issues = read_everflow(table.slice(0, 1).set_column(6, "payout", pa.array([0.5])))
    assert issues == [] and ok.to_pylist()[0]["date"] == DAY and ok.to_pylist()[0]["profit"] == Decimal("0.50")
    _, issues = read_everflow(table.slice(2, 1).set_column(1, "affiliate_label", pa.array(["x"])))
    assert [(i.field, i.value, i.reason) for i in issues] == [("clicks", "3.5", "not an integer")]


def test_duplicate_keys() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    # The same record twice: counted once, reported.
    twice = pa.concat_tables([redtrack, redtrack.slice(0, 1)])
    result = merge(everflow, twice, mapping)
    assert result.performance.equals(merge(everflow, redtrack, mapping).performance)
    assert [(d.input, d.key, d.rows) for d in result.diagnostics.duplicate_rows] == [
        ("redtrack", "2025-11-01 / s1", (0, 4))
    ]
    # The same key with different values: neither can be chosen (strict or not).
    changed = redtrack.slice(0, 1).set_column(6, "cost", pa.array([Decimal("1.00")]))
    for strict in (False, True):
        with pytest.raises(ces.DuplicateKeyError) as info:
            twice = pa.concat_tables([redtrack, changed.cast(redtrack.schema)])
            merge(everflow, twice, mapping.slice(0, 2), strict=strict)
        err = info.value
        assert (err.code, err.input, err.key, err.first_row, err.row) == (
            "duplicate_key",
            "redtrack",
            "2025-11-01 / s1",
            0,
            4,
        )
    # Mapping rows for one source that disagree: that source's spend is unmapped, and both
    # rows are named.
    conflict = mapping_csv("Facebook CCW,facebook,s1,1,G2 - Meta,1,CCW", "Facebook CCW,facebook,s1,1,SB - Meta,1,CCW")
    d = merge(everflow, redtrack, conflict).diagnostics
    assert [(c.source_id, c.locations, c.targets) for c in d.conflicting_mappings] == [
        ("s1", ("line 2", "line 3"), ("G2 - Meta / 1", "SB - Meta / 1"))
    ]
    assert [(u.source_id, u.reason, u.cost) for u in d.unmapped_spend][0] == (
        "s1",
        "conflicting_mapping",
        Decimal("7837.75"),
    )


def test_currency() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    with pytest.raises(ces.InvalidArgumentError) as info:
        merge(everflow, redtrack, mapping, currency="XYZ")
    assert (info.value.field, info.value.code) == ("currency", "invalid_argument")
    eur = redtrack.append_column("currency", pa.array(["EUR"] * redtrack.num_rows))
    with pytest.raises(ces.InvalidRecordError, match="cannot be added without exchange rates"):
        merge(everflow, eur, mapping)


def test_missing_required_column_names_it() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    with pytest.raises(ces.MalformedInputError) as info:
        merge(everflow.drop_columns(["payout"]), redtrack, mapping)
    err = info.value
    assert (err.code, err.input, err.location) == ("malformed_input", "everflow", "columns")
    assert "no `payout` column" in err.message
    with pytest.raises(ces.MalformedInputError, match="no `redtrack.source_id` column"):
        merge(everflow, redtrack, mapping.drop_columns(["redtrack.source_id"]))
    with pytest.raises(ces.MalformedInputError, match="no `date` column"):
        merge(everflow, redtrack.drop_columns(["date"]), mapping)
    # ... unless a report date is given for Redtrack rows without one.
    assert len(merge(everflow, redtrack.slice(0, 2).drop_columns(["date"]), mapping, redtrack_date=D1)) > 0
    with pytest.raises(ces.MalformedInputError, match="no `redtrack.source` column"):
        merge(everflow, redtrack, b"a,b\n1,2\n")  # the CSV reader says the same


def test_column_of_wrong_type_is_type_error_naming_it() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    bad = everflow.set_column(5, "clicks", pa.array([[1]] * everflow.num_rows))
    with pytest.raises(TypeError, match=r"^`everflow.clicks` must be an Arrow column of integers"):
        merge(bad, redtrack, mapping)
    bad = redtrack.set_column(0, "date", pa.array([True] * redtrack.num_rows))
    with pytest.raises(TypeError, match=r"^`redtrack.date` must be an Arrow column of dates"):
        merge(everflow, bad, mapping)


# ---------------------------------------------------------------------------------------
# Dates.


def test_redtrack_timestamps_become_report_zone_dates() -> None:
    stamps = pa.array(
        [datetime.datetime(2025, 11, 2, 3, 30, tzinfo=datetime.timezone.utc),
         datetime.datetime(2025, 11, 3, 4, 30, tzinfo=datetime.timezone.utc)],
        pa.timestamp("ms", tz="UTC"),
    )  # fmt: skip
    t = pa.table({"date": stamps, "source_id": ["a", "b"], "clicks": [1, 1], "cost": [1, 1]})
    table, _ = read_redtrack(t)
    # 03:30 UTC is still the previous evening in New York; the instant is kept as `stamp`.
    assert table.column("date").to_pylist() == [datetime.date(2025, 11, 1), datetime.date(2025, 11, 2)]
    assert table.column("stamp").cast(pa.int64()).to_pylist() == [1762054200, 1762144200]
    table, _ = read_redtrack(t, zone="UTC")
    assert table.column("date").to_pylist() == [datetime.date(2025, 11, 2), datetime.date(2025, 11, 3)]
    # Fed back, the table reads the same.
    again, _ = read_redtrack(read_redtrack(t)[0])
    assert again.equals(read_redtrack(t)[0])


DATE_TEXTS = [
    "2025-11-02",
    " 2025-11-02 ",
    "2025-11-03T04:30:00Z",
    "2025-11-02T03:30:00Z",
    "2025-11-02T01:00:00-05:00",
    "2025-11-02 23:59:00",
    "2025-11-02T23:59",
    "2025-11-02 23:59",
    "02/11/2025",
    "2025-02-30",
    "2025-11-02 7pm",
    "",
]


def test_arrow_date_text_reads_as_the_json_reader_reads_it() -> None:
    n = len(DATE_TEXTS)
    ids = [f"s{i}" for i in range(n)]
    doc = json.dumps([{"date": d, "source_id": s, "clicks": 1, "cost": 1} for d, s in zip(DATE_TEXTS, ids)])
    from_json, json_issues = read_redtrack(doc.encode())
    from_arrow, arrow_issues = read_redtrack(
        pa.table({"date": DATE_TEXTS, "source_id": ids, "clicks": [1] * n, "cost": [1] * n})
    )
    assert from_arrow.equals(from_json)
    assert [(i.row, i.field, i.value, i.reason) for i in arrow_issues] == [
        (i.row, i.field, i.value, i.reason) for i in json_issues
    ]
    assert len(json_issues) == 4


def test_date_arguments() -> None:
    everflow, redtrack, mapping = arrow_inputs()
    with pytest.raises(ces.InvalidArgumentError) as info:
        merge(everflow, redtrack, mapping, start="2025-13-01")
    assert info.value.field == "start"
    message = r"^`start` must be a datetime.date, a 'YYYY-MM-DD' string or None, not datetime"
    with pytest.raises(TypeError, match=message):
        merge(everflow, redtrack, mapping, start=datetime.datetime(2025, 11, 1))  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError) as info:
        merge(everflow, redtrack, mapping, zone="America/Gotham")
    assert info.value.field == "zone"


# ---------------------------------------------------------------------------------------
# Progress, threads, determinism.


def test_progress_reports_each_stage_on_the_calling_thread() -> None:
    calls: list[tuple[str, int, int]] = []
    threads: set[int] = set()

    def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))
        threads.add(threading.get_ident())

    merge(*arrow_inputs(), progress=progress)
    stages = [c[0] for c in calls]
    assert sorted(set(stages), key=stages.index) == ["spend", "everflow", "join"]  # in this order
    assert stages == sorted(stages, key=["spend", "everflow", "join"].index)  # each in one run
    for stage in ("spend", "everflow", "join"):
        done = [c[1] for c in calls if c[0] == stage]
        total = {c[2] for c in calls if c[0] == stage}
        assert done == sorted(done) and done[0] == 0 and len(total) == 1 and done[-1] == total.pop()
    assert calls[:2] == [("spend", 0, 4), ("spend", 4, 4)] and calls[-1] == ("join", 7, 7)
    assert threads == {threading.get_ident()}


def test_exception_in_progress_propagates() -> None:
    calls: list[str] = []

    class Stop(Exception):
        pass

    def progress(stage: str, done: int, total: int) -> None:
        calls.append(stage)
        raise Stop(f"stopped in {stage} at {done} of {total}")

    with pytest.raises(Stop, match="^stopped in spend at 0 of 4$"):
        merge(*arrow_inputs(), progress=progress)
    assert calls == ["spend"]  # later calls are skipped
    with pytest.raises(TypeError):  # the callback's signature is wrong: its TypeError propagates
        merge(*arrow_inputs(), progress=lambda: None)  # type: ignore[arg-type, misc]


def big_inputs(n: int) -> tuple[pa.Table, pa.Table, bytes]:
    i = np.arange(n)
    redtrack = pa.table(
        {
            "date": pa.array((np.datetime64("2025-11-01") + i % 30).astype("datetime64[D]")),
            "source_id": pa.array(np.char.add("s", (i % 500).astype(str))),
            "clicks": pa.array(i % 7),
            "cost": pa.array(((i % 1000) / 4).astype(str)),  # money as text: every row parsed
            "stamp": pa.array(i),
        }
    )
    everflow = pa.table(
        {
            "date": pa.array((np.datetime64("2025-11-01") + i[:3000] % 30).astype("datetime64[D]")),
            "affiliate_label": pa.array(np.char.add("aff ", (i[:3000] % 60).astype(str))),
            "advertiser_id": pa.array(1 + (i[:3000] // 60) % 3),
            "clicks": pa.array(np.ones(3000, dtype=np.int64)),
            "conversions": pa.array(i[:3000] % 5),
            "revenue": ["1.25"] * 3000,
            "payout": ["0.75"] * 3000,
        }
    )
    mapping = mapping_csv(*(f"src {k},facebook,s{k},1,aff {k % 40},{1 + k % 3},ADV" for k in range(450)))
    return everflow, redtrack, mapping


def test_merge_releases_the_gil(parallel_restored: None) -> None:
    _ces._set_parallel(False)  # leave a core for this thread
    n = 50_000
    while True:  # grow the input until one merge takes at least 0.4 s
        inputs = big_inputs(n)
        start = time.perf_counter()
        merge(*inputs)
        if time.perf_counter() - start >= 0.4 or n >= 3_200_000:
            break
        n *= 2
    done = threading.Event()
    results: list[MergeResult] = []

    def work() -> None:
        try:
            results.append(merge(*inputs))
        finally:
            done.set()

    worker = threading.Thread(target=work)
    ticks = [time.perf_counter()]
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks.append(time.perf_counter())
    worker.join()
    stall, duration = max(b - a for a, b in zip(ticks, ticks[1:])), ticks[-1] - ticks[0]
    assert len(results[0]) > 0
    assert duration > 0.2, f"merge too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"


def test_merge_is_deterministic(parallel_restored: None) -> None:
    # Enough spend rows for the core's parallel sort to run.
    everflow, redtrack, mapping = big_inputs(150_000)
    _ces._set_parallel(True)
    first = merge(everflow, redtrack, mapping)
    second = merge(everflow, redtrack, mapping)
    _ces._set_parallel(False)
    sequential = merge(everflow, redtrack, mapping)
    for other in (second, sequential):
        assert other.performance.equals(first.performance)
        assert other.diagnostics == first.diagnostics
        assert other.summary("week").equals(first.summary("week"))
        assert other.leaderboard(25).equals(first.leaderboard(25))
    assert first.diagnostics.totals.redtrack_cost == sum(Decimal(c) for c in redtrack.column("cost").to_pylist())


# ---------------------------------------------------------------------------------------
# The result object and wrong types.


def test_result_is_frozen() -> None:
    result = sample()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.diagnostics = None  # type: ignore[misc, assignment]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.diagnostics.totals.output_rows = 3  # type: ignore[misc]
    assert result.performance is result.performance  # built once
    assert repr(result) == "MergeResult(rows=2, rejected_rows=0, unmapped_spend=0, has_findings=True)"
    assert ces.cpa.merge is merge and ces.cpa.MergeResult is MergeResult


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"everflow": 42}, "`everflow` must be an Arrow table (pyarrow, polars, pandas), a file path, bytes, "
         "or a list of paths or bytes, not int"),
        ({"redtrack": None}, "`redtrack` must be an Arrow table"),
        ({"mapping": [1, 2]}, "`mapping` must be a list of file paths or bytes, not a list holding int"),
        ({"mapping": "a,b\n1,2"}, "`mapping` must be a file path, or the document itself as bytes"),
        ({"currency": 5}, "`currency` must be str, not int"),
        ({"include": "G2 - Meta"}, "`include` must be a list of str (or an Arrow string column), not str"),
        ({"exclude": [1]}, "`exclude` must be str, not int"),
        ({"start": 20251101}, "`start` must be a datetime.date, a 'YYYY-MM-DD' string or None, not int"),
        ({"end": 1.5}, "`end` must be a datetime.date"),
        ({"redtrack_date": b"2025-11-01"}, "`redtrack_date` must be a datetime.date"),
        ({"zone": None}, "`zone` must be str, not NoneType"),
        ({"progress": "print"}, "`progress` must be a callable or None, not str"),
        ({"strict": "yes"}, "`strict` must be a bool, not str"),
        ({"internal_from_mapping": 1}, "`internal_from_mapping` must be a bool, not int"),
    ],
)  # fmt: skip
def test_wrong_types_are_type_errors_naming_the_argument(kwargs: dict[str, Any], message: str) -> None:
    everflow, redtrack, mapping = arrow_inputs()
    args: dict[str, Any] = {"everflow": everflow, "redtrack": redtrack, "mapping": mapping}
    args.update(kwargs)
    with pytest.raises(TypeError) as info:
        merge(**args)
    assert message in str(info.value)


def test_wrong_report_arguments() -> None:
    result = sample()
    with pytest.raises(TypeError, match="^`period` must be str, not int"):
        result.summary(3)  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError, match="expected day, week or month"):
        result.summary("quarter")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^`n` must be an int, not str"):
        result.leaderboard("5")  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError):
        result.leaderboard(-1)
    with pytest.raises(TypeError, match="^`advertiser` must be an int"):
        result.leaderboard(advertiser="CCW")  # type: ignore[arg-type]


def test_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        merge(tmp_path / "missing.json", REDTRACK, MAPPING)
    with pytest.raises(ces.InvalidArgumentError, match="a .csv file, but this input reads JSON"):
        merge(MAPPING, REDTRACK, MAPPING)
    with pytest.raises(ces.InvalidArgumentError, match="a .json file, but this input reads the mapping CSV"):
        merge(EVERFLOW, REDTRACK, EVERFLOW)
    with pytest.raises(ces.InvalidArgumentError, match="the mapping is one CSV file"):
        merge(EVERFLOW, REDTRACK, [MAPPING, MAPPING])
    with pytest.raises(ces.MalformedInputError) as info:
        merge(b"{not json", REDTRACK, MAPPING)
    assert info.value.input == "everflow" and "line 1, column 2" in info.value.location


def test_module_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(ces.cpa, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_large_tables_convert_in_parallel_with_the_same_result_and_issues(parallel_restored: None) -> None:
    # Above 200,000 rows the Everflow table is converted in two halves at once and Redtrack
    # alongside: rows, order, positions and reported issues must not change.
    n = 240_000
    rng = np.random.default_rng(5)
    labels = np.array([f"Aff {i}" for i in range(500)], dtype=object)
    aff = rng.integers(0, 500, n)
    day = np.arange(n) // 500
    payout = rng.integers(0, 10_000, n).astype(object)
    payout[[7, n // 2 + 3, n - 1]] = "abc"  # bad money in both halves
    everflow = pa.table(
        {
            "date": pa.array(np.datetime64("2025-01-01") + day.astype("timedelta64[D]"), pa.date32()),
            "affiliate_id": pa.array(np.arange(n) % 500 + 10_000 * day, pa.int64()),
            "affiliate_label": pa.array(labels[aff], pa.string()),
            "advertiser_id": pa.array(rng.integers(1, 4, n), pa.int64()),
            "clicks": pa.array(rng.integers(0, 50, n), pa.int64()),
            "conversions": pa.array(rng.integers(0, 5, n), pa.int64()),
            "revenue": pa.array([str(v) for v in rng.integers(0, 20_000, n)], pa.string()),
            "payout": pa.array([str(v) for v in payout], pa.string()),
        }
    )
    redtrack = pa.table(
        {
            "date": pa.array(["2025-01-01"] * 3, pa.string()),
            "source_id": ["s1", "s2", "s3"],
            "clicks": [1, 2, 3],
            "cost": pa.array([Decimal("1.10"), Decimal("-2"), Decimal("3.30")], pa.decimal128(10, 2)),
        }
    )
    mapping = mapping_csv("S1,facebook,s1,1,Aff 1,1,CCW")
    _ces._set_parallel(True)
    a = merge(everflow, redtrack, mapping)
    _ces._set_parallel(False)
    b = merge(everflow, redtrack, mapping)
    assert a.performance.equals(b.performance)
    assert a.diagnostics == b.diagnostics
    got = [(i.input, i.row, i.field, i.value) for i in a.diagnostics.rejected_rows]
    assert got == [
        ("everflow", 7, "payout", "abc"),
        ("everflow", n // 2 + 3, "payout", "abc"),
        ("everflow", n - 1, "payout", "abc"),
        ("redtrack", 1, "cost", "-2.00"),
    ]
    with pytest.raises(ces.InvalidRecordError) as err:
        _ces._set_parallel(True)
        merge(everflow, redtrack, mapping, strict=True)
    assert err.value.row == 7
