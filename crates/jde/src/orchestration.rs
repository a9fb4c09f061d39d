//! Orchestrations: generic calls on `v3/orchestrator/{name}`, the typed voucher call in the
//! "JDE Standard" input format of docs/jde-tables.md, and discovery for `ping --deep`.
//!
//! Orchestration calls may write, so they are retried only when the request provably never
//! reached AIS (connect failure, 503 at the concurrency ceiling, 444 before processing).
//! Anything else uncertain (timeout, reset after sending, a 5xx that is not a business
//! rejection) surfaces as [`JdeError::OutcomeUnknown`]: the caller looks in F0411Z1 first.

use jiff::civil::Date;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::client::{AisClient, Endpoint, RetryMode, error_message, form_errors, parse_json};
use crate::error::JdeError;

/// The PO a voucher refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoReference {
    /// Order number (`PO`).
    pub po: String,
    /// Order type (`PDCT`).
    pub pdct: String,
    /// Order company (`PKCO`).
    pub pkco: String,
}

/// One G/L distribution line (`GLDistribution` repeating input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherLineInput {
    /// Line number (`EDLN`), 1, 2, 3...
    pub edln: u32,
    /// Account `BU.OBJ.SUB` (`ANI`).
    pub ani: String,
    /// Domestic amount (`AA`), in the currency's decimals.
    pub aa: Option<Decimal>,
    /// Foreign amount (`ACR`) when the voucher is in foreign mode.
    pub acr: Option<Decimal>,
    /// Explanation (`EXA`).
    pub exa: String,
    /// Business unit (`MCU`).
    pub mcu: Option<String>,
}

/// Header and lines of one voucher, as the voucher orchestration takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherInput {
    /// EDI user (`EDUS`).
    pub edus: String,
    /// EDI batch (`EDBT`).
    pub edbt: String,
    /// EDI transaction: our immutable voucher id (`EDTN`, at most 22 characters).
    pub edtn: String,
    /// Supplier (`AN8`).
    pub an8: i64,
    /// Supplier invoice number (`VINV`).
    pub vinv: String,
    /// Invoice date (`DIVJ`).
    pub divj: Date,
    /// G/L date (`DGJ`).
    pub dgj: Date,
    /// Document company (`KCO`).
    pub kco: String,
    /// Company (`CO`), when the orchestration takes it.
    pub co: Option<String>,
    /// Currency (`CRCD`).
    pub crcd: String,
    /// Currency mode `D` (domestic) or `F` (foreign) (`CRRM`).
    pub crrm: String,
    /// Gross amount (`AG`).
    pub ag: Decimal,
    /// Foreign gross (`ACR`) in foreign mode.
    pub acr: Option<Decimal>,
    /// Exchange rate (`CRR`) in foreign mode.
    pub crr: Option<Decimal>,
    /// Tax amount (`STAM`) when JDE computes tax.
    pub stam: Option<Decimal>,
    /// Foreign tax amount (`CTAM`).
    pub ctam: Option<Decimal>,
    /// Tax area (`TXA1`).
    pub txa1: Option<String>,
    /// Tax explanation code (`EXR1`).
    pub exr1: Option<String>,
    /// Header business unit (`MCU`).
    pub mcu: Option<String>,
    /// Remark (`RMK`).
    pub rmk: Option<String>,
    /// Pay status (`PST`); `None` lets JDE default it from the supplier.
    pub pst: Option<String>,
    /// Due date (`DDJ`); `None` lets JDE compute it from the payment terms.
    pub ddj: Option<Date>,
    /// Payment terms code (`PTC`); `None` = the supplier's.
    pub ptc: Option<String>,
    /// Discount available (`ADSC`).
    pub adsc: Option<Decimal>,
    /// Referenced PO.
    pub po: Option<PoReference>,
    /// G/L distribution.
    pub lines: Vec<VoucherLineInput>,
}

