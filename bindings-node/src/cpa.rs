//! CPA merge (`ces::cpa`) for JavaScript: `cpaMergeSync`, `cpaMergeAsync` and the `CpaMerge`
//! result with its rows, diagnostics, summaries and leaderboard.
//!
//! This module only converts between JavaScript values and the core's types: rows become
//! core records through the core's table builders (`push_or_report` / `report`, so a row
//! that cannot be converted shows up in `diagnostics().rejectedRows` with its index, field
//! and value), files and texts go through the core's readers, and every rule of the merge
//! (joining, internal affiliates, costs, CPAs, diagnostics, roll-ups) is the core's. Money
//! crosses as decimal strings in both directions, because JavaScript has no decimal type.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ces::CesError;
use ces::cpa::{
    self as lib, Date, DateRange, Decimal, EverflowRow, EverflowTable, Input, InternalRule,
    Mapping, MappingRecord, Merge, MergeParams, ReadOptions, ReportZone, RowIssue, SpendRow,
    SpendTable, parse_date_text,
};
use napi::Task;
use napi::bindgen_prelude::{
    Array, AsyncTask, Buffer, Either, Either3, Env, FnArgs, Status, ValidateNapiValue,
};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi_derive::napi;

use crate::error::{self, Failure, invalid, to_js};
use crate::{is_safe_integer, number, show};

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/// One Everflow daily-stats row: conversions and money of one affiliate for one advertiser
/// on one date.
///
/// Money fields take a decimal string (exact: `'7825.50'` stays 7825.50, with its two
/// places) or a number (converted through its shortest round-trip text, so `0.1 + 0.2`
/// arrives as `0.30000000000000004`; `NaN` and `Infinity` are row errors). Prefer strings.
#[napi(object, object_to_js = false)]
pub struct CpaEverflowRow {
    /// The report date: `'YYYY-MM-DD'`, or Everflow's own form, epoch seconds at 00:00 UTC
    /// of that date (`1733097600` is 2024-12-02; converted in UTC).
    #[napi(ts_type = "string | number")]
    pub date: Either<String, f64>,
    /// Everflow's affiliate id (kept, but not the join key: the label is the identity).
    #[napi(ts_type = "number | null")]
    pub affiliate_id: Option<Option<f64>>,
    /// The affiliate label (trimmed and whitespace-collapsed before joining).
    pub affiliate_label: String,
    /// The advertiser id (a safe integer).
    pub advertiser_id: f64,
    /// The advertiser label.
    pub advertiser_label: String,
    /// Clicks (`total_click`), a whole number >= 0.
    pub clicks: f64,
    /// Conversions (`cv`), a whole number >= 0.
    pub conversions: f64,
    /// Revenue (>= 0).
    #[napi(ts_type = "string | number")]
    pub revenue: Either<String, f64>,
    /// Payout to the affiliate (>= 0).
    #[napi(ts_type = "string | number")]
    pub payout: Either<String, f64>,
    /// Profit as the network reports it (may be negative); `revenue - payout` when omitted,
    /// as the core's JSON reader does.
    #[napi(ts_type = "string | number | null")]
    pub profit: Option<Option<Either<String, f64>>>,
    /// ISO 4217 code; USD when omitted.
    #[napi(ts_type = "string | null")]
    pub currency: Option<Option<String>>,
}

/// One Redtrack spend row: the cost of one traffic source on one date.
///
/// `cost` takes a decimal string (exact) or a number (its shortest round-trip text).
#[napi(object, object_to_js = false)]
pub struct CpaRedtrackRow {
    /// `'YYYY-MM-DD'` (a report date, taken as it is) or an RFC 3339 timestamp with an offset
    /// (`'2025-11-03T04:30:00Z'`: an instant, converted to the report zone). When omitted,
    /// the `redtrackDate` option.
    #[napi(ts_type = "string | null")]
    pub date: Option<Option<String>>,
    /// Redtrack's source id (the mapping key).
    pub source_id: String,
    /// The source's name.
    pub source_name: String,
    /// `'facebook'`, `'google'`, … when known.
    #[napi(ts_type = "string | null")]
    pub source_alias: Option<Option<String>>,
    /// Clicks, a whole number >= 0.
    pub clicks: f64,
    /// Conversions as Redtrack counts them (kept for reference; CPAs use Everflow's).
    pub conversions: f64,
    /// Cost (>= 0).
    #[napi(ts_type = "string | number")]
    pub cost: Either<String, f64>,
    /// ISO 4217 code; USD when omitted.
    #[napi(ts_type = "string | null")]
    pub currency: Option<Option<String>>,
}

/// One row of the internal-affiliate mapping (the seven columns of the dotted-header CSV).
/// Every field may be `null`; `'n/a'` means "not mapped", as in the real file. Rows that
/// cannot be used are reported in `diagnostics().malformedMappings`.
#[napi(object, object_to_js = false)]
pub struct CpaMappingRow {
    /// `redtrack.source`
    #[napi(ts_type = "string | null")]
    pub source: Option<Option<String>>,
    /// `redtrack.source_alias`
    #[napi(ts_type = "string | null")]
    pub source_alias: Option<Option<String>>,
    /// `redtrack.source_id`
    #[napi(ts_type = "string | null")]
    pub source_id: Option<Option<String>>,
    /// `everflow.affiliate_id` (kept, never trusted: it is 1 on nearly every real row). A
    /// number is taken as its text.
    #[napi(ts_type = "string | number | null")]
    pub affiliate_id: Option<Option<Either<String, f64>>>,
    /// `everflow.affiliate_label`
    #[napi(ts_type = "string | null")]
    pub affiliate_label: Option<Option<String>>,
    /// `everflow.advertiser_id`. A number is taken as its text.
    #[napi(ts_type = "string | number | null")]
    pub advertiser_id: Option<Option<Either<String, f64>>>,
    /// `everflow.advertiser_label`
    #[napi(ts_type = "string | null")]
    pub advertiser_label: Option<Option<String>>,
}

/// JSON documents as JavaScript gives them: one text or `Buffer`, or several.
type Documents = Either3<String, Buffer, Vec<Either<String, Buffer>>>;

