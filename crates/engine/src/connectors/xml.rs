//! The JAGGAER side for `transport = "xml"` (interface §9): suppliers and POs through the
//! eProcurement XML Router actions over [`XmlRouterClient`]; everything else (invoice poll,
//! Account/CostCenter value lists, `reconcile`'s PO summary, decoding stored invoices) through
//! the wrapped J1P side, since no XML action is public for it.
//!
//! The documents serialise the mapping's models ([`SupplierOut`], [`PoOut`]); no field rule
//! lives here. Router outcomes map onto the one taxonomy in [`classify_outcome`].
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use mlc_core::Decimal;
use mlc_core::model::Invoice;
use mlc_jaggaer::xml::{
    PoMessageType, PurchaseOrderMessage, RouterOutcome, SupplierSyncMessage, XmlAddress,
    XmlCustomField, XmlHeader, XmlPoAddress, XmlPoLine, XmlRouterClient, XmlSupplier,
};

use crate::mapping::MappingError;
use crate::mapping::purchase_order::PoOut;
use crate::mapping::supplier::SupplierOut;
use crate::ports::*;
use crate::settings::MappingSettings;

/// JAGGAER through the XML Router for suppliers and POs, J1P for the rest.
#[derive(Clone)]
pub struct XmlSide {
    router: XmlRouterClient,
    rest: Arc<dyn JaggaerSide>,
    mapping: MappingSettings,
}

impl std::fmt::Debug for XmlSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The router client's Debug redacts the shared secret.
        f.debug_struct("XmlSide")
            .field("router", &self.router)
            .finish_non_exhaustive()
    }
}

impl XmlSide {
    /// Router client for the two actions, `rest` for everything else.
    pub fn new(
        router: XmlRouterClient,
        rest: Arc<dyn JaggaerSide>,
        mapping: MappingSettings,
    ) -> Self {
        Self {
            router,
            rest,
            mapping,
        }
    }

    /// The Router client (for `ping`).
    pub fn router(&self) -> &XmlRouterClient {
        &self.router
    }
}

/// Maps a Router outcome onto the taxonomy: a refusal of the content is the record's failure
/// with JAGGAER's text; "No custom field found" and refused credentials are configuration
/// (every record would fail: alert, never quarantine); timeouts, resets and 5xx without a
/// readable body are transient (the client already retried, capped). `Ok` carries the counts of
/// a partly applied message.
pub fn classify_outcome(o: RouterOutcome) -> Result<SupplierPageOutcome, RemoteError> {
    use RemoteErrorKind::*;
    match o {
        RouterOutcome::Success(_) => Ok(SupplierPageOutcome::Complete),
        RouterOutcome::Partial {
            attempted,
            completed,
            ..
        } => Ok(SupplierPageOutcome::Partial {
            attempted,
            completed,
        }),
        RouterOutcome::Refused { message, .. } => {
            Err(RemoteError::new("jaggaer", RecordRefused, message))
        }
        RouterOutcome::Configuration { message, .. } => {
            Err(RemoteError::new("jaggaer", ConfigMissing, message))
        }
        RouterOutcome::Transient { reason } => Err(RemoteError::new("jaggaer", Transient, reason)),
        // A variant added to the codec later: retried, never quarantined, until classified.
        other => Err(RemoteError::new(
            "jaggaer",
            Transient,
            format!("unclassified Router outcome: {other:?}"),
        )),
    }
}

/// The `SupplierSyncMessage` form of a supplier (AN8 in `ERPNumber`).
pub fn xml_supplier(s: &SupplierOut) -> XmlSupplier {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let has_address = !(s.address.trim().is_empty() && s.city.trim().is_empty());
    XmlSupplier {
        erp_number: s.ext_code.clone(),
        name: s.company_name.clone(),
        active: s.active,
        tax_id: opt(&s.fiscal_code),
        email: s.email.clone(),
        addresses: if has_address {
            vec![XmlAddress {
                address_type: "remittance".into(),
                erp_number: Some(s.ext_code.clone()),
                name: Some(s.company_name.clone()),
                lines: s
                    .address
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                city: s.city.clone(),
                state: None,
                postal_code: opt(&s.zip),
                country_code: s.iso_country.clone(),
            }]
        } else {
            Vec::new()
        },
    }
}

/// JAGGAER line numbers are integers; JDE's may be 1.5. Fractional ones are sent ×1000 (as
/// over J1P).
fn line_number(n: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    let n = n.normalize();
    let scaled = if n.fract().is_zero() {
        n
    } else {
        n * Decimal::from(1000)
    };
    scaled.trunc().to_u32().unwrap_or(0)
}

