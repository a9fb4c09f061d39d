//! JDE dates and times.
//!
//! JDE stores dates as Julian `CYYDDD` numbers (`(year - 1900) * 1000 + day of year`) and times
//! of day as `HHMMSS` integers, both in the AIS server's local wall-clock time. AIS returns dates
//! as `yyyyMMdd` strings. A row's last-update cursor is the pair `(UPMJ, TDAY)`, and pairs must be
//! compared as pairs: `(d, t) >= (d0, t0)` is `d > d0 || (d == d0 && t >= t0)`, never
//! `d >= d0 && t >= t0` (which drops later days with an earlier time).
use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A JDE Julian date `CYYDDD`. Zero means "no date" in JDE and is not representable here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JulianDate(u32);

impl JulianDate {
    /// Validates a raw `CYYDDD` value.
    pub fn from_raw(raw: u32) -> Result<Self, DomainError> {
        Self::to_civil(raw).map(|_| Self(raw))
    }
    /// The raw `CYYDDD` number.
    pub fn raw(self) -> u32 {
        self.0
    }
    /// The civil date.
    pub fn date(self) -> Date {
        Self::to_civil(self.0).expect("validated on construction")
    }
    fn to_civil(raw: u32) -> Result<Date, DomainError> {
        // `raw` comes from a remote row: every step is checked (a 10-digit value must be
        // refused as a bad date, never overflow).
        let bad = |why: &str| DomainError::invalid("julian date", raw.to_string(), why);
        let year = i16::try_from(raw / 1000)
            .ok()
            .and_then(|c| c.checked_add(1900))
            .filter(|y| *y <= 9999)
            .ok_or_else(|| bad("year out of range"))?;
        let doy = i16::try_from(raw % 1000).map_err(|_| bad("day of year out of range"))?;
        if raw == 0 || doy == 0 {
            return Err(DomainError::invalid(
                "julian date",
                raw.to_string(),
                "day of year is 0",
            ));
        }
        Date::new(year, 1, 1)
            .ok()
            .and_then(|d| {
                d.checked_add(jiff::Span::new().days(i64::from(doy).saturating_sub(1)))
                    .ok()
            })
            .filter(|d| d.year() == year)
            .ok_or_else(|| {
                DomainError::invalid("julian date", raw.to_string(), "day of year out of range")
            })
    }
}

impl From<Date> for JulianDate {
    fn from(d: Date) -> Self {
        // jiff years are -9999..=9999: never overflows; a year before 1900 has no CYYDDD (0).
        let raw = (i32::from(d.year()).checked_sub(1900))
            .and_then(|y| y.checked_mul(1000))
            .and_then(|y| y.checked_add(i32::from(d.day_of_year())));
        JulianDate(raw.and_then(|r| u32::try_from(r).ok()).unwrap_or(0))
    }
}

impl fmt::Display for JulianDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Parses AIS's `yyyyMMdd` date strings (blank or all-zero meaning "no date").
pub fn parse_yyyymmdd(s: &str) -> Result<Option<Date>, DomainError> {
    let t = s.trim();
    if t.is_empty() || t.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    if t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::invalid("date", s, "expected yyyyMMdd"));
    }
    let y: i16 = t[0..4].parse().unwrap_or(0);
    let m: i8 = t[4..6].parse().unwrap_or(0);
    let d: i8 = t[6..8].parse().unwrap_or(0);
    Date::new(y, m, d)
        .map(Some)
        .map_err(|e| DomainError::invalid("date", s, e.to_string()))
}