/// Everflow or Redtrack JSON, read by the core's readers: exactly one of `path` (a file),
/// `paths` (several files, e.g. one per day or per page) or `json` (the text, a `Buffer` of
/// UTF-8, or several documents).
#[napi(object, object_to_js = false)]
pub struct CpaJsonSource {
    /// A JSON file.
    pub path: Option<String>,
    /// JSON files, read in order.
    pub paths: Option<Vec<String>>,
    /// JSON documents.
    #[napi(ts_type = "string | Buffer | Array<string | Buffer>")]
    pub json: Option<Documents>,
}

/// The mapping CSV (dotted headers, as the real file comes: BOM, CRLF, trailing spaces,
/// `n/a`), read by the core's reader: exactly one of `path` or `csv` (the text or a
/// `Buffer`).
#[napi(object, object_to_js = false)]
pub struct CpaCsvSource {
    /// A CSV file.
    pub path: Option<String>,
    /// The CSV text.
    #[napi(ts_type = "string | Buffer")]
    pub csv: Option<Either<String, Buffer>>,
}

/// The three inputs of a merge. Each is an array of row objects or a source to read.
#[napi(object, object_to_js = false)]
pub struct CpaInputs<'a> {
    /// Everflow daily stats: rows, or entity-table JSON responses (one response or an array
    /// of pages per document).
    #[napi(ts_type = "Array<CpaEverflowRow> | CpaJsonSource")]
    pub everflow: Either<Array<'a>, CpaJsonSource>,
    /// Redtrack spend: rows, or report JSON (a bare array or wrapped in `rows`, `items`,
    /// `data` or `results`; field aliases as seen in the wild).
    #[napi(ts_type = "Array<CpaRedtrackRow> | CpaJsonSource")]
    pub redtrack: Either<Array<'a>, CpaJsonSource>,
    /// The internal-affiliate mapping: rows, or the CSV.
    #[napi(ts_type = "Array<CpaMappingRow> | CpaCsvSource")]
    pub mapping: Either<Array<'a>, CpaCsvSource>,
}

/// The progress callback, called through a threadsafe function (never blocking the merge).
type Progress = ThreadsafeFunction<
    FnArgs<(String, f64, f64)>,
    UnknownReturnValue,
    FnArgs<(String, f64, f64)>,
    Status,
    false,
>;

/// Merge settings; every one is optional.
#[napi(object, object_to_js = false)]
pub struct CpaMergeOptions {
    /// The one currency of every amount (ISO 4217). Default `'USD'`. A row in another
    /// currency is an `invalid_record` error: the merge has no exchange rates.
    pub currency: Option<String>,
    /// Derive internal affiliates from the mapping (an affiliate is internal when the mapping
    /// sends a Redtrack source to it). Default true.
    pub internal_from_mapping: Option<bool>,
    /// Affiliate labels that are internal whatever the mapping says.
    pub include: Option<Vec<String>>,
    /// Affiliate labels that are external whatever the mapping says (their mapped spend is
    /// reported in `excludedSpend`).
    pub exclude: Option<Vec<String>>,
    /// First report date to merge, `'YYYY-MM-DD'` (inclusive); rows before it are counted in
    /// `outOfRange`.
    pub start: Option<String>,
    /// Last report date to merge, `'YYYY-MM-DD'` (inclusive).
    pub end: Option<String>,
    /// The report time zone, an IANA name. Default `'America/New_York'`. Redtrack
    /// timestamps become report dates in this zone.
    pub zone: Option<String>,
    /// The report date of Redtrack rows that carry none (a report requested for one day),
    /// `'YYYY-MM-DD'`.
    pub redtrack_date: Option<String>,
    /// Throw (reject) on the first row that cannot be used, instead of reporting it in the
    /// diagnostics. Default false. (With the real mapping file, its `n/a` rows count.)
    pub strict: Option<bool>,
    /// Called as the merge goes: at the start and end of each stage (`'spend'`, `'everflow'`,
    /// `'join'`) and every 2^20 rows of the join. Calls are queued through a threadsafe
    /// function and never block the merge; they arrive on the event loop, so with
    /// `cpaMergeSync` they arrive after it returns, and with `cpaMergeAsync` the last ones may
    /// arrive just after the promise settles. An exception it throws is an uncaught
    /// exception.
    #[napi(
        ts_type = "(stage: 'spend' | 'everflow' | 'join', done: number, total: number) => void"
    )]
    pub on_progress: Option<Progress>,
}

/// An input copied out of JavaScript, ready to be read on any thread.
enum Source<R> {
    /// Row objects.
    Rows(Vec<R>),
    /// Documents for a core reader.
    Docs(Docs),
}

/// Documents for a core reader: files to read, or their contents.
enum Docs {
    Files(Vec<String>),
    Texts(Vec<Vec<u8>>),
}

/// The settings as given, validated by the core when the merge runs.
struct Settings {
    currency: Option<String>,
    internal_from_mapping: Option<bool>,
    include: Vec<String>,
    exclude: Vec<String>,
    start: Option<String>,
    end: Option<String>,
    zone: Option<String>,
    redtrack_date: Option<String>,
    strict: bool,
}

/// Everything a merge needs, owned: the inputs and settings.
struct Prepared {
    everflow: Source<CpaEverflowRow>,
    redtrack: Source<CpaRedtrackRow>,
    mapping: Source<CpaMappingRow>,
    settings: Settings,
}

