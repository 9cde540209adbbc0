"""`make bench-attribution`: exposure-window attribution, ours against DuckDB and Polars, and
the exact Markov model against ChannelAttribution's simulated one.

Attribution data (seed 20261123, numpy): 1,000,000 transactions x 10,000,000 point exposures
over 500,000 int64 match keys and 120 days, 13 (channel, interaction) window groups between
1 h and 30 d, 40 campaigns, unique exposure ids (so the recency order is total). Journeys for
Markov: 1,000,000 seeded journeys over 9 channels (no channel twice in a row, so that
ChannelAttribution, which folds repeats, and ours see the same chain), aggregated into a path
table (path "a > b", conversions, nulls, value). The data are generated once in this process
and written to Arrow IPC files (not timed); each engine then runs in its own process, so its
peak RSS (ru_maxrss) is its own: it loads the tables into memory, runs the workload
`--repeats` times and reports the median wall time.

Engines:

* ours: ``ces.attribution.attribute`` with every rule model (last touch, last click, first
  touch, linear, U-shaped, time decay) in one call, Arrow in; timed as the call alone, the
  call plus the last-touch credit table, and the call plus every model's credit table.
* duckdb last touch: the range join of transactions to exposures on key with
  ``e.start <= t.time AND t.time - e.start <= window`` (window per group through a join on a
  13-row windows table), then ``arg_max`` by (start, interaction rank, id) per transaction.
* duckdb all touches: the same range join materialised, with linear weights 1/n per
  transaction (count(*) over the transaction).
* polars: one ``join_asof`` per window group (by key, backward, tolerance = window) and the
  latest of the 13 per transaction, as users write it.
* markov: ``ces.attribution.markov(paths, order=1)`` (exact) vs ChannelAttribution 2.2.5's
  ``markov_model(order=1)`` (simulation, its defaults, ncore=2).

Checks in the same run: the last-touch exposure of every transaction is the same for ours,
DuckDB and Polars (disagreements must be 0), and ours' eligible touches (summary.touches)
equal DuckDB's all-touch row count; Σ linear credit per channel agrees with DuckDB's; the
largest relative difference of ChannelAttribution's per-channel conversions from ours.

Usage: python benches/attribution_bench.py [--scale 1.0] [--out bench-out/attribution]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED = 20261123
DAY = 86_400
# (channel, interaction, window in seconds); interaction rank: view < engaged_view < click.
GROUPS = [
    ("tv", "view", 7 * DAY),
    ("ooh", "view", 3 * DAY),
    ("social", "view", DAY),
    ("social", "click", 7 * DAY),
    ("social", "engaged_view", 3 * DAY),
    ("search", "click", 30 * DAY),
    ("display", "view", DAY),
    ("display", "click", 7 * DAY),
    ("video", "view", DAY),
    ("video", "engaged_view", 3 * DAY),
    ("email", "click", 7 * DAY),
    ("retail_pos", "view", 3_600),
    ("affiliate", "click", 30 * DAY),
]
RANK = {"view": 0, "engaged_view": 1, "click": 2}
RULE_MODELS = ("last_touch", "last_click", "first_touch", "linear", "position_based", "time_decay")
JOURNEY_CHANNELS = ["tv", "ooh", "social", "search", "display", "video", "email", "retail_pos", "affiliate"]
THREADS = 2


def _write(out: Path, name: str, table) -> None:
    import pyarrow.ipc as ipc

    with ipc.new_file(str(out / f"{name}.arrow"), table.schema) as w:
        w.write_table(table)


def _read(out: Path, name: str):
    import pyarrow.ipc as ipc

    with ipc.open_file(str(out / f"{name}.arrow")) as r:
        return r.read_all().combine_chunks()


def generate(scale: float, out: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(SEED)
    n_tx, n_ex, n_keys = int(1_000_000 * scale), int(10_000_000 * scale), max(1, int(500_000 * scale))
    t0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in µs
    span = 120 * DAY * 1_000_000
    ts = pa.timestamp("us", tz="UTC")

    def labels(names, codes):
        return pc.take(pa.array(names, pa.string()), pa.array(codes, pa.int32()))

    grp = rng.integers(0, len(GROUPS), n_ex)
    camp = rng.integers(0, 40, n_ex)
    asset = camp * 5 + rng.integers(0, 5, n_ex)
    exposures = pa.table(
        {
            # Unique ids, not in row order.
            "id": pa.array(rng.permutation(n_ex).astype(np.int64) + 1_000_000_000, pa.int64()),
            "key": pa.array(rng.integers(0, n_keys, n_ex, dtype=np.int64), pa.int64()),
            "start": pa.array(t0 + rng.integers(0, span, n_ex, dtype=np.int64), pa.int64()).cast(ts),
            "channel": labels([g[0] for g in GROUPS], grp),
            "interaction": labels([g[1] for g in GROUPS], grp),
            "campaign": labels([f"campaign-{c:02d}" for c in range(40)], camp),
            "asset": labels([f"campaign-{c // 5:02d}/asset-{c % 5}" for c in range(200)], asset),
            "cost": pa.array(rng.integers(1, 5_000, n_ex) / 1000.0, pa.float64()),
        }
    )
    _write(out, "exposures", exposures)
    del exposures, grp, camp, asset
    transactions = pa.table(
        {
            "id": pa.array(np.arange(n_tx, dtype=np.int64) + 1, pa.int64()),
            "key": pa.array(rng.integers(0, n_keys, n_tx, dtype=np.int64), pa.int64()),
            "time": pa.array(t0 + rng.integers(0, span, n_tx, dtype=np.int64), pa.int64()).cast(ts),
            "value": pa.array(rng.integers(500, 20_500, n_tx) / 100.0, pa.float64()),
            "units": pa.array(rng.integers(1, 4, n_tx).astype(np.float64), pa.float64()),
        }
    )
    _write(out, "transactions", transactions)
    del transactions
    windows = pa.table(
        {
            "channel": [g[0] for g in GROUPS],
            "interaction": [g[1] for g in GROUPS],
            "rank": pa.array([RANK[g[1]] for g in GROUPS], pa.int8()),
            "window_us": pa.array([g[2] * 1_000_000 for g in GROUPS], pa.int64()),
        }
    )
    _write(out, "windows", windows)

    # Journeys: a random first-order chain over the channels (no self-loops), length
    # 1 + Geometric(0.4) capped at 12; conversion odds rise with some channels.
    n_j = max(1, int(1_000_000 * scale))
    k = len(JOURNEY_CHANNELS)
    first = rng.dirichlet(np.ones(k))
    trans = rng.dirichlet(np.ones(k), size=k)
    np.fill_diagonal(trans, 0.0)
    trans /= trans.sum(axis=1, keepdims=True)
    lift = rng.uniform(-0.4, 0.9, k)
    lengths = np.minimum(rng.geometric(0.4, n_j), 12)
    steps = np.empty((n_j, 12), dtype=np.int8)
    steps[:, 0] = rng.choice(k, n_j, p=first)
    cum = np.cumsum(trans, axis=1)
    for s in range(1, 12):
        u = rng.random(n_j)
        nxt = (u[:, None] > cum[steps[:, s - 1]]).sum(axis=1).clip(0, k - 1)
        same = nxt == steps[:, s - 1]  # only by rounding at u ≈ 1
        steps[:, s] = np.where(same, (nxt + 1) % k, nxt)
    score = np.full(n_j, -3.2)
    for s in range(12):
        live = lengths > s
        score[live] += lift[steps[live, s]] * (0.7 ** s)
    conv = (rng.random(n_j) < 1 / (1 + np.exp(-score))).astype(np.int64)
    price = rng.choice(np.array([19.9, 29.9, 49.9, 79.9, 99.9, 149.9]), n_j)
    names = np.array(JOURNEY_CHANNELS, dtype=object)
    paths = [" > ".join(names[steps[i, : lengths[i]]]) for i in range(n_j)]
    raw = pa.table({"path": pa.array(paths, pa.string()), "conversions": conv, "nulls": 1 - conv,
                    "value": np.round(conv * price, 2)})
    agg = raw.group_by("path").aggregate([("conversions", "sum"), ("nulls", "sum"), ("value", "sum")])
    journeys = pa.table({"path": agg["path"], "conversions": agg["conversions_sum"], "nulls": agg["nulls_sum"],
                         "value": agg["value_sum"]}).sort_by("path")
    _write(out, "journeys", journeys)
    return {"transactions": n_tx, "exposures": n_ex, "keys": n_keys, "journeys": n_j,
            "paths": journeys.num_rows, "journey_conversions": int(conv.sum())}


# --- ours ----------------------------------------------------------------------------------------

def _windows_arg():
    return {
        "defaults": {},
        "rules": [{"channel": c, "interaction": i, "window": w} for c, i, w in GROUPS],
    }


def _get(obj, name):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _ours_attribute(ex, tx, models):
    import ces.attribution

    return ces.attribution.attribute(ex, tx, key="key", models=models, windows=_windows_arg(), mode="exact",
                                     zone="UTC")


def run_ours(out: Path, repeats: int) -> dict:
    import pyarrow as pa
    import pyarrow.compute as pc

    ex, tx = _read(out, "exposures"), _read(out, "transactions")
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine, with_last, with_all = [], [], []
    run = last = every = None
    for _ in range(repeats):
        run = last = every = None
        t0 = time.perf_counter()
        run = _ours_attribute(ex, tx, RULE_MODELS)
        t1 = time.perf_counter()
        last = run.credits("last_touch")
        t2 = time.perf_counter()
        every = [last] + [run.credits(m) for m in RULE_MODELS if m != "last_touch"]
        t3 = time.perf_counter()
        engine.append(t1 - t0)
        with_last.append(t2 - t0)
        with_all.append(t3 - t0)
    assert run is not None and last is not None and every is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = run.summary
    linear = every[RULE_MODELS.index("linear")]
    lin = linear.group_by("channel").aggregate([("weight", "sum")])
    _write(out, "ours_last", pa.table({"transaction_id": pc.cast(last["transaction_id"], pa.int64()),
                                       "exposure_id": pc.cast(last["exposure_id"], pa.int64())}))
    return {
        "times": with_all,
        "median": statistics.median(with_all),
        "engine": statistics.median(engine),
        "engine_times": engine,
        "with_last": statistics.median(with_last),
        "with_last_times": with_last,
        "credit_rows": {m: t.num_rows for m, t in zip(["last_touch"] + [m for m in RULE_MODELS if m != "last_touch"],
                                                      every)},
        "touches": int(_get(s, "touches")),
        "attributed": int(_get(s, "attributed")),
        "duplicates": int(_get(s, "duplicate_exposures")),
        "linear_by_channel": dict(zip(lin["channel"].to_pylist(), lin["weight_sum"].to_pylist())),
        "peak_rss_mib": peak / 1024,
        "loaded_rss_mib": rss_loaded / 1024,
    }


def run_ours_last(out: Path, repeats: int) -> dict:
    ex, tx = _read(out, "exposures"), _read(out, "transactions")
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run = _ours_attribute(ex, tx, ("last_touch",))
        last = run.credits("last_touch")
        times.append(time.perf_counter() - t0)
        rows = last.num_rows
        del run, last
    return {"times": times, "median": statistics.median(times), "rows": rows,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "loaded_rss_mib": rss_loaded / 1024}


# --- DuckDB --------------------------------------------------------------------------------------

DUCKDB_TOUCHES = """
select t.id as transaction_id, e.id as exposure_id, e.channel, e.start, w.rank, t.value
from tx t
join ex e on e.key = t.key
join w on e.channel = w.channel and e.interaction = w.interaction
where e.start <= t.time and t.time - e.start <= w."window"
"""

DUCKDB_LAST = f"""
select transaction_id, arg_max(exposure_id, (start, rank, exposure_id)) as exposure_id
from ({DUCKDB_TOUCHES}) group by transaction_id
"""

DUCKDB_ALL = f"""
select transaction_id, exposure_id, channel,
       1.0 / count(*) over (partition by transaction_id) as weight,
       value / count(*) over (partition by transaction_id) as credited_value
