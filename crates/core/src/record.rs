//! Entities and record keys. A record key names one record for the ledger, the audit trail and
//! the quarantine: `po:acme:00200-OP-4711`, `invoice:acme:98765`, `supplier:acme:4242`.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::ids::TenantId;

/// What a sync cycle moves, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entity {
    /// JDE suppliers (F0401/F0101/F0116/F01151) into JAGGAER supplier profiles.
    Suppliers,
    /// GL accounts (F0901) and business units (F0006) into JAGGAER value lists.
    Accounts,
    /// JDE purchase orders (F4301/F4311) into JAGGAER.
    PurchaseOrders,
    /// JAGGAER invoices into JDE vouchers (F0411Z1/F0911Z1).
    Invoices,
}

impl Entity {
    /// All entities in the order a cycle runs them.
    pub const ALL: [Entity; 4] = [
        Entity::Suppliers,
        Entity::Accounts,
        Entity::PurchaseOrders,
        Entity::Invoices,
    ];
    /// The name used on the command line and in the JSON summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Suppliers => "suppliers",
            Entity::Accounts => "accounts",
            Entity::PurchaseOrders => "purchase-orders",
            Entity::Invoices => "invoices",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Entity {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Entity::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "entity",
                    s,
                    "expected suppliers, accounts, purchase-orders or invoices",
                )
            })
    }
}

/// The kind of a single record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// A supplier, keyed by AN8.
    Supplier,
    /// A GL account, keyed by `BU.OBJ.SUB`.
    Account,
    /// A business unit / cost center, keyed by trimmed MCU.
    CostCenter,
    /// A purchase order, keyed by `KCOO-DCTO-DOCO`.
    Po,
    /// A JAGGAER invoice, keyed by its invoice id.
    Invoice,
}

impl RecordKind {
    /// The prefix used in record keys.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Supplier => "supplier",
            RecordKind::Account => "account",
            RecordKind::CostCenter => "cost-center",
            RecordKind::Po => "po",
            RecordKind::Invoice => "invoice",
        }
    }
    /// The entity this kind of record belongs to.
    pub fn entity(self) -> Entity {
        match self {
            RecordKind::Supplier => Entity::Suppliers,
            RecordKind::Account | RecordKind::CostCenter => Entity::Accounts,
            RecordKind::Po => Entity::PurchaseOrders,
            RecordKind::Invoice => Entity::Invoices,
        }
    }
}

impl FromStr for RecordKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            RecordKind::Supplier,
            RecordKind::Account,
            RecordKind::CostCenter,
            RecordKind::Po,
            RecordKind::Invoice,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| {
            DomainError::invalid(
                "record kind",
                s,
                "expected supplier, account, cost-center, po or invoice",
            )
        })
    }
}

/// One record: kind, tenant and natural key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    /// Kind of record.
    pub kind: RecordKind,
    /// Tenant it belongs to.
    pub tenant: TenantId,
    /// Natural key in the source system.
    pub key: String,
}

impl RecordKey {
    /// Builds a key.
    pub fn new(kind: RecordKind, tenant: &TenantId, key: impl Into<String>) -> Self {
        Self {
            kind,
            tenant: tenant.clone(),
            key: key.into(),
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.kind.as_str(), self.tenant, self.key)
    }
}

impl FromStr for RecordKey {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut it = s.splitn(3, ':');
        match (it.next(), it.next(), it.next()) {
            (Some(k), Some(t), Some(key)) if !key.is_empty() => Ok(RecordKey {
                kind: k.parse()?,
                tenant: TenantId::parse(t)?,
                key: key.to_owned(),
            }),
            _ => Err(DomainError::invalid(
                "record",
                s,
                "expected KIND:TENANT:KEY, e.g. po:acme:00200-OP-4711",
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_round_trip() {
        let k: RecordKey = "po:acme:00200-OP-4711".parse().unwrap();
        assert_eq!(k.kind, RecordKind::Po);
        assert_eq!(k.to_string(), "po:acme:00200-OP-4711");
        assert!("po:acme".parse::<RecordKey>().is_err());
        assert!("pos:acme:1".parse::<RecordKey>().is_err());
    }

    #[test]
    fn entities_parse() {
        assert_eq!(
            "purchase-orders".parse::<Entity>().unwrap(),
            Entity::PurchaseOrders
        );
        assert!("pos".parse::<Entity>().is_err());
    }
}
