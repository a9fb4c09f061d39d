//! Payables-grade vouchers, end to end: the real binary posts a mixed month of JAGGAER invoices
//! (USD/EUR/JPY, taxed and untaxed, freight, handling, misc fees and discounts, credit memos,
//! one dated near midnight at month end, one in a closed period, a credit memo reusing its
//! invoice's number) into the JDE simulator's Z files; the simulator's batch voucher processor
//! (which enforces what R04110ZA enforces: balance, postable accounts, company, open period,
//! currency decimals) accepts every voucher; totals tie to JAGGAER to the cent; a correction and
//! a cancellation after posting go to quarantine, never posted twice; `reconcile` finds nothing,
//! then finds the difference a test makes by hand in JDE.
use mlc_test_support as harness;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr as _;

use harness::{Env, Sims, Tenant};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _};
use mlc_core::Decimal;
use serde_json::Value;

/// Per-company charge and tax accounts (the init template has company 00100's as defaults and
/// an example for 00300).
const COMPANY_ACCOUNTS: &str = r#"
[tenants.mapping.companies."00100"]
tax_account = "100.2310"
charge_accounts = { freight = "100.6210", handling = "100.6210", misc = "100.6290", discount = "100.6295" }

[tenants.mapping.companies."00200"]
tax_account = "200.2310"
charge_accounts = { freight = "200.6210", handling = "200.6210", misc = "200.6290", discount = "200.6295" }

[tenants.mapping.companies."00400"]
tax_account = "400.2310"
charge_accounts = { freight = "400.6210", handling = "400.6210", misc = "400.6290", discount = "400.6295" }
"#;