from ({DUCKDB_TOUCHES})
"""


def _duckdb(out: Path):
    import duckdb

    ex, tx, w = _read(out, "exposures"), _read(out, "transactions"), _read(out, "windows")
    con = duckdb.connect()
    con.execute(f"set threads = {THREADS}")
    # Arrow in, as ours: DuckDB scans the in-memory Arrow tables.
    con.register("ex", ex)
    con.register("tx", tx)
    con.register("w_arrow", w)
    con.execute("create table w as select channel, interaction, rank, to_microseconds(window_us) as \"window\" "
                "from w_arrow")
    return con, (ex, tx)


def _arrow(res):
    return res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()


def run_duckdb_last(out: Path, repeats: int) -> dict:
    import pyarrow as pa
    import pyarrow.compute as pc

    con, _keep = _duckdb(out)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, last = [], None
    for _ in range(repeats):
        last = None
        t0 = time.perf_counter()
        last = _arrow(con.execute(DUCKDB_LAST))
        times.append(time.perf_counter() - t0)
    assert last is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _write(out, "duckdb_last", pa.table({"transaction_id": pc.cast(last["transaction_id"], pa.int64()),
                                         "exposure_id": pc.cast(last["exposure_id"], pa.int64())}))
    return {"times": times, "median": statistics.median(times), "rows": last.num_rows,
            "peak_rss_mib": peak / 1024, "loaded_rss_mib": rss_loaded / 1024}


def run_duckdb_all(out: Path, repeats: int) -> dict:
    import pyarrow.compute as pc

    con, _keep = _duckdb(out)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, touches = [], None
    for _ in range(repeats):
        touches = None
        t0 = time.perf_counter()
        touches = _arrow(con.execute(DUCKDB_ALL))
        n = touches.num_rows
        times.append(time.perf_counter() - t0)
    assert touches is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lin = touches.group_by("channel").aggregate([("weight", "sum")])
    return {"times": times, "median": statistics.median(times), "touches": n,
            "attributed": pc.count_distinct(touches["transaction_id"]).as_py(),
            "linear_by_channel": dict(zip(lin["channel"].to_pylist(), [float(x) for x in lin["weight_sum"].to_pylist()])),
            "peak_rss_mib": peak / 1024, "loaded_rss_mib": rss_loaded / 1024}


# --- Polars --------------------------------------------------------------------------------------

def run_polars(out: Path, repeats: int) -> dict:
    import datetime as dt

    import polars as pl

    ex = pl.DataFrame(_read(out, "exposures"))
    tx = pl.DataFrame(_read(out, "transactions"))
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def last_touch() -> pl.DataFrame:
        left = tx.select("id", "key", "time").sort("time")
        parts = []
        for channel, interaction, window in GROUPS:
            right = (
                ex.filter((pl.col("channel") == channel) & (pl.col("interaction") == interaction))
                .select(pl.col("key"), pl.col("start"), pl.col("id").alias("exposure_id"))
                .sort("start")
            )
            j = left.join_asof(right, left_on="time", right_on="start", by="key", strategy="backward",
                               tolerance=dt.timedelta(seconds=window))
            parts.append(
                j.filter(pl.col("exposure_id").is_not_null()).select(
                    pl.col("id").alias("transaction_id"), "exposure_id", "start", pl.lit(RANK[interaction], pl.Int8).alias("rank")
                )
            )
        return (
            pl.concat(parts)
            .group_by("transaction_id")
            .agg(pl.col("exposure_id").sort_by(["start", "rank", "exposure_id"]).last())
        )

    times, last = [], None
    for _ in range(repeats):
        last = None
        t0 = time.perf_counter()
        last = last_touch()
        times.append(time.perf_counter() - t0)
    assert last is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _write(out, "polars_last", last.select(pl.col("transaction_id").cast(pl.Int64),
                                           pl.col("exposure_id").cast(pl.Int64)).to_arrow())
    return {"times": times, "median": statistics.median(times), "rows": last.height,
            "peak_rss_mib": peak / 1024, "loaded_rss_mib": rss_loaded / 1024}


# --- Markov --------------------------------------------------------------------------------------

def run_markov_ours(out: Path, repeats: int) -> dict:
    import ces.attribution

    paths = _read(out, "journeys")
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, rep = [], None
    for _ in range(repeats):
        rep = None
        t0 = time.perf_counter()
        rep = ces.attribution.markov(paths, order=1)
        times.append(time.perf_counter() - t0)
    assert rep is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"times": times, "median": statistics.median(times), "credit": _markov_credit(rep),
            "peak_rss_mib": peak / 1024, "loaded_rss_mib": rss_loaded / 1024}


def _markov_credit(rep) -> dict:
    """Per-channel [conversions, value] of the global allocation (what ChannelAttribution
    reports), from the report's table."""
    import pyarrow as pa

    if isinstance(rep, pa.Table):
        table = rep
    elif isinstance(rep, tuple):
        table = next(x for x in rep if isinstance(x, pa.Table))
    else:
        table = next(v for v in (getattr(rep, a, None) for a in ("table", "channels", "report"))
                     if isinstance(v, pa.Table))
    conv, val = table["global_conversions"].to_pylist(), table["global_value"].to_pylist()
    return {str(c): [float(x), float(v)] for c, x, v in zip(table["channel"].to_pylist(), conv, val)}


