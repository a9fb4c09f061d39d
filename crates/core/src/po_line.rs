//! One rule for a JDE PO line number (`LNID`) where a format only allows unsigned integers.
//!
//! JDE's `LNID` is a decimal with three implied places: AIS returns `1`, `1.5` or `2.125`, and
//! the database stores `1000`, `1500`, `2125`. cXML's `ItemOut@lineNumber` and
//! `InvoiceDetailItemReference@lineNumber` are unsigned integers (the DTD says so), so a line
//! `1.5` cannot be sent as it is. The rule, used by the cXML order writer and the invoice reader
//! alike, is JDE's own stored form: **cXML line number = LNID × 1000**, and back LNID = line
//! number / 1000. It is exact and reversible for every LNID JDE can hold (0.001 to 999999.999),
//! so an invoice line always names the PO line it was ordered as.
//!
//! J1P JSON and the XML channel carry decimals, so they send the LNID as AIS returns it.

use rust_decimal::Decimal;

/// Scale between the LNID AIS returns and the integer JDE stores.
const SCALE: u32 = 1000;

/// The cXML line number of a JDE line: `1` → `1000`, `1.5` → `1500`. `None` when the LNID is
/// not positive, has more than three decimals, or is too large for JDE (more than 6 digits
/// before the point).
pub fn lnid_to_line_number(lnid: Decimal) -> Option<u32> {
    if lnid <= Decimal::ZERO {
        return None;
    }
    let scaled = lnid.checked_mul(Decimal::from(SCALE))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    let n: u32 = scaled.trunc().try_into().ok()?;
    (n <= 999_999_999).then_some(n)
}

/// The JDE LNID a cXML line number names: `1000` → `1`, `1500` → `1.5`. `None` for `0` and for
/// numbers beyond what JDE can store.
pub fn line_number_to_lnid(line_number: u32) -> Option<Decimal> {
    if line_number == 0 || line_number > 999_999_999 {
        return None;
    }
    Some(
        Decimal::from(line_number)
            .checked_div(Decimal::from(SCALE))?
            .normalize(),
    )
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn examples() {
        for (lnid, n) in [
            ("1", 1000),
            ("1.5", 1500),
            ("2.125", 2125),
            ("0.001", 1),
            ("999999.999", 999_999_999),
        ] {
            assert_eq!(lnid_to_line_number(d(lnid)), Some(n), "{lnid}");
            assert_eq!(line_number_to_lnid(n), Some(d(lnid)), "{n}");
        }
    }

    #[test]
    fn refuses_what_jde_cannot_hold() {
        for lnid in ["0", "-1", "1.0005", "1000000"] {
            assert_eq!(lnid_to_line_number(d(lnid)), None, "{lnid}");
        }
        assert_eq!(line_number_to_lnid(0), None);
        assert_eq!(line_number_to_lnid(1_000_000_000), None);
    }

    #[test]
    fn round_trips_every_small_line() {
        for n in (1..=20_000).step_by(7) {
            let lnid = line_number_to_lnid(n).unwrap();
            assert_eq!(lnid_to_line_number(lnid), Some(n));
        }
    }
}
