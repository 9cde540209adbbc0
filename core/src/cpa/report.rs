//! Reports on merged rows: summaries per advertiser and period (totals, internal, external)
//! and the affiliate leaderboard. Every CPA here is a ratio of sums (Σcost / Σconversions),
//! never a mean of row CPAs.

use std::collections::BTreeMap;

use super::dates::{Date, DateRange, Period};
use super::merge::PerformanceTable;
use super::money::{Decimal, ratio_of_sums};

/// Sums over a set of rows, with their CPA as a ratio of sums.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    /// Rows summed.
    pub rows: u64,
    /// Σ conversions.
    pub conversions: u64,
    /// Σ cost.
    pub cost: Decimal,
    /// Σ Everflow revenue.
    pub revenue: Decimal,
    /// Σ Everflow payout.
    pub payout: Decimal,
    /// Σ Redtrack cost.
    pub redtrack_cost: Decimal,
    /// Σcost / Σconversions; `None` with no conversions.
    pub cpa: Option<Decimal>,
}

impl Segment {
    fn add(&mut self, t: &PerformanceTable, i: usize) {
        self.rows += 1;
        self.conversions += t.conversions[i];
        self.cost += t.cost[i];
        self.revenue += t.revenue[i];
        self.payout += t.payout[i];
        self.redtrack_cost += t.redtrack_cost[i];
    }

    fn close(&mut self) {
        self.cpa = ratio_of_sums(self.cost, self.conversions);
    }
}

/// One advertiser's figures for one period.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The period.
    pub period: Period,
    /// Its first date.
    pub start: Date,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Advertiser label.
    pub advertiser_label: String,
    /// All affiliates.
    pub total: Segment,
    /// Internal affiliates.
    pub internal: Segment,
    /// External affiliates.
    pub external: Segment,
}

/// Summaries per (period start, advertiser), ordered by both: the daily summary with
/// [`Period::Day`], week and month roll-ups with the others.
///
/// ```
/// use ces::cpa::*;
/// let d = Date::from_ymd_opt(2025, 11, 3).unwrap();
/// let row = |label, conversions, cost: i64| PerformanceRow {
///     date: d, advertiser_id: 1, advertiser_label: "CCW", affiliate_label: label, is_internal: true,
///     everflow_clicks: 0, conversions, everflow_revenue: Decimal::ZERO, everflow_payout: Decimal::ZERO,
///     redtrack_cost: Decimal::from(cost), redtrack_clicks: 0, cost: Decimal::from(cost),
///     cpa: cpa(Decimal::from(cost), conversions), everflow_rows: 1, spend_rows: 1 };
/// // Row CPAs 100 and 1: their mean (50.5) is not the CPA of the two together.
/// let t = PerformanceTable::from_rows([row("a", 1, 100), row("b", 99, 99)]).unwrap();
/// let s = summarize(&t, Period::Week);
/// assert_eq!(s[0].start.to_string(), "2025-11-03");
/// assert_eq!(s[0].total.cpa.unwrap().to_string(), "1.990000000000"); // 199 / 100
/// ```
pub fn summarize(table: &PerformanceTable, period: Period) -> Vec<Summary> {
    let mut groups: BTreeMap<(Date, i64), Summary> = BTreeMap::new();
    for i in 0..table.len() {
        let start = period.start(table.dates[i]);
        let adv = table.advertiser_ids[i];
        let g = groups.entry((start, adv)).or_insert_with(|| Summary {
            period,
            start,
            advertiser_id: adv,
            advertiser_label: table.advertiser_names[table.advertiser_labels[i] as usize].clone(),
            total: Segment::default(),
            internal: Segment::default(),
            external: Segment::default(),
        });
        g.total.add(table, i);
        if table.is_internal[i] {
            g.internal.add(table, i);
        } else {
            g.external.add(table, i);
        }
    }
    groups
        .into_values()
        .map(|mut s| {
            s.total.close();
            s.internal.close();
            s.external.close();
            s
        })
        .collect()
}

/// One affiliate's line in the leaderboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LeaderboardRow {
    /// 1-based rank.
    pub rank: u32,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Advertiser label.
    pub advertiser_label: String,
    /// Affiliate label.
    pub affiliate_label: String,
    /// Internal on every day of the range?
    pub is_internal: bool,
    /// Days with a row.
    pub days: u64,
    /// Σ conversions.
    pub conversions: u64,
    /// Σ cost.
    pub cost: Decimal,
    /// Σ revenue.
    pub revenue: Decimal,
    /// Σcost / Σconversions.
    pub cpa: Option<Decimal>,
}

/// The top `n` (advertiser, affiliate) pairs by conversions over `range` (every date when
/// `None`), optionally for one advertiser. Ties go to the lower CPA, then the label.
///
/// ```
/// use ces::cpa::*;
/// let t = PerformanceTable::default();
/// assert!(leaderboard(&t, 10, None, None).is_empty());
/// ```
pub fn leaderboard(
    table: &PerformanceTable,
    n: usize,
    range: Option<DateRange>,
    advertiser: Option<i64>,
) -> Vec<LeaderboardRow> {
    let mut groups: BTreeMap<(i64, u32), (LeaderboardRow, bool)> = BTreeMap::new();
    for i in 0..table.len() {
        if range.is_some_and(|r| !r.contains(table.dates[i]))
            || advertiser.is_some_and(|a| a != table.advertiser_ids[i])
        {
            continue;
        }
        let adv = table.advertiser_ids[i];
        let (g, all_internal) = groups
            .entry((adv, table.affiliate_labels[i]))
            .or_insert_with(|| {
                (
                    LeaderboardRow {
                        rank: 0,
                        advertiser_id: adv,
                        advertiser_label: table.advertiser_names
                            [table.advertiser_labels[i] as usize]
                            .clone(),
                        affiliate_label: table.affiliate_names[table.affiliate_labels[i] as usize]
                            .clone(),
                        is_internal: true,
                        days: 0,
                        conversions: 0,
                        cost: Decimal::ZERO,
                        revenue: Decimal::ZERO,
                        cpa: None,
                    },
                    true,
                )
            });
        g.days += 1;
        g.conversions += table.conversions[i];
        g.cost += table.cost[i];
        g.revenue += table.revenue[i];
        *all_internal &= table.is_internal[i];
    }
    let mut rows: Vec<LeaderboardRow> = groups
        .into_values()
        .map(|(mut r, internal)| {
            r.is_internal = internal;
            r.cpa = ratio_of_sums(r.cost, r.conversions);
            r
        })
        .collect();
    rows.sort_by(|a, b| {
        b.conversions
            .cmp(&a.conversions)
            .then_with(|| match (a.cpa, b.cpa) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.affiliate_label.cmp(&b.affiliate_label))
            .then_with(|| a.advertiser_id.cmp(&b.advertiser_id))
    });
    rows.truncate(n);
    for (k, r) in rows.iter_mut().enumerate() {
        r.rank = k as u32 + 1;
    }
    rows
}
