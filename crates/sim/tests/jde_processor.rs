//! The JDE simulator's batch voucher processor (R04110ZA) as strict as JDE, and the AIS report
//! service that launches it: Work Center messages instead of EDER, F0015 rates, intercompany
//! settlements, F0008 calendars with any number of periods, purge, execute/status.

use std::time::Duration;

use jiff::ToSpan;
use jiff::civil::Date;
use mlc_sim::jde::{
    DataSelection, JdeSim, JdeSimConfig, JobOutcome, JobStatus, ReportService, SimUser,
};
use reqwest::Client;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const USER: &str = "MLCONN";

async fn start() -> JdeSim {
    let mut cfg = JdeSimConfig::default();
    cfg.knobs
        .users
        .push(SimUser::new("OTHER", "OTHERPW", "MM/dd/yyyy"));
    JdeSim::start(cfg).await.expect("sim starts")
}

async fn login(c: &Client, sim: &JdeSim) -> String {
    let r = c
        .post(format!("{}v2/tokenrequest", sim.base_url()))
        .json(&json!({ "username": "JDEUSER", "password": "JDEPASS", "deviceName": "dev" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["userInfo"]["token"].as_str().unwrap().to_owned()
}

async fn post(c: &Client, url: String, token: &str, body: Value) -> (u16, Value) {
    let r = c
        .post(url)
        .header("jde-AIS-Auth", token)
        .header("jde-AIS-Auth-Device", "dev")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A voucher in "JDE Standard" input format: header pairs (EDUS defaults to MLCONN) and one
/// pair list per distribution line.
fn voucher(header: &[(&str, &str)], lines: &[&[(&str, &str)]]) -> Value {
    let pairs = |p: &[(&str, &str)]| -> Vec<Value> {
        p.iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect()
    };
    let mut h = pairs(header);
    if !header.iter().any(|(n, _)| *n == "EDUS") {
        h.push(json!({ "name": "EDUS", "value": USER }));
    }
    let reps: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut p = pairs(l);
            p.push(json!({ "name": "EDLN", "value": (i + 1).to_string() }));
            json!({ "inputs": p })
        })
        .collect();
    json!({ "inputs": h, "detailInputs": [ { "name": "GLDistribution", "repeatingInputs": reps } ] })
}

/// A domestic USD voucher of company 00100 on one expense line.
fn simple(an8: i64, edbt: &str, edtn: &str, dgj: &str, amount: &str, ani: &str) -> Value {
    let an8 = an8.to_string();
    voucher(
        &[
            ("EDBT", edbt),
            ("EDTN", edtn),
            ("AN8", &an8),
            ("VINV", edtn),
            ("DIVJ", dgj),
            ("DGJ", dgj),
            ("KCO", "00100"),
            ("CRCD", "USD"),
            ("CRRM", "D"),
            ("AG", amount),
        ],
        &[&[("ANI", ani), ("AA", amount), ("EXA", "Widgets")]],
    )
}

async fn insert(c: &Client, sim: &JdeSim, token: &str, body: Value) {
    let url = format!("{}v3/orchestrator/ML_AddVoucherBatch", sim.base_url());
    let (s, v) = post(c, url, token, body).await;
    assert_eq!(s, 200, "{v}");
}

fn supplier(sim: &JdeSim, on_hold: bool) -> (i64, String) {
    let r = sim
        .table_rows("F0401")
        .into_iter()
        .find(|r| (r["F0401_HDPY"] == "Y") == on_hold)
        .expect("supplier");
    (
        r["F0401_AN8"].as_i64().unwrap(),
        r["F0401_TRAP"].as_str().unwrap().to_owned(),
    )
}

fn z_row(sim: &JdeSim, edtn: &str) -> Value {
    sim.table_rows("F0411Z1")
        .into_iter()
        .find(|r| r["F0411Z1_EDTN"] == edtn)
        .unwrap_or_else(|| panic!("Z row {edtn}"))
}

fn f0411(sim: &JdeSim, vinv: &str) -> Value {
    sim.table_rows("F0411")
        .into_iter()
        .find(|r| r["F0411_VINV"] == vinv)
        .unwrap_or_else(|| panic!("F0411 {vinv}"))
}

/// Polls `report/status` until the job ends or `limit` polls have passed; returns every
/// status seen, in order.
async fn statuses(c: &Client, sim: &JdeSim, token: &str, job: i64, limit: usize) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..limit {
        let (s, v) = post(
            c,
            format!("{}v2/report/status", sim.base_url()),
            token,
            json!({ "jobNumber": job }),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["jobNumber"], job);
        let st = v["jobStatus"].as_str().unwrap().to_owned();
        if seen.last() != Some(&st) {
            seen.push(st.clone());
        }
        if st == "D" || st == "E" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen
}

async fn execute(c: &Client, sim: &JdeSim, token: &str, body: Value) -> (u16, Value) {
    post(
        c,
        format!("{}v2/report/execute", sim.base_url()),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn launched_job_moves_to_done_and_processes_its_batch() {
    let sim = start().await;
    sim.set_knobs(|k| k.report_runtime = Duration::from_millis(1500));
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, _) = supplier(&sim, false);
    let today = sim.now().date().to_string();
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B1", "OK-1", &today, "10.00", "110.6110"),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B1", "BAD-1", &today, "10.00", "110.6100"),
    )
    .await;

    let (s, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R04110ZA", "reportVersion": "XJDE0002", "async": true }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reportName"], "R04110ZA");
    assert_eq!(v["reportVersion"], "XJDE0002");
    assert_eq!(v["jobStatus"], "W", "a job just submitted waits");
    let job = v["jobNumber"].as_i64().expect("integer jobNumber");
    assert_eq!(
        sim.row_count("F0411"),
        0,
        "nothing processed before the job ends"
    );

    let seen = statuses(&c, &sim, &t, job, 200).await;
    assert_eq!(seen.last().map(String::as_str), Some("D"), "{seen:?}");
    let order = ["W", "P", "D"];
    let idx: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("known status"))
        .collect();
    assert!(idx.windows(2).all(|w| w[0] < w[1]), "W → P → D: {seen:?}");

    // The job ran the processor: one voucher booked, one left at EDSP 0 with its reason in the
    // Work Center of MLCONN under the job's number, EDER blank.
    assert_eq!(z_row(&sim, "OK-1")["F0411Z1_EDSP"], "1");
    let bad = z_row(&sim, "BAD-1");
    assert_eq!(bad["F0411Z1_EDSP"], "0");
    assert_eq!(bad["F0411Z1_EDER"], "");
    let inbox = sim.work_center(USER);
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].job_number, Some(job));
    assert_eq!(
        (inbox[0].edbt.as_str(), inbox[0].edtn.as_str()),
        ("B1", "BAD-1")
    );
    assert!(
        inbox[0].message.contains("not postable"),
        "{}",
        inbox[0].message
    );
    let jobs = sim.report_jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, JobStatus::Done);
    let done = jobs[0].processed.as_ref().expect("processed");
    assert_eq!((done.created.len(), done.rejected.len()), (1, 1));

    // The admin route (not AIS) shows the same Work Center to tests of the binary.
    let admin: Value = c
        .get(format!("http://{}/__sim/workcenter/{USER}", sim.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["messages"][0]["jobNumber"], job);
    assert_eq!(admin["messages"][0]["edtn"], "BAD-1");
    let other: Value = c
        .get(format!("http://{}/__sim/workcenter/JDEUSER", sim.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["messages"], json!([]));

    // Without "async", execute waits for the job and answers its end.
    sim.set_knobs(|k| k.report_runtime = Duration::from_millis(100));
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B2", "OK-2", &today, "11.00", "110.6110"),
    )
    .await;
    let (s, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R04110ZA", "reportVersion": "XJDE0002" }),
    )
    .await;
    assert_eq!((s, v["jobStatus"].as_str()), (200, Some("D")), "{v}");
    assert_eq!(z_row(&sim, "OK-2")["F0411Z1_EDSP"], "1");
    assert_ne!(v["jobNumber"].as_i64(), Some(job), "a new job number");
    sim.shutdown().await;
}

