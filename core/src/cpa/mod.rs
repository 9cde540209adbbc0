//! CPA merge: Everflow conversions × Redtrack spend through the internal-affiliate mapping.
//!
//! # Overview
//!
//! 1. **Read** what users have: [`read_everflow_json`] (entity-table responses, pages),
//!    [`read_redtrack_json`] (report rows, bare or wrapped, with field aliases) and
//!    [`read_mapping_csv`] (the dotted-header file as it comes). Or build the tables row by
//!    row ([`EverflowTable::push`], [`SpendTable::push`], [`Mapping::push`]), which is what
//!    the Arrow readers of the bindings do. Malformed records are reported with their
//!    position ([`RowIssue`]), never dropped silently.
//! 2. **Merge** ([`merge`]) under a validated [`MergeConfig`]: the output
//!    ([`PerformanceTable`]) has one row per (date, advertiser, affiliate) with conversions,
//!    payout, revenue, Redtrack cost and clicks, internal flag, cost and CPA; the
//!    [`Diagnostics`] list unmapped spend with its amount, unused and malformed mapping rows,
//!    conflicting duplicates, internal days with conversions but no spend (and the
//!    reverse), and reconcile every total.
//! 3. **Report** ([`summarize`] per day, week or month; [`leaderboard`]) with ratio-of-sums
//!    CPAs.
//!
//! Money is [`Decimal`] end to end; dates are calendar dates in a [`ReportZone`] (IANA,
//! default `America/New_York`).
//!
//! # Quick start
//!
//! ```
//! use ces::cpa::*;
//! let mapping = read_mapping_csv(include_bytes!("../../../tests/fixtures/cpa/internal-affiliates.csv"), &ReadOptions::default()).unwrap();
//! assert_eq!(mapping.len(), 18);
//! assert_eq!(mapping.issues.len(), 4); // the n/a rows, each with its line
//! let everflow = read_everflow_json(&[include_bytes!("../../../tests/fixtures/cpa/everflow-entity-table.json")], &ReadOptions::default()).unwrap();
//! let opts = ReadOptions { date: Date::from_ymd_opt(2024, 12, 2), ..Default::default() };
//! let redtrack = read_redtrack_json(&[include_bytes!("../../../tests/fixtures/cpa/redtrack-report.json")], &opts).unwrap();
//! let out = merge(&everflow, &redtrack, &mapping, &MergeConfig::default()).unwrap();
//! // Rows are ordered by (date, advertiser id, affiliate label).
//! let row = out.performance.get(1);
//! assert_eq!((row.affiliate_label, row.is_internal), ("G2 - Meta", true));
//! assert_eq!(row.cost.to_string(), "7825.50"); // internal: the mapped Redtrack spend
//! assert_eq!(row.cpa.unwrap().to_string(), "313.020000000000");
//! // Google Ads CCW's spend maps to "G2 - Google", which has no Everflow row that day: it
//! // still gets a row, and the day is flagged.
//! assert_eq!(out.diagnostics.spend_without_conversions[0].affiliate_label, "G2 - Google");
//! ```

mod dates;
mod merge;
mod money;
mod read;
mod report;
mod tables;

pub use chrono::{DateTime, NaiveTime, Utc};
pub use dates::{Date, DateRange, Period, ReportZone, everflow_date, parse_date_text};
pub use merge::{
    DayFlag, Diagnostics, DuplicateRows, ExcludedSpend, InternalRule, MappingDuplicate, Merge,
    MergeConfig, MergeParams, MergeProgress, OutOfRange, PerformanceColumns, PerformanceRow,
    PerformanceTable, Reconciliation, UnmappedReason, UnmappedSpend, UnusedMapping, merge,
    merge_with_progress,
};
pub use money::{CPA_SCALE, Currency, Decimal, cpa, parse_money, ratio_of_sums};
pub use read::{ReadOptions, read_everflow_json, read_mapping_csv, read_redtrack_json};
pub use report::{LeaderboardRow, Segment, Summary, leaderboard, summarize};
pub use tables::{
    EverflowRow, EverflowTable, Input, MAPPING_COLUMNS, Mapping, MappingEntry, MappingRecord,
    MappingTarget, RowIssue, SpendRow, SpendTable, normalize_label,
};
