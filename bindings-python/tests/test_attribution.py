"""Attribution from Python: hand-checked scenarios per model and per eligibility rule (ties,
inclusive boundaries, flights, duplicates, click beats view, calendar days across DST,
campaign overrides), reconciliation, pyarrow/polars/pandas inputs, keys of either kind,
input order, time zones, errors naming the row, empty inputs, progress, bootstrap, path-level
models, and the GIL released."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
import math
import threading
import time
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import ces
from ces import _ces
from ces.attribution import (
    UNATTRIBUTED,
    Attribution,
    AttributionSummary,
    MarkovReport,
    attribute,
    heuristics,
    markov,
    shapley,
)

UTC = dt.timezone.utc
TS = pa.timestamp("us", "UTC")
T = dt.datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
US = dt.timedelta(microseconds=1)


def before(**delta: float) -> dt.datetime:
    return T - dt.timedelta(**delta)


def ex(
    id: int,
    start: dt.datetime,
    channel: str = "social",
    interaction: str = "view",
    *,
    key: Any = "k",
    end: Optional[dt.datetime] = None,
    campaign: str = "c",
    asset: str = "a",
    cost: Optional[float] = None,
) -> dict[str, Any]:
    return dict(
        id=id, key=key, start=start, end=end, channel=channel, interaction=interaction,
        campaign=campaign, asset=asset, cost=cost,
    )  # fmt: skip


def tx(id: int, time: dt.datetime = T, *, key: Any = "k", value: float = 100.0, units: float = 1.0) -> dict[str, Any]:
    return dict(id=id, key=key, time=time, value=value, units=units)


def ex_table(*rows: dict[str, Any], key_type: pa.DataType = pa.string()) -> pa.Table:
    def col(name: str) -> list[Any]:
        return [r[name] for r in rows]

    return pa.table(
        {
            "id": pa.array(col("id"), pa.int64()),
            "key": pa.array(col("key"), key_type),
            "start": pa.array(col("start"), TS),
            "end": pa.array(col("end"), TS),
            "channel": pa.array(col("channel"), pa.string()),
            "interaction": pa.array(col("interaction"), pa.string()),
            "campaign": pa.array(col("campaign"), pa.string()),
            "asset": pa.array(col("asset"), pa.string()),
            "cost": pa.array(col("cost"), pa.float64()),
        }
    )


def tx_table(*rows: dict[str, Any], key_type: pa.DataType = pa.string()) -> pa.Table:
    def col(name: str) -> list[Any]:
        return [r[name] for r in rows]

    return pa.table(
        {
            "id": pa.array(col("id"), pa.int64()),
            "key": pa.array(col("key"), key_type),
            "time": pa.array(col("time"), TS),
            "value": pa.array(col("value"), pa.float64()),
            "units": pa.array(col("units"), pa.float64()),
        }
    )


def run(exposures: list[dict[str, Any]], transactions: list[dict[str, Any]], **kwargs: Any) -> Attribution:
    return attribute(ex_table(*exposures), tx_table(*transactions), **kwargs)


def picks(result: Attribution, model: str) -> list[tuple[Any, Any, float]]:
    """(transaction id, exposure id, weight) of one model's credit rows."""
    t = result.credits(model)
    return list(zip(t["transaction_id"].to_pylist(), t["exposure_id"].to_pylist(), t["weight"].to_pylist()))


def last(result: Attribution, model: str = "last_touch") -> dict[Any, Any]:
    """transaction id → the exposure id a single-touch model picked."""
    return {t: e for t, e, _ in picks(result, model)}


@pytest.fixture
def parallel_restored() -> Iterator[None]:
    before_ = _ces._parallel_enabled()
    try:
        yield
    finally:
        _ces._set_parallel(before_)


# ---------------------------------------------------------------------------------------
# Each model on one hand-checked journey: social view (T−20h), search click (T−10h),
# display view (T−2h); one transaction at T worth 100 with 2 units.

JOURNEY = [ex(1, before(hours=20), "social", "view"), ex(2, before(hours=10), "search", "click"),
           ex(3, before(hours=2), "display", "view")]  # fmt: skip
SALE = [tx(10, value=100.0, units=2.0)]


def decay(deltas_h: list[float], half_life_h: float) -> list[float]:
    w = [2 ** (-(d - min(deltas_h)) / half_life_h) for d in deltas_h]
    return [x / sum(w) for x in w]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("last_touch", [(3, 1.0)]),
        ("last_click", [(2, 1.0)]),
        ("first_touch", [(1, 1.0)]),
        ("linear", [(1, 1 / 3), (2, 1 / 3), (3, 1 / 3)]),
        ("position_based", [(1, 0.4), (2, 0.2), (3, 0.4)]),
        ("position_based_j", [(1, 0.2), (2, 0.2), (3, 0.6)]),
        ("position_based_inverse_j", [(1, 0.6), (2, 0.2), (3, 0.2)]),
        ({"model": "position_based", "first": 0.3, "last": 0.5}, [(1, 0.3), (2, 0.2), (3, 0.5)]),
        ("time_decay", list(zip([1, 2, 3], decay([20, 10, 2], 7 * 24)))),
        ("time_decay_days", [(1, 1 / 3), (2, 1 / 3), (3, 1 / 3)]),  # 20 h, 10 h, 2 h: all 0 days
        ({"model": "time_decay", "half_life": dt.timedelta(hours=10)}, list(zip([1, 2, 3], decay([20, 10, 2], 10)))),
        ({"model": "time_decay", "half_life": "10h"}, list(zip([1, 2, 3], decay([20, 10, 2], 10)))),
        ({"model": "time_decay", "half_life": 36_000.0}, list(zip([1, 2, 3], decay([20, 10, 2], 10)))),
        ({"model": "last_non_excluded", "excluded": ["display"]}, [(2, 1.0)]),
        ({"model": "last_non_excluded", "excluded": ["display", "search", "social"]}, [(3, 1.0)]),  # all: e_n
        ("shapley", [(1, 1 / 3), (2, 1 / 3), (3, 1 / 3)]),
    ],
)  # fmt: skip
def test_each_model_on_one_journey(model: Any, expected: list[tuple[int, float]]) -> None:
    result = run(JOURNEY, SALE, models=[model])
    rows = result.credits()
    assert rows["model"].to_pylist() == [result.models[0]] * len(expected)
    got = [(e, w) for _, e, w in picks(result, result.models[0])]
    assert [e for e, _ in got] == [e for e, _ in expected]
    assert [w for _, w in got] == pytest.approx([w for _, w in expected], abs=1e-12)
    assert rows["value"].to_pylist() == pytest.approx([100.0 * w for _, w in expected])
    assert rows["units"].to_pylist() == pytest.approx([2.0 * w for _, w in expected])


