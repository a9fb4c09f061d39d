//! The JAGGAER side of the flows over [`mlc_jaggaer::J1pClient`] and its cXML codec.
use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::StreamExt;
use mlc_core::ids::JaggaerId;
use mlc_core::model::Invoice;
use mlc_jaggaer::cxml::{
    AccountingSegment, Credential, Distribution, OrderItem, OrderRequestDoc, OrderType,
    parse_invoice_detail_request,
};
use mlc_jaggaer::resources::CxmlPath;
use mlc_jaggaer::{
    CustomFieldValue, J1pClient, JaggaerError, PoLineUpsert, PoStatus, PurchaseOrderUpsert,
    SupplierStatus, SupplierUpsert,
};
use secrecy::SecretString;

use crate::mapping::MappingError;
use crate::mapping::purchase_order::PoOut;
use crate::mapping::supplier::SupplierOut;
use crate::ports::*;
use crate::settings::MappingSettings;

/// The buyer's cXML identity and shared secret (from the tenant's JAGGAER credentials).
#[derive(Clone)]
pub struct CxmlIdentity {
    /// Identity (From/Sender).
    pub identity: String,
    /// Shared secret (Sender).
    pub shared_secret: SecretString,
}

impl std::fmt::Debug for CxmlIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CxmlIdentity")
            .field("identity", &self.identity)
            .field("shared_secret", &"[redacted]")
            .finish()
    }
}

/// JAGGAER through J1P REST and cXML.
#[derive(Clone, Debug)]
pub struct J1pSide {
    client: J1pClient,
    mapping: MappingSettings,
    cxml: Option<CxmlIdentity>,
}

impl J1pSide {
    /// Wraps a client.
    pub fn new(client: J1pClient, mapping: MappingSettings, cxml: Option<CxmlIdentity>) -> Self {
        Self {
            client,
            mapping,
            cxml,
        }
    }
    /// The client (for `ping`).
    pub fn client(&self) -> &J1pClient {
        &self.client
    }
}

/// Maps a client error for the flows.
pub fn remote(e: JaggaerError) -> RemoteError {
    RemoteError {
        system: "jaggaer",
        kind: match &e {
            JaggaerError::ClientRejected { .. } => "login-rejected",
            JaggaerError::Application { .. } => "rejected",
            _ if e.is_transient() => "transient",
            _ => "error",
        },
        message: e.to_string(),
        transient: e.is_transient(),
        login_rejected: matches!(e, JaggaerError::ClientRejected { .. }),
        outcome_unknown: false,
    }
}

fn po_status(s: &str) -> PoStatus {
    match s {
        "Cancelled" => PoStatus::Cancelled,
        "Closed" => PoStatus::Closed,
        _ => PoStatus::Open,
    }
}

/// JAGGAER line numbers are integers; JDE's may be 1.5. Fractional ones are sent ×1000.
#[async_trait]
impl JaggaerSide for J1pSide {
    async fn upsert_supplier(&self, s: &SupplierOut) -> Result<String, RemoteError> {
        let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
        let up = SupplierUpsert {
            ext_code: s.ext_code.clone(),
            company_name: s.company_name.clone(),
            fiscal_code: opt(&s.fiscal_code),
            company_type: "SELLER".into(),
            iso_country: opt(&s.iso_country),
            address: opt(&s.address),
            city: opt(&s.city),
            zip: opt(&s.zip),
            email: s.email.clone(),
            status: if s.active {
                SupplierStatus::Active
            } else {
                SupplierStatus::Inactive
            },
        };
        self.client
            .upsert_supplier(&up)
            .await
            .map(|id| id.0)
            .map_err(remote)
    }

