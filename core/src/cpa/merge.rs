//! The merge: Everflow conversions × Redtrack spend through the mapping (the brief's rules
//! 1–10), with diagnostics that are returned, never only logged.

use rustc_hash::{FxHashMap, FxHashSet};

use super::dates::{Date, DateRange};
use super::money::{Currency, Decimal, cpa};
use super::tables::{EverflowTable, Input, Mapping, RowIssue, SpendTable, normalize_label};
use crate::{CesError, Result, error::Row};

/// Which affiliates are *internal* (their cost is Redtrack spend) rather than external
/// (their cost is the Everflow payout).
///
/// By default an affiliate is internal exactly when the mapping sends a Redtrack source to it
/// (for that advertiser), so a newly mapped affiliate can never be missed the way a
/// hard-coded list missed one. `include` and `exclude` override by affiliate label (any
/// advertiser); labels are normalised.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InternalRule {
    /// Derive internal affiliates from the mapping (default `true`).
    pub from_mapping: bool,
    /// Labels that are internal whatever the mapping says.
    pub include: Vec<String>,
    /// Labels that are external whatever the mapping says (their mapped spend is reported in
    /// [`Diagnostics::excluded_spend`], not silently ignored).
    pub exclude: Vec<String>,
}

impl Default for InternalRule {
    fn default() -> Self {
        InternalRule {
            from_mapping: true,
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

/// Merge settings as given; [`MergeParams::check`] validates them into a [`MergeConfig`].
///
/// ```
/// use ces::cpa::MergeParams;
/// let config = MergeParams { currency: "usd".into(), ..Default::default() }.check().unwrap();
/// assert_eq!(config.currency().as_str(), "USD");
/// assert!(MergeParams { currency: "XYZ".into(), ..Default::default() }.check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MergeParams {
    /// The one currency of every amount (ISO 4217). Amounts in another currency are an error:
    /// the merge has no exchange rates and will not add dollars to euros.
    pub currency: String,
    /// Internal-affiliate rule.
    pub internal: InternalRule,
    /// Report dates to merge (inclusive); rows outside are counted in
    /// [`Diagnostics::out_of_range`]. `None`: every date.
    pub range: Option<DateRange>,
}

impl Default for MergeParams {
    fn default() -> Self {
        MergeParams {
            currency: "USD".into(),
            internal: InternalRule::default(),
            range: None,
        }
    }
}

/// Validated merge settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeConfig {
    currency: Currency,
    from_mapping: bool,
    include: FxHashSet<String>,
    exclude: FxHashSet<String>,
    range: Option<DateRange>,
    params: MergeParams,
}

impl Default for MergeConfig {
    fn default() -> Self {
        MergeParams::default()
            .check()
            .unwrap_or_else(|_| unreachable!("defaults are valid"))
    }
}

impl MergeConfig {
    /// The merge currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The date range, if any.
    pub fn range(&self) -> Option<DateRange> {
        self.range
    }
    /// The settings this was checked from.
    pub fn params(&self) -> &MergeParams {
        &self.params
    }
}

impl MergeParams {
    /// Validates: a known currency, no label both included and excluded.
    pub fn check(&self) -> Result<MergeConfig> {
        let currency =
            Currency::parse(&self.currency).ok_or_else(|| CesError::InvalidArgument {
                row: Row(None),
                field: "currency".into(),
                value: format!("{:?}", self.currency),
                reason: "not an ISO 4217 currency code".into(),
            })?;
        let norm = |v: &[String]| {
            v.iter()
                .map(|s| normalize_label(s).into_owned())
                .collect::<FxHashSet<_>>()
        };
        let include = norm(&self.internal.include);
        let exclude = norm(&self.internal.exclude);
        if let Some(both) = include.intersection(&exclude).min() {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "internal".into(),
                value: format!("{both:?}"),
                reason: "a label cannot be both included and excluded".into(),
            });
        }
        Ok(MergeConfig {
            currency,
            from_mapping: self.internal.from_mapping,
            include,
            exclude,
            range: self.range,
            params: self.clone(),
        })
    }
}

/// Redtrack spend whose source the mapping does not send anywhere.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnmappedSpend {
    /// The source id.
    pub source_id: String,
    /// Its name (as the first row had it).
    pub source_name: String,
    /// Why it is unmapped.
    pub reason: UnmappedReason,
    /// Rows.
    pub rows: u64,
    /// Clicks.
    pub clicks: u64,
    /// Cost: this amount is in no output row.
    pub cost: Decimal,
    /// First date with spend.
    pub first_date: Date,
    /// Last date with spend.
    pub last_date: Date,
}

/// Why spend is unmapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmappedReason {
    /// The source id is not in the mapping.
    NotInMapping,
    /// The source's only mapping rows are malformed (`n/a`, missing fields).
    MalformedMapping,
    /// The source's mapping rows disagree, so neither can be chosen.
    ConflictingMapping,
}

/// A usable mapping row whose affiliate and advertiser never appear in Everflow (in range).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnusedMapping {
    /// Where the row is.
    pub location: String,
    /// Source id.
    pub source_id: String,
    /// Affiliate label (normalised).
    pub affiliate_label: String,
    /// Advertiser id.
    pub advertiser_id: i64,
}

/// Mapping rows for the same source id (identical ones, or ones that disagree).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MappingDuplicate {
    /// Source id.
    pub source_id: String,
    /// Where the rows are.
    pub locations: Vec<String>,
    /// Their targets, `label / advertiser id`.
    pub targets: Vec<String>,
}

/// Records with the same key and the same values: counted once, reported here.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DuplicateRows {
    /// The input.
    pub input: Input,
    /// The key, rendered.
    pub key: String,
    /// Positions of the records (the first is kept).
    pub rows: Vec<u64>,
}

/// An internal affiliate's day that does not add up: conversions without spend, or spend
/// without conversions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DayFlag {
    /// Report date.
    pub date: Date,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Affiliate label.
    pub affiliate_label: String,
    /// Everflow conversions.
    pub conversions: u64,
    /// Redtrack cost.
    pub redtrack_cost: Decimal,
}

/// Mapped spend on an affiliate that the internal rule makes external: its cost is the
/// Everflow payout, so this spend is in no cost figure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExcludedSpend {
    /// Affiliate label.
    pub affiliate_label: String,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Days with such spend.
    pub days: u64,
    /// The spend.
    pub cost: Decimal,
}

/// Records outside the merge's date range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutOfRange {
    /// Everflow records.
    pub everflow_rows: u64,
    /// Redtrack records.
    pub redtrack_rows: u64,
}