/// What the voucher orchestration answered on success.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VoucherAccepted {
    /// Echoed `EDUS` (ours when absent).
    pub edus: String,
    /// Echoed `EDBT`.
    pub edbt: String,
    /// Echoed `EDTN`.
    pub edtn: String,
    /// Z rows inserted, when reported.
    pub rows_inserted: Option<u64>,
    /// `jde__simpleMessage`.
    pub message: Option<String>,
    /// The whole body.
    pub raw: Value,
}

fn input(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// Amounts go as plain decimal text with the scale the caller gave (the currency's decimals):
/// `Decimal`'s `Display` never uses an exponent.
fn amount(d: Decimal) -> String {
    d.to_string()
}

impl VoucherInput {
    /// The "JDE Standard" body (`inputs` + `detailInputs[GLDistribution]`). All values are
    /// strings, dates `yyyy-MM-dd`.
    pub fn to_body(&self) -> Value {
        let mut h = vec![
            input("EDUS", &self.edus),
            input("EDBT", &self.edbt),
            input("EDTN", &self.edtn),
            input("AN8", self.an8.to_string()),
            input("VINV", &self.vinv),
            input("DIVJ", self.divj.to_string()),
            input("DGJ", self.dgj.to_string()),
            input("KCO", &self.kco),
        ];
        if let Some(co) = &self.co {
            h.push(input("CO", co));
        }
        h.push(input("CRCD", &self.crcd));
        h.push(input("CRRM", &self.crrm));
        h.push(input("AG", amount(self.ag)));
        let opt_amounts = [
            ("ACR", self.acr),
            ("CRR", self.crr),
            ("STAM", self.stam),
            ("CTAM", self.ctam),
        ];
        for (n, v) in opt_amounts {
            if let Some(v) = v {
                h.push(input(n, amount(v)));
            }
        }
        let opt_text = [
            ("TXA1", &self.txa1),
            ("EXR1", &self.exr1),
            ("MCU", &self.mcu),
            ("RMK", &self.rmk),
        ];
        for (n, v) in opt_text {
            if let Some(v) = v {
                h.push(input(n, v));
            }
        }
        if let Some(pst) = &self.pst {
            h.push(input("PST", pst));
        }
        if let Some(ddj) = self.ddj {
            h.push(input("DDJ", ddj.to_string()));
        }
        if let Some(ptc) = &self.ptc {
            h.push(input("PTC", ptc));
        }
        if let Some(adsc) = self.adsc {
            h.push(input("ADSC", amount(adsc)));
        }
        if let Some(po) = &self.po {
            h.push(input("PO", &po.po));
            h.push(input("PDCT", &po.pdct));
            h.push(input("PKCO", &po.pkco));
        }
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                let mut i = vec![input("EDLN", l.edln.to_string()), input("ANI", &l.ani)];
                if let Some(aa) = l.aa {
                    i.push(input("AA", amount(aa)));
                }
                if let Some(acr) = l.acr {
                    i.push(input("ACR", amount(acr)));
                }
                i.push(input("EXA", &l.exa));
                if let Some(mcu) = &l.mcu {
                    i.push(input("MCU", mcu));
                }
                json!({ "inputs": i })
            })
            .collect();
        json!({
            "inputs": h,
            "detailInputs": [ { "name": "GLDistribution", "repeatingInputs": lines } ],
        })
    }
}

/// One invoice line matched to a PO line (`MatchLines` repeating input, one F0411Z1T row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchLineInput {
    /// Line number (`EDLN`).
    pub edln: u32,
    /// Order company (`KCOO`).
    pub kcoo: String,
    /// Order type (`DCTO`).
    pub dcto: String,
    /// Order number (`DOCO`).
    pub doco: u64,
    /// PO line in AIS's decimal form (`LNID`: `1`, `1.5`).
    pub lnid: Decimal,
    /// Quantity invoiced (`UORG`).
    pub uorg: Decimal,
    /// Unit of measure (`UOM`).
    pub uom: String,
    /// Unit price (`PRRC`), invoice currency.
    pub prrc: Decimal,
    /// Line amount (`AEXP`), invoice currency.
    pub aexp: Decimal,
}

