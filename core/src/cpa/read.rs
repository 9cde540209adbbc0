//! Readers for what users actually have: Everflow entity-table JSON responses (one response
//! or an array of pages), Redtrack report JSON (a bare array or wrapped in
//! `rows`/`items`/`data`/`results`, with the field aliases seen in the wild) and the
//! dotted-header mapping CSV exactly as the real file comes (UTF-8 BOM, CRLF, trailing
//! spaces, literal `n/a`).
//!
//! Numbers are read from their JSON text, never through `f64`. Each reader reports a
//! malformed record with its position (`page 2, row 14`; `line 7`) and keeps going, unless
//! [`ReadOptions::strict`] is set, in which case the first problem is the error.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::dates::{Date, ReportZone, everflow_date, parse_date_text};
use super::money::{Decimal, parse_money};
use super::tables::{
    EverflowRow, EverflowTable, Input, MAPPING_COLUMNS, Mapping, MappingRecord, RowIssue, SpendRow,
    SpendTable,
};
use crate::{CesError, Result};

/// How readers treat problems and dates.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Fail on the first malformed record instead of reporting it and going on.
    pub strict: bool,
    /// The report zone, for timestamps (instants become report dates in this zone).
    pub zone: ReportZone,
    /// The date of Redtrack rows that carry none (a `group=source` report requested for one
    /// day).
    pub date: Option<Date>,
}

fn malformed(input: Input, location: String, reason: impl Into<String>) -> CesError {
    CesError::MalformedInput {
        input: input.name().into(),
        location,
        reason: reason.into(),
    }
}

/// A JSON scalar as text: `Some(text)` for strings (unescaped) and numbers/booleans (their
/// literal), `None` for `null`.
fn scalar(v: &RawValue) -> std::result::Result<Option<Cow<'_, str>>, String> {
    let t = v.get().trim();
    match t.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Cow<'_, str>>(t)
            .map(Some)
            .map_err(|e| e.to_string()),
        Some(b'n') if t == "null" => Ok(None),
        Some(b'{') | Some(b'[') => Err("expected a scalar, found an object or array".into()),
        Some(_) => Ok(Some(Cow::Borrowed(t))),
        None => Ok(None),
    }
}

fn money_of(v: Option<&RawValue>) -> std::result::Result<Decimal, (String, String)> {
    let Some(v) = v else {
        return Err(("null".into(), "missing".into()));
    };
    match scalar(v) {
        Ok(Some(text)) => parse_money(&text).map_err(|e| (text.into_owned(), e)),
        Ok(None) => Err(("null".into(), "missing".into())),
        Err(e) => Err((v.get().to_owned(), e)),
    }
}

fn int_of(v: Option<&RawValue>) -> std::result::Result<i64, (String, String)> {
    let Some(v) = v else {
        return Err(("null".into(), "missing".into()));
    };
    match scalar(v) {
        Ok(Some(text)) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| (text.clone().into_owned(), "not an integer".into())),
        Ok(None) => Err(("null".into(), "missing".into())),
        Err(e) => Err((v.get().to_owned(), e)),
    }
}

fn finish<T>(table: T, issues: &[RowIssue], strict: bool) -> Result<T> {
    if strict && let Some(first) = issues.first() {
        return Err(first.to_error());
    }
    Ok(table)
}

/// Splits a document into pages: an object is one page, an array holds pages.
fn pages_of<'a>(input: Input, doc: &'a [u8], loc: &str) -> Result<Vec<&'a RawValue>> {
    let raw: &RawValue = serde_json::from_slice(doc).map_err(|e| {
        malformed(
            input,
            format!("{loc}line {}, column {}", e.line(), e.column()),
            format!("not JSON: {e}"),
        )
    })?;
    match raw.get().trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(raw.get())
            .map_err(|e| malformed(input, loc.to_owned(), e.to_string())),
        _ => Ok(vec![raw]),
    }
}

#[derive(Deserialize)]
struct EfPage<'a> {
    #[serde(borrow, default)]
    table: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    paging: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EfRowRaw<'a> {
    #[serde(borrow)]
    columns: Vec<EfColumn<'a>>,
    #[serde(borrow)]
    reporting: std::collections::BTreeMap<Cow<'a, str>, &'a RawValue>,
}

#[derive(Deserialize)]
struct EfColumn<'a> {
    #[serde(borrow)]
    column_type: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    label: Option<Cow<'a, str>>,
}