#[tokio::test]
async fn job_in_error_processes_nothing_and_a_job_can_run_for_ever() {
    let sim = start().await;
    sim.set_knobs(|k| {
        k.report_runtime = Duration::ZERO;
        k.report_outcome = JobOutcome::Error;
    });
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, _) = supplier(&sim, false);
    let today = sim.now().date().to_string();
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B1", "E-1", &today, "10.00", "110.6110"),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B1", "E-2", &today, "10.00", "110.6100"),
    )
    .await;
    let body = json!({ "reportName": "R04110ZA", "reportVersion": "XJDE0002", "async": true });
    let (_, v) = execute(&c, &sim, &t, body.clone()).await;
    let job = v["jobNumber"].as_i64().unwrap();
    assert_eq!(statuses(&c, &sim, &t, job, 200).await.last().unwrap(), "E");
    assert_eq!(sim.row_count("F0411"), 0);
    assert!(sim.vouchers().iter().all(|z| !z.processed));
    assert!(
        sim.work_center(USER).is_empty(),
        "a job in error sends nothing"
    );

    sim.set_knobs(|k| k.report_outcome = JobOutcome::NeverEnds);
    let (_, v) = execute(&c, &sim, &t, body).await;
    let job = v["jobNumber"].as_i64().unwrap();
    let seen = statuses(&c, &sim, &t, job, 5).await;
    assert_eq!(seen, vec!["P".to_owned()], "still processing");
    assert_eq!(sim.row_count("F0411"), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn report_service_missing_refused_unknown_and_version_selection() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let body = json!({ "reportName": "R04110ZA", "reportVersion": "XJDE0002", "async": true });

    sim.set_knobs(|k| k.report_service = ReportService::Missing);
    assert_eq!(execute(&c, &sim, &t, body.clone()).await.0, 404);
    let (s, _) = post(
        &c,
        format!("{}v2/report/status", sim.base_url()),
        &t,
        json!({ "jobNumber": 1 }),
    )
    .await;
    assert_eq!(s, 404);

    sim.set_knobs(|k| k.report_service = ReportService::Refused);
    let (s, v) = execute(&c, &sim, &t, body.clone()).await;
    assert_eq!(s, 403, "{v}");
    assert!(v["message"].as_str().unwrap().contains("JDEUSER"), "{v}");
    sim.set_knobs(|k| k.report_service = ReportService::Available);

    let (s, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R0000X", "reportVersion": "XJDE0001" }),
    )
    .await;
    assert_eq!(s, 500);
    assert!(v["message"].as_str().unwrap().contains("R0000X"), "{v}");
    let (s, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R04110ZA", "reportVersion": "ML0001" }),
    )
    .await;
    assert_eq!(s, 500);
    assert!(v["message"].as_str().unwrap().contains("ML0001"), "{v}");
    let (s, _) = post(
        &c,
        format!("{}v2/report/status", sim.base_url()),
        &t,
        json!({ "jobNumber": 424242 }),
    )
    .await;
    assert_eq!(s, 500, "unknown job");
    assert!(sim.report_jobs().is_empty(), "nothing launched");

    // A version's data selection limits the run to its EDUS.
    sim.set_knobs(|k| {
        k.report_runtime = Duration::ZERO;
        k.report_versions
            .insert("ML0001".into(), DataSelection::user("OTHER"));
    });
    let (an8, _) = supplier(&sim, false);
    let today = sim.now().date().to_string();
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "B1", "SEL-1", &today, "10.00", "110.6110"),
    )
    .await;
    let (_, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R04110ZA", "reportVersion": "ML0001", "async": true }),
    )
    .await;
    let job = v["jobNumber"].as_i64().unwrap();
    assert_eq!(statuses(&c, &sim, &t, job, 200).await.last().unwrap(), "D");
    assert_eq!(z_row(&sim, "SEL-1")["F0411Z1_EDSP"], "0", "not selected");
    sim.set_knobs(|k| {
        k.report_versions
            .insert("ML0002".into(), DataSelection::user(USER));
    });
    let (_, v) = execute(
        &c,
        &sim,
        &t,
        json!({ "reportName": "R04110ZA", "reportVersion": "ML0002" }),
    )
    .await;
    assert_eq!(v["jobStatus"], "D");
    assert_eq!(z_row(&sim, "SEL-1")["F0411Z1_EDSP"], "1");
    sim.shutdown().await;
}

