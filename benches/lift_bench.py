"""`make bench-lift`: ``ces::lift`` against statsmodels 0.15.0 / SciPy 1.17.1 on the same data.

Data (seed 20261201, numpy), generated once in a process of its own and written as raw
little-endian columns to ``bench-out/lift/`` (not timed):

* two-group tests: 10,000 (treatment, control) count pairs. Half are balanced (users per arm
  log-uniform in 1e3-1e6), half are 90/10 splits (the 10 % arm log-uniform in 1e3-1e5 users,
  the 90 % arm nine times that), the 90 % arm being the treatment in half of them. Control
  rates log-uniform in 0.5-20 %, treatment rate = control x log-uniform(0.8, 1.3); binomial
  counts, at least 1 per arm (statsmodels' log interval is undefined with a zero count).
* CUPED + ANCOVA: 1,000,000 users, treated ~ Bernoulli(0.5), pre-period revenue x (40 %
  zeros, the rest log-normal), y = 0.8 x + N(0, 20) + 0.1 x N(0, 1) + 1.5 treated.
* DiD: 1,000 stores x 52 weeks, y = 100 + store effect + week effect (seasonal) + AR(1) noise
  (rho 0.6) + 2 under treatment. The 2x2 panel: 500 random stores treated from week 27. The
  staggered panel (same stores and weeks, its own noise): adoption week uniform in 13-52 for
  70 % of the stores, never for the rest; d = week >= adoption.

Each engine runs each workload in its own process, so its peak RSS is its own: ru_maxrss
from wait4 for the statsmodels processes; for ours its own VmHWM (ru_maxrss would include this
driver's RSS, which Linux carries over across exec, and that floor would be most of the
figure for our small processes). The columns are read from those files into memory before
the clock starts; every figure is the median wall time of ``--repeats`` runs (statsmodels
runs once when its first run takes more than ``--slow`` seconds, and the output says so).

* ours: ``benches/src/bin/lift_core.rs`` (release build): the Rust core, reading the files,
  on 2 rayon threads (only ``conversion_lift_batch`` is parallel; the two-group workload is
  also run with the thread pool off).
* statsmodels, vectorized wherever statsmodels allows it (what a competent user writes):

  - two-group, shared outputs: ``confint_proportions_2indep`` on whole arrays for the Wald,
    Agresti-Caffo and Newcomb intervals of the difference and the log and log-adjusted
    intervals of the ratio; the pooled z test by ``test_proportions_2indep(method="score",
    correction=False)`` on whole arrays, which is ``proportions_ztest``'s statistic (the run
    checks both on 500 tests, untimed): ``proportions_ztest`` itself has no vectorized
    two-sample form (with arrays it raises "more than two samples are not implemented yet").
  - two-group, every output ours computes: the above plus the Wald and score tests
    (``test_proportions_2indep``, vectorized) and the score intervals of the difference and
    the ratio, which statsmodels computes only one test at a time (root finding; a Python
    loop over the 10,000 tests, failures counted).
  - CUPED: theta by numpy, ``scipy.stats.ttest_ind(equal_var=False)`` on the adjusted and the
    raw outcome (with ``confidence_interval``), ``OLS(y, [1, treated, x]).fit()`` and
    ``.get_robustcov_results("HC1", use_t=False)``.
  - DiD 2x2: ``OLS(y, [1, treated, post, treated*post]).fit(cov_type="cluster",
    cov_kwds={"groups": store}, use_t=True)``.
  - TWFE: the design ``[1, d, store dummies, week dummies]`` (first level of each dropped) by
    ``pandas.get_dummies``, then ``OLS(...).fit(cov_type="cluster", ..., use_t=True)``.
    Building the design is timed (from the raw arrays to the coefficient and its SE).

Ours always computes every output: the score test and both score intervals are in its time
in both two-group comparisons. Agreement: the largest relative difference
|a - b| / max(|a|, |b|) of every shared output, which must be <= 1e-9 (the run fails
otherwise); values equal (infinities included) or both below the smallest normal double
(p-values that underflow) count as equal. statsmodels' score interval of the difference is off when the difference is not
0 (its restricted MLE has ``count0`` where ``nobs0`` belongs: statsmodels #10269), so the
score intervals are reported but not checked.

Usage: python benches/lift_bench.py [--out bench-out/lift] [--ours target/release/lift_core]
       [--repeats 9] [--sm-repeats 9] [--slow 10] [--workloads twogroup,cuped,did2x2,twfe]
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
import warnings
from pathlib import Path

SEED = 20261201
N_TESTS = 10_000
N_USERS = 1_000_000
N_STORES, N_WEEKS, LAUNCH_WEEK = 1_000, 52, 27
REL = 1e-9
THREADS = 2

# Output columns (ours writes all of them; statsmodels NaN where a variant does not compute).
TWOGROUP_COLUMNS = [
    "pooled z", "pooled p", "wald z", "wald p", "score z", "score p",
    "wald lo", "wald hi", "agresti-caffo lo", "agresti-caffo hi", "newcomb lo", "newcomb hi",
    "score diff lo", "score diff hi",
    "log lo", "log hi", "log-adjusted lo", "log-adjusted hi", "score ratio lo", "score ratio hi",
]
SHARED = [0, 1, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17]
FULL_CHECKED = SHARED + [2, 3, 4, 5]
CUPED_COLUMNS = [
    "theta", "variance reduction", "adjusted diff", "adjusted t", "adjusted p", "adjusted df",
    "adjusted ci lo", "adjusted ci hi", "raw diff", "raw t", "raw p",
    "ancova coef", "ancova se", "ancova t", "ancova p", "ancova ci lo", "ancova ci hi",
    "hc1 se", "hc1 z", "hc1 p", "hc1 ci lo", "hc1 ci hi", "slope",
]
DID2X2_COLUMNS = ["effect", "cluster se", "t", "p", "ci lo", "ci hi",
                  "intercept", "treated", "post", "treated:post"]
TWFE_COLUMNS = ["effect", "cluster se", "t", "p", "ci lo", "ci hi"]
LABELS = {
    "cuped": "theta, variance reduction; Welch on the adjusted outcome: diff, t, p, df, CI; on the raw outcome: "
             "diff, t, p; ANCOVA: coef, SE, t, p, CI; HC1: SE, z, p, CI; slope",
    "did2x2": "effect, cluster SE, t, p, CI (t with G-1 df); the 4 coefficients",
    "twfe": "effect, cluster SE, t, p, CI (t with G-1 df)",
}


# --- data ----------------------------------------------------------------------------------------

def generate(out: Path) -> dict:
    import numpy as np

    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)

    def put(name, arr):
        arr.tofile(out / name)

    def loguniform(lo, hi, size):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), size))

    # 1. two-group tests
    half = N_TESTS // 2
    n_bal = np.round(loguniform(1e3, 1e6, half))
    small = np.round(loguniform(1e3, 1e5, N_TESTS - half))
    treat_big = rng.random(N_TESTS - half) < 0.5
    nt = np.concatenate([n_bal, np.where(treat_big, 9 * small, small)])
    nc = np.concatenate([n_bal, np.where(treat_big, small, 9 * small)])
    pc = loguniform(0.005, 0.20, N_TESTS)
    pt = np.clip(pc * loguniform(0.8, 1.3, N_TESTS), 0.005, 0.20)
    ct = np.maximum(rng.binomial(nt.astype(np.int64), pt), 1).astype(np.float64)
    cc = np.maximum(rng.binomial(nc.astype(np.int64), pc), 1).astype(np.float64)
    perm = rng.permutation(N_TESTS)
    for name, arr in (("tg_ct", ct), ("tg_nt", nt), ("tg_cc", cc), ("tg_nc", nc)):
        put(f"{name}.f64", arr[perm].astype("<f8"))

    # 2. CUPED + ANCOVA
    treated = rng.random(N_USERS) < 0.5
    x = np.where(rng.random(N_USERS) < 0.4, 0.0, rng.lognormal(3.0, 1.0, N_USERS))
    y = 0.8 * x + rng.normal(0.0, 20.0, N_USERS) + 0.1 * x * rng.normal(0.0, 1.0, N_USERS) + 1.5 * treated
    put("cu_y.f64", y.astype("<f8"))
    put("cu_x.f64", x.astype("<f8"))
    put("cu_treated.u8", treated.astype(np.uint8))

    # 3. DiD panels (rows by store, then week)
    store_fe = rng.normal(0.0, 20.0, N_STORES)
    weeks = np.arange(1, N_WEEKS + 1)
    week_fe = 5.0 * np.sin(2 * np.pi * weeks / 52) + rng.normal(0.0, 2.0, N_WEEKS)

    def ar1(rho, sd):
        e = np.empty((N_STORES, N_WEEKS))
        e[:, 0] = rng.normal(0.0, sd / np.sqrt(1 - rho**2), N_STORES)
        for t in range(1, N_WEEKS):
            e[:, t] = rho * e[:, t - 1] + rng.normal(0.0, sd, N_STORES)
        return e

    treated_store = np.zeros(N_STORES, dtype=bool)
    treated_store[rng.choice(N_STORES, N_STORES // 2, replace=False)] = True
    post = weeks >= LAUNCH_WEEK
    base = 100.0 + store_fe[:, None] + week_fe[None, :]
    y2 = base + 2.0 * (treated_store[:, None] & post[None, :]) + ar1(0.6, 3.0)
    adopt = np.where(rng.random(N_STORES) < 0.7, rng.integers(13, N_WEEKS + 1, N_STORES), N_WEEKS + 100)
    d = weeks[None, :] >= adopt[:, None]
    ys = base + 2.0 * d + ar1(0.6, 3.0)
    put("did_store.i64", np.repeat(np.arange(N_STORES, dtype="<i8") + 1001, N_WEEKS))
    put("did_week.i64", np.tile(weeks.astype("<i8"), N_STORES))
    put("did_treated.u8", np.repeat(treated_store, N_WEEKS).astype(np.uint8))
    put("did_post.u8", np.tile(post, N_STORES).astype(np.uint8))
    put("did_y2x2.f64", y2.ravel().astype("<f8"))
    put("did_d.u8", d.ravel().astype(np.uint8))
    put("did_ystag.f64", ys.ravel().astype("<f8"))
    return {
        "tests": N_TESTS, "balanced": int(half), "split": int(N_TESTS - half),
        "users_min": int(min(nt.min(), nc.min())), "users_max": int(max(nt.max(), nc.max())),
        "rate_min": float((cc / nc).min()), "rate_max": float((ct / nt).max()),
        "cuped_users": N_USERS, "cuped_treated": int(treated.sum()),
        "rho": float(np.corrcoef(x, y)[0, 1]),
        "rows": N_STORES * N_WEEKS, "treated_stores": int(treated_store.sum()),
        "staggered_treated_rows": int(d.sum()), "never_treated": int((adopt > N_WEEKS).sum()),
    }


def _f64(out: Path, name: str):
    import numpy as np

    return np.fromfile(out / name, dtype="<f8")


def _bool(out: Path, name: str):
    import numpy as np

    return np.fromfile(out / name, dtype=np.uint8).astype(bool)


# --- statsmodels ---------------------------------------------------------------------------------

def sm_twogroup(out: Path, full: bool):
    import numpy as np
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest, test_proportions_2indep

    ct, nt, cc, nc = (_f64(out, f"tg_{c}.f64") for c in ("ct", "nt", "cc", "nc"))
    n = len(ct)
    failures = {"score diff": 0, "score ratio": 0}

    def run():
        res = np.full((n, len(TWOGROUP_COLUMNS)), np.nan)
        pooled = test_proportions_2indep(ct, nt, cc, nc, method="score", compare="diff", correction=False)
        res[:, 0], res[:, 1] = pooled.statistic, pooled.pvalue
        for col, method in ((6, "wald"), (8, "agresti-caffo"), (10, "newcomb")):
            res[:, col], res[:, col + 1] = confint_proportions_2indep(ct, nt, cc, nc, method=method, compare="diff")
        for col, method in ((14, "log"), (16, "log-adjusted")):
            res[:, col], res[:, col + 1] = confint_proportions_2indep(ct, nt, cc, nc, method=method, compare="ratio")
        if full:
            wald = test_proportions_2indep(ct, nt, cc, nc, method="wald", compare="diff")
            score = test_proportions_2indep(ct, nt, cc, nc, method="score", compare="diff")
            res[:, 2], res[:, 3] = wald.statistic, wald.pvalue
            res[:, 4], res[:, 5] = score.statistic, score.pvalue
            failures["score diff"] = failures["score ratio"] = 0
            # Not vectorized in statsmodels: one call per test.
            for i in range(n):
                for col, compare in ((12, "diff"), (18, "ratio")):
                    try:
                        res[i, col], res[i, col + 1] = confint_proportions_2indep(
                            ct[i], nt[i], cc[i], nc[i], method="score", compare=compare)
                    except Exception:  # noqa: BLE001 - an exception is a failure, as is a NaN bound
                        pass
                    if not (np.isfinite(res[i, col]) and np.isfinite(res[i, col + 1])):
                        failures[f"score {compare}"] += 1
        return res

    # Not timed: the vectorized pooled test against proportions_ztest, one call per test.
    first = slice(0, 500)
    vec = test_proportions_2indep(ct[first], nt[first], cc[first], nc[first], method="score", compare="diff",
                                  correction=False)
    one = np.array([proportions_ztest([ct[i], cc[i]], [nt[i], nc[i]]) for i in range(500)])
    with np.errstate(invalid="ignore", divide="ignore"):
        check = max(float(np.nanmax(np.abs(v - o) / np.maximum(np.abs(v), np.abs(o))))
                    for v, o in ((vec.statistic, one[:, 0]), (vec.pvalue, one[:, 1])))
    return run, {"failures": failures, "ztest_check": check}


def sm_cuped(out: Path):
    import numpy as np
    import statsmodels.api as sm
    from scipy import stats

    y, x, treated = _f64(out, "cu_y.f64"), _f64(out, "cu_x.f64"), _bool(out, "cu_treated.u8")

    def run():
        theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
        adj = y - theta * (x - x.mean())
        vr = 1.0 - np.var(adj, ddof=1) / np.var(y, ddof=1)
        a = stats.ttest_ind(adj[treated], adj[~treated], equal_var=False)
        a_ci = a.confidence_interval(0.95)
        u = stats.ttest_ind(y[treated], y[~treated], equal_var=False)
        X = np.column_stack([np.ones(len(y)), treated.astype(np.float64), x])
        fit = sm.OLS(y, X).fit()
        hc1 = fit.get_robustcov_results("HC1", use_t=False)
        ci, hci = fit.conf_int(0.05)[1], hc1.conf_int(0.05)[1]
        return np.array([
            theta, vr,
            adj[treated].mean() - adj[~treated].mean(), a.statistic, a.pvalue, a.df, a_ci.low, a_ci.high,
            y[treated].mean() - y[~treated].mean(), u.statistic, u.pvalue,
            fit.params[1], fit.bse[1], fit.tvalues[1], fit.pvalues[1], ci[0], ci[1],
            hc1.bse[1], hc1.tvalues[1], hc1.pvalues[1], hci[0], hci[1],
            fit.params[2],
        ])

    return run, {}


def sm_did2x2(out: Path):
    import numpy as np
    import statsmodels.api as sm

    store = np.fromfile(out / "did_store.i64", dtype="<i8")
    treated, post, y = _bool(out, "did_treated.u8"), _bool(out, "did_post.u8"), _f64(out, "did_y2x2.f64")

    def run():
        tr, po = treated.astype(np.float64), post.astype(np.float64)
        X = np.column_stack([np.ones(len(y)), tr, po, tr * po])
        fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": store}, use_t=True)
        ci = fit.conf_int(0.05)[3]
        return np.concatenate([[fit.params[3], fit.bse[3], fit.tvalues[3], fit.pvalues[3], ci[0], ci[1]],
                               fit.params])

    return run, {}


def sm_twfe(out: Path):
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    store = np.fromfile(out / "did_store.i64", dtype="<i8")
    week = np.fromfile(out / "did_week.i64", dtype="<i8")
    d, y = _bool(out, "did_d.u8"), _f64(out, "did_ystag.f64")
    shape = {}

    def run():
        dummies = pd.get_dummies(pd.DataFrame({"store": pd.Categorical(store), "week": pd.Categorical(week)}),
                                 columns=["store", "week"], drop_first=True, dtype=np.float64)
        X = np.column_stack([np.ones(len(y)), d.astype(np.float64), dummies.to_numpy()])
        shape["design"] = list(X.shape)
        fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": store}, use_t=True)
        ci = fit.conf_int(0.05)[1]
        return np.array([fit.params[1], fit.bse[1], fit.tvalues[1], fit.pvalues[1], ci[0], ci[1]])

    return run, shape


def sm_twogroup_loop(out: Path):
    """The shared outputs one test at a time, as a user analysing experiments one by one calls
    statsmodels: `proportions_ztest` and `confint_proportions_2indep` per test."""
    import numpy as np
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    ct, nt, cc, nc = (_f64(out, f"tg_{c}.f64") for c in ("ct", "nt", "cc", "nc"))
    n = len(ct)

    def run():
        res = np.full((n, len(TWOGROUP_COLUMNS)), np.nan)
        for i in range(n):
            a, b, c, d = ct[i], nt[i], cc[i], nc[i]
            res[i, 0], res[i, 1] = proportions_ztest([a, c], [b, d])
            for col, method in ((6, "wald"), (8, "agresti-caffo"), (10, "newcomb")):
                res[i, col], res[i, col + 1] = confint_proportions_2indep(a, b, c, d, method=method, compare="diff")
            for col, method in ((14, "log"), (16, "log-adjusted")):
                res[i, col], res[i, col + 1] = confint_proportions_2indep(a, b, c, d, method=method,
                                                                          compare="ratio")
        return res

    return run, {}


SM = {
    "twogroup_loop": sm_twogroup_loop,
    "twogroup_shared": lambda out: sm_twogroup(out, full=False),
    "twogroup_full": lambda out: sm_twogroup(out, full=True),
    "cuped": sm_cuped,
    "did2x2": sm_did2x2,
    "twfe": sm_twfe,
}


def child(workload: str, out: Path, repeats: int, slow: float) -> None:
    import numpy as np

    warnings.simplefilter("ignore")
    run, info = SM[workload](out)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, res = [], None
    for k in range(repeats):
        res = None
        t0 = time.perf_counter()
        res = run()
        times.append(time.perf_counter() - t0)
        if k == 0 and times[0] > slow:
            break
    assert res is not None
    np.asarray(res, dtype="<f8").tofile(out / f"sm_{workload}.f64")
    print(json.dumps({"engine": "statsmodels", "workload": workload, "times": times,
                      "median": statistics.median(times), "loaded_rss_mib": rss_loaded / 1024, **info}))


# --- the run -------------------------------------------------------------------------------------

def spawn(cmd: list[str], env: dict) -> tuple[dict | None, float, str]:
    """Runs one engine process; (its JSON report, its peak RSS in MiB from wait4, its stderr)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se, text=True, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    if p.returncode != 0:
        return None, usage.ru_maxrss / 1024, stderr
    return json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024, stderr