/// How the money and conversions reconcile: every input amount is in exactly one place.
///
/// * `redtrack_cost = mapped_cost + unmapped_cost`
/// * `output_cost = mapped_cost − excluded_cost + external_payout`
/// * `output_conversions = everflow_conversions`
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    /// Σ Everflow conversions (in range, duplicates counted once).
    pub everflow_conversions: u64,
    /// Σ Everflow payout.
    pub everflow_payout: Decimal,
    /// Σ Everflow revenue.
    pub everflow_revenue: Decimal,
    /// Σ Redtrack cost.
    pub redtrack_cost: Decimal,
    /// Redtrack cost that reached a mapped affiliate.
    pub mapped_cost: Decimal,
    /// Redtrack cost in [`Diagnostics::unmapped_spend`].
    pub unmapped_cost: Decimal,
    /// Mapped cost on affiliates made external ([`Diagnostics::excluded_spend`]).
    pub excluded_cost: Decimal,
    /// Σ payout of external affiliates (their cost).
    pub external_payout: Decimal,
    /// Σ cost of the output.
    pub output_cost: Decimal,
    /// Σ conversions of the output.
    pub output_conversions: u64,
    /// Output rows.
    pub output_rows: u64,
}

/// Everything a merge noticed, returned with every merge.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostics {
    /// Input records the readers (or `push_or_report`) rejected.
    pub rejected_rows: Vec<RowIssue>,
    /// Spend that reaches no affiliate, per source, with its amount.
    pub unmapped_spend: Vec<UnmappedSpend>,
    /// Usable mapping rows never seen in Everflow.
    pub unused_mappings: Vec<UnusedMapping>,
    /// Mapping rows that cannot be used (`n/a`, missing or malformed ids).
    pub malformed_mappings: Vec<RowIssue>,
    /// Mapping rows for one source that disagree (the source's spend is unmapped).
    pub conflicting_mappings: Vec<MappingDuplicate>,
    /// Mapping rows for one source that agree (harmless, reported once).
    pub duplicate_mappings: Vec<MappingDuplicate>,
    /// Identical duplicate input records, counted once.
    pub duplicate_rows: Vec<DuplicateRows>,
    /// Internal affiliates' days with conversions but no spend.
    pub conversions_without_spend: Vec<DayFlag>,
    /// Internal affiliates' days with spend but no conversions.
    pub spend_without_conversions: Vec<DayFlag>,
    /// Mapped spend on affiliates the internal rule makes external.
    pub excluded_spend: Vec<ExcludedSpend>,
    /// Records outside the date range.
    pub out_of_range: OutOfRange,
    /// The reconciliation of totals.
    pub totals: Reconciliation,
}

impl Diagnostics {
    /// Is there anything a person should look at?
    pub fn has_findings(&self) -> bool {
        !(self.rejected_rows.is_empty()
            && self.unmapped_spend.is_empty()
            && self.unused_mappings.is_empty()
            && self.malformed_mappings.is_empty()
            && self.conflicting_mappings.is_empty()
            && self.duplicate_rows.is_empty()
            && self.conversions_without_spend.is_empty()
            && self.spend_without_conversions.is_empty()
            && self.excluded_spend.is_empty())
    }

    /// Every finding as `(kind, JSON)` records, the shape stored in `ops.run_events`.
    pub fn events(&self) -> Vec<(&'static str, serde_json::Value)> {
        fn push<T: serde::Serialize>(
            out: &mut Vec<(&'static str, serde_json::Value)>,
            kind: &'static str,
            items: &[T],
        ) {
            for i in items {
                out.push((
                    kind,
                    serde_json::to_value(i).unwrap_or(serde_json::Value::Null),
                ));
            }
        }
        let mut out = Vec::new();
        push(&mut out, "rejected_row", &self.rejected_rows);
        push(&mut out, "unmapped_spend", &self.unmapped_spend);
        push(&mut out, "unused_mapping", &self.unused_mappings);
        push(&mut out, "malformed_mapping", &self.malformed_mappings);
        push(&mut out, "conflicting_mapping", &self.conflicting_mappings);
        push(&mut out, "duplicate_mapping", &self.duplicate_mappings);
        push(&mut out, "duplicate_rows", &self.duplicate_rows);
        push(
            &mut out,
            "conversions_without_spend",
            &self.conversions_without_spend,
        );
        push(
            &mut out,
            "spend_without_conversions",
            &self.spend_without_conversions,
        );
        push(&mut out, "excluded_spend", &self.excluded_spend);
        out
    }

    /// The whole record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// One merged row: per (date, advertiser, affiliate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerformanceRow<'a> {
    /// Report date.
    pub date: Date,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Advertiser label (normalised; the first seen for this id).
    pub advertiser_label: &'a str,
    /// Affiliate label (normalised): the identity.
    pub affiliate_label: &'a str,
    /// Internal (cost = Redtrack spend) or external (cost = Everflow payout).
    pub is_internal: bool,
    /// Everflow clicks.
    pub everflow_clicks: u64,
    /// Everflow conversions.
    pub conversions: u64,
    /// Everflow revenue.
    pub everflow_revenue: Decimal,
    /// Everflow payout.
    pub everflow_payout: Decimal,
    /// Redtrack cost summed through the mapping.
    pub redtrack_cost: Decimal,
    /// Redtrack clicks summed through the mapping.
    pub redtrack_clicks: u64,
    /// The cost: Redtrack cost when internal, Everflow payout when external.
    pub cost: Decimal,
    /// `cost / conversions`; `None` when there are no conversions.
    pub cpa: Option<Decimal>,
    /// Everflow records behind the row (0: spend without an Everflow record).
    pub everflow_rows: u32,
    /// Redtrack records behind the row.
    pub spend_rows: u32,
}

/// The merged output, columnar, ordered by (date, advertiser id, affiliate label).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerformanceTable {
    pub(crate) dates: Vec<Date>,
    pub(crate) advertiser_ids: Vec<i64>,
    pub(crate) advertiser_labels: Vec<u32>,
    pub(crate) affiliate_labels: Vec<u32>,
    pub(crate) is_internal: Vec<bool>,
    pub(crate) everflow_clicks: Vec<u64>,
    pub(crate) conversions: Vec<u64>,
    pub(crate) revenue: Vec<Decimal>,
    pub(crate) payout: Vec<Decimal>,
    pub(crate) redtrack_cost: Vec<Decimal>,
    pub(crate) redtrack_clicks: Vec<u64>,
    pub(crate) cost: Vec<Decimal>,
    pub(crate) cpa: Vec<Option<Decimal>>,
    pub(crate) everflow_rows: Vec<u32>,
    pub(crate) spend_rows: Vec<u32>,
    pub(crate) affiliate_names: Vec<String>,
    pub(crate) advertiser_names: Vec<String>,
}

/// Borrowed columns of a [`PerformanceTable`], for building Arrow arrays or writing to a
/// database without going row by row.
#[derive(Clone, Copy, Debug)]
#[allow(missing_docs)]
pub struct PerformanceColumns<'a> {
    pub date: &'a [Date],
    pub advertiser_id: &'a [i64],
    /// Index into `advertiser_names`.
    pub advertiser_label: &'a [u32],
    /// Index into `affiliate_names`.
    pub affiliate_label: &'a [u32],
    pub is_internal: &'a [bool],
    pub everflow_clicks: &'a [u64],
    pub conversions: &'a [u64],
    pub everflow_revenue: &'a [Decimal],
    pub everflow_payout: &'a [Decimal],
    pub redtrack_cost: &'a [Decimal],
    pub redtrack_clicks: &'a [u64],
    pub cost: &'a [Decimal],
    pub cpa: &'a [Option<Decimal>],
    pub everflow_rows: &'a [u32],
    pub spend_rows: &'a [u32],
    pub affiliate_names: &'a [String],
    pub advertiser_names: &'a [String],
}