/// Formats a date as `yyyyMMdd`.
pub fn format_yyyymmdd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// A time of day as JDE stores it: `HHMMSS` (141805 = 14:18:05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Midnight.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// One second before midnight.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(235_959);
    /// Validates a raw `HHMMSS` value.
    pub fn from_raw(raw: u32) -> Result<Self, DomainError> {
        let (h, m, s) = (raw / 10_000, raw / 100 % 100, raw % 100);
        if h > 23 || m > 59 || s > 59 {
            return Err(DomainError::invalid(
                "time of day",
                raw.to_string(),
                "expected HHMMSS",
            ));
        }
        Ok(Self(raw))
    }
    /// The raw `HHMMSS` number.
    pub fn raw(self) -> u32 {
        self.0
    }
    /// As a civil time.
    pub fn time(self) -> Time {
        Time::new(
            (self.0 / 10_000) as i8,
            (self.0 / 100 % 100) as i8,
            (self.0 % 100) as i8,
            0,
        )
        .expect("validated on construction")
    }
}

impl From<Time> for TimeOfDay {
    fn from(t: Time) -> Self {
        // Hours < 24, minutes and seconds < 60: far from overflowing.
        let part = |v: i8| u32::try_from(v).unwrap_or(0);
        TimeOfDay(
            part(t.hour())
                .saturating_mul(10_000)
                .saturating_add(part(t.minute()).saturating_mul(100))
                .saturating_add(part(t.second())),
        )
    }
}

/// The `(UPMJ, TDAY)` pair: when a JDE row was last updated, in the server's wall-clock time.
///
/// The derived ordering compares date first, then time, which is the correct two-column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JdeStamp {
    /// Date last updated.
    pub date: Date,
    /// Time last updated (`00:00:00` when the table has none).
    pub time: TimeOfDay,
}

impl JdeStamp {
    /// Builds a stamp.
    pub fn new(date: Date, time: TimeOfDay) -> Self {
        Self { date, time }
    }
    /// The civil date-time.
    pub fn datetime(self) -> DateTime {
        self.date.to_datetime(self.time.time())
    }
    /// From a civil date-time (sub-second part dropped).
    pub fn from_datetime(dt: DateTime) -> Self {
        Self {
            date: dt.date(),
            time: TimeOfDay::from(dt.time()),
        }
    }
    /// The stamp `d` earlier, computed in wall-clock terms. Lookback windows are applied to wall
    /// clock values on purpose: around a DST fall-back the same wall-clock hour repeats, and the
    /// lookback must cover it (callers use a lookback of more than one hour).
    pub fn minus(self, d: SignedDuration) -> Self {
        Self::from_datetime(self.datetime().checked_sub(d).unwrap_or(DateTime::MIN))
    }
    /// The JDE server's wall-clock time now.
    pub fn now_in(tz: &TimeZone) -> Self {
        Self::from_datetime(Timestamp::now().to_zoned(tz.clone()).datetime())
    }
    /// Text form used to store cursors: `CYYDDD:HHMMSS`, integers exactly as JDE keeps them.
    pub fn to_cursor(self) -> String {
        format!("{}:{:06}", JulianDate::from(self.date), self.time.raw())
    }
    /// Parses [`JdeStamp::to_cursor`] output.
    pub fn from_cursor(s: &str) -> Result<Self, DomainError> {
        let (d, t) = s
            .split_once(':')
            .ok_or_else(|| DomainError::invalid("cursor", s, "expected CYYDDD:HHMMSS"))?;
        let d: u32 = d
            .parse()
            .map_err(|_| DomainError::invalid("cursor", s, "bad date"))?;
        let t: u32 = t
            .parse()
            .map_err(|_| DomainError::invalid("cursor", s, "bad time"))?;
        Ok(Self {
            date: JulianDate::from_raw(d)?.date(),
            time: TimeOfDay::from_raw(t)?,
        })
    }
}

impl fmt::Display for JdeStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.date, self.time.time())
    }
}

