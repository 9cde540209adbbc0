//! Exposure-window attribution: hand-checked scenarios, a brute-force reference on random
//! data (property tests), invariants, the exact Markov solve and bad input.

use std::collections::BTreeMap;

use ces::attribution::*;
use proptest::prelude::*;

const S: i64 = 1_000_000; // one second in µs
const H: i64 = 3_600 * S;
const D: i64 = 24 * H;

#[derive(Clone, Debug)]
struct Ex {
    id: i64,
    key: i64,
    start: i64,
    end: Option<i64>,
    channel: &'static str,
    interaction: Interaction,
    campaign: &'static str,
    asset: &'static str,
}

fn ex(id: i64, key: i64, start: i64, channel: &'static str, interaction: Interaction) -> Ex {
    Ex {
        id,
        key,
        start,
        end: None,
        channel,
        interaction,
        campaign: "c1",
        asset: "a1",
    }
}

fn exposures(rows: &[Ex]) -> ExposureTable {
    ExposureTable::new(ExposureColumns {
        id: Ids::Int(rows.iter().map(|r| r.id).collect()),
        key: Ids::Int(rows.iter().map(|r| r.key).collect()),
        start: rows.iter().map(|r| r.start).collect(),
        end: rows.iter().map(|r| r.end).collect(),
        channel: Labels::from_strs(rows.iter().map(|r| r.channel)),
        interaction: rows.iter().map(|r| r.interaction).collect(),
        campaign: Labels::from_strs(rows.iter().map(|r| r.campaign)),
        asset: Labels::from_strs(rows.iter().map(|r| r.asset)),
        cost: None,
    })
    .expect("valid exposures")
}

/// (id, key, time, value)
fn transactions(rows: &[(i64, i64, i64, f64)]) -> TransactionTable {
    TransactionTable::new(TransactionColumns {
        id: Ids::Int(rows.iter().map(|r| r.0).collect()),
        key: Ids::Int(rows.iter().map(|r| r.1).collect()),
        time: rows.iter().map(|r| r.2).collect(),
        value: rows.iter().map(|r| r.3).collect(),
        units: rows.iter().map(|_| 1.0).collect(),
    })
    .expect("valid transactions")
}

fn windows_1d() -> Windows {
    Windows::new()
        .default_for(Interaction::View, Some(Window::days(1).unwrap()))
        .default_for(Interaction::EngagedView, Some(Window::days(1).unwrap()))
        .default_for(Interaction::Click, Some(Window::days(1).unwrap()))
}

/// Credits of one model as {transaction id: [(exposure id, weight)]}.
fn credits_by_id(run: &Attribution, model: &str) -> BTreeMap<i64, Vec<(i64, f64)>> {
    let m = run.model_index(model).unwrap();
    let (Ids::Int(tid), Ids::Int(eid)) = (
        &run.transactions().columns().id,
        &run.exposures().columns().id,
    ) else {
        panic!("int ids")
    };
    let mut out: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for r in run.credits(m) {
        out.entry(tid[r.transaction as usize])
            .or_default()
            .push((eid[r.exposure as usize], r.weight));
    }
    out
}

fn run(
    ex: Vec<Ex>,
    tx: &[(i64, i64, i64, f64)],
    windows: Windows,
    models: Vec<Model>,
    cbv: bool,
) -> Attribution {
    let config = AttributionConfig {
        windows,
        models,
        click_beats_view: cbv,
        ..Default::default()
    };
    attribute(exposures(&ex), transactions(tx), &config).unwrap()
}

#[test]
fn recency_ties_rank_view_below_click_then_id() {
    // Same instant: a click (id 5) and two views (ids 9, 3). Last = the click; first = view 3.
    let e = vec![
        ex(9, 1, 10 * S, "display", Interaction::View),
        ex(5, 1, 10 * S, "search", Interaction::Click),
        ex(3, 1, 10 * S, "social", Interaction::View),
    ];
    let r = run(
        e,
        &[(1, 1, 20 * S, 10.0)],
        windows_1d(),
        vec![Model::LastTouch, Model::FirstTouch],
        false,
    );
    assert_eq!(credits_by_id(&r, "last_touch")[&1], vec![(5, 1.0)]);
    assert_eq!(credits_by_id(&r, "first_touch")[&1], vec![(3, 1.0)]);
}

#[test]
fn window_boundary_is_inclusive_and_future_never_counts() {
    let e = vec![
        ex(1, 1, 0, "tv", Interaction::View), // T − τ = W exactly: eligible
        ex(2, 1, -1, "ooh", Interaction::View), // W + 1 µs: not eligible
        ex(3, 1, D + 1, "search", Interaction::Click), // after T: never
        ex(4, 1, D, "email", Interaction::Click), // at T: eligible
    ];
    let r = run(
        e,
        &[(7, 1, D, 1.0)],
        windows_1d(),
        vec![Model::Linear],
        false,
    );
    assert_eq!(credits_by_id(&r, "linear")[&7], vec![(1, 0.5), (4, 0.5)]);
}

