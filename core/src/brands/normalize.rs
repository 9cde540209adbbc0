//! The brand-text normaliser: a declarative, ordered list of named steps.
//!
//! ```
//! use ces::brands::{NormalizerSpec, Step};
//! let n = NormalizerSpec::default().build()?;
//! let out = n.apply("COCA-COLA Company 1,5 L (Pack of 6)");
//! assert_eq!(out.text, "coca cola");
//! assert_eq!(out.quantities.len(), 2);
//! assert_eq!(out.quantities[0].canonical_value, 1500.0);
//! assert_eq!(out.quantities[1].pack_count, Some(6));
//!
//! // pg_trgm-compatible mode: no step at all, the text is scored exactly as written.
//! let raw = NormalizerSpec::pg_trgm_compatible().build()?;
//! assert_eq!(raw.apply("COCA-COLA 1.5L").text, "COCA-COLA 1.5L");
//! # Ok::<(), ces::CesError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::{CesError, Result};

/// One named normalisation step. Steps run in the order the spec lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Step {
    /// Unicode NFC (composes `e` + U+0301 into `é`).
    Nfc,
    /// Unicode NFKC (also folds compatibility forms: fullwidth `ＣＯＫＥ` → `COKE`, `ﬁ` → `fi`).
    Nfkc,
    /// Full Unicode lower-casing.
    Lowercase,
    /// Removes accents: NFD, drop combining marks, NFC (`Nestlé` → `Nestle`).
    FoldAccents,
    /// `&` and `+` between words become ` and ` (`Procter & Gamble` → `Procter and Gamble`).
    Ampersand,
    /// Dotted initials lose their dots (`I.B.M.` → `IBM`, `M.Y. San` → `MY San`).
    DottedInitials,
    /// Trailing legal forms are dropped (Inc, Corp, Corporation, Co, Company, Ltd, Pty Ltd,
    /// GmbH, S.A., & Co., LLC, PLC, AG, N.V., B.V., S.p.A.), repeatedly, never leaving nothing.
    LegalForms,
    /// Sizes, units and pack counts (`1.5L`, `1,5 L`, `1500ml`, `6x330ml`, `12oz`,
    /// `(Pack of 12)`, `500g`) are pulled out into [`Quantity`] fields.
    Quantities,
    /// Apostrophes are deleted (`Lady's` → `Ladys`); every other character that is neither a
    /// letter nor a digit becomes a space.
    Punctuation,
    /// Runs of white space collapse to one space; the ends are trimmed.
    Whitespace,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 10] = [
        Step::Nfc,
        Step::Nfkc,
        Step::Lowercase,
        Step::FoldAccents,
        Step::Ampersand,
        Step::DottedInitials,
        Step::LegalForms,
        Step::Quantities,
        Step::Punctuation,
        Step::Whitespace,
    ];

    /// The step's name in configuration files and the decision log.
    pub fn name(self) -> &'static str {
        match self {
            Step::Nfc => "nfc",
            Step::Nfkc => "nfkc",
            Step::Lowercase => "lowercase",
            Step::FoldAccents => "fold_accents",
            Step::Ampersand => "ampersand",
            Step::DottedInitials => "dotted_initials",
            Step::LegalForms => "legal_forms",
            Step::Quantities => "quantities",
            Step::Punctuation => "punctuation",
            Step::Whitespace => "whitespace",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Step {
    type Err = CesError;
    fn from_str(s: &str) -> Result<Self> {
        Step::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| CesError::InvalidArgument {
                row: Default::default(),
                field: "normalizer.steps".into(),
                value: format!("{s:?}"),
                reason: format!(
                    "unknown step; expected one of {}",
                    Step::ALL.map(Step::name).join(", ")
                ),
            })
    }
}

/// The ordered steps of a normaliser (data: serialisable, comparable, part of a catalog's
/// fingerprint).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NormalizerSpec {
    /// The steps, applied in this order.
    pub steps: Vec<Step>,
}

impl Default for NormalizerSpec {
    /// NFKC, quantities, dotted initials, ampersand, lower-case, punctuation, legal forms,
    /// white space. Accent folding is off (pg_trgm treats `é` and `e` as different letters;
    /// turn it on per catalog when your data mixes them).
    fn default() -> Self {
        NormalizerSpec {
            steps: vec![
                Step::Nfkc,
                Step::Quantities,
                Step::DottedInitials,
                Step::Ampersand,
                Step::Lowercase,
                Step::Punctuation,
                Step::LegalForms,
                Step::Whitespace,
            ],
        }
    }
}

