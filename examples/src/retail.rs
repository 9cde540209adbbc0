//! A seeded retail quarter for the attribution demo: small stores in six regions (no
//! customer ids, so the match key is the store), campaigns on TV, social, search, OOH and
//! in-store, each with creative assets, and the stores' transactions, whose rate rises while
//! a campaign is active — so that attribution has something true to find.
//!
//! Exposures are aggregate, as the platform records them: a TV flight in a region is one
//! interval exposure per store of the region; a billboard or an in-store display is an
//! interval per store; social and search are daily store-level impressions and clicks.

use ces::attribution::{
    ExposureColumns, Ids, Interaction, Labels, TransactionColumns, Tz, Window, WindowMode, Windows,
};
use ces::rng::Rng;

/// 2025-07-01T00:00:00+08:00 (Manila) in µs since the epoch.
pub const QUARTER_START_US: i64 = 1_751_299_200_000_000;
/// Days in the quarter (July–September 2025).
pub const QUARTER_DAYS: i64 = 92;
const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

/// Regions and their stores.
pub const REGIONS: [&str; 6] = [
    "NCR",
    "Central Luzon",
    "CALABARZON",
    "Western Visayas",
    "Central Visayas",
    "Davao",
];

/// One exposure row.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposureRow {
    /// Exposure id.
    pub id: i64,
    /// Store id (the match key).
    pub store: i64,
    /// Start (µs, UTC).
    pub start: i64,
    /// End of a flight (µs, UTC).
    pub end: Option<i64>,
    /// Channel.
    pub channel: &'static str,
    /// Interaction.
    pub interaction: Interaction,
    /// Campaign.
    pub campaign: &'static str,
    /// Creative asset.
    pub asset: &'static str,
    /// Media cost (PHP).
    pub cost: f64,
}

/// One transaction row.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionRow {
    /// Transaction id.
    pub id: i64,
    /// Store id.
    pub store: i64,
    /// When (µs, UTC).
    pub time: i64,
    /// Basket value (PHP).
    pub value: f64,
    /// Units in the basket.
    pub units: f64,
}

/// The quarter.
#[derive(Clone, Debug)]
pub struct RetailQuarter {
    /// Stores: (id, region index).
    pub stores: Vec<(i64, usize)>,
    /// Exposures.
    pub exposures: Vec<ExposureRow>,
    /// Transactions.
    pub transactions: Vec<TransactionRow>,
}

struct Plan {
    campaign: &'static str,
    channel: &'static str,
    interaction: Interaction,
    assets: &'static [&'static str],
    /// Active days [from, to) within the quarter.
    days: (i64, i64),
    /// Regions covered (indices), empty = all.
    regions: &'static [usize],
    /// Extra purchases per store-day while the exposure is fresh.
    lift: f64,
}

const PLANS: [Plan; 9] = [
    Plan {
        campaign: "Summer Refresh",
        channel: "tv",
        interaction: Interaction::View,
        assets: &["SR TV 30s", "SR TV 15s"],
        days: (0, 28),
        regions: &[0, 1, 2],
        lift: 1.6,
    },
    Plan {
        campaign: "Summer Refresh",
        channel: "ooh",
        interaction: Interaction::View,
        assets: &["SR Billboard EDSA", "SR Jeepney Wrap"],
        days: (7, 42),
        regions: &[0, 2],
        lift: 0.8,
    },
    Plan {
        campaign: "Summer Refresh",
        channel: "social",
        interaction: Interaction::View,
        assets: &["SR Reel A", "SR Reel B"],
        days: (0, 35),
        regions: &[],
        lift: 0.5,
    },
    Plan {
        campaign: "Back to School",
        channel: "social",
        interaction: Interaction::Click,
        assets: &["BTS Carousel", "BTS Story"],
        days: (35, 63),
        regions: &[],
        lift: 0.9,
    },
    Plan {
        campaign: "Back to School",
        channel: "search",
        interaction: Interaction::Click,
        assets: &["BTS Text Ad"],
        days: (40, 70),
        regions: &[],
        lift: 0.7,
    },
    Plan {
        campaign: "Back to School",
        channel: "in_store",
        interaction: Interaction::View,
        assets: &["BTS Shelf Talker", "BTS Endcap"],
        days: (42, 63),
        regions: &[],
        lift: 1.2,
    },
    Plan {
        campaign: "Payday Promo",
        channel: "search",
        interaction: Interaction::Click,
        assets: &["PP Text Ad"],
        days: (74, 92),
        regions: &[],
        lift: 0.6,
    },
    Plan {
        campaign: "Payday Promo",
        channel: "in_store",
        interaction: Interaction::View,
        assets: &["PP Price Strip"],
        days: (74, 92),
        regions: &[3, 4, 5],
        lift: 1.0,
    },
    Plan {
        campaign: "Payday Promo",
        channel: "tv",
        interaction: Interaction::View,
        assets: &["PP TV 15s"],
        days: (70, 84),
        regions: &[3, 4, 5],
        lift: 1.3,
    },
];

