//! Demo section 5: exposure-window attribution of a seeded retail quarter.

use std::error::Error;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use ces::attribution::{
    Attribution, AttributionConfig, Dimension, ExposureTable, Model, TransactionTable,
    UNATTRIBUTED, attribute_with_progress,
};
use ces::attribution::{Tz, WindowMode, Windows};
use ces::cpa::Decimal;
use ces_examples::retail::{QUARTER_DAYS, QUARTER_START_US, RetailQuarter, retail_quarter};
use ces_sql::{Database, ExposureRecord, MatchKey, TransactionRecord};

pub(crate) const SEED: u64 = 202_507;
pub(crate) const STORES: usize = 120;

fn models() -> Vec<Model> {
    vec![
        Model::LastTouch,
        Model::LastClick,
        Model::FirstTouch,
        Model::Linear,
        Model::U_SHAPED,
        Model::TIME_DECAY,
        Model::Markov { order: 1 },
        Model::Shapley,
    ]
}

fn peso(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bar(done: u64, total: u64) {
    let width = 40;
    let filled = ((done * width) / total.max(1)) as usize;
    eprint!(
        "\r  attributing [{}{}] {done}/{total} transactions",
        "#".repeat(filled),
        ".".repeat(width as usize - filled)
    );
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

/// Prints one roll-up as a table: groups down, models across, credited value in PHP.
fn side_by_side(run: &Attribution, dim: Dimension, title: &str, limit: usize) {
    let rows = run.rollup(dim);
    let names: Vec<String> = run.models().iter().map(Model::name).collect();
    let mut groups: Vec<String> = Vec::new();
    for r in &rows {
        if !r.unattributed && !groups.contains(&r.group) {
            groups.push(r.group.clone());
        }
    }
    // Largest by linear credit first.
    let value = |g: &str, m: &str| {
        rows.iter()
            .find(|r| r.group == g && r.model == m && !r.unattributed)
            .map_or(0.0, |r| r.value)
    };
    groups.sort_by(|a, b| {
        value(b, "linear")
            .total_cmp(&value(a, "linear"))
            .then(a.cmp(b))
    });
    groups.truncate(limit);
    println!("\n{title} — credited value (PHP) under each model");
    let short = |n: &str| {
        n.replace("position_based", "position")
            .replace("time_decay", "decay")
            .replace("first_touch", "first")
            .replace("last_touch", "last")
            .replace("last_click", "last click")
    };
    print!("  {:<22}", dim.as_str());
    for n in &names {
        print!(" {:>12}", short(n));
    }
    println!();
    for g in &groups {
        print!("  {:<22}", g.chars().take(22).collect::<String>());
        for n in &names {
            print!(" {:>12}", peso(value(g, n)));
        }
        println!();
    }
    let bucket = rows
        .iter()
        .find(|r| r.unattributed)
        .map_or(0.0, |r| r.value);
    print!("  {:<22}", UNATTRIBUTED);
    for _ in &names {
        print!(" {:>12}", peso(bucket));
    }
    println!();
}

/// The window the demo gives each exposure (days), as `ces.exposures.attribution_window_days`.
fn window_days(channel: &str, interaction: ces::attribution::Interaction) -> u32 {
    match (channel, interaction) {
        ("tv", _) => 7,
        ("ooh", _) => 3,
        ("social", ces::attribution::Interaction::Click) => 7,
        ("social", _) => 1,
        ("search", _) => 30,
        _ => 0,
    }
}

fn money(x: f64) -> Result<Decimal, Box<dyn Error>> {
    Ok(format!("{x:.2}").parse::<Decimal>()?)
}

/// Stores the quarter in `ces.exposures` / `scout.transactions` and attributes it there
/// (twice: the second run writes the same rows).
async fn stored(
    db: &Database,
    q: &RetailQuarter,
    config: &AttributionConfig,
) -> Result<(), Box<dyn Error>> {
    let mut exposures = Vec::with_capacity(q.exposures.len());
    for e in &q.exposures {
        let mut r = ExposureRecord::new(
            format!("EXP-{:06}", e.id),
            e.campaign,
            e.channel,
            e.interaction,
            e.start,
        );
        r.asset_id = Some(e.asset.into());
        r.end_time = e.end;
        r.store_id = Some(e.store.to_string());
        r.attribution_window_days = window_days(e.channel, e.interaction);
        r.cost = Some(money(e.cost)?);
        exposures.push(r);
    }
    let mut transactions = Vec::with_capacity(q.transactions.len());
    for t in &q.transactions {
        let mut r = TransactionRecord::new(format!("TX-{:07}", t.id), t.time, money(t.value)?);
        r.store_id = Some(t.store.to_string());
        r.units = money(t.units)?;
        r.currency = Some("PHP".into());
        transactions.push(r);
    }
    let t = Instant::now();
    let (e, x) = (
        db.upsert_exposures(&exposures).await?,
        db.upsert_transactions(&transactions).await?,
    );
    println!(
        "stored   : {e} exposures and {x} transactions upserted into SQLite in {:.1} s (unchanged rows are not rewritten)",
        t.elapsed().as_secs_f64()
    );
    // The database keeps one window per exposure; the run turns them into rules.
    let db_config = AttributionConfig {
        windows: Windows::new().mode(WindowMode::CalendarDays(Tz::Asia__Manila)),
        ..config.clone()
    };
    // The database run: September, last touch (which fills the transactions' join fields)
    // and linear credit.
    let range = (
        QUARTER_START_US + 62 * 86_400_000_000,
        QUARTER_START_US + QUARTER_DAYS * 86_400_000_000,
    );
    let db_config = AttributionConfig {
        models: vec![Model::LastTouch, Model::Linear],
        ..db_config
    };
    let t = Instant::now();
    let first = db
        .run_attribution(
            range,
            MatchKey::Store,
            &db_config,
            "last_touch",
            "make demo",
        )
        .await?;
    let secs = t.elapsed().as_secs_f64();
    let a = db.load_attributions(&first.run_id).await?;
    let second = db
        .run_attribution(
            range,
            MatchKey::Store,
            &db_config,
            "last_touch",
            "make demo",
        )
        .await?;
    let b = db.load_attributions(&second.run_id).await?;
    let same = a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            (
                &x.transaction_id,
                &x.exposure_id,
                &x.model_name,
                x.weight.to_bits(),
            ) == (
                &y.transaction_id,
                &y.exposure_id,
                &y.model_name,
                y.weight.to_bits(),
            )
        });
    println!(
        "database : run {} attributed September in SQLite in {secs:.1} s — {} credit rows (last touch, linear) in scout.attributions, {} transactions linked to their last-touch campaign/asset/exposure, {} left unlinked; a re-run replaced them with {} identical rows: {}",
        first.run_id,
        first.rows_written,
        first.linked,
        first.cleared,
        second.rows_written,
        if same { "yes" } else { "NO" }
    );
    if !same {
        return Err("a re-run of the same range wrote different rows".into());
    }
    Ok(())
}

