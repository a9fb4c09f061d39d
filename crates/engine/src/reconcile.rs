//! `reconcile`: compares both systems for the records the ledger says are synced.
//!
//! - POs: JAGGAER's total, line count and supplier against what we last sent (the ledger's
//!   payload is re-derived from JDE, so a change made in JAGGAER by hand shows up).
//! - Invoices posted and processed: the JDE voucher's gross (F0411) and its F0911 distribution
//!   against the invoice total.
use mlc_core::Decimal;
use mlc_core::record::RecordKind;
use mlc_store::LedgerStatus;
use serde::Serialize;

use crate::engine::{Engine, SyncError};
use crate::ports::VoucherDoc;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Record key (`invoice:acme:98765`).
    pub record: String,
    /// What differs.
    pub what: String,
    /// JDE's value.
    pub jde: String,
    /// JAGGAER's value.
    pub jaggaer: String,
}

/// The result of a reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records compared.
    pub compared: u64,
    /// Differences found.
    pub differences: Vec<Difference>,
}

impl Engine {
    /// Compares posted vouchers with their invoices, and synced POs with JAGGAER.
    pub async fn reconcile(&self) -> Result<Report, SyncError> {
        let mut report = Report::default();
        let tenant = &self.settings.tenant;
        // JAGGAER keeps more decimals than the currency has; JDE holds amounts rounded to the
        // currency's decimals (F0013), as the voucher was built.
        let refdata = crate::refdata::RefData {
            currency_decimals: self.jde.currency_decimals().await?,
            ..Default::default()
        };
        // Invoices → vouchers.
        let processed = self
            .store
            .ledger_by_status(tenant, RecordKind::Invoice, Some(LedgerStatus::Processed))
            .await?;
        for l in processed {
            let Some(doc) = l.detail.get("doc").and_then(|d| {
                Some(VoucherDoc {
                    doc: d.get("doc")?.as_u64()?,
                    dct: d.get("dct")?.as_str()?.to_owned(),
                    kco: d.get("kco")?.as_str()?.to_owned(),
                    icu: d.get("icu").and_then(|v| v.as_u64()).unwrap_or_default(),
                })
            }) else {
                continue;
            };
            report.compared += 1;
            let record = l.record.to_string();
            let (_, decoded) = self.jag.invoice(&l.record.key).await?;
            let Ok(inv) = decoded else { continue };
            let decimals = refdata.decimals(&inv.currency);
            let gross = mlc_core::money::round(inv.gross, decimals);
            let expected = if inv.kind == mlc_core::model::InvoiceKind::CreditMemo {
                -gross.abs()
            } else {
                gross
            };
            let lines = self.jde.distribution(&doc).await?;
            let f0911: Decimal = lines.iter().map(|g| g.amount).sum();
            let an8: Vec<_> = inv
                .supplier_number
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect();
            let vouchers = self.jde.vouchers_of(&an8).await?;
            let gross: Option<Decimal> = vouchers
                .iter()
                .filter(|v| v.doc == doc)
                .map(|v| v.gross)
                .reduce(|a, b| a + b);
            match gross {
                None => report.differences.push(Difference {
                    record: record.clone(),
                    what: format!(
                        "voucher {} {} {} not found in F0411",
                        doc.doc, doc.dct, doc.kco
                    ),
                    jde: "-".into(),
                    jaggaer: expected.to_string(),
                }),
                Some(g) if g != expected => report.differences.push(Difference {
                    record: record.clone(),
                    what: "gross amount (F0411.AG)".into(),
                    jde: g.to_string(),
                    jaggaer: expected.to_string(),
                }),
                Some(_) => {}
            }
            // F0911 carries the expense lines; with tax = "jde" JDE adds the tax itself.
            let expected_dist = expected
                - if self.settings.mapping.tax == crate::settings::TaxMode::Jde {
                    mlc_core::money::round(inv.tax, decimals)
                } else {
                    Decimal::ZERO
                };
            if !lines.is_empty() && f0911 != expected_dist {
                report.differences.push(Difference {
                    record,
                    what: "distribution (Σ F0911.AA)".into(),
                    jde: f0911.to_string(),
                    jaggaer: expected_dist.to_string(),
                });
            }
        }
        // POs.
        let pos = self
            .store
            .ledger_by_status(tenant, RecordKind::Po, Some(LedgerStatus::Synced))
            .await?;
        for l in pos {
            report.compared += 1;
            let Some(sent) = l.detail.get("sent") else {
                continue;
            };
            let total: Decimal = sent
                .get("total")
                .and_then(|t| t.as_str())
                .and_then(|t| t.parse().ok())
                .unwrap_or_default();
            let lines = sent
                .get("lines")
                .and_then(|v| v.as_array())
                .map(Vec::len)
                .unwrap_or_default();
            match self.jag.po_summary(&l.record.key).await? {
                None => report.differences.push(Difference {
                    record: l.record.to_string(),
                    what: "PO missing in JAGGAER".into(),
                    jde: total.to_string(),
                    jaggaer: "-".into(),
                }),
                Some(p) => {
                    if p.total != total {
                        report.differences.push(Difference {
                            record: l.record.to_string(),
                            what: "PO total".into(),
                            jde: total.to_string(),
                            jaggaer: p.total.to_string(),
                        });
                    }
                    if p.lines != lines {
                        report.differences.push(Difference {
                            record: l.record.to_string(),
                            what: "PO line count".into(),
                            jde: lines.to_string(),
                            jaggaer: p.lines.to_string(),
                        });
                    }
                }
            }
        }
        Ok(report)
    }
}