def test_model_names_and_credit_columns() -> None:
    models = ["last_touch", {"model": "markov", "order": 2}, "markov", {"model": "time_decay", "half_life": 3600,
              "whole_days": True}, {"model": "position_based", "first": 0.3, "last": 0.5}]  # fmt: skip
    result = run(JOURNEY, SALE, models=models)
    assert result.models == ("last_touch", "markov_2", "markov", "time_decay_3600s_days", "position_based_0.3_0.5")
    rows = result.credits()
    assert rows.column_names == [
        "model", "transaction_id", "exposure_id", "channel", "interaction", "campaign", "asset", "weight", "value", "units",
    ]  # fmt: skip
    first = rows.slice(0, 1).to_pylist()[0]
    assert first == {
        "model": "last_touch", "transaction_id": 10, "exposure_id": 3, "channel": "display", "interaction": "view",
        "campaign": "c", "asset": "a", "weight": 1.0, "value": 100.0, "units": 2.0,
    }  # fmt: skip
    assert rows["model"].to_pylist() == ["last_touch"] + ["markov_2"] * 3 + ["markov"] * 3 + [
        "time_decay_3600s_days"] * 3 + ["position_based_0.3_0.5"] * 3  # fmt: skip
    assert rows.schema.field("channel").type == pa.dictionary(pa.int32(), pa.string())


def test_defaults_are_the_rule_models() -> None:
    result = run(JOURNEY, SALE)
    assert result.models == ces.attribution.RULE_MODELS
    assert result.models == ("last_touch", "last_click", "first_touch", "linear", "position_based", "time_decay")


# ---------------------------------------------------------------------------------------
# Eligibility.


def test_recency_ties_rank_interaction_then_id() -> None:
    at = before(hours=1)
    result = run(
        [
            # Same instant, different interactions: the click (id 1) is later than the view (id 2).
            ex(1, at, "search", "click", key="a"), ex(2, at, "social", "view", key="a"),
            ex(3, at, "video", "engaged_view", key="a"),
            # Same instant and interaction: the larger id is later.
            ex(5, at, "social", "view", key="b"), ex(3, at, "display", "view", key="b"),
        ],
        [tx(100, key="a"), tx(200, key="b")],
        models=["last_touch", "first_touch", "linear"],
    )  # fmt: skip
    assert last(result) == {100: 1, 200: 5}
    assert last(result, "first_touch") == {100: 2, 200: 3}
    assert [(t, e) for t, e, _ in picks(result, "linear")] == [(100, 2), (100, 3), (100, 1), (200, 3), (200, 5)]


def test_window_boundary_is_inclusive_to_the_microsecond() -> None:
    day = dt.timedelta(days=1)  # the standard view window
    start = dt.datetime(2025, 1, 1, 8, tzinfo=UTC)
    result = run(
        [ex(1, start, key="on"), ex(2, start, key="past"), ex(3, start, "search", "click", key="click")],
        [tx(1, start + day, key="on"), tx(2, start + day + US, key="past"),
         tx(3, start + dt.timedelta(days=30), key="click"), tx(4, start + dt.timedelta(days=30) + US, key="click")],
    )  # fmt: skip
    assert last(result) == {1: 1, 3: 3}
    assert result.unattributed()["transaction_id"].to_pylist() == [4, 2]  # canonical order: key, time, id
    assert result.summary.unattributed == 2


def test_flights_exposures_after_the_sale_and_running_flights() -> None:
    result = run(
        [
            ex(1, before(days=3), "tv", end=T + dt.timedelta(days=2), key="across"),  # running at T: τ = end
            ex(2, before(days=3), "tv", end=before(days=2), key="ended"),  # ended 2 days before: > 1 day
            ex(3, before(days=3), "tv", end=before(hours=12), key="recent"),  # ended 12 h before
            ex(4, before(days=3), "tv", key="open"),  # no end: τ = start, 3 days before
            ex(5, T + US, "search", "click", key="after"),  # starts after the sale
            ex(6, T, "search", "click", key="same"),  # starts at the sale
            ex(7, T + US, "tv", end=T + dt.timedelta(days=1), key="later"),  # a flight starting after T
        ],
        [tx(i, key=k) for i, k in enumerate(["across", "ended", "recent", "open", "after", "same", "later"], 1)],
        models=["last_touch", "time_decay"],
    )  # fmt: skip
    assert last(result) == {1: 1, 3: 3, 6: 6}
    assert sorted(result.unattributed()["transaction_id"].to_pylist()) == [2, 4, 5, 7]
    assert result.summary.touches == 3


def test_interval_exposure_decays_from_its_end() -> None:
    # A flight running at T has Δ = 0; a point exposure 7 days (one half-life) earlier weighs half.
    result = run(
        [ex(1, before(days=10), "tv", end=T + dt.timedelta(days=1)), ex(2, before(days=7), "search", "click")],
        [tx(1)],
        models=["time_decay"],
    )  # fmt: skip
    got = picks(result, "time_decay")
    assert [e for _, e, _ in got] == [2, 1]
    assert [w for _, _, w in got] == pytest.approx([1 / 3, 2 / 3])


def test_identical_exposures_count_once_keeping_the_smallest_id() -> None:
    at = before(hours=3)
    result = run(
        [ex(7, at, cost=2.0), ex(4, at, cost=2.0), ex(9, at, asset="other", cost=1.0), ex(8, at, key="no-sale", cost=5.0)],
        [tx(1)],
        models=["linear"],
    )  # fmt: skip
    assert [(e, w) for _, e, w in picks(result, "linear")] == [(4, 0.5), (9, 0.5)]
    assert result.duplicates().to_pylist() == [{"exposure_id": 7}]
    s = result.summary
    assert (s.exposures, s.exposures_considered, s.duplicate_exposures, s.touches) == (4, 3, 1, 2)
    rollup = result.rollup("asset").to_pylist()
    assert [(r["group"], r["conversions"], r["cost"]) for r in rollup] == [("a", 0.5, 2.0 + 5.0), ("other", 0.5, 1.0)]


def test_click_beats_view() -> None:
    exposures = [ex(1, before(hours=5), "search", "click"), ex(2, before(hours=1), "social", "view")]
    plain = run(exposures, [tx(1)], models=["last_touch", "linear"])
    clicks = run(exposures, [tx(1)], models=["last_touch", "linear"], click_beats_view=True)
    assert last(plain) == {1: 2} and last(clicks) == {1: 1}
    assert [(e, w) for _, e, w in picks(plain, "linear")] == [(1, 0.5), (2, 0.5)]
    assert [(e, w) for _, e, w in picks(clicks, "linear")] == [(1, 1.0)]
    # Without any click the views stay eligible.
    views = run([ex(2, before(hours=1), "social", "view")], [tx(1)], click_beats_view=True, models=["linear"])
    assert picks(views, "linear") == [(1, 2, 1.0)]