impl PerformanceTable {
    /// Rows.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> PerformanceRow<'_> {
        PerformanceRow {
            date: self.dates[i],
            advertiser_id: self.advertiser_ids[i],
            advertiser_label: &self.advertiser_names[self.advertiser_labels[i] as usize],
            affiliate_label: &self.affiliate_names[self.affiliate_labels[i] as usize],
            is_internal: self.is_internal[i],
            everflow_clicks: self.everflow_clicks[i],
            conversions: self.conversions[i],
            everflow_revenue: self.revenue[i],
            everflow_payout: self.payout[i],
            redtrack_cost: self.redtrack_cost[i],
            redtrack_clicks: self.redtrack_clicks[i],
            cost: self.cost[i],
            cpa: self.cpa[i],
            everflow_rows: self.everflow_rows[i],
            spend_rows: self.spend_rows[i],
        }
    }

    /// All rows in order.
    pub fn iter(&self) -> impl Iterator<Item = PerformanceRow<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The columns.
    pub fn columns(&self) -> PerformanceColumns<'_> {
        PerformanceColumns {
            date: &self.dates,
            advertiser_id: &self.advertiser_ids,
            advertiser_label: &self.advertiser_labels,
            affiliate_label: &self.affiliate_labels,
            is_internal: &self.is_internal,
            everflow_clicks: &self.everflow_clicks,
            conversions: &self.conversions,
            everflow_revenue: &self.revenue,
            everflow_payout: &self.payout,
            redtrack_cost: &self.redtrack_cost,
            redtrack_clicks: &self.redtrack_clicks,
            cost: &self.cost,
            cpa: &self.cpa,
            everflow_rows: &self.everflow_rows,
            spend_rows: &self.spend_rows,
            affiliate_names: &self.affiliate_names,
            advertiser_names: &self.advertiser_names,
        }
    }

    /// The smallest number of decimal places that holds every money value of the table
    /// exactly (at least 2): the scale bindings use for Arrow `decimal128` money columns.
    pub fn money_scale(&self) -> u32 {
        let mut s = 2;
        for col in [&self.revenue, &self.payout, &self.redtrack_cost, &self.cost] {
            for v in col.iter() {
                // Only a value with more places than found so far can raise the scale.
                if v.scale() > s {
                    s = s.max(v.normalize().scale());
                }
            }
        }
        s
    }

    /// Builds a table from rows (sorted and checked for duplicate keys); for tests and for
    /// rows read back from a database.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = PerformanceRow<'a>>,
    ) -> Result<PerformanceTable> {
        let mut rows: Vec<PerformanceRow<'a>> = rows.into_iter().collect();
        rows.sort_by(|a, b| {
            (a.date, a.advertiser_id, a.affiliate_label).cmp(&(
                b.date,
                b.advertiser_id,
                b.affiliate_label,
            ))
        });
        let mut t = PerformanceTable::default();
        let mut aff: FxHashMap<&str, u32> = FxHashMap::default();
        let mut adv: FxHashMap<&str, u32> = FxHashMap::default();
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                let p = &rows[i - 1];
                if (p.date, p.advertiser_id, p.affiliate_label)
                    == (r.date, r.advertiser_id, r.affiliate_label)
                {
                    return Err(CesError::DuplicateKey {
                        input: "daily_performance".into(),
                        key: format!("{} / {} / {}", r.date, r.advertiser_id, r.affiliate_label),
                        first_row: i as u64 - 1,
                        row: i as u64,
                    });
                }
            }
            let n = aff.len() as u32;
            let a = *aff.entry(r.affiliate_label).or_insert_with(|| {
                t.affiliate_names.push(r.affiliate_label.to_owned());
                n
            });
            let n = adv.len() as u32;
            let b = *adv.entry(r.advertiser_label).or_insert_with(|| {
                t.advertiser_names.push(r.advertiser_label.to_owned());
                n
            });
            t.push(r.date, r.advertiser_id, b, a, r);
        }
        Ok(t)
    }

    fn push(
        &mut self,
        date: Date,
        adv: i64,
        adv_label: u32,
        aff_label: u32,
        r: &PerformanceRow<'_>,
    ) {
        self.dates.push(date);
        self.advertiser_ids.push(adv);
        self.advertiser_labels.push(adv_label);
        self.affiliate_labels.push(aff_label);
        self.is_internal.push(r.is_internal);
        self.everflow_clicks.push(r.everflow_clicks);
        self.conversions.push(r.conversions);
        self.revenue.push(r.everflow_revenue);
        self.payout.push(r.everflow_payout);
        self.redtrack_cost.push(r.redtrack_cost);
        self.redtrack_clicks.push(r.redtrack_clicks);
        self.cost.push(r.cost);
        self.cpa.push(r.cpa);
        self.everflow_rows.push(r.everflow_rows);
        self.spend_rows.push(r.spend_rows);
    }
}

/// A merge's result: the rows and what was noticed on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    /// Per (date, advertiser, affiliate) rows.
    pub performance: PerformanceTable,
    /// Diagnostics.
    pub diagnostics: Diagnostics,
}

/// `*acc += x` if the result is exact (no overflow, no digits rounded away); `false` if not.
fn add_exact(acc: &mut Decimal, x: Decimal) -> bool {
    match acc.checked_add(x) {
        Some(r) if r.scale() >= acc.scale().max(x.scale()) => {
            *acc = r;
            true
        }
        _ => false,
    }
}

/// Spend summed per key: (key, cost, clicks, records).
type SpendSum = (u128, Decimal, u64, u32);

#[derive(Clone, Copy)]
enum SourceState {
    Unknown,
    Mapped { label: u32, adv: u32 },
    Malformed,
    Conflict,
}

fn sort_u128(v: &mut [u128]) {
    #[cfg(feature = "parallel")]
    if crate::parallel::enabled() && v.len() > 100_000 {
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable();
        return;
    }
    v.sort_unstable();
}

fn currency_error(input: Input, row: u64, found: Currency, want: Currency) -> CesError {
    CesError::InvalidRecord {
        input: input.name().into(),
        row: Row(Some(row)),
        field: "currency".into(),
        value: found.to_string(),
        reason: format!(
            "the merge currency is {want}; amounts in {found} cannot be added without exchange rates"
        ),
    }
}