/// Formats a date with a Java `SimpleDateFormat`-style pattern, as AIS users have them
/// (`MM/dd/yyyy`, `dd/MM/yyyy`, `yyyy-MM-dd`, `dd.MM.yy`, `yyyyMMdd`...). Supports the
/// letters `y`, `M`, `d` and literal separators.
pub fn format_simple_date(d: Date, pattern: &str) -> String {
    let mut out = String::new();
    for (c, n) in pattern_runs(pattern) {
        match c {
            'y' if n == 2 => out.push_str(&format!("{:02}", d.year().rem_euclid(100))),
            'y' => out.push_str(&format!("{:04}", d.year())),
            'M' => out.push_str(&format!("{:0w$}", d.month(), w = n.min(2))),
            'd' => out.push_str(&format!("{:0w$}", d.day(), w = n.min(2))),
            _ => (0..n).for_each(|_| out.push(c)),
        }
    }
    out
}

/// A pattern as runs of one repeated character: `dd/MM/yyyy` → `d×2 /×1 M×2 /×1 y×4`.
fn pattern_runs(pattern: &str) -> Vec<(char, usize)> {
    let mut runs: Vec<(char, usize)> = Vec::new();
    for c in pattern.chars() {
        match runs.last_mut() {
            Some((last, n)) if *last == c => *n = n.saturating_add(1),
            _ => runs.push((c, 1)),
        }
    }
    runs
}

