//! Contract tests against the AIS simulator (mlc-sim): the same wire contract, written
//! independently on both sides (docs/jde-tables.md).

use std::time::Duration;

use futures::StreamExt;
use mlc_jde::*;
use mlc_sim::jde::{JdeSim, JdeSimConfig, SimUser};
use secrecy::SecretString;

fn settings(sim: &JdeSim, user: &str, pass: &str) -> AisSettings {
    let mut s = AisSettings::new(
        url::Url::parse(&sim.base_url()).unwrap(),
        user,
        SecretString::from(pass),
    );
    s.timeout = Duration::from_secs(5);
    s.max_in_flight = 4;
    s.retry = RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(50),
    };
    s
}

async fn start() -> JdeSim {
    let mut cfg = JdeSimConfig::default();
    cfg.knobs
        .users
        .push(SimUser::new("EUUSER", "EUPASS", "dd/MM/yyyy"));
    JdeSim::start(cfg).await.unwrap()
}

fn logins(sim: &JdeSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.ends_with("/tokenrequest"))
        .count()
}

#[tokio::test]
async fn login_info_and_bad_password() {
    let sim = start().await;
    let c = AisClient::new(settings(&sim, "JDEUSER", "JDEPASS")).unwrap();
    let info = c.login().await.unwrap();
    assert_eq!(info.simple_date_format, "MM/dd/yyyy");
    assert!(c.validate_session().await.unwrap());
    assert_eq!(
        c.default_config().await.unwrap().tools_release.as_deref(),
        Some("9.2.8.3")
    );
    assert!(c.orchestration_exists("ML_AddVoucherBatch").await.unwrap());
    c.logout().await.unwrap();

    let bad = AisClient::new(settings(&sim, "JDEUSER", "wrong")).unwrap();
    let before = logins(&sim);
    for _ in 0..3 {
        let e = bad.login().await.unwrap_err();
        assert!(matches!(e, JdeError::LoginRejected { .. }), "{e:?}");
    }
    assert_eq!(logins(&sim) - before, 1, "a rejected login is sent once");
}

#[tokio::test]
async fn token_loss_under_concurrency_costs_one_login() {
    let sim = start().await;
    let c = AisClient::new(settings(&sim, "JDEUSER", "JDEPASS")).unwrap();
    c.login().await.unwrap();
    sim.invalidate_all_tokens();
    let before = logins(&sim);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.fetch_all::<F0013Row>(Query::new("F0013")).await })
        })
        .collect();
    for t in tasks {
        assert!(!t.await.unwrap().unwrap().is_empty());
    }
    assert_eq!(logins(&sim) - before, 1);
}

#[tokio::test]
async fn every_operator_filters_like_the_client_would() {
    let sim = start().await;
    let c = AisClient::new(settings(&sim, "EUUSER", "EUPASS")).unwrap();
    let all: Vec<F0101Row> = c
        .fetch_all(Query::new("F0101").order_by("AN8", Asc))
        .await
        .unwrap();
    assert!(all.len() >= 10);
    let mid = all[all.len() / 2].an8;
    let lo = all[2].an8;
    let word = all[0].alph.split_whitespace().next().unwrap().to_owned();
    type Pred = Box<dyn Fn(&F0101Row) -> bool>;
    let cases: Vec<(Condition, Pred)> = vec![
        (
            Condition::new("AN8", Op::Equal, mid),
            Box::new(move |r| r.an8 == mid),
        ),
        (
            Condition::new("AN8", Op::NotEqual, mid),
            Box::new(move |r| r.an8 != mid),
        ),
        (
            Condition::new("AN8", Op::Less, mid),
            Box::new(move |r| r.an8 < mid),
        ),
        (
            Condition::new("AN8", Op::LessEqual, mid),
            Box::new(move |r| r.an8 <= mid),
        ),
        (
            Condition::new("AN8", Op::Greater, mid),
            Box::new(move |r| r.an8 > mid),
        ),
        (
            Condition::new("AN8", Op::GreaterEqual, mid),
            Box::new(move |r| r.an8 >= mid),
        ),
        (
            Condition::between("AN8", lo, mid),
            Box::new(move |r| (lo..=mid).contains(&r.an8)),
        ),
        (
            Condition::list("AN8", [lo, mid]),
            Box::new(move |r| r.an8 == lo || r.an8 == mid),
        ),
        (Condition::new("ALPH", Op::StartsWith, word.as_str()), {
            let w = word.clone();
            Box::new(move |r| r.alph.starts_with(&w))
        }),
        (Condition::new("ALPH", Op::Contains, word.as_str()), {
            let w = word.clone();
            Box::new(move |r| r.alph.contains(&w))
        }),
        (Condition::blank("TAX"), Box::new(|r| r.tax.is_empty())),
        (Condition::not_blank("TAX"), Box::new(|r| !r.tax.is_empty())),
    ];
    for (cond, pred) in cases {
        let label = format!("{cond:?}");
        let got: Vec<i64> = c
            .fetch_all::<F0101Row>(Query::new("F0101").condition(cond).order_by("AN8", Asc))
            .await
            .unwrap()
            .iter()
            .map(|r| r.an8)
            .collect();
        let want: Vec<i64> = all.iter().filter(|r| pred(r)).map(|r| r.an8).collect();
        assert_eq!(got, want, "{label}");
    }
    // A date literal in the dd/MM/yyyy user's format.
    let d = all
        .iter()
        .filter_map(|r| r.updated)
        .map(|s| s.date)
        .max()
        .unwrap();
    let got = c
        .fetch_all::<F0101Row>(Query::new("F0101").condition(Condition::new(
            "UPMJ",
            Op::GreaterEqual,
            d,
        )))
        .await
        .unwrap();
    let want = all
        .iter()
        .filter(|r| r.updated.is_some_and(|s| s.date >= d))
        .count();
    assert_eq!(got.len(), want);
    assert!(want > 0);
}

