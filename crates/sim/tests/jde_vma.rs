//! Voucher Match Automation in the JDE simulator: F43121 receipts on receive, the match
//! orchestration (`ML_AddVoucherMatch`: F0411Z1 + F0411Z1T + F0911Z1), and R4304010 matching
//! by rule 02 (tolerance), 03 (several receipts), 07 (PO line, no receipt) and the supplier's
//! rule, with rejections that change nothing but the Work Center.

use std::str::FromStr;
use std::time::Duration;

use mlc_sim::jde::{JdeSim, JdeSimConfig, JobStatus, PoKey, Receipt};
use reqwest::Client;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const USER: &str = "MLCONN";

async fn start() -> JdeSim {
    JdeSim::start(JdeSimConfig::default())
        .await
        .expect("sim starts")
}

fn d(v: &Value) -> Decimal {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap(),
        Value::String(s) => Decimal::from_str(s.trim()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn r2(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// An open, not yet received, domestic (USD) PO line with a whole quantity of at least 4.
#[derive(Debug, Clone)]
struct Line {
    po: PoKey,
    lnid: Decimal,
    an8: i64,
    uorg: Decimal,
    uom: String,
    prrc: Decimal,
}

fn open_lines(sim: &JdeSim) -> Vec<Line> {
    sim.table_rows("F4311")
        .into_iter()
        .filter(|r| {
            r["F4311_CRCD"] == "USD"
                && r["F4311_NXTR"] != "999"
                && d(&r["F4311_UREC"]).is_zero()
                && d(&r["F4311_UORG"]).fract().is_zero()
                && d(&r["F4311_UORG"]) >= Decimal::from(4)
        })
        .map(|r| Line {
            po: PoKey {
                kcoo: r["F4311_KCOO"].as_str().unwrap().to_owned(),
                doco: r["F4311_DOCO"].as_i64().unwrap(),
                dcto: r["F4311_DCTO"].as_str().unwrap().to_owned(),
            },
            lnid: d(&r["F4311_LNID"]),
            an8: r["F4311_AN8"].as_i64().unwrap(),
            uorg: d(&r["F4311_UORG"]),
            uom: r["F4311_UOM"].as_str().unwrap().to_owned(),
            prrc: d(&r["F4311_PRRC"]),
        })
        .collect()
}

fn open_line(sim: &JdeSim) -> Line {
    open_lines(sim).into_iter().next().expect("an open line")
}

/// An invoice line against a PO line: (line, quantity, amount).
type Bill<'a> = (&'a Line, Decimal, Decimal);

/// The match orchestration's body in "JDE Standard" format.
fn match_body(edbt: &str, edtn: &str, atrl: &str, today: &str, bills: &[Bill<'_>]) -> Value {
    let first = bills[0].0;
    let gross: Decimal = bills.iter().map(|b| b.2).sum();
    let pairs = |p: &[(&str, String)]| -> Vec<Value> {
        p.iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect()
    };
    let header = pairs(&[
        ("EDUS", USER.into()),
        ("EDBT", edbt.into()),
        ("EDTN", edtn.into()),
        ("AN8", first.an8.to_string()),
        ("VINV", format!("V-{edtn}")),
        ("DIVJ", today.into()),
        ("DGJ", today.into()),
        ("KCO", first.po.kcoo.clone()),
        ("CRCD", "USD".into()),
        ("CRRM", "D".into()),
        ("AG", gross.to_string()),
        ("RMK", edtn.into()),
        ("ATRL", atrl.into()),
    ]);
    let reps: Vec<Value> = bills
        .iter()
        .enumerate()
        .map(|(i, (l, q, a))| {
            json!({ "inputs": pairs(&[
                ("EDLN", (i + 1).to_string()),
                ("KCOO", l.po.kcoo.clone()),
                ("DCTO", l.po.dcto.clone()),
                ("DOCO", l.po.doco.to_string()),
                ("LNID", l.lnid.normalize().to_string()),
                ("UORG", q.to_string()),
                ("UOM", l.uom.clone()),
                ("PRRC", (*a / *q).round_dp(4).to_string()),
                ("AEXP", a.to_string()),
            ]) })
        })
        .collect();
    json!({ "inputs": header, "detailInputs": [ { "name": "MatchLines", "repeatingInputs": reps } ] })
}

async fn call(c: &Client, sim: &JdeSim, body: &Value) -> (u16, Value) {
    let r = c
        .post(format!(
            "{}v3/orchestrator/ML_AddVoucherMatch",
            sim.base_url()
        ))
        .basic_auth("JDEUSER", Some("JDEPASS"))
        .json(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn post_match(c: &Client, sim: &JdeSim, body: &Value) {
    let (s, v) = call(c, sim, body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["jde__status"], "SUCCESS", "{v}");
}

fn rows(sim: &JdeSim, table: &str, edtn: &str) -> Vec<Value> {
    let key = format!("{table}_EDTN");
    sim.table_rows(table)
        .into_iter()
        .filter(|r| r[&key] == edtn)
        .collect()
}

fn receipts_of(sim: &JdeSim, l: &Line, matc: &str) -> Vec<Receipt> {
    sim.receipts(&l.po)
        .into_iter()
        .filter(|r| r.lnid == l.lnid.normalize() && r.matc == matc)
        .collect()
}

fn f4311(sim: &JdeSim, l: &Line) -> Value {
    sim.table_rows("F4311")
        .into_iter()
        .find(|r| {
            r["F4311_KCOO"] == l.po.kcoo.as_str()
                && r["F4311_DOCO"].as_i64() == Some(l.po.doco)
                && r["F4311_DCTO"] == l.po.dcto.as_str()
                && d(&r["F4311_LNID"]) == l.lnid
        })
        .expect("F4311 line")
}

fn today(sim: &JdeSim) -> String {
    sim.now().date().to_string()
}

#[tokio::test]
async fn receiving_creates_open_receipts_served_by_the_data_service() {
    let sim = start().await;
    // Generated data: every received quantity of a line is in its receipts.
    for r in sim.table_rows("F4311") {
        let urec = d(&r["F4311_UREC"]);
        let po = PoKey {
            kcoo: r["F4311_KCOO"].as_str().unwrap().into(),
            doco: r["F4311_DOCO"].as_i64().unwrap(),
            dcto: r["F4311_DCTO"].as_str().unwrap().into(),
        };
        let lnid = d(&r["F4311_LNID"]);
        let got: Decimal = sim
            .receipts(&po)
            .iter()
            .filter(|x| x.matc == "1" && x.lnid == lnid.normalize())
            .map(|x| x.urec)
            .sum();
        assert_eq!(got, urec, "receipts of {po:?} line {lnid}");
        if !urec.is_zero() {
            assert_eq!(d(&r["F4311_AREC"]), d(&r["F4311_AEXP"]), "received in full");
            assert!(d(&r["F4311_UOPN"]).is_zero());
        }
    }

    let l = open_line(&sim);
    let two = Decimal::TWO;
    let rec = sim.receive_line(&l.po, l.lnid, two).expect("a receipt");
    assert_eq!(rec.matc, "1");
    assert_eq!(rec.nlin, 1);
    assert_eq!(rec.dct, "OV");
    assert_eq!(rec.an8, l.an8);
    assert_eq!((rec.urec, rec.uopn, rec.uptd), (two, two, Decimal::ZERO));
    assert_eq!(rec.arec, r2(two * l.prrc));
    assert_eq!(rec.aopn, rec.arec);
    assert!(rec.aptd.is_zero());
    assert_eq!(rec.rcdj, Some(sim.now().date()));
    let line = f4311(&sim, &l);
    assert_eq!(d(&line["F4311_UREC"]), two);
    assert_eq!(d(&line["F4311_UOPN"]), l.uorg - two);
    assert_eq!(d(&line["F4311_AREC"]), rec.arec);

    // The rest of the line: a second receipt; the receipts add up to the line's amount.
    let rest = sim
        .receive_line(&l.po, l.lnid, l.uorg)
        .expect("the rest is received");
    assert_eq!(rest.nlin, 2);
    assert_eq!(rest.urec, l.uorg - two);
    assert_eq!(rec.arec + rest.arec, d(&line["F4311_AEXP"]));
    assert!(
        sim.receive_line(&l.po, l.lnid, Decimal::ONE).is_none(),
        "nothing left to receive"
    );

    // receive_lines receives what is left of a line and records it as receipts.
    for key in sim.receive_lines(5) {
        let total: Decimal = sim
            .receipts(&key)
            .iter()
            .filter(|x| x.matc == "1")
            .map(|x| x.urec)
            .sum();
        assert!(total > Decimal::ZERO, "{key:?} has receipts");
    }

    // The data service answers F43121 like any table, filtered on the PO and match type.
    let c = Client::new();
    let r = c
        .post(format!("{}v2/dataservice", sim.base_url()))
        .basic_auth("JDEUSER", Some("JDEPASS"))
        .json(
            &json!({ "targetName": "F43121", "maxPageSize": "No Max", "query": {
            "matchType": "MATCH_ALL", "condition": [
                { "controlId": "F43121.DOCO", "operator": "EQUAL",
                  "value": [ { "specialValueId": "LITERAL", "content": l.po.doco.to_string() } ] },
                { "controlId": "F43121.KCOO", "operator": "EQUAL",
                  "value": [ { "specialValueId": "LITERAL", "content": l.po.kcoo } ] },
                { "controlId": "F43121.MATC", "operator": "EQUAL",
                  "value": [ { "specialValueId": "LITERAL", "content": "1" } ] } ] } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let set = v["fs_DATABROWSE_F43121"]["data"]["gridData"]["rowset"]
        .as_array()
        .expect("rowset");
    let mine: Vec<&Value> = set
        .iter()
        .filter(|x| d(&x["F43121_LNID"]) == l.lnid)
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(d(&mine[0]["F43121_UOPN"]), two);
    // Unset columns read as JDE's blanks and zeros.
    assert_eq!(mine[0]["F43121_VINV"], "");
    assert_eq!(mine[0]["F43121_SFX"], "");
    assert!(d(&mine[0]["F43121_UPTD"]).is_zero());
}

#[tokio::test]
async fn match_orchestration_inserts_header_invoice_lines_and_distribution() {
    let sim = start().await;
    let c = Client::new();
    let lines = open_lines(&sim);
    let (a, b) = (&lines[0], &lines[1]);
    let t = today(&sim);
    let mut body = match_body(
        "M1",
        "JG-M-1",
        "02",
        &t,
        &[
            (a, Decimal::ONE, r2(a.prrc)),
            (b, Decimal::TWO, r2(b.prrc * Decimal::TWO)),
        ],
    );
    // A freight line on the distribution, and the gross that covers it.
    let gross = d(&json!(body["inputs"][10]["value"].as_str().unwrap())) + Decimal::TEN;
    body["inputs"][10]["value"] = json!(gross.to_string());
    body["detailInputs"].as_array_mut().unwrap().push(json!({
        "name": "GLDistribution", "repeatingInputs": [ { "inputs": [
            { "name": "EDLN", "value": "1" }, { "name": "ANI", "value": "110.6110" },
            { "name": "AA", "value": "10.00" }, { "name": "EXA", "value": "Freight" } ] } ] }));
    let (s, v) = call(&c, &sim, &body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rowsInserted"], 4);

    let z = rows(&sim, "F0411Z1", "JG-M-1");
    assert_eq!(z.len(), 1);
    assert_eq!(z[0]["F0411Z1_ATFLG"], "1");
    assert_eq!(z[0]["F0411Z1_ATRL"], "02");
    assert_eq!(z[0]["F0411Z1_PSTE"], "1");
    assert_eq!(z[0]["F0411Z1_EDSP"], "0");
    assert_eq!(z[0]["F0411Z1_EDTR"], "V");
    assert_eq!(d(&z[0]["F0411Z1_AG"]), gross);
    let t_rows = rows(&sim, "F0411Z1T", "JG-M-1");
    assert_eq!(t_rows.len(), 2);
    let second = t_rows
        .iter()
        .find(|r| d(&r["F0411Z1T_EDLN"]) == Decimal::TWO)
        .unwrap();
    assert_eq!(second["F0411Z1T_DOCO"].as_i64(), Some(b.po.doco));
    assert_eq!(second["F0411Z1T_KCOO"], b.po.kcoo.as_str());
    assert_eq!(d(&second["F0411Z1T_LNID"]), b.lnid);
    assert_eq!(d(&second["F0411Z1T_UORG"]), Decimal::TWO);
    assert_eq!(d(&second["F0411Z1T_AEXP"]), r2(b.prrc * Decimal::TWO));
    assert_eq!(second["F0411Z1T_SFXO"], "000");
    assert_eq!(second["F0411Z1T_STAVM"], "");
    let gl = rows(&sim, "F0911Z1", "JG-M-1");
    assert_eq!(gl.len(), 1);
    assert_eq!(gl[0]["F0911Z1_EXA"], "Freight");

    // A table insert: the same keys again are refused, nothing is added.
    let (s, v) = call(&c, &sim, &body).await;
    assert_eq!(s, 500, "{v}");
    assert_eq!(v["errors"][0]["TITLE"], "Duplicate Key");
    assert_eq!(rows(&sim, "F0411Z1T", "JG-M-1").len(), 2);
    // No invoice lines, or a PO line that is not a number: refused.
    let mut none = match_body("M1", "JG-M-2", "02", &t, &[(a, Decimal::ONE, r2(a.prrc))]);
    none["detailInputs"][0]["repeatingInputs"] = json!([]);
    let (s, v) = call(&c, &sim, &none).await;
    assert_eq!(s, 500, "{v}");
    assert_eq!(v["errors"][0]["ERRORCONTROL"], "MatchLines");
    let mut bad = match_body("M1", "JG-M-3", "02", &t, &[(a, Decimal::ONE, r2(a.prrc))]);
    bad["detailInputs"][0]["repeatingInputs"][0]["inputs"][4]["value"] = json!("1.x");
    let (s, v) = call(&c, &sim, &bad).await;
    assert_eq!(s, 500, "{v}");
    assert_eq!(v["errors"][0]["ERRORCONTROL"], "LNID");
    assert!(rows(&sim, "F0411Z1", "JG-M-3").is_empty());
    // An unknown PO line is accepted here: R4304010 judges it.
    let mut ghost = a.clone();
    ghost.po.doco = 9_999_999;
    post_match(
        &c,
        &sim,
        &match_body(
            "M1",
            "JG-M-4",
            "02",
            &t,
            &[(&ghost, Decimal::ONE, Decimal::ONE)],
        ),
    )
    .await;

    // R04110ZA leaves match vouchers to R4304010.
    let report = sim.process_vouchers();
    assert!(report.created.is_empty() && report.rejected.is_empty());
    let report = sim.process_matches();
    assert!(
        report
            .rejected
            .iter()
            .any(|(e, m)| e == "JG-M-4" && m.starts_with("4302")),
        "{report:?}"
    );
}

#[tokio::test]
async fn rule_02_matches_within_tolerance_and_vouchers_the_receipt() {
    let sim = start().await;
    let c = Client::new();
    let l = open_line(&sim);
    let four = Decimal::from(4);
    let rec = sim.receive_line(&l.po, l.lnid, four).unwrap();
    // 2 % over the PO price: inside the default 5 % tolerance.
    let amount = r2(four * l.prrc * Decimal::new(102, 2));
    post_match(
        &c,
        &sim,
        &match_body("M1", "JG-OK", "02", &today(&sim), &[(&l, four, amount)]),
    )
    .await;
    let report = sim.process_matches();
    assert_eq!(report.rejected, vec![], "{report:?}");
    let doc = report.created[0].1;

    let z = &rows(&sim, "F0411Z1", "JG-OK")[0];
    assert_eq!(z["F0411Z1_EDSP"], "1");
    assert_eq!(z["F0411Z1_PSTE"], "4", "match complete");
    assert_eq!(z["F0411Z1_DOC"].as_i64(), Some(doc));
    let f0411 = sim
        .table_rows("F0411")
        .into_iter()
        .find(|r| r["F0411_DOC"].as_i64() == Some(doc))
        .expect("voucher");
    assert_eq!(d(&f0411["F0411_AG"]), amount);
    let f0911: Vec<Value> = sim
        .table_rows("F0911")
        .into_iter()
        .filter(|r| r["F0911_DOC"].as_i64() == Some(doc))
        .collect();
    assert_eq!(f0911.len(), 1);
    assert_eq!(d(&f0911[0]["F0911_AA"]), amount);

    let receipt = &receipts_of(&sim, &l, "1")[0];
    assert_eq!(receipt.uopn, Decimal::ZERO);
    assert_eq!(receipt.aopn, Decimal::ZERO);
    assert_eq!(receipt.uptd, four);
    assert_eq!(receipt.aptd, rec.arec);
    let matched = receipts_of(&sim, &l, "2");
    assert_eq!(matched.len(), 1);
    let m = &matched[0];
    assert_eq!((m.doc, m.dct.as_str()), (doc, "PV"));
    assert_eq!(m.kco, l.po.kcoo);
    assert_eq!(m.nlin, rec.nlin);
    assert_eq!((m.urec, m.arec), (four, amount));
    assert_eq!(m.vinv, "V-JG-OK");
    // F4311's open quantity went down at the receipt, not again at the voucher.
    assert_eq!(d(&f4311(&sim, &l)["F4311_UOPN"]), l.uorg - four);
}

#[tokio::test]
async fn rule_02_beyond_tolerance_is_rejected_and_changes_nothing() {
    let sim = start().await;
    let c = Client::new();
    let l = open_line(&sim);
    let four = Decimal::from(4);
    sim.receive_line(&l.po, l.lnid, four).unwrap();
    let before = sim.receipts(&l.po);
    let f0411_before = sim.row_count("F0411");
    let amount = r2(four * l.prrc * Decimal::new(115, 2));
    post_match(
        &c,
        &sim,
        &match_body("M1", "JG-HIGH", "02", &today(&sim), &[(&l, four, amount)]),
    )
    .await;
    let report = sim.process_matches();
    assert!(report.created.is_empty());
    let z = &rows(&sim, "F0411Z1", "JG-HIGH")[0];
    assert_eq!(z["F0411Z1_EDSP"], "0");
    assert_eq!(z["F0411Z1_PSTE"], "1");
    let wc = sim.work_center(USER);
    let msg = &wc.iter().find(|m| m.edtn == "JG-HIGH").unwrap().message;
    assert!(
        msg.starts_with("4307") && msg.contains("tolerance"),
        "{msg}"
    );
    assert!(
        msg.contains(&amount.to_string()),
        "names the invoice amount: {msg}"
    );
    assert_eq!(sim.receipts(&l.po), before, "receipts untouched");
    assert_eq!(sim.row_count("F0411"), f0411_before);

    // Tolerance is a knob: with 20 % the same voucher matches on the next run.
    sim.set_knobs(|k| k.match_tolerance.percent = Some(Decimal::from(20)));
    let report = sim.process_matches();
    assert_eq!(report.created.len(), 1, "{report:?}");
}

#[tokio::test]
async fn unreceived_line_under_rule_02_is_rejected() {
    let sim = start().await;
    let c = Client::new();
    let l = open_line(&sim);
    let q = Decimal::TWO;
    post_match(
        &c,
        &sim,
        &match_body(
            "M1",
            "JG-EARLY",
            "02",
            &today(&sim),
            &[(&l, q, r2(q * l.prrc))],
        ),
    )
    .await;
    let report = sim.process_matches();
    assert!(report.created.is_empty());
    assert!(report.rejected[0].1.starts_with("4306"), "{report:?}");
    assert_eq!(rows(&sim, "F0411Z1", "JG-EARLY")[0]["F0411Z1_EDSP"], "0");
    assert!(sim.receipts(&l.po).iter().all(|r| r.lnid != l.lnid));

    // Once received, the next run matches it.
    sim.receive_line(&l.po, l.lnid, q).unwrap();
    assert_eq!(sim.process_matches().created.len(), 1);
}

#[tokio::test]
async fn partial_invoice_leaves_the_receipt_partly_open() {
    let sim = start().await;
    let c = Client::new();
    let l = open_line(&sim);
    let four = Decimal::from(4);
    let rec = sim.receive_line(&l.po, l.lnid, four).unwrap();
    let one = Decimal::ONE;
    post_match(
        &c,
        &sim,
        &match_body(
            "M1",
            "JG-PART",
            "02",
            &today(&sim),
            &[(&l, one, r2(l.prrc))],
        ),
    )
    .await;
    assert_eq!(sim.process_matches().created.len(), 1);
    let receipt = &receipts_of(&sim, &l, "1")[0];
    assert_eq!(receipt.uopn, Decimal::from(3));
    assert_eq!(receipt.uptd, one);
    assert_eq!(receipt.aptd, r2(l.prrc));
    assert_eq!(receipt.aopn, rec.arec - r2(l.prrc));
}

#[tokio::test]
async fn rule_03_clears_two_receipts_of_one_line() {
    let sim = start().await;
    let c = Client::new();
    let l = open_line(&sim);
    let two = Decimal::TWO;
    let first = sim.receive_line(&l.po, l.lnid, two).unwrap();
    let second = sim.receive_line(&l.po, l.lnid, two).unwrap();
    let four = Decimal::from(4);
    let amount = first.arec + second.arec;
    // Under rule 02 no single receipt covers 4.
    post_match(
        &c,
        &sim,
        &match_body("M1", "JG-02", "02", &today(&sim), &[(&l, four, amount)]),
    )
    .await;
    let report = sim.process_matches();
    assert!(report.rejected[0].1.starts_with("4306"), "{report:?}");
    // Rule 03 takes both.
    post_match(
        &c,
        &sim,
        &match_body("M2", "JG-03", "03", &today(&sim), &[(&l, four, amount)]),
    )
    .await;
    let report = sim.process_matches_for(&mlc_sim::jde::DataSelection {
        edus: None,
        edbt: Some("M2".into()),
    });
    assert_eq!(report.created.len(), 1, "{report:?}");
    let receipts = receipts_of(&sim, &l, "1");
    assert!(
        receipts
            .iter()
            .all(|r| r.uopn.is_zero() && r.aopn.is_zero())
    );
    let matches = receipts_of(&sim, &l, "2");
    assert_eq!(matches.len(), 2);
    assert_eq!(
        matches.iter().map(|m| m.nlin).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(matches.iter().map(|m| m.arec).sum::<Decimal>(), amount);
}

#[tokio::test]
async fn rule_07_matches_the_po_line_without_receipt_and_supplier_rule_applies() {
    let sim = start().await;
    let c = Client::new();
    let lines = open_lines(&sim);
    let (a, b) = (&lines[0], &lines[1]);
    let q = Decimal::TWO;
    post_match(
        &c,
        &sim,
        &match_body("M1", "JG-07", "07", &today(&sim), &[(a, q, r2(q * a.prrc))]),
    )
    .await;
    // Blank ATRL and no rule on the supplier: nothing matches.
    post_match(
        &c,
        &sim,
        &match_body("M1", "JG-SUP", "", &today(&sim), &[(b, q, r2(q * b.prrc))]),
    )
    .await;
    let report = sim.process_matches();
    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(report.created[0].0, "JG-07");
    assert!(
        report
            .rejected
            .iter()
            .any(|(e, m)| e == "JG-SUP" && m.starts_with("4301")),
        "{report:?}"
    );
    // Rule 07: an implicit receipt, vouchered at once; F4311 received and open follow.
    let rec = &receipts_of(&sim, a, "1")[0];
    assert_eq!((rec.urec, rec.uopn, rec.uptd), (q, Decimal::ZERO, q));
    assert_eq!(receipts_of(&sim, a, "2")[0].urec, q);
    let line = f4311(&sim, a);
    assert_eq!(d(&line["F4311_UREC"]), q);
    assert_eq!(d(&line["F4311_UOPN"]), a.uorg - q);

    // The supplier's rule (F0401 ATRL) is used when the row has none.
    assert!(sim.set_supplier_rule(b.an8, "07"));
    assert_eq!(
        sim.table_rows("F0401")
            .into_iter()
            .find(|r| r["F0401_AN8"].as_i64() == Some(b.an8))
            .unwrap()["F0401_ATRL"],
        "07"
    );
    let report = sim.process_matches();
    assert_eq!(report.created.len(), 1, "{report:?}");
    assert_eq!(report.created[0].0, "JG-SUP");
}

#[tokio::test]
async fn r4304010_runs_through_the_report_service_with_its_job_number() {
    let sim = start().await;
    sim.set_knobs(|k| k.report_runtime = Duration::ZERO);
    let c = Client::new();
    let lines = open_lines(&sim);
    let (a, b) = (&lines[0], &lines[1]);
    let q = Decimal::TWO;
    sim.receive_line(&a.po, a.lnid, q).unwrap();
    post_match(
        &c,
        &sim,
        &match_body("M9", "JG-J1", "02", &today(&sim), &[(a, q, r2(q * a.prrc))]),
    )
    .await;
    post_match(
        &c,
        &sim,
        &match_body("M9", "JG-J2", "02", &today(&sim), &[(b, q, r2(q * b.prrc))]),
    )
    .await;
    let r = c
        .post(format!("{}v2/report/execute", sim.base_url()))
        .basic_auth("JDEUSER", Some("JDEPASS"))
        .json(&json!({ "reportName": "R4304010", "reportVersion": "XJDE0001" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["reportName"], "R4304010");
    assert_eq!(v["jobStatus"], "D", "{v}");
    let job = v["jobNumber"].as_i64().unwrap();
    let jobs = sim.report_jobs();
    let run = jobs.iter().find(|j| j.job_number == job).unwrap();
    assert_eq!(run.status, JobStatus::Done);
    let processed = run.processed.as_ref().unwrap();
    assert_eq!(processed.created.len(), 1);
    assert_eq!(processed.created[0].0, "JG-J1");
    let msg = sim
        .work_center(USER)
        .into_iter()
        .find(|m| m.edtn == "JG-J2")
        .unwrap();
    assert_eq!(msg.job_number, Some(job));
    assert_eq!(msg.edbt, "M9");
}

#[tokio::test]
async fn foreign_currency_line_matches_in_the_invoice_currency() {
    // Enough orders for EUR orders of the US company to exist.
    let sim = JdeSim::start(JdeSimConfig {
        size: mlc_sim::jde::SimSize::Medium,
        ..JdeSimConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new();
    // A EUR order of the USD company 00100 (CRRM F): FRRC is the EUR unit cost.
    let row = sim
        .table_rows("F4311")
        .into_iter()
        .find(|r| {
            r["F4311_CRCD"] == "EUR"
                && r["F4311_KCOO"] == "00100"
                && r["F4311_NXTR"] != "999"
                && d(&r["F4311_UREC"]).is_zero()
        })
        .expect("a foreign open line");
    let l = Line {
        po: PoKey {
            kcoo: "00100".into(),
            doco: row["F4311_DOCO"].as_i64().unwrap(),
            dcto: row["F4311_DCTO"].as_str().unwrap().into(),
        },
        lnid: d(&row["F4311_LNID"]),
        an8: row["F4311_AN8"].as_i64().unwrap(),
        uorg: d(&row["F4311_UORG"]),
        uom: row["F4311_UOM"].as_str().unwrap().into(),
        prrc: d(&row["F4311_PRRC"]),
    };
    let frrc = d(&row["F4311_FRRC"]);
    let rec = sim.receive_line(&l.po, l.lnid, l.uorg).unwrap();
    assert_eq!(rec.frec, r2(l.uorg * frrc));
    assert_eq!(rec.fap, rec.frec);
    let eur = r2(l.uorg * frrc);
    let mut body = match_body("MF", "JG-EUR", "02", &today(&sim), &[(&l, l.uorg, eur)]);
    // Foreign mode: the gross goes in ACR, the currency is the order's.
    let inputs = body["inputs"].as_array_mut().unwrap();
    for i in inputs.iter_mut() {
        match i["name"].as_str().unwrap() {
            "CRCD" => i["value"] = json!("EUR"),
            "CRRM" => i["value"] = json!("F"),
            "AG" => i["name"] = json!("ACR"),
            _ => {}
        }
    }
    post_match(&c, &sim, &body).await;
    let report = sim.process_matches();
    assert_eq!(report.created.len(), 1, "{report:?}");
    let receipt = &receipts_of(&sim, &l, "1")[0];
    assert!(receipt.uopn.is_zero() && receipt.aopn.is_zero() && receipt.fap.is_zero());
    let m = &receipts_of(&sim, &l, "2")[0];
    assert_eq!(m.frec, eur, "vouchered in EUR");
    assert!(m.arec > Decimal::ZERO, "and in USD at the F0015 rate");
    let f0411 = sim
        .table_rows("F0411")
        .into_iter()
        .find(|r| r["F0411_DOC"].as_i64() == Some(report.created[0].1))
        .unwrap();
    assert_eq!(f0411["F0411_CRRM"], "F");
    assert_eq!(d(&f0411["F0411_ACR"]), eur);
    assert_eq!(d(&f0411["F0411_AG"]), m.arec);
}