/// Merges Everflow conversions with Redtrack spend through the mapping.
///
/// The rules (from the CPA brief): labels normalised on both sides; the key is (date,
/// affiliate label, advertiser id); spend is summed per key through the mapping *before*
/// the join; Everflow is joined to the summed spend, and spend with no Everflow record still
/// gets a row (so no cost disappears); internal affiliates are derived from the mapping;
/// cost is Redtrack spend for internal affiliates and Everflow payout for external ones; CPA
/// is undefined (`None`) with 0 conversions; money is decimal throughout. The output is
/// ordered by (date, advertiser id, affiliate label) and is the same for the same inputs,
/// whatever the number of threads.
///
/// Errors: a record in another currency than the merge's ([`CesError::InvalidRecord`]), or
/// two records with the same key and different values ([`CesError::DuplicateKey`]).
///
/// ```
/// use ces::cpa::*;
/// let mapping = read_mapping_csv(b"redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n\
///     Facebook CCW,facebook,s1,1,G2 - Meta,1,CCW\n", &ReadOptions::default()).unwrap();
/// let d = Date::from_ymd_opt(2025, 11, 2).unwrap();
/// let mut ef = EverflowTable::new();
/// for (label, cv, payout) in [("G2 - Meta", 4, 100), (" Blue  Bench ", 0, 0)] {
///     ef.push(EverflowRow { date: d, affiliate_id: None, affiliate_label: label, advertiser_id: 1,
///         advertiser_label: "CCW", clicks: 10, conversions: cv, revenue: Decimal::from(cv * 50),
///         payout: Decimal::from(payout), profit: None, currency: None }).unwrap();
/// }
/// let mut rt = SpendTable::new();
/// rt.push(SpendRow { date: d, stamp: None, source_id: "s1", source_name: "Facebook CCW",
///     source_alias: None, clicks: 99, conversions: 3, cost: Decimal::new(1000, 1), currency: None }).unwrap();
/// rt.push(SpendRow { date: d, stamp: None, source_id: "s9", source_name: "Tigresh Facebook CCW",
///     source_alias: None, clicks: 5, conversions: 0, cost: Decimal::new(2072, 1), currency: None }).unwrap();
/// let out = merge(&ef, &rt, &mapping, &MergeConfig::default()).unwrap();
/// let rows: Vec<_> = out.performance.iter().collect();
/// assert_eq!(rows[0].affiliate_label, "Blue Bench");
/// assert_eq!(rows[0].cpa, None); // no conversions: undefined, not 0
/// assert!(rows[1].is_internal);
/// assert_eq!(rows[1].cost.to_string(), "100.0");  // internal: Redtrack cost
/// assert_eq!(rows[1].cpa.unwrap().to_string(), "25.000000000000");
/// assert_eq!(out.diagnostics.unmapped_spend[0].cost.to_string(), "207.2");
/// ```
pub fn merge(
    everflow: &EverflowTable,
    spend: &SpendTable,
    mapping: &Mapping,
    config: &MergeConfig,
) -> Result<Merge> {
    merge_with_progress(everflow, spend, mapping, config, &mut |_| {})
}

/// A merge's progress: the stage, and how far it is (`done` of `total` items).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MergeProgress {
    /// `spend` (mapping and summing Redtrack rows), `everflow` (ordering Everflow rows) or
    /// `join` (building output rows).
    pub stage: &'static str,
    /// Items done.
    pub done: u64,
    /// Items in the stage.
    pub total: u64,
}

