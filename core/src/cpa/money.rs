//! Decimal money, currency codes and the exact parsing of amounts.
//!
//! Money is [`Decimal`] (96-bit mantissa, up to 28 significant digits) from the moment it is
//! read: JSON numbers are parsed from their text, never through `f64`, so `7825.50` is
//! exactly 7825.50 and a float artefact such as `0.30000000000000004` is kept exactly as sent.
//! Rounding happens only when a figure is presented.

use std::fmt;

pub use rust_decimal::Decimal;

/// Decimal places of a cost per acquisition: `cost / conversions` rounded half away from zero
/// (as PostgreSQL's `round(numeric, 12)` and DuckDB's `round` do) at
/// this scale (a quotient has no exact decimal form in general; 12 places is far below a
/// cent and well inside `numeric` and Arrow `decimal128(38, 12)`).
pub const CPA_SCALE: u32 = 12;

/// An ISO 4217 currency code (three upper-case letters from the active list).
///
/// ```
/// use ces::cpa::Currency;
/// assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
/// assert!(Currency::parse("XYZ").is_none());
/// assert_eq!(Currency::default(), Currency::USD);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Active ISO 4217 codes (2025 list, without the test and "no currency" codes XTS/XXX).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

impl Currency {
    /// US dollars, the default.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses a code, case-insensitively and ignoring surrounding spaces; `None` for anything
    /// that is not an active ISO 4217 code.
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        if code.len() != 3 {
            return None;
        }
        let mut b = [0u8; 3];
        for (o, c) in b.iter_mut().zip(code.bytes()) {
            *o = c.to_ascii_uppercase();
        }
        let s = std::str::from_utf8(&b).ok()?;
        ISO_4217.binary_search(&s).ok().map(|_| Currency(b))
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII codes of the table above.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Parses a money amount from its decimal text exactly: `"7825.50"`, `"-0"`, `"1.5e3"`.
/// Rejects empty text, `NaN`, infinities, thousands separators, currency symbols and values
/// with more than 28 significant digits (which a decimal cannot hold without rounding).
///
/// ```
/// use ces::cpa::{parse_money, Decimal};
/// assert_eq!(parse_money("7825.50").unwrap().to_string(), "7825.50");
/// assert_eq!(parse_money("0.30000000000000004").unwrap().to_string(), "0.30000000000000004");
/// assert!(parse_money("$12").is_err());
/// assert!(parse_money("NaN").is_err());
/// ```
pub fn parse_money(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty amount".into());
    }
    let ok = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !ok || !t.bytes().any(|b| b.is_ascii_digit()) {
        return Err("not a decimal number".into());
    }
    let parsed = if t.bytes().any(|b| b == b'e' || b == b'E') {
        Decimal::from_scientific(t).map_err(|e| e.to_string())
    } else {
        let t = t.strip_prefix('+').unwrap_or(t);
        Decimal::from_str_exact(t).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| format!("not a decimal number that fits 28 digits: {e}"))
}

/// `round(cost / conversions, 12)` (half away from zero, as PostgreSQL rounds `numeric`) at
/// [`CPA_SCALE`] places; `None` with 0 conversions
/// (a CPA is undefined then, never 0).
///
/// ```
/// use ces::cpa::{cpa, Decimal};
/// use std::str::FromStr;
/// let c = cpa(Decimal::from_str("100").unwrap(), 3).unwrap();
/// assert_eq!(c.to_string(), "33.333333333333");
/// assert_eq!(cpa(Decimal::from_str("7.5").unwrap(), 0), None);
/// ```
pub fn cpa(cost: Decimal, conversions: u64) -> Option<Decimal> {
    if conversions == 0 {
        return None;
    }
    let m = cost.mantissa();
    let s = cost.scale();
    let n = conversions as i128;
    // q = m * 10^(CPA_SCALE - s) / n, rounded half away from zero, in 64 bits when it fits.
    let (num, den) = if s <= CPA_SCALE {
        match m.checked_mul(10i128.pow(CPA_SCALE - s)) {
            Some(num) => (num, n),
            None => return Some(slow_cpa(cost, conversions)),
        }
    } else {
        match 10i128
            .checked_pow(s - CPA_SCALE)
            .and_then(|p| p.checked_mul(n))
        {
            Some(den) => (m, den),
            None => return Some(slow_cpa(cost, conversions)),
        }
    };
    let q = if let (Ok(n64), Ok(d64)) = (i64::try_from(num), i64::try_from(den)) {
        i128::from(div_round_half_away_i64(n64, d64))
    } else {
        div_round_half_away(num, den)
    };
    Decimal::try_from_i128_with_scale(q, CPA_SCALE)
        .ok()
        .or_else(|| Some(slow_cpa(cost, conversions)))
}

fn slow_cpa(cost: Decimal, conversions: u64) -> Decimal {
    (cost / Decimal::from(conversions)).round_dp_with_strategy(
        CPA_SCALE,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    )
}

macro_rules! div_round_half_away {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        pub(crate) fn $name(num: $t, den: $t) -> $t {
            let q = num / den;
            let r = num % den;
            let twice = r.unsigned_abs() * 2;
            let d = den.unsigned_abs();
            let away = twice >= d;
            if !away {
                q
            } else if num < 0 {
                q - 1
            } else {
                q + 1
            }
        }
    };
}

div_round_half_away!(
    /// `num / den` (den > 0) rounded half away from zero.
    div_round_half_away,
    i128
);
div_round_half_away!(
    /// `num / den` (den > 0) rounded half away from zero, in 64 bits (the common case, much faster).
    div_round_half_away_i64,
    i64
);

/// The ratio of sums: `Σcost / Σconversions` at [`CPA_SCALE`], `None` when no conversions.
pub fn ratio_of_sums(total_cost: Decimal, total_conversions: u64) -> Option<Decimal> {
    cpa(total_cost, total_conversions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn iso_table_is_sorted_for_binary_search() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn cpa_matches_decimal_division_rounded() {
        for (c, n) in [
            ("100", 3u64),
            ("0.01", 7),
            ("7825.50", 45),
            ("1", 8),
            ("2.5", 2),
            ("0.000000000005", 1),
            ("0.0000000000005", 1),
            ("0.0000000000015", 1),
            ("0.01", 2048),
            ("0.02", 4096),
            ("12345.67", 2048),
        ] {
            let d = Decimal::from_str(c).unwrap();
            assert_eq!(cpa(d, n).unwrap(), slow_cpa(d, n), "{c}/{n}");
        }
        // Exactly half goes away from zero, as in PostgreSQL: round(0.01 / 2048, 12) is
        // 0.000004882813 (the quotient is 0.0000048828125).
        assert_eq!(
            cpa(Decimal::from_str("0.0000000000005").unwrap(), 1)
                .unwrap()
                .to_string(),
            "0.000000000001"
        );
        assert_eq!(
            cpa(Decimal::from_str("0.01").unwrap(), 2048)
                .unwrap()
                .to_string(),
            "0.000004882813"
        );
    }
}
