//! Fisher's exact test on a 2×2 table, reproducing `scipy.stats.fisher_exact` (SciPy 1.17.1).
//!
//! The table is `[[a, b], [c, d]]`: rows are the treatment and control arms, columns are
//! converted and not converted. Conditioning on the margins, `a` is hypergeometric with
//! population `a + b + c + d`, `a + b` "successes" (the treatment arm) and `a + c` draws (the
//! converters); the p-values are tail sums of that distribution, computed with the ports of
//! Boost's hypergeometric pmf/cdf that SciPy calls (see [`super::special`]), and in the same
//! order as SciPy, so they agree with SciPy to ~1e-15 relative.
//!
//! * [`Alternative::Smaller`] (SciPy `"less"`): P(X ≤ a).
//! * [`Alternative::Larger`] (SciPy `"greater"`): P(X ≥ a), computed as SciPy does, as the
//!   lower tail of the second column: P(Y ≤ b) with Y hypergeometric (population, `a + b`,
//!   `b + d`).
//! * [`Alternative::TwoSided`]: the sum of the probabilities of all tables at most as likely
//!   as the observed one, with SciPy's relative tolerance `1 + 1e-14` on "as likely": when the
//!   observed table is within 1e-14 of the mode's probability the p-value is 1; otherwise the
//!   observed tail is summed exactly and the cut-off on the other side of the mode is found by
//!   SciPy's binary search over the pmf.
//!
//! The p-value is clipped to at most 1, as SciPy does.

use super::Alternative;
use super::special::{hypergeom_cdf, hypergeom_pmf, hypergeom_sf};
use crate::error::{CesError, Row};

/// Largest count accepted in a cell: 2⁵³, so every count and margin is an exact `f64`.
const MAX_COUNT: u64 = 1 << 53;

/// SciPy's relative tolerance for "at most as likely as the observed table".
const EPSILON: f64 = 1e-14;

/// Fisher's exact test on a 2×2 table [[a, b], [c, d]] (rows: treatment, control; columns:
/// converted, not converted), as `scipy.stats.fisher_exact`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FisherExact {
    /// The sample odds ratio (a·d)/(b·c), SciPy's statistic (not the conditional maximum
    /// likelihood estimate). +∞ when b·c = 0 (the margins being non-zero, a·d > 0 then); NaN
    /// when a row or a column of the table sums to zero.
    pub odds_ratio: f64,
    /// The p-value for `alternative`, in [0, 1]; exactly 1 when a row or a column sums to zero
    /// (only one table has those margins).
    pub p_value: f64,
    /// The alternative hypothesis tested ([`Alternative::Larger`] is SciPy's `"greater"`,
    /// [`Alternative::Smaller`] its `"less"`).
    pub alternative: Alternative,
}

/// Fisher's exact test of independence of the rows and columns of `table`, with SciPy's
/// statistic, tolerances and tail sums (see the module documentation).
///
/// A table with a zero row or column sum gives odds ratio NaN and p-value 1, as in SciPy.
///
/// # Errors
///
/// [`CesError::InvalidArgument`] when a count exceeds 2⁵³ (it would not be exact in `f64`);
/// every other table is valid.
pub fn fisher_exact(table: [[u64; 2]; 2], alternative: Alternative) -> crate::Result<FisherExact> {
    for (i, row) in table.iter().enumerate() {
        for (j, &count) in row.iter().enumerate() {
            if count > MAX_COUNT {
                return Err(CesError::InvalidArgument {
                    row: Row(None),
                    field: format!("table[{i}][{j}]"),
                    value: count.to_string(),
                    reason: "counts above 2^53 are not exactly representable as f64".to_string(),
                });
            }
        }
    }
    let [[a, b], [c, d]] = table;
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 {
        return Ok(FisherExact {
            odds_ratio: f64::NAN,
            p_value: 1.0,
            alternative,
        });
    }
    // NumPy: int64 products, then true division of their float64 values.
    let odds_ratio = if c > 0 && b > 0 {
        (u128::from(a) * u128::from(d)) as f64 / (u128::from(b) * u128::from(c)) as f64
    } else {
        f64::INFINITY
    };
    let n1 = a + b;
    let n2 = c + d;
    let n = a + c;
    let total = n1 + n2;
    let pmf = |x: i64| {
        if x < 0 {
            0.0
        } else {
            hypergeom_pmf(x as u64, total, n1, n)
        }
    };
    let cdf = |x: i64| {
        if x < 0 {
            0.0
        } else {
            hypergeom_cdf(x as u64, total, n1, n)
        }
    };
    let sf = |x: i64| {
        if x < 0 {
            1.0
        } else {
            hypergeom_sf(x as u64, total, n1, n)
        }
    };
    let (a, n) = (a as i64, n as i64);
    let p_value = match alternative {
        Alternative::Smaller => cdf(a),
        Alternative::Larger => hypergeom_cdf(b, total, n1, b + d),
        Alternative::TwoSided => {
            // int((n + 1) * (n1 + 1) / (n1 + n2 + 2)) with NumPy's int64 → float64 division.
            let num = (u128::from(n as u64) + 1) * (u128::from(n1) + 1);
            let mode = (num as f64 / (total + 2) as f64).trunc() as i64;
            let pexact = pmf(a);
            let pmode = pmf(mode);
            let gamma = 1.0 + EPSILON;
            if (pexact - pmode).abs() / pexact.max(pmode) <= EPSILON {
                1.0
            } else if a < mode {
                let plower = cdf(a);
                if pmf(n) > pexact * gamma {
                    plower
                } else {
                    let guess = binary_search(|x| -pmf(x), -pexact * gamma, mode, n);
                    plower + sf(guess)
                }
            } else {
                let pupper = sf(a - 1);
                if pmf(0) > pexact * gamma {
                    pupper
                } else {
                    let guess = binary_search(pmf, pexact * gamma, 0, mode);
                    pupper + cdf(guess)
                }
            }
        }
    };
    Ok(FisherExact {
        odds_ratio,
        p_value: p_value.min(1.0),
        alternative,
    })
}

