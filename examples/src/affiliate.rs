//! A seeded affiliate month for the demo: the files an agency actually has, generated.
//!
//! November 2025 for three advertisers, with internal affiliates (mapped Redtrack sources)
//! and external ones, written as the vendors write them: Everflow entity-table responses in
//! pages (epoch-second dates), Redtrack report JSON per day (one source exported hourly with
//! UTC timestamps, so the end of daylight saving on 2025-11-02 matters), and the mapping CSV
//! with the real file's quirks (BOM, CRLF, a trailing space, `n/a` rows). The month includes
//! a zero-conversion day, spend from sources missing in the mapping and an internal
//! affiliate's day with conversions but no spend.

use ces::cpa::{Date, ReportZone};
use ces::rng::Rng;

/// The generated files.
#[derive(Clone, Debug)]
pub struct AffiliateMonth {
    /// Everflow responses, one per page.
    pub everflow_pages: Vec<String>,
    /// Redtrack report documents, one per day.
    pub redtrack_days: Vec<String>,
    /// The mapping CSV, as the real file comes.
    pub mapping_csv: Vec<u8>,
    /// First date.
    pub start: Date,
    /// Last date.
    pub end: Date,
}

/// Advertisers: id, label, revenue per conversion (cents).
pub const ADVERTISERS: &[(i64, &str, i64)] =
    &[(1, "CCW", 10_000), (2, "EXP", 8_000), (3, "AWF", 12_000)];

/// Internal affiliates' Redtrack sources: (source name, alias, id, affiliate label, advertiser,
/// cost per conversion in cents).
const SOURCES: &[(&str, &str, &str, &str, i64, i64)] = &[
    (
        "Facebook CCW",
        "facebook",
        "66c79f91be26fd4634569658",
        "G2 - Meta",
        1,
        4_200,
    ),
    (
        "Facebook AWF CCW",
        "facebook",
        "628fd466f765760001f37209",
        "G2 - Meta",
        1,
        4_600,
    ),
    (
        "Meta CCW AWF2 Stephanie ",
        "facebook",
        "6807d9120ee9ffc623c1d7e5",
        "SB - Meta",
        1,
        5_100,
    ),
    (
        "Meta CCW SB Political",
        "facebook",
        "68b87e99882b48e6620a3116",
        "SB - Meta",
        1,
        5_600,
    ),
    (
        "Facebook EXP",
        "facebook",
        "67c097f0aee15ff71f3f99aa",
        "G2 - Meta",
        2,
        3_900,
    ),
    (
        "Google Ads CCW (No-redirect tracking)",
        "google",
        "62b29551c6880d00014d8c73",
        "G2 - Google",
        1,
        6_100,
    ),
    (
        "Google Ads AWF2 SB",
        "google",
        "6883b1f8b5c72b423a7543a8",
        "SB - Google",
        1,
        6_700,
    ),
    (
        "Facebook CCW BHS",
        "facebook",
        "68a3991afcfc495698310fee",
        "BHS",
        1,
        4_800,
    ),
    (
        "Facebook AWF",
        "facebook",
        "6901a1c2d3e4f5a6b7c8d9e0",
        "G2 - Meta",
        3,
        5_300,
    ),
    (
        "Google Ads AWF",
        "google",
        "6901a1c2d3e4f5a6b7c8d9e1",
        "G2 - Google",
        3,
        6_900,
    ),
];

/// Sources with spend that the mapping does not know (as in the real data).
const UNMAPPED: &[(&str, &str, i64)] = &[
    ("Tigresh Facebook CCW", "6911b1c2d3e4f5a6b7c8d9f1", 21_072),
    ("Meta 12-12 SB", "6911b1c2d3e4f5a6b7c8d9f2", 5_047),
];

/// External affiliates (cost is their Everflow payout): label, payout per conversion (cents).
const EXTERNAL: &[(&str, i64)] = &[
    ("Blue Bench Media LLC", 3_500),
    ("Venture Beyond", 4_000),
    ("ProfitFuel", 3_800),
    ("Apex Leads", 4_500),
    ("Northwind Media", 3_200),
];