/// Reads Everflow `POST /v1/networks/reporting/entity/table` responses grouped by
/// affiliate, advertiser and date: each document is one response or a JSON array of pages.
/// `date` ids are epoch seconds at 00:00 UTC, converted in UTC; `total_click` → clicks,
/// `cv` → conversions. When a page carries `paging.total_count`, missing pages are reported.
///
/// ```
/// use ces::cpa::{read_everflow_json, ReadOptions};
/// let doc = br#"{"table":[{"columns":[{"column_type":"affiliate","id":"1","label":"G2 - Meta"},
///   {"column_type":"advertiser","id":"1","label":"CCW"},{"column_type":"date","id":"1733097600"}],
///   "reporting":{"total_click":150,"cv":25,"revenue":2500.00,"payout":1875.00,"profit":625.00}}]}"#;
/// let ef = read_everflow_json(&[&doc[..]], &ReadOptions::default()).unwrap();
/// let row = ef.get(0);
/// assert_eq!(row.date.to_string(), "2024-12-02");
/// assert_eq!((row.clicks, row.conversions), (150, 25));
/// assert_eq!(row.payout.to_string(), "1875.00");
/// ```
pub fn read_everflow_json(documents: &[&[u8]], options: &ReadOptions) -> Result<EverflowTable> {
    let input = Input::Everflow;
    let mut table = EverflowTable::new();
    let mut position = 0u64;
    let mut page_no = 0usize;
    let mut declared_total: Option<u64> = None;
    for (d, doc) in documents.iter().enumerate() {
        let loc = if documents.len() > 1 {
            format!("document {}, ", d + 1)
        } else {
            String::new()
        };
        for page in pages_of(input, doc, &loc)? {
            page_no += 1;
            let p: EfPage<'_> = serde_json::from_str(page.get()).map_err(|e| {
                malformed(
                    input,
                    format!("{loc}page {page_no}"),
                    format!("not an entity-table response: {e}"),
                )
            })?;
            if let Some(paging) = p.paging
                && let Ok(map) = serde_json::from_str::<
                    std::collections::BTreeMap<Cow<'_, str>, &RawValue>,
                >(paging.get())
                && let Ok(total) = int_of(map.get("total_count").copied())
            {
                declared_total =
                    Some(declared_total.map_or(total as u64, |t: u64| t.max(total as u64)));
            }
            let Some(rows) = p.table else {
                return Err(malformed(
                    input,
                    format!("{loc}page {page_no}"),
                    "no `table` array",
                ));
            };
            for (r, raw) in rows.into_iter().enumerate() {
                let pos = position;
                position += 1;
                let location = format!("{loc}page {page_no}, row {}", r + 1);
                let issue = |field: &str, value: String, reason: String| RowIssue {
                    input,
                    row: pos,
                    location: location.clone(),
                    field: field.into(),
                    value,
                    reason,
                };
                let row: EfRowRaw<'_> = match serde_json::from_str(raw.get()) {
                    Ok(r) => r,
                    Err(e) => {
                        table.report(issue(
                            "row",
                            raw.get().chars().take(200).collect(),
                            format!("not an entity-table row: {e}"),
                        ));
                        continue;
                    }
                };
                let col = |ty: &str| row.columns.iter().find(|c| c.column_type == ty);
                let (Some(aff), Some(adv), Some(date)) =
                    (col("affiliate"), col("advertiser"), col("date"))
                else {
                    table.report(issue(
                        "columns",
                        "…".into(),
                        "needs affiliate, advertiser and date columns".into(),
                    ));
                    continue;
                };
                let parsed = (|| -> std::result::Result<_, RowIssue> {
                    let epoch = int_of(date.id).map_err(|(v, e)| issue("date", v, e))?;
                    let day =
                        everflow_date(epoch).map_err(|e| issue("date", epoch.to_string(), e))?;
                    let adv_id = int_of(adv.id).map_err(|(v, e)| issue("advertiser_id", v, e))?;
                    let aff_id = int_of(aff.id).ok();
                    let label = aff
                        .label
                        .as_deref()
                        .ok_or_else(|| issue("affiliate_label", "null".into(), "missing".into()))?;
                    let get = |k: &str| row.reporting.get(k).copied();
                    let clicks =
                        int_of(get("total_click")).map_err(|(v, e)| issue("total_click", v, e))?;
                    let cv = int_of(get("cv")).map_err(|(v, e)| issue("cv", v, e))?;
                    let revenue =
                        money_of(get("revenue")).map_err(|(v, e)| issue("revenue", v, e))?;
                    let payout = money_of(get("payout")).map_err(|(v, e)| issue("payout", v, e))?;
                    // Absent: revenue − payout, derived by the table.
                    let profit = match get("profit") {
                        None => None,
                        some => Some(money_of(some).map_err(|(v, e)| issue("profit", v, e))?),
                    };
                    Ok((
                        day, aff_id, label, adv_id, clicks, cv, revenue, payout, profit,
                    ))
                })();
                match parsed {
                    Err(i) => table.report(i),
                    Ok((day, aff_id, label, adv_id, clicks, cv, revenue, payout, profit)) => {
                        let currency = row
                            .reporting
                            .get("currency")
                            .and_then(|v| scalar(v).ok().flatten());
                        let er = EverflowRow {
                            date: day,
                            affiliate_id: aff_id,
                            affiliate_label: label,
                            advertiser_id: adv_id,
                            advertiser_label: adv.label.as_deref().unwrap_or(""),
                            clicks,
                            conversions: cv,
                            revenue,
                            payout,
                            profit,
                            currency: currency.as_deref(),
                        };
                        let l = location.clone();
                        table.push_or_report(pos, er, move || l);
                    }
                }
            }
        }
    }
    if let Some(total) = declared_total
        && total > position
    {
        table.report(RowIssue {
            input,
            row: position,
            location: format!("after page {page_no}"),
            field: "paging.total_count".into(),
            value: total.to_string(),
            reason: format!(
                "the pages hold {position} rows but the response counts {total}: pages are missing"
            ),
        });
    }
    let issues = table.issues.clone();
    finish(table, &issues, options.strict)
}