/// The windows the demo uses: TV 7 days, OOH 3 days, social views 1 day and clicks 7 days,
/// search clicks 30 days, in-store displays 0 days (the same calendar day), calendar days in
/// Manila.
pub fn windows() -> Windows {
    let d = |n| Window::days(n).expect("a valid window");
    Windows::new()
        .group("tv", Interaction::View, d(7))
        .group("ooh", Interaction::View, d(3))
        .group("social", Interaction::View, d(1))
        .group("social", Interaction::Click, d(7))
        .group("search", Interaction::Click, d(30))
        .group("in_store", Interaction::View, d(0))
        .mode(WindowMode::CalendarDays(Tz::Asia__Manila))
}

/// The seeded quarter: `stores` small stores.
pub fn retail_quarter(seed: u64, stores: usize) -> RetailQuarter {
    let mut rng = Rng::new(seed);
    let stores: Vec<(i64, usize)> = (0..stores)
        .map(|i| (1000 + i as i64, i % REGIONS.len()))
        .collect();
    let mut exposures = Vec::new();
    let mut next_id = 1i64;
    // Per store and day: the lift that fresh exposures add to the purchase rate.
    let mut boost = vec![vec![0.0f64; QUARTER_DAYS as usize]; stores.len()];
    for plan in &PLANS {
        for (s, &(store, region)) in stores.iter().enumerate() {
            if !plan.regions.is_empty() && !plan.regions.contains(&region) {
                continue;
            }
            // Not every store is reached by every plan.
            if !rng.chance(0.8) {
                continue;
            }
            let asset = plan.assets[rng.below(plan.assets.len())];
            match plan.channel {
                "tv" | "ooh" | "in_store" => {
                    // One flight (interval) per store, in one or two bursts.
                    let bursts = 1 + rng.below(2) as i64;
                    let len = (plan.days.1 - plan.days.0) / bursts;
                    for b in 0..bursts {
                        let from = plan.days.0 + b * len;
                        let to = from + len - rng.below(3) as i64;
                        exposures.push(ExposureRow {
                            id: next_id,
                            store,
                            start: QUARTER_START_US + from * DAY + 6 * HOUR,
                            end: Some(QUARTER_START_US + to * DAY + 22 * HOUR),
                            channel: plan.channel,
                            interaction: plan.interaction,
                            campaign: plan.campaign,
                            asset,
                            cost: 2_000.0 + rng.below(3_000) as f64,
                        });
                        next_id += 1;
                        for d in from..(to + 2).min(QUARTER_DAYS) {
                            boost[s][d as usize] += plan.lift;
                        }
                    }
                }
                _ => {
                    // Daily impressions or clicks attributed to the store's area.
                    for d in plan.days.0..plan.days.1 {
                        if !rng.chance(0.55) {
                            continue;
                        }
                        let n = 1 + rng.below(3);
                        for _ in 0..n {
                            let t = QUARTER_START_US
                                + d * DAY
                                + (7 + rng.below(15) as i64) * HOUR
                                + rng.below(3_600) as i64 * 1_000_000;
                            exposures.push(ExposureRow {
                                id: next_id,
                                store,
                                start: t,
                                end: None,
                                channel: plan.channel,
                                interaction: plan.interaction,
                                campaign: plan.campaign,
                                asset: plan.assets[rng.below(plan.assets.len())],
                                cost: 40.0 + rng.below(200) as f64,
                            });
                            next_id += 1;
                        }
                        boost[s][d as usize] += plan.lift * 0.5;
                        if d + 1 < QUARTER_DAYS {
                            boost[s][(d + 1) as usize] += plan.lift * 0.3;
                        }
                    }
                }
            }
        }
    }
    // The platform logs some impressions twice: exact duplicates the engine must count once.
    let dups: Vec<ExposureRow> = exposures
        .iter()
        .filter(|e| e.end.is_none())
        .step_by(97)
        .cloned()
        .collect();
    for mut d in dups {
        d.id = next_id;
        next_id += 1;
        exposures.push(d);
    }
    let mut transactions = Vec::new();
    let mut tid = 1i64;
    for (s, &(store, _)) in stores.iter().enumerate() {
        for d in 0..QUARTER_DAYS {
            let rate = 6.0 + boost[s][d as usize];
            let n = (rate + (rng.next_f64() - 0.5) * 4.0).round().max(0.0) as usize;
            for _ in 0..n {
                let t = QUARTER_START_US
                    + d * DAY
                    + (7 + rng.below(14) as i64) * HOUR
                    + rng.below(3_600) as i64 * 1_000_000;
                let units = 1 + rng.below(6);
                transactions.push(TransactionRow {
                    id: tid,
                    store,
                    time: t,
                    value: (units as f64 * (25.0 + rng.below(9_000) as f64 / 100.0) * 100.0)
                        .round()
                        / 100.0,
                    units: units as f64,
                });
                tid += 1;
            }
        }
    }
    RetailQuarter {
        stores,
        exposures,
        transactions,
    }
}