/// Parses a date written with a `SimpleDateFormat`-style pattern (see [`format_simple_date`]).
/// Two-digit years are read as 20YY. The text comes from AIS: any number in it that does not
/// fit a date is an error, never an overflow.
pub fn parse_simple_date(s: &str, pattern: &str) -> Result<Date, DomainError> {
    let bad = |why: &str| DomainError::invalid("date", s, format!("{why} (format {pattern})"));
    let (mut y, mut m, mut d) = (None, None, None);
    let runs = pattern_runs(pattern);
    let sc: Vec<char> = s.trim().chars().collect();
    // `j` only ever moves forward over `sc`, by at most its length: no overflow.
    let mut j: usize = 0;
    for (k, &(c, n)) in runs.iter().enumerate() {
        if matches!(c, 'y' | 'M' | 'd') {
            // Fixed width when the next pattern char is also a field letter, else read digits.
            let fixed = runs
                .get(k.saturating_add(1))
                .is_some_and(|(next, _)| matches!(next, 'y' | 'M' | 'd'));
            let limit = if fixed {
                if c == 'y' && n != 2 { 4 } else { n.max(2) }
            } else {
                usize::MAX
            };
            let digits: String = sc
                .iter()
                .skip(j)
                .take(limit)
                .take_while(|ch| ch.is_ascii_digit())
                .collect();
            let width = digits.chars().count();
            j = j.saturating_add(width);
            let v: i32 = digits.parse().map_err(|_| bad("missing number"))?;
            match c {
                'y' if width <= 2 => {
                    y = Some(
                        v.checked_add(2000)
                            .ok_or_else(|| bad("year out of range"))?,
                    )
                }
                'y' => y = Some(v),
                'M' => m = Some(v),
                _ => d = Some(v),
            }
        } else {
            for _ in 0..n {
                if sc.get(j) != Some(&c) {
                    return Err(bad("separator does not match"));
                }
                j = j.saturating_add(1);
            }
        }
    }
    if j != sc.len() {
        return Err(bad("trailing characters"));
    }
    let (y, m, d) = (
        y.ok_or_else(|| bad("no year"))?,
        m.ok_or_else(|| bad("no month"))?,
        d.ok_or_else(|| bad("no day"))?,
    );
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(bad("year, month or day out of range"));
    };
    Date::new(y, m, d).map_err(|e| bad(&e.to_string()))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn julian_examples_from_the_reference() {
        assert_eq!(JulianDate::from(date(2000, 1, 1)).raw(), 100_001);
        assert_eq!(JulianDate::from(date(1998, 7, 4)).raw(), 98_185);
        assert_eq!(JulianDate::from(date(2024, 12, 31)).raw(), 124_366);
        assert_eq!(
            JulianDate::from_raw(124_366).unwrap().date(),
            date(2024, 12, 31)
        );
        assert!(JulianDate::from_raw(123_366).is_err());
        assert!(JulianDate::from_raw(0).is_err());
        // Remote garbage is a bad date, never an overflow.
        assert!(JulianDate::from_raw(u32::MAX).is_err());
        assert!(JulianDate::from_raw(40_000_001).is_err());
    }

    #[test]
    fn two_column_order_is_lexicographic() {
        let a = JdeStamp::new(date(2026, 3, 1), TimeOfDay::from_raw(235_900).unwrap());
        let b = JdeStamp::new(date(2026, 3, 2), TimeOfDay::from_raw(10).unwrap());
        assert!(b > a, "a later day with an earlier time is later");
    }

    #[test]
    fn cursor_round_trip() {
        let a = JdeStamp::new(date(2026, 11, 26), TimeOfDay::from_raw(141_805).unwrap());
        assert_eq!(a.to_cursor(), "126330:141805");
        assert_eq!(JdeStamp::from_cursor(&a.to_cursor()).unwrap(), a);
    }

    #[test]
    fn simple_date_formats() {
        let d = date(2026, 3, 7);
        assert_eq!(format_simple_date(d, "MM/dd/yyyy"), "03/07/2026");
        assert_eq!(format_simple_date(d, "dd/MM/yyyy"), "07/03/2026");
        assert_eq!(format_simple_date(d, "yyyy-MM-dd"), "2026-03-07");
        assert_eq!(format_simple_date(d, "dd.MM.yy"), "07.03.26");
        assert_eq!(format_simple_date(d, "yyyyMMdd"), "20260307");
        for p in [
            "MM/dd/yyyy",
            "dd/MM/yyyy",
            "yyyy-MM-dd",
            "dd.MM.yy",
            "yyyyMMdd",
            "d/M/yyyy",
        ] {
            assert_eq!(
                parse_simple_date(&format_simple_date(d, p), p).unwrap(),
                d,
                "{p}"
            );
        }
        assert!(parse_simple_date("2026-03-07", "MM/dd/yyyy").is_err());
    }

    /// A number in an AIS date that does not fit the date's field is an error, never wrapped
    /// into another date (67536 as i16 is 2000, 257 as i8 is 1) nor an overflow.
    #[test]
    fn out_of_range_numbers_in_a_date_are_errors_not_wrapped() {
        assert!(parse_simple_date("01/01/67536", "MM/dd/yyyy").is_err());
        assert!(parse_simple_date("01/257/2026", "MM/dd/yyyy").is_err());
        assert!(parse_simple_date("01/01/99999999999999999999", "MM/dd/yyyy").is_err());
        assert!(parse_simple_date("4294967297/01/2026", "dd/MM/yyyy").is_err());
    }

    #[test]
    fn yyyymmdd() {
        assert_eq!(
            parse_yyyymmdd("20261126").unwrap(),
            Some(date(2026, 11, 26))
        );
        assert_eq!(parse_yyyymmdd("  ").unwrap(), None);
        assert_eq!(parse_yyyymmdd("00000000").unwrap(), None);
        assert!(parse_yyyymmdd("2026-11-26").is_err());
        assert_eq!(format_yyyymmdd(date(2026, 1, 5)), "20260105");
    }

    proptest! {
        #[test]
        fn julian_round_trips(days in 0i64..80_000) {
            let d = date(1950, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            prop_assert_eq!(JulianDate::from_raw(JulianDate::from(d).raw()).unwrap().date(), d);
        }

        #[test]
        fn stamp_order_matches_datetime_order(a in 0i64..10_000_000, b in 0i64..10_000_000) {
            let base = date(2026, 1, 1).to_datetime(Time::midnight());
            let sa = JdeStamp::from_datetime(base.checked_add(SignedDuration::from_secs(a)).unwrap());
            let sb = JdeStamp::from_datetime(base.checked_add(SignedDuration::from_secs(b)).unwrap());
            prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
        }
    }
}