fn json_out(out: &std::process::Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}); exit {:?}\nstdout: {stdout}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn sync(env: &Env, entities: &[&str]) -> Value {
    let mut args = vec!["sync", "--json"];
    for e in entities {
        args.extend(["--entity", e]);
    }
    let out = env.cmd(&args);
    let v = json_out(&out, "sync --json");
    assert!(
        out.status.success(),
        "sync failed: {v}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

fn counts(summary: &Value, entity: &str) -> Value {
    summary["tenants"][0]["entities"][entity].clone()
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap(),
        Value::String(s) => Decimal::from_str(s.trim()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn dp(currency: &str) -> u32 {
    if currency == "JPY" { 0 } else { 2 }
}

/// An invoice copied from a generated one, as a new document.
fn copy_of(doc: &Value, number: &str) -> Value {
    let mut d = doc.clone();
    let h = d["header"].as_object_mut().unwrap();
    h.remove("invoiceId");
    h.remove("lastUpdate");
    h.insert("supplierInvoiceNumber".into(), Value::String(number.into()));
    h.insert("invoiceNumber".into(), Value::String(format!("C-{number}")));
    if let Some(lines) = d["lineList"]["invoiceLine"].as_array_mut() {
        for l in lines {
            l.as_object_mut().unwrap().remove("lineId");
        }
    }
    d
}

fn yyyymmdd(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// F0411Z1 header row (EDLN 1) of a transaction.
fn z_header(sims: &Sims, edtn: &str) -> Value {
    sims.jde
        .table_rows("F0411Z1")
        .into_iter()
        .find(|r| r["F0411Z1_EDTN"].as_str().map(str::trim) == Some(edtn))
        .unwrap_or_else(|| panic!("no F0411Z1 row for {edtn}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_month_of_invoices_becomes_vouchers_jde_accepts_and_that_tie_to_the_cent() {
    let sims = Sims::standard().await;
    let env = Env::tenants(
        &sims,
        &[Tenant {
            id: "acme",
            cxml: false,
        }],
        None,
    )
    .await;
    let cfg = env.path("ml-connector.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(COMPANY_ACCOUNTS);
    std::fs::write(&cfg, text).unwrap();

    // Suppliers, accounts and POs first: the JAGGAER simulator generates invoices from them.
    let first = sync(&env, &["suppliers", "accounts", "purchase-orders"]);
    assert!(counts(&first, "suppliers")["created"].as_u64().unwrap() > 0);

    // A month of invoices, all approved.
    let generated = sims.jaggaer_generate(60);
    sims.jag.approve_pending();
    let docs: BTreeMap<i64, Value> = generated
        .iter()
        .map(|id| (*id, sims.jag.invoice_json(*id).unwrap()))
        .collect();
    let header = |id: i64| docs[&id]["header"].clone();
    let currencies: BTreeSet<String> = docs
        .values()
        .map(|d| {
            d["header"]["total"]["currency"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        ["USD", "EUR", "JPY"]
            .iter()
            .all(|c| currencies.contains(*c)),
        "the generated month lacks a currency: {currencies:?}"
    );
    let is_credit = |h: &Value| h["invoiceType"].as_str() == Some("Credit Memo");
    let credits: Vec<i64> = generated
        .iter()
        .copied()
        .filter(|id| is_credit(&header(*id)))
        .collect();
    assert!(!credits.is_empty(), "no credit memo generated");
    for field in ["taxCharge1", "shippingCharge", "discountAmount"] {
        assert!(
            docs.values().any(|d| !dec(&d["header"][field]).is_zero()),
            "no invoice with {field}"
        );
    }
    assert!(
        docs.values()
            .any(|d| dec(&d["header"]["taxCharge1"]).is_zero()
                && dec(&d["header"]["taxCharge2"]).is_zero()),
        "no untaxed invoice"
    );

    // Special cases, copied from a USD invoice: dated 23:30 in Chicago on the last day of the
    // previous month (already the 1st in UTC), and dated in a closed period.
    let usd = *generated
        .iter()
        .find(|id| {
            let h = header(**id);
            h["total"]["currency"] == "USD" && !is_credit(&h)
        })
        .expect("a USD invoice");
    let chicago = TimeZone::get("America/Chicago").unwrap();
    let today = Timestamp::now().to_zoned(chicago.clone()).date();
    let month_start = today.first_of_month();
    let month_end = month_start.yesterday().unwrap();
    let late = month_end
        .at(23, 30, 0, 0)
        .to_zoned(chicago.clone())
        .unwrap()
        .timestamp();
    assert_eq!(
        late.to_zoned(TimeZone::UTC).date(),
        month_start,
        "23:30 in Chicago is already the next day in UTC"
    );
    let mut midnight = copy_of(&docs[&usd], "MIDNIGHT-1");
    midnight["header"]["invoiceDate"] =
        Value::String(late.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string());
    let midnight_id = sims.jag.insert_invoice(midnight).unwrap();
    let closed_day = month_start
        .checked_sub(2.months())
        .unwrap()
        .checked_add(14.days())
        .unwrap();
    let mut closed = copy_of(&docs[&usd], "CLOSED-1");
    closed["header"]["invoiceDate"] =
        Value::String(format!("{}T12:00:00.000Z", closed_day.strftime("%Y-%m-%d")));
    let closed_id = sims.jag.insert_invoice(closed).unwrap();
    // A credit memo for the USD invoice, reusing the supplier's invoice number.
    let mut cm = copy_of(&docs[&credits[0]], "x");
    cm["header"]["supplier"] = header(usd)["supplier"].clone();
    cm["header"]["supplierInvoiceNumber"] = header(usd)["supplierInvoiceNumber"].clone();
    let cm_id = sims.jag.insert_invoice(cm).unwrap();
    // Every invoice JAGGAER holds: the generated ones, the three above, and those suppliers
    // raised against the POs synced earlier.
    let all: Vec<i64> = sims
        .jag
        .invoices()
        .iter()
        .map(|d| d["header"]["invoiceId"].as_i64().unwrap())
        .collect();
    assert!(all.len() > generated.len() + 3, "no PO-backed invoices");
    // Invoices whose lines name PO lines are matched to receipts instead (interface §8, see
    // e2e `matching.rs`): they wait for their receipt or go in match batches of their own.
    // This month is about the expense vouchers.
    let po_backed = |id: &i64| {
        sims.jag.invoice_json(*id).unwrap()["lineList"]["invoiceLine"]
            .as_array()
            .is_some_and(|ls| ls.iter().any(|l| !l["poLineNumber"].is_null()))
    };
    let all: Vec<i64> = all.into_iter().filter(|id| !po_backed(id)).collect();
    let edtns: BTreeSet<String> = all.iter().map(|id| format!("JG{id}")).collect();
    let expense_vouchers = || {
        sims.jde
            .vouchers()
            .into_iter()
            .filter(|v| edtns.contains(&v.edtn))
            .collect::<Vec<_>>()
    };

    // Post them.
    let posted = sync(&env, &["invoices"]);
    let inv = counts(&posted, "invoices");
    let quarantine = json_out(&env.cmd(&["quarantine", "list", "--json"]), "quarantine");
    assert_eq!(
        inv["quarantined"].as_u64(),
        Some(0),
        "invoices quarantined: {quarantine:#}"
    );
    assert!(
        inv["created"].as_u64().unwrap_or_default() >= all.len() as u64,
        "{posted}"
    );

    // JDE's batch voucher processor accepts every one of them.
    let report = sims.jde.process_vouchers();
    assert!(
        report.rejected.is_empty(),
        "R04110ZA rejected: {:?}",
        report.rejected
    );
    let vouchers = expense_vouchers();
    assert_eq!(vouchers.len(), all.len(), "one voucher per invoice");
    assert!(vouchers.iter().all(|v| v.processed && v.doc.is_some()));
    let batches: BTreeSet<&str> = vouchers.iter().map(|v| v.edbt.as_str()).collect();
    assert_eq!(batches.len(), 1, "one batch per run: {batches:?}");
    assert!(vouchers.iter().all(|v| v.edus == "MLCONN"));

    // Totals tie to JAGGAER to the cent, in the invoice's currency; credits are negative.
    for id in &all {
        let doc = sims.jag.invoice_json(*id).unwrap();
        let h = &doc["header"];
        let currency = h["total"]["currency"].as_str().unwrap();
        let total = mlc_core::money::round(dec(&h["total"]["value"]), dp(currency));
        let edtn = format!("JG{id}");
        let v = vouchers
            .iter()
            .find(|v| v.edtn == edtn)
            .unwrap_or_else(|| panic!("no voucher {edtn}"));
        let expected = if is_credit(h) { -total.abs() } else { total };
        let z = z_header(&sims, &edtn);
        let foreign = z["F0411Z1_CRRM"] == "F";
        let amount = if foreign {
            dec(&z["F0411Z1_ACR"])
        } else {
            v.gross
        };
        assert_eq!(
            amount, expected,
            "{edtn} ({currency}, foreign {foreign}): {z}"
        );
        assert_eq!(z["F0411Z1_CRCD"].as_str().map(str::trim), Some(currency));
    }

    // Dates: the invoice date in Chicago; a closed period moves only the G/L date.
    let z = z_header(&sims, &format!("JG{midnight_id}"));
    assert_eq!(z["F0411Z1_DIVJ"], yyyymmdd(month_end), "{z}");
    let z = z_header(&sims, &format!("JG{closed_id}"));
    assert_eq!(z["F0411Z1_DIVJ"], yyyymmdd(closed_day), "{z}");
    let kco = z["F0411Z1_KCO"].as_str().unwrap().trim().to_owned();
    let open = sims.jde.first_open_day(&kco).unwrap();
    assert!(open > closed_day);
    assert_eq!(z["F0411Z1_DGJ"], yyyymmdd(open), "{z}");
    // The credit memo reusing the invoice's number got its own VINV.
    let z = z_header(&sims, &format!("JG{cm_id}"));
    let number = header(usd)["supplierInvoiceNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        z["F0411Z1_VINV"].as_str().map(str::trim),
        Some(format!("{number}-CM").as_str())
    );

    // A correction and a cancellation after posting: quarantined, never posted twice.
    let corrected = *generated
        .iter()
        .find(|id| **id != usd && !credits.contains(id))
        .unwrap();
    let cancelled = *generated
        .iter()
        .rev()
        .find(|id| **id != usd && **id != corrected && !credits.contains(id))
        .unwrap();
    assert!(sims.jag.correct_invoice(corrected));
    assert!(sims.jag.cancel_invoice(cancelled));
    let after = sync(&env, &["invoices"]);
    assert_eq!(
        counts(&after, "invoices")["created"].as_u64(),
        Some(0),
        "{after}"
    );
    assert_eq!(expense_vouchers().len(), all.len(), "nothing posted twice");
    harness::assert_vouchers_unique(&sims.jde);
    let q = json_out(&env.cmd(&["quarantine", "list", "--json"]), "quarantine");
    let changed: BTreeSet<String> = q
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason_kind"] == "changed-after-posting")
        .map(|e| e["record"]["key"].as_str().unwrap_or_default().to_owned())
        .collect();
    for id in [corrected, cancelled] {
        assert!(
            changed.contains(&id.to_string()),
            "invoice {id} not quarantined as changed after posting: {q:#}"
        );
    }
    // Both versions are kept: the one posted (from the audit trail) and the one now.
    for e in q
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason_kind"] == "changed-after-posting")
    {
        let id = e["record"]["key"].as_str().unwrap();
        assert_eq!(
            e["payload"]["posted"]["header"]["invoiceId"].to_string(),
            id,
            "the posted version is missing: {e:#}"
        );
        assert_eq!(e["payload"]["now"]["header"]["invoiceId"].to_string(), id);
    }

    // The processed vouchers are read back into the audit trail.
    let trail = json_out(
        &env.cmd(&["audit", &format!("invoice:acme:{usd}"), "--json"]),
        "audit",
    );
    let doc = vouchers
        .iter()
        .find(|v| v.edtn == format!("JG{usd}"))
        .unwrap()
        .doc
        .unwrap();
    assert!(
        trail.to_string().contains(&doc.to_string()),
        "the audit trail lacks voucher DOC {doc}: {trail:#}"
    );

    // Reconcile: nothing but the corrected/cancelled invoices differs…
    let out = env.cmd(&["reconcile", "--json"]);
    let rec = json_out(&out, "reconcile");
    let differing: BTreeSet<String> = rec["tenants"][0]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["record"].as_str().unwrap().to_owned())
        .collect();
    let expected_diff: BTreeSet<String> = [corrected, cancelled]
        .iter()
        .map(|id| format!("invoice:acme:{id}"))
        .collect();
    assert!(
        differing.is_subset(&expected_diff),
        "unexpected differences: {rec:#}"
    );
    // …and a hand edit of a posted F0911 distribution line in JDE is found (a domestic voucher,
    // whose F0911 amounts are AA).
    let untouched = |v: &&mlc_sim::jde::VoucherSummary| {
        ![format!("JG{corrected}"), format!("JG{cancelled}")].contains(&v.edtn)
            && z_header(&sims, &v.edtn)["F0411Z1_CRRM"] != "F"
    };
    let v = vouchers.iter().find(untouched).expect("a domestic voucher");
    let target = v.edtn.trim_start_matches("JG").to_owned();
    // Document numbers are per company: the voucher is DOC + DCT + KCO.
    let usd_kco = z_header(&sims, &v.edtn)["F0411Z1_KCO"]
        .as_str()
        .unwrap()
        .trim()
        .to_owned();
    let f0911: Vec<Value> = sims
        .jde
        .table_rows("F0911")
        .into_iter()
        .filter(|r| {
            dec(&r["F0911_DOC"]) == Decimal::from(v.doc.unwrap())
                && r["F0911_DCT"].as_str().map(str::trim) == v.dct.as_deref()
                && r["F0911_KCO"].as_str().map(str::trim) == Some(usd_kco.as_str())
        })
        .collect();
    let line = f0911.first().expect("posted F0911 lines");
    let kco = usd_kco.as_str();
    assert!(sims.jde.edit_f0911_amount(
        kco,
        v.doc.unwrap(),
        v.dct.as_deref().unwrap(),
        dec(&line["F0911_JELN"]),
        dec(&line["F0911_AA"]) + Decimal::ONE,
    ));
    let out = env.cmd(&["reconcile", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "reconcile must exit 3 on differences"
    );
    let rec = json_out(&out, "reconcile");
    assert!(
        rec.to_string().contains(&format!("invoice:acme:{target}")),
        "the edited voucher is not reported: {rec:#}\nedited {line:#}"
    );
}

trait GenerateExt {
    fn jaggaer_generate(&self, n: usize) -> Vec<i64>;
}

impl GenerateExt for Sims {
    fn jaggaer_generate(&self, n: usize) -> Vec<i64> {
        let ids = self.jag.generate_invoices(n);
        assert_eq!(
            ids.len(),
            n,
            "the JAGGAER simulator generated too few invoices"
        );
        ids
    }
}