#[tokio::test]
async fn foreign_amounts_convert_with_an_f0015_rate() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, _) = supplier(&sim, false);
    let an8 = an8.to_string();
    let today = sim.now().date();
    let dgj = today.to_string();
    let foreign = |edtn: &str, kco: &str, crcd: &str, acr: &str, ani: &str, crr: Option<&str>| {
        let mut h = vec![
            ("EDBT", "FX"),
            ("EDTN", edtn),
            ("AN8", an8.as_str()),
            ("VINV", edtn),
            ("DIVJ", dgj.as_str()),
            ("DGJ", dgj.as_str()),
            ("KCO", kco),
            ("CRCD", crcd),
            ("CRRM", "F"),
            ("ACR", acr),
        ];
        if let Some(r) = crr {
            h.push(("CRR", r));
        }
        voucher(&h, &[&[("ANI", ani), ("ACR", acr)]])
    };
    insert(
        &c,
        &sim,
        &t,
        foreign("FX-EUR", "00100", "EUR", "100.00", "110.6110", None),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        foreign("FX-SENT", "00100", "EUR", "100.00", "110.6110", Some("1.5")),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        foreign("FX-JPY", "00400", "EUR", "100.00", "410.6110", None),
    )
    .await;
    assert!(sim.clear_exchange_rates("GBP", "USD") > 0);
    insert(
        &c,
        &sim,
        &t,
        foreign("FX-GBP", "00100", "GBP", "100.00", "110.6110", None),
    )
    .await;
    let report = sim.process_vouchers();
    assert_eq!(report.created.len(), 3, "{report:?}");

    let rate = sim.exchange_rate("EUR", "USD", today).expect("seeded rate");
    assert!(rate > Decimal::ONE && rate < Decimal::TWO, "{rate}");
    let v = f0411(&sim, "FX-EUR");
    let expected = (Decimal::from(100) * rate).round_dp(2);
    assert_eq!(v["F0411_AG"].to_string(), format!("{expected:.2}"));
    assert_eq!(v["F0411_CRR"].to_string(), rate.to_string());
    assert_eq!(v["F0411_ACR"].to_string(), "100.00");
    assert_eq!(
        f0411(&sim, "FX-SENT")["F0411_AG"].to_string(),
        "150.00",
        "CRR sent wins"
    );
    // A yen company books in its own currency's decimals (none).
    let jpy = sim.exchange_rate("EUR", "JPY", today).unwrap();
    let ag = f0411(&sim, "FX-JPY")["F0411_AG"].to_string();
    assert_eq!(ag, (Decimal::from(100) * jpy).round().to_string());
    assert!(!ag.contains('.'), "{ag}");
    // No rate: a processing error in the Work Center, the row stays unprocessed.
    assert_eq!(z_row(&sim, "FX-GBP")["F0411Z1_EDSP"], "0");
    let inbox = sim.work_center(USER);
    assert!(
        inbox
            .iter()
            .any(|m| m.edtn == "FX-GBP" && m.message.contains("Exchange rate")),
        "{inbox:?}"
    );
    // A rate added later lets the next run book it.
    sim.set_exchange_rate("GBP", "USD", today, "1.25".parse().unwrap());
    assert_eq!(sim.process_vouchers().created.len(), 1);
    assert_eq!(f0411(&sim, "FX-GBP")["F0411_AG"].to_string(), "125.00");
    sim.shutdown().await;
}