const RT_SOURCE_ID: &[&str] = &["source_id", "sourceId", "traffic_source_id"];
const RT_SOURCE_NAME: &[&str] = &["source", "source_name", "trafficSource"];
const RT_CLICKS: &[&str] = &["clicks", "total_clicks"];
const RT_COST: &[&str] = &["cost", "spend", "total_cost"];
const RT_DATE: &[&str] = &["date", "day"];

/// Reads Redtrack `GET /report` JSON: a bare array of rows or an object wrapping them in
/// `rows`, `items`, `data` or `results`; one document per day or per file. Field aliases:
/// `sourceId`/`traffic_source_id`, `source_name`/`trafficSource`, `total_clicks`,
/// `spend`/`total_cost`; an alias is used only when the field itself is missing (a 0 is a
/// value). `conversions` is read, never `total_conversions`. A row's date comes from `date`
/// (`YYYY-MM-DD`, or a timestamp converted to the report zone), else [`ReadOptions::date`].
///
/// ```
/// use ces::cpa::{read_redtrack_json, ReadOptions, Date};
/// let doc = br#"{"data":[{"sourceId":"s1","source":"Facebook CCW","cost":0,"spend":12.5,
///   "clicks":3,"conversions":0,"total_conversions":9}]}"#;
/// let opts = ReadOptions { date: Date::from_ymd_opt(2025, 12, 17), ..Default::default() };
/// let rt = read_redtrack_json(&[&doc[..]], &opts).unwrap();
/// assert_eq!(rt.get(0).cost.to_string(), "0"); // 0 is a value: `spend` is not used
/// assert_eq!(rt.get(0).conversions, 0);        // `total_conversions` is never used
/// ```
pub fn read_redtrack_json(documents: &[&[u8]], options: &ReadOptions) -> Result<SpendTable> {
    let input = Input::Redtrack;
    let mut table = SpendTable::new();
    let mut position = 0u64;
    for (d, doc) in documents.iter().enumerate() {
        let loc = if documents.len() > 1 {
            format!("document {}, ", d + 1)
        } else {
            String::new()
        };
        let raw: &RawValue = serde_json::from_slice(doc).map_err(|e| {
            malformed(
                input,
                format!("{loc}line {}, column {}", e.line(), e.column()),
                format!("not JSON: {e}"),
            )
        })?;
        let rows: Vec<&RawValue> = match raw.get().trim_start().as_bytes().first() {
            Some(b'[') => serde_json::from_str(raw.get())
                .map_err(|e| malformed(input, loc.clone(), e.to_string()))?,
            Some(b'{') => {
                let map: std::collections::BTreeMap<Cow<'_, str>, &RawValue> =
                    serde_json::from_str(raw.get())
                        .map_err(|e| malformed(input, loc.clone(), e.to_string()))?;
                let inner = ["rows", "items", "data", "results"]
                    .iter()
                    .find_map(|k| map.get(*k))
                    .ok_or_else(|| {
                        malformed(
                            input,
                            loc.clone(),
                            "an object without a `rows`, `items`, `data` or `results` array",
                        )
                    })?;
                serde_json::from_str(inner.get())
                    .map_err(|e| malformed(input, loc.clone(), e.to_string()))?
            }
            _ => {
                return Err(malformed(
                    input,
                    loc,
                    "expected an array of rows or an object wrapping one",
                ));
            }
        };
        for (r, raw) in rows.into_iter().enumerate() {
            let pos = position;
            position += 1;
            let location = format!("{loc}row {}", r + 1);
            let issue = |field: &str, value: String, reason: String| RowIssue {
                input,
                row: pos,
                location: location.clone(),
                field: field.into(),
                value,
                reason,
            };
            let map: std::collections::BTreeMap<Cow<'_, str>, &RawValue> =
                match serde_json::from_str(raw.get()) {
                    Ok(m) => m,
                    Err(e) => {
                        table.report(issue(
                            "row",
                            raw.get().chars().take(200).collect(),
                            format!("not an object: {e}"),
                        ));
                        continue;
                    }
                };
            // The first of `names` that is present and not null.
            let pick = |names: &[&str]| -> Option<(&'static str, &RawValue)> {
                names.iter().find_map(|n| {
                    map.get(*n)
                        .filter(|v| v.get().trim() != "null")
                        .map(|v| (static_name(n), *v))
                })
            };
            let parsed = (|| -> std::result::Result<_, RowIssue> {
                let (_, sid) = pick(RT_SOURCE_ID)
                    .ok_or_else(|| issue("source_id", "null".into(), "missing".into()))?;
                let sid = scalar(sid)
                    .ok()
                    .flatten()
                    .ok_or_else(|| issue("source_id", sid.get().into(), "not text".into()))?;
                let name = pick(RT_SOURCE_NAME).and_then(|(_, v)| scalar(v).ok().flatten());
                let alias = map
                    .get("source_alias")
                    .and_then(|v| scalar(v).ok().flatten());
                let (cf, clicks) = pick(RT_CLICKS)
                    .ok_or_else(|| issue("clicks", "null".into(), "missing".into()))?;
                let clicks = int_of(Some(clicks)).map_err(|(v, e)| issue(cf, v, e))?;
                let conversions = match map.get("conversions") {
                    Some(v) if v.get().trim() != "null" => {
                        int_of(Some(v)).map_err(|(v, e)| issue("conversions", v, e))?
                    }
                    _ => 0,
                };
                let (kf, cost) =
                    pick(RT_COST).ok_or_else(|| issue("cost", "null".into(), "missing".into()))?;
                let cost = money_of(Some(cost)).map_err(|(v, e)| issue(kf, v, e))?;
                let (date, stamp) = match pick(RT_DATE) {
                    Some((df, v)) => match scalar(v) {
                        Ok(Some(text)) if v.get().trim_start().starts_with('"') => {
                            parse_date_text(&text, &options.zone)
                                .map_err(|e| issue(df, text.into_owned(), e))?
                        }
                        Ok(Some(text)) => {
                            let secs: i64 = text.parse().map_err(|_| {
                                issue(df, text.clone().into_owned(), "not a date".into())
                            })?;
                            let t = chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0)
                                .ok_or_else(|| {
                                    issue(df, text.into_owned(), "out of range".into())
                                })?;
                            (options.zone.date_of(t), Some(secs))
                        }
                        _ => return Err(issue(df, v.get().into(), "not a date".into())),
                    },
                    None => (
                        options.date.ok_or_else(|| {
                            issue(
                                "date",
                                "null".into(),
                                "missing, and no report date was given".into(),
                            )
                        })?,
                        None,
                    ),
                };
                let currency = map.get("currency").and_then(|v| scalar(v).ok().flatten());
                Ok((
                    date,
                    stamp,
                    sid,
                    name,
                    alias,
                    clicks,
                    conversions,
                    cost,
                    currency,
                ))
            })();
            match parsed {
                Err(i) => table.report(i),
                Ok((date, stamp, sid, name, alias, clicks, conversions, cost, currency)) => {
                    let row = SpendRow {
                        date,
                        stamp,
                        source_id: &sid,
                        source_name: name.as_deref().unwrap_or(""),
                        source_alias: alias.as_deref(),
                        clicks,
                        conversions,
                        cost,
                        currency: currency.as_deref(),
                    };
                    let l = location.clone();
                    table.push_or_report(pos, row, move || l);
                }
            }
        }
    }
    let issues = table.issues.clone();
    finish(table, &issues, options.strict)
}

