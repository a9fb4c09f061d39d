//! The JAGGAER side of the flows over [`mlc_jaggaer::J1pClient`] and its cXML codec.
use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::StreamExt;
use mlc_core::ids::JaggaerId;
use mlc_core::model::Invoice;
use mlc_jaggaer::cxml::CxmlStatus;
use mlc_jaggaer::cxml::{
    AccountingSegment, Address, Credential, Distribution, OrderContact, OrderItem, OrderRequestDoc,
    OrderType, parse_invoice_detail_request,
};
use mlc_jaggaer::resources::CxmlPath;
use mlc_jaggaer::{
    CustomFieldValue, J1pClient, JaggaerError, PoHeaderContent as J1pPoHeaderContent,
    PoLineContent, PoLineUpsert, PoParty, PoStatus, PurchaseOrderUpsert, SupplierStatus,
    SupplierUpsert,
};
use secrecy::SecretString;

use crate::mapping::MappingError;
use crate::mapping::purchase_order::{PartyOut, PoOut};
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

/// A failed JAGGAER call, as the client or the cXML receiver reported it.
#[derive(Debug)]
pub enum J1pFailure {
    /// The J1P client failed.
    Client(JaggaerError),
    /// The cXML receiver answered with a non-success `Status`.
    CxmlStatus(CxmlStatus),
    /// `transport = "cxml"` without the tenant's cXML identity and shared secret.
    CxmlIdentityMissing,
}

impl From<JaggaerError> for J1pFailure {
    fn from(e: JaggaerError) -> Self {
        J1pFailure::Client(e)
    }
}

/// Classifies a JAGGAER failure for the flows: every [`JaggaerError`] (and every cXML status)
/// maps to exactly one [`RemoteErrorKind`] here, and nowhere else.
pub fn classify(f: impl Into<J1pFailure>) -> RemoteError {
    use RemoteErrorKind::*;
    let f = f.into();
    let mut retry_after = None;
    let kind = match &f {
        J1pFailure::CxmlIdentityMissing => ConfigMissing,
        J1pFailure::CxmlStatus(s) => match s.code {
            // The shared secret is the credential of every cXML post.
            401 => AuthRejected,
            403 => ConfigMissing,
            429 => RateLimited,
            c if c >= 500 => Transient,
            _ => RecordRefused,
        },
        J1pFailure::Client(e) => match e {
            JaggaerError::Config(_) => ConfigMissing,
            JaggaerError::ClientRejected { .. } => AuthRejected,
            JaggaerError::Token { .. } => Transient,
            // A 401 on a data call right after a successful token renewal.
            JaggaerError::Unauthorized { .. } => Transient,
            JaggaerError::RateLimited {
                retry_after: after, ..
            } => {
                retry_after = *after;
                RateLimited
            }
            JaggaerError::Http { status: 429, .. } => RateLimited,
            JaggaerError::Http { status, .. } if *status >= 500 || *status == 408 => Transient,
            JaggaerError::Http { status: 401, .. } => Transient,
            // The API client may not use this resource: every record would fail.
            JaggaerError::Http { status: 403, .. } => ConfigMissing,
            JaggaerError::Http { .. } | JaggaerError::Application { .. } => RecordRefused,
            JaggaerError::Transport { .. } | JaggaerError::Decode { .. } => Transient,
            JaggaerError::Cxml(_) => Transient,
            // A variant added to the client later: retried, never quarantined, until classified.
            _ => Transient,
        },
    };
    let message = match &f {
        J1pFailure::Client(e) => e.to_string(),
        J1pFailure::CxmlStatus(s) => format!("cXML {} {}: {}", s.code, s.text, s.detail),
        J1pFailure::CxmlIdentityMissing => "transport = \"cxml\" needs cxml_identity and cxml_shared_secret in the tenant's jaggaer credentials".into(),
    };
    RemoteError {
        system: "jaggaer",
        kind,
        message,
        retry_after,
    }
}

/// The J1P status word of a PO or line.
fn po_status(s: mlc_core::model::PoStatus) -> PoStatus {
    match s {
        mlc_core::model::PoStatus::Cancelled => PoStatus::Cancelled,
        mlc_core::model::PoStatus::Closed => PoStatus::Closed,
        mlc_core::model::PoStatus::Open => PoStatus::Open,
    }
}