impl RetailQuarter {
    /// The exposures as core columns.
    pub fn exposure_columns(&self) -> ExposureColumns {
        let e = &self.exposures;
        ExposureColumns {
            id: Ids::Int(e.iter().map(|r| r.id).collect()),
            key: Ids::Int(e.iter().map(|r| r.store).collect()),
            start: e.iter().map(|r| r.start).collect(),
            end: e.iter().map(|r| r.end).collect(),
            channel: Labels::from_strs(e.iter().map(|r| r.channel)),
            interaction: e.iter().map(|r| r.interaction).collect(),
            campaign: Labels::from_strs(e.iter().map(|r| r.campaign)),
            asset: Labels::from_strs(e.iter().map(|r| r.asset)),
            cost: Some(e.iter().map(|r| Some(r.cost)).collect()),
        }
    }

    /// The transactions as core columns.
    pub fn transaction_columns(&self) -> TransactionColumns {
        let t = &self.transactions;
        TransactionColumns {
            id: Ids::Int(t.iter().map(|r| r.id).collect()),
            key: Ids::Int(t.iter().map(|r| r.store).collect()),
            time: t.iter().map(|r| r.time).collect(),
            value: t.iter().map(|r| r.value).collect(),
            units: t.iter().map(|r| r.units).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarter_is_seeded_and_has_every_channel() {
        let a = retail_quarter(7, 40);
        let b = retail_quarter(7, 40);
        assert_eq!(a.exposures, b.exposures);
        assert_eq!(a.transactions, b.transactions);
        for ch in ["tv", "ooh", "social", "search", "in_store"] {
            assert!(a.exposures.iter().any(|e| e.channel == ch), "{ch}");
        }
        assert!(a.exposures.iter().any(|e| e.end.is_some()));
        assert!(windows().validate().is_ok());
    }
}