/// The rows of an input array, each converted to its object type; a row of the wrong
/// JavaScript type throws a Node-API error naming the input and the index.
fn rows<R>(array: &Array<'_>, input: &str) -> error::Result<Vec<R>>
where
    R: napi::bindgen_prelude::FromNapiValue + ValidateNapiValue,
{
    (0..array.len())
        .map(|i| match array.get::<R>(i) {
            Ok(Some(row)) => Ok(row),
            Ok(None) => Err(error::napi_to_js(
                napi::Error::new(Status::InvalidArg, "missing row"),
                &format!("{input}[{i}]"),
            )),
            Err(e) => Err(error::napi_to_js(e, &format!("{input}[{i}]"))),
        })
        .collect()
}

fn bytes(text: Either<String, Buffer>) -> Vec<u8> {
    match text {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    }
}

fn one_of(input: &str, given: usize, expected: &str) -> ces::Result<()> {
    if given == 1 {
        Ok(())
    } else {
        Err(invalid(
            None,
            input,
            format!("an object with {given} of them"),
            &format!("expected an array of rows or an object with exactly one of {expected}"),
        ))
    }
}

fn json_source(input: &str, s: CpaJsonSource) -> ces::Result<Docs> {
    let given = [s.path.is_some(), s.paths.is_some(), s.json.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    one_of(input, given, "`path`, `paths`, `json`")?;
    Ok(match (s.path, s.paths, s.json) {
        (Some(p), _, _) => Docs::Files(vec![p]),
        (_, Some(ps), _) => Docs::Files(ps),
        (_, _, Some(Either3::A(s))) => Docs::Texts(vec![s.into_bytes()]),
        (_, _, Some(Either3::B(b))) => Docs::Texts(vec![b.to_vec()]),
        (_, _, Some(Either3::C(docs))) => Docs::Texts(docs.into_iter().map(bytes).collect()),
        (None, None, None) => Docs::Texts(Vec::new()),
    })
}

fn csv_source(s: CpaCsvSource) -> ces::Result<Docs> {
    let given = usize::from(s.path.is_some()) + usize::from(s.csv.is_some());
    one_of("mapping", given, "`path`, `csv`")?;
    Ok(match (s.path, s.csv) {
        (Some(p), _) => Docs::Files(vec![p]),
        (_, Some(c)) => Docs::Texts(vec![bytes(c)]),
        (None, None) => Docs::Texts(Vec::new()),
    })
}

// ---------------------------------------------------------------------------------------
// Conversion of rows (what the core's readers do for JSON, done for JavaScript values)
// ---------------------------------------------------------------------------------------

/// A money value: a string through the core's exact parser, a number through its shortest
/// round-trip text. `Err((value as given, reason))`.
fn money(value: &Either<String, f64>) -> Result<Decimal, (String, String)> {
    match value {
        Either::A(text) => lib::parse_money(text).map_err(|e| (text.clone(), e)),
        Either::B(x) if !x.is_finite() => Err((show(*x), "not a finite number".into())),
        // Rust prints an f64 as the shortest text that reads back as the same number, and
        // never in exponent form: the decimal a person reading the number sees.
        Either::B(x) => {
            let text = x.to_string();
            lib::parse_money(&text).map_err(|e| (text, e))
        }
    }
}

/// A count or id: a safe integer (the core rejects negative counts with its own message).
fn whole(value: f64) -> Result<i64, (String, String)> {
    if is_safe_integer(value) {
        Ok(value as i64)
    } else {
        Err((show(value), "not a safe integer".into()))
    }
}

fn calendar_date(text: &str) -> Option<Date> {
    Date::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A nullable text field (`undefined` and `null` are both `None`).
fn text(value: &Option<Option<String>>) -> Option<&str> {
    value.as_ref().and_then(Option::as_deref)
}

/// A mapping id cell: text as it is, a number as its text.
fn id_text(value: &Option<Option<Either<String, f64>>>) -> Option<String> {
    value.as_ref().and_then(Option::as_ref).map(|v| match v {
        Either::A(s) => s.clone(),
        Either::B(x) => show(*x),
    })
}

/// The first issue as the error, when strict.
fn strict_check(issues: &[RowIssue], strict: bool) -> ces::Result<()> {
    match issues.first() {
        Some(first) if strict => Err(first.to_error()),
        _ => Ok(()),
    }
}

fn issue(input: Input, row: usize, field: &str, (value, reason): (String, String)) -> RowIssue {
    RowIssue {
        input,
        row: row as u64,
        location: format!("{}[{row}]", input.name()),
        field: field.into(),
        value,
        reason,
    }
}

fn everflow_rows(rows: &[CpaEverflowRow], strict: bool) -> ces::Result<EverflowTable> {
    let mut table = EverflowTable::new();
    for (i, r) in rows.iter().enumerate() {
        let bad = |field: &str, e| issue(Input::Everflow, i, field, e);
        let row = (|| {
            let date = match &r.date {
                Either::A(text) => calendar_date(text).ok_or_else(|| {
                    bad(
                        "date",
                        (text.clone(), "not a date (expected YYYY-MM-DD)".into()),
                    )
                })?,
                Either::B(secs) => {
                    let secs = whole(*secs).map_err(|e| bad("date", e))?;
                    lib::everflow_date(secs).map_err(|e| bad("date", (secs.to_string(), e)))?
                }
            };
            let affiliate_id = match r.affiliate_id.flatten() {
                Some(id) => Some(whole(id).map_err(|e| bad("affiliate_id", e))?),
                None => None,
            };
            let advertiser_id = whole(r.advertiser_id).map_err(|e| bad("advertiser_id", e))?;
            let clicks = whole(r.clicks).map_err(|e| bad("clicks", e))?;
            let conversions = whole(r.conversions).map_err(|e| bad("conversions", e))?;
            let revenue = money(&r.revenue).map_err(|e| bad("revenue", e))?;
            let payout = money(&r.payout).map_err(|e| bad("payout", e))?;
            // Absent: revenue − payout, derived by the core's table.
            let profit = match r.profit.as_ref().and_then(Option::as_ref) {
                Some(p) => Some(money(p).map_err(|e| bad("profit", e))?),
                None => None,
            };
            Ok(EverflowRow {
                date,
                affiliate_id,
                affiliate_label: &r.affiliate_label,
                advertiser_id,
                advertiser_label: &r.advertiser_label,
                clicks,
                conversions,
                revenue,
                payout,
                profit,
                currency: text(&r.currency),
            })
        })();
        match row {
            Ok(row) => {
                table.push_or_report(i as u64, row, || format!("everflow[{i}]"));
            }
            Err(issue) => table.report(issue),
        }
    }
    strict_check(&table.issues, strict)?;
    Ok(table)
}

fn redtrack_rows(rows: &[CpaRedtrackRow], options: &ReadOptions) -> ces::Result<SpendTable> {
    let mut table = SpendTable::new();
    for (i, r) in rows.iter().enumerate() {
        let bad = |field: &str, e| issue(Input::Redtrack, i, field, e);
        let row = (|| {
            let (date, stamp) = match text(&r.date) {
                Some(text) => parse_date_text(text, &options.zone)
                    .map_err(|e| bad("date", (text.to_owned(), e)))?,
                None => (
                    options.date.ok_or_else(|| {
                        bad(
                            "date",
                            (
                                "null".into(),
                                "missing, and no report date was given".into(),
                            ),
                        )
                    })?,
                    None,
                ),
            };
            let clicks = whole(r.clicks).map_err(|e| bad("clicks", e))?;
            let conversions = whole(r.conversions).map_err(|e| bad("conversions", e))?;
            let cost = money(&r.cost).map_err(|e| bad("cost", e))?;
            Ok(SpendRow {
                date,
                stamp,
                source_id: &r.source_id,
                source_name: &r.source_name,
                source_alias: text(&r.source_alias),
                clicks,
                conversions,
                cost,
                currency: text(&r.currency),
            })
        })();
        match row {
            Ok(row) => {
                table.push_or_report(i as u64, row, || format!("redtrack[{i}]"));
            }
            Err(issue) => table.report(issue),
        }
    }
    strict_check(&table.issues, options.strict)?;
    Ok(table)
}

fn mapping_rows(rows: &[CpaMappingRow], strict: bool) -> ces::Result<Mapping> {
    let mut mapping = Mapping::new();
    for (i, r) in rows.iter().enumerate() {
        let affiliate_id = id_text(&r.affiliate_id);
        let advertiser_id = id_text(&r.advertiser_id);
        mapping.push(
            MappingRecord {
                source: text(&r.source),
                source_alias: text(&r.source_alias),
                source_id: text(&r.source_id),
                affiliate_id: affiliate_id.as_deref(),
                affiliate_label: text(&r.affiliate_label),
                advertiser_id: advertiser_id.as_deref(),
                advertiser_label: text(&r.advertiser_label),
            },
            Some(format!("mapping[{i}]")),
        );
    }
    strict_check(&mapping.issues, strict)?;
    Ok(mapping)
}

/// Runs a core reader over documents: files are read first (on the merge's thread, so off
/// the event loop for `cpaMergeAsync`), texts are passed as they are.
fn read<T>(
    input: &str,
    docs: &Docs,
    reader: impl FnOnce(&[&[u8]]) -> ces::Result<T>,
) -> Result<T, Failure> {
    let files: Vec<Vec<u8>>;
    let contents = match docs {
        Docs::Texts(texts) => texts,
        Docs::Files(paths) => {
            files = paths
                .iter()
                .map(|p| std::fs::read(p).map_err(|e| Failure::io(input, p, &e)))
                .collect::<Result<_, _>>()?;
            &files
        }
    };
    let slices: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
    Ok(reader(&slices)?)
}

fn option_date(text: &Option<String>, field: &str) -> ces::Result<Option<Date>> {
    text.as_deref()
        .map(|t| {
            calendar_date(t).ok_or_else(|| {
                invalid(
                    None,
                    field,
                    format!("{t:?}"),
                    "not a date (expected YYYY-MM-DD)",
                )
            })
        })
        .transpose()
}

// ---------------------------------------------------------------------------------------
// The merge
// ---------------------------------------------------------------------------------------

/// The computation behind `cpaMergeSync` and `cpaMergeAsync`: the inputs and settings,
/// copied out of JavaScript.
pub struct CpaMergeTask {
    prepared: Result<Prepared, CesError>,
    progress: Option<Progress>,
}

impl CpaMergeTask {
    /// Copies the inputs and settings out of JavaScript. Values of the wrong JavaScript type
    /// throw here; every other problem is found by [`CpaMergeTask::compute`].
    fn new(inputs: CpaInputs<'_>, options: Option<CpaMergeOptions>) -> error::Result<Self> {
        let everflow = match inputs.everflow {
            Either::A(array) => Ok(Source::Rows(rows(&array, "everflow")?)),
            Either::B(source) => json_source("everflow", source).map(Source::Docs),
        };
        let redtrack = match inputs.redtrack {
            Either::A(array) => Ok(Source::Rows(rows(&array, "redtrack")?)),
            Either::B(source) => json_source("redtrack", source).map(Source::Docs),
        };
        let mapping = match inputs.mapping {
            Either::A(array) => Ok(Source::Rows(rows(&array, "mapping")?)),
            Either::B(source) => csv_source(source).map(Source::Docs),
        };
        let o = options.unwrap_or(CpaMergeOptions {
            currency: None,
            internal_from_mapping: None,
            include: None,
            exclude: None,
            start: None,
            end: None,
            zone: None,
            redtrack_date: None,
            strict: None,
            on_progress: None,
        });
        let settings = Settings {
            currency: o.currency,
            internal_from_mapping: o.internal_from_mapping,
            include: o.include.unwrap_or_default(),
            exclude: o.exclude.unwrap_or_default(),
            start: o.start,
            end: o.end,
            zone: o.zone,
            redtrack_date: o.redtrack_date,
            strict: o.strict.unwrap_or(false),
        };
        let prepared = (|| {
            Ok(Prepared {
                everflow: everflow?,
                redtrack: redtrack?,
                mapping: mapping?,
                settings,
            })
        })();
        Ok(CpaMergeTask {
            prepared,
            progress: o.on_progress,
        })
    }

    /// Validates the settings, builds the three tables (rows through the core's builders,
    /// files and texts through its readers) and merges them.
    fn compute(&self) -> Result<Merge, Failure> {
        let p = self.prepared.as_ref().map_err(|e| e.clone())?;
        let s = &p.settings;
        let zone = match &s.zone {
            Some(name) => ReportZone::new(name)?,
            None => ReportZone::default(),
        };
        let range = match (option_date(&s.start, "start")?, option_date(&s.end, "end")?) {
            (None, None) => None,
            (start, end) => Some(DateRange::new(
                start.unwrap_or(Date::MIN),
                end.unwrap_or(Date::MAX),
            )?),
        };
        let defaults = MergeParams::default();
        let config = MergeParams {
            currency: s.currency.clone().unwrap_or(defaults.currency),
            internal: InternalRule {
                from_mapping: s
                    .internal_from_mapping
                    .unwrap_or(defaults.internal.from_mapping),
                include: s.include.clone(),
                exclude: s.exclude.clone(),
            },
            range,
        }
        .check()?;
        let options = ReadOptions {
            strict: s.strict,
            zone,
            date: option_date(&s.redtrack_date, "redtrack_date")?,
        };

        let everflow = match &p.everflow {
            Source::Rows(rows) => everflow_rows(rows, s.strict)?,
            Source::Docs(docs) => read("everflow", docs, |d| lib::read_everflow_json(d, &options))?,
        };
        let redtrack = match &p.redtrack {
            Source::Rows(rows) => redtrack_rows(rows, &options)?,
            Source::Docs(docs) => read("redtrack", docs, |d| lib::read_redtrack_json(d, &options))?,
        };
        let mapping = match &p.mapping {
            // One document: `csv_source` takes a single `path` or `csv`.
            Source::Docs(docs) => read("mapping", docs, |d| {
                lib::read_mapping_csv(d.first().copied().unwrap_or_default(), &options)
            })?,
            Source::Rows(rows) => mapping_rows(rows, s.strict)?,
        };
        let mut report = |progress: lib::MergeProgress| {
            if let Some(f) = &self.progress {
                f.call(
                    FnArgs::from((
                        progress.stage.to_owned(),
                        progress.done as f64,
                        progress.total as f64,
                    )),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
        };
        Ok(lib::merge_with_progress(
            &everflow,
            &redtrack,
            &mapping,
            &config,
            &mut report,
        )?)
    }
}

impl Task for CpaMergeTask {
    type Output = Result<Merge, Failure>;
    type JsValue = CpaMerge;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let out = catch_unwind(AssertUnwindSafe(|| CpaMergeTask::compute(self)))
            .map_err(|_| error::panicked("cpaMergeAsync"));
        // Release the progress callback as soon as the merge is done, so it keeps nothing
        // alive; calls already queued are still delivered.
        self.progress = None;
        out
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output
            .map(|inner| CpaMerge { inner })
            .map_err(|e| error::rejection(env, e))
    }
}

/// Merges Everflow conversions with Redtrack spend through the internal-affiliate mapping,
/// by the core's rules: labels normalised on both sides; the key is (date, affiliate label,
/// advertiser id); spend is summed per key through the mapping before the join; internal
/// affiliates come from the mapping; cost is the Redtrack spend of internal affiliates and
/// the Everflow payout of external ones; CPA is `null` with 0 conversions; money is decimal
/// throughout. Blocks the event loop: prefer `cpaMergeAsync`.
///
/// ```js
/// const merge = cpaMergeSync({
///   everflow: { path: 'everflow-entity-table.json' },
///   redtrack: { path: 'redtrack-report.json' },
///   mapping: { path: 'internal-affiliates.csv' },
/// }, { redtrackDate: '2024-12-02' })
/// merge.rows()[1] // { affiliateLabel: 'G2 - Meta', isInternal: true, cost: '7825.50', cpa: '313.020000000000', … }
/// merge.diagnostics().unmappedSpend // spend that reaches no affiliate, with its amount
/// ```
///
/// A row that cannot be used (a negative amount, money that is not a number, an unknown
/// currency code, a date that does not parse) is reported in `diagnostics().rejectedRows`
/// with its input, index, field, value and reason, and left out; with `strict: true` it
/// throws `invalid_record` instead. Throws `invalid_argument` for bad options (currency,
/// zone, dates, a label both included and excluded) or an input object without exactly one
/// source; `malformed_input` for a document that cannot be read at all (JSON that does not
/// parse, a CSV without the mapping's columns); `invalid_record` for a row in another
/// currency than the merge's; `duplicate_key` for two Everflow or Redtrack rows with the
/// same key and different values; Node's `ENOENT`, `EACCES`, … for a file that cannot be
/// read. A value of the wrong JavaScript type throws a Node-API error naming the input and
/// row index (`everflow[3]`).
#[napi(
    catch_unwind,
    ts_args_type = "inputs: CpaInputs, options?: CpaMergeOptions | undefined | null"
)]
pub fn cpa_merge_sync(
    inputs: CpaInputs<'_>,
    options: Option<CpaMergeOptions>,
) -> error::Result<CpaMerge> {
    let task = CpaMergeTask::new(inputs, options)?;
    let inner = task.compute().map_err(to_js)?;
    Ok(CpaMerge { inner })
}

/// `cpaMergeSync` on the libuv thread pool (files are read there too), as a
/// `Promise<CpaMerge>`. The inputs are copied before the call returns. `onProgress`, when
/// given, is called from the event loop while the merge runs.
///
/// Rejects with the errors `cpaMergeSync` throws. Values of the wrong JavaScript type are
/// found while the arguments are read and throw at once, before a promise exists.
#[napi(
    ts_args_type = "inputs: CpaInputs, options?: CpaMergeOptions | undefined | null",
    ts_return_type = "Promise<CpaMerge>"
)]
pub fn cpa_merge_async(
    inputs: CpaInputs<'_>,
    options: Option<CpaMergeOptions>,
) -> error::Result<AsyncTask<CpaMergeTask>> {
    Ok(AsyncTask::new(CpaMergeTask::new(inputs, options)?))
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

fn money_text(value: Decimal) -> String {
    value.to_string()
}

fn count(value: u64) -> f64 {
    value as f64
}

/// One merged row, per (date, advertiser, affiliate). Money is an exact decimal string.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaRow {
    /// Report date, `'YYYY-MM-DD'`.
    pub date: String,
    /// Advertiser id.
    pub advertiser_id: f64,
    /// Advertiser label (normalised; the first seen for this id).
    pub advertiser_label: String,
    /// Affiliate label (normalised): the identity.
    pub affiliate_label: String,
    /// Internal (cost = Redtrack spend) or external (cost = Everflow payout).
    pub is_internal: bool,
    /// Everflow clicks.
    pub everflow_clicks: f64,
    /// Everflow conversions.
    pub conversions: f64,
    /// Everflow revenue.
    pub everflow_revenue: String,
    /// Everflow payout.
    pub everflow_payout: String,
    /// Redtrack cost summed through the mapping.
    pub redtrack_cost: String,
    /// Redtrack clicks summed through the mapping.
    pub redtrack_clicks: f64,
    /// The cost: Redtrack cost when internal, Everflow payout when external.
    pub cost: String,
    /// `cost / conversions` rounded half away from zero at 12 places; `null` with 0 conversions
    /// (undefined, never 0).
    pub cpa: Option<String>,
    /// Everflow rows behind this row (0: spend without an Everflow row).
    pub everflow_rows: u32,
    /// Redtrack rows behind this row.
    pub spend_rows: u32,
}

