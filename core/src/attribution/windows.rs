//! Look-back windows per (channel, interaction), with per-campaign overrides.

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use super::input::{ExposureTable, Interaction};
use crate::error::{CesError, Result, Row};

const DAY_SECONDS: i64 = 86_400;
/// The longest window accepted: 10 years.
pub const MAX_WINDOW_SECONDS: i64 = 3_650 * DAY_SECONDS;

/// A look-back window: how long after an exposure a transaction may still be credited to it.
///
/// ```
/// use ces::attribution::Window;
/// assert_eq!(Window::days(7).unwrap().as_seconds(), 604_800);
/// assert!(Window::days(-1).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window(i64);

impl Window {
    /// A window of `s` seconds, `0 ≤ s ≤` 10 years.
    pub fn seconds(s: i64) -> Result<Window> {
        if !(0..=MAX_WINDOW_SECONDS).contains(&s) {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "window".into(),
                value: format!("{s} s"),
                reason: format!(
                    "a window must be between 0 and {MAX_WINDOW_SECONDS} seconds (10 years)"
                ),
            });
        }
        Ok(Window(s))
    }

    /// A window of `d` whole days.
    pub fn days(d: i64) -> Result<Window> {
        Window::seconds(d.saturating_mul(DAY_SECONDS))
    }

    /// A window of `h` hours.
    pub fn hours(h: i64) -> Result<Window> {
        Window::seconds(h.saturating_mul(3_600))
    }

    /// Its length in seconds.
    pub fn as_seconds(self) -> i64 {
        self.0
    }
}

/// How "within the window" is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowMode {
    /// `0 ≤ T − τ ≤ W`, to the microsecond.
    Exact,
    /// Calendar days in a time zone: `date(T) − date(τ) ≤ W days` (the window must be whole
    /// days). A 1-day window then covers the rest of the exposure's day and the whole next
    /// day, as retail reports count it.
    CalendarDays(Tz),
}

/// A window rule: for a (channel, interaction) group, or an override for a campaign (one
/// interaction or all).
#[derive(Clone, Debug, PartialEq)]
pub enum WindowRule {
    /// Every exposure of `channel` with `interaction`.
    Group {
        /// Channel name as in the data.
        channel: String,
        /// Interaction.
        interaction: Interaction,
        /// Window.
        window: Window,
    },
    /// Exposures of `campaign` (with `interaction`, or any when `None`); wins over groups.
    Campaign {
        /// Campaign name as in the data.
        campaign: String,
        /// Interaction, or `None` for all three.
        interaction: Option<Interaction>,
        /// Window.
        window: Window,
    },
}

/// The window configuration: rules, per-interaction defaults and the mode.
///
/// Lookup for an exposure: the campaign rule for its interaction, else the campaign rule for
/// all interactions, else its (channel, interaction) group rule, else the default for its
/// interaction; with none of them the attribution fails with an error naming the first
/// exposure row (see [`Windows::standard`] for declared defaults).
///
/// ```
/// use ces::attribution::*;
/// let w = Windows::new()
///     .group("search", Interaction::Click, Window::days(30).unwrap())
///     .group("social", Interaction::View, Window::days(1).unwrap())
///     .campaign("black-friday", None, Window::days(3).unwrap());
/// assert_eq!(w.rules().len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Windows {
    rules: Vec<WindowRule>,
    defaults: [Option<Window>; 3],
    mode: WindowMode,
}

impl Default for Windows {
    fn default() -> Self {
        Windows::new()
    }
}

impl Windows {
    /// No rules, no defaults, exact mode: every (channel, interaction) in the data needs a rule.
    pub fn new() -> Windows {
        Windows {
            rules: Vec::new(),
            defaults: [None; 3],
            mode: WindowMode::Exact,
        }
    }

    /// The documented defaults (the ad platforms' own): click 30 days (Google Ads), engaged
    /// view 3 days (YouTube), view 1 day (Google Ads, Meta, TikTok), for every channel; exact
    /// mode. Rules added later win over these defaults.
    pub fn standard() -> Windows {
        let d = |n| Some(Window(n * DAY_SECONDS));
        Windows {
            rules: Vec::new(),
            defaults: [d(1), d(3), d(30)],
            mode: WindowMode::Exact,
        }
    }