/// The `PurchaseOrderMessage` form of a PO; Account and CostCenter go as line custom fields
/// under the configured names.
pub fn xml_purchase_order(
    po: &PoOut,
    kind: CxmlOrderKind,
    message_id: &str,
    mapping: &MappingSettings,
) -> PurchaseOrderMessage {
    PurchaseOrderMessage {
        header: XmlHeader {
            message_id: message_id.to_owned(),
            timestamp: Timestamp::now(),
        },
        kind: match kind {
            CxmlOrderKind::New => PoMessageType::New,
            CxmlOrderKind::Update => PoMessageType::Update,
            CxmlOrderKind::Delete => PoMessageType::Cancel,
        },
        po_number: po.po_number.clone(),
        revision: None,
        accounting_date: Some(po.order_date),
        requestor: Some(po.originator.clone()).filter(|o| !o.is_empty()),
        supplier_number: po.supplier_ext_code.clone(),
        supplier_name: None,
        bill_to: None,
        ship_to: po.ship_to.as_ref().map(|p| {
            let a = p.address.clone().unwrap_or_default();
            let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
            XmlPoAddress {
                address_code: Some(p.number.clone()),
                contact: opt(&p.name),
                lines: a.lines.clone(),
                city: a.city.clone(),
                state: opt(&a.state),
                postal_code: opt(&a.postal_code),
                country_code: a.country.clone(),
            }
        }),
        header_fields: Vec::new(),
        lines: po
            .lines
            .iter()
            .map(|l| {
                let mut custom_fields = Vec::new();
                if let Some(a) = &l.account {
                    custom_fields.push(XmlCustomField::new(&mapping.gl_account_field, a));
                }
                if !l.cost_center.is_empty() {
                    custom_fields.push(XmlCustomField::new(
                        &mapping.cost_center_field,
                        &l.cost_center,
                    ));
                }
                XmlPoLine {
                    line_number: line_number(l.line_number),
                    catalog_number: Some(l.item_number.clone()).filter(|i| !i.is_empty()),
                    description: l.description.clone(),
                    unit_of_measure: l.unit_of_measure.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    currency: po.currency.clone(),
                    requested_delivery: l.requested_date,
                    custom_fields,
                }
            })
            .collect(),
    }
}

#[async_trait]
impl JaggaerSide for XmlSide {
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError> {
        let one = std::slice::from_ref(s);
        let id = mlc_jaggaer::xml::message_id_for(
            "supplier",
            &s.ext_code,
            &mlc_core::fingerprint::fingerprint(s),
        );
        match self.send_suppliers_xml(one, &id).await? {
            SupplierPageOutcome::Complete => Ok(s.ext_code.clone()),
            SupplierPageOutcome::Partial { .. } => Err(RemoteError::new(
                "jaggaer",
                RemoteErrorKind::RecordRefused,
                format!("supplier {} was not applied by JAGGAER", s.ext_code),
            )),
        }
    }

    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError> {
        Err(RemoteError::new(
            "jaggaer",
            RemoteErrorKind::ConfigMissing,
            format!(
                "PO {}: transport = \"xml\" sends POs through the Router, not J1P",
                po.po_number
            ),
        ))
    }

    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        self.rest.send_po_cxml(po, kind, payload_id).await
    }

    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        self.rest.values(field).await
    }

    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError> {
        self.rest.upsert_values(field, values).await
    }

    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError> {
        self.rest.po_summary(po_number).await
    }

    fn invoices_changed(&self, since: Option<Timestamp>) -> PageStream<InvoiceStub> {
        self.rest.invoices_changed(since)
    }

    fn decode_cxml_invoice(&self, xml: &str) -> Result<Invoice, MappingError> {
        self.rest.decode_cxml_invoice(xml)
    }

    async fn invoice(
        &self,
        id: &str,
    ) -> Result<(serde_json::Value, Result<Invoice, MappingError>), RemoteError> {
        self.rest.invoice(id).await
    }

    async fn send_suppliers_xml(
        &self,
        page: &[SupplierOut],
        message_id: &str,
    ) -> Result<SupplierPageOutcome, RemoteError> {
        let msg = SupplierSyncMessage {
            header: XmlHeader {
                message_id: message_id.to_owned(),
                timestamp: Timestamp::now(),
            },
            suppliers: page.iter().map(xml_supplier).collect(),
        };
        classify_outcome(self.router.send_suppliers(&msg).await)
    }

    async fn send_po_xml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        message_id: &str,
    ) -> Result<(), RemoteError> {
        let msg = xml_purchase_order(po, kind, message_id, &self.mapping);
        match classify_outcome(self.router.send_purchase_order(&msg).await)? {
            SupplierPageOutcome::Complete => Ok(()),
            SupplierPageOutcome::Partial { .. } => Err(RemoteError::new(
                "jaggaer",
                RemoteErrorKind::RecordRefused,
                format!("PO {} was not applied by JAGGAER", po.po_number),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlc_jaggaer::xml::RouterReply;

    #[test]
    fn outcomes_map_onto_the_taxonomy() {
        let kind = |o| classify_outcome(o).map_err(|e: RemoteError| e.kind);
        assert_eq!(
            kind(RouterOutcome::Success(RouterReply::default())),
            Ok(SupplierPageOutcome::Complete)
        );
        assert_eq!(
            kind(RouterOutcome::Partial {
                attempted: 3,
                completed: 2,
                reply: RouterReply::default()
            }),
            Ok(SupplierPageOutcome::Partial {
                attempted: 3,
                completed: 2
            })
        );
        let refused = classify_outcome(RouterOutcome::Refused {
            message: "Supplier Name is required".into(),
            http_status: 200,
            reply: None,
        })
        .unwrap_err();
        assert_eq!(refused.kind, RemoteErrorKind::RecordRefused);
        assert_eq!(refused.message, "Supplier Name is required");
        assert_eq!(
            kind(RouterOutcome::Configuration {
                message: "No custom field found: Acount".into(),
                http_status: 200
            }),
            Err(RemoteErrorKind::ConfigMissing)
        );
        assert_eq!(
            kind(RouterOutcome::Transient {
                reason: "timeout".into()
            }),
            Err(RemoteErrorKind::Transient)
        );
    }

    #[test]
    fn fractional_line_numbers_are_scaled() {
        assert_eq!(line_number(Decimal::from(3)), 3);
        assert_eq!(line_number("1.5".parse().unwrap()), 1500);
        assert_eq!(line_number("2.000".parse().unwrap()), 2);
    }
}