def test_calendar_days_in_the_zone_across_the_dst_change() -> None:
    # Berlin springs forward on 2025-03-30 (CET +1 → CEST +2). The sale at 22:30Z on the 30th
    # is 00:30 on the 31st in Berlin.
    sale = dt.datetime(2025, 3, 30, 22, 30, tzinfo=UTC)
    exposures = [
        ex(1, dt.datetime(2025, 3, 29, 22, 30, tzinfo=UTC), key="a"),  # 23:30 on the 29th in Berlin
        ex(2, dt.datetime(2025, 3, 29, 23, 30, tzinfo=UTC), key="b"),  # 00:30 on the 30th in Berlin
    ]
    sales = [tx(1, sale, key="a"), tx(2, sale, key="b")]
    exact = run(exposures, sales, models=["last_touch"])
    berlin = run(exposures, sales, models=["last_touch"], mode="calendar", zone="Europe/Berlin")
    utc = run(exposures, sales, models=["last_touch"], mode="calendar", zone="UTC")
    assert last(exact) == {1: 1, 2: 2}  # 24 h (inclusive) and 23 h
    assert last(berlin) == {2: 2}  # 31st − 29th = 2 days > 1; 31st − 30th = 1
    assert last(utc) == {1: 1, 2: 2}  # 30th − 29th = 1 in UTC
    assert [(r["group"], r["unattributed"], r["conversions"]) for r in berlin.rollup("day").to_pylist()] == [
        ("2025-03-31", False, 1.0), ("2025-03-31", True, 1.0),
    ]  # fmt: skip
    assert [r["group"] for r in utc.rollup("day").to_pylist()] == ["2025-03-30"]
    # The same wall-clock times without a zone, read in Berlin, give the same result.
    def wall(*times: dt.datetime) -> pa.Array:
        return pa.array(times, pa.timestamp("us"))

    local_ex = ex_table(*exposures).set_column(2, "start", wall(dt.datetime(2025, 3, 29, 23, 30), dt.datetime(2025, 3, 30, 0, 30)))
    local_tx = tx_table(*sales).set_column(2, "time", wall(dt.datetime(2025, 3, 31, 0, 30), dt.datetime(2025, 3, 31, 0, 30)))
    read = attribute(local_ex, local_tx, models=["last_touch"], mode="calendar", zone="Europe/Berlin",
                     assume_zone="Europe/Berlin")  # fmt: skip
    assert last(read) == {2: 2}
    assert read.unattributed()["time"].to_pylist() == [sale]
    with pytest.raises(ces.InvalidArgumentError, match="whole days"):
        run(exposures, sales, mode="calendar", windows={"defaults": {"view": "12h"}})


def test_windows_rules_and_campaign_overrides() -> None:
    at2 = before(days=2)
    exposures = [
        ex(1, at2, "social", "view", campaign="bf", key="a"),  # campaign rule for all: 3 days
        ex(2, at2, "social", "view", campaign="other", key="b"),  # default view: 1 day
        ex(3, before(days=6), "tv", "view", key="c"),  # group rule: 7 days
        ex(4, at2, "social", "click", campaign="vip", key="d"),  # campaign click rule: 1 day beats all 10 days
        ex(5, before(days=9), "social", "view", campaign="vip", key="e"),  # campaign rule for all: 10 days
    ]
    sales = [tx(i, key=k) for i, k in enumerate("abcde", 1)]
    rules = [
        {"channel": "tv", "interaction": "view", "window": dt.timedelta(days=7)},
        {"campaign": "bf", "interaction": None, "window": "3d"},
        {"campaign": "vip", "window": 10 * 86_400},
        {"campaign": "vip", "interaction": "click", "window": "24h"},
    ]
    result = run(exposures, sales, windows={"rules": rules})
    assert last(result) == {1: 1, 3: 3, 5: 5}
    table = pa.table(
        {
            "channel": ["tv", None, None, None],
            "interaction": ["view", None, None, "click"],
            "campaign": [None, "bf", "vip", "vip"],
            "window_seconds": [7 * 86_400, 3 * 86_400, 10 * 86_400, 86_400],
        }
    )
    for rules_table in (table, pl.from_arrow(table), table.to_pandas()):
        assert last(run(exposures, sales, windows={"rules": rules_table})) == last(result)
    durations = table.set_column(3, "window_seconds", pc.multiply(table["window_seconds"], 1_000_000).cast(pa.duration("us")))
    assert last(run(exposures, sales, windows={"rules": durations})) == last(result)
    # Without defaults only the rules apply: social views of other campaigns have no window.
    with pytest.raises(ces.InvalidRecordError) as err:
        run(exposures, sales, windows={"defaults": None, "rules": rules})
    assert (err.value.input, err.value.row, err.value.field, err.value.value) == ("exposures", 1, "channel", "social / view")
    explicit = {"defaults": {"view": "1d", "click": "30d", "engaged_view": None}, "rules": rules}
    assert last(run(exposures, sales, windows=explicit)) == last(result)
    with pytest.raises(ces.InvalidRecordError, match="no window"):
        run(exposures, sales, windows="none")
    with pytest.raises(ces.InvalidRecordError, match="no window"):
        run(exposures, sales, windows=None)


# ---------------------------------------------------------------------------------------
# Reconciliation, input kinds, order.


