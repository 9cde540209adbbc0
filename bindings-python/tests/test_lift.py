"""Lift from Python (``ces.lift``): the binding's numbers against the statsmodels / SciPy golden
files (a subset of every family: the core's own tests cover every case, these prove the
conversions are faithful), every input form giving identical results, frozen results and
``to_dict``, typed errors naming the argument, the batch with failing rows and its progress,
and campaign lift from a synthetic exposure/transaction table with an injected effect."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pytest

import ces
from ces import lift

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "lift"
REL = 1e-9
EPS = float(np.finfo(np.float64).eps)
#: At least this many cases of every golden family are checked.
PER_FAMILY = 60


# ---------------------------------------------------------------------------------------
# Golden files.


def load(family: str) -> list[dict[str, Any]]:
    path = FIXTURES / f"{family}.json"
    if not path.exists():
        pytest.fail(f"missing golden file {path} (scripts/lift-anchors.sh)")
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


def subset(cases: list[dict[str, Any]], n: int = PER_FAMILY) -> list[dict[str, Any]]:
    """Every k-th case (so every kind of case is represented), at least ``n`` of them."""
    step = max(1, len(cases) // n)
    picked = cases[::step]
    assert len(picked) >= min(n, len(cases))
    return picked


def num(v: Any) -> Optional[float]:
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(v)
    if v is None:
        return None
    return float(v)


class Close:
    """|got − want| ≤ REL·max(|got|, |want|, scale); infinities must match exactly."""

    def __init__(self) -> None:
        self.checked = 0

    def __call__(self, what: str, got: float, want: Any, scale: float = 0.0) -> None:
        w = num(want)
        assert w is not None, f"{what}: anchor has no value"
        self.checked += 1
        if math.isinf(w) or math.isinf(got):
            assert got == w, f"{what}: got {got!r}, anchor {w!r}"
            return
        if math.isnan(w):
            assert math.isnan(got), f"{what}: got {got!r}, anchor nan"
            return
        err = 0.0 if got == w else abs(got - w) / max(abs(got), abs(w), scale)
        assert err <= REL, f"{what}: got {got!r}, anchor {w!r}, rel err {err:.3e}"


ALTERNATIVES = ("two-sided", "larger", "smaller")


def test_golden_proportions() -> None:
    close = Close()
    cases = subset(load("proportions"))
    for case in cases:
        cid, i, e = case["id"], case["inputs"], case["expected"]
        conf = 1 - i["alpha"]
        t, c = (i["n_t"], i["count_t"]), (i["n_c"], i["count_c"])
        for a in ALTERNATIVES:
            r = lift.conversion_lift(t, c, confidence=conf, alternative=a, fisher="never")
            z = e["ztest_pooled"][a]
            s = num(z["statistic"])
            if s is not None and math.isfinite(s):
                close(f"{cid} pooled z {a}", r.pooled_z.statistic, s)
                close(f"{cid} pooled p {a}", r.pooled_z.p_value, z["pvalue"])
            assert r.pooled_z.alternative == a and r.fisher is None
        r = lift.conversion_lift(t, c, confidence=conf)
        for key, test in (("wald_test", r.wald_z), ("score_test", r.score_z)):
            s = num(e[key]["statistic"])
            if s is not None and math.isfinite(s):
                close(f"{cid} {key} z", test.statistic, s)
                close(f"{cid} {key} p", test.p_value, e[key]["pvalue"])
        diff = {iv.method: iv for iv in r.difference_intervals}
        ratio = {iv.method: iv for iv in r.ratio_intervals}
        assert list(diff) == ["wald", "agresti_caffo", "newcomb", "score"]
        assert list(ratio) == ["log", "log_adjusted", "score"]
        for key, m in (("wald", "wald"), ("agresti-caffo", "agresti_caffo"), ("newcomb", "newcomb")):
            lo, hi = (num(v) for v in e["ci_diff"][key])
            if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
                close(f"{cid} diff {key} low", diff[m].low, lo)
                close(f"{cid} diff {key} high", diff[m].high, hi)
        for key, m in (("log", "log"), ("log-adjusted", "log_adjusted")):
            b = e["ci_ratio"][key]
            if b is None:
                continue
            lo, hi = (num(v) for v in b)
            if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
                close(f"{cid} ratio {key} low", ratio[m].low, lo)
                close(f"{cid} ratio {key} high", ratio[m].high, hi)
        # The score interval of the difference: statsmodels' score test with the corrected
        # restricted MLE, evaluated in high precision and inverted (as the core's own test).
        refined = e["score_diff_exact"]
        close(f"{cid} diff score low", diff["score"].low, refined["lower"])
        close(f"{cid} diff score high", diff["score"].high, refined["upper"])
        refined = e["score_ratio_refined"]
        for side, got in (("lower", ratio["score"].low), ("upper", ratio["score"].high)):
            if num(refined[side]) is not None:
                close(f"{cid} ratio score {side}", got, refined[side])
        # The configured intervals are the named ones.
        assert r.difference_interval == diff["newcomb"]
        assert r.relative_lift_interval.method == "log_adjusted"
        assert r.relative_lift_interval.low == pytest.approx(ratio["log_adjusted"].low - 1, abs=0)
        assert r.confidence == conf
    assert close.checked > 20 * len(cases)


def test_golden_power() -> None:
    close = Close()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for case in load("power"):
        by_kind.setdefault(case["kind"], []).append(case)
    assert set(by_kind) == {"prop_power", "cont_power", "prop_mde", "cont_mde", "prop_nobs", "cont_nobs"}
    picked = [c for cases in by_kind.values() for c in subset(cases, 12)]
    assert len(picked) >= PER_FAMILY
    for case in picked:
        cid, kind, i, e = case["id"], case["kind"], case["inputs"], case["expected"]
        kw = dict(confidence=1 - i["alpha"], alternative=i["alternative"])
        if kind == "prop_power":
            n = i["nobs1"]
            p = lift.power_proportions(i["prop2"], i["diff"], n, n * i["ratio"], **kw)
            close(f"{cid} power", p.power, e["power"])
            close(f"{cid} std_null", p.std_null, e["std_null"])
            close(f"{cid} std_alt", p.std_alternative, e["std_alt"])
            assert (p.method, p.alternative) == ("normal_power", i["alternative"])
        elif kind == "cont_power":
            n = i["nobs1"]
            p = lift.power_means(i["diff"], i["sd_t"], i["sd_c"], n, n * i["ratio"], **kw)
            close(f"{cid} power", p.power, e["power"])
            close(f"{cid} std", p.std_null, e["std"])
        elif kind == "prop_mde":
            n = i["nobs1"]
            if num(e["mde"]) is None:
                with pytest.raises(ces.InvalidArgumentError) as err:
                    lift.mde_proportions(i["prop2"], n, n * i["ratio"], power=i["power_target"], **kw)
                assert err.value.field == "power"
            else:
                m = lift.mde_proportions(i["prop2"], n, n * i["ratio"], power=i["power_target"], **kw)
                close(f"{cid} mde", m.absolute, e["mde"])
        elif kind == "cont_mde":
            n = i["nobs1"]
            m = lift.mde_means(1.0, i["sd_t"], i["sd_c"], n, n * i["ratio"], power=i["power_target"], **kw)
            close(f"{cid} mde", m.absolute, e["mde"])
        elif kind == "prop_nobs":
            s = lift.sample_size_proportions(
                i["prop2"], i["diff"], ratio=i["ratio"], power=i["power_target"], **kw
            )
            close(f"{cid} nobs1", s.n_treatment_exact, e["nobs1"])
            assert s.n_treatment == e["nobs1_ceil"] and isinstance(s.n_treatment, int)
            assert s.total == s.n_treatment + s.n_control
        else:
            s = lift.sample_size_means(
                i["diff"], i["sd_t"], i["sd_c"], ratio=i["ratio"], power=i["power_target"], **kw
            )
            close(f"{cid} nobs1", s.n_treatment_exact, e["nobs1"])
            assert s.n_treatment == e["nobs1_ceil"]


def check_welch(close: Close, cid: str, w: lift.Welch, e: dict[str, Any], a: str) -> None:
    """Welch's test against SciPy, as the core's golden test compares it: SciPy subtracts two
    double-precision means, so where ``ε·(|m_a| + |m_b|)/|m_a − m_b|`` makes its own precision
    coarser than 1e-9 the tolerance is SciPy's (8ε·cond; × (1 + t²) for the p-value)."""
    inf, x = w.inference, e[a]
    ma, mb = e["mean_a"], e["mean_b"]
    tol = max(8 * EPS * (abs(ma) + abs(mb)) / abs(ma - mb), REL) if ma != mb else REL
    t = num(x["statistic"])
    assert t is not None
    if tol > REL:
        assert inf.statistic == pytest.approx(t, rel=tol), f"{cid} {a} t"
        assert inf.p_value == pytest.approx(num(x["pvalue"]), rel=tol * (1 + t * t)), f"{cid} {a} p"
        slack = 8 * EPS * (abs(ma) + abs(mb))
        for got, want in ((inf.interval.low, num(x["ci_low"])), (inf.interval.high, num(x["ci_high"]))):
            assert want is not None
            if math.isfinite(want):
                assert abs(got - want) <= slack + REL * abs(want), f"{cid} {a} interval"
            else:
                assert got == want
    else:
        close(f"{cid} {a} t", inf.statistic, x["statistic"])
        close(f"{cid} {a} p", inf.p_value, x["pvalue"])
        close(f"{cid} {a} low", inf.interval.low, x["ci_low"])
        close(f"{cid} {a} high", inf.interval.high, x["ci_high"])
    close(f"{cid} {a} df", inf.df, x["df"])
    assert inf.alternative == a


