"""`make bench-cpa`: the CPA merge, ours against the same merge in Polars and in DuckDB SQL.

One seeded year of 2,000 affiliates x 20 advertisers (Everflow, ~9 M rows) and 3,000 Redtrack
sources (~1.1 M rows) through a 3,000-row mapping is generated once as Arrow tables and written
to an Arrow IPC file. Each engine then runs in its own process (so peak memory is its own):
it loads the tables into memory, runs the merge three times and reports the median wall time,
rows per second (input rows), and its peak RSS. The three outputs are compared: same rows,
same keys, same Σ cost and Σ conversions.

The merge is the brief's: labels normalised (trim, collapse whitespace), spend summed through
the mapping per (date, label, advertiser) before a full join with Everflow, internal affiliates
derived from the mapping, cost = Redtrack cost (internal) or payout (external), CPA null with 0
conversions, decimal money, output ordered by (date, advertiser, label), unmapped spend per
source. Ours also detects duplicate records and mapping conflicts and builds the diagnostics;
the anchors do not.

Usage: python benches/cpa_bench.py [--scale 1.0] [--out bench-out/cpa]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED = 20251231


def generate(scale: float, out: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.ipc as ipc

    rng = np.random.default_rng(SEED)
    n_aff, n_adv, n_src, days = 2000, 20, 3000, 365
    n_internal = 300
    labels = np.array([f"Affiliate {i:04d}" for i in range(n_aff)], dtype=object)
    # Raw labels as they come: some with trailing spaces or doubled inner spaces.
    raw_labels = labels.copy()
    for i in range(0, n_aff, 17):
        raw_labels[i] = labels[i] + " "
    for i in range(5, n_aff, 23):
        raw_labels[i] = labels[i].replace(" ", "  ")
    adv_labels = np.array([f"Advertiser {j:02d}" for j in range(n_adv)], dtype=object)

    def dec(cents: "np.ndarray") -> pa.Array:
        cents = cents.astype(np.int64)
        words = np.empty((len(cents), 2), dtype=np.int64)
        words[:, 0] = cents
        words[:, 1] = np.where(cents < 0, -1, 0)
        return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())])

    # Everflow: each affiliate works with ~13 advertisers; each pair active on ~95 % of days.
    k = max(1, int(13 * scale))
    pair_aff = np.repeat(np.arange(n_aff), k)
    pair_adv = np.concatenate([rng.choice(n_adv, size=k, replace=False) for _ in range(n_aff)])
    day_idx = np.repeat(np.arange(days), len(pair_aff))
    aff = np.tile(pair_aff, days)
    adv = np.tile(pair_adv, days)
    keep = rng.random(len(aff)) < 0.95
    day_idx, aff, adv = day_idx[keep], aff[keep], adv[keep]
    n = len(aff)
    conv = rng.poisson(6, n)
    conv[rng.random(n) < 0.08] = 0
    clicks = conv * rng.integers(10, 40, n) + rng.integers(0, 50, n)
    revenue = conv * rng.integers(6_000, 12_000, n)
    payout = np.where(aff < n_internal, 0, conv * rng.integers(2_500, 4_500, n))
    start = np.datetime64("2025-01-01")
    dates = (start + day_idx.astype("timedelta64[D]")).astype("datetime64[D]")
    everflow = pa.table(
        {
            "date": pa.array(dates, pa.date32()),
            "affiliate_id": pa.array(aff + 1000, pa.int64()),
            "affiliate_label": pa.array(raw_labels[aff], pa.string()),
            "advertiser_id": pa.array(adv + 1, pa.int64()),
            "advertiser_label": pa.array(adv_labels[adv], pa.string()),
            "clicks": pa.array(clicks, pa.int64()),
            "conversions": pa.array(conv, pa.int64()),
            "revenue": dec(revenue),
            "payout": dec(payout),
            "profit": dec(revenue - payout),
        }
    )
    # Redtrack: one row per source per day.
    src_ids = np.array([f"src{s:05d}" for s in range(n_src)], dtype=object)
    s = np.tile(np.arange(n_src), days)
    rd = np.repeat(np.arange(days), n_src)
    rdates = (start + rd.astype("timedelta64[D]")).astype("datetime64[D]")
    m = len(s)
    redtrack = pa.table(
        {
            "date": pa.array(rdates, pa.date32()),
            "source_id": pa.array(src_ids[s], pa.string()),
            "source_name": pa.array(np.char.add("Source ", src_ids[s].astype(str)), pa.string()),
            "clicks": pa.array(rng.integers(0, 400, m), pa.int64()),
            "conversions": pa.array(rng.integers(0, 12, m), pa.int64()),
            "cost": dec(rng.integers(0, 90_000, m)),
        }
    )
    # Mapping: sources 0..2849 → an internal (affiliate, advertiser) pair the affiliate works
    # with; 2850..2899 are n/a rows; 2900..2999 are not in the mapping at all.
    internal_pairs = [(a, d) for a, d in zip(pair_aff, pair_adv) if a < n_internal]
    rows = {c: [] for c in ["redtrack.source", "redtrack.source_alias", "redtrack.source_id", "everflow.affiliate_id",
                             "everflow.affiliate_label", "everflow.advertiser_id", "everflow.advertiser_label"]}
    for src in range(2900):
        a, d = internal_pairs[rng.integers(len(internal_pairs))]
        na = src >= 2850
        vals = [f"Source src{src:05d} ", "facebook", f"src{src:05d}", "1",
                "n/a" if na else str(raw_labels[a]), "n/a" if na else str(d + 1), "n/a" if na else str(adv_labels[d])]
        for c, v in zip(rows, vals):
            rows[c].append(v)
    mapping = pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})
    out.mkdir(parents=True, exist_ok=True)
    for name, t in [("everflow", everflow), ("redtrack", redtrack), ("mapping", mapping)]:
        with ipc.new_file(str(out / f"{name}.arrow"), t.schema) as w:
            w.write_table(t)
    return {"everflow": everflow.num_rows, "redtrack": redtrack.num_rows, "mapping": mapping.num_rows}


# --- the engines ------------------------------------------------------------------------------------

def run_ours(ef, rt, mp):
    import ces

    res = ces.cpa.merge(ef, rt, mp)
    import pyarrow as pa

    perf = pa.table(res.performance)
    unmapped = {u["source_id"] if isinstance(u, dict) else u.source_id: 0 for u in res.diagnostics.unmapped_spend}
    return perf, len(unmapped)


def run_polars(ef, rt, mp):
    import polars as pl

    def norm(c):
        return pl.col(c).str.strip_chars().str.replace_all(r"\s+", " ")

    def na(c):
        v = pl.col(c).str.strip_chars()
        return v.is_null() | (v == "") | (v.str.to_lowercase() == "n/a")

    ef_l, rt_l, mp_l = pl.from_arrow(ef).lazy(), pl.from_arrow(rt).lazy(), pl.from_arrow(mp).lazy()
    m = (
        mp_l.filter(~na("redtrack.source_id") & ~na("everflow.affiliate_label") & ~na("everflow.advertiser_id"))
        .select(
            source_id=pl.col("redtrack.source_id").str.strip_chars(),
            label=norm("everflow.affiliate_label"),
            advertiser_id=pl.col("everflow.advertiser_id").str.strip_chars().cast(pl.Int64),
        )
        .unique()
    )
    keys = ["date", "advertiser_id", "label"]
    spend = (
        rt_l.join(m, on="source_id", how="inner")
        .group_by(keys)
        .agg(redtrack_cost=pl.col("cost").sum(), redtrack_clicks=pl.col("clicks").sum(), spend_rows=pl.len())
    )
    unmapped = rt_l.join(m, on="source_id", how="anti").group_by("source_id").agg(cost=pl.col("cost").sum())
    ev = (
        ef_l.with_columns(label=norm("affiliate_label"))
        .group_by(keys)
        .agg(
            everflow_clicks=pl.col("clicks").sum(),
            conversions=pl.col("conversions").sum(),
            everflow_revenue=pl.col("revenue").sum(),
            everflow_payout=pl.col("payout").sum(),
            advertiser_label=pl.col("advertiser_label").first(),
            everflow_rows=pl.len(),
        )
    )
    internal = m.select("label", "advertiser_id").unique().with_columns(is_internal=pl.lit(True))
    zero = pl.lit(0).cast(pl.Decimal(18, 2))
    out = (
        ev.join(spend, on=keys, how="full", coalesce=True)
        .join(internal, on=["label", "advertiser_id"], how="left")
        .with_columns(
            is_internal=pl.col("is_internal").fill_null(False),
            conversions=pl.col("conversions").fill_null(0),
            everflow_payout=pl.col("everflow_payout").fill_null(zero),
            redtrack_cost=pl.col("redtrack_cost").fill_null(zero),
        )
        .with_columns(
            cost=pl.when(pl.col("is_internal")).then(pl.col("redtrack_cost")).otherwise(pl.col("everflow_payout"))
        )
        .with_columns(
            cpa=pl.when(pl.col("conversions") > 0)
            .then(pl.col("cost").cast(pl.Decimal(38, 14)) / pl.col("conversions").cast(pl.Decimal(38, 0)))
            .otherwise(None)
        )
        .sort(keys)
    )
    perf, un = pl.collect_all([out, unmapped])
    return perf.to_arrow(), un.height


DUCKDB_SQL = """
with m as (
  select distinct trim("redtrack.source_id") as source_id,
         regexp_replace(trim("everflow.affiliate_label"), '\\s+', ' ', 'g') as label,
         cast(trim("everflow.advertiser_id") as bigint) as advertiser_id
  from mp
  where coalesce(lower(trim("redtrack.source_id")), 'n/a') not in ('', 'n/a')
    and coalesce(lower(trim("everflow.affiliate_label")), 'n/a') not in ('', 'n/a')
    and coalesce(lower(trim("everflow.advertiser_id")), 'n/a') not in ('', 'n/a')
),
spend as (
  select rt.date, m.advertiser_id, m.label, sum(rt.cost) as redtrack_cost, sum(rt.clicks) as redtrack_clicks,
         count(*) as spend_rows
  from rt join m on rt.source_id = m.source_id
  group by all
),
ev as (
  select date, advertiser_id, regexp_replace(trim(affiliate_label), '\\s+', ' ', 'g') as label,
         sum(clicks) as everflow_clicks, sum(conversions) as conversions, sum(revenue) as everflow_revenue,
         sum(payout) as everflow_payout, first(advertiser_label) as advertiser_label, count(*) as everflow_rows
  from ef group by all
),
internal as (select distinct label, advertiser_id from m),
j as (
  select coalesce(ev.date, spend.date) as date,
         coalesce(ev.advertiser_id, spend.advertiser_id) as advertiser_id,
         coalesce(ev.label, spend.label) as label,
         ev.advertiser_label, coalesce(ev.everflow_clicks, 0) as everflow_clicks,
         coalesce(ev.conversions, 0) as conversions, coalesce(ev.everflow_revenue, 0) as everflow_revenue,
         coalesce(ev.everflow_payout, 0) as everflow_payout, coalesce(spend.redtrack_cost, 0) as redtrack_cost,
         coalesce(spend.redtrack_clicks, 0) as redtrack_clicks
  from ev full join spend using (date, advertiser_id, label)
)
select j.*, (i.label is not null) as is_internal,
       case when i.label is not null then j.redtrack_cost else j.everflow_payout end as cost,
       case when j.conversions > 0 then
         cast(case when i.label is not null then j.redtrack_cost else j.everflow_payout end as decimal(38, 14))
           / j.conversions end as cpa
