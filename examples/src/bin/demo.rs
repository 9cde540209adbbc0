//! `make demo`: the main job on the embedded default (SQLite).
//!
//! 1. A seeded Philippine retail brand catalog goes into the brand master tables (SQLite,
//!    through `ces-sql`; re-running changes nothing) and is read back.
//! 2. A seeded feed of messy brand text (sizes, typos, speech-to-text, generic words, unknown
//!    brands) is resolved: normaliser → exact → alias → fuzzy pg_trgm at 0.72.
//! 3. The demo prints decisions, the triage queue and the accuracy against the generator's
//!    ground truth, next to plain pg_trgm at 0.72 on the raw text.
//! 4. CPA merge: a seeded affiliate month (November 2025, three advertisers, internal and
//!    external affiliates, the end of daylight saving, a zero-conversion day, unmapped spend)
//!    is read from the vendors' formats, stored, merged in one transactional run (twice: the
//!    second run writes the same rows) and reported: daily summary, weekly roll-up,
//!    leaderboard and diagnostics.
//! 5. Attribution: a seeded retail quarter (120 small stores, TV, OOH, social, search and
//!    in-store campaigns with creative assets) is attributed under eight models in one pass,
//!    with credit by channel, campaign and asset side by side, the Markov removal effects,
//!    bootstrap intervals and the reconciliation of every model.
//! 6. Lift: the retail campaigns' incremental sales from the same data — stores exposed vs
//!    not, before and after launch (difference-in-differences, cluster-robust by store), with
//!    intervals, power, the media-mix prior table, a cross-correlation, and the experiment
//!    and its result stored in SQLite.

#[path = "demo/attribution.rs"]
mod attribution;
#[path = "demo/lift.rs"]
mod lift;

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ces::brands::{
    Catalog, CatalogSpec, Decision, NormalizerSpec, Resolver, ResolverConfig, Status, TriageStatus,
    evaluate,
};
use ces::cpa::{
    Date, DateRange, Decimal, MergeConfig, NaiveTime, Period, ReadOptions, ReportZone, leaderboard,
    read_everflow_json, read_mapping_csv, read_redtrack_json, summarize,
};
use ces_examples::affiliate::{HOURLY_SOURCE, affiliate_month};
use ces_examples::{CATALOG, GENERIC_WORDS, brand_id, feed};
use ces_sql::{AliasType, Database, DriveSku, NewAlias, NewBrand};

const FEED_SEED: u64 = 2026;
const FEED_LINES: usize = 20_000;
const CPA_SEED: u64 = 2025;