def test_golden_welch() -> None:
    close = Close()
    for n, case in enumerate(subset(load("welch"))):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        # Alternate the input forms: the values must not depend on them.
        a, b = (np.asarray(i["a"], dtype=np.float64), i["b"]) if n % 2 else (i["a"], pa.array(i["b"]))
        for alt in ALTERNATIVES:
            s = num(e[alt]["statistic"])
            if s is None or not math.isfinite(s):
                continue
            w = lift.welch(a, b, confidence=1 - i["alpha"], alternative=alt)
            exact = e["exact"]  # the exact (rational) values, to 1e-9 in every case
            close(f"{cid} exact diff", w.inference.estimate, exact["mean_diff"])
            close(f"{cid} exact t", w.inference.statistic, exact["statistic"])
            close(f"{cid} exact df", w.inference.df, exact["df"])
            close(f"{cid} mean_a", w.treatment.mean, e["mean_a"])
            close(f"{cid} var_b", w.control.variance, e["var_b"])
            check_welch(close, cid, w, e, alt)
            assert w.inference.interval.method == "welch_t"
            # From the summaries (rounded means: the difference is exact only from the samples).
            summary = lift.welch_from_summary(w.treatment, w.control, confidence=1 - i["alpha"], alternative=alt)
            assert (summary.treatment, summary.control) == (w.treatment, w.control)
            assert summary.inference.std_error == pytest.approx(w.inference.std_error, rel=1e-12)
            assert summary.inference.df == pytest.approx(w.inference.df, rel=1e-12)
            slack = 8 * EPS * (abs(w.treatment.mean) + abs(w.control.mean))
            assert abs(summary.inference.estimate - w.inference.estimate) <= slack
    assert close.checked >= 5 * PER_FAMILY


def test_golden_cuped_and_ancova() -> None:
    close = Close()
    for case in subset(load("cuped")):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        y, x = np.asarray(i["y"]), np.asarray(i["x"])
        treated = [v != 0 for v in i["treated"]]
        conf = 1 - i["alpha"]
        two_sided = None
        for alt in ALTERNATIVES:
            r = lift.cuped(y, x, treated, confidence=conf, alternative=alt)
            if alt == "two-sided":
                two_sided = r
            close(f"{cid} theta", r.theta, e["theta"])
            close(f"{cid} variance_reduction", r.variance_reduction, e["variance_reduction"])
            close(f"{cid} mean_diff_adj", r.adjusted.inference.estimate, e["mean_diff_adj"])
            check_welch(close, cid, r.adjusted, e["welch_adj"], alt)
            assert r.adjusted.inference.interval.method == "cuped"
        a = lift.ancova(y, x, i["treated"], confidence=conf)
        assert two_sided is not None and a == two_sided.ancova
        for got, want, stat in ((a.classical, e["ancova"], "tvalue"), (a.hc1, e["ancova_hc1"], "zvalue")):
            close(f"{cid} coef", got.estimate, want["coef"])
            close(f"{cid} bse", got.std_error, want["bse"])
            close(f"{cid} stat", got.statistic, want[stat])
            close(f"{cid} p", got.p_value, want["pvalue"])
            close(f"{cid} lo", got.interval.low, want["conf_int"][0])
            close(f"{cid} hi", got.interval.high, want["conf_int"][1])
        close(f"{cid} df_resid", a.df_resid, e["ancova"]["df_resid"])
        assert a.hc1.df == math.inf and a.classical.df == a.df_resid
        assert (a.classical.interval.method, a.hc1.interval.method) == ("ancova_ols", "ancova_hc1")


DID_CONFIGS = (
    ("cluster_t", dict(covariance="cluster", reference="t"), "tvalue", "ols_cluster"),
    ("cluster", dict(covariance="cluster", reference="normal"), "zvalue", "ols_cluster"),
    ("nonrobust", dict(covariance="classical", reference="t"), "tvalue", "ols"),
)


def check_summary(close: Close, cid: str, got: lift.Inference, want: dict[str, Any], stat: str) -> None:
    scale = abs(got.estimate) + abs(got.interval.high - got.estimate)
    close(f"{cid} coef", got.estimate, want["coef"])
    close(f"{cid} bse", got.std_error, want["bse"])
    close(f"{cid} {stat}", got.statistic, want[stat])
    close(f"{cid} pvalue", got.p_value, want["pvalue"])
    close(f"{cid} ci_low", got.interval.low, want["conf_int"][0], scale)
    close(f"{cid} ci_high", got.interval.high, want["conf_int"][1], scale)


def check_df(close: Close, cid: str, tag: str, got: lift.Inference, want: dict[str, Any]) -> None:
    if tag == "cluster":
        assert got.df == math.inf
    elif tag == "cluster_t":
        close(f"{cid} df", got.df, want["df"])
    else:
        close(f"{cid} df_resid", got.df, want["df_resid"])