    async fn upsert_po(&self, po: &PoOut) -> Result<String, RemoteError> {
        let up = PurchaseOrderUpsert {
            po_number: po.po_number.clone(),
            supplier_bravo_id: Some(JaggaerId(po.supplier_bravo_id.clone())),
            supplier_ext_code: po.supplier_ext_code.clone(),
            order_date: po.order_date,
            currency: po.currency.clone(),
            total: po.total,
            status: po_status(po.status),
            lines: po
                .lines
                .iter()
                .map(|l| {
                    let mut custom_fields = BTreeMap::new();
                    if let Some(a) = &l.account {
                        custom_fields.insert(self.mapping.gl_account_field.clone(), a.clone());
                    }
                    if !l.cost_center.is_empty() {
                        custom_fields.insert(
                            self.mapping.cost_center_field.clone(),
                            l.cost_center.clone(),
                        );
                    }
                    PoLineUpsert {
                        line_number: l.line_number,
                        description: l.description.clone(),
                        item_number: Some(l.item_number.clone()).filter(|i| !i.is_empty()),
                        quantity: l.quantity,
                        unit_of_measure: l.unit_of_measure.clone(),
                        unit_price: l.unit_price,
                        extended_price: l.extended_price,
                        status: po_status(l.status),
                        custom_fields,
                    }
                })
                .collect(),
        };
        self.client
            .upsert_purchase_order(&up)
            .await
            .map(|id| id.0)
            .map_err(remote)
    }

    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        let Some(id) = &self.cxml else {
            return Err(RemoteError {
                system: "jaggaer",
                kind: "config",
                message: "transport = \"cxml\" needs cxml_identity and cxml_shared_secret in the tenant's jaggaer credentials".into(),
                transient: false,
                login_rejected: true,
                outcome_unknown: false,
            });
        };
        let cred = |identity: &str| Credential {
            domain: "NetworkID".into(),
            identity: identity.to_owned(),
        };
        let doc = OrderRequestDoc {
            payload_id: payload_id.to_owned(),
            timestamp: jiff::Timestamp::now(),
            from: cred(&id.identity),
            to: cred("JAGGAER"),
            sender: cred(&id.identity),
            shared_secret: id.shared_secret.clone(),
            user_agent: concat!("ml-connector/", env!("CARGO_PKG_VERSION")).into(),
            test_mode: false,
            order_id: po.po_number.clone(),
            order_type: match kind {
                CxmlOrderKind::New => OrderType::New,
                CxmlOrderKind::Update => OrderType::Update,
                CxmlOrderKind::Delete => OrderType::Delete,
            },
            order_version: 1,
            previous_payload_id: None,
            order_date: po
                .order_date
                .at(12, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or_else(|_| jiff::Timestamp::now()),
            total: po.total,
            currency: po.currency.clone(),
            supplier_number: Some(po.supplier_ext_code.clone()),
            supplier_name: None,
            ship_to: None,
            bill_to: None,
            items: po
                .lines
                .iter()
                .map(|l| OrderItem {
                    line_number: l.line_number,
                    quantity: l.quantity,
                    supplier_part_id: if l.item_number.is_empty() {
                        "NA".into()
                    } else {
                        l.item_number.clone()
                    },
                    description: if l.description.is_empty() {
                        l.item_number.clone()
                    } else {
                        l.description.clone()
                    },
                    unit_price: l.unit_price,
                    unit_of_measure: if l.unit_of_measure.is_empty() {
                        "EA".into()
                    } else {
                        l.unit_of_measure.clone()
                    },
                    classification: "00000000".into(),
                    requested_delivery_date: None,
                    distribution: vec![Distribution {
                        segments: [
                            l.account.clone().map(|a| AccountingSegment {
                                name: self.mapping.gl_account_field.clone(),
                                id: a,
                                description: "GL account".into(),
                            }),
                            Some(l.cost_center.clone())
                                .filter(|c| !c.is_empty())
                                .map(|c| AccountingSegment {
                                    name: self.mapping.cost_center_field.clone(),
                                    id: c,
                                    description: "Cost center".into(),
                                }),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                        charge: l.extended_price,
                    }]
                    .into_iter()
                    .filter(|d| !d.segments.is_empty())
                    .collect(),
                })
                .collect(),
        };
        let status = self
            .client
            .post_cxml(CxmlPath::Orders, doc.to_xml())
            .await
            .map_err(remote)?;
        if status.is_success() {
            Ok(())
        } else {
            Err(RemoteError {
                system: "jaggaer",
                kind: if status.is_transient() {
                    "transient"
                } else {
                    "rejected"
                },
                message: format!("cXML {} {}: {}", status.code, status.text, status.detail),
                transient: status.is_transient(),
                login_rejected: status.code == 401,
                outcome_unknown: false,
            })
        }
    }

    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        Ok(self
            .client
            .list_custom_field_values(field)
            .await
            .map_err(remote)?
            .into_iter()
            .map(|v| ValueOut {
                value: v.value,
                description: v.description.unwrap_or_default(),
                active: v.active,
            })
            .collect())
    }

    async fn upsert_values(&self, field: &str, values: &[ValueOut]) -> Result<u64, RemoteError> {
        let vals: Vec<CustomFieldValue> = values
            .iter()
            .map(|v| CustomFieldValue {
                value: v.value.clone(),
                description: Some(v.description.clone()).filter(|d| !d.is_empty()),
                active: v.active,
            })
            .collect();
        self.client
            .upsert_custom_field_values(field, &vals)
            .await
            .map_err(remote)
    }

    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError> {
        Ok(self
            .client
            .find_purchase_order(po_number)
            .await
            .map_err(remote)?
            .map(|p| PoSummary {
                total: p.header.total.map(|t| t.value).unwrap_or_default(),
                lines: p.line_list.po_line.len(),
                supplier_ext_code: String::new(),
            }))
    }

    fn invoices_changed(&self, since: Option<jiff::Timestamp>) -> PageStream<InvoiceStub> {
        self.client
            .list_invoices(since)
            .map(|page| {
                page.map(|hs| {
                    hs.into_iter()
                        .map(|h| InvoiceStub {
                            id: h.invoice_id.0,
                            last_update: h.last_update.unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                        })
                        .collect()
                })
                .map_err(remote)
            })
            .boxed()
    }

    fn decode_cxml_invoice(&self, xml: &str) -> Result<Invoice, MappingError> {
        let doc = parse_invoice_detail_request(xml.as_bytes())
            .map_err(|e| MappingError::new("cXML", e.to_string()).kind("malformed"))?;
        crate::mapping::invoice::from_cxml(&doc, &self.mapping)
    }

    async fn invoice(
        &self,
        id: &str,
    ) -> Result<(serde_json::Value, Result<Invoice, MappingError>), RemoteError> {
        let (raw, decoded) = self
            .client
            .get_invoice_raw(&JaggaerId(id.to_owned()))
            .await
            .map_err(remote)?;
        let invoice = match decoded {
            Ok(d) => crate::mapping::invoice::from_j1p(&d, &self.mapping),
            Err(e) => Err(MappingError::new("invoice", e.to_string()).kind("malformed")),
        };
        Ok((raw, invoice))
    }
}
