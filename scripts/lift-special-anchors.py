#!/usr/bin/env python3
"""Golden cases for ces::lift::special and ces::lift::fisher.

Anchors: SciPy 1.17.1 (NumPy 2.4.6; statsmodels 0.15.0 is in the same venv but not used here),
Python 3.11, in .venv-anchors:

    .venv-anchors/bin/python scripts/lift-special-anchors.py

Writes tests/fixtures/lift/special.json and tests/fixtures/lift/fisher.json. Deterministic
(numpy Generator seeded with SEED); re-running gives byte-identical files. Floats are written
with Python's repr (shortest round-trip form); the Rust tests parse the raw JSON text with
`str::parse::<f64>`, so every value round-trips exactly. Non-finite values are the strings
"inf", "-inf" and "nan".

What is compared (every value is what the public SciPy API returns):
  norm_pdf/cdf/sf/ppf/isf   scipy.stats.norm (Cephes ndtr/ndtri underneath)
  t_cdf/t_sf/t_ppf/t_isf    scipy.stats.t (Boost students_t underneath), real df incl. inf
  gammaln                   scipy.special.gammaln (Cephes lgam)
  hypergeom_pmf/cdf/sf      scipy.stats.hypergeom(k, M, n, N) (Boost hypergeometric)
  brentq                    scipy.optimize.brentq on functions evaluated with the same
                            IEEE operations in Python and Rust (math module = the C libm), with
                            the root, iterations and function calls from full_output=True
  fisher                    scipy.stats.fisher_exact on 2x2 tables, all three alternatives

Quantile cases of the t distribution are kept only where SciPy's own quantile round-trips
through its CDF (|stdtr(df, t) / p - 1| <= 1e-12) and is finite: Boost's fast quantile breaks
down (returns inf, or a value off by up to 57%) for |t| beyond ~1e60 (df < 3 with p < 1e-150).

SciPy's t quantile is Boost's estimate plus one Halley step; checked against mpmath (50
digits) it is within ~2e-15 of the exact quantile away from the median, with a few exceptions
up to 1.3e-14 (e.g. p = 0.2379, df = 2.299; p = 0.01, df = 6), while ces solves cdf(t) = p to
the nearest double. Within ~1e-4 of p = 1/2 the quantile is ill-conditioned (one ulp of p moves
t by ~4e-11 relative) and SciPy is up to 2.6e-11 from the exact value (p = 0.500001, df = 5 or
1e10); ces solves P(|T| < t) = 1 - 2q there and is exact to ~1e-16. The Rust test accepts
8 ulps of p propagated through the quantile (relative 8 eps p / (|t| f(t))) where that exceeds
1e-13, and checks 1e-13 on every case with |p - 1/2| > 0.01.
"""

import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.optimize as opt
import scipy.special as sc
from scipy import stats

SEED = 20260518
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "lift")