def test_golden_did_2x2() -> None:
    close = Close()
    for n, case in enumerate(subset(load("did"))):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        conf = 1 - i["alpha"]
        # Column form and table form (with renamed columns) alternate.
        for tag, kw, stat, method in DID_CONFIGS:
            if n % 2:
                r = lift.did_2x2(i["unit"], i["treated"], i["post"], i["y"], confidence=conf, **kw)
            else:
                table = pa.table({"store": i["unit"], "t": i["treated"], "p": i["post"], "sales": i["y"]})
                r = lift.did_2x2(
                    table,
                    columns={"unit": "store", "treated": "t", "post": "p", "y": "sales"},
                    confidence=conf,
                    **kw,
                )
            check_summary(close, f"{cid} {tag}", r.effect, e[tag], stat)
            check_df(close, cid, tag, r.effect, e[tag])
            assert r.effect.interval.method == method
            assert (r.n_obs, r.n_clusters) == (e["n_obs"], e["n_groups"])
            for k, (got, want) in enumerate(zip(r.params, e["cluster"]["params"])):
                close(f"{cid} param {k}", got, want, abs(r.params[0]) + abs(got))
            close(f"{cid} classical se", r.classical_std_error, e["nonrobust"]["bse"])
            close(f"{cid} cluster se", r.cluster_std_error, e["cluster"]["bse"])


def test_golden_did_panel() -> None:
    close = Close()
    for n, case in enumerate(subset(load("twfe"))):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        conf = 1 - i["alpha"]
        for tag, kw, stat, method in DID_CONFIGS:
            if n % 2:
                r = lift.did_panel(np.asarray(i["unit"]), i["period"], np.asarray(i["d"]) != 0, i["y"], confidence=conf, **kw)
            else:
                r = lift.did_panel(
                    pl.DataFrame({"unit": i["unit"], "period": i["period"], "treated": i["d"], "y": i["y"]}),
                    confidence=conf,
                    **kw,
                )
            check_summary(close, f"{cid} {tag}", r.effect, e[tag], stat)
            check_df(close, cid, tag, r.effect, e[tag])
            assert r.effect.interval.method == method
            assert (r.n_obs, r.n_params, r.n_clusters) == (e["nobs"], e["k_params"], e["n_groups"])


def test_golden_ratio() -> None:
    close = Close()
    for case in subset(load("ratio")):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        r = lift.ratio_metric(i["y_t"], i["x_t"], np.asarray(i["y_c"], dtype=float), pa.array(i["x_c"]),
                              confidence=1 - i["alpha"], bootstrap=None)  # fmt: skip
        assert r.bootstrap is None
        for arm, got in (("treatment", r.treatment), ("control", r.control)):
            want = e[arm]
            assert got.n == want["n"]
            close(f"{cid} {arm} ratio", got.ratio, want["ratio"])
            close(f"{cid} {arm} se", got.std_error, want["se_ratio"])
            close(f"{cid} {arm} mean_y", got.numerator_sum / got.n, want["mean_y"])
            close(f"{cid} {arm} mean_x", got.denominator_sum / got.n, want["mean_x"])
        d, l = r.difference, r.relative_lift
        assert (d.df, d.interval.method) == (math.inf, "delta_method")
        close(f"{cid} diff", d.estimate, e["diff"])
        close(f"{cid} se_diff", d.std_error, e["se_diff"])
        close(f"{cid} z", d.statistic, e["z"])
        close(f"{cid} p", d.p_value, e["pvalue"])
        s = abs(d.estimate) + abs(d.interval.high - d.estimate)
        close(f"{cid} ci low", d.interval.low, e["ci_diff"][0], s)
        close(f"{cid} ci high", d.interval.high, e["ci_diff"][1], s)
        close(f"{cid} rel", l.estimate, e["rel_lift"])
        close(f"{cid} se_rel", l.std_error, e["se_rel_lift"])
        s = abs(l.estimate) + abs(l.interval.high - l.estimate)
        close(f"{cid} rel low", l.interval.low, e["ci_rel_lift"][0], s)
        close(f"{cid} rel high", l.interval.high, e["ci_rel_lift"][1], s)


def test_golden_ccf() -> None:
    close = Close()
    for case in subset(load("ccf")):
        cid, i, e = case["id"], case["inputs"], case["expected"]
        nlags = i["nlags"]
        r = lift.ccf(np.asarray(i["x"]), pl.Series(i["y"]), nlags - 1, confidence=1 - i["alpha"])
        assert r.lags.dtype == np.int64 and r.values.dtype == np.float64
        assert r.lags.tolist() == list(range(-(nlags - 1), nlags))
        assert r.n == len(i["x"])
        for lag, v in zip(r.lags.tolist(), r.values.tolist()):
            want = e["ccf_xy"][-lag] if lag < 0 else e["ccf_yx"][lag]
            close(f"{cid} lag {lag}", v, want, 1.0)
        c = e["confint_xy"][0]
        close(f"{cid} band", r.band, (c[1] - c[0]) / 2)
        assert r.significant_lags == tuple(k for k, v in zip(r.lags.tolist(), r.values.tolist()) if abs(v) > r.band)


def test_golden_fisher() -> None:
    # Rows [a, b, c, d, alternative (SciPy's name), odds ratio, p-value] of SciPy's
    # fisher_exact([[a, b], [c, d]], alternative).
    close = Close()
    path = FIXTURES / "fisher.json"
    if not path.exists():
        pytest.fail(f"missing golden file {path}")
    cases = subset(json.loads(path.read_text(encoding="utf-8"))["cases"], 3 * PER_FAMILY)
    ours = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}
    for a, b, c, d, alt, odds, p in cases:
        table = np.array([[a, b], [c, d]], dtype=np.int64) if a % 2 else [[a, b], [c, d]]
        r = lift.fisher_exact(table, alternative=ours[alt])
        close(f"{[a, b, c, d]} {alt} odds", r.odds_ratio, odds)
        close(f"{[a, b, c, d]} {alt} p", r.p_value, p)
        assert r.alternative == ours[alt]


# ---------------------------------------------------------------------------------------
# Input forms.

SAMPLE_T = [5.1, 4.9, 5.6, 5.8, 6.0, 5.2, 4.7]
SAMPLE_C = [4.1, 4.4, 4.0, 4.6, 4.3, 4.9]


def forms(values: list[Any]) -> list[Any]:
    """The same column as a list, a tuple, NumPy, pyarrow (array and two chunks), pandas and
    polars."""
    half = len(values) // 2
    return [
        values,
        tuple(values),
        np.asarray(values),
        pa.array(values),
        pa.chunked_array([values[:half], values[half:]]),
        pd.Series(values),
        pl.Series(values),
    ]