fn date_text(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A party of a PO in the J1P body (`shipTo`, `buyer`).
fn j1p_party(p: &PartyOut) -> PoParty {
    let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    let a = p.address.clone().unwrap_or_default();
    PoParty {
        ext_code: p.number.clone(),
        name: opt(&p.name),
        address: opt(&a.lines.join(", ")),
        city: opt(&a.city),
        state: opt(&a.state),
        zip: opt(&a.postal_code),
        iso_country: opt(&a.country),
    }
}

/// The header content of a PO in the J1P body.
fn j1p_header_content(po: &PoOut) -> J1pPoHeaderContent {
    let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    J1pPoHeaderContent {
        ship_to: po.ship_to.as_ref().map(j1p_party),
        buyer: po.buyer.as_ref().map(j1p_party),
        ordered_by: opt(&po.originator),
        payment_terms: opt(&po.payment_terms),
        requested_date: po.requested_date,
        promised_date: po.promised_date,
    }
}

/// The cXML `ShipTo` address of a PO's ship-to: `addressID` is the JDE address number; the
/// country's name is its code (JDE holds the code only).
fn cxml_address(p: &PartyOut) -> Address {
    let a = p.address.clone().unwrap_or_default();
    let opt = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    Address {
        address_id: Some(p.number.clone()),
        name: if p.name.is_empty() {
            p.number.clone()
        } else {
            p.name.clone()
        },
        // cXML's PostalAddress needs a street, a city and a country: without them only the
        // name and id go.
        street: if a.city.is_empty() || a.country.is_empty() {
            Vec::new()
        } else {
            a.lines.clone()
        },
        city: a.city.clone(),
        state: opt(&a.state),
        postal_code: opt(&a.postal_code),
        country_code: a.country.clone(),
        country_name: a.country.clone(),
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
            company_type: s.company_type.to_owned(),
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
            .map_err(classify)
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
            content: j1p_header_content(po),
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
                        content: PoLineContent {
                            line_type: Some(l.line_type.clone()).filter(|t| !t.is_empty()),
                            requested_date: l.requested_date,
                            promised_date: l.promised_date,
                            quantity_received: l.quantity_received,
                            quantity_open: l.quantity_open,
                        },
                    }
                })
                .collect(),
        };
        self.client
            .upsert_purchase_order(&up)
            .await
            .map(|id| id.0)
            .map_err(classify)
    }

    async fn send_po_cxml(
        &self,
        po: &PoOut,
        kind: CxmlOrderKind,
        payload_id: &str,
    ) -> Result<(), RemoteError> {
        let Some(id) = &self.cxml else {
            return Err(classify(J1pFailure::CxmlIdentityMissing));
        };
        let cred = |identity: &str| Credential {
            domain: "NetworkID".into(),
            identity: identity.to_owned(),
        };
        // cXML line numbers are integers: LNID × 1000 (`mlc_core::po_line`), the rule the
        // invoice reader reverses. A line JDE could not hold cannot be named.
        if let Some(l) = po
            .lines
            .iter()
            .find(|l| mlc_core::po_line::lnid_to_line_number(l.line_number).is_none())
        {
            return Err(RemoteError::new(
                "jaggaer",
                RemoteErrorKind::RecordRefused,
                format!(
                    "PO line {} cannot be a cXML line number (LNID × 1000 must be an integer \
                     from 1 to 999999999)",
                    l.line_number
                ),
            ));
        }
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
            ship_to: po.ship_to.as_ref().map(cxml_address),
            bill_to: None,
            contacts: po
                .buyer
                .iter()
                .map(|b| OrderContact {
                    role: "buyer".into(),
                    address_id: Some(b.number.clone()),
                    name: if b.name.is_empty() {
                        b.number.clone()
                    } else {
                        b.name.clone()
                    },
                })
                .collect(),
            extrinsics: vec![
                ("OrderedBy".into(), po.originator.clone()),
                ("PaymentTerms".into(), po.payment_terms.clone()),
                ("RequestedDeliveryDate".into(), date_text(po.requested_date)),
                ("PromisedDeliveryDate".into(), date_text(po.promised_date)),
            ],
            items: po
                .lines
                .iter()
                .map(|l| OrderItem {
                    line_number: mlc_core::po_line::lnid_to_line_number(l.line_number)
                        .unwrap_or_default(),
                    quantity: l.quantity,
                    supplier_part_id: l.supplier_part_id.clone(),
                    description: l.description.clone(),
                    unit_price: l.unit_price,
                    unit_of_measure: l.unit_of_measure.clone(),
                    classification: l.classification.to_owned(),
                    requested_delivery_date: l.requested_date,
                    extrinsics: vec![
                        ("LineType".into(), l.line_type.clone()),
                        ("PromisedDeliveryDate".into(), date_text(l.promised_date)),
                        ("QuantityReceived".into(), l.quantity_received.to_string()),
                        ("QuantityOpen".into(), l.quantity_open.to_string()),
                    ],
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
            .map_err(classify)?;
        if status.is_success() {
            Ok(())
        } else {
            Err(classify(J1pFailure::CxmlStatus(status)))
        }
    }

    async fn values(&self, field: &str) -> Result<Vec<ValueOut>, RemoteError> {
        Ok(self
            .client
            .list_custom_field_values(field)
            .await
            .map_err(classify)?
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
            .map_err(classify)
    }

    async fn po_summary(&self, po_number: &str) -> Result<Option<PoSummary>, RemoteError> {
        Ok(self
            .client
            .find_purchase_order(po_number)
            .await
            .map_err(classify)?
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
                .map_err(classify)
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
            .map_err(classify)?;
        let invoice = match decoded {
            Ok(d) => crate::mapping::invoice::from_j1p(&d, &self.mapping),
            Err(e) => Err(MappingError::new("invoice", e.to_string()).kind("malformed")),
        };
        Ok((raw, invoice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RemoteErrorKind::*;
    use mlc_jaggaer::cxml::CxmlError;

    fn http(status: u16) -> JaggaerError {
        JaggaerError::Http {
            endpoint: "/po".into(),
            status,
            body: "b".into(),
        }
    }

    fn cxml(code: u16) -> J1pFailure {
        J1pFailure::CxmlStatus(CxmlStatus {
            code,
            text: "t".into(),
            detail: "d".into(),
        })
    }

    #[test]
    fn every_jaggaer_error_maps_to_one_kind() {
        let transport = JaggaerError::Transport {
            endpoint: "/po".into(),
            source: reqwest::Client::new()
                .get("http://[::1")
                .build()
                .expect_err("invalid URL"),
        };
        let cases: Vec<(J1pFailure, RemoteErrorKind)> = vec![
            (JaggaerError::Config("bad url".into()).into(), ConfigMissing),
            (
                JaggaerError::ClientRejected {
                    status: 401,
                    error: "invalid_client".into(),
                    description: "d".into(),
                }
                .into(),
                AuthRejected,
            ),
            (
                JaggaerError::Token {
                    status: 503,
                    body: "b".into(),
                }
                .into(),
                Transient,
            ),
            (
                JaggaerError::Unauthorized {
                    endpoint: "/po".into(),
                    body: "b".into(),
                }
                .into(),
                Transient,
            ),
            (http(400).into(), RecordRefused),
            (http(404).into(), RecordRefused),
            (http(409).into(), RecordRefused),
            (http(422).into(), RecordRefused),
            (http(401).into(), Transient),
            (http(403).into(), ConfigMissing),
            (http(408).into(), Transient),
            (http(429).into(), RateLimited),
            (http(500).into(), Transient),
            (http(503).into(), Transient),
            (
                JaggaerError::RateLimited {
                    endpoint: "/po".into(),
                    retry_after: None,
                }
                .into(),
                RateLimited,
            ),
            (transport.into(), Transient),
            (
                JaggaerError::Application {
                    code: "-1".into(),
                    message: "m".into(),
                }
                .into(),
                RecordRefused,
            ),
            (
                JaggaerError::Decode {
                    endpoint: "/po".into(),
                    path: "p".into(),
                    message: "m".into(),
                }
                .into(),
                Transient,
            ),
            (
                JaggaerError::Cxml(CxmlError::Malformed {
                    position: 0,
                    message: "m".into(),
                })
                .into(),
                Transient,
            ),
            (J1pFailure::CxmlIdentityMissing, ConfigMissing),
            (cxml(400), RecordRefused),
            (cxml(401), AuthRejected),
            (cxml(403), ConfigMissing),
            (cxml(406), RecordRefused),
            (cxml(429), RateLimited),
            (cxml(500), Transient),
        ];
        for (f, want) in cases {
            let text = format!("{f:?}");
            let got = classify(f);
            assert_eq!(got.kind, want, "{text}");
            assert_eq!(got.system, "jaggaer");
            assert_eq!(got.is_record_refusal(), want == RecordRefused);
        }
    }

    #[test]
    fn a_missing_cxml_identity_is_named_without_secrets() {
        let got = classify(J1pFailure::CxmlIdentityMissing);
        assert!(got.message.contains("cxml_identity"), "{}", got.message);
        assert_eq!(got.kind.as_str(), "config-missing");
    }

    #[test]
    fn a_rate_limit_keeps_the_wait_jaggaer_asked_for() {
        let got = classify(JaggaerError::RateLimited {
            endpoint: "/po".into(),
            retry_after: Some(std::time::Duration::from_secs(3)),
        });
        assert_eq!(got.retry_after, Some(std::time::Duration::from_secs(3)));
    }
}
