//! CPA merge: the real sample files as they come, the brief's rules one by one, a
//! differential test against a naive reference merge, reconciliation as a property, time
//! zones across daylight-saving changes, determinism and bad input.

use std::collections::BTreeMap;
use std::str::FromStr;

use ces::cpa::*;
use ces::rng::Rng;
use proptest::prelude::*;

const MAPPING: &[u8] = include_bytes!("../../tests/fixtures/cpa/internal-affiliates.csv");
const EVERFLOW: &[u8] = include_bytes!("../../tests/fixtures/cpa/everflow-entity-table.json");
const REDTRACK: &[u8] = include_bytes!("../../tests/fixtures/cpa/redtrack-report.json");

fn d(s: &str) -> Date {
    Date::from_str(s).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn opts() -> ReadOptions {
    ReadOptions::default()
}

fn ef_row<'a>(date: &str, label: &'a str, adv: i64, cv: i64, payout: &str) -> EverflowRow<'a> {
    EverflowRow {
        date: d(date),
        affiliate_id: None,
        affiliate_label: label,
        advertiser_id: adv,
        advertiser_label: if adv == 1 { "CCW" } else { "EXP" },
        clicks: cv * 10,
        conversions: cv,
        revenue: dec(payout) * Decimal::from(2),
        payout: dec(payout),
        profit: Some(dec(payout)),
        currency: None,
    }
}

fn rt_row<'a>(date: &str, source_id: &'a str, cost: &str) -> SpendRow<'a> {
    SpendRow {
        date: d(date),
        stamp: None,
        source_id,
        source_name: source_id,
        source_alias: None,
        clicks: 7,
        conversions: 1,
        cost: dec(cost),
        currency: None,
    }
}

// --- the sample files, as they come ------------------------------------------------------------