def test_every_input_form_gives_identical_results() -> None:
    base = lift.welch(SAMPLE_T, SAMPLE_C)
    for t, c in zip(forms(SAMPLE_T), forms(SAMPLE_C)):
        assert lift.welch(t, c) == base, type(t)
    ints = [3, 5, 2, 8, 4, 6]
    assert lift.welch(np.asarray(ints, dtype=np.int32), SAMPLE_C) == lift.welch([float(v) for v in ints], SAMPLE_C)
    assert lift.welch(np.asarray(SAMPLE_T, dtype=np.float32), SAMPLE_C) == lift.welch(
        [float(np.float32(v)) for v in SAMPLE_T], SAMPLE_C
    )

    rng = np.random.default_rng(7)
    x = rng.normal(10, 2, 200)
    y = x * 0.8 + rng.normal(0, 1, 200)
    treated = rng.random(200) < 0.5
    y[treated] += 0.5
    base_c = lift.cuped(y, x, treated)
    for yy, xx, tt in zip(forms(y.tolist()), forms(x.tolist()), forms(treated.tolist())):
        assert lift.cuped(yy, xx, tt) == base_c, type(yy)
    assert lift.cuped(y, x, treated.astype(np.int64)) == base_c  # 0/1 flags

    num_t, den_t = rng.integers(1, 20, 50).tolist(), rng.integers(1, 5, 50).tolist()
    num_c, den_c = rng.integers(1, 20, 40).tolist(), rng.integers(1, 5, 40).tolist()
    base_r = lift.ratio_metric(num_t, den_t, num_c, den_c, bootstrap=200, seed=3)
    for a, b, c, d in zip(forms(num_t), forms(den_t), forms(num_c), forms(den_c)):
        assert lift.ratio_metric(a, b, c, d, bootstrap=200, seed=3) == base_r, type(a)

    e = [0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    s = [5.0, 5.0, 7.0, 5.0, 5.0, 9.0, 5.0, 5.0, 7.0, 5.0]
    base_ccf = lift.ccf(e, s, 2)
    for ee, ss in zip(forms(e), forms(s)):
        assert lift.ccf(ee, ss, 2) == base_ccf

    # Conversion arms: Arm, dict, tuple, list; ints, floats and NumPy scalars.
    want = lift.conversion_lift(lift.Arm(1000, 56, 2800.0), lift.Arm(1000, 50, 2500.0))
    for t in [
        {"users": 1000, "conversions": 56, "revenue": 2800.0},
        (1000, 56, 2800.0),
        [1000.0, 56.0, 2800],
        (np.int64(1000), np.int32(56), np.float64(2800.0)),
    ]:
        assert lift.conversion_lift(t, (1000, 50, 2500.0)) == want


def did_rows() -> dict[str, list[Any]]:
    rng = np.random.default_rng(11)
    rows: dict[str, list[Any]] = {"unit": [], "period": [], "treated": [], "post": [], "y": []}
    for u in range(12):
        base = rng.normal(50, 10)
        for p in range(6):
            post = p >= 3
            treated = u < 5
            rows["unit"].append(f"store-{u:02d}")
            rows["period"].append(dt.date(2025, 1, 6) + dt.timedelta(weeks=p))
            rows["treated"].append(treated)
            rows["post"].append(post)
            rows["y"].append(float(base + p + (4.0 if treated and post else 0.0) + rng.normal(0, 1)))
    return rows


def test_did_unit_ids_any_kind_and_any_row_order() -> None:
    rows = did_rows()
    base = lift.did_2x2(rows["unit"], rows["treated"], rows["post"], rows["y"])
    assert base.effect.estimate == pytest.approx(4.0, abs=1.5)
    assert base.n_clusters == 12 and base.cell_counts == ((21, 21), (15, 15))
    order = np.random.default_rng(5).permutation(len(rows["y"]))
    shuffled = {k: [v[i] for i in order] for k, v in rows.items()}
    # String ids are coded by sorted order: the result does not depend on the row order.
    assert lift.did_2x2(shuffled["unit"], shuffled["treated"], shuffled["post"], shuffled["y"]) == base
    # Integer ids in the same order as the strings give the same codes' order: same result.
    ints = [int(u.split("-")[1]) * 7 - 30 for u in rows["unit"]]
    assert lift.did_2x2(ints, rows["treated"], rows["post"], rows["y"]) == base
    # Every table form, and a dictionary-encoded (categorical) unit column.
    table = pa.table(rows)
    for data in [table, table.to_pandas(), pl.from_arrow(table), rows, table.to_pylist()]:
        assert lift.did_2x2(data) == base, type(data)
    cat = table.set_column(0, "unit", table.column("unit").dictionary_encode())
    assert lift.did_2x2(cat) == base

    panel_rows = dict(rows, treated=[t and p for t, p in zip(rows["treated"], rows["post"])])
    panel = lift.did_panel(panel_rows["unit"], panel_rows["period"], panel_rows["treated"], panel_rows["y"])
    assert (panel.n_units, panel.n_periods, panel.treated_obs) == (12, 6, 15)
    shuffled = {k: [v[i] for i in order] for k, v in panel_rows.items()}
    assert lift.did_panel(shuffled["unit"], shuffled["period"], shuffled["treated"], shuffled["y"]) == panel
    # Periods as ints, strings or timestamps: the same categories.
    for periods in (
        [(d - dt.date(2025, 1, 6)).days for d in panel_rows["period"]],
        [d.isoformat() for d in panel_rows["period"]],
        pa.array([dt.datetime.combine(d, dt.time(), dt.timezone.utc) for d in panel_rows["period"]]),
    ):
        got = lift.did_panel(panel_rows["unit"], periods, panel_rows["treated"], panel_rows["y"])
        assert got.effect.estimate == pytest.approx(panel.effect.estimate, rel=1e-12)
        assert got.effect.std_error == pytest.approx(panel.effect.std_error, rel=1e-12)


# ---------------------------------------------------------------------------------------
# Results: frozen dataclasses, to_dict.

CORE_CONVERSION_FIELDS = [
    "treatment", "control", "treatment_rate", "control_rate", "absolute_lift", "relative_lift",
    "incremental_conversions", "incremental_revenue", "spend", "iroas",
    "cost_per_incremental_conversion", "pooled_z", "wald_z", "score_z", "fisher", "test",
    "significant", "difference_interval", "relative_lift_interval", "difference_intervals",
    "ratio_intervals", "confidence",
]  # fmt: skip


def test_conversion_lift_fields_and_values() -> None:
    r = lift.conversion_lift((10_000, 560, 28_000.0), (10_000, 500, 25_000.0), spend=1_500.0)
    assert [f.name for f in dataclasses.fields(r)] == CORE_CONVERSION_FIELDS
    assert r.treatment == lift.Arm(10_000, 560, 28_000.0)
    assert r.absolute_lift == pytest.approx(0.006, abs=1e-15)
    assert (r.incremental_conversions, r.incremental_revenue, r.iroas) == (60.0, 3000.0, 2.0)
    assert r.cost_per_incremental_conversion == 25.0
    assert (r.pooled_z.method, r.wald_z.method, r.score_z.method) == ("pooled_z", "wald_z", "score_z")
    assert r.test == r.pooled_z and r.fisher is None
    assert r.significant == (r.test.p_value < 0.05)
    assert isinstance(r.difference_intervals, tuple) and isinstance(r.difference_intervals[0], lift.Interval)
    # Fisher's test runs on small counts (auto) and becomes the primary test.
    small = lift.conversion_lift((20, 5), (20, 1))
    assert small.fisher is not None and small.test.method == "fisher_exact"
    assert small.test.p_value == small.fisher.p_value and small.test.statistic == small.fisher.odds_ratio
    assert lift.conversion_lift((20, 5), (20, 1), fisher=False).fisher is None
    assert lift.conversion_lift((10_000, 560), (10_000, 500), fisher="always").fisher is not None
    # Every interval method can be chosen.
    for m in ("wald", "agresti_caffo", "newcomb", "score"):
        assert lift.conversion_lift((500, 60), (500, 40), difference_method=m).difference_interval.method == m
    for m in ("log", "log_adjusted", "score"):
        assert lift.conversion_lift((500, 60), (500, 40), ratio_method=m).relative_lift_interval.method == m
    assert set(lift.METHODS) >= {"pooled_z", "newcomb", "welch_t", "ols_cluster", "bootstrap"}


def test_results_are_frozen_and_to_dict_is_json() -> None:
    rows = did_rows()
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    results: list[Any] = [
        lift.conversion_lift((1000, 56, 10.0), (1000, 50, 9.0), spend=2.0),
        lift.conversion_lift((20, 5), (20, 1)),
        lift.power_proportions(0.05, 0.01, 1000, 1000),
        lift.power_from_se(1.0, 0.5),
        lift.mde_proportions(0.05, 10_000, 10_000),
        lift.mde_means(10.0, 2.0, 2.5, 1000, 1000),
        lift.sample_size_means(0.5, 2.0, 2.0),
        lift.welch(SAMPLE_T, SAMPLE_C, alternative="larger"),
        lift.cuped(x + rng.normal(size=50), x, [i % 2 == 0 for i in range(50)]),
        lift.did_2x2(rows),
        lift.ratio_metric([3, 5, 2, 8], [1, 2, 1, 3], [2, 4, 1, 6], [1, 2, 1, 3], bootstrap=100),
        lift.ccf([0.0, 1, 0, 0, 2, 0, 0, 1], [5.0, 5, 7, 5, 5, 9, 5, 6], 2),
        lift.fisher_exact([[3, 1], [1, 3]]),
    ]
    for r in results:
        assert dataclasses.is_dataclass(r)
        field = dataclasses.fields(r)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(r, field, 1)
        d = r.to_dict()
        text = json.dumps(d)  # JSON-friendly (NaN/inf as JSON's extensions)
        assert isinstance(json.loads(text), dict)
        assert list(d) == [f.name for f in dataclasses.fields(r) if not f.name.startswith("_")]
    conv = results[0].to_dict()
    assert conv["treatment"] == {"users": 1000, "conversions": 56, "revenue": 10.0}
    assert conv["difference_intervals"][0]["method"] == "wald"
    assert results[7].inference.interval.high == math.inf and results[7].inference.alternative == "larger"
    assert results[9].to_dict()["cell_counts"] == [[21, 21], [15, 15]]
    assert results[11].to_dict()["lags"] == [-2, -1, 0, 1, 2]
    assert results[3].n_treatment != results[3].n_treatment  # NaN: no group sizes
    boot = results[10].bootstrap
    assert boot is not None and boot.difference_interval.method == "bootstrap" and boot.resamples == 100


# ---------------------------------------------------------------------------------------
# Errors.


def test_bad_input_raises_typed_errors_naming_the_argument() -> None:
    def raises(exc: type[BaseException], call: Callable[[], object], field: Optional[str] = None,
               row: Optional[int] = None, text: Optional[str] = None) -> BaseException:  # fmt: skip
        with pytest.raises(exc) as info:
            call()
        err = info.value
        if field is not None:
            assert isinstance(err, ces.CesError) and err.field == field, (err, getattr(err, "field", None))
            assert err.row == row
            assert err.code in ces.ERROR_CODES
        if text is not None:
            assert text in str(err), str(err)
        return err

    # Arrays: None (null), NaN, wrong types, mismatched lengths.
    raises(ces.MissingValueError, lambda: lift.welch([1.0, None, 3.0], SAMPLE_C), "treatment", 1)
    raises(ces.MissingValueError, lambda: lift.welch(SAMPLE_T, pd.Series([1.0, np.nan, 2.0])), "control", 1)
    err = raises(ces.InvalidArgumentError, lambda: lift.welch([1.0, 2.0, math.nan], SAMPLE_C), "treatment", 2)
    assert err.value == "NaN"  # type: ignore[attr-defined]
    raises(ces.InvalidArgumentError, lambda: lift.welch(np.array([1.0, np.inf]), SAMPLE_C), "treatment", 1)
    raises(TypeError, lambda: lift.welch(["a", "b"], SAMPLE_C), text="`treatment`")
    raises(TypeError, lambda: lift.welch("abc", SAMPLE_C), text="`treatment`")
    raises(TypeError, lambda: lift.welch(SAMPLE_T, 3.0), text="`control`")
    raises(TypeError, lambda: lift.welch(SAMPLE_T, [True, False, True]), text="`control`")
    raises(ces.InvalidArgumentError, lambda: lift.welch([1.0], SAMPLE_C), "treatment")
    raises(ces.LengthMismatchError, lambda: lift.cuped([1.0, 2, 3, 4], [1.0, 2, 3], [True, False, True, False]))
    raises(ces.MissingValueError, lambda: lift.cuped([1.0, 2, 3, 4], [1.0, 2, 3, 4], [True, None, True, False]), "treated", 1)
    raises(ces.InvalidArgumentError, lambda: lift.cuped([1.0, 2, 3, 4], [1.0, 2, 3, 4], [1, 2, 0, 0]), "treated", 1)
    raises(TypeError, lambda: lift.cuped([1.0, 2, 3, 4], [1.0, 2, 3, 4], [0.5, 1.0, 0.0, 0.0]), text="`treated`")
    raises(ces.MissingValueError, lambda: lift.did_2x2([1, None, 2, 2], [1, 1, 0, 0], [0, 1, 0, 1], [1.0, 2, 3, 4]), "unit", 1)
    raises(TypeError, lambda: lift.did_2x2([1.5, 1.5, 2.0, 2.0], [1, 1, 0, 0], [0, 1, 0, 1], [1.0, 2, 3, 4]), text="`unit`")
    raises(TypeError, lambda: lift.did_2x2([1, 1, 2, 2], [1, 1, 0, 0], None, [1.0, 2, 3, 4]), text="`post`")
    raises(ces.InvalidArgumentError, lambda: lift.did_2x2({"unit": [1], "treated": [1], "post": [0]}), "y")
    raises(ces.InvalidArgumentError, lambda: lift.did_2x2(did_rows(), columns={"store": "unit"}), "columns")
    raises(ces.InvalidArgumentError, lambda: lift.did_2x2([1, 1], [1, 0], [0, 1], [1.0, 2.0], columns={"y": "y"}), "columns")
    raises(ces.InvalidArgumentError, lambda: lift.ratio_metric([1.0, 2], [1.0, -1], [1.0, 2], [1.0, 1]), "treatment.denominator", 1)
    raises(ces.InvalidArgumentError, lambda: lift.ccf([1.0, 2, 3], [3.0, 1, 2], -1), "max_lag")
    raises(TypeError, lambda: lift.ccf([1.0, 2, 3], [3.0, 1, 2], 1.5), text="`max_lag`")

    # Arms: negative n, counts > n, fractions, wrong types.
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((-5, 1), (10, 1)), "treatment.users")
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1), (10, 11)), "control.conversions")
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10.5, 1), (10, 1)), "treatment.users")
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1, -3.0), (10, 1)), "treatment.revenue")
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((0, 0), (10, 1)), "treatment.users")
    raises(TypeError, lambda: lift.conversion_lift((None, 1), (10, 1)), text="`treatment.users`")
    raises(TypeError, lambda: lift.conversion_lift(("10", 1), (10, 1)), text="`treatment.users`")
    raises(TypeError, lambda: lift.conversion_lift((True, 1), (10, 1)), text="`treatment.users`")
    raises(TypeError, lambda: lift.conversion_lift((10, 1), 5), text="`control`")
    raises(TypeError, lambda: lift.conversion_lift({"users": 10}, (10, 1)), text="`treatment`")

    # Options.
    for conf in (0.0, 1.0, 1.5, -0.1, math.nan):
        raises(ces.InvalidArgumentError, lambda c=conf: lift.conversion_lift((10, 1), (10, 2), confidence=c), "confidence")
        raises(ces.InvalidArgumentError, lambda c=conf: lift.welch(SAMPLE_T, SAMPLE_C, confidence=c), "confidence")
        raises(ces.InvalidArgumentError, lambda c=conf: lift.power_from_se(1.0, 1.0, confidence=c), "confidence")
    raises(TypeError, lambda: lift.welch(SAMPLE_T, SAMPLE_C, confidence="high"), text="confidence")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.welch(SAMPLE_T, SAMPLE_C, alternative="bigger"), "alternative")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1), (10, 2), difference_method="log"), "difference_method")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1), (10, 2), ratio_method="exact"), "ratio_method")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1), (10, 2), fisher="sometimes"), "fisher")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.conversion_lift((10, 1), (10, 2), spend=-1.0), "spend")
    raises(ces.InvalidArgumentError, lambda: lift.did_2x2(did_rows(), covariance="hc3"), "covariance")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.power_proportions(1.5, 0.1, 100, 100), "baseline")
    raises(ces.InvalidArgumentError, lambda: lift.power_proportions(0.1, 0.1, -100, 100), "n_treatment")
    raises(ces.InvalidArgumentError, lambda: lift.sample_size_means(0.0, 1.0, 1.0), "effect")
    raises(TypeError, lambda: lift.power_means(None, 1.0, 1.0, 10, 10), text="effect")  # type: ignore[arg-type]
    raises(ces.InvalidArgumentError, lambda: lift.ratio_metric([1.0, 2], [1.0, 1], [1.0, 2], [1.0, 1], bootstrap=10), "bootstrap.resamples")
    raises(ces.InvalidArgumentError, lambda: lift.fisher_exact([[1, -1], [2, 3]]), "table[0][1]")
    raises(ces.InvalidArgumentError, lambda: lift.fisher_exact([[1, 2, 3], [2, 3, 4]]), "table[0]")
    raises(TypeError, lambda: lift.fisher_exact([[1.5, 1], [2, 3]]), text="`table[0][0]`")
    raises(TypeError, lambda: lift.fisher_exact("ab"), text="`table`")
    welch = lift.welch(SAMPLE_T, SAMPLE_C)
    raises(ces.InvalidArgumentError, lambda: lift.welch_from_summary((1, 0.0, 1.0), welch.control), "treatment.n")
    raises(TypeError, lambda: lift.welch_from_summary((1, 0.0), welch.control), text="`treatment`")