def run_markov_ca(out: Path, repeats: int) -> dict:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # its import prints a banner
        from ChannelAttribution import markov_model  # type: ignore[import-not-found]
    from importlib.metadata import version

    df = _read(out, "journeys").to_pandas()
    df["conversions"] = df["conversions"].astype("int64")
    df["nulls"] = df["nulls"].astype("int64")
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, res = [], None
    for _ in range(repeats):
        res = None
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            res = markov_model(df, "path", "conversions", var_value="value", var_null="nulls", order=1, sep=">",
                               ncore=THREADS, verbose=False, flg_pro=False)
        times.append(time.perf_counter() - t0)
    assert res is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    credit = {str(c): [float(x), float(v)] for c, x, v in
              zip(res["channel_name"], res["total_conversions"], res["total_conversion_value"])}
    return {"times": times, "median": statistics.median(times), "credit": credit, "version": version("ChannelAttribution"),
            "peak_rss_mib": peak / 1024, "loaded_rss_mib": rss_loaded / 1024}


ENGINES = {
    "ours": run_ours,
    "ours_last": run_ours_last,
    "duckdb_last": run_duckdb_last,
    "duckdb_all": run_duckdb_all,
    "polars": run_polars,
    "markov_ours": run_markov_ours,
    "markov_ca": run_markov_ca,
}