    /// Adds a (channel, interaction) rule.
    pub fn group(mut self, channel: &str, interaction: Interaction, window: Window) -> Windows {
        self.rules.push(WindowRule::Group {
            channel: channel.into(),
            interaction,
            window,
        });
        self
    }

    /// Adds a campaign override (for one interaction, or all when `None`).
    pub fn campaign(
        mut self,
        campaign: &str,
        interaction: Option<Interaction>,
        window: Window,
    ) -> Windows {
        self.rules.push(WindowRule::Campaign {
            campaign: campaign.into(),
            interaction,
            window,
        });
        self
    }

    /// Sets (or with `None` clears) the default for one interaction.
    pub fn default_for(mut self, interaction: Interaction, window: Option<Window>) -> Windows {
        self.defaults[interaction.rank() as usize] = window;
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: WindowMode) -> Windows {
        self.mode = mode;
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: WindowRule) -> Windows {
        self.rules.push(rule);
        self
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[WindowRule] {
        &self.rules
    }

    /// The defaults, indexed by interaction rank (view, engaged view, click).
    pub fn defaults(&self) -> [Option<Window>; 3] {
        self.defaults
    }

    /// The mode.
    pub fn window_mode(&self) -> WindowMode {
        self.mode
    }

    /// Validates the configuration on its own: no two rules for the same target, and whole
    /// days in calendar mode.
    pub fn validate(&self) -> Result<()> {
        let mut seen: FxHashMap<(bool, &str, Option<Interaction>), usize> = FxHashMap::default();
        for (i, r) in self.rules.iter().enumerate() {
            let (k, w) = match r {
                WindowRule::Group {
                    channel,
                    interaction,
                    window,
                } => ((false, channel.as_str(), Some(*interaction)), window),
                WindowRule::Campaign {
                    campaign,
                    interaction,
                    window,
                } => ((true, campaign.as_str(), *interaction), window),
            };
            if let Some(prev) = seen.insert(k, i) {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(i as u64)),
                    field: "windows".into(),
                    value: format!("{r:?}"),
                    reason: format!(
                        "rule {i} targets the same {} as rule {prev}",
                        if k.0 {
                            "campaign and interaction"
                        } else {
                            "channel and interaction"
                        }
                    ),
                });
            }
            self.check_days(w, Some(i))?;
        }
        for w in self.defaults.iter().flatten() {
            self.check_days(w, None)?;
        }
        Ok(())
    }

    fn check_days(&self, w: &Window, rule: Option<usize>) -> Result<()> {
        if matches!(self.mode, WindowMode::CalendarDays(_)) && w.0 % DAY_SECONDS != 0 {
            return Err(CesError::InvalidArgument {
                row: Row(rule.map(|r| r as u64)),
                field: "windows".into(),
                value: format!("{} s", w.0),
                reason: "calendar-day mode needs windows of whole days".into(),
            });
        }
        Ok(())
    }

    /// The window of every exposure row: µs in exact mode, days in calendar mode.
    pub(crate) fn resolve(&self, ex: &ExposureTable) -> Result<Resolved> {
        self.validate()?;
        let c = ex.columns();
        let conv = |w: &Window| match self.mode {
            WindowMode::Exact => w.0 * 1_000_000,
            WindowMode::CalendarDays(_) => w.0 / DAY_SECONDS,
        };
        fn by_name(labels: &[String]) -> FxHashMap<&str, u32> {
            labels
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i as u32))
                .collect()
        }
        let ch_names = by_name(&c.channel.values);
        let cp_names = by_name(&c.campaign.values);
        let mut per_channel = vec![[None::<i64>; 3]; c.channel.values.len()];
        let mut per_campaign = vec![[None::<i64>; 3]; c.campaign.values.len()];
        // Campaign rules for all interactions first, so that per-interaction ones overwrite.
        let mut ordered: Vec<&WindowRule> = self.rules.iter().collect();
        ordered.sort_by_key(|r| {
            matches!(
                r,
                WindowRule::Campaign {
                    interaction: Some(_),
                    ..
                }
            )
        });
        for r in ordered {
            match r {
                WindowRule::Group {
                    channel,
                    interaction,
                    window,
                } => {
                    if let Some(&code) = ch_names.get(channel.as_str()) {
                        per_channel[code as usize][interaction.rank() as usize] =
                            Some(conv(window));
                    }
                }
                WindowRule::Campaign {
                    campaign,
                    interaction,
                    window,
                } => {
                    if let Some(&code) = cp_names.get(campaign.as_str()) {
                        match interaction {
                            Some(i) => {
                                per_campaign[code as usize][i.rank() as usize] = Some(conv(window))
                            }
                            None => per_campaign[code as usize] = [Some(conv(window)); 3],
                        }
                    }
                }
            }
        }
        let defaults = self.defaults.map(|d| d.as_ref().map(conv));
        Ok(Resolved {
            per_channel,
            per_campaign,
            defaults,
            mode: self.mode,
        })
    }
}

