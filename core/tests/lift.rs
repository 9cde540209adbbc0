//! `ces::lift` behaviour: bad input, the interval methods on the cases where statsmodels'
//! root finding fails, determinism, and lift from attribution data.

use ces::CesError;
use ces::attribution::{
    ExposureColumns, ExposureTable, Ids, Interaction, Labels, TransactionColumns, TransactionTable,
};
use ces::lift::*;

fn field_of(e: &CesError) -> String {
    match e {
        CesError::InvalidArgument { field, .. } => field.clone(),
        CesError::LengthMismatch { right_field, .. } => right_field.clone(),
        other => panic!("unexpected error {other:?}"),
    }
}

#[track_caller]
fn rejects<T: std::fmt::Debug>(r: ces::Result<T>, field: &str) -> String {
    let e = r.expect_err("must fail");
    assert_eq!(
        e.code(),
        if matches!(e, CesError::LengthMismatch { .. }) {
            "length_mismatch"
        } else {
            "invalid_argument"
        }
    );
    assert_eq!(field_of(&e), field, "{e}");
    e.to_string()
}

#[test]
fn bad_conversion_input_names_the_input_and_why() {
    let ok = Arm::new(100.0, 10.0);
    let cfg = ConversionConfig::default();
    let msg = rejects(
        conversion_lift(&Arm::new(100.0, 101.0), &ok, &cfg),
        "treatment.conversions",
    );
    assert!(msg.contains("more conversions than users"), "{msg}");
    let msg = rejects(
        conversion_lift(&ok, &Arm::new(-5.0, 0.0), &cfg),
        "control.users",
    );
    assert!(msg.contains("-5"), "{msg}");
    rejects(
        conversion_lift(&Arm::new(f64::NAN, 0.0), &ok, &cfg),
        "treatment.users",
    );
    rejects(
        conversion_lift(&ok, &Arm::new(100.0, f64::NAN), &cfg),
        "control.conversions",
    );
    let msg = rejects(
        conversion_lift(&Arm::new(0.0, 0.0), &ok, &cfg),
        "treatment.users",
    );
    assert!(msg.contains("empty"), "{msg}");
    rejects(
        conversion_lift(&Arm::new(10.5, 1.0), &ok, &cfg),
        "treatment.users",
    );
    rejects(
        conversion_lift(&ok.with_revenue(-1.0), &ok, &cfg),
        "treatment.revenue",
    );
    for c in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
        let msg = rejects(
            conversion_lift(
                &ok,
                &ok,
                &ConversionConfig {
                    confidence: c,
                    ..cfg
                },
            ),
            "confidence",
        );
        assert!(msg.contains("between 0 and 1"), "{msg}");
    }
    rejects(
        conversion_lift(
            &ok,
            &ok,
            &ConversionConfig {
                spend: Some(f64::INFINITY),
                ..cfg
            },
        ),
        "spend",
    );
    rejects(
        conversion_lift(
            &ok,
            &ok,
            &ConversionConfig {
                difference_method: Method::Log,
                ..cfg
            },
        ),
        "difference_method",
    );
}

