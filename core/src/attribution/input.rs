//! Input tables: exposures and transactions, columnar and validated on construction.

use rustc_hash::FxHashMap;

use crate::error::{CesError, Result, Row};

/// How a person (or a region) met an exposure. Recency ties at the same instant rank
/// `View < EngagedView < Click`: the click is the "later", more deliberate touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interaction {
    /// An impression (display, TV, OOH, print: anything seen, not acted on).
    View = 0,
    /// A video view past the platform's engagement threshold (YouTube: 10 s or the end).
    EngagedView = 1,
    /// A click, tap or swipe.
    Click = 2,
}

impl Interaction {
    /// All three, in rank order.
    pub const ALL: [Interaction; 3] = [
        Interaction::View,
        Interaction::EngagedView,
        Interaction::Click,
    ];

    /// `view`, `engaged_view` or `click`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interaction::View => "view",
            Interaction::EngagedView => "engaged_view",
            Interaction::Click => "click",
        }
    }

    /// Parses `view` (also `impression`), `engaged_view` (also `engaged-view`, `engaged view`)
    /// or `click`, ignoring ASCII case and surrounding spaces.
    ///
    /// ```
    /// use ces::attribution::Interaction;
    /// assert_eq!(Interaction::parse("Engaged-View"), Some(Interaction::EngagedView));
    /// assert_eq!(Interaction::parse("hover"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Interaction> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match t.as_str() {
            "view" | "impression" => Some(Interaction::View),
            "engaged_view" => Some(Interaction::EngagedView),
            "click" => Some(Interaction::Click),
            _ => None,
        }
    }

    pub(crate) fn rank(self) -> u8 {
        self as u8
    }
}

impl std::fmt::Display for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identifier or match-key column: integers or text. Exposure ids order recency ties
/// (numerically for integers, bytewise for text); keys only need equality.
#[derive(Clone, Debug, PartialEq)]
pub enum Ids {
    /// 64-bit integers.
    Int(Vec<i64>),
    /// UTF-8 text.
    Text(Vec<String>),
}

impl Ids {
    /// Rows in the column.
    pub fn len(&self) -> usize {
        match self {
            Ids::Int(v) => v.len(),
            Ids::Text(v) => v.len(),
        }
    }

    /// Is the column empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` rendered as text (for messages and reports).
    pub fn render(&self, i: usize) -> String {
        match self {
            Ids::Int(v) => v[i].to_string(),
            Ids::Text(v) => v[i].clone(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Ids::Int(_) => "integer",
            Ids::Text(_) => "text",
        }
    }

    /// For each row, its rank in ascending order (equal values share a rank).
    pub(crate) fn ranks(&self) -> std::borrow::Cow<'_, [i64]> {
        match self {
            Ids::Int(v) => std::borrow::Cow::Borrowed(v),
            Ids::Text(v) => {
                let mut order: Vec<u32> = (0..v.len() as u32).collect();
                order.sort_unstable_by(|&a, &b| v[a as usize].cmp(&v[b as usize]));
                let mut out = vec![0i64; v.len()];
                let mut rank = 0i64;
                for (i, &r) in order.iter().enumerate() {
                    if i > 0 && v[r as usize] != v[order[i - 1] as usize] {
                        rank += 1;
                    }
                    out[r as usize] = rank;
                }
                std::borrow::Cow::Owned(out)
            }
        }
    }
}

/// A dictionary-encoded text column (channels, campaigns, assets): `values[codes[i]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    /// One code per row.
    pub codes: Vec<u32>,
    /// The distinct values, indexed by code.
    pub values: Vec<String>,
}

impl Labels {
    /// Interns `items` (first occurrence gets the next code).
    ///
    /// ```
    /// use ces::attribution::Labels;
    /// let l = Labels::from_strs(["tv", "search", "tv"]);
    /// assert_eq!(l.codes, vec![0, 1, 0]);
    /// assert_eq!(l.get(2), "tv");
    /// ```
    pub fn from_strs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Labels {
        let mut map: FxHashMap<String, u32> = FxHashMap::default();
        let mut out = Labels::default();
        for s in items {
            let s = s.as_ref();
            let code = match map.get(s) {
                Some(&c) => c,
                None => {
                    let c = out.values.len() as u32;
                    map.insert(s.to_owned(), c);
                    out.values.push(s.to_owned());
                    c
                }
            };
            out.codes.push(code);
        }
        out
    }