#[test]
fn sample_mapping_file_as_it_is() {
    let m = read_mapping_csv(MAPPING, &opts()).unwrap();
    assert_eq!(m.len(), 18, "every row is kept");
    // BOM stripped: the first header is recognised and the first row is usable.
    let first = &m.entries()[0];
    assert_eq!(first.source.as_deref(), Some("Facebook CCW"));
    assert_eq!(first.target.as_ref().unwrap().affiliate_label, "G2 - Meta");
    // Trailing space kept raw, trimmed for joining.
    let steph = &m.entries()[1];
    assert_eq!(steph.source.as_deref(), Some("Meta CCW AWF2 Stephanie "));
    assert_eq!(steph.location, "line 3");
    // The n/a rows: each reported with its line and field; raw cells kept.
    let issues: Vec<(&str, &str, &str)> = m
        .issues
        .iter()
        .map(|i| (i.location.as_str(), i.field.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        issues,
        vec![
            ("line 7", "everflow.affiliate_label", "n/a"),
            ("line 14", "everflow.affiliate_label", "n/a"),
            ("line 15", "everflow.advertiser_id", "n/a"),
            ("line 19", "everflow.affiliate_label", "n/a"),
        ]
    );
    assert_eq!(m.entries()[13].affiliate_id.as_deref(), Some("6"));
    // Several sources map to one affiliate.
    let g2_google = m
        .entries()
        .iter()
        .filter(|e| {
            e.target
                .as_ref()
                .is_some_and(|t| t.affiliate_label == "G2 - Google")
        })
        .count();
    assert_eq!(g2_google, 6);
    // Strict mode makes the first n/a row the error.
    let err = read_mapping_csv(
        MAPPING,
        &ReadOptions {
            strict: true,
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_record");
    assert!(
        err.to_string().contains("everflow.affiliate_label"),
        "{err}"
    );
}

#[test]
fn sample_api_responses() {
    let ef = read_everflow_json(&[EVERFLOW], &opts()).unwrap();
    assert_eq!(ef.len(), 1);
    let r = ef.get(0);
    assert_eq!(r.date, d("2024-12-02"), "epoch seconds converted in UTC");
    assert_eq!(
        (r.clicks, r.conversions, r.affiliate_id),
        (150, 25, Some(1))
    );
    assert_eq!(r.revenue.to_string(), "2500.00");
    let rt = read_redtrack_json(
        &[REDTRACK],
        &ReadOptions {
            date: Some(d("2024-12-02")),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(rt.len(), 2);
    assert_eq!(rt.get(0).cost.to_string(), "7825.50");
    assert_eq!(rt.get(1).source_name, "Google Ads CCW");
    // Without a date in the rows or the options, each row is reported, not dropped.
    let rt = read_redtrack_json(&[REDTRACK], &opts()).unwrap();
    assert_eq!(rt.len(), 0);
    assert_eq!(rt.issues.len(), 2);
    assert_eq!(rt.issues[1].location, "row 2");
}

// --- readers: shapes, aliases, zeros ----------------------------------------------------------------

#[test]
fn redtrack_wrappers_and_aliases() {
    let o = ReadOptions {
        date: Some(d("2025-12-17")),
        ..opts()
    };
    for wrapper in ["rows", "items", "data", "results"] {
        let doc = format!(
            r#"{{"{wrapper}":[{{"traffic_source_id":"a","trafficSource":"A","total_clicks":3,"total_cost":"1.10"}}]}}"#
        );
        let rt = read_redtrack_json(&[doc.as_bytes()], &o).unwrap();
        let r = rt.get(0);
        assert_eq!(
            (r.source_id, r.source_name, r.clicks),
            ("a", "A", 3),
            "{wrapper}"
        );
        assert_eq!(r.cost, dec("1.10"));
    }
    // 0 is a value; aliases are used only when the field is missing; null counts as missing.
    let doc = br#"[{"source_id":"a","clicks":0,"total_clicks":50,"cost":0,"spend":9,"conversions":0,"total_conversions":12},
                   {"source_id":"b","clicks":null,"total_clicks":50,"cost":null,"spend":9}]"#;
    let rt = read_redtrack_json(&[&doc[..]], &o).unwrap();
    assert_eq!(
        (rt.get(0).clicks, rt.get(0).cost, rt.get(0).conversions),
        (0, Decimal::ZERO, 0)
    );
    assert_eq!((rt.get(1).clicks, rt.get(1).cost), (50, dec("9")));
}

#[test]
fn everflow_pages_and_pagination_gaps() {
    let row = |epoch: i64, label: &str, cv: i64| {
        format!(
            r#"{{"columns":[{{"column_type":"affiliate","id":"7","label":"{label}"}},{{"column_type":"advertiser","id":"1","label":"CCW"}},{{"column_type":"date","id":"{epoch}"}}],"reporting":{{"total_click":1,"cv":{cv},"revenue":1.5,"payout":"1.25","profit":0.25}}}}"#
        )
    };
    let page1 = format!(
        r#"{{"table":[{}],"paging":{{"page":1,"page_size":1,"total_count":3}}}}"#,
        row(1733097600, "A", 1)
    );
    let page2 = format!(
        r#"{{"table":[{}],"paging":{{"page":2,"page_size":1,"total_count":3}}}}"#,
        row(1733184000, "A", 2)
    );
    let both = format!("[{page1},{page2}]");
    for docs in [
        vec![page1.as_bytes(), page2.as_bytes()],
        vec![both.as_bytes()],
    ] {
        let ef = read_everflow_json(&docs, &opts()).unwrap();
        assert_eq!(ef.len(), 2);
        assert_eq!(ef.get(1).date, d("2024-12-03"));
        assert_eq!(ef.get(1).payout, dec("1.25"));
        // total_count says 3: the missing page is reported.
        assert_eq!(ef.issues.len(), 1);
        assert_eq!(ef.issues[0].field, "paging.total_count");
    }
    // A date that is not midnight UTC (requested in another zone) is reported with its page and row.
    let bad = format!(
        r#"{{"table":[{},{}]}}"#,
        row(1733097600, "A", 1),
        row(1733097600 + 5 * 3600, "B", 1)
    );
    let ef = read_everflow_json(&[bad.as_bytes()], &opts()).unwrap();
    assert_eq!(ef.len(), 1);
    assert_eq!(ef.issues[0].location, "page 1, row 2");
    assert_eq!(ef.issues[0].field, "date");
    // Broken JSON is an error with its position.
    let err = read_everflow_json(&[b"{\"table\": [}".as_slice()], &opts()).unwrap_err();
    assert_eq!(err.code(), "malformed_input");
}

// --- bad input ----------------------------------------------------------------------------------------

#[test]
fn bad_records_are_reported_with_row_field_and_value() {
    let o = ReadOptions {
        date: Some(d("2025-12-17")),
        ..opts()
    };
    let doc = br#"[{"source_id":"a","clicks":1,"cost":-5},
                   {"source_id":"b","clicks":1,"cost":"12,50"},
                   {"source_id":"c","clicks":1,"cost":"1","currency":"XYZ"},
                   {"source_id":"d","clicks":1,"cost":"1","date":"17/12/2025"},
                   {"source_id":"e","clicks":-1,"cost":"1"},
                   {"source_id":"f","clicks":1,"cost":"NaN"},
                   {"source_id":"g","clicks":1,"cost":"2.5"}]"#;
    let rt = read_redtrack_json(&[&doc[..]], &o).unwrap();
    assert_eq!(rt.len(), 1, "one good row");
    let got: Vec<(u64, &str, &str)> = rt
        .issues
        .iter()
        .map(|i| (i.row, i.field.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, "cost", "-5"),
            (1, "cost", "12,50"),
            (2, "currency", "XYZ"),
            (3, "date", "17/12/2025"),
            (4, "clicks", "-1"),
            (5, "cost", "NaN"),
        ]
    );
    // The issues travel into the merge's diagnostics.
    let out = merge(
        &EverflowTable::new(),
        &rt,
        &Mapping::new(),
        &MergeConfig::default(),
    )
    .unwrap();
    assert_eq!(out.diagnostics.rejected_rows.len(), 6);
    // Strict: the first one is the error.
    let err = read_redtrack_json(&[&doc[..]], &ReadOptions { strict: true, ..o }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "redtrack row 0: invalid `cost`: \"-5\" (must not be negative)"
    );
}

#[test]
fn duplicate_keys() {
    let mapping = Mapping::new();
    // Identical duplicates (a page fetched twice) are counted once and reported.
    let mut ef = EverflowTable::new();
    let mut r = ef_row("2025-11-01", "A", 1, 3, "30");
    r.affiliate_id = Some(5);
    ef.push(r).unwrap();
    ef.push(r).unwrap();
    let out = merge(&ef, &SpendTable::new(), &mapping, &MergeConfig::default()).unwrap();
    assert_eq!(out.performance.get(0).conversions, 3);
    assert_eq!(out.diagnostics.duplicate_rows[0].rows, vec![0, 1]);
    // Different values under one key: neither can be chosen.
    ef.push(EverflowRow {
        conversions: 4,
        ..r
    })
    .unwrap();
    let err = merge(&ef, &SpendTable::new(), &mapping, &MergeConfig::default()).unwrap_err();
    assert_eq!(err.code(), "duplicate_key");
    assert_eq!(err.row(), Some(2));
    // Two affiliate ids with one label are one affiliate (the label is the identity).
    let mut ef = EverflowTable::new();
    ef.push(EverflowRow {
        affiliate_id: Some(1),
        ..ef_row("2025-11-01", "SB - Meta", 1, 2, "10")
    })
    .unwrap();
    ef.push(EverflowRow {
        affiliate_id: Some(2),
        ..ef_row("2025-11-01", " SB  - Meta", 1, 3, "15")
    })
    .unwrap();
    let out = merge(&ef, &SpendTable::new(), &mapping, &MergeConfig::default()).unwrap();
    assert_eq!(out.performance.len(), 1);
    assert_eq!(
        (
            out.performance.get(0).conversions,
            out.performance.get(0).everflow_rows
        ),
        (5, 2)
    );
    // Redtrack: same (date, source) with different cost.
    let mut rt = SpendTable::new();
    rt.push(rt_row("2025-11-01", "s", "1")).unwrap();
    rt.push(rt_row("2025-11-01", "s", "2")).unwrap();
    let err = merge(
        &EverflowTable::new(),
        &rt,
        &mapping,
        &MergeConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "redtrack: rows 0 and 1 have the same key (2025-11-01 / s) but different values"
    );
}

#[test]
fn currencies_are_not_mixed() {
    let mut ef = EverflowTable::new();
    ef.push(EverflowRow {
        currency: Some("eur"),
        ..ef_row("2025-11-01", "A", 1, 1, "1")
    })
    .unwrap();
    let err = merge(
        &ef,
        &SpendTable::new(),
        &Mapping::new(),
        &MergeConfig::default(),
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("currency"));
    assert!(err.to_string().contains("EUR"));
    let eur = MergeParams {
        currency: "EUR".into(),
        ..Default::default()
    }
    .check()
    .unwrap();
    assert!(merge(&ef, &SpendTable::new(), &Mapping::new(), &eur).is_ok());
}

// --- the rules ---------------------------------------------------------------------------------------------

fn sample_mapping() -> Mapping {
    read_mapping_csv(MAPPING, &opts()).unwrap()
}

/// One day of the sample client: G2 - Meta (Facebook CCW + Facebook AWF CCW), SB - Meta
/// (the trailing-space Stephanie source), an external affiliate, unmapped spend.
fn sample_day() -> (EverflowTable, SpendTable) {
    let mut ef = EverflowTable::new();
    ef.push(ef_row("2025-12-17", "G2 - Meta", 1, 40, "1000"))
        .unwrap();
    ef.push(ef_row("2025-12-17", "SB - Meta", 1, 34, "800"))
        .unwrap();
    ef.push(ef_row("2025-12-17", "Blue Bench Media LLC", 1, 20, "500"))
        .unwrap();
    ef.push(ef_row("2025-12-17", "G2 - Meta", 2, 0, "0"))
        .unwrap();
    let mut rt = SpendTable::new();
    rt.push(rt_row("2025-12-17", "66c79f91be26fd4634569658", "19239.00"))
        .unwrap(); // Facebook CCW → G2 - Meta
    rt.push(rt_row("2025-12-17", "628fd466f765760001f37209", "100.00"))
        .unwrap(); // Facebook AWF CCW → G2 - Meta
    rt.push(rt_row("2025-12-17", "6807d9120ee9ffc623c1d7e5", "2719.66"))
        .unwrap(); // Stephanie → SB - Meta
    rt.push(rt_row("2025-12-17", "tigresh", "210.72")).unwrap(); // not in the mapping
    rt.push(rt_row("2025-12-17", "68ae2e73d5616519ce48e5e3", "5.00"))
        .unwrap(); // Facebook CTI: n/a row
    (ef, rt)
}

#[test]
fn rules_on_a_sample_day() {
    let (ef, rt) = sample_day();
    let out = merge(&ef, &rt, &sample_mapping(), &MergeConfig::default()).unwrap();
    let rows: BTreeMap<(i64, &str), PerformanceRow<'_>> = out
        .performance
        .iter()
        .map(|r| ((r.advertiser_id, r.affiliate_label), r))
        .collect();
    // Rule 3: spend summed through the mapping before the join.
    let g2 = rows[&(1, "G2 - Meta")];
    assert!(g2.is_internal);
    assert_eq!(g2.redtrack_cost, dec("19339.00"));
    assert_eq!(
        g2.cost, g2.redtrack_cost,
        "rule 5: internal cost is Redtrack spend"
    );
    assert_eq!(g2.spend_rows, 2);
    assert_eq!(g2.cpa, Some(dec("483.475")));
    // The trailing-space source joins after normalisation.
    assert_eq!(rows[&(1, "SB - Meta")].cost, dec("2719.66"));
    // External: cost is the payout.
    let blue = rows[&(1, "Blue Bench Media LLC")];
    assert!(!blue.is_internal);
    assert_eq!((blue.cost, blue.cpa), (dec("500"), Some(dec("25"))));
    // Rule 6: zero conversions, CPA undefined; cost kept.
    let exp = rows[&(2, "G2 - Meta")];
    assert_eq!((exp.conversions, exp.cpa), (0, None));
    // Diagnostics: unmapped spend with its amount and reason, largest first.
    let un: Vec<(&str, Decimal, UnmappedReason)> = out
        .diagnostics
        .unmapped_spend
        .iter()
        .map(|u| (u.source_id.as_str(), u.cost, u.reason))
        .collect();
    assert_eq!(
        un,
        vec![
            ("tigresh", dec("210.72"), UnmappedReason::NotInMapping),
            (
                "68ae2e73d5616519ce48e5e3",
                dec("5.00"),
                UnmappedReason::MalformedMapping
            ),
        ]
    );
    assert_eq!(out.diagnostics.malformed_mappings.len(), 4);
    // G2 - Google, SB - Google, BHS and the EXP G2 - Meta mapping... never seen in Everflow.
    let unused: Vec<&str> = out
        .diagnostics
        .unused_mappings
        .iter()
        .map(|u| u.affiliate_label.as_str())
        .collect();
    assert!(
        unused.contains(&"G2 - Google") && unused.contains(&"BHS"),
        "{unused:?}"
    );
    assert!(!unused.contains(&"SB - Meta"));
    let t = &out.diagnostics.totals;
    assert_eq!(t.redtrack_cost, t.mapped_cost + t.unmapped_cost);
    assert_eq!(
        t.output_cost,
        t.mapped_cost - t.excluded_cost + t.external_payout
    );
    assert_eq!(t.output_conversions, 94);
}

#[test]
fn affiliate_in_the_mapping_but_not_in_a_hard_coded_list() {
    // The original hard-coded the internal labels and missed SB - Meta: its spend vanished.
    let (ef, rt) = sample_day();
    let hard_coded = MergeParams {
        internal: InternalRule {
            from_mapping: false,
            include: vec!["G2 - Meta".into(), "G2 - Google".into()],
            exclude: vec![],
        },
        ..Default::default()
    }
    .check()
    .unwrap();
    let out = merge(&ef, &rt, &sample_mapping(), &hard_coded).unwrap();
    let sb = out
        .performance
        .iter()
        .find(|r| r.affiliate_label == "SB - Meta")
        .unwrap();
    assert!(!sb.is_internal);
    assert_eq!(sb.cost, dec("800"), "treated as external: payout");
    // ... but the spend is not silently ignored any more:
    assert_eq!(out.diagnostics.excluded_spend.len(), 1);
    assert_eq!(
        out.diagnostics.excluded_spend[0].affiliate_label,
        "SB - Meta"
    );
    assert_eq!(out.diagnostics.excluded_spend[0].cost, dec("2719.66"));
    // Derived from the mapping (the default), SB - Meta is internal with its spend.
    let out = merge(&ef, &rt, &sample_mapping(), &MergeConfig::default()).unwrap();
    let sb = out
        .performance
        .iter()
        .find(|r| r.affiliate_label == "SB - Meta")
        .unwrap();
    assert!(sb.is_internal);
    assert_eq!(sb.cost, dec("2719.66"));
    assert!(out.diagnostics.excluded_spend.is_empty());
    // Overrides: exclude wins over the mapping.
    let ex = MergeParams {
        internal: InternalRule {
            exclude: vec!["SB - Meta".into()],
            ..Default::default()
        },
        ..Default::default()
    }
    .check()
    .unwrap();
    let out = merge(&ef, &rt, &sample_mapping(), &ex).unwrap();
    assert_eq!(out.diagnostics.excluded_spend[0].cost, dec("2719.66"));
}

#[test]
fn zero_valued_metrics() {
    let mut ef = EverflowTable::new();
    ef.push(ef_row("2025-12-17", "G2 - Meta", 1, 0, "0"))
        .unwrap();
    ef.push(ef_row("2025-12-17", "Zero Co", 1, 0, "0")).unwrap();
    let mut rt = SpendTable::new();
    rt.push(SpendRow {
        clicks: 0,
        conversions: 0,
        ..rt_row("2025-12-17", "66c79f91be26fd4634569658", "0")
    })
    .unwrap();
    let out = merge(&ef, &rt, &sample_mapping(), &MergeConfig::default()).unwrap();
    for r in out.performance.iter() {
        assert_eq!((r.conversions, r.cost, r.cpa), (0, Decimal::ZERO, None));
    }
    // A zero-cost spend row is a spend row: the day is neither flagged nor unmapped.
    let g2 = out
        .performance
        .iter()
        .find(|r| r.affiliate_label == "G2 - Meta")
        .unwrap();
    assert_eq!(g2.spend_rows, 1);
    assert!(out.diagnostics.spend_without_conversions.is_empty());
    assert!(out.diagnostics.conversions_without_spend.is_empty());
    let s = summarize(&out.performance, Period::Day);
    assert_eq!((s[0].total.conversions, s[0].total.cpa), (0, None));
}

#[test]
fn internal_days_that_do_not_add_up() {
    let mut ef = EverflowTable::new();
    ef.push(ef_row("2025-12-16", "G2 - Meta", 1, 12, "0"))
        .unwrap(); // conversions, no spend
    ef.push(ef_row("2025-12-17", "G2 - Meta", 1, 0, "0"))
        .unwrap(); // spend, no conversions
    let mut rt = SpendTable::new();
    rt.push(rt_row("2025-12-17", "66c79f91be26fd4634569658", "50"))
        .unwrap();
    rt.push(rt_row("2025-12-18", "66c79f91be26fd4634569658", "60"))
        .unwrap(); // no Everflow row at all
    let out = merge(&ef, &rt, &sample_mapping(), &MergeConfig::default()).unwrap();
    let dg = &out.diagnostics;
    assert_eq!(dg.conversions_without_spend.len(), 1);
    assert_eq!(dg.conversions_without_spend[0].date, d("2025-12-16"));
    let days: Vec<Date> = dg
        .spend_without_conversions
        .iter()
        .map(|f| f.date)
        .collect();
    assert_eq!(days, vec![d("2025-12-17"), d("2025-12-18")]);
    // The spend with no Everflow row still has its output row: no cost disappears.
    let last = out.performance.get(out.performance.len() - 1);
    assert_eq!(
        (last.date, last.cost, last.everflow_rows, last.cpa),
        (d("2025-12-18"), dec("60"), 0, None)
    );
    assert_eq!(last.advertiser_label, "CCW");
}

#[test]
fn ratio_of_sums_not_mean_of_ratios() {
    let mut ef = EverflowTable::new();
    ef.push(ef_row("2025-12-01", "Ext A", 1, 1, "100")).unwrap(); // CPA 100
    ef.push(ef_row("2025-12-01", "Ext B", 1, 99, "99")).unwrap(); // CPA 1
    ef.push(ef_row("2025-12-02", "Ext A", 1, 0, "10")).unwrap(); // CPA undefined, cost 10
    let out = merge(
        &ef,
        &SpendTable::new(),
        &Mapping::new(),
        &MergeConfig::default(),
    )
    .unwrap();
    let day = summarize(&out.performance, Period::Day);
    assert_eq!(
        day[0].total.cpa,
        Some(dec("1.99")),
        "199 / 100, not (100 + 1) / 2"
    );
    assert_eq!(day[1].total.cpa, None);
    assert_eq!(
        day[1].total.cost,
        dec("10"),
        "cost kept without conversions"
    );
    let month = summarize(&out.performance, Period::Month);
    assert_eq!(month.len(), 1);
    assert_eq!(month[0].total.cpa, Some(dec("2.09")), "209 / 100");
    assert_eq!(month[0].external.cpa, month[0].total.cpa);
    assert_eq!(month[0].internal.cpa, None);
    let lb = leaderboard(&out.performance, 10, None, None);
    assert_eq!(lb[0].affiliate_label, "Ext B");
    assert_eq!(lb[1].cpa, Some(dec("110")), "Ext A: 110 / 1");
    assert_eq!(lb[1].days, 2);
    let week = summarize(&out.performance, Period::Week);
    assert_eq!(week[0].start, d("2025-12-01"));
}

// --- time zones ------------------------------------------------------------------------------------------

#[test]
fn dst_boundary_in_the_report_zone() {
    let ny = ReportZone::default();
    // Hourly Redtrack rows stamped in UTC around the end of daylight saving (2025-11-02).
    let stamps = [
        ("2025-11-02T03:30:00Z", "2025-11-01"), // 23:30 EDT
        ("2025-11-02T04:30:00Z", "2025-11-02"), // 00:30 EDT
        ("2025-11-03T04:30:00Z", "2025-11-02"), // 23:30 EST: a fixed -4 offset would say Nov 3
        ("2025-11-03T05:00:00Z", "2025-11-03"), // 00:00 EST
        ("2025-03-09T04:59:59Z", "2025-03-08"), // 23:59:59 EST before spring forward
        ("2025-03-10T03:59:59Z", "2025-03-09"), // 23:59:59 EDT: a fixed -5 offset would say Mar 9 22:59
        ("2025-03-10T04:00:00Z", "2025-03-10"),
    ];
    let rows: Vec<String> = stamps
        .iter()
        .enumerate()
        .map(|(k, (ts, _))| format!(r#"{{"source_id":"66c79f91be26fd4634569658","date":"{ts}","clicks":1,"cost":"{k}.5"}}"#))
        .collect();
    let doc = format!("[{}]", rows.join(","));
    let rt = read_redtrack_json(&[doc.as_bytes()], &ReadOptions { zone: ny, ..opts() }).unwrap();
    let got: Vec<String> = rt.iter().map(|r| r.date.to_string()).collect();
    let want: Vec<&str> = stamps.iter().map(|(_, d)| *d).collect();
    assert_eq!(got, want);
    // Two stamped rows of one source on one date are two records, summed in the merge.
    let out = merge(
        &EverflowTable::new(),
        &rt,
        &sample_mapping(),
        &MergeConfig::default(),
    )
    .unwrap();
    let nov2 = out
        .performance
        .iter()
        .find(|r| r.date == d("2025-11-02"))
        .unwrap();
    assert_eq!((nov2.redtrack_cost, nov2.spend_rows), (dec("4.0"), 2)); // 1.5 + 2.5
    // In another zone the same instants fall on other dates.
    let berlin = ReportZone::new("Europe/Berlin").unwrap();
    let rt = read_redtrack_json(
        &[doc.as_bytes()],
        &ReadOptions {
            zone: berlin,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(rt.get(0).date, d("2025-11-02"));
    // Day lengths and schedules.
    let hours = |s: &str| {
        let (a, b) = ny.day_bounds(d(s));
        (b - a).num_hours()
    };
    assert_eq!(
        [
            hours("2025-03-09"),
            hours("2025-11-02"),
            hours("2025-11-03")
        ],
        [23, 25, 24]
    );
    let now = chrono::DateTime::parse_from_rfc3339("2025-11-03T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(ny.today(now), d("2025-11-02"));
    let last7 = ny.last_days(now, 7);
    assert_eq!((last7.start, last7.end), (d("2025-10-27"), d("2025-11-02")));
    // Everflow dates are converted in UTC, never in the report zone.
    assert_eq!(everflow_date(1_762_041_600).unwrap(), d("2025-11-02"));
}

// --- reference merge, property tests, determinism --------------------------------------------------

#[derive(Debug, Clone)]
struct World {
    ef: Vec<(u32, u8, i64, i64, i64, i64)>, // day, label, adv, cv, payout cents, revenue cents
    rt: Vec<(u32, u8, i64)>,                // day, source, cost (1/1000)
    mapping: Vec<(u8, Option<u8>, i64)>,    // source, label (None = n/a), adv
}

const LABELS: &[&str] = &["A", "B", " B ", "C  x", "C x", "D", "E", "F"];

fn build(w: &World) -> (EverflowTable, SpendTable, Mapping) {
    let base = d("2025-10-30");
    let mut ef = EverflowTable::new();
    let mut seen = std::collections::HashSet::new();
    for &(day, label, adv, cv, pay, rev) in &w.ef {
        let date = base + chrono::Duration::days(day as i64);
        // One record per (date, affiliate id, advertiser): the id is the raw label's index.
        if !seen.insert((date, label, adv)) {
            continue;
        }
        ef.push(EverflowRow {
            date,
            affiliate_id: Some(label as i64),
            affiliate_label: LABELS[label as usize],
            advertiser_id: adv,
            advertiser_label: "Adv",
            clicks: cv * 3,
            conversions: cv,
            revenue: Decimal::new(rev, 2),
            payout: Decimal::new(pay, 2),
            profit: None,
            currency: None,
        })
        .unwrap();
    }
    let mut rt = SpendTable::new();
    let mut seen = std::collections::HashSet::new();
    let names: Vec<String> = (0..12).map(|s| format!("src{s}")).collect();
    for &(day, source, cost) in &w.rt {
        let date = base + chrono::Duration::days(day as i64);
        if !seen.insert((date, source)) {
            continue;
        }
        let mut r = rt_row("2025-01-01", &names[source as usize], "0");
        r.date = date;
        r.cost = Decimal::new(cost, 3);
        rt.push(r).unwrap();
    }
    let mut m = Mapping::new();
    for &(source, label, adv) in &w.mapping {
        let adv_s = adv.to_string();
        m.push(
            MappingRecord {
                source: Some(&names[source as usize]),
                source_id: Some(&names[source as usize]),
                affiliate_label: Some(label.map_or("n/a", |l| LABELS[l as usize])),
                advertiser_id: Some(&adv_s),
                ..Default::default()
            },
            None,
        );
    }
    (ef, rt, m)
}

/// The brief's rules written as plainly as possible, to compare the merge with.
/// Per key: conversions, cost, Redtrack cost, internal.
type RefRows = BTreeMap<(Date, i64, String), (u64, Decimal, Decimal, bool)>;

fn reference(ef: &EverflowTable, rt: &SpendTable, m: &Mapping) -> RefRows {
    let mut targets: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for e in m.entries() {
        if let Some(t) = &e.target {
            targets
                .entry(t.source_id.clone())
                .or_default()
                .push((t.affiliate_label.clone(), t.advertiser_id));
        }
    }
    let source_target = |s: &str| -> Option<(String, i64)> {
        let v = targets.get(s)?;
        v.iter().all(|x| x == &v[0]).then(|| v[0].clone())
    };
    let internal: std::collections::HashSet<(String, i64)> =
        targets.values().flatten().cloned().collect();
    let mut spend: BTreeMap<(Date, i64, String), Decimal> = BTreeMap::new();
    for r in rt.iter() {
        if let Some((l, a)) = source_target(r.source_id) {
            *spend.entry((r.date, a, l)).or_default() += r.cost;
        }
    }
    let mut ev: BTreeMap<(Date, i64, String), (u64, Decimal)> = BTreeMap::new();
    for r in ef.iter() {
        let e = ev
            .entry((
                r.date,
                r.advertiser_id,
                normalize_label(r.affiliate_label).into_owned(),
            ))
            .or_default();
        e.0 += r.conversions as u64;
        e.1 += r.payout;
    }
    let mut out = BTreeMap::new();
    for k in ev.keys().chain(spend.keys()) {
        let (cv, pay) = ev.get(k).copied().unwrap_or_default();
        let cost_rt = spend.get(k).copied().unwrap_or_default();
        let is_int = internal.contains(&(k.2.clone(), k.1));
        let cost = if is_int { cost_rt } else { pay };
        out.insert(k.clone(), (cv, cost, cost_rt, is_int));
    }
    out
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(
            (
                0u32..6,
                0u8..8,
                1i64..4,
                0i64..50,
                0i64..100_000,
                0i64..200_000,
            ),
            0..60,
        ),
        prop::collection::vec((0u32..6, 0u8..12, 0i64..10_000_000), 0..60),
        prop::collection::vec(
            (0u8..12, prop::option::weighted(0.85, 0u8..8), 1i64..4),
            0..14,
        ),
    )
        .prop_map(|(ef, rt, mapping)| World { ef, rt, mapping })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Σ cost and Σ conversions of the output equal the inputs' mapped amounts plus the
    /// reported unmapped amounts; every row equals the plain reference merge.
    #[test]
    fn totals_reconcile_and_rows_match_the_reference(w in world()) {
        let (ef, rt, m) = build(&w);
        let out = merge(&ef, &rt, &m, &MergeConfig::default()).unwrap();
        let t = &out.diagnostics.totals;
        let in_cost: Decimal = rt.iter().map(|r| r.cost).sum();
        let in_conv: u64 = ef.iter().map(|r| r.conversions as u64).sum();
        let unmapped: Decimal = out.diagnostics.unmapped_spend.iter().map(|u| u.cost).sum();
        let out_cost: Decimal = out.performance.iter().map(|r| r.cost).sum();
        let out_rt: Decimal = out.performance.iter().map(|r| r.redtrack_cost).sum();
        let out_conv: u64 = out.performance.iter().map(|r| r.conversions).sum();
        let ext_payout: Decimal = out.performance.iter().filter(|r| !r.is_internal).map(|r| r.everflow_payout).sum();
        prop_assert_eq!(in_conv, out_conv);
        prop_assert_eq!(in_cost, out_rt + unmapped);
        prop_assert_eq!(out_cost, out_rt - t.excluded_cost + ext_payout);
        prop_assert_eq!(t.output_cost, out_cost);
        prop_assert_eq!(t.unmapped_cost, unmapped);
        prop_assert_eq!(t.redtrack_cost, in_cost);
        let want = reference(&ef, &rt, &m);
        let got: RefRows = out
            .performance
            .iter()
            .map(|r| ((r.date, r.advertiser_id, r.affiliate_label.to_owned()), (r.conversions, r.cost, r.redtrack_cost, r.is_internal)))
            .collect();
        prop_assert_eq!(&got, &want);
        // Ordered by (date, advertiser, label); CPA is the rounded quotient or None.
        let keys: Vec<_> = out.performance.iter().map(|r| (r.date, r.advertiser_id, r.affiliate_label)).collect();
        prop_assert!(keys.windows(2).all(|k| k[0] < k[1]));
        for r in out.performance.iter() {
            prop_assert_eq!(r.cpa, cpa(r.cost, r.conversions));
        }
    }
}

#[test]
fn deterministic_across_runs_and_thread_counts() {
    let mut rng = Rng::new(7);
    let mut ef = EverflowTable::new();
    let labels: Vec<String> = (0..300).map(|i| format!("Affiliate {i}")).collect();
    let base = d("2025-01-01");
    for day in 0..120 {
        for a in 0..300 {
            if rng.chance(0.6) {
                let cv = rng.below(40) as i64;
                ef.push(EverflowRow {
                    date: base + chrono::Duration::days(day),
                    affiliate_id: Some(a),
                    affiliate_label: &labels[a as usize],
                    advertiser_id: (a % 3) + 1,
                    advertiser_label: "Adv",
                    clicks: cv * 9,
                    conversions: cv,
                    revenue: Decimal::new(rng.below(1_000_000) as i64, 2),
                    payout: Decimal::new(rng.below(500_000) as i64, 2),
                    profit: None,
                    currency: None,
                })
                .unwrap();
            }
        }
    }
    let sources: Vec<String> = (0..200).map(|s| format!("src{s}")).collect();
    let mut m = Mapping::new();
    for (s, src) in sources.iter().enumerate().take(150) {
        let adv = ((s % 60) % 3 + 1).to_string();
        m.push(
            MappingRecord {
                source_id: Some(src),
                affiliate_label: Some(&labels[s % 60]),
                advertiser_id: Some(&adv),
                ..Default::default()
            },
            None,
        );
    }
    let mut rt = SpendTable::new();
    for day in 0..120 {
        for src in &sources {
            let mut r = rt_row("2025-01-01", src, "0");
            r.date = base + chrono::Duration::days(day);
            r.cost = Decimal::new(rng.below(10_000_000) as i64, 3);
            rt.push(r).unwrap();
        }
    }
    assert!(ef.len() > 20_000 && rt.len() > 20_000);
    let config = MergeConfig::default();
    ces::parallel::set_enabled(true);
    let a = merge(&ef, &rt, &m, &config).unwrap();
    let b = merge(&ef, &rt, &m, &config).unwrap();
    ces::parallel::set_enabled(false);
    let c = merge(&ef, &rt, &m, &config).unwrap();
    ces::parallel::set_enabled(true);
    assert_eq!(a, b);
    assert_eq!(a, c);
    let mut stages = Vec::new();
    let p = merge_with_progress(&ef, &rt, &m, &config, &mut |p| {
        stages.push((p.stage, p.done, p.total))
    })
    .unwrap();
    assert_eq!(p, a);
    assert_eq!(stages.first().map(|s| s.0), Some("spend"));
    assert_eq!(
        stages.last().map(|s| (s.0, s.1 == s.2)),
        Some(("join", true))
    );
}

#[test]
fn range_filter_counts_what_it_leaves_out() {
    let (ef, rt) = sample_day();
    let range = DateRange::new(d("2025-12-18"), d("2025-12-31")).unwrap();
    let cfg = MergeParams {
        range: Some(range),
        ..Default::default()
    }
    .check()
    .unwrap();
    let out = merge(&ef, &rt, &sample_mapping(), &cfg).unwrap();
    assert!(out.performance.is_empty());
    assert_eq!(
        out.diagnostics.out_of_range,
        OutOfRange {
            everflow_rows: 4,
            redtrack_rows: 5
        }
    );
    assert!(DateRange::new(d("2025-12-18"), d("2025-12-01")).is_err());
}

#[test]
fn sums_that_a_decimal_cannot_hold_are_errors_not_panics() {
    let mut ef = EverflowTable::new();
    let big = Decimal::from_str("50000000000000000000000000000").unwrap(); // 5e28
    for label in ["A", "B"] {
        ef.push(EverflowRow {
            payout: big,
            revenue: big,
            ..ef_row("2025-11-01", label, 1, 1, "1")
        })
        .unwrap();
    }
    let err = merge(
        &ef,
        &SpendTable::new(),
        &Mapping::new(),
        &MergeConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_record", Some(1), Some("revenue"))
    );
    // Digits that would be rounded away are refused too.
    let mut ef = EverflowTable::new();
    ef.push(EverflowRow {
        payout: Decimal::from_str("1000000000000000").unwrap(),
        ..ef_row("2025-11-01", "A", 1, 1, "1")
    })
    .unwrap();
    ef.push(EverflowRow {
        payout: Decimal::from_str("0.0000000000000000001").unwrap(),
        ..ef_row("2025-11-01", "B", 1, 1, "1")
    })
    .unwrap();
    assert!(
        merge(
            &ef,
            &SpendTable::new(),
            &Mapping::new(),
            &MergeConfig::default()
        )
        .is_err()
    );
}

#[test]
fn mapping_lines_are_file_lines_with_lf_or_crlf() {
    let body = "redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n\
                a,facebook,s1,1,n/a,1,CCW\n\
                \"multi\nline\",facebook,s2,1,X,1,CCW\n\
                c,facebook,s3,1,n/a,1,CCW\n";
    for text in [body.to_owned(), body.replace('\n', "\r\n")] {
        let m = read_mapping_csv(text.as_bytes(), &opts()).unwrap();
        let lines: Vec<&str> = m.issues.iter().map(|i| i.location.as_str()).collect();
        assert_eq!(lines, vec!["line 2", "line 5"], "{text:?}");
        assert_eq!(
            m.entries()[1]
                .source
                .as_deref()
                .map(|s| s.replace('\r', "")),
            Some("multi\nline".into())
        );
    }
}

#[test]
fn absent_profit_is_revenue_minus_payout_derived_once_by_the_table() {
    let mut ef = EverflowTable::new();
    let r = EverflowRow {
        profit: None,
        ..ef_row("2025-11-01", "A", 1, 1, "30")
    };
    ef.push(r).unwrap();
    ef.push(EverflowRow {
        profit: Some(dec("-5")),
        affiliate_label: "B",
        ..r
    })
    .unwrap();
    assert_eq!(ef.get(0).profit, Some(dec("30"))); // revenue 60 − payout 30
    assert_eq!(ef.get(1).profit, Some(dec("-5"))); // as the network reports it
    // The JSON reader leaves it to the table too.
    let doc = br#"{"table":[{"columns":[{"column_type":"affiliate","id":"1","label":"A"},
      {"column_type":"advertiser","id":"1","label":"CCW"},{"column_type":"date","id":"1733097600"}],
      "reporting":{"total_click":1,"cv":1,"revenue":"10.50","payout":"4.25"}}]}"#;
    let ef = read_everflow_json(&[&doc[..]], &opts()).unwrap();
    assert_eq!(ef.get(0).profit, Some(dec("6.25")));
}
