//! JDE supplier (F0401 + F0101 + F0116 + F01151) → JAGGAER supplier profile.
//!
//! | JAGGAER `companyInfo` | JDE source |
//! |---|---|
//! | `extCode` | F0401.AN8 |
//! | `companyName` | F0101.ALPH |
//! | `fiscalCode` | F0101.TAX |
//! | `type` | constant `SELLER` |
//! | `isoCountry` | F0116.CTR (latest EFTB ≤ today) |
//! | `address` | F0116.ADD1..ADD4, joined with `, ` |
//! | `city` / `zip` | F0116.CTY1 / F0116.ADDZ |
//! | `email` | F01151.EMAL (type `E`) |
//! | `status` | `INACTIVE` when F0401.HDPY is set (payment hold), else `ACTIVE` |
use mlc_core::model::Supplier;
use serde::Serialize;

use super::MappingError;

/// What we send for a supplier. Its fingerprint is what the ledger compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplierOut {
    /// JDE AN8.
    pub ext_code: String,
    /// Name.
    pub company_name: String,
    /// Tax id.
    pub fiscal_code: String,
    /// ISO country.
    pub iso_country: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// E-mail.
    pub email: Option<String>,
    /// Active in JAGGAER.
    pub active: bool,
}

/// Maps a supplier, refusing one without a name (JAGGAER requires it).
pub fn map_supplier(s: &Supplier) -> Result<SupplierOut, MappingError> {
    if s.name.trim().is_empty() {
        return Err(MappingError::new(
            "F0101.ALPH",
            format!("supplier {} has no name", s.an8),
        ));
    }
    Ok(SupplierOut {
        ext_code: s.an8.to_string(),
        company_name: s.name.trim().to_owned(),
        fiscal_code: s.tax_id.trim().to_owned(),
        iso_country: s.country.trim().to_owned(),
        address: s.address.trim().to_owned(),
        city: s.city.trim().to_owned(),
        zip: s.postal_code.trim().to_owned(),
        email: s.email.clone().filter(|e| !e.trim().is_empty()),
        active: s.active,
    })
}
