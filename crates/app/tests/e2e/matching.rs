//! Issue 13: PO-backed invoices matched to receipts (Voucher Match Automation), through the
//! binary against the simulators: a mixed month where invoices against received PO lines
//! become match vouchers that clear their receipts, one against an unreceived line waits and
//! posts once after the receipt, one over-invoiced is quarantined with the figures, non-PO
//! invoices post as before; and nothing is posted twice across a SIGKILL between the match call
//! and the connector's commit.
use std::str::FromStr;
use std::time::Duration;

use mlc_core::Decimal;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_sim::jaggaer::{JaggaerSimConfig, PoInvoiceLine};
use mlc_sim::jde::PoKey;
use mlc_store::LedgerStatus;
use serde_json::Value;

use crate::harness::*;

async fn sims() -> Sims {
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    Sims::start(jde_config(8, 12), jag).await
}

/// Tenant `acme` whose pre-check tolerance is the simulator's R4304010 tolerance (5 %).
async fn env(sims: &Sims) -> Env {
    let env = Env::new(sims).await;
    let path = env.path("ml-connector.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "match_tolerance = { percent = \"0\", amount = \"0.01\" }",
        "match_tolerance = { percent = \"5\", amount = \"0\" }",
    );
    std::fs::write(&path, text).unwrap();
    env
}

fn record(id: i64) -> RecordKey {
    let tenant: mlc_core::ids::TenantId = TENANT.parse().unwrap();
    RecordKey::new(RecordKind::Invoice, &tenant, id.to_string())
}

/// A domestic, open PO line JAGGAER holds: `(poNumber, key, LNID, ordered, received open,
/// unit cost)`.
#[derive(Debug, Clone)]
struct Line {
    po: String,
    key: PoKey,
    lnid: Decimal,
    ordered: Decimal,
    received: Decimal,
    open: Decimal,
    price: Decimal,
}

fn lines(sims: &Sims) -> Vec<Line> {
    let foreign: Vec<(String, i64, String)> = sims
        .jde
        .table_rows("F4301")
        .iter()
        .filter(|h| text(&h["F4301_CRRM"]) == "F")
        .map(|h| {
            (
                text(&h["F4301_KCOO"]),
                dec(&h["F4301_DOCO"]).try_into().unwrap(),
                text(&h["F4301_DCTO"]),
            )
        })
        .collect();
    let mut out = Vec::new();
    for r in sims.jde.table_rows("F4311") {
        let key = PoKey {
            kcoo: text(&r["F4311_KCOO"]),
            doco: dec(&r["F4311_DOCO"]).try_into().unwrap(),
            dcto: text(&r["F4311_DCTO"]),
        };
        let po = format!("{}-{}-{}", key.kcoo, key.dcto, key.doco);
        if foreign.contains(&(key.kcoo.clone(), key.doco, key.dcto.clone()))
            || text(&r["F4311_NXTR"]) == "999"
            || text(&r["F4311_LTTR"]) == "980"
            || sims.jag.purchase_order(&po).is_none()
        {
            continue;
        }
        let lnid = dec(&r["F4311_LNID"]).normalize();
        let open: Decimal = sims
            .jde
            .receipts(&key)
            .iter()
            .filter(|x| x.matc == "1" && x.lnid == lnid)
            .map(|x| x.uopn)
            .sum();
        out.push(Line {
            po,
            key,
            lnid,
            ordered: dec(&r["F4311_UORG"]),
            received: dec(&r["F4311_UREC"]),
            open,
            price: dec(&r["F4311_PRRC"]),
        });
    }
    out
}

fn invoice(sims: &Sims, l: &Line, qty: Decimal, price: Option<Decimal>) -> i64 {
    sims.jag
        .invoice_po_lines(
            &l.po,
            &[PoInvoiceLine {
                line_number: l.lnid.to_string(),
                quantity: qty,
                unit_price: price,
            }],
        )
        .expect("the PO line is in JAGGAER")
}

fn rows_of(sims: &Sims, table: &str, edtn: &str) -> Vec<Value> {
    sims.jde
        .table_rows(table)
        .into_iter()
        .filter(|r| text(&r[&format!("{table}_EDTN")]) == edtn)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_month_of_po_backed_and_non_po_invoices() {
    let sims = sims().await;
    let env = env(&sims).await;
    env.sync().await;

    let all = lines(&sims);
    let received: Vec<&Line> = all
        .iter()
        .filter(|l| l.open > Decimal::ZERO && l.open.fract().is_zero())
        .collect();
    assert!(
        received.len() >= 2,
        "the generated data has received lines: {all:?}"
    );
    let unreceived = all
        .iter()
        .find(|l| l.received.is_zero() && l.ordered > Decimal::ZERO && l.ordered.fract().is_zero())
        .expect("an open line nothing of which is received");
    // A: a received line, invoiced as received. C: another, invoiced 20 % over its price.
    let a_line = received[0];
    let c_line = received
        .iter()
        .find(|l| (&l.po, l.lnid) != (&a_line.po, a_line.lnid))
        .unwrap();
    let a = invoice(&sims, a_line, a_line.open, None);
    let over_price = (c_line.price * Decimal::from_str("1.2").unwrap()).round_dp(2);
    let c = invoice(&sims, c_line, c_line.open, Some(over_price));
    // B: the unreceived line.
    let b = invoice(&sims, unreceived, unreceived.ordered, None);
    // Non-PO invoices, as before.
    let plain: Vec<i64> = sims
        .jag
        .generate_invoices(4)
        .into_iter()
        .filter(|id| {
            let d = sims.jag.invoice_json(*id).unwrap();
            d["header"]["invoiceType"] != "Credit Memo"
                && d["lineList"]["invoiceLine"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|l| l["poLineNumber"].is_null())
        })
        .collect();

    let s = env.sync().await;
    assert!(s.n("invoices", "waiting") >= 1, "{:#}", s.json);
    assert!(s.n("invoices", "quarantined") >= 1, "{:#}", s.json);

    // A: one match voucher, its line in F0411Z1T, nothing to expense for it.
    let a_rows = rows_of(&sims, "F0411Z1", &format!("JG{a}"));
    assert!(!a_rows.is_empty(), "invoice {a} posted");
    assert_eq!(text(&a_rows[0]["F0411Z1_ATFLG"]), "1", "{:#}", a_rows[0]);
    let a_t = rows_of(&sims, "F0411Z1T", &format!("JG{a}"));
    assert_eq!(a_t.len(), 1, "{a_t:#?}");
    assert_eq!(dec(&a_t[0]["F0411Z1T_LNID"]).normalize(), a_line.lnid);
    let a_batch = text(&a_rows[0]["F0411Z1_EDBT"]);
    // Non-PO invoices: expense vouchers, in another batch.
    for id in &plain {
        let r = rows_of(&sims, "F0411Z1", &format!("JG{id}"));
        assert!(!r.is_empty(), "non-PO invoice {id} posted: {:#}", s.json);
        assert_ne!(text(&r[0]["F0411Z1_ATFLG"]), "1");
        assert_ne!(text(&r[0]["F0411Z1_EDBT"]), a_batch, "batches never mixed");
        assert!(rows_of(&sims, "F0411Z1T", &format!("JG{id}")).is_empty());
    }
    // B waits, C is quarantined with the figures; neither was sent.
    let store = env.store().await;
    assert!(rows_of(&sims, "F0411Z1", &format!("JG{b}")).is_empty());
    let lb = store.ledger(&record(b)).await.unwrap().unwrap();
    assert_eq!(lb.status, LedgerStatus::Waiting);
    assert!(
        text(&lb.detail["waiting_for"]).starts_with("waiting for receipt of"),
        "{:#}",
        lb.detail
    );
    assert!(rows_of(&sims, "F0411Z1", &format!("JG{c}")).is_empty());
    let q = store.quarantine_list(None, true).await.unwrap();
    let qc = q
        .iter()
        .find(|e| e.entry.record.key == c.to_string())
        .expect("the over-invoice is quarantined");
    assert_eq!(qc.entry.reason_kind, "over-invoiced");
    let reason = &qc.entry.reason;
    for words in [
        format!("{} line {}", c_line.po, c_line.lnid),
        format!("invoiced {}", c_line.open.normalize()),
        "received and not vouchered".to_owned(),
        "tolerance 5%".to_owned(),
    ] {
        assert!(reason.contains(&words), "{reason} lacks {words}");
    }

    // JDE's processors run (its own schedule): A is matched and clears its receipt.
    let m = sims.jde.process_matches();
    assert!(m.rejected.is_empty(), "{m:?}");
    sims.jde.process_vouchers();
    env.sync().await;
    let la = store.ledger(&record(a)).await.unwrap().unwrap();
    assert_eq!(la.status, LedgerStatus::Processed, "{:#}", la.detail);
    let doc = la.detail["doc"]["doc"].as_i64().unwrap();
    let cleared: Vec<_> = sims
        .jde
        .receipts(&a_line.key)
        .into_iter()
        .filter(|r| r.matc == "2" && r.doc == doc)
        .collect();
    assert!(!cleared.is_empty(), "a match row names the voucher");
    let trail = store.audit_trail(&record(a), None).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.message.contains("cleared") && e.message.contains(&a_line.po)),
        "{:#?}",
        trail.iter().map(|e| &e.message).collect::<Vec<_>>()
    );

    // The goods of B arrive; JAGGAER does not touch the invoice: it is posted, once.
    sims.jde
        .receive_line(&unreceived.key, unreceived.lnid, unreceived.ordered)
        .unwrap();
    let s = env.sync().await;
    assert!(s.n("invoices", "created") >= 1, "{:#}", s.json);
    assert_eq!(rows_of(&sims, "F0411Z1T", &format!("JG{b}")).len(), 1);
    sims.clear_logs();
    let s = env.sync().await;
    assert_eq!(sims.orchestration_calls(), 0, "{:#}", s.json);
    assert_vouchers_unique(&sims.jde);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_between_the_match_call_and_the_commit_posts_nothing_twice() {
    let sims = sims().await;
    let env = env(&sims).await;
    env.sync().await;
    let all = lines(&sims);
    let l = all
        .iter()
        .find(|l| l.open > Decimal::ZERO && l.open.fract().is_zero())
        .expect("a received line");
    let id = invoice(&sims, l, l.open, None);
    let edtn = format!("JG{id}");
    // Each AIS answer takes a while: the match call lands, the binary dies before it commits.
    sims.jde
        .set_knobs(|k| k.latency = Duration::from_millis(400));
    let mut child = env
        .command()
        .args(["sync", "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut killed = false;
    for _ in 0..1500 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if !rows_of(&sims, "F0411Z1T", &edtn).is_empty() {
            child.start_kill().unwrap();
            child.wait().await.unwrap();
            killed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(killed, "the sync should still run when the match rows land");
    sims.jde.set_knobs(|k| k.latency = Duration::ZERO);

    env.sync().await;
    env.sync().await;
    assert_eq!(
        rows_of(&sims, "F0411Z1T", &edtn).len(),
        1,
        "the match voucher was posted twice"
    );
    let store = env.store().await;
    let led = store.ledger(&record(id)).await.unwrap().unwrap();
    assert_eq!(led.status, LedgerStatus::Posted, "{:#}", led.detail);
    assert_vouchers_unique(&sims.jde);
}