#[tokio::test]
async fn intercompany_lines_follow_the_general_accounting_constant() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, _) = supplier(&sim, false);
    let an8 = an8.to_string();
    let dgj = sim.now().date().to_string();
    let body = |edtn: &str| {
        voucher(
            &[
                ("EDBT", "IC"),
                ("EDTN", edtn),
                ("AN8", an8.as_str()),
                ("VINV", edtn),
                ("DIVJ", dgj.as_str()),
                ("DGJ", dgj.as_str()),
                ("KCO", "00100"),
                ("CRCD", "USD"),
                ("AG", "30.00"),
            ],
            &[
                &[("ANI", "110.6110"), ("AA", "10.00")],
                &[("ANI", "210.6110"), ("AA", "20.00")],
            ],
        )
    };
    insert(&c, &sim, &t, body("IC-1")).await;
    assert_eq!(
        sim.process_vouchers().created.len(),
        1,
        "allowed by default"
    );
    let lines = sim.table_rows("F0911");
    let cos: Vec<&str> = lines
        .iter()
        .map(|l| l["F0911_CO"].as_str().unwrap())
        .collect();
    assert_eq!(
        cos,
        vec!["00100", "00200"],
        "each line in its business unit's company"
    );
    assert!(lines.iter().all(|l| l["F0911_KCO"] == "00100"));

    sim.set_knobs(|k| k.intercompany_settlements = false);
    insert(&c, &sim, &t, body("IC-2")).await;
    let report = sim.process_vouchers();
    assert!(report.created.is_empty());
    assert!(report.rejected[0].1.contains("Intercompany"), "{report:?}");
    assert_eq!(z_row(&sim, "IC-2")["F0411Z1_EDSP"], "0");
    assert!(sim.work_center(USER)[0].message.contains("210"));
    sim.shutdown().await;
}