TINY = 2.2250738585072014e-308  # the smallest normal double


def rel_diff(a, b):
    """|a - b| / max(|a|, |b|) elementwise; 0 where equal (equal infinities included) and where
    both are below the smallest normal double (p-values that underflow: SciPy returns 0 or a
    subnormal there, with no relative precision left)."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        return np.where((a == b) | (scale < TINY), 0.0, np.abs(a - b) / scale)


def agreement(out: Path, workload: str, sm_name: str, columns: list[str], checked: list[int]) -> tuple[float, str, int]:
    """(max relative difference over the checked columns, where it is, values compared). A value
    finite on one side only, or NaN on either, counts as an infinite difference."""
    import numpy as np

    k = len(columns)
    ours = _f64(out, f"ours_{workload}.f64").reshape(-1, k)
    sm = _f64(out, f"sm_{sm_name}.f64").reshape(-1, k)
    worst, where, count, underflow = 0.0, "-", 0, 0
    for c in checked:
        a, b = ours[:, c], sm[:, c]
        d = np.nan_to_num(rel_diff(a, b), nan=np.inf)
        count += len(d)
        underflow += int(((np.maximum(np.abs(a), np.abs(b)) < TINY) & (a != b)).sum())
        i = int(np.argmax(d))
        if d[i] > worst or (d[i] == worst and where == "-"):
            worst = float(d[i])
            where = f"{columns[c]}, row {i}: ours {float(a[i])!r}, statsmodels {float(b[i])!r}"
    if underflow:
        where += f"; {underflow} p-values below 2.2e-308 on both sides, unequal, counted as equal"
    return worst, where, count


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench-out/lift")
    ap.add_argument("--ours", default=None, help="the lift_core binary (default $CARGO_TARGET_DIR/release/lift_core)")
    ap.add_argument("--repeats", type=int, default=9, help="runs of ours per workload (median)")
    ap.add_argument("--sm-repeats", type=int, default=9, help="runs of statsmodels per workload (median)")
    ap.add_argument("--slow", type=float, default=10.0, help="statsmodels runs once if its first run is slower")
    ap.add_argument("--workloads", default="twogroup,cuped,did2x2,twfe")
    ap.add_argument("--child", default=None)
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    out = Path(a.out)
    if a.child:
        child(a.child, out, a.sm_repeats, a.slow)
        return 0
    if a.generate:
        print(json.dumps(generate(out)))
        return 0
    root = Path(__file__).resolve().parent.parent
    ours_bin = a.ours or str(Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release" / "lift_core")
    out.mkdir(parents=True, exist_ok=True)
    # The data are generated in a process of their own, so this process stays small (a child's
    # ru_maxrss starts from its parent's RSS at the spawn).
    t0 = time.perf_counter()
    g = subprocess.run([sys.executable, __file__, "--generate", "--out", str(out)], capture_output=True, text=True)
    if g.returncode != 0:
        print(g.stdout, g.stderr, file=sys.stderr)
        return 1
    s = json.loads(g.stdout.strip().splitlines()[-1])
    print(f"data: seed {SEED}: {s['tests']:,} two-group tests ({s['balanced']:,} balanced, {s['split']:,} 90/10; "
          f"{s['users_min']:,}-{s['users_max']:,} users per arm, true rates 0.5-20 %, observed "
          f"{s['rate_min']:.2%}-{s['rate_max']:.2%}); "
          f"{s['cuped_users']:,} users for CUPED ({s['cuped_treated']:,} treated, corr(x, y) {s['rho']:.3f}); "
          f"{N_STORES:,} stores x {N_WEEKS} weeks = {s['rows']:,} rows ({s['treated_stores']} stores treated from "
          f"week {LAUNCH_WEEK}; staggered: {s['staggered_treated_rows']:,} treated rows, {s['never_treated']} stores "
          f"never treated); generated in {time.perf_counter() - t0:.1f} s")
    from importlib.metadata import version

    print(f"anchors: statsmodels {version('statsmodels')}, scipy {version('scipy')}, numpy {version('numpy')}, "
          f"pandas {version('pandas')}; ours {THREADS} rayon threads (only the two-group batch is parallel); "
          f"numpy's BLAS with its default threads")
    env = dict(os.environ, RAYON_NUM_THREADS=os.environ.get("RAYON_NUM_THREADS", str(THREADS)))

    wl = a.workloads.split(",")
    runs_plan: list[tuple[str, str, list[str]]] = []  # (engine, workload, command)
    for w in ("twogroup", "cuped", "did2x2", "twfe"):
        if w not in wl:
            continue
        ours_cmd = [ours_bin, "--workload", w, "--data", str(out), "--repeats", str(a.repeats)]
        runs_plan.append(("ours", w, ours_cmd))
        if w == "twogroup":  # the only parallel workload: also on one thread
            runs_plan.append(("ours_1thread", w, ours_cmd + ["--serial"]))
        for sm_w in (["twogroup_shared", "twogroup_loop", "twogroup_full"] if w == "twogroup" else [w]):
            runs_plan.append(("statsmodels", sm_w, [sys.executable, __file__, "--child", sm_w, "--out", str(out),
                                                    "--sm-repeats", str(a.sm_repeats), "--slow", str(a.slow)]))
    res: dict[str, dict] = {}
    failed = []
    for engine, name, cmd in runs_plan:
        r, peak, err = spawn(cmd, env)
        key = f"{engine}:{name}"
        if r is None:
            why = (err.strip().splitlines() or ["failed"])[-1]
            print(f"{key:>28}: FAILED: {why}")
            print(err[-3000:], file=sys.stderr)
            failed.append(key)
            continue
        own = r.get("self_peak_rss_mib")
        r["peak_rss_mib"] = own if isinstance(own, (int, float)) and own == own else peak
        res[key] = r
        runs = ", ".join(f"{t:.4f}" for t in r["times"])
        note = " (1 run: slow)" if engine == "statsmodels" and len(r["times"]) < a.sm_repeats else ""
        extra = ""
        if "ztest_check" in r and name == "twogroup_shared":
            extra = (f"; the vectorized pooled test vs proportions_ztest one call at a time (500 tests, not timed): "
                     f"max relative difference {r['ztest_check']:.1e}")
        if "failures" in r and name == "twogroup_full":
            extra = (f"; score-interval failures: difference {r['failures']['score diff']}, "
                     f"ratio {r['failures']['score ratio']}")
        if "design" in r:
            extra = f"; design matrix {r['design'][0]:,} x {r['design'][1]:,}"
        if engine.startswith("ours") and "errors" in r:
            extra = f"; {r['tests']:,} tests, {r['errors']} errors"
        print(f"{key:>28}: median {r['median']:.4f} s of {len(r['times'])} ({runs}){note}; "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB{extra}")

    # --- agreement (numpy imported only now, after every engine ran) ---
    import numpy as np

    checks = []
    if "ours:twogroup" in res:
        for sm_name, cols, label in (("twogroup_shared", SHARED, "pooled z, p; wald, agresti-caffo, newcomb, log, "
                                      "log-adjusted intervals"),
                                     ("twogroup_loop", SHARED, "the same, statsmodels one test at a time"),
                                     ("twogroup_full", FULL_CHECKED, "the same + wald and score tests")):
            if f"statsmodels:{sm_name}" in res:
                worst, where, n = agreement(out, "twogroup", sm_name, TWOGROUP_COLUMNS, cols)
                checks.append(worst)
                print(f"agreement two-group ({sm_name}): {label}: {n:,} values, max relative difference "
                      f"{worst:.2e} ({where})")
        if "statsmodels:twogroup_full" in res:
            ours = _f64(out, "ours_twogroup.f64").reshape(-1, len(TWOGROUP_COLUMNS))
            sm = _f64(out, "sm_twogroup_full.f64").reshape(-1, len(TWOGROUP_COLUMNS))
            for pair, name in (([12, 13], "difference"), ([18, 19], "ratio")):
                ok = np.isfinite(sm[:, pair]).all(axis=1)
                d = rel_diff(ours[ok][:, pair], sm[ok][:, pair])
                print(f"score interval of the {name} (not checked): statsmodels finite for {int(ok.sum()):,} of "
                      f"{len(ok):,}; relative difference median {np.median(d):.1e}, max {d.max():.1e}, "
                      f"> 1e-9 for {int((d.max(axis=1) > REL).sum()):,} tests")
    for w, names in (("cuped", CUPED_COLUMNS), ("did2x2", DID2X2_COLUMNS), ("twfe", TWFE_COLUMNS)):
        if f"ours:{w}" in res and f"statsmodels:{w}" in res:
            worst, where, n = agreement(out, w, w, names, list(range(len(names))))
            checks.append(worst)
            ours = _f64(out, f"ours_{w}.f64")
            print(f"agreement {w}: {n} outputs ({LABELS[w]}), max relative difference {worst:.2e} ({where}); "
                  f"effect {ours[0 if w != 'cuped' else 11]:.6f}, SE {ours[1 if w != 'cuped' else 12]:.6f}")
    agree = all(c <= REL for c in checks)
    print(f"agreement: {'every shared output within 1e-9 relative' if agree else 'DIFFERENCES above 1e-9'}")
    print()

    def ratio(x: float) -> str:
        return f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"

    def secs(t: float) -> str:
        return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"

    def line(workload: str, ours_key: str, sm_key: str, unit_count: float | None = None, unit: str = "") -> None:
        if ours_key in res and sm_key in res:
            o, m = res[ours_key], res[sm_key]
            rate = lambda r: f", {unit_count / r['median']:,.0f} {unit}/s" if unit_count else ""  # noqa: E731
            slow = " (1 run)" if len(m["times"]) < a.sm_repeats else ""
            print(f"bench: {workload} | ours {secs(o['median'])}{rate(o)}, {o['peak_rss_mib']:.0f} MiB "
                  f"| statsmodels {secs(m['median'])}{slow}{rate(m)}, {m['peak_rss_mib']:.0f} MiB "
                  f"| ratio {ratio(m['median'] / o['median'])}")

    line(f"two-group tests x{N_TESTS:,}, shared outputs (statsmodels vectorized, no score intervals; ours computes "
         f"them too)", "ours:twogroup", "statsmodels:twogroup_shared", N_TESTS, "tests")
    line(f"two-group tests x{N_TESTS:,}, shared outputs, ours on 1 thread", "ours_1thread:twogroup",
         "statsmodels:twogroup_shared", N_TESTS, "tests")
    line(f"two-group tests x{N_TESTS:,}, shared outputs, statsmodels one test at a time (ours computes the score "
         f"intervals too)", "ours:twogroup", "statsmodels:twogroup_loop", N_TESTS, "tests")
    line(f"two-group tests x{N_TESTS:,}, every output incl. score tests and intervals (statsmodels score intervals "
         f"one test at a time)", "ours:twogroup", "statsmodels:twogroup_full", N_TESTS, "tests")
    line(f"CUPED + ANCOVA (classical + HC1), {N_USERS:,} users", "ours:cuped", "statsmodels:cuped", N_USERS, "users")
    line(f"DiD 2x2, {N_STORES:,} stores x {N_WEEKS} weeks, cluster by store", "ours:did2x2", "statsmodels:did2x2")
    line(f"DiD TWFE (staggered), {N_STORES:,} stores x {N_WEEKS} weeks, cluster by store, design built from raw arrays",
         "ours:twfe", "statsmodels:twfe")
    return 1 if failed or not agree else 0


if __name__ == "__main__":
    sys.exit(main())
