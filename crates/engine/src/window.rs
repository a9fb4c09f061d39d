//! Cursor windows for polling JDE by `(UPMJ, TDAY)`.
//!
//! The rules (see `docs/flows.md` and the research in `sync-correctness.md`):
//! - the lower bound is **inclusive** and starts `lookback` before the saved cursor, because rows
//!   can share a stamp, can be committed late with an older stamp, and wall-clock time repeats an
//!   hour at the DST fall-back;
//! - the upper bound is **exclusive** and lies `safety_lag` before the JDE server's wall-clock now:
//!   a row stamped later is left for the next poll, so the cursor can never pass a row that is
//!   still being written;
//! - the cursor only moves forward, only to a stamp whose rows were all accepted by the
//!   destination, and only in the store transaction that records that acceptance;
//! - stamps are compared as pairs (date, then time), never column by column.
use jiff::civil::Date;
use mlc_core::jdetime::JdeStamp;

use crate::settings::WindowSettings;

/// The rows one poll reads: `lo <= (UPMJ, TDAY) < hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive lower bound, `None` on the first sync (whole history).
    pub lo: Option<JdeStamp>,
    /// Exclusive upper bound.
    pub hi: JdeStamp,
}

impl Window {
    /// The window for a saved cursor at the JDE server's wall-clock `now`.
    pub fn new(cursor: Option<JdeStamp>, now_local: JdeStamp, w: &WindowSettings) -> Self {
        let hi = now_local.minus(w.safety_lag);
        let lo = cursor.map(|c| c.minus(w.lookback).min(hi));
        Self { lo, hi }
    }
    /// True when a row stamped `s` belongs to this poll.
    pub fn contains(&self, s: JdeStamp) -> bool {
        self.lo.is_none_or(|lo| s >= lo) && s < self.hi
    }
    /// First date to ask AIS for (`UPMJ >= date`), if bounded.
    pub fn first_date(&self) -> Option<Date> {
        self.lo.map(|lo| lo.date)
    }
    /// Last date to ask AIS for (`UPMJ <= date`).
    pub fn last_date(&self) -> Date {
        self.hi.date
    }
}