impl From<lib::PerformanceRow<'_>> for CpaRow {
    fn from(r: lib::PerformanceRow<'_>) -> Self {
        CpaRow {
            date: r.date.to_string(),
            advertiser_id: number(r.advertiser_id),
            advertiser_label: r.advertiser_label.to_owned(),
            affiliate_label: r.affiliate_label.to_owned(),
            is_internal: r.is_internal,
            everflow_clicks: count(r.everflow_clicks),
            conversions: count(r.conversions),
            everflow_revenue: money_text(r.everflow_revenue),
            everflow_payout: money_text(r.everflow_payout),
            redtrack_cost: money_text(r.redtrack_cost),
            redtrack_clicks: count(r.redtrack_clicks),
            cost: money_text(r.cost),
            cpa: r.cpa.map(money_text),
            everflow_rows: r.everflow_rows,
            spend_rows: r.spend_rows,
        }
    }
}

/// A row that was not accepted, with where it was and what was wrong.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaRowIssue {
    /// The input.
    #[napi(ts_type = "'everflow' | 'redtrack' | 'mapping'")]
    pub input: String,
    /// The zero-based row position in that input (across pages and files).
    pub row: f64,
    /// Where a person finds it: `'page 2, row 14'`, `'line 7'`, `'everflow[3]'` (an index
    /// into the array given).
    pub location: String,
    /// The field at fault, as the core names it (`cost`, `currency`,
    /// `everflow.affiliate_label`, …).
    pub field: String,
    /// The raw value, as it came (`'null'` when missing).
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl From<&RowIssue> for CpaRowIssue {
    fn from(i: &RowIssue) -> Self {
        CpaRowIssue {
            input: i.input.name().to_owned(),
            row: count(i.row),
            location: i.location.clone(),
            field: i.field.clone(),
            value: i.value.clone(),
            reason: i.reason.clone(),
        }
    }
}