def test_experiment_definition_validate() -> None:
    utc = dt.timezone.utc
    good = lift.ExperimentDefinition(
        key="2025-q3-launch",
        name="Q3 launch",
        test_type="conversion",
        metric="conversion_rate",
        variants=[lift.Variant("control", 50, is_control=True), lift.Variant("new", 50)],  # type: ignore[arg-type]
        start=dt.datetime(2025, 7, 1, tzinfo=utc),
        end=dt.datetime(2025, 9, 30, tzinfo=utc),
    )
    assert isinstance(good.variants, tuple)
    good.validate()
    assert json.loads(json.dumps(good.to_dict()))["variants"][0]["is_control"] is True

    def bad(field: str, exc: type[BaseException] = ces.InvalidArgumentError, **changes: Any) -> None:
        with pytest.raises(exc) as info:
            dataclasses.replace(good, **changes).validate()
        if exc is ces.InvalidArgumentError:
            assert info.value.field == field, info.value  # type: ignore[attr-defined]
        else:
            assert field in str(info.value)

    bad("key", key=" ")
    bad("variants", variants=(lift.Variant("control", 100, is_control=True),))
    bad("variants[1].name", variants=(lift.Variant("a", 50, True), lift.Variant("a", 50)))
    bad("variants.traffic_weight", variants=(lift.Variant("a", 50, True), lift.Variant("b", 40)))
    bad("variants.is_control", variants=(lift.Variant("a", 50), lift.Variant("b", 50)))
    bad("variants[0].traffic_weight", variants=(lift.Variant("a", -5, True), lift.Variant("b", 105)))
    bad("confidence", confidence=1.2)
    bad("mde", mde=0.0)
    bad("end", end=dt.datetime(2025, 6, 1, tzinfo=utc))
    bad("test_type", test_type="bandit")
    bad("alternative", alternative="up")
    bad("start", start=dt.datetime(2025, 7, 1))  # naive: ambiguous
    bad("variants[0]", TypeError, variants=(("a", True, 50), lift.Variant("b", 50)))
    bad("variants[0].is_control", TypeError, variants=(lift.Variant("a", 50, 1), lift.Variant("b", 50)))  # type: ignore[arg-type]
    dataclasses.replace(good, start=dt.datetime(2025, 7, 1), end=None).validate(assume_zone="Europe/Berlin")