/// A voucher for Voucher Match Automation (interface 8): the voucher orchestration's input
/// plus the automation rule and the matched lines; `voucher.lines` is the `GLDistribution` of
/// what is not matched (charges, tax, non-PO lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchVoucherInput {
    /// Header and unmatched distribution, as for an expense voucher.
    pub voucher: VoucherInput,
    /// Automation rule (`ATRL`); blank lets JDE take the supplier's rule (F0401).
    pub atrl: String,
    /// The matched lines.
    pub lines: Vec<MatchLineInput>,
}

impl MatchVoucherInput {
    /// The "JDE Standard" body: the voucher's, with `ATRL` among the `inputs` and a second
    /// detail input `MatchLines`.
    pub fn to_body(&self) -> Value {
        let mut body = self.voucher.to_body();
        if let Some(h) = body["inputs"].as_array_mut() {
            h.push(input("ATRL", &self.atrl));
        }
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                json!({ "inputs": [
                    input("EDLN", l.edln.to_string()),
                    input("KCOO", &l.kcoo),
                    input("DCTO", &l.dcto),
                    input("DOCO", l.doco.to_string()),
                    input("LNID", l.lnid.normalize().to_string()),
                    input("UORG", amount(l.uorg.normalize())),
                    input("UOM", &l.uom),
                    input("PRRC", amount(l.prrc)),
                    input("AEXP", amount(l.aexp)),
                ] })
            })
            .collect();
        if let Some(d) = body["detailInputs"].as_array_mut() {
            d.push(json!({ "name": "MatchLines", "repeatingInputs": lines }));
        }
        body
    }
}

impl AisClient {
    /// Runs an orchestration with a JSON input and returns its output. Failure shapes:
    /// non-2xx → [`JdeError::Remote`] (`business` set when JDE says `ERROR`); 200 with
    /// `jde__status` = `ERROR` or form errors → [`JdeError::Orchestration`]; uncertain outcome
    /// → [`JdeError::OutcomeUnknown`].
    pub async fn call_orchestration(&self, name: &str, input: &Value) -> Result<Value, JdeError> {
        let mut url = self.url("v3/orchestrator/")?;
        url.path_segments_mut()
            .map_err(|_| JdeError::Config("base URL cannot take path segments".into()))?
            .pop_if_empty()
            .push(name);
        let r = self
            .call(
                Endpoint::Orchestrator,
                Method::POST,
                url,
                Some(input),
                RetryMode::NotReached,
            )
            .await?;
        // An empty 200 is a success with no mapped outputs.
        if r.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        let v = parse_json(Endpoint::Orchestrator, &r.body)?;
        let status = v.get("jde__status").and_then(Value::as_str).map(str::trim);
        let errors = form_errors(&v);
        if status == Some("ERROR") || !errors.is_empty() {
            return Err(JdeError::Orchestration {
                name: name.to_owned(),
                message: error_message(&v)
                    .or_else(|| errors.first().map(|e| e.title.clone()))
                    .unwrap_or_else(|| "orchestration reported ERROR".into()),
                errors,
            });
        }
        let _ = r.status;
        Ok(v)
    }

    /// Sends one voucher to the voucher orchestration (`name` from the tenant's settings).
    pub async fn add_voucher(
        &self,
        name: &str,
        v: &VoucherInput,
    ) -> Result<VoucherAccepted, JdeError> {
        self.post_voucher_body(name, v, &v.to_body()).await
    }

    /// Sends one match voucher to the match orchestration (`match_orchestration`): the same
    /// call and answer as [`AisClient::add_voucher`], with `ATRL` and `MatchLines` added.
    pub async fn add_voucher_match(
        &self,
        name: &str,
        v: &MatchVoucherInput,
    ) -> Result<VoucherAccepted, JdeError> {
        self.post_voucher_body(name, &v.voucher, &v.to_body()).await
    }