/// Redtrack spend whose source the mapping sends nowhere: this cost is in no output row.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaUnmappedSpend {
    /// The source id.
    pub source_id: String,
    /// Its name (as its first row had it).
    pub source_name: String,
    /// Why it is unmapped.
    #[napi(ts_type = "'not_in_mapping' | 'malformed_mapping' | 'conflicting_mapping'")]
    pub reason: String,
    /// Rows.
    pub rows: f64,
    /// Clicks.
    pub clicks: f64,
    /// Cost.
    pub cost: String,
    /// First date with spend.
    pub first_date: String,
    /// Last date with spend.
    pub last_date: String,
}

/// A usable mapping row whose affiliate and advertiser never appear in Everflow (in range).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaUnusedMapping {
    /// Where the row is.
    pub location: String,
    /// Source id.
    pub source_id: String,
    /// Affiliate label (normalised).
    pub affiliate_label: String,
    /// Advertiser id.
    pub advertiser_id: f64,
}

/// Mapping rows for the same source id.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaMappingDuplicate {
    /// Source id.
    pub source_id: String,
    /// Where the rows are.
    pub locations: Vec<String>,
    /// Their targets, `'label / advertiser id'`.
    pub targets: Vec<String>,
}

/// Rows with the same key and the same values: counted once.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaDuplicateRows {
    /// The input.
    #[napi(ts_type = "'everflow' | 'redtrack' | 'mapping'")]
    pub input: String,
    /// The key, rendered.
    pub key: String,
    /// Positions of the rows (the first is kept).
    pub rows: Vec<f64>,
}