/// [`merge`], reporting progress: at the start and end of each stage and every 2^20 rows of
/// the join. The callback runs on the calling thread.
pub fn merge_with_progress(
    everflow: &EverflowTable,
    spend: &SpendTable,
    mapping: &Mapping,
    config: &MergeConfig,
    progress: &mut dyn FnMut(MergeProgress),
) -> Result<Merge> {
    let mut diag = Diagnostics::default();
    diag.rejected_rows.extend(everflow.issues.iter().cloned());
    diag.rejected_rows.extend(spend.issues.iter().cloned());
    diag.malformed_mappings
        .extend(mapping.issues.iter().cloned());
    let in_range = |d: Date| config.range.is_none_or(|r| r.contains(d));

    // --- rows in range, currency ------------------------------------------------------------
    let ef_rows: Vec<u32> = (0..everflow.len() as u32)
        .filter(|&i| in_range(everflow.dates[i as usize]))
        .collect();
    let rt_rows: Vec<u32> = (0..spend.len() as u32)
        .filter(|&i| in_range(spend.dates[i as usize]))
        .collect();
    diag.out_of_range = OutOfRange {
        everflow_rows: (everflow.len() - ef_rows.len()) as u64,
        redtrack_rows: (spend.len() - rt_rows.len()) as u64,
    };
    // Every amount is non-negative, so if the grand totals are exact decimals (at most 28
    // significant digits), every partial sum of the merge and its reports is exact too.
    let inexact = |input: Input, row: u64, field: &str, value: Decimal| CesError::InvalidRecord {
        input: input.name().into(),
        row: Row(Some(row)),
        field: field.into(),
        value: value.to_string(),
        reason: "adding it to the other amounts needs more than the 28 significant digits a \
                 decimal holds, so the totals could not be exact"
            .into(),
    };
    let (mut g_rev, mut g_pay, mut g_cost) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for &i in &ef_rows {
        let i = i as usize;
        if !add_exact(&mut g_rev, everflow.revenue[i]) {
            return Err(inexact(
                Input::Everflow,
                everflow.positions[i],
                "revenue",
                everflow.revenue[i],
            ));
        }
        if !add_exact(&mut g_pay, everflow.payout[i]) {
            return Err(inexact(
                Input::Everflow,
                everflow.positions[i],
                "payout",
                everflow.payout[i],
            ));
        }
    }
    for &i in &rt_rows {
        let i = i as usize;
        // Payout and cost end up in one cost column: their sum must be exact too.
        if !add_exact(&mut g_cost, spend.cost[i])
            || g_cost
                .checked_add(g_pay)
                .is_none_or(|t| t.scale() < g_cost.scale().max(g_pay.scale()))
        {
            return Err(inexact(
                Input::Redtrack,
                spend.positions[i],
                "cost",
                spend.cost[i],
            ));
        }
    }
    for &i in &ef_rows {
        let c = everflow.currencies[i as usize];
        if c != config.currency {
            return Err(currency_error(
                Input::Everflow,
                everflow.positions[i as usize],
                c,
                config.currency,
            ));
        }
    }
    for &i in &rt_rows {
        let c = spend.currencies[i as usize];
        if c != config.currency {
            return Err(currency_error(
                Input::Redtrack,
                spend.positions[i as usize],
                c,
                config.currency,
            ));
        }
    }

    // --- label and advertiser universes -------------------------------------------------------
    let ef_norm: Vec<String> = (0..everflow.strings.len() as u32)
        .map(|s| normalize_label(everflow.strings.get(s)).into_owned())
        .collect();
    let mut used_label = vec![false; everflow.strings.len()];
    let mut adv_first_label: FxHashMap<i64, u32> = FxHashMap::default();
    let mut last_adv: Option<i64> = None;
    for &i in &ef_rows {
        let i = i as usize;
        used_label[everflow.affiliate_labels[i] as usize] = true;
        let a = everflow.advertiser_ids[i];
        if last_adv != Some(a) {
            adv_first_label
                .entry(a)
                .or_insert(everflow.advertiser_labels[i]);
            last_adv = Some(a);
        }
    }
    let targets: Vec<_> = mapping
        .entries()
        .iter()
        .filter_map(|e| e.target.as_ref().map(|t| (e, t)))
        .collect();
    let mut labels: Vec<&str> = used_label
        .iter()
        .enumerate()
        .filter(|(_, u)| **u)
        .map(|(s, _)| ef_norm[s].as_str())
        .collect();
    labels.extend(targets.iter().map(|(_, t)| t.affiliate_label.as_str()));
    labels.sort_unstable();
    labels.dedup();
    let label_rank: FxHashMap<&str, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (*l, i as u32))
        .collect();
    let ef_label_rank: Vec<u32> = (0..everflow.strings.len())
        .map(|s| {
            label_rank
                .get(ef_norm[s].as_str())
                .copied()
                .unwrap_or(u32::MAX)
        })
        .collect();
    let mut advs: Vec<i64> = adv_first_label.keys().copied().collect();
    advs.extend(targets.iter().map(|(_, t)| t.advertiser_id));
    advs.sort_unstable();
    advs.dedup();
    let adv_rank: FxHashMap<i64, u32> = advs
        .iter()
        .enumerate()
        .map(|(i, a)| (*a, i as u32))
        .collect();
    let mut advertiser_names: Vec<String> = Vec::new();
    let mut adv_name_idx: Vec<u32> = Vec::with_capacity(advs.len());
    {
        let mut seen: FxHashMap<String, u32> = FxHashMap::default();
        for a in &advs {
            let name = match adv_first_label.get(a) {
                Some(&s) => ef_norm[s as usize].clone(),
                None => targets
                    .iter()
                    .find(|(_, t)| t.advertiser_id == *a && !t.advertiser_label.is_empty())
                    .map(|(_, t)| t.advertiser_label.clone())
                    .unwrap_or_default(),
            };
            let n = seen.len() as u32;
            let id = *seen.entry(name.clone()).or_insert_with(|| {
                advertiser_names.push(name);
                n
            });
            adv_name_idx.push(id);
        }
    }

    // --- internal rule --------------------------------------------------------------------------
    let pair = |l: u32, a: u32| (u64::from(l) << 32) | u64::from(a);
    let mapped_pairs: FxHashSet<u64> = targets
        .iter()
        .map(|(_, t)| {
            pair(
                label_rank[t.affiliate_label.as_str()],
                adv_rank[&t.advertiser_id],
            )
        })
        .collect();
    let include: Vec<bool> = labels.iter().map(|l| config.include.contains(*l)).collect();
    let exclude: Vec<bool> = labels.iter().map(|l| config.exclude.contains(*l)).collect();
    let internal = |l: u32, a: u32| {
        ((config.from_mapping && mapped_pairs.contains(&pair(l, a))) || include[l as usize])
            && !exclude[l as usize]
    };

    // --- mapping per source -----------------------------------------------------------------------
    let mut by_source: FxHashMap<&str, (SourceState, Vec<usize>)> = FxHashMap::default();
    for (k, e) in mapping.entries().iter().enumerate() {
        let Some(sid) = e
            .source_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("n/a"))
        else {
            continue;
        };
        let slot = by_source
            .entry(sid)
            .or_insert((SourceState::Unknown, Vec::new()));
        slot.1.push(k);
        slot.0 = match (slot.0, &e.target) {
            (SourceState::Unknown | SourceState::Malformed, Some(t)) => SourceState::Mapped {
                label: label_rank[t.affiliate_label.as_str()],
                adv: adv_rank[&t.advertiser_id],
            },
            (SourceState::Unknown, None) => SourceState::Malformed,
            (SourceState::Mapped { label, adv }, Some(t)) => {
                if label == label_rank[t.affiliate_label.as_str()]
                    && adv == adv_rank[&t.advertiser_id]
                {
                    SourceState::Mapped { label, adv }
                } else {
                    SourceState::Conflict
                }
            }
            (s, _) => s,
        };
    }
    let mut sources: Vec<(&&str, &(SourceState, Vec<usize>))> = by_source.iter().collect();
    sources.sort_by(|a, b| a.0.cmp(b.0));
    for (sid, (state, rows)) in sources {
        let valid: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&k| mapping.entries()[k].target.is_some())
            .collect();
        if valid.len() < 2 {
            continue;
        }
        let d = MappingDuplicate {
            source_id: (*sid).to_owned(),
            locations: valid
                .iter()
                .map(|&k| mapping.entries()[k].location.clone())
                .collect(),
            targets: valid
                .iter()
                .filter_map(|&k| mapping.entries()[k].target.as_ref())
                .map(|t| format!("{} / {}", t.affiliate_label, t.advertiser_id))
                .collect(),
        };
        match state {
            SourceState::Conflict => diag.conflicting_mappings.push(d),
            _ => diag.duplicate_mappings.push(d),
        }
    }
    let source_state: Vec<SourceState> = (0..spend.strings.len() as u32)
        .map(|s| {
            by_source
                .get(spend.strings.get(s))
                .map_or(SourceState::Unknown, |x| x.0)
        })
        .collect();

    // --- dates --------------------------------------------------------------------------------------
    let min_day = ef_rows
        .iter()
        .map(|&i| everflow.dates[i as usize])
        .chain(rt_rows.iter().map(|&i| spend.dates[i as usize]))
        .min();
    let day0 = min_day.map_or(0, |d| d.to_epoch_days());
    let day_of = |d: Date| (d.to_epoch_days() - day0) as u32;
    let key = |date: Date, label: u32, adv: u32| -> u128 {
        (u128::from(day_of(date)) << 64) | (u128::from(adv) << 32) | u128::from(label)
    };

    // --- spend: duplicates, mapping, sums per key ---------------------------------------------------
    progress(MergeProgress {
        stage: "spend",
        done: 0,
        total: rt_rows.len() as u64,
    });
    let mut rt_sorted: Vec<(Date, u32, Option<i64>, u64, u32)> = rt_rows
        .iter()
        .map(|&i| {
            let i = i as usize;
            (
                spend.dates[i],
                spend.source_ids[i],
                spend.stamps[i],
                spend.positions[i],
                i as u32,
            )
        })
        .collect();
    rt_sorted.sort_unstable();
    let mut keep = vec![true; spend.len()];
    let mut run_start = 0;
    for j in 1..=rt_sorted.len() {
        let same = j < rt_sorted.len() && {
            let (a, b) = (&rt_sorted[j - 1], &rt_sorted[j]);
            (a.0, a.1, a.2) == (b.0, b.1, b.2)
        };
        if same {
            continue;
        }
        if j - run_start > 1 {
            let first = rt_sorted[run_start].4 as usize;
            let mut rows = vec![spend.positions[first]];
            for r in &rt_sorted[run_start + 1..j] {
                let k = r.4 as usize;
                let identical = spend.cost[k] == spend.cost[first]
                    && spend.clicks[k] == spend.clicks[first]
                    && spend.conversions[k] == spend.conversions[first];
                let key = format!(
                    "{} / {}",
                    spend.dates[first],
                    spend.strings.get(spend.source_ids[first])
                );
                if !identical {
                    return Err(CesError::DuplicateKey {
                        input: "redtrack".into(),
                        key,
                        first_row: spend.positions[first],
                        row: spend.positions[k],
                    });
                }
                keep[k] = false;
                rows.push(spend.positions[k]);
            }
            diag.duplicate_rows.push(DuplicateRows {
                input: Input::Redtrack,
                key: format!(
                    "{} / {}",
                    spend.dates[first],
                    spend.strings.get(spend.source_ids[first])
                ),
                rows,
            });
        }
        run_start = j;
    }
    drop(rt_sorted);

    let mut spend_keys: Vec<u128> = Vec::with_capacity(rt_rows.len());
    let mut unmapped: std::collections::BTreeMap<u32, UnmappedSpend> =
        std::collections::BTreeMap::new();
    let mut totals = Reconciliation::default();
    for &i in &rt_rows {
        let iu = i as usize;
        if !keep[iu] {
            continue;
        }
        totals.redtrack_cost += spend.cost[iu];
        let sid = spend.source_ids[iu];
        let reason = match source_state[sid as usize] {
            SourceState::Mapped { label, adv } => {
                spend_keys.push((key(spend.dates[iu], label, adv) << 32) | u128::from(i));
                continue;
            }
            SourceState::Unknown => UnmappedReason::NotInMapping,
            SourceState::Malformed => UnmappedReason::MalformedMapping,
            SourceState::Conflict => UnmappedReason::ConflictingMapping,
        };
        totals.unmapped_cost += spend.cost[iu];
        let d = spend.dates[iu];
        let u = unmapped.entry(sid).or_insert_with(|| UnmappedSpend {
            source_id: spend.strings.get(sid).to_owned(),
            source_name: spend.strings.get(spend.source_names[iu]).to_owned(),
            reason,
            rows: 0,
            clicks: 0,
            cost: Decimal::ZERO,
            first_date: d,
            last_date: d,
        });
        u.rows += 1;
        u.clicks += spend.clicks[iu];
        u.cost += spend.cost[iu];
        u.first_date = u.first_date.min(d);
        u.last_date = u.last_date.max(d);
    }
    let mut unmapped: Vec<UnmappedSpend> = unmapped.into_values().collect();
    unmapped.sort_by(|a, b| {
        b.cost
            .cmp(&a.cost)
            .then_with(|| a.source_id.cmp(&b.source_id))
    });
    diag.unmapped_spend = unmapped;
    sort_u128(&mut spend_keys);
    // Sums per key: (key96, cost, clicks, rows).
    let mut spend_sums: Vec<SpendSum> = Vec::new();
    for &k in &spend_keys {
        let i = (k & 0xFFFF_FFFF) as usize;
        let key96 = k >> 32;
        match spend_sums.last_mut() {
            Some(last) if last.0 == key96 => {
                last.1 += spend.cost[i];
                last.2 += spend.clicks[i];
                last.3 += 1;
            }
            _ => spend_sums.push((key96, spend.cost[i], spend.clicks[i], 1)),
        }
    }
    drop(spend_keys);
    for s in &spend_sums {
        totals.mapped_cost += s.1;
    }

    progress(MergeProgress {
        stage: "spend",
        done: rt_rows.len() as u64,
        total: rt_rows.len() as u64,
    });

    // --- everflow: sort by key --------------------------------------------------------------------
    let n_ef = ef_rows.len() as u64;
    progress(MergeProgress {
        stage: "everflow",
        done: 0,
        total: n_ef,
    });
    let mut ef_keys: Vec<u128> = ef_rows
        .iter()
        .map(|&i| {
            let iu = i as usize;
            let l = ef_label_rank[everflow.affiliate_labels[iu] as usize];
            let a = adv_rank[&everflow.advertiser_ids[iu]];
            (key(everflow.dates[iu], l, a) << 32) | u128::from(i)
        })
        .collect();
    drop(ef_rows);
    drop(rt_rows);
    sort_u128(&mut ef_keys);
    progress(MergeProgress {
        stage: "everflow",
        done: n_ef,
        total: n_ef,
    });

    // --- the join: ordered chunks of keys, in parallel, concatenated in order -------------------
    let n_est = ef_keys.len() + spend_sums.len();
    let n_labels = labels.len();
    let n_advs = advs.len();
    let dense = n_labels.saturating_mul(n_advs) <= (1 << 24);
    let mut flags_dense = Vec::new();
    let mut flags_sparse: FxHashMap<u64, u8> = FxHashMap::default();
    let flag_of = |l: u32, a: u32| -> u8 {
        let mapped = mapped_pairs.contains(&pair(l, a));
        let int = internal(l, a);
        u8::from(mapped) | (u8::from(int) << 1)
    };
    if dense {
        flags_dense = vec![0u8; n_labels * n_advs];
        for l in 0..n_labels as u32 {
            for a in 0..n_advs as u32 {
                flags_dense[l as usize * n_advs + a as usize] = flag_of(l, a);
            }
        }
    } else {
        for &p in &mapped_pairs {
            flags_sparse.insert(p, flag_of((p >> 32) as u32, p as u32));
        }
    }
    let ctx = JoinCtx {
        everflow,
        ef_norm: &ef_norm,
        advs: &advs,
        adv_name_idx: &adv_name_idx,
        labels: &labels,
        n_advs,
        flags_dense: &flags_dense,
        flags_sparse: &flags_sparse,
        include: &include,
        exclude: &exclude,
        day0,
    };
    let join_total = n_est as u64;
    progress(MergeProgress {
        stage: "join",
        done: 0,
        total: join_total,
    });
    let parallel = crate::parallel::enabled() && ef_keys.len() > 200_000;
    let n_chunks = if parallel { 32 } else { 1 };
    let mut bounds = vec![0usize];
    for c in 1..n_chunks {
        let mut b = (ef_keys.len() * c / n_chunks).max(*bounds.last().unwrap_or(&0));
        while b > 0 && b < ef_keys.len() && ef_keys[b] >> 32 == ef_keys[b - 1] >> 32 {
            b += 1;
        }
        bounds.push(b);
    }
    bounds.push(ef_keys.len());
    // Output rows per chunk (distinct keys), so every chunk writes its own slice in place.
    let mut tasks: Vec<(&[u128], &[SpendSum], usize)> = Vec::new();
    let mut s_lo = 0usize;
    for c in 0..n_chunks {
        let (lo, hi) = (bounds[c], bounds[c + 1]);
        let s_hi = if c + 1 == n_chunks {
            spend_sums.len()
        } else if hi < ef_keys.len() {
            let bound = ef_keys[hi] >> 32;
            s_lo + spend_sums[s_lo..].partition_point(|x| x.0 < bound)
        } else {
            s_lo
        };
        let (ek, sk) = (&ef_keys[lo..hi], &spend_sums[s_lo..s_hi]);
        tasks.push((ek, sk, count_keys(ek, sk)));
        s_lo = s_hi;
    }
    let n_out: usize = tasks.iter().map(|t| t.2).sum();
    let mut out = PerformanceTable {
        dates: vec![Date::default(); n_out],
        advertiser_ids: vec![0; n_out],
        advertiser_labels: vec![0; n_out],
        affiliate_labels: vec![0; n_out],
        is_internal: vec![false; n_out],
        everflow_clicks: vec![0; n_out],
        conversions: vec![0; n_out],
        revenue: vec![Decimal::ZERO; n_out],
        payout: vec![Decimal::ZERO; n_out],
        redtrack_cost: vec![Decimal::ZERO; n_out],
        redtrack_clicks: vec![0; n_out],
        cost: vec![Decimal::ZERO; n_out],
        cpa: vec![None; n_out],
        everflow_rows: vec![0; n_out],
        spend_rows: vec![0; n_out],
        affiliate_names: labels.iter().map(|l| (*l).to_owned()).collect(),
        advertiser_names,
    };
    let mut seen_pairs: FxHashSet<u64> = FxHashSet::default();
    let mut excluded: std::collections::BTreeMap<(u32, u32), (u64, Decimal)> =
        std::collections::BTreeMap::new();
    let wave = if parallel {
        crate::parallel::threads().max(1) * 2
    } else {
        1
    };
    let mut done = 0u64;
    {
        let mut rest = OutCols::of(&mut out);
        let mut work = Vec::with_capacity(tasks.len());
        for (ek, sk, n) in tasks {
            let (mine, others) = rest.split(n);
            rest = others;
            work.push((ek, sk, mine));
        }
        let mut work = work.into_iter();
        loop {
            let group: Vec<_> = work.by_ref().take(wave).collect();
            if group.is_empty() {
                break;
            }
            let parts =
                crate::parallel::map_owned(group, |(e, s, cols)| join_chunk(&ctx, e, s, cols));
            for part in parts {
                let p = part?;
                done += p.keys;
                totals.everflow_conversions += p.totals.everflow_conversions;
                totals.everflow_payout += p.totals.everflow_payout;
                totals.everflow_revenue += p.totals.everflow_revenue;
                totals.external_payout += p.totals.external_payout;
                totals.excluded_cost += p.totals.excluded_cost;
                totals.output_cost += p.totals.output_cost;
                totals.output_conversions += p.totals.output_conversions;
                diag.duplicate_rows.extend(p.duplicate_rows);
                diag.conversions_without_spend
                    .extend(p.conversions_without_spend);
                diag.spend_without_conversions
                    .extend(p.spend_without_conversions);
                for (k, (days, cost)) in p.excluded {
                    let x = excluded.entry(k).or_insert((0, Decimal::ZERO));
                    x.0 += days;
                    x.1 += cost;
                }
                seen_pairs.extend(p.seen_pairs);
            }
            progress(MergeProgress {
                stage: "join",
                done: done.min(join_total),
                total: join_total,
            });
        }
    }
    progress(MergeProgress {
        stage: "join",
        done: join_total,
        total: join_total,
    });
    totals.output_rows = out.len() as u64;
    diag.excluded_spend = excluded
        .into_iter()
        .map(|((l, a), (days, cost))| ExcludedSpend {
            affiliate_label: labels[l as usize].to_owned(),
            advertiser_id: advs[a as usize],
            days,
            cost,
        })
        .collect();
    for (entry, t) in &targets {
        let p = pair(
            label_rank[t.affiliate_label.as_str()],
            adv_rank[&t.advertiser_id],
        );
        if !seen_pairs.contains(&p) {
            diag.unused_mappings.push(UnusedMapping {
                location: entry.location.clone(),
                source_id: t.source_id.clone(),
                affiliate_label: t.affiliate_label.clone(),
                advertiser_id: t.advertiser_id,
            });
        }
    }
    diag.totals = totals;
    Ok(Merge {
        performance: out,
        diagnostics: diag,
    })
}