#[test]
fn bad_continuous_and_planning_input() {
    rejects(
        welch(&[1.0], &[1.0, 2.0], 0.95, Alternative::TwoSided),
        "treatment",
    );
    rejects(
        welch(&[], &[1.0, 2.0], 0.95, Alternative::TwoSided),
        "treatment",
    );
    let msg = rejects(
        welch(
            &[1.0, f64::NAN, 3.0],
            &[1.0, 2.0],
            0.95,
            Alternative::TwoSided,
        ),
        "treatment",
    );
    assert!(msg.starts_with("row 1:"), "{msg}");
    rejects(
        welch(&[1.0, 2.0], &[1.0, 2.0], 1.0, Alternative::TwoSided),
        "confidence",
    );
    rejects(
        cuped(
            &[1.0, 2.0, 3.0],
            &[1.0, 2.0],
            &[true, false, true],
            0.95,
            Alternative::TwoSided,
        ),
        "x",
    );
    rejects(
        cuped(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0; 4],
            &[true, true, false, false],
            0.95,
            Alternative::TwoSided,
        ),
        "x",
    );
    rejects(
        cuped(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0, 3.0, 2.0, 5.0],
            &[true; 4],
            0.95,
            Alternative::TwoSided,
        ),
        "treated",
    );
    let d = Design::default();
    rejects(power_proportions(1.2, 0.01, 100.0, 100.0, &d), "baseline");
    rejects(power_proportions(0.5, 0.6, 100.0, 100.0, &d), "effect");
    rejects(power_proportions(0.5, 0.1, -3.0, 100.0, &d), "n_treatment");
    rejects(mde_proportions(0.05, 100.0, 100.0, 1.0, &d), "power");
    rejects(mde_proportions(0.05, 100.0, 100.0, 0.01, &d), "power");
    rejects(sample_size_proportions(0.05, 0.0, 1.0, 0.8, &d), "effect");
    rejects(
        sample_size_proportions(
            0.05,
            -0.01,
            1.0,
            0.8,
            &Design {
                alternative: Alternative::Larger,
                ..d
            },
        ),
        "effect",
    );
    // Ten users per arm cannot detect anything with 99.99 % power.
    let msg = rejects(mde_proportions(0.5, 10.0, 10.0, 0.9999, &d), "power");
    assert!(msg.contains("not reachable"), "{msg}");
}

/// statsmodels' score interval of the difference fails (brentq: "f(a) and f(b) must have
/// different signs") on 90/10 splits, small counts and zero-conversion arms; ours always
/// returns an interval, and its bounds are where the score test's p-value equals α (or the
/// boundary ±1 when it never drops to α).
#[test]
fn score_intervals_never_fail() {
    let cases = [
        (0.0, 10.0, 0.0, 90.0),
        (0.0, 20.0, 5.0, 180.0),
        (1.0, 10.0, 0.0, 90.0),
        (10.0, 10.0, 80.0, 90.0),
        (9.0, 10.0, 90.0, 90.0),
        (3.0, 1000.0, 0.0, 9000.0),
        (0.0, 5.0, 5.0, 5.0),
        (5.0, 5.0, 0.0, 5.0),
        (1.0, 3.0, 2.0, 3.0),
        (50.0, 100_000.0, 400.0, 900_000.0),
        (0.0, 1.0, 0.0, 1.0),
    ];
    for (xt, nt, xc, nc) in cases {
        let r = conversion_lift(
            &Arm::new(nt, xt),
            &Arm::new(nc, xc),
            &ConversionConfig::default(),
        )
        .unwrap();
        let d = r.absolute_lift;
        for i in r.difference_intervals.iter().chain(&r.ratio_intervals) {
            assert!(
                !i.low.is_nan() && !i.high.is_nan(),
                "{xt}/{nt} {xc}/{nc}: {i:?}"
            );
            assert!(i.low <= i.high, "{i:?}");
        }
        let s = r
            .difference_intervals
            .iter()
            .find(|i| i.method == Method::Score)
            .unwrap();
        assert!(
            s.low >= -1.0 && s.high <= 1.0 && s.low <= d && d <= s.high,
            "{s:?} d={d}"
        );
        let ratio = r
            .ratio_intervals
            .iter()
            .find(|i| i.method == Method::Score)
            .unwrap();
        assert!(ratio.low >= 0.0, "{ratio:?}");
        if xt > 0.0 && xc > 0.0 {
            let rr = (xt / nt) / (xc / nc);
            assert!(ratio.low <= rr && rr <= ratio.high, "{ratio:?} {rr}");
        }
    }
}