fn clip(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

fn pad(s: &str, n: usize) -> String {
    let s = clip(s, n);
    let width = s.chars().count();
    format!("{s}{}", " ".repeat(n.saturating_sub(width)))
}

fn bar(done: usize, total: usize) {
    let width = 40;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r  resolving [{}{}] {done}/{total}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    );
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1} %", v * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::var("CES_DEMO_DIR").unwrap_or_else(|_| ".cache/demo".into()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("ces-demo.sqlite");
    let db = Database::connect_and_migrate(&format!("sqlite://{}", path.display())).await?;

    // 1. The catalog into the brand master tables, then read back as a resolver would.
    let brands: Vec<NewBrand> = CATALOG
        .iter()
        .map(|b| NewBrand {
            category: Some(b.category.into()),
            country: Some("PH".into()),
            ..NewBrand::new(b.name)
        })
        .collect();
    let ids = db.upsert_brands(&brands).await?;
    let mut aliases = Vec::new();
    for (b, &id) in CATALOG.iter().zip(&ids) {
        for (alias, kind) in b.aliases {
            aliases.push(NewAlias::new(id, *alias, kind.parse::<AliasType>()?));
        }
    }
    db.upsert_aliases(&aliases).await?;
    db.upsert_generic_words(GENERIC_WORDS).await?;
    let spec = db.load_catalog(NormalizerSpec::default()).await?;
    let alias_count = spec.aliases.len();
    let t0 = Instant::now();
    let catalog = Arc::new(Catalog::new(spec.clone())?);
    let resolver = Resolver::new(catalog.clone(), ResolverConfig::default())?;
    let build = t0.elapsed();

    println!("CES demo — brand resolution on the embedded default (SQLite)");
    println!(
        "database : {} (masterdata_brands, masterdata_brand_aliases, masterdata_generic_words, staging_drive_skus, ops_brand_resolution_log, ops_brand_triage)",
        path.display()
    );
    println!(
        "catalog  : {} brands, {alias_count} aliases, {} generic words; fingerprint {}; index built in {:.1} ms",
        spec.brands.len(),
        GENERIC_WORDS.len(),
        catalog.fingerprint(),
        build.as_secs_f64() * 1e3
    );
    println!(
        "pipeline : {}",
        NormalizerSpec::default()
            .steps
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(" → ")
    );
    println!(
        "           then exact name → exact alias → fuzzy pg_trgm similarity ≥ 0.72 (scores exactly as PostgreSQL 15)\n"
    );

    // 2. The feed lands in staging; one run resolves it in one transaction (raw text kept,
    //    every decision logged, unknowns queued). Re-running the same run changes nothing.
    let lines = feed(FEED_SEED, FEED_LINES);
    let skus: Vec<DriveSku> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| DriveSku::new(format!("SKU-{i:05}"), l.raw.clone()))
        .collect();
    db.upsert_drive_skus(&skus).await?;
    let run_id = format!("demo-{FEED_SEED}-{}", catalog.fingerprint());
    let t0 = Instant::now();
    let summary = db
        .resolve_staging_skus(&resolver, &run_id, Some(&bar))
        .await?;
    let secs = t0.elapsed().as_secs_f64();
    if summary.rows == 0 {
        println!("staging  : run {run_id} already done: re-running it changed nothing");
    } else {
        println!(
            "staging  : run {run_id}: {} rows resolved and written in {:.0} ms ({} resolved, {} ambiguous, {} unresolved; {} log rows, {} triage updates)",
            summary.rows,
            secs * 1e3,
            summary.resolved,
            summary.ambiguous,
            summary.unresolved,
            summary.logged,
            summary.triaged
        );
    }
    let raw: Vec<&str> = lines.iter().map(|l| l.raw.as_str()).collect();
    let t0 = Instant::now();
    let decisions = resolver.resolve_batch(&raw, None);
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "in memory: the same {FEED_LINES} lines (seed {FEED_SEED}) resolve in {:.0} ms ({:.0} lines/s)\n",
        secs * 1e3,
        FEED_LINES as f64 / secs
    );

    // 3a. A sample of decisions: one of each kind of line first.
    println!(
        "{} | {} | {} | {} | {} |     score | why / truth",
        pad("raw text", 30),
        pad("normalised", 22),
        pad("quantity", 9),
        pad("method/status", 18),
        pad("brand", 22),
    );
    println!("{}", "-".repeat(150));
    let mut shown = std::collections::HashSet::new();
    for (line, d) in lines.iter().zip(&decisions) {
        if !shown.insert(line.kind) {
            continue;
        }
        print_decision(line.raw.as_str(), d, line.truth, line.kind);
    }

    // 3b. Outcomes by kind of line.
    println!(
        "\noutcome by kind of line (resolved to the right brand / resolved wrongly / ambiguous / unresolved):"
    );
    let kinds = [
        "exact",
        "case",
        "size",
        "punctuation",
        "legal",
        "typo",
        "alias",
        "stt",
        "generic",
        "unknown",
    ];
    for kind in kinds {
        let (mut right, mut wrong, mut amb, mut unres, mut n) = (0, 0, 0, 0, 0);
        for (line, d) in lines.iter().zip(&decisions).filter(|(l, _)| l.kind == kind) {
            n += 1;
            match d.status {
                Status::Resolved if d.brand_id == line.truth.and_then(brand_id) => right += 1,
                Status::Resolved => wrong += 1,
                Status::Ambiguous => amb += 1,
                Status::Unresolved => unres += 1,
            }
        }
        println!(
            "  {:<12} {n:>5} lines: {right:>5} right, {wrong:>3} wrong, {amb:>4} ambiguous, {unres:>5} unresolved",
            kind
        );
    }

    // 4. The triage queue, as stored.
    let open = db.triage_items(Some(TriageStatus::Open)).await?;
    println!(
        "\ntriage queue (ops_brand_triage): {} distinct open items; the most frequent:",
        open.len()
    );
    for item in open.iter().take(8) {
        let best = item
            .suggestions
            .first()
            .map(|s| format!("{} ({})", s.brand_name, s.score))
            .unwrap_or_else(|| "—".into());
        println!(
            "  {:>5} × {} [{}] best suggestion: {best}",
            item.occurrences,
            pad(&item.normalized, 22),
            item.last_status
        );
    }

    // 5. Accuracy against the generator's truth, next to plain pg_trgm on raw text.
    let truth: Vec<Option<i64>> = lines.iter().map(|l| l.truth.and_then(brand_id)).collect();
    let plain = Resolver::new(
        Arc::new(Catalog::new(CatalogSpec {
            normalizer: NormalizerSpec::pg_trgm_compatible(),
            ..spec
        })?),
        ResolverConfig::pg_trgm_compatible(0.72),
    )?;
    let ours = evaluate(&decisions, &truth);
    let base = evaluate(&plain.resolve_batch(&raw, None), &truth);
    println!(
        "\naccuracy against the generator's ground truth ({} lines name a brand):",
        truth.iter().filter(|t| t.is_some()).count()
    );
    println!(
        "  {:<38} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "", "precision", "recall", "correct", "wrong", "missed"
    );
    for (name, a) in [
        ("CES pipeline (normaliser + aliases)", &ours),
        ("plain pg_trgm similarity ≥ 0.72 (raw)", &base),
    ] {
        println!(
            "  {:<38} {:>9} {:>9} {:>8} {:>7} {:>7}",
            name,
            pct(a.precision),
            pct(a.recall),
            a.correct,
            a.wrong,
            a.missed
        );
    }
    cpa_month(&db).await?;
    attribution::run(&db).await?;
    lift::run(&db).await?;
    db.close().await;
    Ok(())
}