#[tokio::test]
async fn closed_period_follows_the_company_date_pattern() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, _) = supplier(&sim, false);
    let an8 = an8.to_string();
    let jan1 = Date::new(sim.now().date().year(), 1, 1).unwrap();
    let body = |edtn: &str, kco: &str, crcd: &str, ani: &str, dgj: Date| {
        let d = dgj.to_string();
        voucher(
            &[
                ("EDBT", "CAL"),
                ("EDTN", edtn),
                ("AN8", an8.as_str()),
                ("VINV", edtn),
                ("DIVJ", d.as_str()),
                ("DGJ", d.as_str()),
                ("KCO", kco),
                ("CRCD", crcd),
                ("AG", "10.00"),
            ],
            &[&[("ANI", ani), ("AA", "10.00")]],
        )
    };
    // 13 periods of four weeks (pattern T), A/P in period 5: open from day 4 × 28.
    assert!(sim.set_company_calendar("00300", "T", jan1, 5));
    let open = jan1.checked_add(112.days()).unwrap();
    assert_eq!(sim.first_open_day("00300"), Some(open));
    // 4-4-5 (pattern F), A/P in period 4: open from week 13.
    assert!(sim.set_company_calendar("00200", "F", jan1, 4));
    let open445 = jan1.checked_add(91.days()).unwrap();
    assert_eq!(sim.first_open_day("00200"), Some(open445));
    let cases = [
        (
            "T-P4",
            "00300",
            "EUR",
            "310.6110",
            open.yesterday().unwrap(),
            false,
        ),
        ("T-P5", "00300", "EUR", "310.6110", open, true),
        // Period 13 of the same year is still in it (a 12-month calendar would end sooner).
        (
            "T-P13",
            "00300",
            "EUR",
            "310.6110",
            jan1.checked_add(340.days()).unwrap(),
            true,
        ),
        (
            "F-P3",
            "00200",
            "USD",
            "210.6110",
            open445.yesterday().unwrap(),
            false,
        ),
        ("F-P4", "00200", "USD", "210.6110", open445, true),
        (
            "T-NOYEAR",
            "00300",
            "EUR",
            "310.6110",
            jan1.checked_add(10.years()).unwrap(),
            false,
        ),
    ];
    for (edtn, kco, crcd, ani, dgj, _) in &cases {
        insert(&c, &sim, &t, body(edtn, kco, crcd, ani, *dgj)).await;
    }
    sim.process_vouchers();
    let inbox = sim.work_center(USER);
    for (edtn, _, _, _, _, ok) in &cases {
        let processed = z_row(&sim, edtn)["F0411Z1_EDSP"] == "1";
        assert_eq!(processed, *ok, "{edtn}: {inbox:?}");
    }
    let msg = |edtn: &str| {
        inbox
            .iter()
            .find(|m| m.edtn == edtn)
            .map(|m| m.message.clone())
            .unwrap_or_default()
    };
    assert!(msg("T-P4").contains("closed period"), "{}", msg("T-P4"));
    assert!(msg("F-P3").contains("closed period"), "{}", msg("F-P3"));
    assert!(msg("T-NOYEAR").contains("F0008"), "{}", msg("T-NOYEAR"));
    // A pattern of the caller's own (any number of periods up to 14) can be defined.
    let ends: Vec<Date> = (1..=6)
        .map(|p| jan1.checked_add((p * 61).days()).unwrap())
        .collect();
    assert!(sim.set_date_pattern("B", jan1, &ends));
    assert!(sim.set_company_calendar("00100", "B", jan1, 2));
    assert_eq!(
        sim.first_open_day("00100"),
        Some(ends[0].tomorrow().unwrap())
    );
    assert!(!sim.set_date_pattern("C", jan1, &[]), "no periods");
    assert!(
        !sim.set_company_calendar("00100", "Z", jan1, 1),
        "no such pattern"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn calendars_rates_and_company_constants_are_readable_through_the_data_service() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let ds = |body: Value| post(&c, format!("{}v2/dataservice", sim.base_url()), &t, body);
    let eq = |col: &str, v: &str| {
        json!({ "controlId": col, "operator": "EQUAL",
                "value": [ { "specialValueId": "LITERAL", "content": v } ] })
    };
    let (s, v) = ds(json!({ "targetName": "F0008", "maxPageSize": "No Max",
        "query": { "condition": [ eq("F0008.DTPN", "T") ] } }))
    .await;
    assert_eq!(s, 200, "{v}");
    let rows = v["fs_DATABROWSE_F0008"]["data"]["gridData"]["rowset"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!rows.is_empty());
    for r in &rows {
        // Thirteen periods: period 13 ends after period 12; the unused 14th repeats it.
        assert_ne!(r["F0008_D13J"], r["F0008_D12J"], "{r}");
        assert_eq!(r["F0008_D14J"], r["F0008_D13J"], "{r}");
        assert_eq!(r["F0008_DFYJ"].as_str().unwrap().len(), 8);
    }
    let (_, v) = ds(json!({ "targetName": "F0010",
        "returnControlIDs": "F0010.CO|F0010.CRCD|F0010.DTPN|F0010.APFJ|F0010.APPN|F0010.DFYJ|F0010.PNC" }))
    .await;
    let co = &v["fs_DATABROWSE_F0010"]["data"]["gridData"]["rowset"][0];
    assert_eq!(co["F0010_DTPN"], "R");
    assert!(co["F0010_APPN"].as_i64().unwrap() >= 1, "{co}");
    assert_eq!(co["F0010_APFJ"], co["F0010_DFYJ"]);
    let (_, v) = ds(json!({ "targetName": "F0015", "maxPageSize": "No Max",
        "query": { "condition": [ eq("F0015.CRCD", "EUR"), eq("F0015.CRDC", "USD") ] } }))
    .await;
    let rates = v["fs_DATABROWSE_F0015"]["data"]["gridData"]["rowset"]
        .as_array()
        .unwrap();
    assert!(rates.len() >= 12, "monthly rates: {}", rates.len());
    assert!(rates.iter().all(|r| r["F0015_CRR"].as_f64().unwrap() > 1.0));
    sim.shutdown().await;
}