struct JoinCtx<'a> {
    everflow: &'a EverflowTable,
    ef_norm: &'a [String],
    advs: &'a [i64],
    adv_name_idx: &'a [u32],
    labels: &'a [&'a str],
    n_advs: usize,
    flags_dense: &'a [u8],
    flags_sparse: &'a FxHashMap<u64, u8>,
    include: &'a [bool],
    exclude: &'a [bool],
    day0: i32,
}

impl JoinCtx<'_> {
    /// bit 0: the mapping maps a source to (label, adv); bit 1: internal.
    fn flags(&self, l: u32, a: u32) -> u8 {
        if !self.flags_dense.is_empty() || self.labels.is_empty() {
            self.flags_dense
                .get(l as usize * self.n_advs + a as usize)
                .copied()
                .unwrap_or(0)
        } else {
            match self
                .flags_sparse
                .get(&((u64::from(l) << 32) | u64::from(a)))
            {
                Some(&f) => f,
                // Not mapped: internal only by the include list.
                None => u8::from(self.include[l as usize] && !self.exclude[l as usize]) << 1,
            }
        }
    }
}

/// Mutable slices of every output column: the rows one chunk of the join writes.
struct OutCols<'a> {
    dates: &'a mut [Date],
    advertiser_ids: &'a mut [i64],
    advertiser_labels: &'a mut [u32],
    affiliate_labels: &'a mut [u32],
    is_internal: &'a mut [bool],
    everflow_clicks: &'a mut [u64],
    conversions: &'a mut [u64],
    revenue: &'a mut [Decimal],
    payout: &'a mut [Decimal],
    redtrack_cost: &'a mut [Decimal],
    redtrack_clicks: &'a mut [u64],
    cost: &'a mut [Decimal],
    cpa: &'a mut [Option<Decimal>],
    everflow_rows: &'a mut [u32],
    spend_rows: &'a mut [u32],
}