#[tokio::test]
async fn paging_survives_result_set_expiry() {
    let sim = start().await;
    sim.set_knobs(|k| k.result_set_expiry = Duration::from_millis(40));
    let c = AisClient::new(settings(&sim, "JDEUSER", "JDEPASS")).unwrap();
    let q = || {
        Query::new("F4311")
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc)
            .order_by("SFXO", Asc)
            .order_by("LNID", Asc)
            .page_size(25)
    };
    let mut want: Vec<(i64, String)> = c
        .fetch_all::<F4311Row>(q().no_max())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.doco, r.lnid.to_string()))
        .collect();
    let mut got = Vec::new();
    let mut pages = std::pin::pin!(c.browse::<F4311Row>(q()));
    let mut n = 0;
    while let Some(page) = pages.next().await {
        got.extend(
            page.unwrap()
                .into_iter()
                .map(|r| (r.doco, r.lnid.to_string())),
        );
        n += 1;
        if n % 2 == 0 {
            // A slow consumer: the server drops the result set meanwhile.
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
    }
    assert!(c.stats().page_restarts >= 1, "{:?}", c.stats());
    want.sort();
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        got.len(),
        "keyset restart yields no duplicates"
    );
    assert_eq!(sorted, want);
}

#[tokio::test]
async fn voucher_success_and_rejections() {
    let sim = start().await;
    let c = AisClient::new(settings(&sim, "JDEUSER", "JDEPASS")).unwrap();
    let supplier = c.fetch_all::<F0401Row>(Query::new("F0401")).await.unwrap()[0].an8;
    let company = c
        .fetch_all::<F0010Row>(Query::new("F0010").condition(Condition::new(
            "CO",
            Op::NotEqual,
            "00000",
        )))
        .await
        .unwrap()
        .remove(0);
    let account = c
        .fetch_all::<F0901Row>(
            Query::new("F0901")
                .condition(Condition::new("CO", Op::Equal, company.co.as_str()))
                .condition(Condition::blank("PEC")),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|a| !a.obj.is_empty())
        .expect("a postable account");
    let ani = if account.sub.is_empty() {
        format!("{}.{}", account.mcu, account.obj)
    } else {
        format!("{}.{}.{}", account.mcu, account.obj, account.sub)
    };
    let day = sim.first_open_day(&company.co).unwrap();
    let v = VoucherInput {
        edus: "MLCONN".into(),
        edbt: "B1".into(),
        edtn: "T-1".into(),
        an8: supplier,
        vinv: "INV-1".into(),
        divj: day,
        dgj: day,
        kco: company.co.clone(),
        co: Some(company.co.clone()),
        crcd: company.crcd.clone(),
        crrm: "D".into(),
        ag: "100.00".parse().unwrap(),
        acr: None,
        crr: None,
        stam: None,
        ctam: None,
        txa1: None,
        exr1: None,
        mcu: None,
        rmk: None,
        pst: None,
        ddj: None,
        ptc: None,
        adsc: None,
        po: None,
        lines: vec![VoucherLineInput {
            edln: 1,
            ani,
            aa: Some("100.00".parse().unwrap()),
            acr: None,
            exa: "Widgets".into(),
            mcu: None,
        }],
    };
    let ok = c.add_voucher("ML_AddVoucherBatch", &v).await;
    let ok = ok.unwrap();
    assert_eq!(ok.edtn, "T-1");
    let z = c
        .fetch_all::<F0411Z1Row>(Query::new("F0411Z1").condition(Condition::new(
            "EDTN",
            Op::Equal,
            "T-1",
        )))
        .await
        .unwrap();
    assert_eq!(z.len(), 1);
    assert_eq!(z[0].ag.to_string(), "100.00");

    // Same key again: duplicate, a business rejection (HTTP 500 shape), not retried.
    let e = c.add_voucher("ML_AddVoucherBatch", &v).await.unwrap_err();
    assert_eq!(e.kind(), "business", "{e:?}");
    assert!(!e.is_transient());
    assert!(e.form_errors().iter().any(|f| f.code == "0005"), "{e:?}");

    // A table insert does not validate the business: an unknown supplier is accepted here
    // (R04110ZA refuses it at processing time, with the reason in the Work Center).
    let unknown = VoucherInput {
        an8: 99_999_999,
        edtn: "T-2".into(),
        ..v.clone()
    };
    c.add_voucher("ML_AddVoucherBatch", &unknown).await.unwrap();
    // What the insert itself refuses (a value too long for its column), 200 + ERROR shape.
    sim.set_knobs(|k| k.error_shape = mlc_sim::jde::ErrorShape::Status200);
    let bad = VoucherInput {
        vinv: "X".repeat(30),
        edtn: "T-3".into(),
        ..v.clone()
    };
    match c.add_voucher("ML_AddVoucherBatch", &bad).await {
        Err(JdeError::Orchestration { errors, .. }) => {
            assert!(
                errors
                    .iter()
                    .any(|f| f.code == "0009" && f.control == "VINV"),
                "{errors:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Unknown orchestration: 404 Remote.
    let e = c.add_voucher("NOPE", &v).await.unwrap_err();
    assert!(matches!(e, JdeError::Remote { status: 404, .. }), "{e:?}");
}