#[tokio::test]
async fn purge_duplicate_transaction_and_payables_defaults() {
    let sim = start().await;
    let c = Client::new();
    let t = login(&c, &sim).await;
    let (an8, trap) = supplier(&sim, false);
    let (held, _) = supplier(&sim, true);
    let today = sim.now().date();
    let d = today.to_string();
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "P1", "P-OK", &d, "10.00", "110.6110"),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "P1", "P-BAD", &d, "10.00", "110.6100"),
    )
    .await;
    insert(
        &c,
        &sim,
        &t,
        simple(held, "P1", "P-HELD", &d, "10.00", "110.6110"),
    )
    .await;
    let held_s = held.to_string();
    insert(
        &c,
        &sim,
        &t,
        voucher(
            &[
                ("EDBT", "P1"),
                ("EDTN", "P-FORCED"),
                ("AN8", held_s.as_str()),
                ("VINV", "P-FORCED"),
                ("DIVJ", d.as_str()),
                ("DGJ", d.as_str()),
                ("KCO", "00100"),
                ("CRCD", "USD"),
                ("AG", "10.00"),
                ("PST", "A"),
                ("PTC", "N10"),
                ("DDJ", "2031-01-31"),
            ],
            &[&[("ANI", "110.6110"), ("AA", "10.00")]],
        ),
    )
    .await;
    assert_eq!(sim.process_vouchers().created.len(), 3);

    // Pay status and terms default from the supplier unless sent.
    let ok = f0411(&sim, "P-OK");
    assert_eq!(ok["F0411_PST"], "A");
    assert_eq!(ok["F0411_PTC"], trap.as_str());
    let days: i64 = trap
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    let due = today
        .checked_add(days.days())
        .unwrap()
        .strftime("%Y%m%d")
        .to_string();
    assert_eq!(ok["F0411_DDJ"], due.as_str());
    assert_eq!(
        f0411(&sim, "P-HELD")["F0411_PST"],
        "H",
        "supplier on hold stays on hold"
    );
    let forced = f0411(&sim, "P-FORCED");
    assert_eq!(
        (
            forced["F0411_PST"].as_str(),
            forced["F0411_PTC"].as_str(),
            forced["F0411_DDJ"].as_str()
        ),
        (Some("A"), Some("N10"), Some("20310131"))
    );

    // Purge removes the processed Z rows only (pay item + line each), of that user only.
    assert_eq!(sim.purge_processed(Some("SOMEONE")), 0);
    assert_eq!(sim.purge_processed(Some(USER)), 6);
    let left: Vec<String> = sim.vouchers().into_iter().map(|z| z.edtn).collect();
    assert_eq!(left, vec!["P-BAD".to_owned()]);
    assert_eq!(sim.row_count("F0911Z1"), 1);
    assert_eq!(sim.row_count("F0411"), 3, "the vouchers stay");

    // The same EDTN again (another batch): JDE already has a voucher for it.
    insert(
        &c,
        &sim,
        &t,
        simple(an8, "P2", "P-OK", &d, "10.00", "110.6110"),
    )
    .await;
    let report = sim.process_vouchers();
    let (_, msg) = report
        .rejected
        .iter()
        .find(|(e, _)| e == "P-OK")
        .expect("rejected");
    assert!(msg.contains("already exists"), "{msg}");
    assert_eq!(sim.row_count("F0411"), 3, "never a second voucher");
    sim.shutdown().await;
}