#[test]
fn interval_exposures_running_across_the_transaction_count() {
    let mut flight = ex(1, 1, 0, "tv", Interaction::View);
    flight.end = Some(10 * D); // a ten-day flight; transaction on day 5
    let mut old = ex(2, 1, -20 * D, "ooh", Interaction::View);
    old.end = Some(-D - S); // ended a day and a second before T − … : outside 1 d
    let mut ended = ex(3, 1, -10 * D, "print", Interaction::View);
    ended.end = Some(4 * D); // ended one day before T: inside (inclusive)
    let r = run(
        vec![flight, old, ended],
        &[(1, 1, 5 * D, 1.0)],
        windows_1d(),
        vec![
            Model::LastTouch,
            Model::TimeDecay {
                half_life_seconds: 86_400.0,
                whole_days: false,
            },
        ],
        false,
    );
    // τ(flight) = its end (day 10) > T: it is the most recent touch; Δ = 0.
    assert_eq!(credits_by_id(&r, "last_touch")[&1], vec![(1, 1.0)]);
    let td = &credits_by_id(&r, "time_decay_86400s")[&1];
    assert_eq!(td.len(), 2);
    // ended: Δ = 1 day = H → weight ∝ ½; flight Δ = 0 → ∝ 1.
    assert!(
        (td[0].1 - 1.0 / 3.0).abs() < 1e-15 && (td[1].1 - 2.0 / 3.0).abs() < 1e-15,
        "{td:?}"
    );
}

#[test]
fn duplicates_count_once_smallest_id_kept() {
    let e = vec![
        ex(8, 1, 0, "tv", Interaction::View),
        ex(2, 1, 0, "tv", Interaction::View), // identical: kept (smallest id)
        ex(5, 1, 0, "tv", Interaction::Click), // differs in interaction: separate
    ];
    let r = run(
        e,
        &[(1, 1, H, 1.0)],
        windows_1d(),
        vec![Model::Linear],
        false,
    );
    assert_eq!(credits_by_id(&r, "linear")[&1], vec![(2, 0.5), (5, 0.5)]);
    assert_eq!(r.summary().duplicate_exposures, 1);
    assert_eq!(r.duplicate_exposures(), &[0]); // input row 0 (id 8)
}

#[test]
fn click_beats_view_and_last_click() {
    let e = vec![
        ex(1, 1, 0, "search", Interaction::Click),
        ex(2, 1, H, "social", Interaction::View),
    ];
    let models = vec![Model::LastTouch, Model::LastClick, Model::Linear];
    let plain = run(
        e.clone(),
        &[(1, 1, 2 * H, 1.0)],
        windows_1d(),
        models.clone(),
        false,
    );
    assert_eq!(credits_by_id(&plain, "last_touch")[&1], vec![(2, 1.0)]);
    assert_eq!(credits_by_id(&plain, "last_click")[&1], vec![(1, 1.0)]);
    let cbv = run(e, &[(1, 1, 2 * H, 1.0)], windows_1d(), models, true);
    assert_eq!(credits_by_id(&cbv, "last_touch")[&1], vec![(1, 1.0)]);
    assert_eq!(credits_by_id(&cbv, "linear")[&1], vec![(1, 1.0)]);
}

#[test]
fn last_non_excluded_falls_back_when_all_are_excluded() {
    let e = vec![
        ex(1, 1, 0, "social", Interaction::View),
        ex(2, 1, H, "direct", Interaction::Click),
    ];
    let m = vec![Model::LastNonExcluded {
        excluded: vec!["direct".into()],
    }];
    let r = run(e, &[(1, 1, 2 * H, 1.0)], windows_1d(), m.clone(), false);
    assert_eq!(credits_by_id(&r, "last_non_excluded")[&1], vec![(1, 1.0)]);
    let only = vec![ex(2, 1, H, "direct", Interaction::Click)];
    let r = run(only, &[(1, 1, 2 * H, 1.0)], windows_1d(), m, false);
    assert_eq!(credits_by_id(&r, "last_non_excluded")[&1], vec![(2, 1.0)]);
}

#[test]
fn position_based_shapes_and_small_n() {
    let e: Vec<Ex> = (0..5)
        .map(|i| ex(i, 1, i * S, "tv", Interaction::View))
        .collect();
    let models = vec![Model::U_SHAPED, Model::J_SHAPED, Model::INVERSE_J];
    let r = run(
        e.clone(),
        &[(1, 1, 10 * S, 1.0)],
        windows_1d(),
        models.clone(),
        false,
    );
    let w = |name| {
        credits_by_id(&r, name)[&1]
            .iter()
            .map(|x| x.1)
            .collect::<Vec<_>>()
    };
    let mid = (1.0 - 0.4 - 0.4) / 3.0; // as computed: 0.19999999999999996 / 3
    assert_eq!(w("position_based"), vec![0.4, mid, mid, mid, 0.4]);
    assert_eq!(w("position_based_j")[0], 0.2);
    assert_eq!(w("position_based_j")[4], 0.6);
    assert_eq!(w("position_based_inverse_j")[0], 0.6);
    // n = 2: shares normalised; U → ½, ½; J → ¼, ¾.
    let r = run(
        e[..2].to_vec(),
        &[(1, 1, 10 * S, 1.0)],
        windows_1d(),
        models.clone(),
        false,
    );
    assert_eq!(
        credits_by_id(&r, "position_based")[&1],
        vec![(0, 0.5), (1, 0.5)]
    );
    let j = &credits_by_id(&r, "position_based_j")[&1];
    assert!((j[0].1 - 0.25).abs() < 1e-15 && (j[1].1 - 0.75).abs() < 1e-15);
    // n = 1: everything.
    let r = run(
        e[..1].to_vec(),
        &[(1, 1, 10 * S, 1.0)],
        windows_1d(),
        models,
        false,
    );
    assert_eq!(credits_by_id(&r, "position_based_j")[&1], vec![(0, 1.0)]);
}