def num(v):
    """A float for the JSON file: repr-exact numbers, strings for non-finite values."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def dedup(rows):
    seen = set()
    out = []
    for r in rows:
        key = tuple(repr(v) for v in r)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def norm_cases(rng):
    xs = [0.0, -0.0, math.inf, -math.inf, 1e-300, -1e-300, 5e-324, 1e-20, -1e-8, 0.5, -0.5]
    xs += [float(v) for v in np.linspace(-40.0, 40.0, 321)]
    xs += [-37.0, -37.5, -38.0, -38.4, -39.0, 37.0, 8.0, -8.0, 8.3, -8.3, 1.0, -1.0, 1.4142135623730951]
    xs += [float(v) for v in rng.normal(0.0, 3.0, 120)]
    xs += [float(v) for v in rng.uniform(-38.5, -5.0, 80)]
    xs += [-(0.70710678118654757 * k) for k in (1, 2, 3, 8, 26, 26.5)]
    xs = [x for x in dict.fromkeys(xs)]
    pdf = [[num(x), num(stats.norm.pdf(x))] for x in xs]
    cdf = [[num(x), num(stats.norm.cdf(x))] for x in xs]
    sf = [[num(x), num(stats.norm.sf(x))] for x in xs]
    ps = [0.0, 1.0, 0.5, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-200, 1e-100, 1e-50]
    ps += [1e-20, 1e-16, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.1, 0.13533528323661269, 0.2]
    ps += [0.3, 0.4, 0.49, 0.5000000001, 0.6, 0.75, 0.8646647167633873, 0.9, 0.95, 0.975, 0.99]
    ps += [1 - 1e-5, 1 - 1e-10, 1 - 1e-15, 1 - 2**-53, 1 - 1e-16, 0.9999999999999999]
    ps += [float(10.0**v) for v in rng.uniform(-300.0, 0.0, 160)]
    ps += [float(v) for v in rng.uniform(0.0, 1.0, 100)]
    ps += [float(1.0 - 10.0**v) for v in rng.uniform(-16.0, -1.0, 40)]
    ps = [p for p in dict.fromkeys(ps) if 0.0 <= p <= 1.0]
    ppf = [[p, num(stats.norm.ppf(p))] for p in ps]
    isf = [[p, num(stats.norm.isf(p))] for p in ps]
    return {"norm_pdf": pdf, "norm_cdf": cdf, "norm_sf": sf, "norm_ppf": ppf, "norm_isf": isf}


T_DFS = [0.05, 0.15, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.3, 10.0, 15.5, 29.5, 30.0,
         31.2, 50.0, 100.0, 1000.0, 12345.6, 1e5, 1e6, 1e8, 1e10, 1e12, math.inf]


def t_cases(rng):
    xs = [0.0, 1e-10, 0.001, 0.1, 0.5, 1.0, 1.5, 1.96, 2.5, 3.0, 3.7, 5.0, 7.0, 10.0, 15.0,
          20.0, 30.0, 37.0, 38.0, 50.0, 100.0, 1e3, 1e5, 1e10, 1e50, 1e200, math.inf]
    pts = []
    for df in T_DFS:
        for x in xs:
            pts.append((x, df))
            pts.append((-x, df))
    for _ in range(500):
        df = float(10.0 ** rng.uniform(-0.5, 12.0))
        scale = float(rng.choice([0.3, 1.0, 3.0, 10.0]))
        x = float(rng.standard_t(max(df, 0.5))) * scale
        pts.append((x, df))
    for _ in range(150):
        df = float(10.0 ** rng.uniform(1.0, 12.0))
        x = -float(rng.uniform(5.0, 37.5))
        pts.append((x, df))
    for df in (4.6e15, 1e16, 1e20, 1e300):
        for x in (-37.0, -10.0, -1.96, 0.5, 3.0):
            pts.append((x, df))
    pts = dedup(pts)
    cdf = [[num(x), num(df), num(stats.t.cdf(x, df))] for x, df in pts]
    sf = [[num(x), num(df), num(stats.t.sf(x, df))] for x, df in pts]

    ps = [1e-300, 1e-250, 1e-200, 1e-150, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 1e-3, 0.01,
          0.025, 0.05, 0.1, 0.25, 0.4, 0.49, 0.499999, 0.5, 0.500001, 0.51, 0.6, 0.75, 0.9,
          0.95, 0.975, 0.99, 0.999, 1 - 1e-5, 1 - 1e-10, 1 - 1e-15, 0.0, 1.0]
    qpts = [(p, df) for df in T_DFS for p in ps]
    for _ in range(500):
        df = float(10.0 ** rng.uniform(-0.5, 12.0))
        p = float(10.0 ** rng.uniform(-300.0, 0.0)) if rng.uniform() < 0.5 else float(rng.uniform())
        qpts.append((p, df))
    for df in (1.0, 2.0, 4.0, 6.0):
        for p in rng.uniform(0.0, 1.0, 12):
            qpts.append((float(p), df))
    qpts = dedup(qpts)

    def keep(p, df, t):
        if p in (0.0, 1.0):
            return True
        if not math.isfinite(t):
            return False
        back = sc.stdtr(df, t)
        target = p
        if p > 0.5:
            back = sc.stdtr(df, -t)
            target = 1.0 - p
        return back > 0 and abs(back / target - 1.0) <= 1e-12

    ppf, isf = [], []
    for p, df in qpts:
        t = float(stats.t.ppf(p, df))
        if keep(p, df, t):
            ppf.append([p, num(df), num(t)])
        u = float(stats.t.isf(p, df))
        if keep(p, df, -u):
            isf.append([p, num(df), num(u)])
    return {"t_cdf": cdf, "t_sf": sf, "t_ppf": ppf, "t_isf": isf}


def gammaln_cases(rng):
    xs = [1.0, 2.0, 3.0, 0.5, 1.5, 2.5, 1e-300, 1e-10, 1e-5, 0.1, 0.9, 0.999999, 1.000001,
          1.0000000001, 1.9999999, 2.0000001, 2.999999, 3.5, 10.0, 12.999, 13.0, 13.001, 30.0,
          100.0, 170.5, 171.6, 999.9, 1000.0, 1000.1, 1e5, 1e8, 1e8 + 1.0, 1.5e8, 1e15, 1e100,
          1e300, 2.5e305, math.inf, 0.0]
    xs += [float(v) for v in rng.uniform(0.0, 3.0, 80)]
    xs += [float(1.0 + v) for v in rng.normal(0.0, 1e-3, 20)]
    xs += [float(2.0 + v) for v in rng.normal(0.0, 1e-3, 20)]
    xs += [float(10.0 ** v) for v in rng.uniform(-10.0, 300.0, 80)]
    xs += [float(v) for v in rng.uniform(3.0, 40.0, 30)]
    xs = [x for x in dict.fromkeys(xs)]
    return {"gammaln": [[num(x), num(sc.gammaln(x))] for x in xs]}


def hypergeom_cases(rng):
    rows = []
    sizes = [1, 2, 5, 10, 20, 50, 100, 170, 171, 500, 2000, 10000, 50000, 104723, 104729,
             200000, 1000000]
    trip = []
    for M in sizes:
        for _ in range(3):
            n = int(rng.integers(0, M + 1))
            N = int(rng.integers(0, M + 1))
            trip.append((M, n, N))
    for _ in range(25):
        M = int(10 ** rng.uniform(0.0, 6.0))
        trip.append((M, int(rng.integers(0, M + 1)), int(rng.integers(0, M + 1))))
    trip += [(1000000, 500000, 500000), (1000000, 10, 999990), (200000, 100000, 1000),
             (104723, 52361, 52362), (60, 30, 30), (10, 0, 5), (10, 10, 5), (10, 5, 0),
             (10, 5, 10)]
    for M, n, N in trip:
        lo = max(0, N - (M - n))
        hi = min(n, N)
        mode = int((n + 1) * (N + 1) / (M + 2))
        ks = {lo, hi, mode, max(lo, mode - 1), min(hi, mode + 1), (lo + hi) // 2}
        ks |= {int(v) for v in rng.integers(lo, hi + 1, 3)}
        if lo > 0:
            ks.add(lo - 1)
        ks.add(hi + 1)
        for k in sorted(ks):
            rows.append((k, M, n, N))
    rows = dedup(rows)
    pmf = [[k, M, n, N, num(stats.hypergeom.pmf(k, M, n, N))] for k, M, n, N in rows]
    cdf = [[k, M, n, N, num(stats.hypergeom.cdf(k, M, n, N))] for k, M, n, N in rows]
    sf = [[k, M, n, N, num(stats.hypergeom.sf(k, M, n, N))] for k, M, n, N in rows]
    return {"hypergeom_pmf": pmf, "hypergeom_cdf": cdf, "hypergeom_sf": sf}


# Functions for brentq: the Rust tests evaluate the same expressions with the same IEEE
# operations (exp and cos are the C library's in both languages).
BRENTQ_FUNCS = {
    "x2m2": lambda x: x * x - 2.0,
    "cubic": lambda x: ((x - 1.0) * x - 2.0) * x + 0.5,
    "cosmx": lambda x: math.cos(x) - x,
    "expm5": lambda x: math.exp(x) - 5.0,
    "step": lambda x: -1.0 if x < 0.3 else 1.0,
    "flat": lambda x: (x - 0.7) ** 3,
    "tiny": lambda x: x * 1e-200 - 3e-201,
}


def brentq_cases():
    rows = []
    specs = [
        ("x2m2", 0.0, 2.0), ("x2m2", 2.0, 0.0), ("x2m2", -3.0, 0.0), ("cubic", -2.0, 0.0),
        ("cubic", 0.0, 1.0), ("cubic", 1.0, 4.0), ("cosmx", 0.0, 1.0), ("cosmx", -10.0, 10.0),
        ("expm5", 0.0, 10.0), ("expm5", -50.0, 700.0), ("step", 0.0, 1.0), ("flat", 0.0, 1.0),
        ("flat", 0.7, 5.0), ("tiny", -1.0, 1.0), ("x2m2", 2.0, 3.0),
    ]
    tols = [(2e-12, 4 * np.finfo(float).eps, 100), (1e-300, 4 * np.finfo(float).eps, 100),
            (1e-6, 1e-6, 100), (1e-12, 1e-10, 5)]
    for name, a, b in specs:
        f = BRENTQ_FUNCS[name]
        for xtol, rtol, maxiter in tols:
            try:
                root, r = opt.brentq(f, a, b, xtol=xtol, rtol=float(rtol), maxiter=maxiter,
                                     full_output=True, disp=False)
                # SciPy leaves `iterations` uninitialised when an end point is a root (two
                # function calls): it is written as null then.
                iters = r.iterations if r.function_calls > 2 else None
                rows.append([name, a, b, xtol, float(rtol), maxiter, num(root), iters,
                             r.function_calls, r.flag])
            except ValueError:
                rows.append([name, a, b, xtol, float(rtol), maxiter, None, 0, 0, "sign"])
    return {"brentq": rows}


def fisher_cases(rng):
    tables = []
    small = [(a, b, c, d) for a in range(7) for b in range(7) for c in range(7) for d in range(7)]
    idx = rng.choice(len(small), 170, replace=False)
    tables += [small[i] for i in sorted(idx)]
    tables += [(0, 0, 3, 4), (3, 4, 0, 0), (0, 5, 0, 7), (5, 0, 7, 0), (0, 0, 0, 0), (0, 0, 0, 5)]
    tables += [(0, 10, 3, 7), (0, 100, 12, 88), (0, 1000, 9, 991), (5, 995, 0, 1000),
               (0, 5, 0, 5), (7, 0, 9, 0)]
    for _ in range(30):
        n1 = int(rng.integers(10, 5000))
        n2 = int(rng.integers(10, 5000))
        p = float(rng.uniform(0.001, 0.3))
        a = int(rng.binomial(n1, p))
        c = int(rng.binomial(n2, p * float(rng.uniform(0.5, 1.5))))
        tables.append((a, n1 - a, c, n2 - c))
    for _ in range(25):
        total = int(10 ** rng.uniform(2.0, 5.0))
        nt = int(total * 0.9)
        nc = total - nt
        p = float(10 ** rng.uniform(-3.0, -0.5))
        a = int(rng.binomial(nt, p))
        c = int(rng.binomial(nc, p * float(rng.uniform(0.3, 2.0))))
        tables.append((a, nt - a, c, nc - c))
        tables.append((c, nc - c, a, nt - a))
    for _ in range(20):
        total = int(10 ** rng.uniform(4.0, 5.2))
        nt = int(rng.integers(total // 4, 3 * total // 4))
        nc = total - nt
        p = float(10 ** rng.uniform(-2.5, -0.3))
        a = int(rng.binomial(nt, p))
        c = int(rng.binomial(nc, p * float(rng.uniform(0.8, 1.25))))
        tables.append((a, nt - a, c, nc - c))
    for _ in range(12):
        k = int(rng.integers(0, 60))
        m = int(rng.integers(1, 200))
        tables.append((k, m, k, m))
        tables.append((k, m, m, k))
    tables += [(50000, 50000, 50000, 50000), (30, 52000, 41, 52000), (1, 60000, 0, 60000)]
    tables += [(12, 5, 5, 12), (1, 1, 1, 1), (2, 0, 0, 2), (0, 2, 2, 0), (10, 10, 10, 10)]
    tables = list(dict.fromkeys(tables))
    rows = []
    for t in tables:
        a, b, c, d = t
        for alt in ("two-sided", "less", "greater"):
            res = stats.fisher_exact([[a, b], [c, d]], alternative=alt)
            rows.append([a, b, c, d, alt, num(res.statistic), num(res.pvalue)])
    return rows


def main():
    rng = np.random.default_rng(SEED)
    meta = {
        "generator": "scripts/lift-special-anchors.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "seed": SEED,
    }
    special = {"meta": meta}
    special.update(norm_cases(rng))
    special.update(t_cases(rng))
    special.update(gammaln_cases(rng))
    special.update(hypergeom_cases(rng))
    special.update(brentq_cases())
    fisher = {"meta": meta, "cases": fisher_cases(rng)}
    os.makedirs(OUT, exist_ok=True)
    for name, obj in (("special.json", special), ("fisher.json", fisher)):
        path = os.path.join(OUT, name)
        with open(path, "w") as fh:
            json.dump(obj, fh, separators=(",", ":"), allow_nan=False)
            fh.write("\n")
        print("wrote", path)
    for key, rows in special.items():
        if key != "meta":
            print(f"  {key}: {len(rows)}")
    print(f"  fisher: {len(fisher['cases'])}")


if __name__ == "__main__":
    main()