# ---------------------------------------------------------------------------------------
# The batch.


def batch_table() -> pa.Table:
    return pa.table(
        {
            "n_treatment": pa.array([10_000, 20, None, 100, 500, 50], pa.int64()),
            "conversions_treatment": pa.array([560, 5, 3, 120, 60, 5], pa.int64()),
            "n_control": pa.array([10_000, 20, 100, 100, 500, 50], pa.int64()),
            "conversions_control": pa.array([500, 1, 5, 5, 40, 6], pa.int64()),
            "revenue_treatment": pa.array([28_000.0, None, 1.0, 1.0, 3_000.0, 10.0]),
            "revenue_control": pa.array([25_000.0, None, 1.0, 1.0, 2_000.0, 9.0]),
        }
    )


def test_batch_rows_failing_rows_and_single_results_agree() -> None:
    table = batch_table()
    out = lift.conversion_lift_batch(table, spend=1_500.0)
    assert out.num_rows == table.num_rows
    rows = out.to_pylist()
    errors = [(r["error_code"], r["error"]) for r in rows]
    assert errors[2] == ("missing_value", "row 2: `n_treatment` is missing (null)")
    assert errors[3][0] == "invalid_argument" and "conversions_treatment" in errors[3][1] and "row 3" in errors[3][1]
    for i in (0, 1, 4, 5):
        assert errors[i] == (None, None)
        src = table.slice(i, 1).to_pylist()[0]
        arm = lambda n, x, rev: (src[n], src[x], src[rev])  # noqa: E731
        single = lift.conversion_lift(
            arm("n_treatment", "conversions_treatment", "revenue_treatment"),
            arm("n_control", "conversions_control", "revenue_control"),
            spend=1_500.0,
        )
        r = rows[i]
        assert r["treatment_rate"] == single.treatment_rate and r["relative_lift"] == single.relative_lift
        assert r["iroas"] == single.iroas and r["incremental_revenue"] == single.incremental_revenue
        assert (r["pooled_z_statistic"], r["pooled_z_p_value"]) == (single.pooled_z.statistic, single.pooled_z.p_value)
        assert (r["wald_z_p_value"], r["score_z_p_value"]) == (single.wald_z.p_value, single.score_z.p_value)
        assert (r["test_method"], r["p_value"], r["significant"]) == (single.test.method, single.test.p_value, single.significant)
        assert r["fisher_p_value"] == (single.fisher.p_value if single.fisher else None)
        assert (r["difference_method"], r["difference_low"], r["difference_high"]) == (
            "newcomb", single.difference_interval.low, single.difference_interval.high)  # fmt: skip
        assert (r["relative_lift_low"], r["relative_lift_high"]) == (
            single.relative_lift_interval.low, single.relative_lift_interval.high)  # fmt: skip
        for iv in single.difference_intervals:
            assert (r[f"difference_{iv.method}_low"], r[f"difference_{iv.method}_high"]) == (iv.low, iv.high)
        for iv in single.ratio_intervals:
            assert (r[f"ratio_{iv.method}_low"], r[f"ratio_{iv.method}_high"]) == (iv.low, iv.high)
    # Failed rows: every result column null.
    for name in out.column_names:
        if name not in ("error", "error_code"):
            assert rows[2][name] is None and rows[3][name] is None, name
    assert rows[1]["fisher_p_value"] is not None and rows[1]["test_method"] == "fisher_exact"
    assert rows[1]["incremental_revenue"] is None  # null revenue: none


