//! Demo section 6: the lift of the seeded retail campaigns from the attribution data.

use std::error::Error;

use ces::attribution::{ExposureTable, TransactionTable};
use ces::lift::{
    Alternative, CampaignLift, CampaignLiftConfig, Design, ExperimentDefinition, ExperimentResult,
    MdeKind, PanelSpec, TestType, Variant, campaign_lift, ccf, sample_size_proportions,
};
use ces_examples::retail::{QUARTER_START_US, retail_quarter};
use ces_sql::Database;

use crate::attribution::{SEED, STORES};

const DAY: i64 = 86_400_000_000;
const WEEK: i64 = 7 * DAY;

fn peso(x: f64) -> String {
    let neg = x < 0.0;
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}

fn pct(x: f64) -> String {
    format!("{:+.1} %", 100.0 * x)
}

/// The campaigns with a pre period inside the quarter: (campaign, first pre day, launch day,
/// end day), days from the quarter's start (Manila midnight), whole weeks.
const CAMPAIGNS: [(&str, i64, i64, i64); 2] =
    [("Back to School", 7, 35, 70), ("Payday Promo", 42, 70, 91)];

fn spec(campaign: &str, pre: i64, start: i64, end: i64) -> PanelSpec {
    PanelSpec {
        campaign: campaign.into(),
        pre_start: QUARTER_START_US + pre * DAY,
        campaign_start: QUARTER_START_US + start * DAY,
        end: QUARTER_START_US + end * DAY,
        period: WEEK,
    }
}

fn report(l: &CampaignLift) {
    if l.control_units < 10 {
        println!(
            "  {}: only {} control stores — cluster-robust inference with so few unexposed \
             clusters is fragile; read the interval with care",
            l.spec.campaign, l.control_units
        );
    }
    let d = &l.did;
    let e = &d.effect;
    let ci = e.interval;
    println!(
        "  {}: {} exposed stores, {} control stores, {} pre + {} post weeks ({})",
        l.spec.campaign,
        l.exposed_units,
        l.control_units,
        l.pre_periods,
        l.periods - l.pre_periods,
        l.channels.join(", ")
    );
    println!(
        "    weekly sales per store   exposed {} → {}, control {} → {} (PHP, pre → post)",
        peso(d.cell_means[1][0]),
        peso(d.cell_means[1][1]),
        peso(d.cell_means[0][0]),
        peso(d.cell_means[0][1]),
    );
    println!(
        "    DiD effect per store-week PHP {}  {:.0} % CI [{}, {}]  p = {:.2e}  ({}, t with {} df)",
        peso(e.estimate),
        100.0 * ci.confidence,
        peso(ci.low),
        peso(ci.high),
        e.p_value,
        ci.method,
        e.reference.df()
    );
    println!(
        "    relative lift {}  CI [{}, {}]   (classical OLS SE {:.0} vs cluster-robust {:.0})",
        pct(l.relative_lift),
        pct(l.relative_interval.0),
        pct(l.relative_interval.1),
        d.classical_std_error,
        d.cluster_std_error
    );
    println!(
        "    two-way fixed effects (treated from each store's first exposure): PHP {} ± {}",
        peso(l.panel.effect.estimate),
        peso(l.panel.effect.std_error)
    );
    println!(
        "    incremental sales PHP {}  CI [{}, {}]  on spend PHP {}  → iROAS {:.2}",
        peso(l.incremental),
        peso(l.incremental_interval.0),
        peso(l.incremental_interval.1),
        peso(l.spend),
        l.iroas
    );
    println!(
        "    power to detect +5 %: {:.1} %;  detectable with 80 % power: {} ({} per store-week)",
        100.0 * l.power.power,
        pct(l.mde_relative),
        peso(l.mde)
    );
}

