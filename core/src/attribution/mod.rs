//! Exposure-window attribution: event-level exposures × transactions with per-channel
//! windows, every rule model in one sort-and-sweep pass, and exact data-driven models.
//!
//! # Semantics
//!
//! For a transaction `t` at time `T`, its eligible exposures `E(t)` are those with the same
//! match key, after de-duplication, with
//!
//! * `start ≤ T` (an exposure after the transaction never counts), and
//! * `T − τ ≤ W` where `τ` is the end of a flight, or the start of a point exposure or of a
//!   flight still running (`end` null), and `W` the exposure's window ([`Windows`]). Both
//!   boundaries are inclusive; a flight running at `T` is eligible. In calendar-day mode the
//!   test is `date(T) − date(τ) ≤ W days` in the mode's zone.
//!
//! Exposures identical in (key, start, end, channel, interaction, campaign, asset) count
//! once (the smallest id is kept). `E(t)` is ordered by recency `(τ, interaction rank
//! view < engaged view < click, id)`; "last" is the maximum. With `click_beats_view`, a
//! transaction with any eligible click keeps only its clicks. A transaction with no eligible
//! exposure goes to the explicit unattributed bucket, so that for every model
//! Σ credited + unattributed = Σ conversions (one per transaction), value and units.
//!
//! # Quick start
//!
//! See [`attribute`]; [`Model`] lists the models, [`Attribution::rollup`] and
//! [`Attribution::bootstrap`] the reports, [`markov`] and [`heuristics`] the path-level
//! models.

mod engine;
pub(crate) mod input;
mod models;
mod paths;
mod report;
mod windows;

pub use chrono_tz::Tz;
pub use engine::{
    Attribution, AttributionConfig, AttributionProgress, AttributionSummary, CreditColumns,
    CreditRow, attribute, attribute_with_progress,
};
pub use input::{
    ExposureColumns, ExposureTable, Ids, Interaction, Labels, TransactionColumns, TransactionTable,
};
pub use models::Model;
pub use paths::{
    ChannelCredit, HeuristicReport, MAX_EXACT_SHAPLEY_CHANNELS, MarkovReport, PathTable,
    ShapleyReport, ShapleySet, heuristics, markov, shapley_exact_values, shapley_simplified,
};
pub use report::{CreditInterval, Dimension, RollupRow, UNATTRIBUTED};
pub use windows::{MAX_WINDOW_SECONDS, Window, WindowMode, WindowRule, Windows, local_to_utc};