/// SciPy's `_binary_search_for_binom_tst`: for `f` ascending on [lo, hi], the i with
/// f(i) ≤ d < f(i + 1) (possibly lo − 1).
fn binary_search(f: impl Fn(i64) -> f64, d: f64, mut lo: i64, mut hi: i64) -> i64 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let midval = f(mid);
        if midval < d {
            lo = mid + 1;
        } else if midval > d {
            hi = mid - 1;
        } else {
            return mid;
        }
    }
    if f(lo) <= d { lo } else { lo - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;
    use std::collections::HashMap;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/lift/fisher.json");

    fn num(v: &RawValue) -> f64 {
        match v.get() {
            "\"inf\"" => f64::INFINITY,
            "\"-inf\"" => f64::NEG_INFINITY,
            "\"nan\"" => f64::NAN,
            s => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        }
    }

    #[test]
    fn matches_scipy_fisher_exact() {
        let all: HashMap<&str, &RawValue> = serde_json::from_str(FIXTURE).expect("fixture");
        let cases: Vec<Vec<&RawValue>> = serde_json::from_str(all["cases"].get()).expect("cases");
        assert!(cases.len() >= 400 * 3 / 2, "{} cases", cases.len());
        let mut worst = (0.0_f64, String::new());
        for row in &cases {
            let count = |i: usize| -> u64 { row[i].get().parse().expect("count") };
            let table = [[count(0), count(1)], [count(2), count(3)]];
            let alt: String = serde_json::from_str(row[4].get()).expect("alternative");
            let alternative = Alternative::parse(&alt).expect("alternative name");
            let (want_or, want_p) = (num(row[5]), num(row[6]));
            let got = fisher_exact(table, alternative).expect("valid table");
            assert_eq!(got.alternative, alternative);
            let label = format!("{table:?} {alt}");
            if want_or.is_nan() {
                assert!(
                    got.odds_ratio.is_nan(),
                    "{label}: odds ratio {}",
                    got.odds_ratio
                );
            } else {
                assert_eq!(
                    got.odds_ratio.to_bits(),
                    want_or.to_bits(),
                    "{label}: odds ratio"
                );
            }
            let err = if want_p.abs() < f64::MIN_POSITIVE {
                if got.p_value == want_p {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                ((got.p_value - want_p) / want_p).abs()
            };
            if err > worst.0 || worst.1.is_empty() {
                worst = (
                    err,
                    format!("{label}: got {:e}, want {want_p:e}", got.p_value),
                );
            }
            assert!(
                err <= 1e-12,
                "{label}: p {:e} vs {want_p:e} (rel err {err:e})",
                got.p_value
            );
        }
        eprintln!(
            "fisher: {} cases, max rel err of p {:e} at {}",
            cases.len(),
            worst.0,
            worst.1
        );
    }

    #[test]
    fn conventions() {
        let t = fisher_exact([[0, 0], [3, 4]], Alternative::TwoSided).unwrap();
        assert!(t.odds_ratio.is_nan());
        assert_eq!(t.p_value, 1.0);
        let t = fisher_exact([[5, 0], [2, 7]], Alternative::Larger).unwrap();
        assert_eq!(t.odds_ratio, f64::INFINITY);
        assert!(t.p_value > 0.0 && t.p_value < 0.05);
        let t = fisher_exact([[0, 6], [4, 3]], Alternative::Smaller).unwrap();
        assert_eq!(t.odds_ratio, 0.0);
        let err = fisher_exact([[1 << 54, 1], [2, 3]], Alternative::TwoSided).unwrap_err();
        assert!(matches!(err, CesError::InvalidArgument { .. }), "{err:?}");
    }
}
