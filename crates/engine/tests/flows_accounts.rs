//! The accounts flow against in-memory fakes and a real store: JDE's postable accounts and
//! business units become JAGGAER value lists, values JDE does not hold are deactivated there,
//! a failed batch holds the cursor.
use mlc_core::record::Entity;
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