def random_inputs(seed: int = 1, n_tx: int = 1500, n_ex: int = 6000, n_keys: int = 400) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    base = int(dt.datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    span = 20 * 86_400 * 1_000_000
    start = base + rng.integers(0, span, n_ex)
    flight = rng.random(n_ex) < 0.1
    end = np.where(flight, start + rng.integers(0, 3 * 86_400 * 1_000_000, n_ex), 0)
    channels = np.array(["tv", "social", "search", "display", "email"])
    interactions = np.array(["view", "engaged_view", "click"])
    ex_cols = {
        "id": rng.permutation(n_ex) + 1_000,
        "key": rng.integers(0, n_keys, n_ex),
        "start": start,
        "end": end,
        "channel": channels[rng.integers(0, 5, n_ex)],
        "interaction": interactions[rng.integers(0, 3, n_ex)],
        "campaign": np.char.add("camp-", rng.integers(0, 6, n_ex).astype(str)),
        "asset": np.char.add("asset-", rng.integers(0, 12, n_ex).astype(str)),
        "cost": np.round(rng.random(n_ex) * 10, 2),
    }
    # 40 exact duplicates with other ids.
    dup = rng.integers(0, n_ex, 40)
    for name, col in ex_cols.items():
        ex_cols[name] = np.concatenate([col, col[dup]])
    ex_cols["id"][n_ex:] = np.arange(40) + 100_000
    exposures = pa.table(
        {
            "id": pa.array(ex_cols["id"], pa.int64()),
            "key": pa.array(ex_cols["key"], pa.int64()),
            "start": pa.array(ex_cols["start"], pa.int64()).cast(TS),
            "end": pa.array(ex_cols["end"], pa.int64(), mask=ex_cols["end"] == 0).cast(TS),
            "channel": pa.array(ex_cols["channel"]),
            "interaction": pa.array(ex_cols["interaction"]),
            "campaign": pa.array(ex_cols["campaign"]),
            "asset": pa.array(ex_cols["asset"]),
            "cost": pa.array(ex_cols["cost"]),
        }
    )
    transactions = pa.table(
        {
            "id": pa.array(rng.permutation(n_tx) + 1, pa.int64()),
            "key": pa.array(rng.integers(0, n_keys, n_tx), pa.int64()),
            "time": pa.array(base + rng.integers(2 * 86_400 * 1_000_000, span, n_tx), pa.int64()).cast(TS),
            "value": pa.array(rng.integers(0, 20_000, n_tx) / 100),
            "units": pa.array(rng.integers(1, 4, n_tx).astype(float)),
        }
    )
    return exposures, transactions


ALL_MODELS: list[Any] = [
    *ces.attribution.RULE_MODELS, "position_based_j", "time_decay_days", "last_non_excluded", "markov",
    {"model": "markov", "order": 3}, "shapley", "shapley_exact",
]  # fmt: skip


@pytest.fixture(scope="module")
def big() -> tuple[pa.Table, pa.Table, Attribution]:
    exposures, transactions = random_inputs()
    return exposures, transactions, attribute(exposures, transactions, models=ALL_MODELS)


def test_weights_sum_to_one_and_everything_reconciles(big: tuple[pa.Table, pa.Table, Attribution]) -> None:
    _, transactions, result = big
    s = result.summary
    assert s.transactions == transactions.num_rows == s.attributed + s.unattributed
    assert 0 < s.unattributed < s.transactions and s.duplicate_exposures > 0
    assert s.value == pytest.approx(pc.sum(transactions["value"]).as_py())
    unattributed = result.unattributed()
    assert unattributed.num_rows == s.unattributed
    assert pc.sum(unattributed["value"]).as_py() == pytest.approx(s.unattributed_value)
    assert pc.sum(unattributed["units"]).as_py() == pytest.approx(s.unattributed_units)
    credits = pl.from_arrow(result.credits())
    assert isinstance(credits, pl.DataFrame)
    per_tx = credits.group_by("model", "transaction_id").agg(pl.col("weight").sum(), pl.len())
    for model in result.models:
        rows = per_tx.filter(pl.col("model") == model)
        assert rows.height == s.attributed, model
        assert np.allclose(rows["weight"].to_numpy(), 1.0, atol=1e-12), model
    assert credits.filter(pl.col("model") == "linear").height == s.touches
    assert credits.filter(pl.col("model") == "last_touch").height == s.attributed
    for by in ("channel", "campaign", "asset", "day"):
        rollup = pl.from_arrow(result.rollup(by))
        assert isinstance(rollup, pl.DataFrame)
        totals = rollup.group_by("model", maintain_order=True).agg(
            pl.col("conversions").sum(), pl.col("value").sum(), pl.col("units").sum()
        )
        assert totals["model"].to_list() == list(result.models)
        assert np.allclose(totals["conversions"].to_numpy(), s.transactions)
        assert np.allclose(totals["value"].to_numpy(), s.value)
        assert np.allclose(totals["units"].to_numpy(), s.units)
        bucket = rollup.filter(pl.col("unattributed"))
        assert bucket["conversions"].sum() == pytest.approx(s.unattributed * len(result.models))
    assert result.duplicates().num_rows == s.duplicate_exposures
    assert set(result.duplicates()["exposure_id"].to_pylist()) <= set(range(100_000, 100_040)) | set(range(1_000, 7_000))


def test_pandas_and_polars_inputs_give_the_same_tables(big: tuple[pa.Table, pa.Table, Attribution]) -> None:
    exposures, transactions, expected = big
    for ex_in, tx_in in [
        (pl.from_arrow(exposures), pl.from_arrow(transactions)),
        (exposures.to_pandas(), transactions.to_pandas()),
        (exposures.to_batches()[0], transactions.to_batches()[0]),
        (exposures.to_pylist(), {k: transactions[k].to_pylist() for k in transactions.column_names}),
    ]:
        got = attribute(ex_in, tx_in, models=ALL_MODELS)
        assert got.summary == expected.summary
        assert got.credits().equals(expected.credits())
        assert got.rollup("campaign").equals(expected.rollup("campaign"))


def test_string_and_integer_keys_and_ids() -> None:
    exposures, transactions = random_inputs(seed=2, n_tx=400, n_ex=1500, n_keys=120)
    as_int = attribute(exposures, transactions, models=["last_touch", "linear"])
    def text(t: pa.Table, c: str, fmt: str) -> pa.Table:
        return t.set_column(t.column_names.index(c), c, pa.array([fmt.format(v) for v in t[c].to_pylist()]))

    # Zero-padded text keys sort as the integers do: the canonical order is the same.
    ex_text = text(text(exposures, "key", "cust-{:05d}"), "id", "e{:06d}")
    tx_text = text(text(transactions, "key", "cust-{:05d}"), "id", "t{:06d}")
    as_text = attribute(ex_text, tx_text, models=["last_touch", "linear"])
    assert as_text.summary == as_int.summary
    a, b = as_int.credits(), as_text.credits()
    assert b["transaction_id"].type == pa.string() and a["transaction_id"].type == pa.int64()
    assert b["transaction_id"].to_pylist() == [f"t{v:06d}" for v in a["transaction_id"].to_pylist()]
    assert b["exposure_id"].to_pylist() == [f"e{v:06d}" for v in a["exposure_id"].to_pylist()]
    assert b["weight"].to_pylist() == a["weight"].to_pylist()
    # Other integer widths and string types read the same.
    narrow = exposures.set_column(1, "key", exposures["key"].cast(pa.uint16()))
    assert attribute(narrow, transactions, models=["last_touch", "linear"]).credits().equals(a)
    views = ex_text.set_column(1, "key", ex_text["key"].cast(pa.string_view())).set_column(
        5, "interaction", exposures["interaction"].dictionary_encode()
    )
    assert attribute(views, tx_text.set_column(1, "key", tx_text["key"].cast(pa.large_string())),
                     models=["last_touch", "linear"]).credits().equals(b)  # fmt: skip
    with pytest.raises(ces.InvalidArgumentError, match="same kind") as err:
        attribute(ex_text, transactions)
    assert err.value.field == "key"


def test_a_key_column_of_any_name() -> None:
    exposures = ex_table(ex(1, before(hours=1), key="s-1")).rename_columns(
        ["id", "store_id", "start", "end", "channel", "interaction", "campaign", "asset", "cost"]
    )
    transactions = tx_table(tx(5, key="s-1")).rename_columns(["id", "store_id", "time", "value", "units"])
    assert last(attribute(exposures, transactions, key="store_id")) == {5: 1}
    with pytest.raises(ces.MalformedInputError, match="no `key` column") as err:
        attribute(exposures, transactions)
    assert err.value.input == "exposures"


def test_input_order_does_not_matter(big: tuple[pa.Table, pa.Table, Attribution]) -> None:
    exposures, transactions, expected = big
    rng = np.random.default_rng(9)
    shuffled = attribute(
        exposures.take(rng.permutation(exposures.num_rows)),
        transactions.take(rng.permutation(transactions.num_rows)),
        models=ALL_MODELS,
    )
    assert shuffled.summary == expected.summary
    got, want = decoded(shuffled.credits()), decoded(expected.credits())
    assert got.equals(want)  # bit for bit, data-driven models included
    assert shuffled.rollup("channel").equals(expected.rollup("channel"))
    assert sorted(shuffled.duplicates()["exposure_id"].to_pylist()) == sorted(
        expected.duplicates()["exposure_id"].to_pylist()
    )


def decoded(table: pa.Table) -> pa.Table:
    """``table`` with dictionary columns as plain strings (their dictionaries follow the input)."""
    return pa.table(
        {n: c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for n, c in zip(table.column_names, table.columns)}
    )


# ---------------------------------------------------------------------------------------
# Time zones.


def test_naive_timestamps_need_assume_zone() -> None:
    exposures = ex_table(ex(1, before(hours=1)))
    transactions = tx_table(tx(1))
    naive = transactions.set_column(2, "time", transactions["time"].cast(pa.timestamp("us")))
    with pytest.raises(ces.InvalidArgumentError, match="without a time zone") as err:
        attribute(exposures, naive)
    assert (err.value.code, err.value.field, err.value.row) == ("invalid_argument", "transactions.time", None)
    assert last(attribute(exposures, naive, assume_zone="UTC")) == {1: 1}
    # Read in New York, 12:00 is 17:00 UTC: the exposure is 6 hours before.
    ny = attribute(exposures, naive, assume_zone="America/New_York", models=["time_decay"])
    assert ny.unattributed().num_rows == 0
    # PostgreSQL's rule at the DST changes: a skipped time with the offset before the jump,
    # a repeated time as the later instant.
    local = pa.array([dt.datetime(2018, 3, 11, 2, 30), dt.datetime(2018, 11, 4, 1, 30), dt.datetime(2018, 7, 1, 12)],
                     pa.timestamp("ns"))  # fmt: skip
    sales = pa.table({"id": [1, 2, 3], "key": ["x", "y", "z"], "time": local, "value": [1.0, 1.0, 1.0]})
    times = attribute(exposures, sales, assume_zone="America/New_York").unattributed()
    assert dict(zip(times["transaction_id"].to_pylist(), times["time"].to_pylist())) == {
        1: dt.datetime(2018, 3, 11, 7, 30, tzinfo=UTC),
        2: dt.datetime(2018, 11, 4, 6, 30, tzinfo=UTC),
        3: dt.datetime(2018, 7, 1, 16, tzinfo=UTC),
    }
    with pytest.raises(ces.InvalidArgumentError, match="not an IANA time zone name"):
        attribute(exposures, naive, assume_zone="Mars/Olympus")


def test_timestamps_of_any_unit_and_zone_are_instants() -> None:
    exposures = ex_table(ex(1, before(days=1)), ex(2, before(days=1) - US, key="other"))
    transactions = tx_table(tx(1), tx(2, key="other"))
    expected = last(attribute(exposures, transactions))
    assert expected == {1: 1}
    berlin = exposures.set_column(2, "start", exposures["start"].cast(pa.timestamp("ns", "Europe/Berlin")))
    seconds = transactions.set_column(2, "time", transactions["time"].cast(pa.timestamp("s", "Asia/Tokyo")))
    assert last(attribute(berlin, seconds)) == expected
    frame = exposures.to_pandas()
    frame["start"] = frame["start"].dt.tz_convert("America/Los_Angeles").astype("datetime64[ns, America/Los_Angeles]")
    assert last(attribute(frame, transactions)) == expected


def test_range_selects_transactions() -> None:
    sales = [tx(1, before(days=2)), tx(2, before(hours=1)), tx(3, T)]
    exposures = [ex(1, before(days=3), "search", "click")]
    result = run(exposures, sales, range=(before(days=1), T))  # from ≤ time < to
    assert (result.summary.transactions, result.summary.out_of_range) == (1, 2)
    assert last(result) == {2: 1}
    assert run(exposures, sales, range=(None, T)).summary.out_of_range == 1
    assert run(exposures, sales, range=(before(days=1), None)).summary.out_of_range == 1
    naive = (before(days=1).replace(tzinfo=None), T.replace(tzinfo=None))
    assert last(run(exposures, sales, range=naive, assume_zone="UTC")) == {2: 1}
    with pytest.raises(ces.InvalidArgumentError, match="without a time zone") as err:
        run(exposures, sales, range=naive)
    assert err.value.field == "range.start"
    with pytest.raises(ces.InvalidArgumentError, match="ends before it starts"):
        run(exposures, sales, range=(T, before(days=1)))
    with pytest.raises(TypeError, match="^`range` must be a"):
        run(exposures, sales, range=before(days=1))


# ---------------------------------------------------------------------------------------
# Errors naming the row.


def test_null_key_names_table_row_and_column() -> None:
    exposures = ex_table(ex(1, before(hours=1)), ex(2, before(hours=1)), ex(3, before(hours=1), key=None))
    exposures = exposures.rename_columns(["id", "customer_id", *exposures.column_names[2:]])
    transactions = tx_table(tx(1)).rename_columns(["id", "customer_id", "time", "value", "units"])
    with pytest.raises(ces.MissingValueError) as err:
        attribute(exposures, transactions, key="customer_id")
    assert (err.value.code, err.value.row, err.value.field) == ("missing_value", 2, "exposures.customer_id")
    assert str(err.value) == "row 2: `exposures.customer_id` is missing (null)"


@pytest.mark.parametrize(
    ("column", "row", "field"),
    [("id", 1, "exposures.id"), ("start", 0, "exposures.start"), ("channel", 1, "exposures.channel"),
     ("interaction", 0, "exposures.interaction"), ("campaign", 1, "exposures.campaign"), ("asset", 0, "exposures.asset")],
)  # fmt: skip
def test_nulls_in_required_exposure_columns(column: str, row: int, field: str) -> None:
    exposures = ex_table(ex(1, before(hours=1)), ex(2, before(hours=2)))
    i = exposures.column_names.index(column)
    values = exposures[column].to_pylist()
    values[row] = None
    exposures = exposures.set_column(i, column, pa.array(values, exposures.schema.field(column).type))
    with pytest.raises(ces.MissingValueError) as err:
        attribute(exposures, tx_table(tx(1)))
    assert (err.value.row, err.value.field) == (row, field)


def test_bad_numbers_and_interactions_are_invalid_records() -> None:
    exposures = ex_table(ex(1, before(hours=1)))
    with pytest.raises(ces.InvalidRecordError) as err:
        attribute(exposures, tx_table(tx(1), tx(2, value=float("nan"))))
    assert (err.value.input, err.value.row, err.value.field, err.value.value) == ("transactions", 1, "value", "NaN")
    with pytest.raises(ces.InvalidRecordError) as err:
        attribute(exposures, tx_table(tx(1, units=-1.0)))
    assert (err.value.input, err.value.row, err.value.field) == ("transactions", 0, "units")
    with pytest.raises(ces.InvalidRecordError) as err:
        attribute(ex_table(ex(1, before(hours=1)), ex(2, before(hours=1), cost=-3.0)), tx_table(tx(1)))
    assert (err.value.input, err.value.row, err.value.field, err.value.value) == ("exposures", 1, "cost", "-3")
    with pytest.raises(ces.InvalidRecordError) as err:
        attribute(ex_table(ex(1, before(hours=1)), ex(2, before(hours=1), interaction="hover")), tx_table(tx(1)))
    assert (err.value.input, err.value.row, err.value.field, err.value.value) == ("exposures", 1, "interaction", "hover")
    with pytest.raises(ces.InvalidRecordError, match="must not end before it starts") as err:
        attribute(ex_table(ex(1, before(hours=1), end=before(hours=2))), tx_table(tx(1)))
    assert (err.value.row, err.value.field) == (0, "end")
    with pytest.raises(ces.MissingValueError) as err2:
        attribute(exposures, tx_table(tx(1)).set_column(3, "value", pa.array([None], pa.float64())))
    assert (err2.value.row, err2.value.field) == (0, "transactions.value")
    # Interactions are read as the core reads them: any case, `impression`, `engaged view`.
    spelled = ex_table(ex(1, before(hours=1), interaction="Impression"), ex(2, before(hours=2), interaction="Engaged View"))
    assert [r["interaction"] for r in attribute(spelled, tx_table(tx(1))).credits("linear").to_pylist()] == [
        "engaged_view", "view",
    ]  # fmt: skip


def test_wrong_column_types_and_arguments() -> None:
    exposures, transactions = ex_table(ex(1, before(hours=1))), tx_table(tx(1))
    with pytest.raises(TypeError, match=r"^`transactions.value` must be an Arrow column of numbers"):
        attribute(exposures, transactions.set_column(3, "value", pa.array(["1.5"])))
    with pytest.raises(TypeError, match=r"^`exposures.start` must be an Arrow column of timestamps"):
        attribute(exposures.set_column(2, "start", pa.array([1], pa.int64())), transactions)
    with pytest.raises(TypeError, match=r"^`exposures.id` must be an Arrow column of integers or strings"):
        attribute(exposures.set_column(0, "id", pa.array([1.5])), transactions)
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"models": "linear"}, TypeError, "`models` must be a list of model names or dicts, not str"),
        ({"models": ["nope"]}, ces.InvalidArgumentError, "unknown model"),
        ({"models": [{"model": "linear", "first": 0.2}]}, ces.InvalidArgumentError, "unknown key"),
        ({"models": [{"model": "position_based", "first": 0.8, "last": 0.4}]}, ces.InvalidArgumentError, "first + last"),
        ({"models": [{"model": "markov", "order": 5}]}, ces.InvalidArgumentError, "order must be"),
        ({"models": ["linear", "linear"]}, ces.InvalidArgumentError, "repeats model 0"),
        ({"models": [3]}, TypeError, "`models[0]` must be a model name or a dict, not int"),
        ({"windows": 5}, TypeError, "`windows` must be"),
        ({"windows": "short"}, ces.InvalidArgumentError, "expected \"standard\""),
        ({"windows": {"rule": []}}, ces.InvalidArgumentError, "unknown key"),
        ({"windows": {"defaults": {"view": "30x"}}}, ces.InvalidArgumentError, "expected a whole number and a unit"),
        ({"windows": {"defaults": {"view": 1.5}}}, TypeError, "`windows.defaults.view` must be a datetime.timedelta"),
        ({"windows": {"defaults": {"view": dt.timedelta(seconds=1.5)}}}, ces.InvalidArgumentError, "whole number of seconds"),
        ({"windows": {"defaults": {"view": -5}}}, ces.InvalidArgumentError, "between 0 and"),
        ({"windows": {"defaults": {"hover": "1d"}}}, ces.InvalidArgumentError, "unknown interaction"),
        ({"windows": {"rules": [{"channel": "tv", "window": "1d"}]}}, ces.MissingValueError, "windows.rules.interaction"),
        ({"windows": {"rules": [{"channel": "tv", "campaign": "x", "window": "1d"}]}}, ces.InvalidArgumentError, "exactly one"),
        ({"windows": {"rules": [{"channel": "tv", "interaction": "view", "window": "1d"}] * 2}}, ces.InvalidArgumentError,
         "targets the same"),
        ({"mode": "fuzzy"}, ces.InvalidArgumentError, "expected \"exact\" or \"calendar\""),
        ({"zone": "Nowhere"}, ces.InvalidArgumentError, "not an IANA time zone name"),
        ({"zone": None}, TypeError, "`zone` must be str, not NoneType"),
        ({"key": 3}, TypeError, "`key` must be str, not int"),
        ({"click_beats_view": 1}, TypeError, "`click_beats_view` must be a bool, not int"),
        ({"progress": "print"}, TypeError, "`progress` must be a callable or None, not str"),
    ]  # fmt: skip
    for kwargs, kind, message in cases:
        with pytest.raises(kind) as info:
            attribute(exposures, transactions, **kwargs)
        assert message in str(info.value), kwargs
    with pytest.raises(TypeError, match="^`exposures` must be an Arrow table"):
        attribute(42, transactions)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Empty inputs.

