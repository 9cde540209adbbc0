//! Calendar dates in a named report time zone.
//!
//! A report date is a calendar date ([`Date`]) in the client's report zone, an IANA name
//! (default `America/New_York`). Instants (timestamps) become report dates through
//! [`ReportZone::date_of`], which follows daylight-saving changes: the New York day of
//! 2025-11-02 runs from 04:00 UTC to 05:00 UTC the next day (25 hours). Everflow's epoch
//! seconds are *not* instants in the report zone: they are 00:00 UTC of the report date and
//! are converted in UTC ([`everflow_date`]).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{CesError, Result, error::Row};

/// A calendar date.
pub type Date = NaiveDate;

/// The report time zone: an IANA zone that turns instants into report dates and report dates
/// into the instants that bound them.
///
/// ```
/// use ces::cpa::{Date, ReportZone};
/// let ny = ReportZone::new("America/New_York").unwrap();
/// let (start, end) = ny.day_bounds(Date::from_ymd_opt(2025, 11, 2).unwrap());
/// assert_eq!(start.to_rfc3339(), "2025-11-02T04:00:00+00:00");
/// assert_eq!((end - start).num_hours(), 25); // the clocks fall back that night
/// assert!(ReportZone::new("America/Gotham").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportZone {
    tz: Tz,
}

impl Default for ReportZone {
    fn default() -> Self {
        ReportZone {
            tz: chrono_tz::America::New_York,
        }
    }
}

impl ReportZone {
    /// The default report zone's name.
    pub const DEFAULT_NAME: &'static str = "America/New_York";

    /// A zone by IANA name (`"America/New_York"`, `"Europe/Berlin"`, `"UTC"`).
    pub fn new(name: &str) -> Result<ReportZone> {
        name.trim()
            .parse::<Tz>()
            .map(|tz| ReportZone { tz })
            .map_err(|_| CesError::InvalidArgument {
                row: Row(None),
                field: "zone".into(),
                value: format!("{name:?}"),
                reason: "not an IANA time zone name".into(),
            })
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.tz.name()
    }

    /// The report date of an instant.
    ///
    /// ```
    /// use ces::cpa::ReportZone;
    /// use chrono::{TimeZone, Utc};
    /// let ny = ReportZone::default();
    /// // 03:30 UTC is still the previous evening in New York, in summer and in winter.
    /// assert_eq!(ny.date_of(Utc.with_ymd_and_hms(2025, 11, 2, 3, 30, 0).unwrap()).to_string(), "2025-11-01");
    /// assert_eq!(ny.date_of(Utc.with_ymd_and_hms(2025, 11, 3, 4, 30, 0).unwrap()).to_string(), "2025-11-02");
    /// ```
    pub fn date_of(&self, instant: DateTime<Utc>) -> Date {
        instant.with_timezone(&self.tz).date_naive()
    }

    /// "Today" in the report zone at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> Date {
        self.date_of(now)
    }

    /// The instant a local wall-clock time happens on `date`: the earlier one when the clocks
    /// fall back (the time happens twice), the first instant after the gap when they spring
    /// forward (the time does not exist). This is what a daily schedule ("every day at 06:00
    /// New York time") must use.
    ///
    /// ```
    /// use ces::cpa::{Date, ReportZone};
    /// use chrono::NaiveTime;
    /// let ny = ReportZone::default();
    /// let six = NaiveTime::from_hms_opt(6, 0, 0).unwrap();
    /// assert_eq!(ny.at(Date::from_ymd_opt(2025, 11, 1).unwrap(), six).to_rfc3339(), "2025-11-01T10:00:00+00:00");
    /// assert_eq!(ny.at(Date::from_ymd_opt(2025, 11, 3).unwrap(), six).to_rfc3339(), "2025-11-03T11:00:00+00:00");
    /// // 02:30 does not exist on 2025-03-09 in New York: the clocks jump to 03:00.
    /// let t = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
    /// assert_eq!(ny.at(Date::from_ymd_opt(2025, 3, 9).unwrap(), t).to_rfc3339(), "2025-03-09T07:00:00+00:00");
    /// ```
    pub fn at(&self, date: Date, time: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(time);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: the first local minute that exists is the end of the gap.
                let mut probe = local;
                for _ in 0..(24 * 60) {
                    probe += Duration::minutes(1);
                    if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                        return t.with_timezone(&Utc);
                    }
                }
                Utc.from_utc_datetime(&local)
            }
        }
    }

    /// The instants `[start, end)` of a report date (23, 24 or 25 hours long).
    pub fn day_bounds(&self, date: Date) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.at(date, NaiveTime::MIN);
        let next = date.succ_opt().unwrap_or(date);
        (start, self.at(next, NaiveTime::MIN))
    }

    /// The last `days` report dates ending with today (inclusive) at `now`.
    pub fn last_days(&self, now: DateTime<Utc>, days: u32) -> DateRange {
        let end = self.today(now);
        let start = end - Duration::days(i64::from(days.max(1)) - 1);
        DateRange { start, end }
    }
}

/// An inclusive range of report dates.
///
/// ```
/// use ces::cpa::{Date, DateRange};
/// let r = DateRange::new(Date::from_ymd_opt(2025, 11, 1).unwrap(), Date::from_ymd_opt(2025, 11, 30).unwrap()).unwrap();
/// assert!(r.contains(Date::from_ymd_opt(2025, 11, 30).unwrap()));
/// assert_eq!(r.days(), 30);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DateRange {
    /// First date.
    pub start: Date,
    /// Last date (inclusive).
    pub end: Date,
}