    async fn post_voucher_body(
        &self,
        name: &str,
        v: &VoucherInput,
        body: &Value,
    ) -> Result<VoucherAccepted, JdeError> {
        if v.edtn.is_empty() || v.edtn.chars().count() > 22 {
            return Err(JdeError::Query {
                table: "F0411Z1".into(),
                reason: format!("EDTN must be 1..=22 characters, got {:?}", v.edtn),
            });
        }
        let out = self.call_orchestration(name, body).await?;
        let text = |k: &str| match out.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(VoucherAccepted {
            edus: text("EDUS").unwrap_or_else(|| v.edus.clone()),
            edbt: text("EDBT").unwrap_or_else(|| v.edbt.clone()),
            edtn: text("EDTN").unwrap_or_else(|| v.edtn.clone()),
            rows_inserted: text("rowsInserted").and_then(|n| n.parse().ok()),
            message: text("jde__simpleMessage"),
            raw: out,
        })
    }

    /// Whether the user can see an orchestration of that name (`GET {base}discover`).
    pub async fn orchestration_exists(&self, name: &str) -> Result<bool, JdeError> {
        let url = self.url("discover")?;
        let r = self
            .call(
                Endpoint::Discover,
                Method::GET,
                url,
                None,
                RetryMode::Idempotent,
            )
            .await?;
        let v = parse_json(Endpoint::Discover, &r.body)?;
        let list = v
            .get("orchestrations")
            .and_then(Value::as_array)
            .ok_or_else(|| JdeError::Malformed {
                endpoint: "discover",
                path: "orchestrations".into(),
                reason: "missing or not an array".into(),
                body: crate::error::truncate(&String::from_utf8_lossy(&r.body), 2048),
            })?;
        Ok(list.iter().any(|o| {
            ["name", "omwObjectName"]
                .iter()
                .any(|k| o.get(*k).and_then(Value::as_str) == Some(name))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn voucher_body_is_jde_standard() {
        let v = VoucherInput {
            edus: "MLCONN".into(),
            edbt: "1042".into(),
            edtn: "INV-98765".into(),
            an8: 4242,
            vinv: "A-1001".into(),
            divj: date(2026, 11, 20),
            dgj: date(2026, 11, 20),
            kco: "00200".into(),
            co: None,
            crcd: "USD".into(),
            crrm: "D".into(),
            ag: "1102.50".parse().unwrap(),
            acr: None,
            crr: None,
            stam: None,
            ctam: None,
            txa1: None,
            exr1: None,
            mcu: None,
            rmk: Some("98765".into()),
            pst: None,
            ddj: None,
            ptc: None,
            adsc: None,
            po: None,
            lines: vec![VoucherLineInput {
                edln: 1,
                ani: "200.6110".into(),
                aa: Some("1000.00".parse().unwrap()),
                acr: None,
                exa: "Widgets".into(),
                mcu: Some("200".into()),
            }],
        };
        let b = v.to_body();
        let get = |name: &str| {
            b["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["name"] == name)
                .map(|i| i["value"].as_str().unwrap().to_owned())
        };
        assert_eq!(get("AG").as_deref(), Some("1102.50"));
        assert_eq!(get("DIVJ").as_deref(), Some("2026-11-20"));
        assert_eq!(get("AN8").as_deref(), Some("4242"));
        assert_eq!(get("ACR"), None);
        // Pay status and terms are JDE's unless the tenant says otherwise.
        assert_eq!(get("PST"), None);
        assert_eq!(get("DDJ"), None);
        let line = &b["detailInputs"][0];
        assert_eq!(line["name"], "GLDistribution");
        let li = &line["repeatingInputs"][0]["inputs"];
        assert!(
            li.as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == "AA" && i["value"] == "1000.00")
        );
    }
}