def test_batch_inputs_columns_and_spend() -> None:
    table = batch_table()
    base = lift.conversion_lift_batch(table)
    renamed = table.rename_columns(["nt", "xt", "nc", "xc", "rt", "rc"])
    mapping = {"n_treatment": "nt", "conversions_treatment": "xt", "n_control": "nc",
               "conversions_control": "xc", "revenue_treatment": "rt", "revenue_control": "rc"}  # fmt: skip
    got = lift.conversion_lift_batch(renamed, columns=mapping)
    assert got.drop_columns(["error"]).equals(base.drop_columns(["error"]))
    # Errors name the table's own columns.
    assert got["error"][2].as_py() == "row 2: `nt` is missing (null)"
    assert got["error"][3].as_py() == base["error"][3].as_py().replace("conversions_treatment", "xt")
    for form in (table.to_pandas(), pl.from_arrow(table), table.to_pydict(), table.to_pylist()):
        got = lift.conversion_lift_batch(form)
        assert got.to_pylist() == base.to_pylist(), type(form)
    # A per-row spend column.
    with_spend = table.append_column("spend", pa.array([1_500.0, None, 1.0, 1.0, 100.0, 2.0]))
    rows = lift.conversion_lift_batch(with_spend).to_pylist()
    assert rows[0]["iroas"] == 2.0 and rows[1]["spend"] is None and rows[4]["spend"] == 100.0
    assert rows[5]["iroas"] == lift.conversion_lift((50, 5, 10.0), (50, 6, 9.0), spend=2.0).iroas
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.conversion_lift_batch(with_spend, spend=3.0)
    assert err.value.field == "spend"
    bad_spend = table.append_column("spend", pa.array([-1.0, None, None, None, None, None]))
    first = lift.conversion_lift_batch(bad_spend).to_pylist()[0]
    assert first["error_code"] == "invalid_argument" and "`spend`" in first["error"]
    # Errors of the whole call.
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.conversion_lift_batch(table.drop_columns(["n_control"]))
    assert err.value.field == "n_control"
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.conversion_lift_batch(table, confidence=2.0)
    assert err.value.field == "confidence"
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.conversion_lift_batch(table, columns={"users": "n"})
    assert err.value.field == "columns"
    with pytest.raises(TypeError, match="n_treatment"):
        lift.conversion_lift_batch(table.set_column(0, "n_treatment", pa.array(["a"] * 6)))
    empty = lift.conversion_lift_batch({"n_treatment": []})
    assert empty.num_rows == 0 and "error" in empty.column_names


def test_batch_progress_and_parallel_chunks() -> None:
    n = 10_000
    rng = np.random.default_rng(3)
    users = rng.integers(50, 5_000, n)
    table = pa.table({
        "n_treatment": users, "conversions_treatment": rng.binomial(users, 0.1),
        "n_control": users, "conversions_control": rng.binomial(users, 0.09),
    })  # fmt: skip
    calls: list[tuple[int, int, int]] = []
    out = lift.conversion_lift_batch(table, progress=lambda d, t: calls.append((d, t, threading.get_ident())))
    assert [(d, t) for d, t, _ in calls] == [(4096, n), (8192, n), (n, n)]
    assert {ident for _, _, ident in calls} == {threading.get_ident()}  # the calling thread
    assert out.num_rows == n and out.column("error").null_count == n
    sample = out.slice(9_999, 1).to_pylist()[0]
    single = lift.conversion_lift(
        (int(users[-1]), int(table["conversions_treatment"][-1].as_py())),
        (int(users[-1]), int(table["conversions_control"][-1].as_py())),
    )
    assert sample["p_value"] == single.test.p_value

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        lift.conversion_lift_batch(table, progress=stop)
    with pytest.raises(TypeError, match="progress"):
        lift.conversion_lift_batch(table, progress=3)  # type: ignore[arg-type]
    # The same rows whatever the parallelism.
    ces._ces._set_parallel(False)
    try:
        assert lift.conversion_lift_batch(table).equals(out)
    finally:
        ces._ces._set_parallel(True)


# ---------------------------------------------------------------------------------------
# From attribution data.

UTC = dt.timezone.utc
PRE_START = dt.datetime(2025, 1, 6, tzinfo=UTC)
WEEK = dt.timedelta(days=7)
CAMPAIGN_START = PRE_START + 4 * WEEK
END = PRE_START + 8 * WEEK
EFFECT_PER_TX = 20.0


def campaign_tables(key_type: str = "str") -> tuple[pa.Table, pa.Table]:
    """20 stores × 8 weeks (4 pre, 4 post); stores 0–9 see the ``spring`` TV campaign from its
    start (cost 100 each), stores 10–12 another campaign; each store has 3 transactions a
    week, exposed stores sell ``EFFECT_PER_TX`` more per transaction after the start."""
    rng = np.random.default_rng(2025)

    def key(s: int) -> Any:
        return f"store-{s:02d}" if key_type == "str" else 1000 + s

    ex: dict[str, list[Any]] = {k: [] for k in ("id", "key", "start", "channel", "interaction", "campaign", "asset", "cost")}
    for s in range(13):
        spring = s < 10
        ex["id"].append(s + 1)
        ex["key"].append(key(s))
        ex["start"].append(CAMPAIGN_START + dt.timedelta(hours=1 + s))
        ex["channel"].append("tv" if spring else "social")
        ex["interaction"].append("view")
        ex["campaign"].append("spring" if spring else "other")
        ex["asset"].append("spot")
        ex["cost"].append(100.0 if spring else 5.0)
    tx: dict[str, list[Any]] = {k: [] for k in ("id", "key", "time", "value")}
    for s in range(20):
        level = 80.0 + 4 * s
        for week in range(8):
            for j in range(3):
                post = week >= 4
                tx["id"].append(len(tx["id"]) + 1)
                tx["key"].append(key(s))
                tx["time"].append(PRE_START + week * WEEK + dt.timedelta(days=2 * j, hours=10))
                bump = EFFECT_PER_TX if (s < 10 and post) else 0.0
                tx["value"].append(round(level + 0.5 * week + bump + rng.normal(0, 3), 2))
    ts = pa.timestamp("us", "UTC")
    exposures = pa.table({**ex, "start": pa.array(ex["start"], ts)})
    transactions = pa.table({**tx, "time": pa.array(tx["time"], ts)})
    return exposures, transactions