impl DateRange {
    /// `start..=end`; an error when `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Result<DateRange> {
        if end < start {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "range".into(),
                value: format!("{start}..{end}"),
                reason: "the end is before the start".into(),
            });
        }
        Ok(DateRange { start, end })
    }

    /// Is `d` inside?
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }

    /// Number of dates.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

/// A reporting period for roll-ups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One report date.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// The first date of the period containing `d`.
    ///
    /// ```
    /// use ces::cpa::{Date, Period};
    /// let d = Date::from_ymd_opt(2025, 11, 2).unwrap(); // a Sunday
    /// assert_eq!(Period::Week.start(d).to_string(), "2025-10-27");
    /// assert_eq!(Period::Month.start(d).to_string(), "2025-11-01");
    /// ```
    pub fn start(&self, d: Date) -> Date {
        match self {
            Period::Day => d,
            Period::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            Period::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// Parses `day`, `week` or `month`.
    pub fn parse(name: &str) -> Result<Period> {
        match name.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Period::Day),
            "week" | "weekly" => Ok(Period::Week),
            "month" | "monthly" => Ok(Period::Month),
            _ => Err(CesError::InvalidArgument {
                row: Row(None),
                field: "period".into(),
                value: format!("{name:?}"),
                reason: "expected day, week or month".into(),
            }),
        }
    }

    /// The name (`day`, `week`, `month`).
    pub fn name(&self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// The report date of an Everflow `date` column id: epoch seconds at 00:00 UTC of that date,
/// converted in UTC (converting in a local zone shifts it a day west of Greenwich). Anything
/// that is not midnight UTC is rejected: it means the report was requested in another zone.
///
/// ```
/// assert_eq!(ces::cpa::everflow_date(1733097600).unwrap().to_string(), "2024-12-02");
/// assert!(ces::cpa::everflow_date(1733097600 + 3600).is_err());
/// ```
pub fn everflow_date(epoch_seconds: i64) -> std::result::Result<Date, String> {
    if epoch_seconds.rem_euclid(86_400) != 0 {
        return Err(
            "not 00:00 UTC of a date (was the report requested in another time zone?)".into(),
        );
    }
    DateTime::<Utc>::from_timestamp(epoch_seconds, 0)
        .map(|t| t.date_naive())
        .ok_or_else(|| "out of range".into())
}

/// Parses a date field: `YYYY-MM-DD` (a calendar date, taken as it is), an RFC 3339
/// timestamp with an offset (an instant, converted to the report zone; its epoch seconds are
/// returned too), or a local `YYYY-MM-DD HH:MM[:SS]` / `YYYY-MM-DDTHH:MM[:SS]` without an
/// offset (already report-zone wall-clock time: its date part). This is what the Redtrack
/// reader does with a `date` field.
///
/// ```
/// use ces::cpa::{parse_date_text, ReportZone};
/// let ny = ReportZone::default();
/// let (d, stamp) = parse_date_text("2025-11-03T04:30:00Z", &ny).unwrap();
/// assert_eq!((d.to_string(), stamp), ("2025-11-02".to_string(), Some(1762144200)));
/// assert!(parse_date_text("03/11/2025", &ny).is_err());
/// ```
pub fn parse_date_text(
    text: &str,
    zone: &ReportZone,
) -> std::result::Result<(Date, Option<i64>), String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok((d, None));
    }
    if let Ok(ts) = DateTime::parse_from_rfc3339(t) {
        let utc = ts.with_timezone(&Utc);
        return Ok((zone.date_of(utc), Some(utc.timestamp())));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Ok((dt.date(), None));
        }
    }
    Err("not a date (expected YYYY-MM-DD or an RFC 3339 timestamp)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_lengths_across_dst() {
        let ny = ReportZone::default();
        let len = |y, m, d| {
            let (s, e) = ny.day_bounds(Date::from_ymd_opt(y, m, d).unwrap());
            (e - s).num_hours()
        };
        assert_eq!(len(2025, 3, 9), 23);
        assert_eq!(len(2025, 3, 10), 24);
        assert_eq!(len(2025, 11, 2), 25);
        assert_eq!(len(2025, 11, 3), 24);
    }

    #[test]
    fn dates_parse() {
        let ny = ReportZone::default();
        assert_eq!(
            parse_date_text("2025-11-02", &ny).unwrap().0.to_string(),
            "2025-11-02"
        );
        assert_eq!(
            parse_date_text("2025-11-03T04:30:00Z", &ny)
                .unwrap()
                .0
                .to_string(),
            "2025-11-02"
        );
        assert_eq!(
            parse_date_text("2025-11-02T03:30:00Z", &ny)
                .unwrap()
                .0
                .to_string(),
            "2025-11-01"
        );
        assert_eq!(
            parse_date_text("2025-11-02 23:59:00", &ny)
                .unwrap()
                .0
                .to_string(),
            "2025-11-02"
        );
        assert!(parse_date_text("02/11/2025", &ny).is_err());
        assert!(parse_date_text("2025-02-30", &ny).is_err());
    }
}