macro_rules! out_cols {
    ($($f:ident),*) => {
        impl<'a> OutCols<'a> {
            fn of(t: &'a mut PerformanceTable) -> OutCols<'a> {
                OutCols { $( $f: &mut t.$f[..], )* }
            }
            /// The first `n` rows, and the rest.
            fn split(self, n: usize) -> (OutCols<'a>, OutCols<'a>) {
                $( let $f = self.$f.split_at_mut(n); )*
                (OutCols { $( $f: $f.0, )* }, OutCols { $( $f: $f.1, )* })
            }
        }
    };
}
out_cols!(
    dates,
    advertiser_ids,
    advertiser_labels,
    affiliate_labels,
    is_internal,
    everflow_clicks,
    conversions,
    revenue,
    payout,
    redtrack_cost,
    redtrack_clicks,
    cost,
    cpa,
    everflow_rows,
    spend_rows
);

/// Distinct keys in a chunk: its output rows.
fn count_keys(ef_keys: &[u128], spend_sums: &[SpendSum]) -> usize {
    let (mut e, mut s, mut n) = (0usize, 0usize, 0usize);
    while e < ef_keys.len() || s < spend_sums.len() {
        let ek = ef_keys.get(e).map(|k| k >> 32);
        let sk = spend_sums.get(s).map(|x| x.0);
        let k96 = match (ek, sk) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => break,
        };
        while e < ef_keys.len() && ef_keys[e] >> 32 == k96 {
            e += 1;
        }
        if s < spend_sums.len() && spend_sums[s].0 == k96 {
            s += 1;
        }
        n += 1;
    }
    n
}

