//! Payee safety: bank details are never read or synced (JAGGAER pays nobody; JDE pays from its
//! own supplier bank records, F0030, which the connector never touches), but a change of *who*
//! is paid, or of where, between an invoice's approval in JAGGAER and its voucher is the classic
//! shape of payment fraud ("please send future payments to our new address"). Such a voucher is
//! still posted (AP's payment run is the control point), flagged on its audit trail and raised
//! as a `payee_changed` alert.
//!
//! The payee of a supplier is F0101's Factor/Special Payee (`[tenants.jde] payee_column`,
//! default `AN86`), or the supplier itself when that is blank. "Changed" is read from JDE's own
//! stamps: the supplier's F0101 row (which holds the payee; JDE stamps the row on any change of
//! it, so this errs on the side of flagging) and the payee's F0116 address rows (an update, or an
//! address that took effect), compared with the invoice's approval, taken as the `lastUpdate`
//! of the version being posted (J1P publishes no approval time: assumed).
use jiff::Timestamp;
use jiff::tz::TimeZone;
use mlc_core::ids::AddressNumber;
use mlc_core::jdetime::JdeStamp;
use serde::{Deserialize, Serialize};

/// The store cursor holding the newest flag, which the alert monitor reads.
pub const FLAG_CURSOR: &str = "alerts/payee-changed";

/// Audit action of a flagged voucher.
pub const ACTION: &str = "payee-changed";

/// What JDE says about the payee of one supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeState {
    /// The supplier.
    pub supplier: AddressNumber,
    /// Its payee: the special payee, or the supplier itself.
    pub payee: AddressNumber,
    /// The latest JDE stamp of the supplier's F0101 row and the payee's F0116 rows (an
    /// address's EFTB counts from the day it took effect), in JDE's wall-clock time.
    pub changed: Option<JdeStamp>,
}

impl PayeeState {
    /// Whether the payee or its address changed after `approved` (JDE stamps read in `tz`).
    pub fn changed_after(&self, approved: Timestamp, tz: &TimeZone) -> bool {
        self.changed
            .and_then(|s| s.datetime().to_zoned(tz.clone()).ok())
            .is_some_and(|z| z.timestamp() > approved)
    }
}

/// The newest flag, kept for the alert monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayeeFlag {
    /// When it was flagged.
    pub at: Timestamp,
    /// The invoice record.
    pub record: String,
    /// For humans.
    pub message: String,
}

impl PayeeFlag {
    /// The flag stored in [`FLAG_CURSOR`] (none when absent or unreadable).
    pub fn latest(raw: Option<&str>) -> Option<Self> {
        raw.and_then(|r| serde_json::from_str(r).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlc_core::jdetime::TimeOfDay;

    #[test]
    fn a_change_counts_only_after_the_approval_in_jde_time() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        // Approved 2026-03-02 15:00 UTC = 09:00 in Chicago.
        let approved: Timestamp = "2026-03-02T15:00:00Z".parse().unwrap();
        let at = |h: u32, m: u32| {
            Some(JdeStamp::new(
                jiff::civil::date(2026, 3, 2),
                TimeOfDay::from_raw(h * 10_000 + m * 100).unwrap(),
            ))
        };
        let state = |changed| PayeeState {
            supplier: AddressNumber(1),
            payee: AddressNumber(1),
            changed,
        };
        // (JDE stamp, flagged)
        for (changed, want) in [
            (at(8, 59), false),
            (at(9, 0), false),
            (at(9, 1), true),
            (None, false),
        ] {
            assert_eq!(
                state(changed).changed_after(approved, &tz),
                want,
                "{changed:?}"
            );
        }
        let flag = PayeeFlag {
            at: approved,
            record: "invoice:acme:1".into(),
            message: "m".into(),
        };
        let text = serde_json::to_string(&flag).unwrap();
        assert_eq!(PayeeFlag::latest(Some(&text)), Some(flag));
        assert_eq!(PayeeFlag::latest(Some("garbage")), None);
    }
}