#[test]
fn conversion_outputs_add_up() {
    let r = conversion_lift(
        &Arm::new(90_000.0, 2_340.0).with_revenue(187_200.0),
        &Arm::new(10_000.0, 230.0).with_revenue(17_250.0),
        &ConversionConfig {
            spend: Some(25_000.0),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.treatment_rate, 0.026);
    assert_eq!(r.control_rate, 0.023);
    assert!((r.incremental_conversions - (2_340.0 - 230.0 * 9.0)).abs() < 1e-9);
    let inc_rev = 187_200.0 - 17_250.0 * 9.0;
    assert!((r.incremental_revenue.unwrap() - inc_rev).abs() < 1e-9);
    assert!((r.iroas.unwrap() - inc_rev / 25_000.0).abs() < 1e-12);
    assert!((r.relative_lift - (0.026 / 0.023 - 1.0)).abs() < 1e-12);
    // 90/10: pooled and Wald tests differ visibly, and each names its method.
    assert_eq!(r.test.method, Method::PooledZ);
    assert!((r.pooled_z.p_value - r.wald_z.p_value).abs() > 1e-3);
    assert_eq!(r.relative_lift_interval.method, Method::LogAdjusted);
    assert!(r.fisher.is_none());
    // Small counts switch to Fisher's exact test.
    let small = conversion_lift(
        &Arm::new(20.0, 6.0),
        &Arm::new(20.0, 1.0),
        &ConversionConfig::default(),
    )
    .unwrap();
    assert_eq!(small.test.method, Method::FisherExact);
    assert!(small.fisher.is_some());
}

#[test]
fn batch_is_identical_to_one_by_one_and_across_thread_settings() {
    let mut pairs = Vec::new();
    let mut rng = ces::rng::Rng::new(7);
    for _ in 0..2_000 {
        let nt = 100.0 + rng.below(100_000) as f64;
        let nc = 100.0 + rng.below(20_000) as f64;
        pairs.push((
            Arm::new(nt, (nt * rng.next_f64() * 0.2).floor()),
            Arm::new(nc, (nc * rng.next_f64() * 0.2).floor()),
        ));
    }
    pairs.push((Arm::new(10.0, 11.0), Arm::new(10.0, 1.0)));
    let cfg = ConversionConfig::default();
    ces::parallel::set_enabled(true);
    let par = conversion_lift_batch(&pairs, &cfg);
    ces::parallel::set_enabled(false);
    let seq = conversion_lift_batch(&pairs, &cfg);
    ces::parallel::set_enabled(true);
    assert_eq!(par, seq);
    for (i, (t, c)) in pairs.iter().enumerate() {
        assert_eq!(par[i], conversion_lift(t, c, &cfg));
    }
    assert!(par.last().unwrap().is_err());
}

#[test]
fn planning_round_trips() {
    let d = Design::default();
    // The sample size reaches the target; one unit fewer does not.
    let s = sample_size_proportions(0.05, 0.0025, 1.0, 0.8, &d).unwrap();
    assert!(s.power >= 0.8);
    let below = power_proportions(
        0.05,
        0.0025,
        s.n_treatment as f64 - 1.0,
        s.n_control as f64 - 1.0,
        &d,
    )
    .unwrap();
    assert!(below.power < 0.8);
    // The MDE at that size is the effect we planned for (to root precision).
    let m = mde_proportions(0.05, s.n_treatment_exact, s.n_treatment_exact, 0.8, &d).unwrap();
    assert!((m.absolute - 0.0025).abs() < 1e-9, "{m:?}");
    assert!((m.relative - 0.05).abs() < 1e-7);
    // The quick one-variance closed form understates the MDE here.
    let z = 1.959963984540054 + 0.8416212335729143;
    let quick = z * (2.0 * 0.05 * 0.95 / s.n_treatment_exact).sqrt();
    assert!(quick < m.absolute, "{quick} vs {}", m.absolute);
}

const DAY: i64 = 86_400_000_000;

/// Forty stores over twelve weeks; stores 0–19 get the campaign from week 8 on, which adds
/// 30 % to their sales; every store has its own level and weekly noise.
fn stores() -> (ExposureTable, TransactionTable) {
    let mut rng = ces::rng::Rng::new(11);
    let (mut eid, mut ekey, mut estart, mut eend, mut ecost) =
        (vec![], vec![], vec![], vec![], vec![]);
    for s in 0..20i64 {
        eid.push(s + 1);
        ekey.push(1000 + s);
        estart.push(56 * DAY + 3_600_000_000);
        eend.push(Some(84 * DAY - 1));
        ecost.push(Some(500.0));
    }
    // A store seeing another campaign only is a control.
    eid.push(99);
    ekey.push(1030);
    estart.push(60 * DAY);
    eend.push(None);
    ecost.push(Some(10.0));
    let n = eid.len();
    let mut campaign = vec!["Launch"; n];
    campaign[n - 1] = "Other";
    let ex = ExposureTable::new(ExposureColumns {
        id: Ids::Int(eid),
        key: Ids::Int(ekey),
        start: estart,
        end: eend,
        channel: Labels::from_strs(vec!["tv"; n]),
        interaction: vec![Interaction::View; n],
        campaign: Labels::from_strs(campaign),
        asset: Labels::from_strs(vec!["spot"; n]),
        cost: Some(ecost),
    })
    .unwrap();
    let (mut tid, mut tkey, mut time, mut value) = (vec![], vec![], vec![], vec![]);
    let mut id = 0i64;
    for s in 0..40i64 {
        let level = 80.0 + 40.0 * rng.next_f64();
        for day in 0..84i64 {
            let treated = s < 20 && day >= 56;
            let mean = level * if treated { 1.3 } else { 1.0 } * (0.8 + 0.4 * rng.next_f64());
            let baskets = 2 + rng.below(3);
            for _ in 0..baskets {
                id += 1;
                tid.push(id);
                tkey.push(1000 + s);
                time.push(day * DAY + 36_000_000_000);
                value.push(mean / baskets as f64);
            }
        }
    }
    let m = tid.len();
    let tx = TransactionTable::new(TransactionColumns {
        id: Ids::Int(tid),
        key: Ids::Int(tkey),
        time,
        value,
        units: vec![1.0; m],
    })
    .unwrap();
    (ex, tx)
}

fn spec() -> PanelSpec {
    PanelSpec {
        campaign: "Launch".into(),
        pre_start: 0,
        campaign_start: 56 * DAY,
        end: 84 * DAY,
        period: 7 * DAY,
    }
}

#[test]
fn campaign_lift_recovers_the_injected_effect() {
    let (ex, tx) = stores();
    let p = store_panel(&ex, &tx, &spec(), Outcome::Sales).unwrap();
    assert_eq!(
        (p.exposed_units, p.control_units, p.periods, p.pre_periods),
        (20, 20, 12, 8)
    );
    assert_eq!(p.unit.len(), 40 * 12);
    assert_eq!(p.spend, 20.0 * 500.0);
    let r = campaign_lift(&ex, &tx, &spec(), &CampaignLiftConfig::default()).unwrap();
    assert!((r.relative_lift - 0.3).abs() < 0.05, "{}", r.relative_lift);
    assert!(r.did.effect.interval.low > 0.0 && r.did.effect.significant());
    assert_eq!(r.did.effect.interval.method, Method::OlsCluster);
    assert!(
        (r.panel.effect.estimate - r.did.effect.estimate).abs()
            < 1e-6 * r.did.effect.estimate.abs()
    );
    assert!(r.power.power > 0.0 && r.power.power < 1.0);
    assert!(r.mde > 0.0);
    let prior = r.mmm_prior();
    assert_eq!(prior.campaign, "Launch");
    assert_eq!(prior.channel, "tv");
    assert!((prior.effect - r.did.effect.estimate * 20.0 * 4.0).abs() < 1e-6 * prior.effect);
    assert!((prior.roi - prior.effect / 10_000.0).abs() < 1e-12 * prior.roi.abs());
    // The same data in another row order gives the same answer, bit for bit (the power of a
    // standard-error-only design has no group sizes: NaN, hence the comparison of Debug text).
    let c = tx.columns();
    let rev = |v: &Ids| match v {
        Ids::Int(x) => Ids::Int(x.iter().rev().copied().collect()),
        Ids::Text(x) => Ids::Text(x.iter().rev().cloned().collect()),
    };
    let tx2 = TransactionTable::new(TransactionColumns {
        id: rev(&c.id),
        key: rev(&c.key),
        time: c.time.iter().rev().copied().collect(),
        value: c.value.iter().rev().copied().collect(),
        units: c.units.iter().rev().copied().collect(),
    })
    .unwrap();
    let r2 = campaign_lift(&ex, &tx2, &spec(), &CampaignLiftConfig::default()).unwrap();
    assert_eq!(format!("{r:?}"), format!("{r2:?}"));
    // Conversion groups over store keys: every store sold during the campaign.
    let (t, c) = conversion_groups(&ex, &tx, &spec()).unwrap();
    assert_eq!(
        (t.users, t.conversions, c.users, c.conversions),
        (20.0, 20.0, 20.0, 20.0)
    );
}

#[test]
fn campaign_lift_rejects_panels_without_pre_or_post_periods() {
    let (ex, tx) = stores();
    let s = spec();
    let msg = rejects(
        campaign_lift(
            &ex,
            &tx,
            &PanelSpec {
                pre_start: s.campaign_start,
                ..s.clone()
            },
            &Default::default(),
        ),
        "campaign_start",
    );
    assert!(msg.contains("no pre period"), "{msg}");
    let msg = rejects(
        campaign_lift(
            &ex,
            &tx,
            &PanelSpec {
                end: s.campaign_start,
                ..s.clone()
            },
            &Default::default(),
        ),
        "end",
    );
    assert!(msg.contains("no post period"), "{msg}");
    rejects(
        campaign_lift(
            &ex,
            &tx,
            &PanelSpec {
                campaign: "Nope".into(),
                ..s.clone()
            },
            &Default::default(),
        ),
        "campaign",
    );
    rejects(
        campaign_lift(
            &ex,
            &tx,
            &PanelSpec {
                period: 5 * DAY,
                ..s.clone()
            },
            &Default::default(),
        ),
        "campaign_start",
    );
}

#[test]
fn experiment_definitions_validate() {
    let v = |name: &str, control: bool, w: f64| Variant {
        name: name.into(),
        is_control: control,
        traffic_weight: w,
    };
    let mut def = ExperimentDefinition {
        key: "2025-q3-payday".into(),
        name: "Payday promo holdout".into(),
        test_type: TestType::Conversion,
        metric: "conversion_rate".into(),
        campaign: Some("Payday Promo".into()),
        variants: vec![v("control", true, 10.0), v("exposed", false, 90.0)],
        confidence: 0.95,
        mde: 0.05,
        mde_kind: MdeKind::Relative,
        alternative: Alternative::TwoSided,
        start: None,
        end: None,
    };
    def.validate().unwrap();
    def.variants[1].traffic_weight = 80.0;
    let msg = rejects(def.validate(), "variants.traffic_weight");
    assert!(msg.contains("sum to 100"), "{msg}");
    def.variants[1].traffic_weight = 90.0;
    def.variants[1].is_control = true;
    rejects(def.validate(), "variants.is_control");
    def.variants[1].is_control = false;
    def.confidence = 1.0;
    rejects(def.validate(), "confidence");
    def.confidence = 0.95;
    def.variants[0].traffic_weight = f64::NAN;
    rejects(def.validate(), "variants[0].traffic_weight");
}