/// The source exported hourly with UTC timestamps.
pub const HOURLY_SOURCE: &str = "6807d9120ee9ffc623c1d7e5";

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Generates the month from `seed`.
pub fn affiliate_month(seed: u64) -> AffiliateMonth {
    let mut rng = Rng::new(seed);
    let zone = ReportZone::default();
    let start = Date::from_ymd_opt(2025, 11, 1).unwrap_or_default();
    let end = Date::from_ymd_opt(2025, 11, 30).unwrap_or_default();
    // --- mapping CSV, quirks included -------------------------------------------------------
    let mut csv = String::from(
        "\u{feff}redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\r\n",
    );
    for (name, alias, id, label, adv, _) in SOURCES {
        let adv_label = ADVERTISERS.iter().find(|a| a.0 == *adv).map_or("", |a| a.1);
        csv.push_str(&format!(
            "{name},{alias},{id},1,{label},{adv},{adv_label}\r\n"
        ));
    }
    csv.push_str("Google Ads (No-redirect tracking) Acc #2,google,677c764c35168400c81bf749,1,G2 - Google,1,CCW\r\n");
    // The same source twice with different targets (it has no spend, but the conflict is reported),
    // and a mapped affiliate that never appears in Everflow.
    csv.push_str("Google Ads (No-redirect tracking) Acc #2,google,677c764c35168400c81bf749,1,SB - Google,1,CCW\r\n");
    csv.push_str("Bing Ads AWF,bing,6901a1c2d3e4f5a6b7c8d9e2,1,G2 - Bing,3,AWF\r\n");
    csv.push_str("Facebook CTI,facebook,68ae2e73d5616519ce48e5e3,n/a,n/a,n/a,n/a\r\n");
    csv.push_str("Google Ads Auto Insurance Stephanie,google,6807cdb766fd1829467446e8,6,SB - Google,n/a,n/a\r\n");
    csv.push_str("713 Meta,facebook,684af9a4e05c3dc4f599c32e,n/a,n/a,n/a,n/a");

    // --- per day ------------------------------------------------------------------------------
    let mut ef_rows: Vec<String> = Vec::new();
    let mut redtrack_days = Vec::new();
    let mut day = start;
    let mut aff_ids = std::collections::BTreeMap::new();
    let mut aff_id = |label: &str| {
        let n = aff_ids.len() as i64 + 101;
        *aff_ids.entry(label.to_owned()).or_insert(n)
    };
    while day <= end {
        let epoch = day
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp();
        let weekend = matches!(
            chrono::Datelike::weekday(&day),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        );
        let mut rt_rows: Vec<String> = Vec::new();
        // Internal affiliates: conversions in Everflow, spend per source in Redtrack.
        let mut internal: std::collections::BTreeMap<(&str, i64), (i64, i64)> =
            std::collections::BTreeMap::new();
        for (name, alias, id, label, adv, cpa_cents) in SOURCES {
            let mut cv = 5 + rng.below(if weekend { 12 } else { 30 }) as i64;
            // A zero-conversion day with spend: SB - Google on Nov 11.
            if *label == "SB - Google" && day.to_string() == "2025-11-11" {
                cv = 0;
            }
            let clicks = cv * (20 + rng.below(30) as i64) + 40;
            let cost = (cv.max(1) * cpa_cents * (85 + rng.below(30) as i64)) / 100;
            let e = internal.entry((label, *adv)).or_insert((0, 0));
            e.0 += cv;
            e.1 += clicks;
            // BHS's spend did not arrive on Nov 20: conversions without spend.
            if *label == "BHS" && day.to_string() == "2025-11-20" {
                continue;
            }
            if *id == HOURLY_SOURCE {
                // Exported hourly, stamped in UTC: 23, 24 or 25 rows per New York day.
                let (mut t, day_end) = zone.day_bounds(day);
                let hours = (day_end - t).num_hours();
                let mut left = cost;
                let mut h = 0;
                while t < day_end {
                    let share = if h + 1 == hours { left } else { cost / hours };
                    left -= share;
                    rt_rows.push(format!(
                        r#"{{"sourceId":"{id}","source":"{name}","source_alias":"{alias}","date":"{}","clicks":{},"conversions":{},"cost":{}}}"#,
                        t.format("%Y-%m-%dT%H:%M:%SZ"),
                        clicks / hours,
                        0,
                        money(share)
                    ));
                    t += chrono::Duration::hours(1);
                    h += 1;
                }
            } else {
                rt_rows.push(format!(
                    r#"{{"source_id":"{id}","source":"{name}","source_alias":"{alias}","date":"{day}","clicks":{clicks},"conversions":{cv},"total_conversions":{},"cost":{}}}"#,
                    cv * 3,
                    money(cost)
                ));
            }
        }
        for (name, id, cents) in UNMAPPED {
            if rng.chance(0.5) {
                rt_rows.push(format!(
                    r#"{{"traffic_source_id":"{id}","trafficSource":"{name}","date":"{day}","total_clicks":{},"conversions":1,"spend":{}}}"#,
                    20 + rng.below(100),
                    money(cents / 4 + rng.below(*cents as usize / 4) as i64)
                ));
            }
        }
        redtrack_days.push(format!(r#"{{"items":[{}]}}"#, rt_rows.join(",")));
        for ((label, adv), (cv, clicks)) in internal {
            let price = ADVERTISERS.iter().find(|a| a.0 == adv).map_or(0, |a| a.2);
            ef_rows.push(ef_row(
                aff_id(label),
                label,
                adv,
                epoch,
                clicks,
                cv,
                cv * price,
                0,
            ));
        }
        for (label, payout) in EXTERNAL {
            for (adv, _, price) in ADVERTISERS {
                if !rng.chance(0.7) {
                    continue;
                }
                let cv = rng.below(if weekend { 15 } else { 40 }) as i64;
                let clicks = cv * (15 + rng.below(25) as i64) + rng.below(50) as i64;
                let pay = cv * payout * (90 + rng.below(20) as i64) / 100;
                ef_rows.push(ef_row(
                    aff_id(label),
                    label,
                    *adv,
                    epoch,
                    clicks,
                    cv,
                    cv * price,
                    pay,
                ));
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
    // --- Everflow pages -----------------------------------------------------------------------
    let page_size = 200;
    let total = ef_rows.len();
    let everflow_pages = ef_rows
        .chunks(page_size)
        .enumerate()
        .map(|(p, rows)| {
            format!(
                r#"{{"table":[{}],"paging":{{"page":{},"page_size":{page_size},"total_count":{total}}}}}"#,
                rows.join(","),
                p + 1
            )
        })
        .collect();
    AffiliateMonth {
        everflow_pages,
        redtrack_days,
        mapping_csv: csv.into_bytes(),
        start,
        end,
    }
}

#[allow(clippy::too_many_arguments)]
fn ef_row(
    id: i64,
    label: &str,
    adv: i64,
    epoch: i64,
    clicks: i64,
    cv: i64,
    revenue: i64,
    payout: i64,
) -> String {
    let adv_label = ADVERTISERS.iter().find(|a| a.0 == adv).map_or("", |a| a.1);
    format!(
        r#"{{"columns":[{{"column_type":"affiliate","id":"{id}","label":"{label}"}},{{"column_type":"advertiser","id":"{adv}","label":"{adv_label}"}},{{"column_type":"date","id":"{epoch}"}}],"reporting":{{"total_click":{clicks},"cv":{cv},"revenue":{},"payout":{},"profit":{}}}}}"#,
        money(revenue),
        money(payout),
        money(revenue - payout)
    )
}