    /// The value of row `i`.
    pub fn get(&self, i: usize) -> &str {
        &self.values[self.codes[i] as usize]
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    fn check(&self, field: &str) -> Result<()> {
        if let Some((row, &c)) = self
            .codes
            .iter()
            .enumerate()
            .find(|(_, c)| **c as usize >= self.values.len())
        {
            return Err(CesError::InvalidArgument {
                row: Row(Some(row as u64)),
                field: field.into(),
                value: c.to_string(),
                reason: format!(
                    "dictionary code out of range ({} values)",
                    self.values.len()
                ),
            });
        }
        Ok(())
    }
}

/// The columns of an exposure table. Times are microseconds since the Unix epoch, UTC.
#[derive(Clone, Debug)]
pub struct ExposureColumns {
    /// Exposure id (orders exact recency ties).
    pub id: Ids,
    /// The match key: customer, household, store, geography … (same kind as the
    /// transactions' key).
    pub key: Ids,
    /// When the exposure happened, or when a flight started.
    pub start: Vec<i64>,
    /// When a flight ended; `None` for a point exposure or a flight still running.
    pub end: Vec<Option<i64>>,
    /// Channel (`tv`, `social_media`, `search`, `ooh`, `retail_pos` …).
    pub channel: Labels,
    /// Click, engaged view or view.
    pub interaction: Vec<Interaction>,
    /// Campaign.
    pub campaign: Labels,
    /// Creative asset.
    pub asset: Labels,
    /// Optional media cost of the exposure (rolled up next to credit).
    pub cost: Option<Vec<Option<f64>>>,
}

/// A validated exposure table.
///
/// ```
/// use ces::attribution::*;
/// let ex = ExposureTable::new(ExposureColumns {
///     id: Ids::Int(vec![1, 2]),
///     key: Ids::Text(vec!["store-1".into(), "store-1".into()]),
///     start: vec![0, 3_600_000_000],
///     end: vec![Some(86_400_000_000), None],
///     channel: Labels::from_strs(["tv", "search"]),
///     interaction: vec![Interaction::View, Interaction::Click],
///     campaign: Labels::from_strs(["launch", "launch"]),
///     asset: Labels::from_strs(["spot-30s", "text-ad"]),
///     cost: None,
/// }).unwrap();
/// assert_eq!(ex.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct ExposureTable {
    pub(crate) c: ExposureColumns,
}

fn mismatch(a: &'static str, a_len: usize, b: &'static str, b_len: usize) -> CesError {
    CesError::LengthMismatch {
        left_field: a.into(),
        left_len: a_len,
        right_field: b.into(),
        right_len: b_len,
    }
}

fn check_len(name: &'static str, len: usize, n: usize) -> Result<()> {
    if len != n {
        Err(mismatch("id", n, name, len))
    } else {
        Ok(())
    }
}

fn bad_number(table: &str, row: usize, field: &str, v: f64) -> CesError {
    CesError::InvalidRecord {
        input: table.into(),
        row: Row(Some(row as u64)),
        field: field.into(),
        value: v.to_string(),
        reason: "must be a finite number ≥ 0".into(),
    }
}