from j left join internal i on j.label = i.label and j.advertiser_id = i.advertiser_id
order by date, advertiser_id, label
"""

DUCKDB_UNMAPPED = """
select rt.source_id, sum(rt.cost) from rt anti join (
  select distinct trim("redtrack.source_id") as source_id from mp
  where coalesce(lower(trim("everflow.affiliate_label")), 'n/a') not in ('', 'n/a')
    and coalesce(lower(trim("everflow.advertiser_id")), 'n/a') not in ('', 'n/a')
) m on rt.source_id = m.source_id group by all
"""


def run_duckdb(ef, rt, mp):
    import duckdb

    con = duckdb.connect()
    con.register("ef", ef)
    con.register("rt", rt)
    con.register("mp", mp)
    res = con.execute(DUCKDB_SQL)
    perf = res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()
    un = con.execute(DUCKDB_UNMAPPED).fetchall()
    con.close()
    return perf, len(un)


ENGINES = {"ours": run_ours, "polars": run_polars, "duckdb": run_duckdb}


def child(engine: str, data: Path, repeats: int) -> None:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    tables = []
    for name in ["everflow", "redtrack", "mapping"]:
        with ipc.open_file(str(data / f"{name}.arrow")) as r:
            tables.append(r.read_all().combine_chunks())
    ef, rt, mp = tables
    # Materialise the inputs in memory (not memory-mapped) before timing.
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    perf = None
    unmapped = 0
    for _ in range(repeats):
        perf = None
        t0 = time.perf_counter()
        perf, unmapped = ENGINES[engine](ef, rt, mp)
        times.append(time.perf_counter() - t0)
    assert perf is not None
    import pyarrow.compute as pc

    cols = {c.lower(): c for c in perf.column_names}
    label = cols.get("affiliate_label", cols.get("label"))
    h = hashlib.sha256()
    for c in ["date", "advertiser_id", label, "conversions", "cost"]:
        arr = perf.column(c)
        if c == "conversions":
            arr = pc.cast(arr, pa.int64())  # DuckDB's sum() is a HUGEINT
        elif pa.types.is_decimal(arr.type):
            arr = pc.cast(arr, pa.decimal128(38, 2))
        h.update(str(arr.to_pylist()[:: max(1, perf.num_rows // 20000)]).encode())
    report = {
        "engine": engine,
        "times": times,
        "median": statistics.median(times),
        "rows_out": perf.num_rows,
        "sum_cost": str(pc.sum(perf.column("cost")).as_py()),
        "sum_conversions": int(pc.sum(perf.column("conversions")).as_py()),
        "unmapped_sources": unmapped,
        "sample_hash": h.hexdigest()[:16],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loaded_rss_mib": rss_loaded / 1024,
    }
    print(json.dumps(report))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", default="bench-out/cpa")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", default=None)
    ap.add_argument("--engines", default="ours,polars,duckdb")
    a = ap.parse_args()
    out = Path(a.out)
    if a.child:
        child(a.child, out, a.repeats)
        return 0
    t0 = time.perf_counter()
    sizes = generate(a.scale, out)
    total = sizes["everflow"] + sizes["redtrack"]
    print(f"data: seed {SEED}: {sizes['everflow']:,} Everflow + {sizes['redtrack']:,} Redtrack rows "
          f"(= {total:,} input rows), {sizes['mapping']:,} mapping rows; generated in {time.perf_counter() - t0:.1f} s")
    results = {}
    for engine in a.engines.split(","):
        p = subprocess.run([sys.executable, __file__, "--child", engine, "--out", str(out), "--repeats", str(a.repeats)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr, file=sys.stderr)
            return 1
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results[engine] = r
        print(f"{engine:>7}: median {r['median']:.2f} s of {', '.join(f'{t:.2f}' for t in r['times'])}; "
              f"{total / r['median'] / 1e6:.2f} M input rows/s; {r['rows_out']:,} rows out; "
              f"Σcost {r['sum_cost']}; Σconversions {r['sum_conversions']:,}; {r['unmapped_sources']} unmapped sources; "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB ({r['loaded_rss_mib']:.0f} MiB with the inputs loaded)")
    ours = results.get("ours")
    if ours:
        for engine in [e for e in results if e != "ours"]:
            r = results[engine]
            same = (r["rows_out"], r["sum_conversions"], r["unmapped_sources"]) == (
                ours["rows_out"], ours["sum_conversions"], ours["unmapped_sources"]
            ) and float(r["sum_cost"]) == float(ours["sum_cost"])
            print(f"agreement with {engine}: rows, Σconversions, Σcost, unmapped sources "
                  f"{'identical' if same else 'DIFFER'}; sampled rows hash {'identical' if r['sample_hash'] == ours['sample_hash'] else 'differs'}")
        print()
        for engine in [e for e in results if e != "ours"]:
            r = results[engine]
            name = {"polars": f"polars", "duckdb": "duckdb"}[engine]
            print(f"bench: cpa merge {total / 1e6:.1f}M rows, 2 cores | ours {total / ours['median'] / 1e6:.2f}M rows/s, "
                  f"{ours['peak_rss_mib']:.0f} MiB | {name} {total / r['median'] / 1e6:.2f}M rows/s, {r['peak_rss_mib']:.0f} MiB "
                  f"| ratio {r['median'] / ours['median']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