#[test]
fn time_decay_whole_days_rounds_down() {
    let e = vec![
        ex(1, 1, 0, "tv", Interaction::View),
        ex(2, 1, 36 * H, "tv", Interaction::View),
    ];
    let w = Windows::new().default_for(Interaction::View, Some(Window::days(30).unwrap()));
    let m = vec![
        Model::TimeDecay {
            half_life_seconds: 86_400.0,
            whole_days: true,
        },
        Model::TimeDecay {
            half_life_seconds: 86_400.0,
            whole_days: false,
        },
    ];
    let r = run(e, &[(1, 1, 72 * H, 1.0)], w, m, false);
    // Whole days: Δ = 3 d and 1 d → ∝ 1/8 and 1/2 → 0.2, 0.8.
    let wd = &credits_by_id(&r, "time_decay_86400s_days")[&1];
    assert!((wd[0].1 - 0.2).abs() < 1e-15 && (wd[1].1 - 0.8).abs() < 1e-15);
    // Continuous: Δ = 3 d and 1.5 d → ∝ 2^-3 and 2^-1.5.
    let c = &credits_by_id(&r, "time_decay_86400s")[&1];
    let (a, b) = (2f64.powf(-1.5), 1.0);
    assert!((c[0].1 - a / (a + b)).abs() < 1e-15);
}

#[test]
fn calendar_days_across_a_dst_change_in_new_york() {
    // 2025-11-02 is 25 hours long in New York. A view at 2025-11-01 23:30 local (03:30Z on
    // the 2nd) and a purchase at 2025-11-02 23:59 local (04:59Z on the 3rd): one calendar
    // day apart, 25.5 hours apart.
    let view = 1_762_054_200 * S; // 2025-11-02T03:30:00Z
    let buy = 1_762_145_940 * S; // 2025-11-03T04:59:00Z
    let e = vec![ex(1, 1, view, "social", Interaction::View)];
    let calendar = windows_1d().mode(WindowMode::CalendarDays(Tz::America__New_York));
    let r = run(
        e.clone(),
        &[(1, 1, buy, 1.0)],
        calendar,
        vec![Model::LastTouch],
        false,
    );
    assert_eq!(r.summary().attributed, 1);
    let exact = run(
        e,
        &[(1, 1, buy, 1.0)],
        windows_1d(),
        vec![Model::LastTouch],
        false,
    );
    assert_eq!(exact.summary().attributed, 0, "25.5 h > 24 h in exact mode");
}

#[test]
fn campaign_overrides_win_over_groups_and_defaults() {
    let mut promo = ex(1, 1, 0, "social", Interaction::View);
    promo.campaign = "black-friday";
    let other = ex(2, 1, 0, "social", Interaction::Click);
    let w = Windows::new()
        .group("social", Interaction::View, Window::hours(1).unwrap())
        .group("social", Interaction::Click, Window::hours(1).unwrap())
        .campaign("black-friday", None, Window::days(3).unwrap());
    let r = run(
        vec![promo, other],
        &[(1, 1, 2 * D, 1.0)],
        w,
        vec![Model::Linear],
        false,
    );
    assert_eq!(credits_by_id(&r, "linear")[&1], vec![(1, 1.0)]);
}

