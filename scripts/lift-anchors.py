#!/usr/bin/env python3
"""Golden files of `ces::lift` (tests/fixtures/lift/*.json) from their anchors.

Run through `scripts/lift-anchors.sh` (it creates/updates .venv-anchors from
requirements-anchors.txt). Not used by `make test`; the JSON files are committed.

Anchors (the exact versions are also written into every file's top-level "anchors" object):

* statsmodels 0.15.0
    - statsmodels.stats.proportion: proportions_ztest, test_proportions_2indep,
      confint_proportions_2indep, power_proportions_2indep          (proportions, power)
    - statsmodels.stats.power.normal_power_het                        (power)
    - statsmodels.regression.linear_model.OLS (+ tools.add_constant),
      nonrobust / HC1 / cluster covariances                           (cuped, did, twfe)
    - statsmodels.tsa.stattools.ccf                                   (ccf)
* mpmath 1.4.1: the corrected score p-value of the difference (statsmodels#10269) in
  50-digit arithmetic, whose roots are `score_diff_exact`                  (proportions)
* scipy 1.17.1
    - scipy.stats.ttest_ind(equal_var=False) + .confidence_interval   (welch, cuped)
    - scipy.optimize.brentq (root finding around statsmodels p-value / power functions:
      refined score intervals, MDE, sample size)                      (proportions, power)
    - scipy.stats.norm (delta-method p-values and quantiles)          (ratio)
* numpy 2.4.6
    - numpy.random.default_rng (all data, fixed seeds), closed-form delta method (ratio),
      CUPED theta (cuped)

Python 3.11. Deterministic: every family has its own numpy Generator seed; BLAS is pinned to
one thread. Floats are written by `json.dumps` (repr, round-trips exactly); non-finite
values as the strings "inf", "-inf", "nan". When an anchor raises (or does not converge) the
field is `null` and a sibling "<field>_error" holds the message. See
tests/fixtures/lift/README.md for every family's inputs, anchor calls and conventions.
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import optimize, stats  # noqa: E402
from statsmodels.stats.power import normal_power_het  # noqa: E402
from statsmodels.stats.proportion import (  # noqa: E402
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    test_proportions_2indep,
)
from statsmodels.tsa.stattools import ccf  # noqa: E402

warnings.simplefilter("ignore")
np.seterr(all="ignore")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "lift")
EPS = np.finfo(float).eps
BRENT = dict(xtol=1e-15, rtol=4 * EPS, maxiter=1000)
ALTS = ("two-sided", "larger", "smaller")
SCIPY_ALT = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
ALPHAS = (0.05, 0.1, 0.01, 0.2)
ALPHA_P = (0.55, 0.2, 0.15, 0.1)

ANCHORS = {
    "statsmodels": statsmodels.__version__,
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "mpmath": mpmath.__version__,
    "python": platform.python_version(),
}


# ----------------------------------------------------------------------------- helpers
def clean(o):
    """numpy -> plain Python; non-finite floats -> "inf" / "-inf" / "nan"."""
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return [clean(v) for v in o.tolist()]
    if isinstance(o, (bool, np.bool_)):
        return bool(o)
    if isinstance(o, (int, np.integer)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        x = float(o)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    return o


def write(family, seed, cases, extra=None):
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), f"{family}: duplicate ids"
    head = {
        "family": family,
        "generator": "scripts/lift-anchors.py",
        "anchors": ANCHORS,
        "seed": seed,
    }
    if extra:
        head.update(extra)
    text = json.dumps(clean(head), allow_nan=False)[:-1]
    body = ",\n".join(json.dumps(clean(c), allow_nan=False) for c in cases)
    text += ',"cases":[\n' + body + "\n]}\n"
    path = os.path.join(OUT, f"{family}.json")
    with open(path, "w") as f:
        f.write(text)
    # round trip check
    with open(path) as f:
        back = json.load(f)
    assert len(back["cases"]) == len(cases)
    print(f"  {family}.json: {len(cases)} cases, {os.path.getsize(path)} bytes", file=sys.stderr)


def attempt(out, field, fn):
    """out[field] = fn(); on exception out[field] = None, out[field+'_error'] = message."""
    try:
        v = fn()
        out[field] = v
    except Exception as e:  # noqa: BLE001
        out[field] = None
        out[field + "_error"] = f"{type(e).__name__}: {e}"


def loguniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def pick_alpha(rng):
    return float(rng.choice(ALPHAS, p=ALPHA_P))


# ======================================================================= 1. proportions
def _score_diff_pvalue_fixed(ct, nt, cc, nc, v):
    """statsmodels 0.15.0 `score_test_proportions_2indep(compare="diff", correction=True)`
    two-sided p-value, copied line by line, with the single fix of statsmodels issue #10269 /
    PR #10270: the linear cubic coefficient uses nobs0 (not count0) in its d**2 term."""
    nobs, count = nt + nc, ct + cc
    p1, p0 = ct / nt, cc / nc
    count0, nobs0 = cc, nc
    if v == 0:
        prop0 = prop1 = count / nobs
    else:
        tmp3 = nobs
        tmp2 = (nt + 2 * nobs0) * v - nobs - count
        tmp1 = (nobs0 * v - nobs - 2 * count0) * v + count  # statsmodels: count0 * v
        tmp0 = count0 * v * (1 - v)
        q = (tmp2 / (3 * tmp3)) ** 3 - tmp1 * tmp2 / (6 * tmp3**2) + tmp0 / (2 * tmp3)
        p = np.sign(q) * np.sqrt((tmp2 / (3 * tmp3)) ** 2 - tmp1 / (3 * tmp3))
        a = (np.pi + np.arccos(q / p**3)) / 3
        prop0 = 2 * p * np.cos(a) - tmp2 / (3 * tmp3)
        prop1 = prop0 + v
    var = (prop1 * (1 - prop1) / nt + prop0 * (1 - prop0) / nobs0) * (nobs / (nobs - 1))
    z = (p1 - p0 - v) / np.sqrt(var)
    return float(2 * stats.norm.sf(np.abs(z)))