/// Window lookup tables by channel and campaign code, in the mode's unit (µs in exact mode,
/// days in calendar mode).
pub(crate) struct Resolved {
    per_channel: Vec<[Option<i64>; 3]>,
    per_campaign: Vec<[Option<i64>; 3]>,
    defaults: [Option<i64>; 3],
    pub mode: WindowMode,
}

impl Resolved {
    /// The window of exposure row `i`, or the error naming it.
    pub(crate) fn window(&self, ex: &ExposureTable, i: usize) -> Result<i64> {
        let c = ex.columns();
        let r = c.interaction[i].rank() as usize;
        let (ch, cp) = (c.channel.codes[i] as usize, c.campaign.codes[i] as usize);
        self.per_campaign[cp][r]
            .or(self.per_channel[ch][r])
            .or(self.defaults[r])
            .ok_or_else(|| CesError::InvalidRecord {
                input: "exposures".into(),
                row: Row(Some(i as u64)),
                field: "channel".into(),
                value: format!("{} / {}", c.channel.get(i), c.interaction[i]),
                reason: "no window for this (channel, interaction) and no default declared".into(),
            })
    }
}

/// The local calendar day number (days since 1970-01-01) of `us` in `tz`.
pub(crate) fn local_day(tz: &Tz, us: i64) -> i64 {
    let secs = us.div_euclid(1_000_000);
    let utc = chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .naive_utc();
    let off = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64;
    (secs + off).div_euclid(DAY_SECONDS)
}

/// The UTC offset (seconds east) of `tz` at the instant `secs` (seconds since the epoch).
fn offset_at(tz: &Tz, secs: i64) -> Option<i64> {
    let utc = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
    Some(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64)
}

/// The instant (µs since the epoch, UTC) of the wall-clock time `local` (µs since
/// 1970-01-01 00:00 on the wall clock) in `tz` — how the bindings read time-zone-naive
/// timestamps when told their zone. PostgreSQL's rule for `timestamp AT TIME ZONE`: a time
/// that occurs twice (clocks going back) is the later instant; a time that never occurs
/// (clocks going forward) is read with the offset in force before the jump. `None` out of
/// range.
///
/// ```
/// use ces::attribution::{Tz, local_to_utc};
/// let h = 3_600_000_000i64;
/// let day = 17_846 * 24 * h; // 2018-11-04 on the wall clock
/// // 01:30 happens twice in New York that night: the later (EST, UTC−5) instant.
/// assert_eq!(local_to_utc(&Tz::America__New_York, day + h * 3 / 2), Some(day + h * 13 / 2));
/// ```
pub fn local_to_utc(tz: &Tz, local: i64) -> Option<i64> {
    const MICROS: i64 = 1_000_000;
    if *tz == Tz::UTC {
        return Some(local);
    }
    let secs = local.div_euclid(MICROS);
    let mut valid: Option<i64> = None;
    let mut latest = i64::MIN;
    // The offsets in force around the wall-clock time: transitions are more than a day apart.
    for probe in [secs - 86_400, secs, secs + 86_400] {
        let offset = offset_at(tz, probe)?;
        let utc = secs.checked_sub(offset)?;
        latest = latest.max(utc);
        if offset_at(tz, utc)? == offset {
            valid = Some(valid.map_or(utc, |v| v.max(utc)));
        }
    }
    valid
        .unwrap_or(latest)
        .checked_mul(MICROS)?
        .checked_add(local.rem_euclid(MICROS))
}
