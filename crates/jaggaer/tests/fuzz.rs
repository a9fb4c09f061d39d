//! Fuzz targets of the JAGGAER readers (issue 16, "Proof at scale"): the J1P invoice decoder,
//! the cXML `InvoiceDetailRequest` reader and the XML Router `BuyerInvoiceExportMessage`
//! reader. Each runs `MLC_FUZZ_CASES` inputs (default: the smoke run) of mutated real
//! documents and raw bytes through the reader and the accessors the engine calls on its
//! result; the property: no panic, no hang, and every refusal names what failed. See
//! docs/reliability.md for the long run.
use mlc_fuzz::{Input, run};
use mlc_jaggaer::cxml::{CxmlError, parse_invoice_detail_request, parse_response};
use mlc_jaggaer::xml::{XmlError, parse_invoice_export, read_export_envelope};
use mlc_jaggaer::{InvoiceDetail, InvoiceHeader};
use mlc_sim::jaggaer::{JaggaerSimConfig, JaggaerSimState};
use serde_json::{Value, json};

/// A J1P invoice as rich as the model reads: header charges, misc fees, terms, custom fields,
/// a split line (amount and percentage), a credit line.
fn rich_invoice() -> Value {
    json!({
      "header": {
        "invoiceId": 90001, "invoiceNumber": "I0090001", "supplierInvoiceNumber": "SUP-77",
        "invoiceType": "Invoice", "invoiceLineType": "Item", "paymentStatus": "Payable",
        "workflowStatus": "Approved", "invoiceDate": "2026-11-19T00:00:00.000Z",
        "dueDate": "2026-12-19T00:00:00.000Z",
        "terms": {"standardPaymentTermsCode": "N30"}, "earlyPaymentDiscount": "2.5",
        "lastUpdate": "2026-11-20T09:00:00.123Z",
        "supplier": {"id": 4001, "name": "Smith & Sons", "supplierNumber": 4343},
        "taxCharge1": 1.25, "taxCharge2": "0.50", "shippingCharge": 10, "handlingCharge": 2.00,
        "discountAmount": 0.75,
        "miscFeeList": {"miscFee": [{"name": "Fuel", "fee": 3.10}, {"name": "Pallet", "fee": "1"}]},
        "total": {"currency": "USD", "value": 1234.56},
        "customFieldValueSetList": {"customFieldValueSet": [
          {"name": "Company", "customFieldValueList": {"customFieldValue": [{"value": "00200"}]}}]}
      },
      "lineList": {"invoiceLine": [
        {"lineNumber": 1, "quantity": 3, "unitPrice": 0.10, "poNumber": "00200-OP-4711",
         "poLineNumber": 1, "item": {"description": "Pens", "unitOfMeasure": {"dimension": "EA"}},
         "customFieldValueSetList": {"customFieldValueSet": [
           {"name": "Account", "customFieldValueList": {"customFieldValue": [{"value": "200.6110"}]}},
           {"name": "CostCenter", "customFieldValueList": {"customFieldValue": [{"value": "200"}]}}]}},
        {"lineNumber": 2, "quantity": "12.5", "unitPrice": "80.0000",
         "item": {"description": "Split"},
         "splittableFieldSetGroupList": {"splittableFieldSetGroup": [{"splittableFieldIndexSet": [
           {"context": "Line", "splittableFieldIndexList": {"splittableFieldIndex": [
             {"splitIndex": 1, "distributionType": "Percentage", "distributionValue": 60,
              "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "200.6110"}]}},
             {"splitIndex": 2, "distributionType": "Amount", "distributionValue": "400.00",
              "customFieldValueList": {"customFieldValue": [{"internalName": "Account", "value": "200.6120"}]}}]}}]}]}},
        {"lineNumber": 3, "quantity": -1, "unitPrice": 5, "item": {"description": "Credit"}}
      ]}
    })
}

/// The simulator's view of some invoices: J1P JSON and their XML exports.
fn simulated() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let sim = JaggaerSimState::new(&JaggaerSimConfig::default());
    let docs = [
        rich_invoice(),
        json!({"header": {"invoiceNumber": "I000777", "supplierInvoiceNumber": "INV-9",
            "invoiceType": "Credit Memo", "paymentStatus": "Payable",
            "invoiceDate": "2026-11-30T12:00:00.000Z",
            "supplier": {"name": "Smith & Sons", "supplierNumber": "4242"},
            "total": {"currency": "EUR", "value": -25.0}},
          "lineList": {"invoiceLine": [{"lineNumber": 1, "quantity": 2, "unitPrice": -12.5,
            "item": {"description": "Returned <M8>", "unitOfMeasure": {"dimension": "EA"}},
            "customFieldValueSetList": {"customFieldValueSet": [{"name": "Account",
              "customFieldValueList": {"customFieldValue": [{"value": "1.6110"}]}}]}}]}}),
    ];
    let mut json_seeds = vec![serde_json::to_vec_pretty(&rich_invoice()).unwrap()];
    let mut xml_seeds = Vec::new();
    for doc in docs {
        let mut doc = doc;
        doc["header"].as_object_mut().unwrap().remove("invoiceId");
        let id = sim.insert_invoice(doc).unwrap();
        json_seeds.push(serde_json::to_vec(&sim.invoice_json(id).unwrap()).unwrap());
        for bare in [false, true] {
            sim.set_knobs(|k| k.xml.export_bare_ampersand = bare);
            xml_seeds.push(sim.invoice_export_xml(id).unwrap().1.into_bytes());
        }
    }
    (json_seeds, xml_seeds)
}