def _check_fixed_mle():
    """The fixed cubic root is the restricted MLE (numeric maximisation), statsmodels' is not."""
    from scipy.optimize import minimize_scalar

    for ct, nt, cc, nc, v in ((30, 100, 20, 100, -0.3), (0, 10, 3, 10, -0.5), (3, 10, 0, 10, 0.2),
                              (7, 34, 1, 34, 0.4), (120, 1000, 80, 900, 0.05)):
        def nll(q0):
            q1 = q0 + v
            return -(ct * np.log(q1) + (nt - ct) * np.log1p(-q1)
                     + (cc * np.log(q0) if cc else 0.0) + (nc - cc) * np.log1p(-q0))
        lo, hi = max(0.0, -v), min(1.0, 1.0 - v)
        m = minimize_scalar(nll, bounds=(lo + 1e-12, hi - 1e-12), method="bounded",
                            options={"xatol": 1e-13}).x
        nobs, count = nt + nc, ct + cc
        tmp3 = nobs
        tmp2 = (nt + 2 * nc) * v - nobs - count
        tmp1 = (nc * v - nobs - 2 * cc) * v + count
        tmp0 = cc * v * (1 - v)
        q = (tmp2 / (3 * tmp3)) ** 3 - tmp1 * tmp2 / (6 * tmp3**2) + tmp0 / (2 * tmp3)
        p = np.sign(q) * np.sqrt((tmp2 / (3 * tmp3)) ** 2 - tmp1 / (3 * tmp3))
        prop0 = 2 * p * np.cos((np.pi + np.arccos(q / p**3)) / 3) - tmp2 / (3 * tmp3)
        assert abs(prop0 - m) < 1e-6, (ct, nt, cc, nc, v, prop0, m)


# walk grids: fractions s of the way from the estimate to the boundary (diff), and powers of
# ten (ratio)
S_GRID = ([10.0**k for k in range(-15, -1)] + [0.02, 0.05] + [k / 10 for k in range(1, 10)]
          + [0.95] + [1 - 10.0**k for k in range(-2, -16, -1)] + [1.0])
R_GRID = [10.0**k for k in range(-15, -1)] + [0.02, 0.05] + [k / 10 for k in range(1, 10)] + [1.0]


def _walk_root(f, points, boundary, near_boundary):
    """Walk `points` (ordered from the estimate outwards). inner = last finite point with
    f > 0 before the first finite point with f < 0 (outer); brentq on [inner, outer].
    No finite f < 0: the boundary (if the outermost finite point is near it) else an error."""
    inner = outer = None
    last_finite = None
    for v in points:
        try:
            fv = float(f(v))
        except (OverflowError, ZeroDivisionError):
            fv = math.nan
        if not np.isfinite(fv):
            continue
        last_finite = v
        if fv > 0:
            if outer is None:
                inner = v
        elif fv < 0:
            if inner is None:
                return {"value": None, "at_boundary": False, "bracket": None,
                        "error": f"p-value on the estimate side is not above alpha ({fv + 0:.17g} at v={v!r})"}
            outer = v
            break
        else:
            return {"value": v, "at_boundary": False, "bracket": [v, v]}
    if outer is None:
        if inner is not None and last_finite is not None and near_boundary(last_finite):
            return {"value": boundary, "at_boundary": True, "bracket": None}
        return {"value": None, "at_boundary": False, "bracket": None,
                "error": "p-value never below alpha where finite, and NaN before the boundary "
                         f"(last finite v={last_finite!r})"}
    lo, hi = min(inner, outer), max(inner, outer)
    try:
        root, r = optimize.brentq(f, lo, hi, full_output=True, **BRENT)
        if not r.converged:
            raise RuntimeError(r.flag)
        return {"value": root, "at_boundary": False, "bracket": [lo, hi]}
    except Exception as e:  # noqa: BLE001
        return {"value": None, "at_boundary": False, "bracket": [lo, hi],
                "error": f"{type(e).__name__}: {e}"}


def _pack(res, side, w):
    res[side] = w["value"]
    res[side + "_at_boundary"] = w["at_boundary"]
    res[side + "_bracket"] = w["bracket"]
    if "error" in w:
        res[side + "_error"] = w["error"]


def score_diff_refined(ct, nt, cc, nc, alpha, fixed=False):
    if fixed:
        def f(v):
            return _score_diff_pvalue_fixed(ct, nt, cc, nc, v) - alpha
    else:
        def f(v):
            return (
                test_proportions_2indep(
                    ct, nt, cc, nc, value=v, compare="diff", method="score",
                    correction=True, alternative="two-sided",
                ).pvalue
                - alpha
            )

    diff = ct / nt - cc / nc
    res = {}
    for side, bound in (("lower", -1.0), ("upper", 1.0)):
        if diff == bound:
            _pack(res, side, {"value": bound, "at_boundary": True, "bracket": None})
            continue
        pts = [diff] + [diff + (bound - diff) * s for s in S_GRID]
        pts[-1] = bound
        _pack(res, side, _walk_root(f, pts, bound, lambda v, b=bound: abs(v - b) <= 1e-6))
    return res


def _score_diff_pvalue_mp(ct, nt, cc, nc, v):
    """`_score_diff_pvalue_fixed` evaluated in 50-digit arithmetic (mpmath): the same formula
    without the double-precision cancellation of its trigonometric cubic root, which moves
    the p-value near a bound by ~1e-9 and hence the double-precision root by ~3e-9."""
    v = mpmath.mpf(v)
    nobs, count = nt + nc, ct + cc
    tmp3 = mpmath.mpf(nobs)
    tmp2 = (nt + 2 * nc) * v - nobs - count
    tmp1 = (nc * v - nobs - 2 * cc) * v + count
    tmp0 = cc * v * (1 - v)
    q = (tmp2 / (3 * tmp3)) ** 3 - tmp1 * tmp2 / (6 * tmp3**2) + tmp0 / (2 * tmp3)
    p = mpmath.sign(q) * mpmath.sqrt((tmp2 / (3 * tmp3)) ** 2 - tmp1 / (3 * tmp3))
    a = (mpmath.pi + mpmath.acos(q / p**3)) / 3
    prop0 = 2 * p * mpmath.cos(a) - tmp2 / (3 * tmp3)
    prop1 = prop0 + v
    var = (prop1 * (1 - prop1) / nt + prop0 * (1 - prop0) / nc) * mpmath.mpf(nobs) / (nobs - 1)
    z = (mpmath.mpf(ct) / nt - mpmath.mpf(cc) / nc - v) / mpmath.sqrt(var)
    return mpmath.erfc(abs(z) / mpmath.sqrt(2))