impl NormalizerSpec {
    /// No steps: texts are scored exactly as written, as PostgreSQL's `similarity()` on the
    /// raw column would.
    pub fn pg_trgm_compatible() -> Self {
        NormalizerSpec { steps: Vec::new() }
    }

    /// The spec from step names (`["nfkc", "lowercase", …]`).
    ///
    /// ```
    /// let spec = ces::brands::NormalizerSpec::from_names(&["nfc", "lowercase"])?;
    /// assert_eq!(spec.build()?.apply("CAFÉ").text, "café");
    /// assert!(ces::brands::NormalizerSpec::from_names(&["stem"]).is_err());
    /// # Ok::<(), ces::CesError>(())
    /// ```
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        Ok(NormalizerSpec {
            steps: names
                .iter()
                .map(|n| n.as_ref().parse())
                .collect::<Result<_>>()?,
        })
    }

    /// Validates the spec (a step may appear once) and builds the normaliser.
    pub fn build(&self) -> Result<Normalizer> {
        for (i, s) in self.steps.iter().enumerate() {
            if self.steps[..i].contains(s) {
                return Err(CesError::InvalidArgument {
                    row: Default::default(),
                    field: "normalizer.steps".into(),
                    value: s.name().into(),
                    reason: "a step may appear only once".into(),
                });
            }
        }
        Ok(Normalizer { spec: self.clone() })
    }
}

/// A size, volume, weight or pack count found in brand text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Quantity {
    /// The text it was read from (`1,5 L`, `6x330ml`, `(Pack of 12)`).
    pub raw: String,
    /// The number as written (`1.5`; for `6x330ml` the unit size, `330`).
    pub value: f64,
    /// The unit as written, lower-cased (`l`, `ml`, `oz`, `pack`).
    pub unit: String,
    /// `value` in the canonical unit (volume in ml, weight in g, packs as a count).
    pub canonical_value: f64,
    /// `ml`, `g` or `count`.
    pub canonical_unit: &'static str,
    /// How many units a pack holds (`6` for `6x330ml`, `12` for `(Pack of 12)`).
    pub pack_count: Option<u32>,
}

/// What the normaliser made of a text.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Normalized {
    /// The normalised text that is matched.
    pub text: String,
    /// Quantities pulled out of the text (empty unless the `quantities` step ran).
    pub quantities: Vec<Quantity>,
}

/// A validated normaliser (see [`NormalizerSpec`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Normalizer {
    spec: NormalizerSpec,
}

impl Normalizer {
    /// The spec it was built from.
    pub fn spec(&self) -> &NormalizerSpec {
        &self.spec
    }

    /// `true` when the normaliser changes nothing (pg_trgm-compatible mode).
    pub fn is_identity(&self) -> bool {
        self.spec.steps.is_empty()
    }

    /// Runs every step in order.
    pub fn apply(&self, raw: &str) -> Normalized {
        let mut text = raw.to_owned();
        let mut quantities = Vec::new();
        for step in &self.spec.steps {
            text = match step {
                Step::Nfc => text.nfc().collect(),
                Step::Nfkc => text.nfkc().collect(),
                Step::Lowercase => text.to_lowercase(),
                Step::FoldAccents => text
                    .nfd()
                    .filter(|c| !is_combining_mark(*c))
                    .nfc()
                    .collect(),
                Step::Ampersand => ampersand(&text),
                Step::DottedInitials => dotted_initials(&text),
                Step::LegalForms => legal_forms(&text),
                Step::Quantities => extract_quantities(&text, &mut quantities),
                Step::Punctuation => punctuation(&text),
                Step::Whitespace => text.split_whitespace().collect::<Vec<_>>().join(" "),
            };
        }
        Normalized { text, quantities }
    }
}

fn ampersand(text: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\s*[&+]\s*").expect("valid regex"));
    re.replace_all(text, " and ").into_owned()
}