/// The cursor after rows up to `committed_max` were all accepted: never backwards, never at or
/// past the window's upper bound.
pub fn advance(
    old: Option<JdeStamp>,
    committed_max: Option<JdeStamp>,
    window: &Window,
) -> Option<JdeStamp> {
    let capped = committed_max.map(|c| {
        if c >= window.hi {
            window.hi.minus(jiff::SignedDuration::from_secs(1))
        } else {
            c
        }
    });
    match (old, capped) {
        (Some(o), Some(c)) => Some(o.max(c)),
        (o, c) => o.or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;
    use jiff::{SignedDuration, Timestamp};
    use mlc_core::jdetime::TimeOfDay;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn st(d: Date, hms: u32) -> JdeStamp {
        JdeStamp::new(d, TimeOfDay::from_raw(hms).unwrap())
    }

    #[test]
    fn window_uses_pairs_not_columns() {
        let d = jiff::civil::date(2026, 3, 1);
        let w = Window::new(
            Some(st(d, 230_000)),
            st(d.tomorrow().unwrap(), 120_000),
            &WindowSettings::default(),
        );
        assert_eq!(w.lo, Some(st(d, 210_000)));
        // next day, earlier time of day: inside (the classic column-by-column bug drops it)
        assert!(w.contains(st(d.tomorrow().unwrap(), 10_000)));
        assert!(!w.contains(st(d, 205_959)));
        // too recent: left for the next poll
        assert!(!w.contains(st(d.tomorrow().unwrap(), 115_900)));
    }

    #[test]
    fn advance_never_moves_back_or_past_hi() {
        let d = jiff::civil::date(2026, 3, 1);
        let w = Window {
            lo: None,
            hi: st(d, 120_000),
        };
        assert_eq!(
            advance(Some(st(d, 110_000)), Some(st(d, 100_000)), &w),
            Some(st(d, 110_000))
        );
        assert_eq!(
            advance(None, Some(st(d, 130_000)), &w),
            Some(st(d, 115_959))
        );
        assert_eq!(advance(Some(st(d, 1)), None, &w), Some(st(d, 1)));
    }

    /// One update of a row in the simulated JDE table: at real time `at` the row `key` gets
    /// version `version`, stamped with the server's wall-clock time at `at`, and becomes visible to
    /// readers only at `at + delay` (a long transaction).
    #[derive(Debug, Clone)]
    struct Update {
        at: i64,
        delay: i64,
        key: u8,
        version: u32,
    }

    fn wall(tz: &TimeZone, t: i64) -> JdeStamp {
        JdeStamp::from_datetime(
            Timestamp::from_second(t)
                .unwrap()
                .to_zoned(tz.clone())
                .datetime(),
        )
    }

    /// Runs polls at the given times over the history, crashing (sending but not committing)
    /// where asked, and returns (final destination state, sends of an already-delivered version).
    fn simulate(
        updates: &[Update],
        polls: &[(i64, bool)],
        tz: &TimeZone,
        ws: &WindowSettings,
    ) -> (HashMap<u8, u32>, u32, Option<JdeStamp>) {
        let mut dest: HashMap<u8, u32> = HashMap::new();
        let mut ledger: HashMap<u8, u32> = HashMap::new();
        let mut cursor: Option<JdeStamp> = None;
        let mut resends = 0;
        for (now, crash) in polls {
            // visible rows: latest visible version of each key
            let mut rows: HashMap<u8, (JdeStamp, u32)> = HashMap::new();
            for u in updates.iter().filter(|u| u.at + u.delay <= *now) {
                let s = wall(tz, u.at);
                let e = rows.entry(u.key).or_insert((s, u.version));
                if u.version >= e.1 {
                    *e = (s, u.version);
                }
            }
            let w = Window::new(cursor, wall(tz, *now), ws);
            let mut batch: Vec<(u8, JdeStamp, u32)> = rows
                .into_iter()
                .filter(|(_, (s, _))| w.contains(*s))
                .map(|(k, (s, v))| (k, s, v))
                .collect();
            batch.sort_by_key(|(k, s, _)| (*s, *k));
            let mut max = None;
            for (k, s, v) in &batch {
                if ledger.get(k) != Some(v) {
                    if dest.get(k) == Some(v) {
                        resends += 1;
                    }
                    dest.insert(*k, *v);
                }
                max = Some(*s);
            }
            if !crash {
                for (k, _, v) in &batch {
                    ledger.insert(*k, *v);
                }
                let old = cursor;
                cursor = advance(cursor, max, &w);
                // Only a DST fall-back can leave the old cursor above hi; it never moves up to hi.
                assert!(
                    cursor == old || cursor.is_some_and(|c| c < w.hi),
                    "cursor {cursor:?} reached hi {}",
                    w.hi
                );
            }
        }
        (dest, resends, cursor)
    }

    fn histories() -> impl Strategy<Value = (Vec<Update>, Vec<(i64, bool)>)> {
        // Times in seconds over ~2 days around the US DST fall-back of 2026-11-01 (Chicago).
        let base = 1_793_400_000i64; // 2026-10-31T..Z
        let updates = proptest::collection::vec(
            // coarse times so many updates share a stamp
            (
                (0i64..3_000).prop_map(move |x| base + x * 60),
                0i64..90,
                0u8..12,
            ),
            1..60,
        );
        let polls = proptest::collection::vec(
            (
                (0i64..3_200).prop_map(move |x| base + x * 60),
                proptest::bool::weighted(0.2),
            ),
            1..25,
        );
        (updates, polls).prop_map(|(u, mut p)| {
            let mut ups: Vec<Update> = u
                .into_iter()
                .enumerate()
                .map(|(i, (at, delay, key))| Update {
                    at,
                    delay,
                    key,
                    version: i as u32 + 1,
                })
                .collect();
            ups.sort_by_key(|u| u.at);
            for (i, u) in ups.iter_mut().enumerate() {
                u.version = i as u32 + 1;
            }
            p.sort_by_key(|x| x.0);
            (ups, p)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Every key ends with its final version once a clean poll runs after the history, with
        /// equal stamps, late commits (< safety lag), DST fall-back and crashes between send and
        /// commit; the cursor never reaches a poll's upper bound.
        #[test]
        fn nothing_is_lost((updates, mut polls) in histories()) {
            let tz = TimeZone::get("America/Chicago").unwrap();
            let ws = WindowSettings { lookback: SignedDuration::from_mins(130), safety_lag: SignedDuration::from_mins(2), invoice_lookback: SignedDuration::from_mins(10) };
            let last = updates.iter().map(|u| u.at + u.delay).max().unwrap_or(0);
            // The closing poll must come after wall-clock time has passed every stamp: at the
            // DST fall-back, an hour after an update stamped 01:00 CDT the clock reads 01:00 CST
            // again, and the row is (rightly) still above the window. Two hours always suffice.
            polls.push((last + 2 * 3_600 + 300, false));
            let (dest, _resends, _) = simulate(&updates, &polls, &tz, &ws);
            let mut fin: HashMap<u8, u32> = HashMap::new();
            for u in &updates { fin.insert(u.key, u.version); }
            prop_assert_eq!(dest, fin);
        }

        /// Without crashes, a version already delivered and committed is never sent again.
        #[test]
        fn no_resends_without_crashes((updates, polls) in histories()) {
            let tz = TimeZone::get("America/Chicago").unwrap();
            let ws = WindowSettings::default();
            let clean: Vec<(i64, bool)> = polls.into_iter().map(|(t, _)| (t, false)).collect();
            let (_, resends, _) = simulate(&updates, &clean, &tz, &ws);
            prop_assert_eq!(resends, 0);
        }
    }
}