#[derive(Default)]
struct JoinPart {
    keys: u64,
    totals: Reconciliation,
    duplicate_rows: Vec<DuplicateRows>,
    conversions_without_spend: Vec<DayFlag>,
    spend_without_conversions: Vec<DayFlag>,
    excluded: std::collections::BTreeMap<(u32, u32), (u64, Decimal)>,
    seen_pairs: FxHashSet<u64>,
}

/// Joins one ordered chunk of Everflow keys with the spend sums of the same key range.
fn join_chunk(
    ctx: &JoinCtx<'_>,
    ef_keys: &[u128],
    spend_sums: &[SpendSum],
    out: OutCols<'_>,
) -> Result<JoinPart> {
    let everflow = ctx.everflow;
    let mut part = JoinPart::default();
    let mut k = 0usize;
    let totals = &mut part.totals;
    let (mut e, mut s) = (0usize, 0usize);
    let mask32 = 0xFFFF_FFFFu128;
    let mut last_day: Option<(u32, Date)> = None;
    while e < ef_keys.len() || s < spend_sums.len() {
        let ek = ef_keys.get(e).map(|k| k >> 32);
        let sk = spend_sums.get(s).map(|x| x.0);
        let k96 = match (ek, sk) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => break,
        };
        part.keys += 1;
        // Everflow run for this key.
        let (mut clicks, mut conv, mut rev, mut pay, mut ef_n) =
            (0u64, 0u64, Decimal::ZERO, Decimal::ZERO, 0u32);
        let run_start = e;
        while e < ef_keys.len() && ef_keys[e] >> 32 == k96 {
            let i = (ef_keys[e] & mask32) as usize;
            // Same affiliate id (or both without one) within the key: a duplicate record.
            let dup = if e == run_start {
                None
            } else {
                ef_keys[run_start..e]
                    .iter()
                    .map(|k| (k & mask32) as usize)
                    .find(|&j| {
                        everflow.affiliate_ids[j] == everflow.affiliate_ids[i]
                            && (everflow.affiliate_ids[i].is_some()
                                || everflow.affiliate_labels[j] == everflow.affiliate_labels[i])
                    })
            };
            if let Some(j) = dup {
                let identical = everflow.clicks[j] == everflow.clicks[i]
                    && everflow.conversions[j] == everflow.conversions[i]
                    && everflow.revenue[j] == everflow.revenue[i]
                    && everflow.payout[j] == everflow.payout[i];
                let key_txt = format!(
                    "{} / affiliate {} / advertiser {}",
                    everflow.dates[i],
                    everflow.affiliate_ids[i].map_or_else(
                        || ctx.ef_norm[everflow.affiliate_labels[i] as usize].clone(),
                        |a| a.to_string()
                    ),
                    everflow.advertiser_ids[i]
                );
                if !identical {
                    return Err(CesError::DuplicateKey {
                        input: "everflow".into(),
                        key: key_txt,
                        first_row: everflow.positions[j],
                        row: everflow.positions[i],
                    });
                }
                match part
                    .duplicate_rows
                    .iter_mut()
                    .rev()
                    .find(|d| d.input == Input::Everflow && d.key == key_txt)
                {
                    Some(d) => d.rows.push(everflow.positions[i]),
                    None => part.duplicate_rows.push(DuplicateRows {
                        input: Input::Everflow,
                        key: key_txt,
                        rows: vec![everflow.positions[j], everflow.positions[i]],
                    }),
                }
                e += 1;
                continue;
            }
            clicks += everflow.clicks[i];
            conv += everflow.conversions[i];
            rev += everflow.revenue[i];
            pay += everflow.payout[i];
            ef_n += 1;
            e += 1;
        }
        let (rt_cost, rt_clicks, rt_n) = match spend_sums.get(s) {
            Some(x) if x.0 == k96 => {
                s += 1;
                (x.1, x.2, x.3)
            }
            _ => (Decimal::ZERO, 0, 0),
        };
        let label = (k96 & mask32) as u32;
        let adv = ((k96 >> 32) & mask32) as u32;
        let off = (k96 >> 64) as u32;
        let date = match last_day {
            Some((o, d)) if o == off => d,
            _ => {
                let d = Date::from_epoch_days(ctx.day0 + off as i32).unwrap_or_default();
                last_day = Some((off, d));
                d
            }
        };
        let f = ctx.flags(label, adv);
        let is_internal = f & 2 != 0;
        if ef_n > 0 && f & 1 != 0 {
            part.seen_pairs
                .insert((u64::from(label) << 32) | u64::from(adv));
        }
        let cost = if is_internal { rt_cost } else { pay };
        totals.everflow_conversions += conv;
        totals.everflow_payout += pay;
        totals.everflow_revenue += rev;
        if !is_internal {
            totals.external_payout += pay;
            if rt_n > 0 {
                let x = part
                    .excluded
                    .entry((label, adv))
                    .or_insert((0, Decimal::ZERO));
                x.0 += 1;
                x.1 += rt_cost;
                totals.excluded_cost += rt_cost;
            }
        } else if conv > 0 && rt_cost.is_zero() {
            part.conversions_without_spend.push(DayFlag {
                date,
                advertiser_id: ctx.advs[adv as usize],
                affiliate_label: ctx.labels[label as usize].to_owned(),
                conversions: conv,
                redtrack_cost: rt_cost,
            });
        } else if conv == 0 && !rt_cost.is_zero() {
            part.spend_without_conversions.push(DayFlag {
                date,
                advertiser_id: ctx.advs[adv as usize],
                affiliate_label: ctx.labels[label as usize].to_owned(),
                conversions: conv,
                redtrack_cost: rt_cost,
            });
        }
        totals.output_cost += cost;
        totals.output_conversions += conv;
        out.dates[k] = date;
        out.advertiser_ids[k] = ctx.advs[adv as usize];
        out.advertiser_labels[k] = ctx.adv_name_idx[adv as usize];
        out.affiliate_labels[k] = label;
        out.is_internal[k] = is_internal;
        out.everflow_clicks[k] = clicks;
        out.conversions[k] = conv;
        out.revenue[k] = rev;
        out.payout[k] = pay;
        out.redtrack_cost[k] = rt_cost;
        out.redtrack_clicks[k] = rt_clicks;
        out.cost[k] = cost;
        out.cpa[k] = cpa(cost, conv);
        out.everflow_rows[k] = ef_n;
        out.spend_rows[k] = rt_n;
        k += 1;
    }
    Ok(part)
}