fn dotted_initials(text: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\b(?:\p{L}\.){2,}").expect("valid regex"));
    re.replace_all(text, |c: &regex::Captures<'_>| c[0].replace('.', ""))
        .into_owned()
}

fn punctuation(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{02bc}' | '`'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Legal forms as word sequences, compared case-insensitively on the words of the text.
const LEGAL_FORMS: &[&[&str]] = &[
    &["pty", "ltd"],
    &["pty", "limited"],
    &["co", "ltd"],
    &["and", "co"],
    &["s", "p", "a"],
    &["spa"],
    &["s", "a"],
    &["sa"],
    &["n", "v"],
    &["nv"],
    &["b", "v"],
    &["bv"],
    &["inc"],
    &["incorporated"],
    &["corp"],
    &["corporation"],
    &["co"],
    &["company"],
    &["ltd"],
    &["limited"],
    &["gmbh"],
    &["llc"],
    &["plc"],
    &["ag"],
];

fn legal_forms(text: &str) -> String {
    // Word spans of the text (letters and digits); separators between them are kept.
    let words: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    v.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            v.push((s, text.len()));
        }
        v
    };
    let mut keep = words.len();
    'strip: loop {
        for form in LEGAL_FORMS {
            let n = form.len();
            // Never strip the whole name ("Company" alone stays).
            if keep > n
                && words[keep - n..keep]
                    .iter()
                    .zip(form.iter())
                    .all(|(&(s, e), f)| text[s..e].eq_ignore_ascii_case(f))
            {
                keep -= n;
                continue 'strip;
            }
        }
        break;
    }
    if keep == words.len() {
        return text.to_owned();
    }
    text[..words[keep - 1].1].to_owned()
}

fn quantity_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let unit =
            r"(?:fl\.?\s?oz|ml|mL|cl|dl|ltrs?|litres?|liters?|l|kg|mg|grams?|gms?|gr|g|oz|lbs?)";
        let num = r"\d+(?:[.,]\d+)?";
        Regex::new(&format!(
            r"(?ix)
            (?P<pack_of> \(?\s*(?:pack|pk|box|case)\s+of\s+(?P<pack_n>\d+)\s*\)? )
          | (?P<multi> (?P<mult_n>\d+)\s*[x×]\s*(?P<mult_v>{num})\s*(?P<mult_u>{unit})\b )
          | (?P<single> (?P<v>{num})\s*(?P<u>{unit})\b )
          | (?P<count> (?P<count_n>\d+)\s*-?\s*(?:pack|pk|pcs|pc|ct|count)\b )"
        ))
        .expect("valid regex")
    })
}

fn canonical(unit: &str) -> (f64, &'static str) {
    let u: String = unit
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    match u.as_str() {
        "ml" => (1.0, "ml"),
        "cl" => (10.0, "ml"),
        "dl" => (100.0, "ml"),
        "l" | "ltr" | "ltrs" | "litre" | "litres" | "liter" | "liters" => (1000.0, "ml"),
        "floz" => (29.573_529_562_5, "ml"),
        "g" | "gr" | "gm" | "gms" | "gram" | "grams" => (1.0, "g"),
        "kg" => (1000.0, "g"),
        "mg" => (0.001, "g"),
        "oz" => (28.349_523_125, "g"),
        "lb" | "lbs" => (453.592_37, "g"),
        _ => (1.0, "count"),
    }
}

fn parse_num(s: &str) -> f64 {
    s.replace(',', ".").parse().unwrap_or(f64::NAN)
}

fn extract_quantities(text: &str, out: &mut Vec<Quantity>) -> String {
    let re = quantity_regex();
    let mut result = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let m = caps.get(0).expect("group 0");
        // A number glued to a preceding letter or digit is part of a name (`C2`, `7UP`).
        if text[..m.start()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == ',')
        {
            continue;
        }
        let raw = m.as_str().trim().to_owned();
        let q = if let Some(n) = caps.name("pack_n") {
            let n: u32 = n.as_str().parse().unwrap_or(u32::MAX);
            Quantity {
                raw,
                value: f64::from(n),
                unit: "pack".into(),
                canonical_value: f64::from(n),
                canonical_unit: "count",
                pack_count: Some(n),
            }
        } else if let Some(n) = caps.name("mult_n") {
            let n: u32 = n.as_str().parse().unwrap_or(u32::MAX);
            let v = parse_num(&caps["mult_v"]);
            let unit = caps["mult_u"].to_lowercase();
            let (factor, cu) = canonical(&unit);
            Quantity {
                raw,
                value: v,
                canonical_value: v * factor,
                unit,
                canonical_unit: cu,
                pack_count: Some(n),
            }
        } else if let Some(v) = caps.name("v") {
            let v = parse_num(v.as_str());
            let unit = caps["u"].to_lowercase();
            let (factor, cu) = canonical(&unit);
            Quantity {
                raw,
                value: v,
                canonical_value: v * factor,
                unit,
                canonical_unit: cu,
                pack_count: None,
            }
        } else {
            let n: u32 = caps["count_n"].parse().unwrap_or(u32::MAX);
            Quantity {
                raw,
                value: f64::from(n),
                unit: "pack".into(),
                canonical_value: f64::from(n),
                canonical_unit: "count",
                pack_count: Some(n),
            }
        };
        out.push(q);
        result.push_str(&text[last..m.start()]);
        result.push(' ');
        last = m.end();
    }
    result.push_str(&text[last..]);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Normalized {
        NormalizerSpec::default().build().unwrap().apply(s)
    }

    #[test]
    fn quantities_are_pulled_out() {
        let cases: &[(&str, &str, f64, &str, Option<u32>)] = &[
            ("Coca Cola 1.5L", "coca cola", 1500.0, "ml", None),
            ("Coca Cola 1,5 L", "coca cola", 1500.0, "ml", None),
            ("Coca Cola 1500ml", "coca cola", 1500.0, "ml", None),
            ("Coke 6x330ml", "coke", 330.0, "ml", Some(6)),
            ("Coke 6 × 330 mL", "coke", 330.0, "ml", Some(6)),
            ("Pepsi 12oz", "pepsi", 340.194_277_5, "g", None),
            ("Pepsi 12 fl oz", "pepsi", 354.882_354_75, "ml", None),
            (
                "Skyflakes (Pack of 12)",
                "skyflakes",
                12.0,
                "count",
                Some(12),
            ),
            ("Milo 500g", "milo", 500.0, "g", None),
            ("Rice 2.2kg", "rice", 2200.0, "g", None),
        ];
        for &(input, text, value, unit, pack) in cases {
            let n = norm(input);
            assert_eq!(n.text, text, "{input}");
            assert_eq!(n.quantities.len(), 1, "{input}: {:?}", n.quantities);
            let q = &n.quantities[0];
            assert!((q.canonical_value - value).abs() < 1e-9, "{input}: {q:?}");
            assert_eq!(q.canonical_unit, unit, "{input}");
            assert_eq!(q.pack_count, pack, "{input}");
        }
    }

    #[test]
    fn names_with_digits_are_not_quantities() {
        for s in [
            "C2 Green Tea",
            "7UP",
            "555 Sardines",
            "3-in-1 Coffee",
            "7-Eleven",
            "Datu Puti Vinegar 3-in-1",
        ] {
            assert!(
                norm(s).quantities.is_empty(),
                "{s}: {:?}",
                norm(s).quantities
            );
        }
    }

    #[test]
    fn legal_forms_initials_ampersand() {
        assert_eq!(norm("Universal Robina Corp.").text, "universal robina");
        assert_eq!(norm("Foo Pty Ltd").text, "foo");
        assert_eq!(norm("Procter & Gamble Co.").text, "procter and gamble");
        assert_eq!(norm("Smith & Co.").text, "smith");
        assert_eq!(norm("Nestlé S.A.").text, "nestlé");
        assert_eq!(norm("I.B.M.").text, "ibm");
        assert_eq!(norm("Company").text, "company");
        assert_eq!(norm("Lady's Choice").text, "ladys choice");
        assert_eq!(norm("ＣＯＫＥ").text, "coke");
        assert_eq!(norm("H&M").text, "h and m");
    }

    #[test]
    fn accent_folding_is_a_separate_step() {
        let fold = NormalizerSpec::from_names(&["nfc", "lowercase", "fold_accents"])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(fold.apply("Nestlé").text, "nestle");
        assert_eq!(fold.apply("Cafe\u{301}").text, "cafe");
        assert_eq!(norm("Cafe\u{301}").text, "café");
    }

    #[test]
    fn specs_are_validated() {
        assert!(
            NormalizerSpec::from_names(&["nfc", "nfc"])
                .unwrap()
                .build()
                .is_err()
        );
        assert_eq!(
            NormalizerSpec::from_names(&["x"]).unwrap_err().code(),
            "invalid_argument"
        );
    }
}