CREDIT_SCHEMA = pa.schema(
    [
        pa.field("model", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("transaction_id", pa.int64(), nullable=False),
        pa.field("exposure_id", pa.int64(), nullable=False),
        pa.field("channel", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("interaction", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("campaign", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("asset", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("units", pa.float64(), nullable=False),
    ]
)


def test_empty_inputs_give_empty_tables_with_the_schema() -> None:
    empty_ex, empty_tx = ex_table().slice(0, 0), tx_table().slice(0, 0)
    for exposures, transactions in [
        (empty_ex, empty_tx),
        (pa.table({}), pa.table({})),
        (ex_table(ex(1, before(hours=1))), empty_tx),
        (empty_ex, tx_table(tx(1))),
    ]:
        result = attribute(exposures, transactions, models=["last_touch", "linear", "markov", "shapley_exact"])
        credits = result.credits()
        assert credits.num_rows == 0 and credits.schema == CREDIT_SCHEMA
        assert result.links().column_names == ["transaction_id", "exposure_id", "campaign", "asset"]
        rollup = result.rollup()
        assert rollup.column_names == ["model", "group", "unattributed", "conversions", "value", "units", "touches", "cost"]
        assert rollup.schema.field("cost").nullable and rollup.schema.field("touches").type == pa.int64()
        assert result.bootstrap().column_names == [
            "model", "group", "unattributed", "conversions", "conversions_low", "conversions_high", "value", "value_low", "value_high",
        ]  # fmt: skip
        assert result.duplicates().num_rows == 0
        assert result.summary.attributed == 0
    only_sale = attribute(empty_ex, tx_table(tx(1, value=7.0)))
    assert only_sale.summary.unattributed == 1
    assert [(r["group"], r["value"]) for r in only_sale.rollup().to_pylist()][:1] == [(UNATTRIBUTED, 7.0)]
    # Text keys on one side only: the empty side takes the other's kind.
    assert attribute(pa.table({}), tx_table(tx(1), key_type=pa.string())).summary.transactions == 1


# ---------------------------------------------------------------------------------------
# Reports.


def test_rollup_links_and_summary() -> None:
    result = run(
        [ex(1, before(hours=5), "search", "click", campaign="spring", asset="text", cost=4.0),
         ex(2, before(hours=1), "social", "view", campaign="spring", asset="reel", cost=1.0),
         ex(3, before(hours=1), "tv", "view", key="b", campaign="brand", asset="spot", cost=10.0)],
        [tx(1, value=80.0, units=2.0), tx(2, key="b", value=20.0), tx(3, key="c", value=5.0)],
        models=["last_touch", "linear"],
    )  # fmt: skip
    assert result.summary == AttributionSummary(
        transactions=3, attributed=2, unattributed=1, value=105.0, units=4.0, unattributed_value=5.0,
        unattributed_units=1.0, out_of_range=0, exposures=3, exposures_considered=3, duplicate_exposures=0, touches=3,
    )  # fmt: skip
    assert result.summary.to_dict()["touches"] == 3
    rows = [(r["model"], r["group"], r["unattributed"], r["conversions"], r["value"], r["touches"], r["cost"])
            for r in result.rollup("channel").to_pylist()]  # fmt: skip
    assert rows == [
        ("last_touch", "search", False, 0.0, 0.0, 0, 4.0),
        ("last_touch", "social", False, 1.0, 80.0, 1, 1.0),
        ("last_touch", "tv", False, 1.0, 20.0, 1, 10.0),
        ("last_touch", UNATTRIBUTED, True, 1.0, 5.0, 1, None),
        ("linear", "search", False, 0.5, 40.0, 1, 4.0),
        ("linear", "social", False, 0.5, 40.0, 1, 1.0),
        ("linear", "tv", False, 1.0, 20.0, 1, 10.0),
        ("linear", UNATTRIBUTED, True, 1.0, 5.0, 1, None),
    ]
    assert result.links().to_pylist() == [  # canonical order: keys b, c, k
        {"transaction_id": 2, "exposure_id": 3, "campaign": "brand", "asset": "spot"},
        {"transaction_id": 1, "exposure_id": 2, "campaign": "spring", "asset": "reel"},
    ]
    assert [r["exposure_id"] for r in result.links("linear").to_pylist()] == [3, 1, 2]
    with pytest.raises(ces.InvalidArgumentError, match="not computed in this run"):
        result.links("first_touch")
    with pytest.raises(ces.InvalidArgumentError, match="expected channel, campaign, asset or day"):
        result.rollup("region")  # type: ignore[arg-type]


def test_result_is_frozen() -> None:
    result = run(JOURNEY, SALE, models=["markov"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.summary = None  # type: ignore[misc, assignment]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.summary.value = 3.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.markov()[0].order = 2  # type: ignore[misc]
    assert repr(result) == "Attribution(models=['markov'], transactions=1, attributed=1, unattributed=0)"


def test_bootstrap_is_deterministic_for_a_seed(big: tuple[pa.Table, pa.Table, Attribution]) -> None:
    _, _, result = big
    a = result.bootstrap("channel", replicates=50, seed=7)
    assert a.equals(result.bootstrap("channel", replicates=50, seed=7))
    assert not a.equals(result.bootstrap("channel", replicates=50, seed=8))
    point = {(r["model"], r["group"]): r["conversions"] for r in result.rollup("channel").to_pylist()}
    for r in a.to_pylist():
        assert r["conversions"] == pytest.approx(point[(r["model"], r["group"])])
        assert r["conversions_low"] <= r["conversions"] <= r["conversions_high"] or math.isclose(
            r["conversions_low"], r["conversions_high"]
        )
        assert r["value_low"] <= r["value_high"]
    with pytest.raises(ces.InvalidArgumentError, match="by channel, campaign or asset"):
        result.bootstrap("day")
    with pytest.raises(ces.InvalidArgumentError, match="between 2 and 100,000"):
        result.bootstrap(replicates=1)
    with pytest.raises(ces.InvalidArgumentError, match="must be in"):
        result.bootstrap(level=1.0)
    with pytest.raises(ces.InvalidArgumentError, match="between 2 and 100,000") as err:
        result.bootstrap(replicates=-5)
    assert "`replicates`: -5" in str(err.value)


# ---------------------------------------------------------------------------------------
# Data-driven models on runs and on paths.


def test_markov_on_a_run_learns_from_journeys_without_sales() -> None:
    # Key a: social → search, then a sale: the converting journey "social > search". Key b:
    # social only, no sale: a journey that did not convert. Order 1: p = 1/2, and removing
    # either channel leaves no way to convert.
    result = run(
        [ex(1, before(hours=5), "social"), ex(2, before(hours=1), "search", "click"), ex(3, before(hours=1), "social", key="b")],
        [tx(1)],
        models=["markov", "shapley", "shapley_exact"],
    )  # fmt: skip
    (report,) = result.markov()
    assert isinstance(report, MarkovReport)
    assert (report.model, report.order, report.states) == ("markov", 1, 2)
    assert report.conversion_probability == pytest.approx(0.5)
    assert report.channels.to_pylist() == [
        {"channel": "search", "removal_effect": 1.0, "without": 0.0, "global_conversions": 0.5, "global_value": 50.0,
         "per_path_conversions": 0.5, "per_path_value": 50.0},
        {"channel": "social", "removal_effect": 1.0, "without": 0.0, "global_conversions": 0.5, "global_value": 50.0,
         "per_path_conversions": 0.5, "per_path_value": 50.0},
    ]  # fmt: skip (channels in name order)
    assert report.to_dict()["channels"][0]["channel"] == "search"
    for model in ("markov", "shapley", "shapley_exact"):
        assert [(e, w) for _, e, w in picks(result, model)] == [(1, 0.5), (2, 0.5)]


def journeys(rows: Sequence[tuple[str, float, float, float]]) -> pa.Table:
    return pa.table(
        {
            "path": [r[0] for r in rows],
            "conversions": [r[1] for r in rows],
            "nulls": [r[2] for r in rows],
            "value": [r[3] for r in rows],
        }
    )


def test_markov_on_paths() -> None:
    # The two-path example: p = 1/2, both channels needed.
    two = markov(journeys([("a > b", 1, 0, 10.0), ("a", 0, 1, 0.0)]))
    assert two.conversion_probability == pytest.approx(0.5)
    assert two.channels["removal_effect"].to_pylist() == [1.0, 1.0]
    assert two.channels["global_conversions"].to_pylist() == [0.5, 0.5]
    # start → a (3), → b (2); a → b 2/3, a → null 1/3; b → conversion 3/4.
    # p = 3/5·2/3·3/4 + 2/5·3/4 = 0.6; without a: 0.3 (RE 1/2); without b: 0 (RE 1).
    rows = [("a > b", 2, 0, 30.0), ("b", 1, 1, 9.0), ("a", 0, 1, 0.0)]
    report = markov(journeys(rows))
    assert (report.model, report.order, report.states) == ("markov", 1, 2)
    assert report.conversion_probability == pytest.approx(0.6)
    ch = report.channels.to_pydict()
    assert ch["channel"] == ["a", "b"]
    assert ch["without"] == pytest.approx([0.3, 0.0], abs=1e-15)
    assert ch["removal_effect"] == pytest.approx([0.5, 1.0])
    assert ch["global_conversions"] == pytest.approx([1.0, 2.0])
    assert ch["global_value"] == pytest.approx([13.0, 26.0])
    assert ch["per_path_conversions"] == pytest.approx([2 / 3, 4 / 3 + 1])
    assert ch["per_path_value"] == pytest.approx([10.0, 20.0 + 9.0])
    # A list column, another separator, nulls and value absent, other orders.
    lists = pa.table({"path": [["a", "b"], ["b"], ["a"]], "conversions": [2, 1, 0], "nulls": [0, 1, 1]})
    assert markov(lists).conversion_probability == pytest.approx(0.6)
    assert markov(pl.from_arrow(lists)).channels["removal_effect"].to_pylist() == pytest.approx([0.5, 1.0])
    arrows: dict[str, Any] = {"path": ["a→b", "b", "a"], "conversions": [2, 1, 0], "nulls": [0, 1, 1]}
    assert markov(arrows, sep="→").conversion_probability == pytest.approx(0.6)
    second = markov(journeys(rows), order=2)
    assert (second.model, second.order) == ("markov_2", 2)
    assert second.conversion_probability == pytest.approx(0.6)
    with pytest.raises(ces.InvalidArgumentError, match="order must be"):
        markov(journeys(rows), order=0)
    with pytest.raises(ces.InvalidRecordError, match="at least one channel") as err:
        markov(journeys([("a", 1, 0, 0.0), ("", 1, 0, 0.0)]))
    assert (err.value.input, err.value.row) == ("paths", 1)
    with pytest.raises(ces.MissingValueError) as err2:
        markov(pa.table({"path": ["a", None], "conversions": [1, 1]}))
    assert (err2.value.row, err2.value.field) == (1, "paths.path")
    with pytest.raises(ces.MalformedInputError, match="no `conversions` column"):
        markov(pa.table({"path": ["a"]}))
    with pytest.raises(ces.InvalidArgumentError, match="must not be empty"):
        markov(journeys(rows), sep="")


def test_heuristics_on_paths() -> None:
    h = heuristics(journeys([("a > b > a", 2, 0, 20.0), ("b", 1, 5, 4.0)])).to_pylist()
    a, b = h
    assert (a["channel"], b["channel"]) == ("a", "b")
    assert (a["first_touch_conversions"], b["first_touch_conversions"]) == (2.0, 1.0)
    assert (a["last_touch_conversions"], a["last_touch_value"]) == (2.0, 20.0)
    assert a["linear_value"] == pytest.approx(20 * 2 / 3) and b["linear_value"] == pytest.approx(20 / 3 + 4)
    # Position-based over three touches: 0.4 + 0.4 to a, 0.2 to b.
    assert a["position_based_conversions"] == pytest.approx(1.6) and b["position_based_conversions"] == pytest.approx(1.4)
    j = heuristics(journeys([("a > b > a", 2, 0, 20.0)]), first=0.2, last=0.6).to_pylist()
    assert j[1]["position_based_conversions"] == pytest.approx(0.4)
    with pytest.raises(ces.InvalidArgumentError, match="first \\+ last"):
        heuristics(journeys([("a", 1, 0, 1.0)]), first=0.0, last=0.0)


def test_shapley_on_paths() -> None:
    # Worths are the conversion rates of journeys with exactly that set: v(a) = 1/2,
    # v(b) = 1/4, v(ab) = 3 of 6 = 1/2 (the last journey has the set {a, b} too).
    rows = [("a", 1, 1, 10.0), ("b", 1, 3, 10.0), ("a > b", 3, 1, 30.0), ("b > a > b", 0, 2, 0.0)]
    exact = shapley(journeys(rows), exact=True).to_pylist()
    assert [r["channel"] for r in exact] == ["a", "b"]
    # φ_a = ½(½ + (½ − ¼)) = 3/8, φ_b = ½(¼ + (½ − ½)) = 1/8: {a, b} splits 3/4, 1/4.
    assert [r["conversions"] for r in exact] == pytest.approx([1 + 3 * 0.75, 1 + 3 * 0.25])
    assert [r["value"] for r in exact] == pytest.approx([10 + 30 * 0.75, 10 + 30 * 0.25])
    simple = shapley(journeys(rows)).to_pylist()
    assert [r["conversions"] for r in simple] == pytest.approx([2.5, 2.5])
    many = ">".join(f"c{i}" for i in range(ces.attribution.MAX_EXACT_SHAPLEY_CHANNELS + 1))
    with pytest.raises(ces.InvalidArgumentError, match="exact Shapley takes at most 16"):
        shapley({"path": [many], "conversions": [1]}, exact=True, sep=">")
    assert shapley({"path": [many], "conversions": [1]}, sep=">").num_rows == 17
    with pytest.raises(TypeError, match="^`exact` must be a bool"):
        shapley(journeys(rows), exact=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Progress and the GIL.


def many_keys(n: int, per_key: int = 1) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(3)
    base = int(T.timestamp()) * 1_000_000
    keys = np.arange(n * per_key) % n
    exposures = pa.table(
        {
            "id": pa.array(np.arange(n * per_key), pa.int64()),
            "key": pa.array(keys, pa.int64()),
            "start": pa.array(base - rng.integers(0, 3 * 86_400 * 1_000_000, n * per_key), pa.int64()).cast(TS),
            "channel": pa.array(np.array(["tv", "social", "search"])[keys % 3]).dictionary_encode(),
            "interaction": pa.array(np.array(["view", "click"])[keys % 2]).dictionary_encode(),
            "campaign": pa.array(["c"] * (n * per_key)).dictionary_encode(),
            "asset": pa.array(["a"] * (n * per_key)).dictionary_encode(),
        }
    )
    transactions = pa.table(
        {
            "id": pa.array(np.arange(n), pa.int64()),
            "key": pa.array(np.arange(n), pa.int64()),
            "time": pa.array(np.full(n, base), pa.int64()).cast(TS),
            "value": pa.array(np.ones(n)),
        }
    )
    return exposures, transactions


def test_progress_is_reported_on_the_calling_thread() -> None:
    # Enough exposures for several batches of key partitions.
    exposures, transactions = many_keys(2_000, per_key=300)
    calls: list[tuple[int, int]] = []
    threads: set[int] = set()

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        threads.add(threading.get_ident())

    result = attribute(exposures, transactions, models=["last_touch"], progress=progress)
    assert calls[0] == (0, 2_000) and calls[-1] == (2_000, 2_000)
    assert len(calls) >= 3  # batches in between
    done = [c[0] for c in calls]
    assert done == sorted(done)
    assert {c[1] for c in calls} == {2_000}
    assert threads == {threading.get_ident()}
    assert result.summary.attributed > 0
    # Transactions out of range are not counted.
    ranged: list[tuple[int, int]] = []
    attribute(exposures, transactions, models=["last_touch"], range=(None, T), progress=lambda d, t: ranged.append((d, t)))
    assert ranged[0] == (0, 0) and ranged[-1] == (0, 0)


def test_exception_in_progress_propagates() -> None:
    calls: list[int] = []

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise Stop(f"stopped at {done} of {total}")

    with pytest.raises(Stop, match="^stopped at 0 of 1$"):
        run(JOURNEY, SALE, progress=progress)
    assert calls == [0]  # later calls are skipped
    with pytest.raises(TypeError):  # a callback of the wrong signature: its TypeError propagates
        run(JOURNEY, SALE, progress=lambda: None)


def test_attribution_releases_the_gil(parallel_restored: None) -> None:
    _ces._set_parallel(False)  # leave a core for this thread
    n = 25_000
    while True:  # grow the input until one run takes at least 0.4 s
        inputs = many_keys(n, per_key=8)
        start = time.perf_counter()
        attribute(*inputs)
        if time.perf_counter() - start >= 0.4 or n >= 1_600_000:
            break
        n *= 2
    done = threading.Event()
    results: list[Attribution] = []

    def work() -> None:
        try:
            results.append(attribute(*inputs))
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
    assert results[0].summary.transactions == n
    assert duration > 0.2, f"attribution too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"


def test_parallel_and_sequential_runs_agree(parallel_restored: None, big: tuple[pa.Table, pa.Table, Attribution]) -> None:
    exposures, transactions, expected = big
    _ces._set_parallel(False)
    sequential = attribute(exposures, transactions, models=ALL_MODELS)
    assert sequential.credits().equals(expected.credits())
    assert sequential.bootstrap(seed=3, replicates=20).equals(expected.bootstrap(seed=3, replicates=20))


def test_module_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(ces.attribution, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
    assert ces.attribution.attribute is attribute and "attribution" in ces.__all__