/// Runs the section: generate, store and attribute in the database, attribute in memory
/// (with a progress bar), print the reports.
pub async fn run(db: &Database) -> Result<(), Box<dyn Error>> {
    println!("\n{}", "=".repeat(110));
    println!(
        "CES demo — exposure-window attribution: a seeded retail quarter (July–September 2025)"
    );
    let q = retail_quarter(SEED, STORES);
    let intervals = q.exposures.iter().filter(|e| e.end.is_some()).count();
    let total_value: f64 = q.transactions.iter().map(|t| t.value).sum();
    println!(
        "inputs   : {} stores in 6 regions (no customer ids: the match key is the store), {} days; {} exposures ({} flights as intervals, the rest daily impressions and clicks) on TV, OOH, social, search and in-store; {} transactions worth PHP {}",
        q.stores.len(),
        QUARTER_DAYS,
        q.exposures.len(),
        intervals,
        q.transactions.len(),
        peso(total_value)
    );
    println!(
        "windows  : calendar days in Asia/Manila — TV 7, OOH 3, social view 1 / click 7, search click 30, in-store 0 (same day)"
    );
    let ex = Arc::new(ExposureTable::new(q.exposure_columns())?);
    let tx = Arc::new(TransactionTable::new(q.transaction_columns())?);
    let config = AttributionConfig {
        windows: ces_examples::retail::windows(),
        models: models(),
        ..Default::default()
    };
    stored(db, &q, &config).await?;
    let t = Instant::now();
    let run = attribute_with_progress(ex, tx, &config, &mut |p| bar(p.done, p.total))?;
    let s = run.summary();
    println!(
        "run      : {} models in one pass in {:.2} s; {} of {} transactions attributed ({:.1} %), {} (transaction, exposure) pairs; {} duplicate impressions counted once",
        run.models().len(),
        t.elapsed().as_secs_f64(),
        s.attributed,
        s.transactions,
        100.0 * s.attributed as f64 / s.transactions.max(1) as f64,
        s.touches,
        s.duplicate_exposures
    );
    side_by_side(&run, Dimension::Channel, "Credit by channel", 10);
    side_by_side(&run, Dimension::Campaign, "Credit by campaign", 10);
    side_by_side(
        &run,
        Dimension::Asset,
        "Credit by creative asset (top 8 by linear credit)",
        8,
    );

    if let Some((_, m)) = run.markov_reports().first() {
        println!(
            "\nMarkov chain (order 1, solved exactly, {} states): conversion probability {:.4}",
            m.states, m.conversion_probability
        );
        let mut order: Vec<usize> = (0..m.channels.len()).collect();
        order.sort_by(|&a, &b| m.removal_effect[b].total_cmp(&m.removal_effect[a]));
        for c in order {
            println!(
                "  {:<10} removal effect {:.4}   global allocation {:>10.1} conversions   per-path allocation {:>10.1}",
                m.channels[c],
                m.removal_effect[c],
                m.global[c].conversions,
                m.per_path[c].conversions
            );
        }
    }
    let ci = run.bootstrap(Dimension::Channel, 200, 7, 0.95)?;
    println!(
        "\nBootstrap 95 % intervals on linear credit by channel (200 seeded replicates, transactions resampled)"
    );
    for c in ci.iter().filter(|c| c.model == "linear") {
        println!(
            "  {:<16} {:>9.1} conversions [{:>9.1}, {:>9.1}]   PHP {:>11} [{:>11}, {:>11}]",
            c.group,
            c.conversions,
            c.conversions_low,
            c.conversions_high,
            peso(c.value),
            peso(c.value_low),
            peso(c.value_high)
        );
    }
    // The books balance for every model.
    let rows = run.rollup(Dimension::Channel);
    let mut worst = 0.0f64;
    for m in run.models() {
        let name = m.name();
        let v: f64 = rows
            .iter()
            .filter(|r| r.model == name)
            .map(|r| r.value)
            .sum();
        let c: f64 = rows
            .iter()
            .filter(|r| r.model == name)
            .map(|r| r.conversions)
            .sum();
        worst = worst
            .max((v - s.value).abs())
            .max((c - s.transactions as f64).abs());
    }
    println!(
        "\nreconciliation: for each of the {} models, Σ credited + unattributed = {} conversions and PHP {} (largest difference {:.1e})",
        run.models().len(),
        s.transactions,
        peso(s.value),
        worst
    );
    Ok(())
}