#[test]
fn missing_and_invalid_windows_are_errors_naming_the_row() {
    let e = vec![
        ex(1, 1, 0, "tv", Interaction::View),
        ex(2, 1, 0, "radio", Interaction::View),
    ];
    let w = Windows::new().group("tv", Interaction::View, Window::days(1).unwrap());
    let err = attribute(
        exposures(&e),
        transactions(&[(1, 1, H, 1.0)]),
        &AttributionConfig {
            windows: w,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_record");
    assert!(
        err.to_string().contains("row 1") && err.to_string().contains("radio / view"),
        "{err}"
    );
    assert_eq!(Window::seconds(-1).unwrap_err().code(), "invalid_argument");
    let dup = Windows::new()
        .group("tv", Interaction::View, Window::days(1).unwrap())
        .group("tv", Interaction::View, Window::days(2).unwrap());
    assert!(dup.validate().is_err());
    let cal = Windows::new()
        .default_for(Interaction::View, Some(Window::hours(5).unwrap()))
        .mode(WindowMode::CalendarDays(Tz::UTC));
    assert!(
        cal.validate()
            .unwrap_err()
            .to_string()
            .contains("whole days")
    );
}

#[test]
fn bad_rows_are_errors_naming_the_row() {
    let mut e = vec![
        ex(1, 1, 0, "tv", Interaction::View),
        ex(2, 1, 5 * S, "tv", Interaction::View),
    ];
    e[1].end = Some(S);
    let err = ExposureTable::new(exposures_columns(&e)).unwrap_err();
    assert!(
        err.to_string().contains("row 1") && err.to_string().contains("end"),
        "{err}"
    );
    let err = TransactionTable::new(TransactionColumns {
        id: Ids::Int(vec![1, 2]),
        key: Ids::Int(vec![1, 1]),
        time: vec![0, 0],
        value: vec![1.0, f64::NAN],
        units: vec![1.0, 1.0],
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("row 1") && err.to_string().contains("value"),
        "{err}"
    );
    let err = TransactionTable::new(TransactionColumns {
        id: Ids::Int(vec![1]),
        key: Ids::Int(vec![1]),
        time: vec![0],
        value: vec![-2.0],
        units: vec![1.0],
    })
    .unwrap_err();
    assert_eq!(err.code(), "invalid_record");
    // Keys of different kinds.
    let tx = TransactionTable::new(TransactionColumns {
        id: Ids::Int(vec![1]),
        key: Ids::Text(vec!["1".into()]),
        time: vec![0],
        value: vec![1.0],
        units: vec![1.0],
    })
    .unwrap();
    assert_eq!(
        attribute(exposures(&e[..1]), tx, &AttributionConfig::default())
            .unwrap_err()
            .code(),
        "invalid_argument"
    );
    // Models: bad parameters and repeats.
    assert!(
        Model::PositionBased {
            first: 0.7,
            last: 0.7
        }
        .validate()
        .is_err()
    );
    assert!("markov_9".parse::<Model>().is_err());
    let twice = AttributionConfig {
        models: vec![Model::Linear, Model::Linear],
        ..Default::default()
    };
    assert!(attribute(exposures(&e[..1]), transactions(&[]), &twice).is_err());
}

fn exposures_columns(rows: &[Ex]) -> ExposureColumns {
    ExposureColumns {
        id: Ids::Int(rows.iter().map(|r| r.id).collect()),
        key: Ids::Int(rows.iter().map(|r| r.key).collect()),
        start: rows.iter().map(|r| r.start).collect(),
        end: rows.iter().map(|r| r.end).collect(),
        channel: Labels::from_strs(rows.iter().map(|r| r.channel)),
        interaction: rows.iter().map(|r| r.interaction).collect(),
        campaign: Labels::from_strs(rows.iter().map(|r| r.campaign)),
        asset: Labels::from_strs(rows.iter().map(|r| r.asset)),
        cost: None,
    }
}

#[test]
fn empty_inputs_give_empty_results() {
    let r = run(vec![], &[], Windows::new(), Model::rules(), false);
    assert_eq!(r.summary().transactions, 0);
    assert!(r.rollup(Dimension::Channel).is_empty());
    let r = run(
        vec![],
        &[(1, 1, 0, 3.0)],
        Windows::new(),
        Model::rules(),
        false,
    );
    assert_eq!(
        (r.summary().unattributed, r.summary().unattributed_value),
        (1, 3.0)
    );
    assert_eq!(r.credit_len(0), 0);
}

#[test]
fn text_keys_and_ids() {
    let ex = ExposureTable::new(ExposureColumns {
        id: Ids::Text(vec!["b".into(), "a".into()]),
        key: Ids::Text(vec!["store-9".into(), "store-9".into()]),
        start: vec![0, 0],
        end: vec![None, None],
        channel: Labels::from_strs(["ooh", "tv"]),
        interaction: vec![Interaction::View; 2],
        campaign: Labels::from_strs(["c", "c"]),
        asset: Labels::from_strs(["x", "y"]),
        cost: None,
    })
    .unwrap();
    let tx = TransactionTable::new(TransactionColumns {
        id: Ids::Text(vec!["t".into()]),
        key: Ids::Text(vec!["store-9".into()]),
        time: vec![H],
        value: vec![1.0],
        units: vec![1.0],
    })
    .unwrap();
    let r = attribute(
        ex,
        tx,
        &AttributionConfig {
            models: vec![Model::LastTouch],
            ..Default::default()
        },
    )
    .unwrap();
    // Tie on τ and rank: id "b" > "a", so "b" (row 0) is last.
    assert_eq!(r.credits(0).next().unwrap().exposure, 0);
}

// --- the brute-force reference ------------------------------------------------------------

/// Every model by definition, one transaction at a time over all exposures.
fn reference(
    ex: &[Ex],
    tx: &[(i64, i64, i64, f64)],
    win: &dyn Fn(&Ex) -> i64,
    cbv: bool,
    models: &[Model],
) -> BTreeMap<(String, i64), Vec<(i64, f64)>> {
    // De-duplicate: identical exposures keep the smallest id.
    let mut kept: Vec<&Ex> = Vec::new();
    for e in ex {
        let twin = ex.iter().any(|o| {
            o.id < e.id
                && (
                    o.key,
                    o.start,
                    o.end,
                    o.channel,
                    o.interaction,
                    o.campaign,
                    o.asset,
                ) == (
                    e.key,
                    e.start,
                    e.end,
                    e.channel,
                    e.interaction,
                    e.campaign,
                    e.asset,
                )
        });
        if !twin {
            kept.push(e);
        }
    }
    let tau = |e: &Ex| e.end.unwrap_or(e.start);
    let mut out = BTreeMap::new();
    for &(tid, key, t, _) in tx {
        let mut el: Vec<&Ex> = kept
            .iter()
            .copied()
            .filter(|e| e.key == key && e.start <= t && t - tau(e) <= win(e))
            .collect();
        if cbv && el.iter().any(|e| e.interaction == Interaction::Click) {
            el.retain(|e| e.interaction == Interaction::Click);
        }
        el.sort_by_key(|e| (tau(e), e.interaction, e.id));
        let n = el.len();
        if n == 0 {
            continue;
        }
        for m in models {
            let w: Vec<f64> = match m {
                Model::LastTouch => (0..n).map(|i| if i == n - 1 { 1.0 } else { 0.0 }).collect(),
                Model::FirstTouch => (0..n).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect(),
                Model::LastClick => {
                    let p = el
                        .iter()
                        .rposition(|e| e.interaction == Interaction::Click)
                        .unwrap_or(n - 1);
                    (0..n).map(|i| if i == p { 1.0 } else { 0.0 }).collect()
                }
                Model::Linear => vec![1.0 / n as f64; n],
                Model::PositionBased { first, last } => match n {
                    1 => vec![1.0],
                    2 => vec![first / (first + last), last / (first + last)],
                    _ => (0..n)
                        .map(|i| {
                            if i == 0 {
                                *first
                            } else if i == n - 1 {
                                *last
                            } else {
                                (1.0 - first - last) / (n - 2) as f64
                            }
                        })
                        .collect(),
                },
                Model::TimeDecay {
                    half_life_seconds, ..
                } => {
                    let d: Vec<f64> = el
                        .iter()
                        .map(|e| (t - tau(e)).max(0) as f64 / 1e6)
                        .collect();
                    let min = d.iter().copied().fold(f64::INFINITY, f64::min);
                    let raw: Vec<f64> = d
                        .iter()
                        .map(|x| 2f64.powf(-(x - min) / half_life_seconds))
                        .collect();
                    let s: f64 = raw.iter().sum();
                    raw.iter().map(|x| x / s).collect()
                }
                _ => unreachable!(),
            };
            let rows: Vec<(i64, f64)> = el
                .iter()
                .zip(&w)
                .filter(|(_, w)| !(m.is_single_touch() && **w == 0.0))
                .map(|(e, w)| (e.id, *w))
                .collect();
            out.insert((m.name(), tid), rows);
        }
    }
    out
}

const CHANNELS: [&str; 3] = ["tv", "social", "search"];

type Case = (Vec<Ex>, Vec<(i64, i64, i64, f64)>, bool, Vec<u32>);

fn arb_case() -> impl Strategy<Value = Case> {
    let exposure = (
        0..4i64,
        0..60i64,
        prop::option::weighted(0.2, 0..30i64),
        0..3usize,
        0..3u8,
        0..2usize,
        0..2usize,
    );
    (
        prop::collection::vec(exposure, 0..40),
        prop::collection::vec((0..4i64, 0..80i64, 0..1000u32), 0..25),
        any::<bool>(),
        prop::collection::vec(any::<u32>(), 80),
    )
        .prop_map(|(es, ts, cbv, perm)| {
            let ex: Vec<Ex> = es
                .into_iter()
                .enumerate()
                .map(|(i, (key, start, len, ch, it, cp, asset))| Ex {
                    id: (i as i64 * 7919) % 1009, // distinct, not in row order
                    key,
                    start: start * S,
                    end: len.map(|l| (start + l) * S),
                    channel: CHANNELS[ch],
                    interaction: [
                        Interaction::View,
                        Interaction::EngagedView,
                        Interaction::Click,
                    ][it as usize],
                    campaign: ["c1", "c2"][cp],
                    asset: ["a1", "a2"][asset],
                })
                .collect();
            let tx = ts
                .into_iter()
                .enumerate()
                .map(|(i, (k, t, v))| (i as i64 + 100, k, t * S, v as f64 / 8.0))
                .collect();
            (ex, tx, cbv, perm)
        })
}

fn window_of(e: &Ex) -> i64 {
    // Per (channel, interaction): 0, 5, 10 … seconds, so ties with the boundary are common.
    let c = CHANNELS.iter().position(|c| *c == e.channel).unwrap_or(0) as i64;
    (c * 3 + e.interaction as i64) * 5 * S
}

fn windows_for_test() -> Windows {
    let mut w = Windows::new();
    for (c, ch) in CHANNELS.iter().enumerate() {
        for i in Interaction::ALL {
            w = w.group(
                ch,
                i,
                Window::seconds((c as i64 * 3 + i as i64) * 5).unwrap(),
            );
        }
    }
    w
}

fn all_credits(r: &Attribution) -> BTreeMap<(String, i64), Vec<(i64, f64)>> {
    let mut out = BTreeMap::new();
    for m in r.models() {
        for (tid, rows) in credits_by_id(r, &m.name()) {
            out.insert((m.name(), tid), rows);
        }
    }
    out
}

fn rule_models() -> Vec<Model> {
    vec![
        Model::LastTouch,
        Model::LastClick,
        Model::FirstTouch,
        Model::Linear,
        Model::U_SHAPED,
        Model::J_SHAPED,
        Model::TimeDecay {
            half_life_seconds: 7.0,
            whole_days: false,
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_rule_model_equals_the_brute_force_reference((ex, tx, cbv, perm) in arb_case()) {
        let models = rule_models();
        let r = run(ex.clone(), &tx, windows_for_test(), models.clone(), cbv);
        let want = reference(&ex, &tx, &window_of, cbv, &models);
        prop_assert_eq!(all_credits(&r), want);

        // Invariants: weights ≥ 0 summing to 1; no exposure after its transaction;
        // credited + unattributed = totals.
        let tcol = r.transactions().columns();
        let ecol = r.exposures().columns();
        for m in 0..r.models().len() {
            let mut per_tx: BTreeMap<u32, f64> = BTreeMap::new();
            for c in r.credits(m) {
                prop_assert!(c.weight >= 0.0);
                prop_assert!(ecol.start[c.exposure as usize] <= tcol.time[c.transaction as usize]);
                *per_tx.entry(c.transaction).or_default() += c.weight;
            }
            for s in per_tx.values() {
                prop_assert!((s - 1.0).abs() < 1e-12);
            }
            let rows = r.rollup(Dimension::Channel);
            let name = r.models()[m].name();
            let conv: f64 = rows.iter().filter(|x| x.model == name).map(|x| x.conversions).sum();
            let value: f64 = rows.iter().filter(|x| x.model == name).map(|x| x.value).sum();
            prop_assert!((conv - tx.len() as f64).abs() < 1e-9);
            prop_assert!((value - r.summary().value).abs() < 1e-9);
        }

        // Permuting the input rows changes nothing.
        let mut pex = ex.clone();
        let mut ptx = tx.clone();
        for i in (1..pex.len()).rev() { pex.swap(i, perm[i] as usize % (i + 1)); }
        for i in (1..ptx.len()).rev() { ptx.swap(i, perm[i + 40] as usize % (i + 1)); }
        let p = run(pex, &ptx, windows_for_test(), models.clone(), cbv);
        prop_assert_eq!(all_credits(&p), all_credits(&r));
        prop_assert_eq!(p.summary(), r.summary());
    }
}

#[test]
fn same_output_for_any_thread_count() {
    // Large enough for many partitions and parallel tasks.
    let mut rng = ces::rng::Rng::new(5);
    let ex: Vec<Ex> = (0..300_000)
        .map(|i| {
            let c = rng.below(3);
            ex(
                i,
                rng.below(20_000) as i64,
                rng.below(30 * 86_400) as i64 * S,
                CHANNELS[c],
                Interaction::ALL[rng.below(3)],
            )
        })
        .collect();
    let tx: Vec<(i64, i64, i64, f64)> = (0..60_000)
        .map(|i| {
            (
                i,
                rng.below(20_000) as i64,
                rng.below(30 * 86_400) as i64 * S,
                rng.below(100) as f64,
            )
        })
        .collect();
    let w = Windows::standard();
    let mut models = rule_models();
    models.push(Model::Markov { order: 1 });
    models.push(Model::Shapley);
    let a = run(ex.clone(), &tx, w.clone(), models.clone(), false);
    ces::parallel::set_enabled(false);
    let b = run(ex, &tx, w, models, false);
    ces::parallel::set_enabled(true);
    assert!(a.summary().touches > 10_000);
    assert_eq!(all_credits(&a), all_credits(&b));
    assert_eq!(a.rollup(Dimension::Campaign), b.rollup(Dimension::Campaign));
    assert_eq!(a.markov_reports(), b.markov_reports());
    let (x, y) = (
        a.bootstrap(Dimension::Channel, 50, 7, 0.9).unwrap(),
        b.bootstrap(Dimension::Channel, 50, 7, 0.9).unwrap(),
    );
    assert_eq!(x, y);
}

// --- data-driven ----------------------------------------------------------------------------

/// The absorption probability by value iteration to a fixed point (independent of the
/// elimination in the core): order-1 chain from explicit transition counts.
#[test]
fn markov_order_one_matches_a_hand_solved_chain() {
    // Paths: a>b conv 3; b conv 1; a null 4; b>a null 2.
    let mut p = PathTable::new();
    p.push_text("a > b", " > ", 3.0, 0.0, 30.0).unwrap();
    p.push_text("b", " > ", 1.0, 0.0, 10.0).unwrap();
    p.push_text("a", " > ", 0.0, 4.0, 0.0).unwrap();
    p.push_text("b > a", " > ", 0.0, 2.0, 0.0).unwrap();
    let m = markov(&p, 1).unwrap();
    // Transitions: start→a 7, start→b 3; a→b 3, a→null 6; b→conv 4, b→a 2.
    // x_a = 3/9 x_b; x_b = 4/6 + 2/6 x_a → x_b = (2/3)/(1 − 1/9) = 3/4, x_a = 1/4.
    // p = 0.7·¼ + 0.3·¾ = 0.4.
    assert!((m.conversion_probability - 0.4).abs() < 1e-15, "{m:?}");
    // Without a: x_b = 4/6 → p = 0.3 · 2/3 = 0.2 → RE_a = 0.5. Without b: p = 0 → RE_b = 1.
    assert!((m.removal_effect[0] - 0.5).abs() < 1e-15 && (m.removal_effect[1] - 1.0).abs() < 1e-15);
    assert!(
        (m.global[0].conversions - 4.0 / 3.0).abs() < 1e-14
            && (m.global[1].conversions - 8.0 / 3.0).abs() < 1e-14
    );
    // Per path: a>b splits 1/3, 2/3 → a 1, b 2 + 1 = 3.
    assert!(
        (m.per_path[0].conversions - 1.0).abs() < 1e-14
            && (m.per_path[1].conversions - 3.0).abs() < 1e-14
    );
    let total: f64 = m.global.iter().map(|c| c.value).sum();
    assert!((total - 40.0).abs() < 1e-12);
}

#[test]
fn shapley_simplified_and_exact() {
    let mut p = PathTable::new();
    p.push_text("a > b", " > ", 2.0, 2.0, 20.0).unwrap();
    p.push_text("a", " > ", 1.0, 3.0, 5.0).unwrap();
    p.push_text("b", " > ", 1.0, 1.0, 5.0).unwrap();
    let s = shapley_simplified(&p);
    assert_eq!((s[0].conversions, s[1].conversions), (2.0, 2.0));
    let e = shapley_exact_values(&p).unwrap();
    // v(a) = 1/4, v(b) = 1/2, v(ab) = 1/2: φ_a = ½(¼) + ½(½ − ½) = 1/8; φ_b = ½(½) + ½(½ − ¼) = 3/8.
    let ab = e.sets.iter().find(|x| x.channels.len() == 2).unwrap();
    assert!((ab.phi[0] - 0.125).abs() < 1e-15 && (ab.phi[1] - 0.375).abs() < 1e-15);
    assert!((ab.shares[0] - 0.25).abs() < 1e-15);
    assert!((e.credit[0].conversions - (1.0 + 0.5)).abs() < 1e-14);
}

#[test]
fn data_driven_models_give_per_transaction_weights_summing_to_one() {
    let e = vec![
        ex(1, 1, 0, "tv", Interaction::View),
        ex(2, 1, S, "search", Interaction::Click),
        ex(3, 2, 0, "tv", Interaction::View),
        ex(4, 3, 0, "search", Interaction::Click), // key 3 never buys: a null journey
    ];
    let models = vec![
        Model::Markov { order: 1 },
        Model::Markov { order: 2 },
        Model::Shapley,
        Model::ShapleyExact,
    ];
    let r = run(
        e,
        &[(1, 1, 2 * S, 10.0), (2, 2, 2 * S, 4.0)],
        windows_1d(),
        models,
        false,
    );
    for m in 0..4 {
        let mut sums: BTreeMap<u32, f64> = BTreeMap::new();
        for c in r.credits(m) {
            *sums.entry(c.transaction).or_default() += c.weight;
        }
        assert_eq!(sums.len(), 2);
        assert!(sums.values().all(|s| (s - 1.0).abs() < 1e-12), "{sums:?}");
    }
    let (_, rep) = &r.markov_reports()[0];
    assert_eq!(rep.channels.len(), 2);
    // Journeys: tv>search conv, tv conv, search null.
    assert!(rep.conversion_probability > 0.0 && rep.removal_effect.iter().all(|x| *x > 0.0));
    assert!(r.shapley_report().is_some());
}

#[test]
fn bootstrap_is_seeded_and_brackets_the_estimate() {
    let mut rng = ces::rng::Rng::new(11);
    let e: Vec<Ex> = (0..2_000)
        .map(|i| {
            ex(
                i,
                rng.below(300) as i64,
                rng.below(86_400) as i64 * S,
                CHANNELS[rng.below(3)],
                Interaction::View,
            )
        })
        .collect();
    let tx: Vec<_> = (0..800)
        .map(|i| (i, rng.below(300) as i64, rng.below(86_400) as i64 * S, 10.0))
        .collect();
    let r = run(e, &tx, windows_1d(), vec![Model::Linear], false);
    let a = r.bootstrap(Dimension::Channel, 200, 3, 0.95).unwrap();
    assert_eq!(a, r.bootstrap(Dimension::Channel, 200, 3, 0.95).unwrap());
    assert_ne!(a, r.bootstrap(Dimension::Channel, 200, 4, 0.95).unwrap());
    for x in &a {
        assert!(
            x.conversions_low <= x.conversions && x.conversions <= x.conversions_high,
            "{x:?}"
        );
        assert!(x.conversions_high > x.conversions_low);
    }
    assert!(r.bootstrap(Dimension::Day, 10, 0, 0.9).is_err());
    assert!(r.bootstrap(Dimension::Channel, 10, 0, 1.0).is_err());
}

#[test]
fn summary_counts_do_not_depend_on_the_models_requested() {
    // Key 1: one exposure an hour before T, and two identical ones 50 days before (out of
    // reach of every window): considered 1, duplicates 0, whichever models run.
    let e = vec![
        ex(1, 1, 50 * D - H, "tv", Interaction::View),
        ex(2, 1, 0, "tv", Interaction::View),
        ex(3, 1, 0, "tv", Interaction::View),
    ];
    let tx = [(1, 1, 50 * D, 1.0)];
    let a = run(e.clone(), &tx, windows_1d(), vec![Model::Linear], false);
    let b = run(
        e,
        &tx,
        windows_1d(),
        vec![Model::Linear, Model::Markov { order: 1 }],
        false,
    );
    assert_eq!(
        (
            a.summary().exposures_considered,
            a.summary().duplicate_exposures
        ),
        (1, 0)
    );
    assert_eq!(a.summary(), b.summary());
    // A negative zero never comes out of the Markov solve.
    let mut p = PathTable::new();
    p.push_text("a > b", " > ", 1.0, 0.0, 1.0).unwrap();
    p.push_text("a", " > ", 0.0, 1.0, 0.0).unwrap();
    assert!(
        markov(&p, 1)
            .unwrap()
            .without
            .iter()
            .all(|w| !w.is_sign_negative())
    );
    assert!(p.push_text("a >  > b", " > ", 1.0, 0.0, 1.0).is_err());
}

#[test]
fn cost_rollup_counts_identical_exposures_once_and_keeps_null_cost_null() {
    let mut rows = vec![
        ex(1, 1, 0, "tv", Interaction::View),
        ex(2, 1, 0, "tv", Interaction::View), // a duplicate of 1, out of reach of the sale
        ex(4, 9, 0, "tv", Interaction::View),
        ex(5, 9, 0, "tv", Interaction::View), // a duplicate of 4, on a key with no sale
        ex(6, 1, 30 * D, "search", Interaction::Click),
    ];
    rows[4].campaign = "c2";
    let mut cols = exposures_columns(&rows);
    cols.cost = Some(vec![Some(1.0), Some(1.0), Some(5.0), Some(5.0), None]);
    let config = AttributionConfig {
        windows: windows_1d(),
        models: vec![Model::FirstTouch],
        ..Default::default()
    };
    let r = attribute(
        ExposureTable::new(cols).unwrap(),
        transactions(&[(1, 1, 30 * D + H, 1.0)]),
        &config,
    )
    .unwrap();
    let by = r.rollup(Dimension::Channel);
    let tv = by.iter().find(|x| x.group == "tv").unwrap();
    assert_eq!((tv.conversions, tv.cost), (0.0, Some(6.0)));
    let search = by.iter().find(|x| x.group == "search").unwrap();
    assert_eq!((search.conversions, search.cost), (1.0, None));
}

#[test]
fn data_driven_results_do_not_depend_on_row_order() {
    let mut rng = ces::rng::Rng::new(99);
    let e: Vec<Ex> = (0..3_000)
        .map(|i| {
            ex(
                i,
                rng.below(200) as i64,
                rng.below(86_400) as i64 * S,
                CHANNELS[rng.below(3)],
                Interaction::ALL[rng.below(3)],
            )
        })
        .collect();
    let tx: Vec<_> = (0..600)
        .map(|i| (i, rng.below(300) as i64, rng.below(86_400) as i64 * S, 10.0))
        .collect();
    let models = vec![
        Model::Markov { order: 1 },
        Model::Markov { order: 2 },
        Model::Shapley,
        Model::ShapleyExact,
    ];
    let a = run(e.clone(), &tx, windows_1d(), models.clone(), false);
    let (mut pe, mut pt) = (e, tx);
    pe.reverse();
    pt.reverse();
    let b = run(pe, &pt, windows_1d(), models, false);
    assert_eq!(all_credits(&a), all_credits(&b));
    assert_eq!(a.markov_reports(), b.markov_reports());
    assert_eq!(a.shapley_report(), b.shapley_report());
}

#[test]
fn wall_clock_times_follow_postgresql_at_time_zone() {
    // The rule both bindings use for time-zone-naive timestamps with an assumed zone.
    let us = |y, mo, d, h, mi| {
        chrono::NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .map(|t| t.and_utc().timestamp() * S)
            .unwrap_or_default()
    };
    let ny = Tz::America__New_York;
    assert_eq!(
        local_to_utc(&ny, us(2018, 1, 10, 12, 0)),
        Some(us(2018, 1, 10, 17, 0))
    );
    // Spring forward: 02:30 does not exist; read with EST (before the jump) = 03:30 EDT.
    assert_eq!(
        local_to_utc(&ny, us(2018, 3, 11, 2, 30)),
        Some(us(2018, 3, 11, 7, 30))
    );
    // Fall back: 01:30 occurs twice; the later (EST) instant.
    assert_eq!(
        local_to_utc(&ny, us(2018, 11, 4, 1, 30)),
        Some(us(2018, 11, 4, 6, 30))
    );
    assert_eq!(
        local_to_utc(&Tz::UTC, us(2018, 11, 4, 1, 30)),
        Some(us(2018, 11, 4, 1, 30))
    );
    assert_eq!(
        local_to_utc(&ny, us(2018, 11, 4, 1, 30) + 7),
        Some(us(2018, 11, 4, 6, 30) + 7)
    );
}