/// Runs the section: lift per campaign, the media-mix prior table, a cross-correlation, and
/// the experiment stored in SQLite with its result.
pub async fn run(db: &Database) -> Result<(), Box<dyn Error>> {
    println!("\n== 6. Lift: what the campaigns added, with intervals and power ==");
    let q = retail_quarter(SEED, STORES);
    let ex = ExposureTable::new(q.exposure_columns())?;
    let tx = TransactionTable::new(q.transaction_columns())?;
    println!(
        "Stores exposed to a campaign vs stores that were not, weekly sales before and after its \
         launch (difference-in-differences, standard errors clustered by store):"
    );
    let mut lifts = Vec::new();
    for (campaign, pre, start, end) in CAMPAIGNS {
        let l = campaign_lift(
            &ex,
            &tx,
            &spec(campaign, pre, start, end),
            &CampaignLiftConfig::default(),
        )?;
        report(&l);
        lifts.push(l);
    }
    let err = campaign_lift(
        &ex,
        &tx,
        &spec("Summer Refresh", 0, 0, 28),
        &Default::default(),
    )
    .expect_err("Summer Refresh starts on day 0");
    println!("  Summer Refresh: not estimated — {err}");

    println!("\nMedia-mix prior table (effect over the campaign window, standard error, spend):");
    println!(
        "  {:<16} {:<22} {:>12} {:>10} {:>10} {:>7} {:>7}",
        "campaign", "channels", "effect PHP", "SE", "spend", "ROI", "SE"
    );
    for l in &lifts {
        let p = l.mmm_prior();
        println!(
            "  {:<16} {:<22} {:>12} {:>10} {:>10} {:>7.2} {:>7.2}",
            p.campaign,
            p.channel,
            peso(p.effect),
            peso(p.std_error),
            peso(p.spend),
            p.roi,
            p.roi_std_error
        );
    }

    // Exposure and sales over the quarter, day by day (descriptive, not causal).
    let days = 91usize;
    let mut exposure = vec![0.0; days];
    let mut sales = vec![0.0; days];
    for e in &q.exposures {
        let d = ((e.start - QUARTER_START_US) / DAY) as usize;
        if d < days {
            exposure[d] += 1.0;
        }
    }
    for t in &q.transactions {
        let d = ((t.time - QUARTER_START_US) / DAY) as usize;
        if d < days {
            sales[d] += t.value;
        }
    }
    let c = ccf(&exposure, &sales, 7, 0.95)?;
    let shown: Vec<String> = c
        .lags
        .iter()
        .zip(&c.values)
        .filter(|(l, _)| (-2..=3).contains(*l))
        .map(|(l, v)| format!("{l:+}: {v:.2}"))
        .collect();
    println!(
        "\nCross-correlation of daily exposures with sales k days later (descriptive, not causal; \
         band ±{:.2}): {}",
        c.band,
        shown.join("  ")
    );

    // The Payday experiment as the platform's contract defines it, stored with its result.
    let payday = &lifts[1];
    let share = payday.exposed_units as f64 / (payday.exposed_units + payday.control_units) as f64;
    let exposed_weight = (share * 1000.0).round() / 10.0;
    let def = ExperimentDefinition {
        key: "2025-q3-payday-promo".into(),
        name: "Payday Promo — store holdout".into(),
        test_type: TestType::DiffInDiff,
        metric: "weekly_sales_per_store".into(),
        campaign: Some("Payday Promo".into()),
        variants: vec![
            Variant {
                name: "holdout".into(),
                is_control: true,
                traffic_weight: 100.0 - exposed_weight,
            },
            Variant {
                name: "exposed".into(),
                is_control: false,
                traffic_weight: exposed_weight,
            },
        ],
        confidence: 0.95,
        mde: 0.05,
        mde_kind: MdeKind::Relative,
        alternative: Alternative::TwoSided,
        start: Some(payday.spec.campaign_start),
        end: Some(payday.spec.end),
    };
    db.save_experiment(&def, "demo").await?;
    let result = ExperimentResult::from_inference(
        &def.key,
        "exposed",
        &def.metric,
        payday.exposed_units as f64,
        payday.control_units as f64,
        payday.did.cell_means[1][1],
        payday.baseline,
        &payday.did.effect,
        Some(payday.power.power),
    );
    let run = db.save_results(&def.key, &[result], "demo").await?;
    let stored = db.load_results(&def.key, None).await?;
    let r = &stored[0];
    println!(
        "\nStored in SQLite: experiment `{}` ({}, variants {:.1} / {:.1} %), result run {}…: lift PHP {} \
         [{}, {}], p = {:.2e}, {}, power {:.1} %",
        def.key,
        def.test_type.as_str(),
        def.variants[0].traffic_weight,
        def.variants[1].traffic_weight,
        &run[..8],
        peso(r.lift),
        peso(r.ci_low),
        peso(r.ci_high),
        r.p_value,
        if r.significant {
            "significant"
        } else {
            "not significant"
        },
        100.0 * r.power.unwrap_or(f64::NAN)
    );

    // Planning the next test: a customer-level holdout on a 2.3 % conversion rate.
    let design = Design::default();
    let plan = sample_size_proportions(0.023, 0.023 * 0.05, 1.0 / 9.0, 0.8, &design)?;
    println!(
        "Planning a 90/10 customer holdout at a 2.3 % conversion rate to detect +5 % with 80 % \
         power at 95 %: {} exposed + {} holdout customers (power reached {:.3})",
        peso(plan.n_treatment as f64),
        peso(plan.n_control as f64),
        plan.power
    );
    Ok(())
}