/// An internal affiliate's day that does not add up.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaDayFlag {
    /// Report date.
    pub date: String,
    /// Advertiser id.
    pub advertiser_id: f64,
    /// Affiliate label.
    pub affiliate_label: String,
    /// Everflow conversions.
    pub conversions: f64,
    /// Redtrack cost.
    pub redtrack_cost: String,
}

/// Mapped spend on an affiliate the internal rule makes external.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaExcludedSpend {
    /// Affiliate label.
    pub affiliate_label: String,
    /// Advertiser id.
    pub advertiser_id: f64,
    /// Days with such spend.
    pub days: f64,
    /// The spend.
    pub cost: String,
}

/// Rows outside the merge's date range.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaOutOfRange {
    /// Everflow rows.
    pub everflow_rows: f64,
    /// Redtrack rows.
    pub redtrack_rows: f64,
}

/// How the money and conversions reconcile: `redtrackCost = mappedCost + unmappedCost`,
/// `outputCost = mappedCost - excludedCost + externalPayout`, `outputConversions =
/// everflowConversions`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaReconciliation {
    /// Σ Everflow conversions (in range, duplicates counted once).
    pub everflow_conversions: f64,
    /// Σ Everflow payout.
    pub everflow_payout: String,
    /// Σ Everflow revenue.
    pub everflow_revenue: String,
    /// Σ Redtrack cost.
    pub redtrack_cost: String,
    /// Redtrack cost that reached a mapped affiliate.
    pub mapped_cost: String,
    /// Redtrack cost in `unmappedSpend`.
    pub unmapped_cost: String,
    /// Mapped cost on affiliates made external (`excludedSpend`).
    pub excluded_cost: String,
    /// Σ payout of external affiliates (their cost).
    pub external_payout: String,
    /// Σ cost of the output.
    pub output_cost: String,
    /// Σ conversions of the output.
    pub output_conversions: f64,
    /// Output rows.
    pub output_rows: f64,
}

