//! The core attribution engine alone (no bindings, no anchors): 1,000,000 transactions ×
//! 10,000,000 exposures over 500,000 keys, 13 (channel, interaction) window groups over 120
//! days, all rule models in one pass; then Markov order 1 on the same journeys. Part of
//! `make bench-attribution`; the side-by-side with DuckDB, Polars and ChannelAttribution is
//! `benches/attribution_bench.py`. `--scale 0.1` runs a tenth of the size.

use std::time::Instant;

use ces::attribution::*;
use ces::rng::Rng;

const GROUPS: [(&str, Interaction, i64); 13] = [
    ("tv", Interaction::View, 7 * 86_400),
    ("ooh", Interaction::View, 3 * 86_400),
    ("social", Interaction::View, 86_400),
    ("social", Interaction::Click, 7 * 86_400),
    ("social", Interaction::EngagedView, 3 * 86_400),
    ("search", Interaction::Click, 30 * 86_400),
    ("display", Interaction::View, 86_400),
    ("display", Interaction::Click, 7 * 86_400),
    ("video", Interaction::View, 86_400),
    ("video", Interaction::EngagedView, 3 * 86_400),
    ("email", Interaction::Click, 7 * 86_400),
    ("retail_pos", Interaction::View, 3_600),
    ("affiliate", Interaction::Click, 30 * 86_400),
];

fn main() {
    let scale: f64 = std::env::args()
        .skip_while(|a| a != "--scale")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let (n_tx, n_ex, n_keys) = (
        (1_000_000.0 * scale) as usize,
        (10_000_000.0 * scale) as usize,
        (500_000.0 * scale) as i64,
    );
    let span: i64 = 120 * 86_400 * 1_000_000;
    let t0 = Instant::now();
    let mut rng = Rng::new(20261123);
    let mut ex_key = Vec::with_capacity(n_ex);
    let mut ex_start = Vec::with_capacity(n_ex);
    let mut grp = Vec::with_capacity(n_ex);
    let mut camp = Vec::with_capacity(n_ex);
    for _ in 0..n_ex {
        ex_key.push(rng.below(n_keys as usize) as i64);
        ex_start.push(rng.below(span as usize) as i64);
        grp.push(rng.below(13));
        camp.push(rng.below(40));
    }
    let campaigns: Vec<String> = (0..40).map(|c| format!("campaign-{c:02}")).collect();
    let ex = ExposureTable::new(ExposureColumns {
        id: Ids::Int((0..n_ex as i64).collect()),
        key: Ids::Int(ex_key),
        start: ex_start,
        end: vec![None; n_ex],
        channel: Labels::from_strs(grp.iter().map(|&g| GROUPS[g].0)),
        interaction: grp.iter().map(|&g| GROUPS[g].1).collect(),
        campaign: Labels::from_strs(camp.iter().map(|&c| campaigns[c].as_str())),
        asset: Labels::from_strs(camp.iter().map(|&c| campaigns[c].as_str())),
        cost: None,
    })
    .expect("valid exposures");
    let mut tx_key = Vec::with_capacity(n_tx);
    let mut tx_time = Vec::with_capacity(n_tx);
    let mut value = Vec::with_capacity(n_tx);
    for _ in 0..n_tx {
        tx_key.push(rng.below(n_keys as usize) as i64);
        tx_time.push(rng.below(span as usize) as i64);
        value.push(5.0 + rng.below(20_000) as f64 / 100.0);
    }
    let tx = TransactionTable::new(TransactionColumns {
        id: Ids::Int((0..n_tx as i64).collect()),
        key: Ids::Int(tx_key),
        time: tx_time,
        value,
        units: vec![1.0; n_tx],
    })
    .expect("valid transactions");
    println!(
        "generated {n_tx} transactions × {n_ex} exposures in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let mut windows = Windows::new();
    for (c, i, s) in GROUPS {
        windows = windows.group(c, i, Window::seconds(s).expect("window"));
    }
    let ex = std::sync::Arc::new(ex);
    let tx = std::sync::Arc::new(tx);
    for threads in [ces::parallel::threads(), 1] {
        ces::parallel::set_enabled(threads > 1);
        let config = AttributionConfig {
            windows: windows.clone(),
            models: Model::rules(),
            ..Default::default()
        };
        let mut best = f64::INFINITY;
        let mut touches = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let run = attribute(ex.clone(), tx.clone(), &config).expect("attribution");
            best = best.min(t.elapsed().as_secs_f64());
            touches = run.summary().touches;
        }
        println!(
            "all rule models ({} models), {threads} thread(s): {best:.3} s, {touches} touches, {:.2}M transactions/s",
            Model::rules().len(),
            n_tx as f64 / best / 1e6
        );
    }
    ces::parallel::set_enabled(true);
    let config = AttributionConfig {
        windows,
        models: vec![Model::Markov { order: 1 }],
        ..Default::default()
    };
    let t = Instant::now();
    let run = attribute(ex, tx, &config).expect("attribution");
    println!(
        "markov order 1 from the engine (journeys built, nulls included): {:.3} s, {} states",
        t.elapsed().as_secs_f64(),
        run.markov_reports()[0].1.states
    );
}
