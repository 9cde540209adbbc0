//! The core merge alone (no bindings, no anchors) on a year of 2,000 affiliates × ~13
//! advertisers and 3,000 sources: time per stage, with the thread pool on and off. Part of
//! `make bench-cpa`; the side-by-side with Polars and DuckDB is `benches/cpa_bench.py`.

use std::time::Instant;

use ces::cpa::*;
use ces::rng::Rng;

fn main() {
    let mut rng = Rng::new(20251231);
    let labels: Vec<String> = (0..2000).map(|i| format!("Affiliate {i:04}")).collect();
    let adv_labels: Vec<String> = (0..20).map(|i| format!("Advertiser {i:02}")).collect();
    let base = Date::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let t = Instant::now();
    let mut ef = EverflowTable::new();
    for day in 0..365 {
        let date = base + chrono::Duration::days(day);
        for (a, label) in labels.iter().enumerate() {
            for k in 0..13usize {
                if rng.chance(0.05) {
                    continue;
                }
                let adv = (a * 7 + k * 3) % 20;
                let cv = rng.below(12) as i64;
                let row = EverflowRow {
                    date,
                    affiliate_id: Some(a as i64),
                    affiliate_label: label,
                    advertiser_id: adv as i64 + 1,
                    advertiser_label: &adv_labels[adv],
                    clicks: cv * 20,
                    conversions: cv,
                    revenue: Decimal::new(cv * 9000, 2),
                    payout: Decimal::new(if a < 300 { 0 } else { cv * 3000 }, 2),
                    profit: None,
                    currency: None,
                };
                ef.push(row).expect("valid row");
            }
        }
    }
    let sources: Vec<String> = (0..3000).map(|s| format!("src{s:05}")).collect();
    let mut rt = SpendTable::new();
    for day in 0..365 {
        let date = base + chrono::Duration::days(day);
        for s in &sources {
            let row = SpendRow {
                date,
                stamp: None,
                source_id: s,
                source_name: s,
                source_alias: None,
                clicks: 10,
                conversions: 1,
                cost: Decimal::new(rng.below(90_000) as i64, 2),
                currency: None,
            };
            rt.push(row).expect("valid row");
        }
    }
    let mut mapping = Mapping::new();
    for (i, s) in sources.iter().enumerate().take(2850) {
        let a = i % 300;
        let adv = ((a * 7 + (i % 13) * 3) % 20 + 1).to_string();
        let record = MappingRecord {
            source_id: Some(s),
            affiliate_label: Some(&labels[a]),
            advertiser_id: Some(&adv),
            ..Default::default()
        };
        mapping.push(record, None);
    }
    let input_rows = ef.len() + rt.len();
    println!(
        "core merge: {} Everflow + {} Redtrack rows built in {:.1} s",
        ef.len(),
        rt.len(),
        t.elapsed().as_secs_f64()
    );
    for parallel in [true, false, true, false] {
        ces::parallel::set_enabled(parallel);
        let t0 = Instant::now();
        let mut marks = Vec::new();
        let out = merge_with_progress(&ef, &rt, &mapping, &MergeConfig::default(), &mut |p| {
            if p.done == p.total {
                marks.push(format!("{} {:.2} s", p.stage, t0.elapsed().as_secs_f64()));
            }
        })
        .expect("merge");
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "  {} thread(s): {} rows out in {secs:.2} s ({:.2} M input rows/s; stages end at {})",
            ces::parallel::threads(),
            out.performance.len(),
            input_rows as f64 / secs / 1e6,
            marks.join(", ")
        );
    }
}