/// Everything a merge noticed: the core's `Diagnostics`, field by field (money as decimal
/// strings, dates as `'YYYY-MM-DD'`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaDiagnostics {
    /// Input rows that were rejected (reported, never dropped silently).
    pub rejected_rows: Vec<CpaRowIssue>,
    /// Spend that reaches no affiliate, per source, most first.
    pub unmapped_spend: Vec<CpaUnmappedSpend>,
    /// Usable mapping rows never seen in Everflow.
    pub unused_mappings: Vec<CpaUnusedMapping>,
    /// Mapping rows that cannot be used (`n/a`, missing or malformed ids).
    pub malformed_mappings: Vec<CpaRowIssue>,
    /// Mapping rows for one source that disagree (the source's spend is unmapped).
    pub conflicting_mappings: Vec<CpaMappingDuplicate>,
    /// Mapping rows for one source that agree (harmless, reported once).
    pub duplicate_mappings: Vec<CpaMappingDuplicate>,
    /// Identical duplicate input rows, counted once.
    pub duplicate_rows: Vec<CpaDuplicateRows>,
    /// Internal affiliates' days with conversions but no spend.
    pub conversions_without_spend: Vec<CpaDayFlag>,
    /// Internal affiliates' days with spend but no conversions.
    pub spend_without_conversions: Vec<CpaDayFlag>,
    /// Mapped spend on affiliates the internal rule makes external.
    pub excluded_spend: Vec<CpaExcludedSpend>,
    /// Rows outside the date range.
    pub out_of_range: CpaOutOfRange,
    /// The reconciliation of totals.
    pub totals: CpaReconciliation,
}

fn day_flag(f: &lib::DayFlag) -> CpaDayFlag {
    CpaDayFlag {
        date: f.date.to_string(),
        advertiser_id: number(f.advertiser_id),
        affiliate_label: f.affiliate_label.clone(),
        conversions: count(f.conversions),
        redtrack_cost: money_text(f.redtrack_cost),
    }
}

fn mapping_duplicate(d: &lib::MappingDuplicate) -> CpaMappingDuplicate {
    CpaMappingDuplicate {
        source_id: d.source_id.clone(),
        locations: d.locations.clone(),
        targets: d.targets.clone(),
    }
}

impl From<&lib::Diagnostics> for CpaDiagnostics {
    fn from(d: &lib::Diagnostics) -> Self {
        let t = &d.totals;
        CpaDiagnostics {
            rejected_rows: d.rejected_rows.iter().map(CpaRowIssue::from).collect(),
            unmapped_spend: d
                .unmapped_spend
                .iter()
                .map(|u| CpaUnmappedSpend {
                    source_id: u.source_id.clone(),
                    source_name: u.source_name.clone(),
                    reason: match u.reason {
                        lib::UnmappedReason::NotInMapping => "not_in_mapping",
                        lib::UnmappedReason::MalformedMapping => "malformed_mapping",
                        lib::UnmappedReason::ConflictingMapping => "conflicting_mapping",
                    }
                    .to_owned(),
                    rows: count(u.rows),
                    clicks: count(u.clicks),
                    cost: money_text(u.cost),
                    first_date: u.first_date.to_string(),
                    last_date: u.last_date.to_string(),
                })
                .collect(),
            unused_mappings: d
                .unused_mappings
                .iter()
                .map(|u| CpaUnusedMapping {
                    location: u.location.clone(),
                    source_id: u.source_id.clone(),
                    affiliate_label: u.affiliate_label.clone(),
                    advertiser_id: number(u.advertiser_id),
                })
                .collect(),
            malformed_mappings: d.malformed_mappings.iter().map(CpaRowIssue::from).collect(),
            conflicting_mappings: d
                .conflicting_mappings
                .iter()
                .map(mapping_duplicate)
                .collect(),
            duplicate_mappings: d.duplicate_mappings.iter().map(mapping_duplicate).collect(),
            duplicate_rows: d
                .duplicate_rows
                .iter()
                .map(|r| CpaDuplicateRows {
                    input: r.input.name().to_owned(),
                    key: r.key.clone(),
                    rows: r.rows.iter().copied().map(count).collect(),
                })
                .collect(),
            conversions_without_spend: d.conversions_without_spend.iter().map(day_flag).collect(),
            spend_without_conversions: d.spend_without_conversions.iter().map(day_flag).collect(),
            excluded_spend: d
                .excluded_spend
                .iter()
                .map(|e| CpaExcludedSpend {
                    affiliate_label: e.affiliate_label.clone(),
                    advertiser_id: number(e.advertiser_id),
                    days: count(e.days),
                    cost: money_text(e.cost),
                })
                .collect(),
            out_of_range: CpaOutOfRange {
                everflow_rows: count(d.out_of_range.everflow_rows),
                redtrack_rows: count(d.out_of_range.redtrack_rows),
            },
            totals: CpaReconciliation {
                everflow_conversions: count(t.everflow_conversions),
                everflow_payout: money_text(t.everflow_payout),
                everflow_revenue: money_text(t.everflow_revenue),
                redtrack_cost: money_text(t.redtrack_cost),
                mapped_cost: money_text(t.mapped_cost),
                unmapped_cost: money_text(t.unmapped_cost),
                excluded_cost: money_text(t.excluded_cost),
                external_payout: money_text(t.external_payout),
                output_cost: money_text(t.output_cost),
                output_conversions: count(t.output_conversions),
                output_rows: count(t.output_rows),
            },
        }
    }
}

/// Sums over a set of rows, with their CPA as a ratio of sums.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaSegment {
    /// Rows summed.
    pub rows: f64,
    /// Σ conversions.
    pub conversions: f64,
    /// Σ cost.
    pub cost: String,
    /// Σ Everflow revenue.
    pub revenue: String,
    /// Σ Everflow payout.
    pub payout: String,
    /// Σ Redtrack cost.
    pub redtrack_cost: String,
    /// Σcost / Σconversions (never the mean of row CPAs); `null` with no conversions.
    pub cpa: Option<String>,
}

impl From<&lib::Segment> for CpaSegment {
    fn from(s: &lib::Segment) -> Self {
        CpaSegment {
            rows: count(s.rows),
            conversions: count(s.conversions),
            cost: money_text(s.cost),
            revenue: money_text(s.revenue),
            payout: money_text(s.payout),
            redtrack_cost: money_text(s.redtrack_cost),
            cpa: s.cpa.map(money_text),
        }
    }
}

/// One advertiser's figures for one period.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaSummary {
    /// The period.
    #[napi(ts_type = "'day' | 'week' | 'month'")]
    pub period: String,
    /// Its first date (a Monday for weeks, the 1st for months).
    pub start: String,
    /// Advertiser id.
    pub advertiser_id: f64,
    /// Advertiser label.
    pub advertiser_label: String,
    /// All affiliates.
    pub total: CpaSegment,
    /// Internal affiliates.
    pub internal: CpaSegment,
    /// External affiliates.
    pub external: CpaSegment,
}