fn money(d: Decimal) -> String {
    let r = d.round_dp(2);
    let s = format!("{r:.2}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac}")
}

fn cpa_text(c: Option<Decimal>) -> String {
    c.map(money).unwrap_or_else(|| "—".into())
}

async fn cpa_month(db: &Database) -> Result<(), Box<dyn Error>> {
    println!("\n{}", "=".repeat(110));
    println!(
        "CES demo — CPA merge: Everflow conversions × Redtrack spend through the mapping file"
    );
    let month = affiliate_month(CPA_SEED);
    let zone = ReportZone::default();
    let opts = ReadOptions {
        zone,
        ..Default::default()
    };
    let pages: Vec<&[u8]> = month.everflow_pages.iter().map(|p| p.as_bytes()).collect();
    let everflow = read_everflow_json(&pages, &opts)?;
    let days: Vec<&[u8]> = month.redtrack_days.iter().map(|d| d.as_bytes()).collect();
    let redtrack = read_redtrack_json(&days, &opts)?;
    let mapping = read_mapping_csv(&month.mapping_csv, &opts)?;
    let hourly: Vec<_> = redtrack
        .iter()
        .filter(|r| r.source_id == HOURLY_SOURCE)
        .collect();
    let nov2 = Date::from_ymd_opt(2025, 11, 2).unwrap_or_default();
    let (b0, b1) = zone.day_bounds(nov2);
    println!(
        "inputs   : Everflow {} pages → {} rows; Redtrack {} day documents → {} rows; mapping {} rows ({} unusable, reported)",
        pages.len(),
        everflow.len(),
        days.len(),
        redtrack.len(),
        mapping.len(),
        mapping.issues.len()
    );
    println!(
        "time zone: {}; one source is exported hourly with UTC stamps: {} rows → {} report dates; 2025-11-02 runs {} → {} ({} h, {} hourly rows)",
        zone.name(),
        hourly.len(),
        hourly
            .iter()
            .map(|r| r.date)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        b0.format("%H:%MZ"),
        b1.format("%H:%MZ next day"),
        (b1 - b0).num_hours(),
        hourly.iter().filter(|r| r.date == nov2).count()
    );
    let six = NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default();
    println!(
        "schedule : the daily 06:00 {} run starts at {} on Nov 1 and at {} on Nov 3 (UTC)",
        zone.name(),
        zone.at(Date::from_ymd_opt(2025, 11, 1).unwrap_or_default(), six)
            .format("%H:%M"),
        zone.at(Date::from_ymd_opt(2025, 11, 3).unwrap_or_default(), six)
            .format("%H:%M"),
    );
    db.upsert_everflow(&everflow).await?;
    db.upsert_spend(&redtrack).await?;
    db.replace_mapping(&mapping).await?;
    let range = DateRange::new(month.start, month.end)?;
    let config = MergeConfig::default();
    let t0 = Instant::now();
    let run = db.run_cpa(range, &config, "make demo").await?;
    let first = db.load_performance(Some(range)).await?;
    let again = db.run_cpa(range, &config, "make demo").await?;
    let second = db.load_performance(Some(range)).await?;
    println!(
        "runs     : {} and {} over {}..{}: {} rows each into daily_performance, diagnostics into ops_run_events, {:.0} ms for both; re-run rows identical: {}",
        &run.run_id[..8],
        &again.run_id[..8],
        range.start,
        range.end,
        run.rows_written,
        t0.elapsed().as_secs_f64() * 1e3,
        if first == second { "yes" } else { "NO" }
    );
    let perf = second;

    println!(
        "\ndaily summary, advertiser CCW (cost = Redtrack spend for internal, payout for external; CPA = Σcost / Σconversions):"
    );
    println!(
        "  {:<10} {:>6} {:>12} {:>9} | {:>6} {:>12} {:>9} | {:>6} {:>12} {:>9}",
        "date",
        "conv",
        "cost",
        "CPA",
        "int cv",
        "int cost",
        "int CPA",
        "ext cv",
        "ext cost",
        "ext CPA"
    );
    for s in summarize(&perf, Period::Day)
        .iter()
        .filter(|s| s.advertiser_label == "CCW")
    {
        println!(
            "  {:<10} {:>6} {:>12} {:>9} | {:>6} {:>12} {:>9} | {:>6} {:>12} {:>9}",
            s.start.to_string(),
            s.total.conversions,
            money(s.total.cost),
            cpa_text(s.total.cpa),
            s.internal.conversions,
            money(s.internal.cost),
            cpa_text(s.internal.cpa),
            s.external.conversions,
            money(s.external.cost),
            cpa_text(s.external.cpa)
        );
    }
    println!("\nweekly and monthly roll-ups (ratio of sums), all advertisers:");
    for period in [Period::Week, Period::Month] {
        for s in summarize(&perf, period) {
            println!(
                "  {:<5} {} {:<4} {:>6} conversions, cost {:>12}, CPA {:>7} (internal {:>7}, external {:>7})",
                period.name(),
                s.start,
                s.advertiser_label,
                s.total.conversions,
                money(s.total.cost),
                cpa_text(s.total.cpa),
                cpa_text(s.internal.cpa),
                cpa_text(s.external.cpa)
            );
        }
    }
    println!("\naffiliate leaderboard, November (top 10 by conversions):");
    for r in leaderboard(&perf, 10, Some(range), None) {
        println!(
            "  {:>2}. {:<22} {:<4} {:<8} {:>6} conversions, cost {:>11}, CPA {:>7}",
            r.rank,
            r.affiliate_label,
            r.advertiser_label,
            if r.is_internal {
                "internal"
            } else {
                "external"
            },
            r.conversions,
            money(r.cost),
            cpa_text(r.cpa)
        );
    }
    let d = &run.diagnostics;
    println!("\ndiagnostics (returned with the merge and stored as ops_run_events):");
    for u in &d.unmapped_spend {
        println!(
            "  unmapped spend      : {} ({}) {} on {} days ({}..{}), {:?}",
            u.source_name,
            u.source_id,
            money(u.cost),
            u.rows,
            u.first_date,
            u.last_date,
            u.reason
        );
    }
    for m in &d.malformed_mappings {
        println!(
            "  unusable mapping row: {} `{}` = {:?}: {}",
            m.location, m.field, m.value, m.reason
        );
    }
    for c in &d.conflicting_mappings {
        println!(
            "  conflicting mapping : source {} at {} → {}",
            c.source_id,
            c.locations.join(", "),
            c.targets.join(" vs ")
        );
    }
    for u in &d.unused_mappings {
        println!(
            "  unused mapping      : {} → {} / advertiser {} never appears in Everflow",
            u.location, u.affiliate_label, u.advertiser_id
        );
    }
    for f in &d.conversions_without_spend {
        println!(
            "  conversions, no spend: {} {} advertiser {}: {} conversions",
            f.date, f.affiliate_label, f.advertiser_id, f.conversions
        );
    }
    for f in &d.spend_without_conversions {
        println!(
            "  spend, no conversions: {} {} advertiser {}: {} spent, CPA undefined (not 0)",
            f.date,
            f.affiliate_label,
            f.advertiser_id,
            money(f.redtrack_cost)
        );
    }
    let t = &d.totals;
    println!(
        "  reconciliation      : Redtrack {} = mapped {} + unmapped {}; output cost {} = mapped {} − excluded {} + external payout {}; conversions {} in = {} out",
        money(t.redtrack_cost),
        money(t.mapped_cost),
        money(t.unmapped_cost),
        money(t.output_cost),
        money(t.mapped_cost),
        money(t.excluded_cost),
        money(t.external_payout),
        t.everflow_conversions,
        t.output_conversions
    );
    Ok(())
}

fn print_decision(raw: &str, d: &Decision, truth: Option<&str>, kind: &str) {
    let qty = d
        .quantities
        .first()
        .map(|q| format!("{}{}", q.canonical_value, q.canonical_unit))
        .unwrap_or_default();
    let why = match (&d.reason, truth) {
        (Some(r), _) => format!("{r} [{kind}]"),
        (None, Some(t)) => format!("truth: {t} [{kind}]"),
        (None, None) => format!("truth: no brand [{kind}]"),
    };
    println!(
        "{} | {} | {} | {} | {} | {:>9} | {}",
        pad(raw, 30),
        pad(&d.normalized, 22),
        pad(&qty, 9),
        pad(&format!("{}/{}", d.method.name(), d.status), 18),
        pad(d.brand_name.as_deref().unwrap_or("—"), 22),
        d.score.map(|s| s.to_string()).unwrap_or_default(),
        why
    );
}
