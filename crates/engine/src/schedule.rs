//! When a tenant's next cycle is due: every `poll_interval`, or on a cron `schedule` evaluated
//! in the tenant's `jde_timezone` (so "02:00" means 02:00 next to the AIS server, across DST),
//! and how long a failing tenant backs off.
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// A tenant's schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every interval.
    Every(SignedDuration),
    /// A cron expression in a time zone.
    Cron {
        /// The parsed expression.
        cron: Box<croner::Cron>,
        /// Its time zone.
        tz: TimeZone,
    },
}

impl Schedule {
    /// Parses a 5-field cron expression (`*/5 * * * *`) in `tz`.
    pub fn cron(expr: &str, tz: TimeZone) -> Result<Self, String> {
        let cron: croner::Cron = expr
            .parse()
            .map_err(|e| format!("invalid cron schedule {expr:?}: {e}"))?;
        Ok(Schedule::Cron {
            cron: Box::new(cron),
            tz,
        })
    }

    /// The first due time strictly after `t`.
    pub fn next_after(&self, t: Timestamp) -> Timestamp {
        match self {
            Schedule::Every(d) => t + *d,
            Schedule::Cron { cron, tz } => {
                // croner works on chrono date-times; we give it the wall-clock time of `tz` as
                // if it were UTC, and turn its answer back into an instant in `tz` (a wall-clock
                // time skipped by DST resolves to the instant just after the gap).
                let wall = t.to_zoned(tz.clone()).datetime();
                let naive = chrono::NaiveDate::from_ymd_opt(
                    i32::from(wall.year()),
                    wall.month() as u32,
                    wall.day() as u32,
                )
                .and_then(|d| {
                    d.and_hms_opt(
                        wall.hour() as u32,
                        wall.minute() as u32,
                        wall.second() as u32,
                    )
                })
                .map(|n| n.and_utc());
                let next = naive.and_then(|n| cron.find_next_occurrence(&n, false).ok());
                match next {
                    Some(n) => {
                        let dt = jiff::civil::DateTime::new(
                            n.format("%Y").to_string().parse().unwrap_or(1970),
                            n.format("%m").to_string().parse().unwrap_or(1),
                            n.format("%d").to_string().parse().unwrap_or(1),
                            n.format("%H").to_string().parse().unwrap_or(0),
                            n.format("%M").to_string().parse().unwrap_or(0),
                            0,
                            0,
                        );
                        dt.ok()
                            .and_then(|dt| dt.to_zoned(tz.clone()).ok())
                            .map(|z| z.timestamp())
                            .filter(|n| *n > t)
                            .unwrap_or(t + SignedDuration::from_mins(1))
                    }
                    None => t + SignedDuration::from_hours(1),
                }
            }
        }
    }
}

/// Back-off after `failures` failed cycles in a row: the interval doubled per failure, at least
/// 30 s, at most one hour, so a broken tenant is retried but never hammers the servers.
pub fn backoff(failures: u32, interval: SignedDuration) -> SignedDuration {
    let base = interval.max(SignedDuration::from_secs(30));
    let factor = 2i32.saturating_pow(failures.min(10));
    (base * factor).min(SignedDuration::from_hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_schedule() {
        let t: Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
        assert_eq!(
            Schedule::Every(SignedDuration::from_mins(5)).next_after(t),
            "2026-11-26T10:05:00Z".parse().unwrap()
        );
    }

    #[test]
    fn cron_is_evaluated_in_the_tenant_time_zone() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let s = Schedule::cron("0 2 * * *", tz).unwrap();
        // 2026-11-26 10:00 UTC = 04:00 in Chicago; next 02:00 Chicago = 08:00 UTC next day.
        let t: Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
        assert_eq!(s.next_after(t), "2026-11-27T08:00:00Z".parse().unwrap());
        let every5 = Schedule::cron("*/5 * * * *", TimeZone::UTC).unwrap();
        assert_eq!(
            every5.next_after("2026-11-26T10:01:30Z".parse().unwrap()),
            "2026-11-26T10:05:00Z".parse().unwrap()
        );
        assert!(Schedule::cron("not a cron", TimeZone::UTC).is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let i = SignedDuration::from_mins(5);
        assert_eq!(backoff(0, i), i);
        assert_eq!(backoff(1, i), SignedDuration::from_mins(10));
        assert_eq!(backoff(20, i), SignedDuration::from_hours(1));
    }
}