impl ExposureTable {
    /// Validates the columns: equal lengths, `end ≥ start`, cost finite and ≥ 0.
    pub fn new(c: ExposureColumns) -> Result<ExposureTable> {
        let n = c.id.len();
        check_len("key", c.key.len(), n)?;
        check_len("start", c.start.len(), n)?;
        check_len("end", c.end.len(), n)?;
        check_len("channel", c.channel.len(), n)?;
        check_len("interaction", c.interaction.len(), n)?;
        check_len("campaign", c.campaign.len(), n)?;
        check_len("asset", c.asset.len(), n)?;
        if let Some(cost) = &c.cost {
            check_len("cost", cost.len(), n)?;
            if let Some((row, v)) = cost
                .iter()
                .enumerate()
                .find_map(|(i, v)| v.filter(|v| !(v.is_finite() && *v >= 0.0)).map(|v| (i, v)))
            {
                return Err(bad_number("exposures", row, "cost", v));
            }
        }
        c.channel.check("channel")?;
        c.campaign.check("campaign")?;
        c.asset.check("asset")?;
        if let Some(row) = (0..n).find(|&i| c.end[i].is_some_and(|e| e < c.start[i])) {
            return Err(CesError::InvalidRecord {
                input: "exposures".into(),
                row: Row(Some(row as u64)),
                field: "end".into(),
                value: format!(
                    "{} < start {}",
                    c.end[row].unwrap_or_default(),
                    c.start[row]
                ),
                reason: "an interval exposure must not end before it starts".into(),
            });
        }
        Ok(ExposureTable { c })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.c.id.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The columns.
    pub fn columns(&self) -> &ExposureColumns {
        &self.c
    }

    /// τ: the end of a flight, or the start of a point exposure / running flight.
    pub(crate) fn tau(&self, i: usize) -> i64 {
        self.c.end[i].unwrap_or(self.c.start[i])
    }
}

/// The columns of a transaction table. Each transaction is one conversion.
#[derive(Clone, Debug)]
pub struct TransactionColumns {
    /// Transaction id.
    pub id: Ids,
    /// The match key (same kind as the exposures').
    pub key: Ids,
    /// When it happened: microseconds since the Unix epoch, UTC.
    pub time: Vec<i64>,
    /// Its value (revenue), finite and ≥ 0.
    pub value: Vec<f64>,
    /// Units sold, finite and ≥ 0.
    pub units: Vec<f64>,
}

/// A validated transaction table.
#[derive(Clone, Debug)]
pub struct TransactionTable {
    pub(crate) c: TransactionColumns,
}

impl TransactionTable {
    /// Validates the columns: equal lengths; value and units finite and ≥ 0.
    pub fn new(c: TransactionColumns) -> Result<TransactionTable> {
        let n = c.id.len();
        check_len("key", c.key.len(), n)?;
        check_len("time", c.time.len(), n)?;
        check_len("value", c.value.len(), n)?;
        check_len("units", c.units.len(), n)?;
        for (field, col) in [("value", &c.value), ("units", &c.units)] {
            if let Some((row, &v)) = col
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(bad_number("transactions", row, field, v));
            }
        }
        Ok(TransactionTable { c })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.c.id.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The columns.
    pub fn columns(&self) -> &TransactionColumns {
        &self.c
    }
}

/// Match-key codes shared by both tables: equal keys get equal codes, and codes ascend with
/// the keys (numerically or bytewise), so every order derived from them is canonical.
pub(crate) fn key_codes(ex: &Ids, tx: &Ids) -> Result<(Vec<u64>, Vec<u64>)> {
    match (ex, tx) {
        (Ids::Int(e), Ids::Int(t)) => {
            let f = |v: &i64| (*v as u64) ^ (1 << 63);
            Ok((e.iter().map(f).collect(), t.iter().map(f).collect()))
        }
        (Ids::Text(e), Ids::Text(t)) => {
            let mut distinct: Vec<&str> = e.iter().chain(t.iter()).map(String::as_str).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let map: FxHashMap<&str, u64> = distinct
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, i as u64))
                .collect();
            let f = |s: &String| map[s.as_str()];
            Ok((e.iter().map(f).collect(), t.iter().map(f).collect()))
        }
        _ => Err(CesError::InvalidArgument {
            row: Row(None),
            field: "key".into(),
            value: format!("exposures: {}, transactions: {}", ex.kind(), tx.kind()),
            reason: "the match keys of both tables must be of the same kind".into(),
        }),
    }
}
