//! Typed identifiers. Each id is its own type so an AN8 can never be passed where a JAGGAER
//! `bravoId` is expected.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A tenant id as written in the config: `[a-z0-9-]+`, 1..=40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// Parses and validates a tenant id.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() || raw.len() > 40 {
            return Err(DomainError::invalid(
                "tenant id",
                raw,
                "must be 1 to 40 characters",
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(DomainError::invalid(
                "tenant id",
                raw,
                "only lower-case letters, digits and '-' are allowed",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TenantId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// JDE address number (AN8): suppliers, companies, ship-to addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AddressNumber(pub u64);

impl fmt::Display for AddressNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for AddressNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        t.parse::<u64>()
            .ok()
            .filter(|n| *n > 0 && *n <= 99_999_999)
            .map(AddressNumber)
            .ok_or_else(|| DomainError::invalid("address number", s, "expected 1 to 8 digits"))
    }
}

/// A JAGGAER object id (`bravoId`, `poId`, `invoiceId`): numeric on the wire, kept as text so a
/// customer whose ids are not numbers still works.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JaggaerId(pub String);

impl fmt::Display for JaggaerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for JaggaerId {
    fn from(v: i64) -> Self {
        JaggaerId(v.to_string())
    }
}

/// The key of a JDE purchase order: company, order type, number (suffix kept for completeness).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderKey {
    /// Order company (KCOO), e.g. `00200`.
    pub kcoo: String,
    /// Order type (DCTO), e.g. `OP`.
    pub dcto: String,
    /// Order number (DOCO).
    pub doco: u64,
    /// Order suffix (SFXO), usually `000`.
    pub sfxo: String,
}

impl OrderKey {
    /// A key with the usual `000` suffix.
    pub fn new(kcoo: impl Into<String>, dcto: impl Into<String>, doco: u64) -> Self {
        Self {
            kcoo: kcoo.into(),
            dcto: dcto.into(),
            doco,
            sfxo: "000".into(),
        }
    }
}

/// `KCOO-DCTO-DOCO`, the JAGGAER `poNumber` and the key shown by `audit`.
impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.kcoo, self.dcto, self.doco)
    }
}

impl FromStr for OrderKey {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut it = s.splitn(3, '-');
        match (it.next(), it.next(), it.next()) {
            (Some(k), Some(t), Some(n)) if !k.is_empty() && !t.is_empty() => {
                let doco = n.parse().map_err(|_| {
                    DomainError::invalid("order key", s, "order number is not a number")
                })?;
                Ok(OrderKey::new(k, t, doco))
            }
            _ => Err(DomainError::invalid(
                "order key",
                s,
                "expected KCOO-DCTO-DOCO",
            )),
        }
    }
}

/// Business unit (MCU) without its padding blanks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BusinessUnitCode(pub String);

impl BusinessUnitCode {
    /// Trims JDE's right-justification blanks.
    pub fn new(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }
}

impl fmt::Display for BusinessUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JDE account in `BU.OBJ.SUB` form (`BU.OBJ` when the subsidiary is blank).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountNumber {
    /// Business unit, trimmed.
    pub bu: String,
    /// Object account.
    pub obj: String,
    /// Subsidiary, empty when blank.
    pub sub: String,
}

impl AccountNumber {
    /// Builds from the three parts, trimming JDE's blanks.
    pub fn new(bu: &str, obj: &str, sub: &str) -> Self {
        Self {
            bu: bu.trim().into(),
            obj: obj.trim().into(),
            sub: sub.trim().into(),
        }
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sub.is_empty() {
            write!(f, "{}.{}", self.bu, self.obj)
        } else {
            write!(f, "{}.{}.{}", self.bu, self.obj, self.sub)
        }
    }
}

impl FromStr for AccountNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let ok = |p: &str| !p.trim().is_empty() && p.trim().len() <= 12;
        match parts.as_slice() {
            [bu, obj] if ok(bu) && ok(obj) => Ok(Self::new(bu, obj, "")),
            [bu, obj, sub] if ok(bu) && ok(obj) => Ok(Self::new(bu, obj, sub)),
            _ => Err(DomainError::invalid(
                "account",
                s,
                "expected BU.OBJ or BU.OBJ.SUB",
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_validated() {
        assert!(TenantId::parse("acme-2").is_ok());
        assert!(TenantId::parse("Acme").is_err());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("a b").is_err());
    }

    #[test]
    fn order_key_round_trips() {
        let k: OrderKey = "00200-OP-4711".parse().unwrap();
        assert_eq!(k, OrderKey::new("00200", "OP", 4711));
        assert_eq!(k.to_string(), "00200-OP-4711");
        assert!("00200-OP".parse::<OrderKey>().is_err());
    }

    #[test]
    fn accounts_print_without_blank_subsidiary() {
        assert_eq!(
            AccountNumber::new("  100", "6210", " ").to_string(),
            "100.6210"
        );
        assert_eq!("100.6210.01".parse::<AccountNumber>().unwrap().sub, "01");
        assert!("100".parse::<AccountNumber>().is_err());
    }

    #[test]
    fn address_numbers_parse() {
        assert_eq!(
            " 4242 ".parse::<AddressNumber>().unwrap(),
            AddressNumber(4242)
        );
        assert!("x".parse::<AddressNumber>().is_err());
        assert!("0".parse::<AddressNumber>().is_err());
    }
}