def test_campaign_lift_recovers_injected_effect_and_mmm_priors() -> None:
    exposures, transactions = campaign_tables()
    kw = dict(campaign="spring", pre_start=PRE_START, campaign_start=CAMPAIGN_START, end=END, period="7d")
    r = lift.campaign_lift(exposures, transactions, **kw)  # type: ignore[arg-type]
    weekly = 3 * EFFECT_PER_TX
    assert r.did.effect.estimate > 0 and r.did.effect.estimate == pytest.approx(weekly, rel=0.1)
    assert r.did.effect.interval.low > 0 and r.did.effect.significant
    assert r.panel.effect.estimate == pytest.approx(weekly, rel=0.1)
    assert (r.exposed_units, r.control_units, r.periods, r.pre_periods) == (10, 10, 8, 4)
    assert (r.spend, r.channels, r.outcome) == (1000.0, ("tv",), "sales")
    assert r.spec == lift.PanelSpec("spring", PRE_START, CAMPAIGN_START, END, WEEK)
    assert r.incremental == pytest.approx(r.did.effect.estimate * 10 * 4, rel=1e-12)
    assert r.iroas == pytest.approx(r.incremental / 1000.0, rel=1e-12)
    assert r.power.method == "normal_power" and 0 < r.power.power <= 1 and r.mde > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.spend = 0.0  # type: ignore[misc]
    d = json.loads(json.dumps(r.to_dict()))
    assert "_native" not in d and d["spec"]["period"] == 7 * 86400.0
    assert d["spec"]["campaign_start"] == CAMPAIGN_START.isoformat()

    prior = r.mmm_prior()
    assert (prior.campaign, prior.channel, prior.metric, prior.method) == ("spring", "tv", "sales", "ols_cluster")
    assert (prior.start, prior.end) == (CAMPAIGN_START, END)
    assert prior.effect == r.incremental and prior.std_error == r.incremental_std_error
    table = lift.mmm_priors([r, r])
    assert table.num_rows == 2
    assert table.column_names == [
        "campaign", "channel", "metric", "start", "end", "method", "effect", "std_error",
        "ci_low", "ci_high", "confidence", "spend", "roi", "roi_std_error", "exposed_units",
        "control_units",
    ]  # fmt: skip
    row = table.to_pylist()[0]
    assert row["effect"] == prior.effect and row["roi"] == prior.roi and row["start"] == CAMPAIGN_START
    assert row["exposed_units"] == 10 and row["control_units"] == 10
    assert table.schema.field("start").type == pa.timestamp("us", "UTC")
    with pytest.raises(TypeError, match=r"lifts\[0\]"):
        lift.mmm_priors([prior])  # type: ignore[list-item]

    # The panel behind it.
    panel = lift.store_panel(exposures, transactions, **kw)  # type: ignore[arg-type]
    assert panel.num_rows == 20 * 8
    assert panel.column_names == ["unit", "period", "exposed", "post", "treated_now", "outcome"]
    assert panel.column("unit")[0].as_py() == "store-00"
    assert sum(panel.column("exposed").to_pylist()) == 10 * 8
    meta = {k.decode(): v.decode() for k, v in panel.schema.metadata.items()}
    assert meta["ces.exposed_units"] == "10" and json.loads(meta["ces.channels"]) == ["tv"]
    assert float(meta["ces.spend"]) == 1000.0
    assert sum(panel.column("outcome").to_pylist()) == pytest.approx(sum(transactions.column("value").to_pylist()))

    # Integer keys, polars / pandas tables, timedelta and µs periods: the same lift.
    ex_i, tx_i = campaign_tables("int")
    for ex, tx, period in ((ex_i, tx_i, WEEK), (pl.from_arrow(exposures), transactions.to_pandas(), 7 * 86_400_000_000)):
        other = lift.campaign_lift(ex, tx, **{**kw, "period": period})  # type: ignore[arg-type]
        assert other.did.effect.estimate == pytest.approx(r.did.effect.estimate, rel=1e-12)

    # Conversion groups over the same keys.
    t, c = lift.conversion_groups(exposures, transactions, **kw)  # type: ignore[arg-type]
    assert (t.users, c.users, t.conversions, c.conversions) == (10, 10, 10, 10)
    post = [r for r in transactions.to_pylist() if r["time"] >= CAMPAIGN_START]
    exposed_keys = set(exposures.filter(pa.compute.equal(exposures["campaign"], "spring"))["key"].to_pylist())
    assert t.revenue == pytest.approx(sum(r["value"] for r in post if r["key"] in exposed_keys), rel=1e-12)
    assert c.revenue == pytest.approx(sum(r["value"] for r in post if r["key"] not in exposed_keys), rel=1e-12)

    # Errors name the argument.
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.campaign_lift(exposures, transactions, **{**kw, "campaign": "winter"})  # type: ignore[arg-type]
    assert err.value.field == "campaign"
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.campaign_lift(exposures, transactions, **{**kw, "campaign_start": CAMPAIGN_START + dt.timedelta(days=1)})  # type: ignore[arg-type]
    assert err.value.field == "campaign_start"
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.campaign_lift(exposures, transactions, **{**kw, "pre_start": dt.datetime(2025, 1, 6)})  # type: ignore[arg-type]
    assert err.value.field == "pre_start"
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.campaign_lift(exposures, transactions, **{**kw, "period": "7x"})  # type: ignore[arg-type]
    assert err.value.field == "period"
    with pytest.raises(TypeError, match="period"):
        lift.campaign_lift(exposures, transactions, **{**kw, "period": 7.5})  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError) as err:
        lift.campaign_lift(exposures, transactions, **{**kw, "outcome": "profit"})  # type: ignore[arg-type]
    assert err.value.field == "outcome"
    with pytest.raises(ces.MalformedInputError):
        lift.campaign_lift(exposures.drop_columns(["campaign"]), transactions, **kw)  # type: ignore[arg-type]
    # Naive datetimes with assume_zone.
    naive = {k: (v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v) for k, v in kw.items()}
    same = lift.campaign_lift(exposures, transactions, assume_zone="UTC", **naive)  # type: ignore[arg-type]
    assert same.did == r.did


# ---------------------------------------------------------------------------------------
# Documentation and the GIL.


def test_module_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(lift, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


@pytest.fixture
def parallel_restored() -> Iterator[None]:
    before = ces._ces._parallel_enabled()
    try:
        yield
    finally:
        ces._ces._set_parallel(before)


def test_compute_releases_the_gil(parallel_restored: None) -> None:
    ces._ces._set_parallel(False)  # leave a core for this thread
    rng = np.random.default_rng(0)
    n = 20_000
    num_t, den_t = rng.poisson(10, n).astype(float), rng.integers(1, 4, n).astype(float)
    num_c, den_c = rng.poisson(9, n).astype(float), rng.integers(1, 4, n).astype(float)
    resamples = 200
    while True:  # grow the bootstrap until one run takes at least 0.4 s
        start = time.perf_counter()
        lift.ratio_metric(num_t, den_t, num_c, den_c, bootstrap=resamples)
        if time.perf_counter() - start >= 0.4 or resamples >= 200_000:
            break
        resamples *= 2
    done = threading.Event()
    results: list[lift.RatioMetric] = []

    def work() -> None:
        try:
            results.append(lift.ratio_metric(num_t, den_t, num_c, den_c, bootstrap=resamples))
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
    assert results and results[0].bootstrap is not None
    assert duration > 0.2, f"run too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"