/// `JaggaerError::Decode` as the client builds it: the JSON path of the first problem.
fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v)
        .map_err(|e| format!("invoice: {} at {}", e.inner(), e.path()))
}

#[test]
fn fuzz_j1p_invoice_decoder() {
    let (seeds, _) = simulated();
    run("j1p-invoice", &seeds, |bytes| {
        // The client's first step: the body must be JSON.
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Ok(false);
        };
        // A list page's entries are decoded as `{"header": ...}` too.
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Wrapped {
            header: InvoiceHeader,
        }
        let _ = decode::<Wrapped>(v.clone());
        match decode::<InvoiceDetail>(v) {
            Ok(inv) => {
                // Everything the mapping asks of a decoded invoice.
                let h = &inv.header;
                let _ = (h.is_credit_memo(), h.invoice_date(), h.due_date());
                let _ = (h.terms_code(), h.early_payment_discount(), h.currency());
                let _ = h.custom_field("Company");
                for l in inv.lines() {
                    let _ = (l.amount(), l.splits(), l.custom_field("Account"));
                }
                Ok(true)
            }
            Err(e) if e.len() > "invoice:  at ".len() => Ok(false),
            Err(e) => Err(format!("decode error names nothing: {e:?}")),
        }
    });
}

fn cxml_names_what_failed(e: &CxmlError) -> bool {
    match e {
        CxmlError::TooLarge { .. } => true,
        CxmlError::TooDeep { element, .. }
        | CxmlError::TooMany { element, .. }
        | CxmlError::Missing { element } => !element.is_empty(),
        CxmlError::Invalid { element, message } => !element.is_empty() && !message.is_empty(),
        CxmlError::EntityDeclaration { detail } => !detail.is_empty(),
        CxmlError::UnknownEntity { name } => !name.is_empty(),
        CxmlError::Malformed { message, .. } => !message.is_empty(),
        // A variant added later: its message must at least say more than the prefix.
        other => other.to_string().len() > "cXML ".len() + 3,
    }
}

#[test]
fn fuzz_cxml_invoice_reader() {
    let standard = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/invoice_standard.xml"
    ))
    .unwrap();
    let text = String::from_utf8(standard.clone()).unwrap();
    let credit = text
        .replace("purpose=\"standard\"", "purpose=\"lineLevelCreditMemo\"")
        .replace(">3<", ">-3<")
        .replace("quantity=\"3\"", "quantity=\"-3\"");
    let seeds = vec![standard, credit.into_bytes()];
    run("cxml-invoice", &seeds, |bytes| {
        // The reply reader shares the parser; it must hold up as well.
        if let Err(e) = parse_response(bytes)
            && !cxml_names_what_failed(&e)
        {
            return Err(format!("response error names nothing: {e:?}"));
        }
        match parse_invoice_detail_request(bytes) {
            Ok(inv) => {
                let _ = (inv.invoice_date(), inv.is_credit());
                Ok(true)
            }
            Err(e) if cxml_names_what_failed(&e) => Ok(false),
            Err(e) => Err(format!("error names nothing: {e:?}")),
        }
    });
}

fn xml_names_what_failed(e: &XmlError) -> bool {
    match e {
        XmlError::TooLarge { .. } => true,
        XmlError::TooDeep { element, .. }
        | XmlError::TooMany { element, .. }
        | XmlError::Missing { element } => !element.is_empty(),
        XmlError::Invalid { element, message } => !element.is_empty() && !message.is_empty(),
        XmlError::EntityDeclaration { detail } => !detail.is_empty(),
        XmlError::UnknownEntity { name } => !name.is_empty(),
        XmlError::Malformed { message, .. } => !message.is_empty(),
        XmlError::WrongRoot { .. } => true,
        // A variant added later: its message must at least say more than the prefix.
        other => other.to_string().len() > "XML ".len() + 3,
    }
}

#[test]
fn fuzz_xml_export_reader() {
    let (_, seeds) = simulated();
    run("xml-export", &seeds, |bytes| {
        // The endpoint takes the body as text; non-UTF-8 reaches the reader replaced.
        let body = String::from_utf8_lossy(bytes);
        if let Err(e) = read_export_envelope(&body)
            && !xml_names_what_failed(&e)
        {
            return Err(format!("envelope error names nothing: {e:?}"));
        }
        match parse_invoice_export(&body) {
            Ok(inv) => {
                let _ = (inv.is_credit_memo(), inv.header_element("Total"));
                Ok(true)
            }
            Err(e) if xml_names_what_failed(&e) => Ok(false),
            Err(e) => Err(format!("error names nothing: {e:?}")),
        }
    });
}

/// The harness itself: an input the seeds yield unchanged is accepted by every reader, so a
/// target that refuses everything (and so tests nothing) would fail here.
#[test]
fn the_seeds_are_accepted_unmutated() {
    let (json_seeds, xml_seeds) = simulated();
    for s in &json_seeds {
        let v: Value = serde_json::from_slice(s).unwrap();
        decode::<InvoiceDetail>(v).unwrap();
    }
    for s in &xml_seeds {
        parse_invoice_export(std::str::from_utf8(s).unwrap()).unwrap();
    }
    let unchanged = Input::Mutated {
        seed: 0,
        mutations: vec![],
    };
    let standard = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/invoice_standard.xml"
    ))
    .unwrap();
    parse_invoice_detail_request(&unchanged.bytes(&[standard])).unwrap();
}