fn static_name(n: &str) -> &'static str {
    [RT_SOURCE_ID, RT_SOURCE_NAME, RT_CLICKS, RT_COST, RT_DATE]
        .iter()
        .flat_map(|l| l.iter())
        .find(|s| **s == n)
        .copied()
        .unwrap_or("field")
}

/// Reads the dotted-header mapping CSV as the real file comes: an optional UTF-8 BOM, CRLF or
/// LF, header names in any order (`redtrack.source`, …, `everflow.advertiser_label`), cells
/// trimmed, literal `n/a` meaning "not mapped". Every row is kept in the [`Mapping`]; rows
/// that cannot be used are in [`Mapping::issues`] with their line.
///
/// ```
/// use ces::cpa::{read_mapping_csv, ReadOptions};
/// let csv = "\u{feff}redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\r\n\
///            Meta CCW AWF2 Stephanie ,facebook,6807d9120ee9ffc623c1d7e5,1,SB - Meta,1,CCW\r\n\
///            713 Meta,facebook,684af9a4e05c3dc4f599c32e,n/a,n/a,n/a,n/a";
/// let m = read_mapping_csv(csv.as_bytes(), &ReadOptions::default()).unwrap();
/// assert_eq!(m.entries()[0].target.as_ref().unwrap().affiliate_label, "SB - Meta");
/// assert_eq!(m.entries()[0].source.as_deref(), Some("Meta CCW AWF2 Stephanie ")); // raw kept
/// assert_eq!(m.issues[0].location, "line 3");
/// ```
pub fn read_mapping_csv(bytes: &[u8], options: &ReadOptions) -> Result<Mapping> {
    let input = Input::Mapping;
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| malformed(input, "line 1".into(), format!("unreadable header: {e}")))?
        .clone();
    let mut idx = [usize::MAX; 7];
    for (k, want) in MAPPING_COLUMNS.iter().enumerate() {
        idx[k] = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(want))
            .ok_or_else(|| {
                malformed(
                    input,
                    "line 1".into(),
                    format!(
                        "no `{want}` column (header: {:?})",
                        headers.iter().collect::<Vec<_>>()
                    ),
                )
            })?;
    }
    let mut mapping = Mapping::new();
    let mut extra_issues = Vec::new();
    // The 1-based line where a record starts, counted from its byte offset (the csv crate's
    // own line numbers differ between LF and CRLF files).
    let (mut seen_byte, mut seen_line) = (0usize, 1u64);
    let mut line_at = |byte: u64| -> u64 {
        let mut byte = (byte as usize).min(bytes.len());
        // A record's offset may point at the terminator left over from the line before.
        while byte < bytes.len() && matches!(bytes[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte >= seen_byte {
            seen_line += bytes[seen_byte..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            seen_byte = byte;
        }
        seen_line
    };
    for (r, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| line_at(p.byte()))
                    .unwrap_or(r as u64 + 2);
                extra_issues.push(RowIssue {
                    input,
                    row: r as u64,
                    location: format!("line {line}"),
                    field: "row".into(),
                    value: String::new(),
                    reason: format!("unreadable CSV record: {e}"),
                });
                mapping.push(MappingRecord::default(), Some(format!("line {line}")));
                continue;
            }
        };
        let line = rec
            .position()
            .map(|p| line_at(p.byte()))
            .unwrap_or(r as u64 + 2);
        if rec.len() != headers.len() {
            extra_issues.push(RowIssue {
                input,
                row: r as u64,
                location: format!("line {line}"),
                field: "row".into(),
                value: rec.iter().collect::<Vec<_>>().join(","),
                reason: format!(
                    "{} fields where the header has {}",
                    rec.len(),
                    headers.len()
                ),
            });
        }
        let f = |k: usize| rec.get(idx[k]);
        mapping.push(
            MappingRecord {
                source: f(0),
                source_alias: f(1),
                source_id: f(2),
                affiliate_id: f(3),
                affiliate_label: f(4),
                advertiser_id: f(5),
                advertiser_label: f(6),
            },
            Some(format!("line {line}")),
        );
    }
    mapping.issues.extend(extra_issues);
    mapping.issues.sort_by_key(|i| i.row);
    let issues = mapping.issues.clone();
    finish(mapping, &issues, options.strict)
}
