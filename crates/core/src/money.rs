//! Exact money. Amounts are [`Decimal`]s parsed from text, never floats. Rounding follows the
//! currency's decimals (F0013: JPY 0, USD 2, some 3), and when a total is split over lines the
//! rounding remainder goes to the largest line, so the lines always sum to the total.
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Exact amount.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
}

/// Decimals of well-known currencies, used when F0013 is not available (the simulator and the
/// engine prefer the F0013 value read from JDE).
pub fn default_currency_decimals(code: &str) -> u32 {
    match code {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "HUF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// Rounds half away from zero to `decimals`, the way accountants round.
pub fn round(amount: Decimal, decimals: u32) -> Decimal {
    amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds each amount to `decimals` and puts the difference between the rounded `total` and the
/// sum of the rounded parts on the largest part (by absolute value), so that the parts sum to
/// the rounded total exactly. Returns the rounded parts in their original order, or `None` when
/// the sum of the parts (or the correction) overflows `Decimal` (remote amounts can be that
/// large: the caller quarantines the record naming them).
pub fn round_to_total(parts: &[Decimal], total: Decimal, decimals: u32) -> Option<Vec<Decimal>> {
    let mut out: Vec<Decimal> = parts.iter().map(|p| round(*p, decimals)).collect();
    let sum = out
        .iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))?;
    let diff = round(total, decimals).checked_sub(sum)?;
    if !diff.is_zero() {
        let largest = out
            .iter_mut()
            .enumerate()
            .max_by_key(|(_, v)| v.abs())
            .map(|(_, v)| v);
        if let Some(v) = largest {
            *v = v.checked_add(diff)?;
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounding_puts_remainder_on_largest_line() {
        let parts = [d("33.333"), d("33.333"), d("33.334")];
        let r = round_to_total(&parts, d("100.00"), 2).unwrap();
        assert_eq!(r.iter().copied().sum::<Decimal>(), d("100.00"));
        assert_eq!(r, vec![d("33.33"), d("33.33"), d("33.34")]);
        let yen = round_to_total(&[d("1000.4"), d("2000.4")], d("3001"), 0).unwrap();
        assert_eq!(yen, vec![d("1000"), d("2001")]);
    }

    #[test]
    fn parts_whose_sum_overflows_are_refused_not_a_panic() {
        assert_eq!(
            round_to_total(&[Decimal::MAX, Decimal::MAX], d("1"), 2),
            None
        );
        assert_eq!(round_to_total(&[d("1")], Decimal::MIN, 0), None);
        assert_eq!(round_to_total(&[], d("5"), 2), Some(vec![]));
    }

    #[test]
    fn currency_decimals() {
        assert_eq!(default_currency_decimals("JPY"), 0);
        assert_eq!(default_currency_decimals("USD"), 2);
        assert_eq!(default_currency_decimals("KWD"), 3);
        assert_eq!(round(d("2.345"), 2), d("2.35"));
        assert_eq!(round(d("-2.345"), 2), d("-2.35"));
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_total(cents in proptest::collection::vec(-100_000i64..100_000, 1..20), dec in 0u32..4) {
            let parts: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 3)).collect();
            let total: Decimal = parts.iter().copied().sum();
            let r = round_to_total(&parts, total, dec).unwrap();
            prop_assert_eq!(r.iter().copied().sum::<Decimal>(), round(total, dec));
            for v in r { prop_assert!(v.scale() <= dec.max(v.scale())); }
        }
    }
}