def score_diff_exact(ct, nt, cc, nc, alpha, refined):
    """The roots of the corrected score p-value = alpha to 50 digits (bisection in mpmath on
    the bracket the double-precision walk verified), rounded once to double. Boundaries stay
    boundaries."""
    out = {}
    with mpmath.workdps(50):
        for side in ("lower", "upper"):
            if refined.get(side + "_at_boundary") or refined.get(side + "_bracket") is None:
                out[side] = refined.get(side)
                out[side + "_at_boundary"] = True
                continue
            lo, hi = (mpmath.mpf(x) for x in refined[side + "_bracket"])
            f = lambda v: _score_diff_pvalue_mp(ct, nt, cc, nc, v) - alpha  # noqa: E731
            flo = f(lo)
            for _ in range(200):
                mid = (lo + hi) / 2
                fm = f(mid)
                if (fm > 0) == (flo > 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
            out[side] = float((lo + hi) / 2)
            out[side + "_at_boundary"] = False
    return out


def score_ratio_refined(ct, nt, cc, nc, alpha):
    def f(v):
        return (
            test_proportions_2indep(
                ct, nt, cc, nc, value=v, compare="ratio", method="score",
                correction=True, alternative="two-sided",
            ).pvalue
            - alpha
        )

    res = {}
    if ct == 0 and cc == 0:
        res = {"lower": 0.0, "lower_at_boundary": True, "lower_bracket": None,
               "upper": math.inf, "upper_at_boundary": True, "upper_bracket": None,
               "note": "both counts zero: the ratio p-value is NaN (0/0) for every value; "
                       "the uninformative interval [0, inf] is recorded by convention"}
        return res
    near0 = lambda v: v <= 1e-200  # noqa: E731
    nearinf = lambda v: v >= 1e200  # noqa: E731
    if ct == 0 or cc == 0:
        # the estimate is 0 or inf: start from r0, the ratio with the zero count replaced by
        # 0.5; if p(r0) <= alpha, first move by decades towards the estimate until p > alpha
        r0 = ((ct or 0.5) / nt) / ((cc or 0.5) / nc)
        toward = 0.1 if ct == 0 else 10.0
        for _ in range(60):
            try:
                fr = float(f(r0))
            except (OverflowError, ZeroDivisionError):
                fr = math.nan
            if np.isfinite(fr) and fr > 0:
                break
            r0 *= toward
        side, bound, near, step = (("upper", math.inf, nearinf, 10.0) if ct == 0
                                   else ("lower", 0.0, near0, 0.1))
        other = "lower" if ct == 0 else "upper"
        _pack(res, other, {"value": 0.0 if ct == 0 else math.inf, "at_boundary": True,
                           "bracket": None})
        pts = [r0] + [x for x in (r0 * 10.0**k if step > 1 else r0 / 10.0**k for k in range(1, 309)) if 0 < x < math.inf]
        _pack(res, side, _walk_root(f, pts, bound, near))
        return res
    r = (ct / nt) / (cc / nc)
    lower_pts = ([r] + [r * (1 - s) for s in S_GRID[:-1]]
                 + [x for x in (r / 10.0**k for k in range(16, 309)) if x > 0])
    upper_pts = ([r] + [r * (1 + s) for s in R_GRID]
                 + [x for x in (r * 10.0**k for k in range(1, 309)) if x < math.inf])
    _pack(res, "lower", _walk_root(f, lower_pts, 0.0, near0))
    _pack(res, "upper", _walk_root(f, upper_pts, math.inf, nearinf))
    return res


def proportions_expected(ct, nt, cc, nc, alpha):
    e = {}
    z = {}
    for a in ALTS:
        d = {}
        try:
            s, p = proportions_ztest([ct, cc], [nt, nc], alternative=a)
            d["statistic"], d["pvalue"] = float(s), float(p)
        except Exception as ex:  # noqa: BLE001
            d["statistic"] = d["pvalue"] = None
            d["statistic_error"] = d["pvalue_error"] = f"{type(ex).__name__}: {ex}"
        z[a] = d
    e["ztest_pooled"] = z
    for key, meth in (("wald_test", "wald"), ("score_test", "score")):
        d = {}
        try:
            r = test_proportions_2indep(ct, nt, cc, nc, method=meth, compare="diff",
                                        alternative="two-sided", correction=True)
            d["statistic"], d["pvalue"] = float(r.statistic), float(r.pvalue)
        except Exception as ex:  # noqa: BLE001
            d["statistic"] = d["pvalue"] = None
            d["statistic_error"] = d["pvalue_error"] = f"{type(ex).__name__}: {ex}"
        e[key] = d
    for compare, methods in (("diff", ("wald", "agresti-caffo", "newcomb", "score")),
                             ("ratio", ("log", "log-adjusted", "score"))):
        d = {}
        for m in methods:
            attempt(d, m, lambda m=m: [float(v) for v in confint_proportions_2indep(
                ct, nt, cc, nc, method=m, compare=compare, alpha=alpha, correction=True)])
        e["ci_" + compare] = d
    e["score_diff_refined"] = score_diff_refined(ct, nt, cc, nc, alpha)
    e["score_diff_refined_fixed"] = score_diff_refined(ct, nt, cc, nc, alpha, fixed=True)
    e["score_diff_exact"] = score_diff_exact(ct, nt, cc, nc, alpha, e["score_diff_refined_fixed"])
    e["score_ratio_refined"] = score_ratio_refined(ct, nt, cc, nc, alpha)
    return e


def gen_proportions():
    _check_fixed_mle()
    seed = 20260101
    rng = np.random.default_rng(seed)
    raw = []  # (id, ct, nt, cc, nc, alpha)

    def binom(n, p):
        return int(rng.binomial(n, p))

    for i in range(90):
        n = int(round(loguniform(rng, 50, 1e6)))
        pc = loguniform(rng, 1e-3, 0.6)
        pt = min(0.99, pc * loguniform(rng, 0.7, 1.5))
        raw.append((f"balanced-{i}", binom(n, pt), n, binom(n, pc), n, pick_alpha(rng)))
    for tag, frac in (("split90", 0.9), ("split10", 0.1)):
        for i in range(30):
            N = int(round(loguniform(rng, 100, 1e6)))
            nt = max(2, int(round(frac * N)))
            nc = max(2, N - nt)
            pc = loguniform(rng, 2e-3, 0.5)
            pt = min(0.99, pc * loguniform(rng, 0.7, 1.5))
            raw.append((f"{tag}-{i}", binom(nt, pt), nt, binom(nc, pc), nc, pick_alpha(rng)))
    for i in range(55):
        nt, nc = int(rng.integers(1, 31)), int(rng.integers(1, 31))
        ct, cc = int(rng.integers(0, min(5, nt) + 1)), int(rng.integers(0, min(5, nc) + 1))
        raw.append((f"small-{i}", ct, nt, cc, nc, pick_alpha(rng)))
    for i in range(20):
        nt = int(round(loguniform(rng, 5, 1e5)))
        nc = int(round(loguniform(rng, 5, 1e5)))
        cc = max(1, binom(nc, loguniform(rng, 1e-3, 0.5)))
        raw.append((f"zero-treat-{i}", 0, nt, min(cc, nc), nc, pick_alpha(rng)))
    for i in range(20):
        nt = int(round(loguniform(rng, 5, 1e5)))
        nc = int(round(loguniform(rng, 5, 1e5)))
        ct = max(1, binom(nt, loguniform(rng, 1e-3, 0.5)))
        raw.append((f"zero-control-{i}", min(ct, nt), nt, 0, nc, pick_alpha(rng)))
    for i in range(14):
        nt = int(round(loguniform(rng, 1, 1e6)))
        nc = int(round(loguniform(rng, 1, 1e6)))
        raw.append((f"both-zero-{i}", 0, nt, 0, nc, pick_alpha(rng)))
    for i in range(12):
        nt = int(round(loguniform(rng, 1, 1e4)))
        nc = int(round(loguniform(rng, 2, 1e4)))
        cc = binom(nc, rng.uniform(0.2, 0.99))
        raw.append((f"all-treat-{i}", nt, nt, cc, nc, pick_alpha(rng)))
    for i in range(12):
        nt = int(round(loguniform(rng, 2, 1e4)))
        nc = int(round(loguniform(rng, 1, 1e4)))
        ct = binom(nt, rng.uniform(0.2, 0.99))
        raw.append((f"all-control-{i}", ct, nt, nc, nc, pick_alpha(rng)))
    for i in range(5):
        nt = int(round(loguniform(rng, 1, 1e4)))
        nc = int(round(loguniform(rng, 1, 1e4)))
        raw.append((f"both-all-{i}", nt, nt, nc, nc, pick_alpha(rng)))
    for i in range(8):  # diff exactly +1 / -1
        nt = int(round(loguniform(rng, 1, 1e4)))
        nc = int(round(loguniform(rng, 1, 1e4)))
        if i % 2 == 0:
            raw.append((f"diff-plus-one-{i}", nt, nt, 0, nc, pick_alpha(rng)))
        else:
            raw.append((f"diff-minus-one-{i}", 0, nt, nc, nc, pick_alpha(rng)))
    for i in range(8):  # equal proportions (diff exactly 0)
        k = int(rng.integers(1, 50))
        m1, m2 = int(rng.integers(1, 200)), int(rng.integers(1, 200))
        raw.append((f"equal-{i}", k * m1, k * m1 * 7, k * m2, k * m2 * 7, pick_alpha(rng)))
    for i in range(40):
        nt = int(round(loguniform(rng, 1e7, 1e9)))
        nc = int(round(nt * loguniform(rng, 0.5, 2.0))) if i % 3 else nt
        pc = loguniform(rng, 1e-4, 0.3)
        pt = pc * (1.0 + rng.normal(0, 0.02))
        raw.append((f"huge-{i}", binom(nt, pt), nt, binom(nc, pc), nc, pick_alpha(rng)))

    cases = []
    for cid, ct, nt, cc, nc, alpha in raw:
        assert 0 <= ct <= nt and 0 <= cc <= nc and nt >= 1 and nc >= 1
        cases.append({
            "id": cid,
            "inputs": {"count_t": ct, "n_t": nt, "count_c": cc, "n_c": nc, "alpha": alpha},
            "expected": proportions_expected(ct, nt, cc, nc, alpha),
        })
    write("proportions", seed, cases)
    return cases


# ============================================================================== 2. power
POWER_TARGETS = (0.8, 0.9, 0.5, 0.95, 0.7)


def _prop_power(diff, prop2, nobs1, ratio, alpha, alt):
    return float(power_proportions_2indep(diff, prop2, nobs1, ratio=ratio, alpha=alpha,
                                          alternative=alt).power)


def _cont_power(diff, s, nobs1, alpha, alt):
    return float(normal_power_het(diff, nobs1, alpha, std_null=s, std_alternative=s,
                                  alternative=alt))


def _nobs_root(g):
    """Real n > 0 with g(n) = 0, g increasing-ish: bracket by doubling from [1, 2]
    (or halving the lower end when g(1) >= 0). Returns (root, bracket) or raises."""
    lo, hi = 1.0, 2.0
    if g(lo) >= 0:
        hi = lo
        lo = 0.5
        while g(lo) >= 0:
            hi = lo
            lo /= 2
            if lo < 2.0**-60:
                raise ValueError("power >= target for every n >= 2**-60")
    else:
        while g(hi) < 0:
            lo = hi
            hi *= 2
            if hi > 2.0**80:
                raise ValueError("target power unreachable for n <= 2**80")
    root, r = optimize.brentq(g, lo, hi, xtol=1e-10, rtol=4 * EPS, maxiter=1000, full_output=True)
    if not r.converged:
        raise RuntimeError(r.flag)
    return root, [lo, hi]


def gen_power():
    seed = 20260202
    rng = np.random.default_rng(seed)
    TINY = 1e-12
    cases = []

    # (a) power_proportions_2indep
    for i in range(300):
        prop2 = loguniform(rng, 1e-3, 0.9)
        alt = ALTS[i % 3]
        up = rng.random() < 0.6
        room = (1 - prop2) if up else prop2
        diff = float(room * loguniform(rng, 1e-3, 0.9)) * (1 if up else -1)
        if i % 50 == 7:
            diff = 0.0
        nobs1 = int(round(loguniform(rng, 10, 1e7))) if i % 4 else float(loguniform(rng, 10, 1e7))
        ratio = loguniform(rng, 0.1, 10)
        alpha = pick_alpha(rng)
        inp = dict(diff=diff, prop2=prop2, nobs1=nobs1, ratio=ratio, alpha=alpha, alternative=alt)
        ex = {}
        try:
            r = power_proportions_2indep(diff, prop2, nobs1, ratio=ratio, alpha=alpha, alternative=alt)
            ex = dict(power=float(r.power), p_pooled=float(r.p_pooled),
                      std_null=float(r.std_null), std_alt=float(r.std_alt))
        except Exception as e:  # noqa: BLE001
            ex = dict(power=None, power_error=f"{type(e).__name__}: {e}")
        cases.append({"id": f"prop-power-{i}", "kind": "prop_power", "inputs": inp, "expected": ex})

    # (b) normal_power_het, continuous metric
    for i in range(240):
        alt = ALTS[i % 3]
        sd_t = loguniform(rng, 0.01, 500)
        sd_c = sd_t * loguniform(rng, 0.3, 3)
        nobs1 = int(round(loguniform(rng, 5, 1e7))) if i % 4 else float(loguniform(rng, 5, 1e7))
        ratio = loguniform(rng, 0.1, 10)
        s = math.sqrt(sd_t**2 + sd_c**2 / ratio)
        diff = s / math.sqrt(nobs1) * rng.normal(0, 3)
        alpha = pick_alpha(rng)
        inp = dict(diff=diff, sd_t=sd_t, sd_c=sd_c, nobs1=nobs1, ratio=ratio, alpha=alpha,
                   alternative=alt)
        ex = {"std": s}
        attempt(ex, "power", lambda: _cont_power(diff, s, nobs1, alpha, alt))
        cases.append({"id": f"cont-power-{i}", "kind": "cont_power", "inputs": inp, "expected": ex})

    # (c) MDE, proportions
    for i in range(230):
        prop2 = loguniform(rng, 1e-3, 0.9)
        nobs1 = int(round(loguniform(rng, 10, 1e7)))
        if i % 23 == 5:  # unreachable targets: tiny n, little room above prop2
            prop2 = float(rng.uniform(0.7, 0.95))
            nobs1 = int(rng.integers(3, 12))
        ratio = loguniform(rng, 0.1, 10)
        alpha = pick_alpha(rng)
        target = float(rng.choice(POWER_TARGETS))
        alt = ("two-sided", "larger")[i % 2]
        inp = dict(prop2=prop2, nobs1=nobs1, ratio=ratio, alpha=alpha, power_target=target,
                   alternative=alt)
        ex = {}
        lo, hi = TINY, 1 - prop2 - TINY
        g = lambda d: _prop_power(d, prop2, nobs1, ratio, alpha, alt) - target  # noqa: E731
        glo, ghi = g(lo), g(hi)
        ex["bracket"] = [lo, hi]
        if not (glo < 0):
            ex["mde"] = None
            ex["mde_error"] = f"power at diff={lo!r} already >= target ({glo + target!r})"
        elif not (ghi > 0):
            ex["mde"] = None
            ex["mde_error"] = (f"target power unreachable: power at diff = 1 - prop2 - tiny is "
                               f"{ghi + target!r}")
        else:
            def _mde():
                root, r = optimize.brentq(g, lo, hi, full_output=True, **BRENT)
                if not r.converged:
                    raise RuntimeError(r.flag)
                return root
            attempt(ex, "mde", _mde)
            if ex.get("mde") is not None:
                ex["power_at_mde"] = g(ex["mde"]) + target
        cases.append({"id": f"prop-mde-{i}", "kind": "prop_mde", "inputs": inp, "expected": ex})

    # (d) sample size, proportions
    for i in range(230):
        prop2 = loguniform(rng, 1e-3, 0.9)
        alt = ("two-sided", "larger")[i % 2]
        up = alt == "larger" or rng.random() < 0.6
        room = (1 - prop2) if up else prop2
        diff = float(room * loguniform(rng, 2e-3, 0.9)) * (1 if up else -1)
        ratio = loguniform(rng, 0.1, 10)
        alpha = pick_alpha(rng)
        target = float(rng.choice(POWER_TARGETS))
        inp = dict(diff=diff, prop2=prop2, ratio=ratio, alpha=alpha, power_target=target,
                   alternative=alt)
        ex = {}
        g = lambda n: _prop_power(diff, prop2, n, ratio, alpha, alt) - target  # noqa: E731
        try:
            root, br = _nobs_root(g)
            ex.update(nobs1=root, nobs1_ceil=int(math.ceil(root)), bracket=br,
                      power_at_nobs1=g(root) + target)
        except Exception as e:  # noqa: BLE001
            ex.update(nobs1=None, nobs1_error=f"{type(e).__name__}: {e}", nobs1_ceil=None)
        cases.append({"id": f"prop-n-{i}", "kind": "prop_nobs", "inputs": inp, "expected": ex})

    # (e) MDE and sample size, continuous
    for i in range(220):
        sd_t = loguniform(rng, 0.01, 500)
        sd_c = sd_t * loguniform(rng, 0.3, 3)
        nobs1 = int(round(loguniform(rng, 5, 1e7)))
        ratio = loguniform(rng, 0.1, 10)
        alpha = pick_alpha(rng)
        target = float(rng.choice(POWER_TARGETS))
        alt = ("two-sided", "larger")[i % 2]
        s = math.sqrt(sd_t**2 + sd_c**2 / ratio)
        inp = dict(sd_t=sd_t, sd_c=sd_c, nobs1=nobs1, ratio=ratio, alpha=alpha,
                   power_target=target, alternative=alt)
        ex = {"std": s}
        g = lambda d: _cont_power(d, s, nobs1, alpha, alt) - target  # noqa: E731
        lo, hi = 0.0, s / math.sqrt(nobs1)
        while g(hi) <= 0:
            lo, hi = hi, hi * 2
        ex["bracket"] = [lo, hi]

        def _mde():
            root, r = optimize.brentq(g, lo, hi, full_output=True, **BRENT)
            if not r.converged:
                raise RuntimeError(r.flag)
            return root
        attempt(ex, "mde", _mde)
        cases.append({"id": f"cont-mde-{i}", "kind": "cont_mde", "inputs": inp, "expected": ex})
    for i in range(220):
        sd_t = loguniform(rng, 0.01, 500)
        sd_c = sd_t * loguniform(rng, 0.3, 3)
        ratio = loguniform(rng, 0.1, 10)
        alpha = pick_alpha(rng)
        target = float(rng.choice(POWER_TARGETS))
        alt = ("two-sided", "larger")[i % 2]
        s = math.sqrt(sd_t**2 + sd_c**2 / ratio)
        sign = 1 if (alt == "larger" or rng.random() < 0.6) else -1
        diff = sign * s * loguniform(rng, 1e-3, 3)
        inp = dict(diff=diff, sd_t=sd_t, sd_c=sd_c, ratio=ratio, alpha=alpha,
                   power_target=target, alternative=alt)
        ex = {"std": s}
        g = lambda n: _cont_power(diff, s, n, alpha, alt) - target  # noqa: E731
        try:
            root, br = _nobs_root(g)
            ex.update(nobs1=root, nobs1_ceil=int(math.ceil(root)), bracket=br)
        except Exception as e:  # noqa: BLE001
            ex.update(nobs1=None, nobs1_error=f"{type(e).__name__}: {e}", nobs1_ceil=None)
        cases.append({"id": f"cont-n-{i}", "kind": "cont_nobs", "inputs": inp, "expected": ex})

    write("power", seed, cases)
    return cases


# ============================================================================== 3. welch
def welch_expected(a, b, alpha):
    ex = {
        "mean_a": float(np.mean(a)), "mean_b": float(np.mean(b)),
        "var_a": float(np.var(a, ddof=1)), "var_b": float(np.var(b, ddof=1)),
    }
    for alt in ALTS:
        d = {}
        try:
            r = stats.ttest_ind(a, b, equal_var=False, alternative=SCIPY_ALT[alt])
            ci = r.confidence_interval(confidence_level=1 - alpha)
            d = dict(statistic=float(r.statistic), pvalue=float(r.pvalue), df=float(r.df),
                     ci_low=float(ci.low), ci_high=float(ci.high))
        except Exception as e:  # noqa: BLE001
            d = dict(statistic=None, statistic_error=f"{type(e).__name__}: {e}")
        ex[alt] = d
    ex["exact"] = welch_exact(a, b)
    return ex


def welch_exact(a, b):
    """Means, variances, the mean difference, Welch's statistic and df in exact rational
    arithmetic (one rounding at the end; a square root in 50-digit mpmath): the reference for
    samples whose means cancel (e.g. 5e7 + noise), where SciPy's double-precision difference
    of means is only good to eps·(|mean_a| + |mean_b|)/|mean_a − mean_b|."""
    from fractions import Fraction as F

    def mv(x):
        fx = [F(float(v)) for v in x]
        m = sum(fx) / len(fx)
        return m, sum((y - m) ** 2 for y in fx) / (len(fx) - 1)

    (ma, va), (mb, vb) = mv(a), mv(b)
    se2 = va / len(a) + vb / len(b)
    out = {"mean_diff": float(ma - mb), "var_a": float(va), "var_b": float(vb)}
    if se2 == 0:
        out.update(statistic=None, df=None)
        return out
    df = se2 * se2 / ((va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
    with mpmath.workdps(50):
        t = mpmath.mpf(ma.numerator) / ma.denominator - mpmath.mpf(mb.numerator) / mb.denominator
        t /= mpmath.sqrt(mpmath.mpf(se2.numerator) / se2.denominator)
        out.update(statistic=float(t), df=float(df))
    return out


def gen_welch():
    seed = 20260303
    rng = np.random.default_rng(seed)
    cases = []

    def size():
        return int(round(loguniform(rng, 2, 300)))

    kinds = []
    kinds += [("normal", 70), ("unequal-var", 60), ("revenue", 60), ("lognormal", 30),
              ("huge-mean", 30), ("tiny-var", 20), ("tiny-n", 25), ("const-one", 6),
              ("const-both", 3), ("equal-samples", 3)]
    for kind, count in kinds:
        for i in range(count):
            na, nb = size(), size()
            if kind == "normal":
                mu = rng.normal(0, 10)
                sd = loguniform(rng, 0.1, 100)
                a = rng.normal(mu + rng.normal(0, sd / 3), sd, na)
                b = rng.normal(mu, sd, nb)
                a, b = np.round(a, 6), np.round(b, 6)
            elif kind == "unequal-var":
                sd = loguniform(rng, 0.1, 100)
                a = rng.normal(rng.normal(0, sd), sd * loguniform(rng, 0.05, 20), na)
                b = rng.normal(0, sd, nb)
                a, b = np.round(a, 6), np.round(b, 6)
            elif kind == "revenue":
                na, nb = max(na, 3), max(nb, 3)
                pz = rng.uniform(0.5, 0.97)

                def rev(n):
                    v = np.where(rng.random(n) < pz, 0.0,
                                 rng.lognormal(rng.normal(3.5, 0.2), rng.uniform(0.5, 2.0), n))
                    if np.all(v == 0):
                        v[0] = 12.5
                    return np.round(v, 2)
                a, b = rev(na), rev(nb)
            elif kind == "lognormal":
                a = np.round(rng.lognormal(2, rng.uniform(0.5, 2.5), na), 4)
                b = np.round(rng.lognormal(2, rng.uniform(0.5, 2.5), nb), 4)
            elif kind == "huge-mean":
                base = float(10 ** rng.uniform(5, 9))
                sd = loguniform(rng, 1e-3, 10)
                a = np.round(base + rng.normal(rng.normal(0, sd), sd, na), 4)
                b = np.round(base + rng.normal(0, sd, nb), 4)
            elif kind == "tiny-var":
                base = rng.normal(1, 0.2)
                sd = loguniform(rng, 1e-10, 1e-6)
                a = base + rng.normal(0, sd, na) + sd
                b = base + rng.normal(0, sd, nb)
            elif kind == "tiny-n":
                na, nb = int(rng.integers(2, 6)), int(rng.integers(2, 6))
                a = np.round(rng.normal(1, 1, na), 6)
                b = np.round(rng.normal(0, 2, nb), 6)
            elif kind == "const-one":
                a = np.full(na, 3.25)
                b = np.round(rng.normal(3, 1, max(nb, 2)), 6)
                if i % 2:
                    a, b = b, a
            elif kind == "const-both":
                a = np.full(na, 2.0)
                b = np.full(nb, 2.0 + i)
            else:  # equal-samples
                a = np.round(rng.normal(0, 1, na), 6)
                b = a.copy()
            alpha = pick_alpha(rng)
            cases.append({
                "id": f"{kind}-{i}",
                "inputs": {"a": a.tolist(), "b": b.tolist(), "alpha": alpha},
                "expected": welch_expected(a, b, alpha),
            })
    write("welch", seed, cases)
    return cases


# ============================================================================== 4. cuped
def gen_cuped():
    seed = 20260404
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(260):
        n = int(round(loguniform(rng, 10, 2000)))
        kind = ("normal", "revenue", "weak", "strong", "offset")[i % 5]
        while True:
            treated = (rng.random(n) < rng.uniform(0.2, 0.8)).astype(int)
            if treated.sum() >= 2 and (n - treated.sum()) >= 2:
                break
        effect = rng.normal(0, 0.5)
        if kind == "revenue":
            x = np.round(np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(3, 1, n)), 2)
            y = np.round(np.maximum(0.0, 0.7 * x + rng.normal(0, 20, n) + 5 * effect * treated), 2)
        else:
            rho = {"normal": 0.6, "weak": 0.1, "strong": 0.95, "offset": 0.7}[kind]
            x = rng.normal(0, 1, n)
            y = rho * x + math.sqrt(1 - rho**2) * rng.normal(0, 1, n) + effect * treated
            if kind == "offset":
                x, y = x * 10 + 1000, y * 10 + 5000
            x, y = np.round(x, 6), np.round(y, 6)
        alpha = pick_alpha(rng)
        theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
        y_adj = y - theta * (x - x.mean())
        t = treated == 1
        ex = {
            "theta": float(theta),
            "variance_reduction": float(1 - np.var(y_adj, ddof=1) / np.var(y, ddof=1)),
            "mean_diff_adj": float(y_adj[t].mean() - y_adj[~t].mean()),
            "welch_adj": welch_expected(y_adj[t], y_adj[~t], alpha),
        }
        X = sm.add_constant(np.column_stack([treated.astype(float), x]))
        fit = sm.OLS(y, X).fit()
        ex["ancova"] = {
            "coef": float(fit.params[1]), "bse": float(fit.bse[1]),
            "tvalue": float(fit.tvalues[1]), "pvalue": float(fit.pvalues[1]),
            "conf_int": [float(v) for v in fit.conf_int(alpha)[1]],
            "df_resid": float(fit.df_resid),
        }
        fh = sm.OLS(y, X).fit(cov_type="HC1")
        ex["ancova_hc1"] = {
            "coef": float(fh.params[1]), "bse": float(fh.bse[1]),
            "zvalue": float(fh.tvalues[1]), "pvalue": float(fh.pvalues[1]),
            "conf_int": [float(v) for v in fh.conf_int(alpha)[1]],
        }
        cases.append({
            "id": f"{kind}-{i}",
            "inputs": {"y": y.tolist(), "x": x.tolist(), "treated": treated.tolist(), "alpha": alpha},
            "expected": ex,
        })
    write("cuped", seed, cases)
    return cases


# ================================================================================ 5. did
def _fit_summary(fit, idx, alpha, stat_name):
    return {
        "coef": float(fit.params[idx]), "bse": float(fit.bse[idx]),
        stat_name: float(fit.tvalues[idx]), "pvalue": float(fit.pvalues[idx]),
        "conf_int": [float(v) for v in fit.conf_int(alpha)[idx]],
    }


def gen_did():
    seed = 20260505
    rng = np.random.default_rng(seed)
    cases = []
    i = 0
    while len(cases) < 260:
        kind = ("balanced", "unbalanced", "few-units", "ar-noise", "large")[i % 5]
        if kind == "few-units":
            U = int(rng.integers(4, 9))
        elif kind == "large":
            U = int(rng.integers(150, 401))
        else:
            U = int(round(loguniform(rng, 4, 250)))
        max_rows = 1 if (kind == "balanced" and i % 2 == 0) else int(rng.integers(1, 7))
        treated_unit = (rng.random(U) < rng.uniform(0.25, 0.75)).astype(int)
        if treated_unit.sum() == 0:
            treated_unit[0] = 1
        if treated_unit.sum() == U:
            treated_unit[-1] = 0
        re_sd = loguniform(rng, 0.1, 5)
        eff = rng.normal(0, 1)
        rho = rng.uniform(0.3, 0.9) if kind == "ar-noise" else 0.0
        rows_u, rows_t, rows_p, rows_y = [], [], [], []
        for u in range(U):
            ue = rng.normal(0, re_sd)
            prev = 0.0
            for post in (0, 1):
                if kind == "unbalanced" and rng.random() < 0.25:
                    continue  # unit missing its pre or post rows
                k = int(rng.integers(1, max_rows + 1))
                for _ in range(k):
                    prev = rho * prev + rng.normal(0, 1)
                    y = 10 + ue + 0.5 * treated_unit[u] + 0.8 * post + eff * treated_unit[u] * post + prev
                    rows_u.append(u)
                    rows_t.append(int(treated_unit[u]))
                    rows_p.append(post)
                    rows_y.append(round(float(y), 5))
        i += 1
        unit = np.array(rows_u)
        tr = np.array(rows_t, dtype=float)
        po = np.array(rows_p, dtype=float)
        y = np.array(rows_y)
        # identifiability: all four cells, at least 2 clusters, and N > 4
        cells = {(a, b) for a, b in zip(rows_t, rows_p)}
        if len(cells) < 4 or len(np.unique(unit)) < 2 or len(y) <= 5:
            continue
        X = np.column_stack([np.ones(len(y)), tr, po, tr * po])
        if np.linalg.matrix_rank(X) < 4:
            continue
        alpha = pick_alpha(rng)
        f0 = sm.OLS(y, X).fit()
        fc = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": unit})
        ft = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": unit}, use_t=True)
        G = len(np.unique(unit))
        # cross-check the documented inference conventions
        tv = ft.tvalues[3]
        assert np.isclose(ft.pvalues[3], 2 * stats.t.sf(abs(tv), G - 1), rtol=1e-12, atol=0)
        assert np.isclose(fc.pvalues[3], 2 * stats.norm.sf(abs(fc.tvalues[3])), rtol=1e-12, atol=0)
        ex = {
            "n_obs": len(y), "n_groups": G,
            "nonrobust": dict(_fit_summary(f0, 3, alpha, "tvalue"), df_resid=float(f0.df_resid)),
            "cluster": dict(_fit_summary(fc, 3, alpha, "zvalue"),
                            params=[float(v) for v in fc.params],
                            cov_params=[[float(v) for v in row] for row in fc.cov_params()]),
            "cluster_t": dict(_fit_summary(ft, 3, alpha, "tvalue"), df=G - 1),
        }
        cases.append({
            "id": f"{kind}-{len(cases)}",
            "inputs": {"unit": rows_u, "treated": rows_t, "post": rows_p, "y": rows_y, "alpha": alpha},
            "expected": ex,
        })
    write("did", seed, cases)
    return cases


# =============================================================================== 6. twfe
def twfe_design(unit, period, d):
    us = np.unique(unit)
    ts = np.unique(period)
    cols = [np.ones(len(unit)), d.astype(float)]
    cols += [(unit == u).astype(float) for u in us[1:]]
    cols += [(period == t).astype(float) for t in ts[1:]]
    return np.column_stack(cols)


def gen_twfe():
    seed = 20260606
    rng = np.random.default_rng(seed)
    cases = []
    i = 0
    while len(cases) < 220:
        kind = ("staggered", "common", "unbalanced", "staggered-never", "small")[i % 5]
        i += 1
        if kind == "small":
            U, T = int(rng.integers(3, 7)), int(rng.integers(2, 6))
        else:
            U, T = int(rng.integers(3, 81)), int(rng.integers(2, 21))
        # adoption period per unit (T = never treated)
        if kind == "common":
            start = int(rng.integers(1, T))
            adopt = np.where(rng.random(U) < 0.5, start, T)
        else:
            adopt = rng.integers(1, T + 1, U)
            if kind == "staggered-never":
                adopt[rng.random(U) < 0.3] = T
        unit_fe = rng.normal(0, 2, U)
        time_fe = rng.normal(0, 1, T)
        eff = rng.normal(0, 1)
        rho = rng.uniform(0, 0.8)
        rows = []
        for u in range(U):
            e = 0.0
            for t in range(T):
                e = rho * e + rng.normal(0, 1)
                if kind == "unbalanced" and rng.random() < 0.2:
                    continue
                d = int(t >= adopt[u])
                y = 5 + unit_fe[u] + time_fe[t] + eff * d + e
                rows.append((u, t, round(float(y), 5), d))
        if len(rows) < 6:
            continue
        unit = np.array([r[0] for r in rows])
        period = np.array([r[1] for r in rows])
        y = np.array([r[2] for r in rows])
        d = np.array([r[3] for r in rows])
        X = twfe_design(unit, period, d)
        K = X.shape[1]
        G = len(np.unique(unit))
        if G < 3 or len(y) <= K or np.linalg.matrix_rank(X) < K:
            continue
        alpha = pick_alpha(rng)
        f0 = sm.OLS(y, X).fit()
        fc = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": unit})
        ft = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": unit}, use_t=True)
        assert int(round(f0.df_model)) + 1 == K
        ex = {
            "nobs": int(f0.nobs), "k_params": int(round(f0.df_model)) + 1, "n_groups": G,
            "nonrobust": dict(_fit_summary(f0, 1, alpha, "tvalue"), df_resid=float(f0.df_resid)),
            "cluster": _fit_summary(fc, 1, alpha, "zvalue"),
            "cluster_t": dict(_fit_summary(ft, 1, alpha, "tvalue"), df=G - 1),
        }
        cases.append({
            "id": f"{kind}-{len(cases)}",
            "inputs": {"unit": unit.tolist(), "period": period.tolist(), "y": y.tolist(),
                       "d": d.tolist(), "alpha": alpha},
            "expected": ex,
        })
    write("twfe", seed, cases)
    return cases


# ============================================================================== 7. ratio
def delta_arm(y, x):
    n = len(y)
    my, mx = np.mean(y), np.mean(x)
    R = my / mx
    vy, vx = np.var(y, ddof=1), np.var(x, ddof=1)
    cxy = np.cov(y, x, ddof=1)[0, 1]
    var = (vy - 2 * R * cxy + R**2 * vx) / (n * mx**2)
    return dict(n=n, mean_y=my, mean_x=mx, var_y=vy, var_x=vx, cov_yx=cxy, ratio=R,
                var_ratio=var, se_ratio=np.sqrt(var))


def gen_ratio():
    seed = 20260707
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(270):
        kind = ("basket-size", "aov", "category-share")[i % 3]
        alpha = pick_alpha(rng)
        lift = rng.normal(0, 0.05)
        arms = {}
        for arm, mult in (("t", 1 + lift), ("c", 1.0)):
            n = int(round(loguniform(rng, 5, 3000)))
            if kind == "basket-size":  # y = items, x = baskets per unit
                x = rng.integers(1, 6, n)
                y = np.array([int(rng.poisson(3.0 * mult * xi)) + xi for xi in x])
            elif kind == "aov":  # y = revenue, x = orders per unit
                x = rng.integers(1, 5, n)
                y = np.round(np.array([rng.gamma(2.0, 25.0 * mult, xi).sum() for xi in x]), 2)
            else:  # y = category revenue, x = basket revenue per unit
                x = np.round(rng.lognormal(4, 0.8, n), 2) + 0.01
                share = np.clip(rng.beta(2, 6, n) * mult, 0, 1)
                y = np.round(x * share * (rng.random(n) < 0.8), 2)
            arms[arm] = (y, x)
        t = delta_arm(*arms["t"])
        c = delta_arm(*arms["c"])
        D = t["ratio"] - c["ratio"]
        se_D = np.sqrt(t["var_ratio"] + c["var_ratio"])
        z = D / se_D
        q = stats.norm.isf(alpha / 2)
        rr = t["ratio"] / c["ratio"]
        L = rr - 1
        se_L = rr * np.sqrt(t["var_ratio"] / t["ratio"] ** 2 + c["var_ratio"] / c["ratio"] ** 2)
        ex = {
            "treatment": t, "control": c,
            "diff": D, "se_diff": se_D, "z": z, "pvalue": 2 * stats.norm.sf(abs(z)),
            "z_crit": q, "ci_diff": [D - q * se_D, D + q * se_D],
            "rel_lift": L, "se_rel_lift": se_L, "ci_rel_lift": [L - q * se_L, L + q * se_L],
        }
        cases.append({
            "id": f"{kind}-{i}",
            "inputs": {"y_t": arms["t"][0].tolist(), "x_t": arms["t"][1].tolist(),
                       "y_c": arms["c"][0].tolist(), "x_c": arms["c"][1].tolist(),
                       "alpha": alpha},
            "expected": ex,
        })
    write("ratio", seed, cases)
    return cases


# ================================================================================ 8. ccf
def gen_ccf():
    seed = 20260808
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(270):
        kind = ("lagged", "trend", "white-noise", "seasonal", "short")[i % 5]
        n = int(rng.integers(8, 16)) if kind == "short" else int(round(loguniform(rng, 8, 400)))
        if kind == "lagged":
            lag = int(rng.integers(0, min(n - 1, 10) + 1))
            x = rng.gamma(2.0, 50.0, n + lag)
            y = 100 + 0.8 * np.roll(x, lag)[lag:] + rng.normal(0, 30, n)
            x = x[lag:]
        elif kind == "trend":
            tt = np.arange(n)
            x = 5 + 0.3 * tt + rng.normal(0, 2, n)
            y = 50 - 0.1 * tt + 0.5 * x + rng.normal(0, 3, n)
        elif kind == "seasonal":
            tt = np.arange(n)
            x = 10 + 3 * np.sin(2 * np.pi * tt / 7) + rng.normal(0, 1, n)
            y = 20 + 2 * np.sin(2 * np.pi * (tt - 2) / 7) + rng.normal(0, 1, n)
        else:
            x = rng.normal(0, 1, n)
            y = rng.normal(0, 1, n)
        x, y = np.round(x, 6), np.round(y, 6)
        L = int(rng.integers(1, min(n - 1, 30) + 1))
        alpha = pick_alpha(rng)
        r1 = ccf(x, y, adjusted=True, fft=False, nlags=L, alpha=alpha)
        r2 = ccf(y, x, adjusted=True, fft=False, nlags=L, alpha=alpha)
        # cross-check the documented formula
        xs, ys = x - x.mean(), y - y.mean()
        manual = np.array([np.dot(xs[k:], ys[: n - k]) / (n - k) for k in range(L)]) / (
            np.std(x) * np.std(y))
        assert np.allclose(manual, r1.ccf, rtol=1e-10, atol=1e-13), (i, manual, r1.ccf)
        assert len(r1.ccf) == L
        cases.append({
            "id": f"{kind}-{i}",
            "inputs": {"x": x.tolist(), "y": y.tolist(), "nlags": L, "alpha": alpha},
            "expected": {
                "ccf_xy": r1.ccf, "confint_xy": r1.confint,
                "ccf_yx": r2.ccf, "confint_yx": r2.confint,
            },
        })
    write("ccf", seed, cases)
    return cases


FAMILIES = {
    "proportions": gen_proportions, "power": gen_power, "welch": gen_welch, "did": gen_did,
    "twfe": gen_twfe, "cuped": gen_cuped, "ratio": gen_ratio, "ccf": gen_ccf,
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    print("anchors: " + ", ".join(f"{k} {v}" for k, v in ANCHORS.items()), file=sys.stderr)
    wanted = sys.argv[1:] or list(FAMILIES)
    for name in wanted:
        FAMILIES[name]()