# --- the run -------------------------------------------------------------------------------------

def child(engine: str, out: Path, repeats: int) -> None:
    print(json.dumps({"engine": engine, **ENGINES[engine](out, repeats)}))


def compare_last(out: Path, a: str, b: str) -> tuple[int, int, int]:
    """(transactions credited by both with different exposures, credited by a only, by b only)."""
    import pyarrow.compute as pc

    ta = _read(out, a).rename_columns(["transaction_id", "a"])
    tb = _read(out, b).rename_columns(["transaction_id", "b"])
    j = ta.join(tb, "transaction_id", join_type="full outer")
    only_a = pc.sum(pc.is_null(j["b"])).as_py() or 0
    only_b = pc.sum(pc.is_null(j["a"])).as_py() or 0
    differ = pc.sum(pc.fill_null(pc.not_equal(j["a"], j["b"]), False)).as_py() or 0
    return differ, only_a, only_b


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", default="bench-out/attribution")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--markov-repeats", type=int, default=3)
    ap.add_argument("--child", default=None)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    out = Path(a.out)
    if a.child:
        child(a.child, out, a.repeats)
        return 0
    if a.generate:
        print(json.dumps(generate(a.scale, out)))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    # The data are generated in a process of their own: a child's ru_maxrss starts from its
    # parent's RSS at the spawn (Linux keeps the larger across exec), so this process stays small.
    t0 = time.perf_counter()
    g = subprocess.run([sys.executable, __file__, "--generate", "--scale", str(a.scale), "--out", str(out)],
                       capture_output=True, text=True)
    if g.returncode != 0:
        print(g.stdout, g.stderr, file=sys.stderr)
        return 1
    sizes = json.loads(g.stdout.strip().splitlines()[-1])
    n_tx, n_ex = sizes["transactions"], sizes["exposures"]
    n_in = n_tx + n_ex
    print(f"data: seed {SEED}: {n_tx:,} transactions x {n_ex:,} point exposures, {sizes['keys']:,} int64 keys, "
          f"{len(GROUPS)} window groups over 120 days; {sizes['journeys']:,} journeys "
          f"({sizes['paths']:,} distinct paths, {sizes['journey_conversions']:,} conversions); "
          f"generated in {time.perf_counter() - t0:.1f} s")
    res: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for engine in a.engines.split(","):
        reps = a.markov_repeats if engine.startswith("markov") else a.repeats
        env = dict(os.environ, POLARS_MAX_THREADS=str(THREADS), RAYON_NUM_THREADS=os.environ.get("RAYON_NUM_THREADS", str(THREADS)))
        p = subprocess.run([sys.executable, __file__, "--child", engine, "--out", str(out), "--repeats", str(reps)],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            why = (p.stderr.strip().splitlines() or ["exit status %d" % p.returncode])[-1]
            failed[engine] = why
            print(f"{engine:>11}: FAILED: {why}")
            print(p.stderr[-3000:], file=sys.stderr)
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        res[engine] = r
        runs = ", ".join(f"{t:.2f}" for t in r["times"])
        mem = f"peak RSS {r['peak_rss_mib']:.0f} MiB ({r['loaded_rss_mib']:.0f} MiB with the inputs loaded)"
        if engine == "ours":
            print(f"{engine:>11}: all {len(RULE_MODELS)} rule models: engine {r['engine']:.2f} s "
                  f"({n_in / r['engine'] / 1e6:.2f} M input rows/s, {n_tx / r['engine'] / 1e6:.2f} M transactions/s); "
                  f"+ last-touch credit table {r['with_last']:.2f} s; + every credit table {r['median']:.2f} s "
                  f"(of {runs}; {n_in / r['median'] / 1e6:.2f} M input rows/s); {r['touches']:,} touches, "
                  f"{r['attributed']:,} attributed, {r['duplicates']:,} duplicate exposures; {mem}")
        elif engine == "ours_last":
            print(f"{engine:>11}: last touch only, engine + credit table: median {r['median']:.2f} s of {runs}; "
                  f"{n_in / r['median'] / 1e6:.2f} M input rows/s; {r['rows']:,} credit rows; {mem}")
        elif engine in ("duckdb_last", "polars"):
            print(f"{engine:>11}: last touch: median {r['median']:.2f} s of {runs}; {n_in / r['median'] / 1e6:.2f} M input "
                  f"rows/s; {r['rows']:,} transactions credited; {mem}")
        elif engine == "duckdb_all":
            print(f"{engine:>11}: all eligible touches + linear weights: median {r['median']:.2f} s of {runs}; "
                  f"{n_in / r['median'] / 1e6:.2f} M input rows/s; {r['touches']:,} touches; {mem}")
        else:
            extra = f" (ChannelAttribution {r['version']})" if engine == "markov_ca" else ""
            print(f"{engine:>11}: order 1{extra}: median {r['median']:.2f} s of {runs}; "
                  f"{sizes['journeys'] / r['median'] / 1e6:.2f} M journeys/s; {mem}")

    # --- agreement ---
    ours = res.get("ours")
    if ours:
        for other in ("duckdb_last", "polars"):
            if other in res:
                differ, only_ours, only_other = compare_last(out, "ours_last", other.replace("_last", "") + "_last")
                print(f"agreement with {other}: last-touch exposure differs for {differ + only_ours + only_other:,} "
                      f"transactions ({differ:,} different, {only_ours:,} credited by ours only, {only_other:,} by "
                      f"{other} only) of {ours['attributed']:,}")
        if "duckdb_all" in res:
            d = res["duckdb_all"]
            worst = max((abs(ours["linear_by_channel"].get(c, 0.0) - w) for c, w in d["linear_by_channel"].items()),
                        default=0.0)
            print(f"agreement with duckdb_all: touches ours {ours['touches']:,} vs DuckDB {d['touches']:,} "
                  f"({'identical' if ours['touches'] == d['touches'] else 'DIFFER'}); attributed transactions "
                  f"{ours['attributed']:,} vs {d['attributed']:,}; Σ linear credit per channel max |diff| {worst:.2e}")
    mo, mc = res.get("markov_ours"), res.get("markov_ca")
    if mo and mc:
        rel = {c: abs(mc["credit"].get(c, [0.0])[0] - x[0]) / x[0] for c, x in mo["credit"].items() if x[0] > 0}
        worst = max(rel, key=lambda c: rel[c])
        relv = {c: abs(mc["credit"].get(c, [0.0, 0.0])[1] - x[1]) / x[1] for c, x in mo["credit"].items()
                if x[1] is not None and x[1] > 0}
        print("markov order 1, conversions credited per channel (ours exact | ChannelAttribution simulated): "
              + "; ".join(f"{c} {x[0]:.1f} | {mc['credit'].get(c, [float('nan')])[0]:.1f}" for c, x in sorted(mo["credit"].items())))
        print(f"agreement with ChannelAttribution: max relative difference of per-channel conversions {rel[worst]:.2%} "
              f"({worst}); of per-channel value {max(relv.values(), default=0.0):.2%}")
    print()
    if ours and "duckdb_all" in res:
        d = res["duckdb_all"]
        print(f"bench: attribution all rule models vs DuckDB all-touch | ours {ours['median']:.2f} s, "
              f"{n_in / ours['median'] / 1e6:.2f}M rows/s, {ours['peak_rss_mib']:.0f} MiB | duckdb {d['median']:.2f} s, "
              f"{n_in / d['median'] / 1e6:.2f}M rows/s, {d['peak_rss_mib']:.0f} MiB | ratio {d['median'] / ours['median']:.2f}")
    for other, name, label in (("duckdb_last", "duckdb", "DuckDB range join"), ("polars", "polars", "Polars join_asof")):
        if ours and other in res:
            d = res[other]
            print(f"bench: attribution last touch vs {label} | ours {ours['with_last']:.2f} s, "
                  f"{n_in / ours['with_last'] / 1e6:.2f}M rows/s, {ours['peak_rss_mib']:.0f} MiB | {name} {d['median']:.2f} s, "
                  f"{n_in / d['median'] / 1e6:.2f}M rows/s, {d['peak_rss_mib']:.0f} MiB | ratio {d['median'] / ours['with_last']:.2f}")
    if mo and mc:
        nj = sizes["journeys"]
        print(f"bench: markov order 1 ({nj / 1e6:g}M journeys) vs ChannelAttribution | ours {mo['median']:.2f} s, "
              f"{nj / mo['median'] / 1e6:.2f}M journeys/s, {mo['peak_rss_mib']:.0f} MiB | channelattribution "
              f"{mc['median']:.2f} s, {nj / mc['median'] / 1e6:.2f}M journeys/s, {mc['peak_rss_mib']:.0f} MiB "
              f"| ratio {mc['median'] / mo['median']:.2f}")
    elif mo and "markov_ca" in failed:
        print(f"bench: markov order 1 ({sizes['journeys'] / 1e6:g}M journeys) vs ChannelAttribution | ours "
              f"{mo['median']:.2f} s, {mo['peak_rss_mib']:.0f} MiB | channelattribution unavailable: {failed['markov_ca']} | ratio n/a")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
