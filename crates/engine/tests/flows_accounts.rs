//! The accounts flow against in-memory fakes and a real store: JDE's postable accounts and
//! business units become JAGGAER value lists, values JDE does not hold are deactivated there,
//! a failed batch holds the cursor.
use mlc_core::record::{Entity, RecordKind};
use mlc_engine::ports::ValueOut;
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, FakeFailure, Fakes};

const ONLY: [Entity; 1] = [Entity::Accounts];

#[tokio::test]
async fn accounts_and_business_units_become_value_lists_and_strays_are_deactivated() {
    let f = Fakes::new().await;
    // Keyed by hand in JAGGAER, unknown to JDE.
    f.jag.put_value(
        "Account",
        ValueOut {
            value: "999.9999".into(),
            description: "typo".into(),
            active: true,
        },
    );
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let accounts = f.jag.value_list("Account");
    assert!(accounts.iter().any(|v| v.value == "200.6110" && v.active));
    let stray = accounts.iter().find(|v| v.value == "999.9999").unwrap();
    assert!(!stray.active, "a value JDE does not hold stays active");
    let bus: Vec<String> = f
        .jag
        .value_list("CostCenter")
        .into_iter()
        .map(|v| v.value)
        .collect();
    assert_eq!(bus, ["200", "210"]);

    // Nothing changed: no write at all.
    let before = f.jag.writes().len();
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok);
    assert_eq!(f.jag.writes().len(), before);
}

#[tokio::test]
async fn a_failed_value_batch_fails_the_cycle_and_holds_the_cursor() {
    let f = Fakes::new().await;
    f.jag
        .faults
        .fail(Call::UpsertValues, 1, FakeFailure::Transient);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Failed);
    assert!(f.quarantine().await.is_empty());
    assert_eq!(f.cursor("accounts/F0901").await, None);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert!(f.cursor("accounts/F0901").await.is_some());
}

fn business_unit(code: &str, company: &str, postable: bool) -> mlc_core::model::BusinessUnit {
    mlc_core::model::BusinessUnit {
        code: mlc_core::ids::BusinessUnitCode::new(code),
        company: company.into(),
        description: format!("Business unit {code}"),
        kind: "IS".into(),
        postable,
    }
}

#[tokio::test]
async fn a_closed_business_unit_is_deactivated_in_jaggaer() {
    let f = Fakes::new().await;
    f.cycle(&ONLY).await;
    // JDE closes 210 to posting (F0006 posting edit).
    f.jde.put_business_unit(
        business_unit("210", "00200", false),
        mlc_engine::testing::stamp("2026-01-03", 90000),
    );
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let got: Vec<(String, bool)> = f
        .jag
        .value_list("CostCenter")
        .into_iter()
        .map(|v| (v.value, v.active))
        .collect();
    assert_eq!(got, [("200".into(), true), ("210".into(), false)]);
}

#[tokio::test]
async fn only_the_configured_companies_and_object_ranges_are_sent() {
    use mlc_core::ids::AccountNumber;
    use mlc_core::model::GlAccount;
    let mut f = Fakes::new().await;
    let old = mlc_engine::testing::stamp("2025-01-02", 80000);
    f.jde
        .put_business_unit(business_unit("100", "00100", true), old);
    f.jde.put_account(
        GlAccount {
            account: AccountNumber::new("100", "6110", ""),
            aid: String::new(),
            company: "00100".into(),
            description: "Other company".into(),
            postable: true,
        },
        old,
    );
    f.settings.mapping.account_scope = mlc_engine::mapping::account::AccountScope::parse(
        &["200".to_owned()],
        &["6100-6199".to_owned()],
    )
    .expect("parses");
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let mut accounts: Vec<String> = f
        .jag
        .value_list("Account")
        .into_iter()
        .map(|v| v.value)
        .collect();
    accounts.sort();
    assert_eq!(accounts, ["200.6110", "200.6120", "210.6110", "210.6120"]);
    let bus: Vec<String> = f
        .jag
        .value_list("CostCenter")
        .into_iter()
        .map(|v| v.value)
        .collect();
    assert_eq!(bus, ["200", "210"]);
}

#[tokio::test]
async fn narrowing_the_scope_deactivates_what_was_sent_before_once() {
    use mlc_core::ids::AccountNumber;
    use mlc_core::model::GlAccount;
    let mut f = Fakes::new().await;
    let old = mlc_engine::testing::stamp("2025-01-02", 80000);
    f.jde
        .put_business_unit(business_unit("100", "00100", true), old);
    f.jde.put_account(
        GlAccount {
            account: AccountNumber::new("100", "6110", ""),
            aid: String::new(),
            company: "00100".into(),
            description: "Other company".into(),
            postable: true,
        },
        old,
    );
    // Everything in scope first.
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    let active = |field: &str| -> Vec<String> {
        let mut v: Vec<String> = f
            .jag
            .value_list(field)
            .into_iter()
            .filter(|v| v.active)
            .map(|v| v.value)
            .collect();
        v.sort();
        v
    };
    assert!(active("Account").contains(&"100.6110".to_owned()));
    assert!(active("CostCenter").contains(&"100".to_owned()));
    // Narrowed to company 200, objects 6100-6119: company 100's values and 6120 accounts go
    // inactive in JAGGAER, though JDE did not change them.
    f.settings.mapping.account_scope = mlc_engine::mapping::account::AccountScope::parse(
        &["200".to_owned()],
        &["6100-6119".to_owned()],
    )
    .expect("parses");
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(active("Account"), ["200.6110", "210.6110"]);
    assert_eq!(active("CostCenter"), ["200", "210"]);
    let trail = f.actions(RecordKind::Account, "100.6110").await;
    assert_eq!(
        trail.last().map(String::as_str),
        Some("deactivated"),
        "{trail:?}"
    );
    // Once: the next cycle writes nothing.
    let writes = f.jag.faults.calls(Call::UpsertValues);
    let s = f.cycle(&ONLY).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jag.faults.calls(Call::UpsertValues), writes);
}