/// One affiliate's line in the leaderboard.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CpaLeaderboardRow {
    /// 1-based rank.
    pub rank: u32,
    /// Advertiser id.
    pub advertiser_id: f64,
    /// Advertiser label.
    pub advertiser_label: String,
    /// Affiliate label.
    pub affiliate_label: String,
    /// Internal on every day of the range?
    pub is_internal: bool,
    /// Days with a row.
    pub days: f64,
    /// Σ conversions.
    pub conversions: f64,
    /// Σ cost.
    pub cost: String,
    /// Σ revenue.
    pub revenue: String,
    /// Σcost / Σconversions; `null` with no conversions.
    pub cpa: Option<String>,
}

/// Which rows a leaderboard covers.
#[napi(object, object_to_js = false)]
pub struct CpaLeaderboardOptions {
    /// First date, `'YYYY-MM-DD'` (inclusive).
    pub start: Option<String>,
    /// Last date, `'YYYY-MM-DD'` (inclusive).
    pub end: Option<String>,
    /// Only this advertiser id.
    pub advertiser: Option<f64>,
}

/// The result of a merge: the merged rows and what the merge noticed. Returned by
/// `cpaMergeSync` and `cpaMergeAsync`.
#[napi]
pub struct CpaMerge {
    inner: Merge,
}

#[napi]
impl CpaMerge {
    /// Number of merged rows.
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.performance.len()).unwrap_or(u32::MAX)
    }

    /// Is there anything in the diagnostics a person should look at (rejected rows, unmapped
    /// spend, unused or malformed mappings, conflicts, duplicates, flagged days, excluded
    /// spend)?
    #[napi(getter, catch_unwind)]
    pub fn has_findings(&self) -> bool {
        self.inner.diagnostics.has_findings()
    }

    /// The merged rows, ordered by (date, advertiser id, affiliate label). Money is exact
    /// decimal strings (`'7825.50'`, `'0.30000000000000004'`), as the inputs had them.
    #[napi(catch_unwind)]
    pub fn rows(&self) -> Vec<CpaRow> {
        self.inner.performance.iter().map(CpaRow::from).collect()
    }

    /// The diagnostics, field by field as the core has them (camelCase).
    #[napi(catch_unwind)]
    pub fn diagnostics(&self) -> CpaDiagnostics {
        CpaDiagnostics::from(&self.inner.diagnostics)
    }

    /// The diagnostics as the core's JSON text (snake_case keys, money as strings): the
    /// record stored with a run.
    #[napi(catch_unwind)]
    pub fn diagnostics_json(&self) -> String {
        self.inner.diagnostics.to_json().to_string()
    }

    /// Summaries per (period start, advertiser), ordered by both: totals, internal and
    /// external affiliates, each CPA a ratio of sums (Σcost / Σconversions, never a mean of
    /// row CPAs). `period` is `'day'` (default), `'week'` (ISO, Monday to Sunday) or
    /// `'month'`.
    ///
    /// Throws `invalid_argument` for another period.
    #[napi(catch_unwind, ts_args_type = "period?: 'day' | 'week' | 'month'")]
    pub fn summary(&self, period: Option<String>) -> error::Result<Vec<CpaSummary>> {
        let period = match period.as_deref() {
            Some(name) => lib::Period::parse(name).map_err(to_js)?,
            None => lib::Period::Day,
        };
        Ok(lib::summarize(&self.inner.performance, period)
            .iter()
            .map(|s| CpaSummary {
                period: s.period.name().to_owned(),
                start: s.start.to_string(),
                advertiser_id: number(s.advertiser_id),
                advertiser_label: s.advertiser_label.clone(),
                total: CpaSegment::from(&s.total),
                internal: CpaSegment::from(&s.internal),
                external: CpaSegment::from(&s.external),
            })
            .collect())
    }

    /// The top `n` (default 10) (advertiser, affiliate) pairs by conversions, over the dates
    /// and advertiser of `options` (all when omitted). Ties go to the lower CPA, then the
    /// label. CPAs are ratios of sums.
    ///
    /// Throws `invalid_argument` for an `n` that is not a whole number >= 0, a date that does
    /// not parse, an end before the start or an advertiser that is not a safe integer.
    #[napi(catch_unwind)]
    pub fn leaderboard(
        &self,
        n: Option<f64>,
        options: Option<CpaLeaderboardOptions>,
    ) -> error::Result<Vec<CpaLeaderboardRow>> {
        let n = match n {
            None => 10,
            Some(n) if is_safe_integer(n) && n >= 0.0 => n as usize,
            Some(n) => {
                return Err(to_js(invalid(
                    None,
                    "n",
                    show(n),
                    "must be a whole number of at least 0",
                )));
            }
        };
        let (range, advertiser) = match options {
            None => (None, None),
            Some(o) => {
                let start = option_date(&o.start, "start").map_err(to_js)?;
                let end = option_date(&o.end, "end").map_err(to_js)?;
                let range = match (start, end) {
                    (None, None) => None,
                    (s, e) => Some(
                        DateRange::new(s.unwrap_or(Date::MIN), e.unwrap_or(Date::MAX))
                            .map_err(to_js)?,
                    ),
                };
                let advertiser = o
                    .advertiser
                    .map(|a| crate::integer(a, None, "advertiser"))
                    .transpose()
                    .map_err(to_js)?;
                (range, advertiser)
            }
        };
        Ok(
            lib::leaderboard(&self.inner.performance, n, range, advertiser)
                .into_iter()
                .map(|r| CpaLeaderboardRow {
                    rank: r.rank,
                    advertiser_id: number(r.advertiser_id),
                    advertiser_label: r.advertiser_label,
                    affiliate_label: r.affiliate_label,
                    is_internal: r.is_internal,
                    days: count(r.days),
                    conversions: count(r.conversions),
                    cost: money_text(r.cost),
                    revenue: money_text(r.revenue),
                    cpa: r.cpa.map(money_text),
                })
                .collect(),
        )
    }
}
