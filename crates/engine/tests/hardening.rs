//! Issue 16 items 1 and 6 against the fakes: remote numbers that overflow quarantine their record
//! (naming the field), a panicking port is a failed run (never left "running") that backs off
//! and is alerted instead of looping, and faults that are not a record's own never quarantine it.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mlc_core::record::Entity;
use mlc_engine::schedule::Schedule;
use mlc_engine::summary::SummaryStatus;
use mlc_engine::testing::{Call, FakeFailure, Fakes, j1p_invoice, stamp, supplier};
use mlc_engine::worker::{self, ServiceEvent, TenantJob, WorkerConfig};
use mlc_store::{Fence, RunStatus};
use serde_json::Value;

const BOTH: [Entity; 2] = [Entity::Suppliers, Entity::Invoices];
const T1: &str = "2026-01-12T10:00:00Z";
/// `Decimal::MAX`: decodes, but any product with it overflows.
const HUGE: &str = "79228162514264337593543950335";

async fn world() -> Fakes {
    let f = Fakes::new().await;
    f.jde
        .put_supplier(supplier(4242, "Midwest Safety", stamp("2026-01-02", 90000)));
    f
}

fn invoice(id: u64, number: &str, total: &str) -> Value {
    j1p_invoice(id, number, "77", 4242, total, "Payable", T1)
}

async fn runs_of(f: &Fakes) -> Vec<mlc_store::RunRow> {
    f.store.runs(Some(&f.settings.tenant), 100).await.unwrap()
}

#[tokio::test]
async fn an_invoice_whose_quantity_times_price_overflows_is_quarantined_naming_the_field() {
    let f = world().await;
    let mut bad = invoice(1, "INV-BIG", "100.00");
    bad["lineList"]["invoiceLine"][0]["quantity"] = HUGE.into();
    bad["lineList"]["invoiceLine"][0]["unitPrice"] = "2".into();
    f.jag.put_invoice(bad);
    f.jag.put_invoice(invoice(2, "INV-OK", "50.00"));

    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial, "{s:?}");
    assert!(!s.panicked);
    assert_eq!(s.entities["invoices"].quarantined, 1, "{s:?}");
    assert_eq!(
        s.entities["invoices"].created, 1,
        "the good invoice still goes: {s:?}"
    );
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        q[0].entry.field.as_deref(),
        Some("line 1.quantity × unitPrice")
    );
    assert_eq!(q[0].entry.reason_kind, "overflow");
    assert!(
        q[0].entry.reason.contains(HUGE),
        "names the value: {}",
        q[0].entry.reason
    );
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(f.jde.posted()[0].vinv, "INV-OK");
}

#[tokio::test]
async fn an_amount_beyond_what_jde_can_hold_is_quarantined_not_summed() {
    let f = world().await;
    let mut bad = invoice(1, "INV-TAX", "100.00");
    // Each tax charge fits a Decimal; their sum would not.
    bad["header"]["taxCharge1"] = HUGE.into();
    bad["header"]["taxCharge2"] = HUGE.into();
    f.jag.put_invoice(bad);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Partial, "{s:?}");
    let q = f.quarantine().await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        q[0].entry.field.as_deref(),
        Some("header.taxCharge1 + taxCharge2")
    );
    assert!(f.jde.posted().is_empty());
}

#[tokio::test]
async fn a_panicking_port_is_a_failed_run_not_a_running_one() {
    let f = world().await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00"));
    f.jag.faults.fail_always(Call::Invoice, FakeFailure::Panic);
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Failed, "{s:?}");
    assert!(s.panicked, "{s:?}");
    assert!(
        s.error.as_deref().unwrap_or("").contains("injected panic"),
        "{s:?}"
    );
    // The supplier committed before the panic is kept; the invoice is not blamed.
    assert_eq!(s.entities["suppliers"].created, 1, "{s:?}");
    assert!(f.quarantine().await.is_empty());
    let runs = runs_of(&f).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(runs[0].finished_at.is_some());

    // `quarantine retry`'s path catches it the same way.
    let key = mlc_core::record::RecordKey::new(
        mlc_core::record::RecordKind::Invoice,
        &f.settings.tenant,
        "1",
    );
    let r = f.engine().retry(&key, &Value::Null).await.unwrap();
    assert_eq!(r.status, SummaryStatus::Failed, "{r:?}");
    assert!(r.panicked, "{r:?}");
    assert!(
        runs_of(&f)
            .await
            .iter()
            .all(|r| r.status != RunStatus::Running)
    );

    // Fixed, the next cycle posts the invoice once.
    f.jag.faults.clear();
    let s = f.cycle(&BOTH).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
}

#[tokio::test]
async fn the_worker_backs_off_and_alerts_after_a_panic_instead_of_looping() {
    let f = world().await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00"));
    f.jag.faults.fail_always(Call::Invoice, FakeFailure::Panic);
    let events: Arc<Mutex<Vec<ServiceEvent>>> = Arc::default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let ev = events.clone();
    let cfg = WorkerConfig {
        worker_id: "w-test".into(),
        lease_ttl: Duration::from_secs(30),
        tick: Duration::from_millis(5),
        grace: Duration::from_secs(5),
        events: Some(Arc::new(move |e| {
            let panicked = matches!(e, ServiceEvent::CyclePanicked { .. });
            ev.lock().unwrap().push(e);
            if panicked && let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        })),
    };
    let job = TenantJob {
        engine: f.engine(),
        schedule: Schedule::Every(SignedDuration::from_secs(60)),
        base_interval: SignedDuration::from_secs(60),
    };
    let started = Timestamp::now();
    worker::run(vec![job], cfg, async move {
        let _ = rx.await;
        // Many more scheduler ticks: a tenant that is not backed off would be retaken here.
        for _ in 0..40 {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;

    let got = events.lock().unwrap().clone();
    let panics = got
        .iter()
        .filter(|e| matches!(e, ServiceEvent::CyclePanicked { .. }))
        .count();
    assert_eq!(panics, 1, "{got:?}");
    assert_eq!(f.jag.faults.calls(Call::Invoice), 1, "no second cycle");
    let runs = runs_of(&f).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].status, RunStatus::Failed);
    let state = f.store.tenant_state(&f.settings.tenant).await.unwrap();
    assert_eq!(state.consecutive_failures, 1);
    let due = state.next_due.expect("a back-off");
    assert!(
        due >= started + SignedDuration::from_secs(60),
        "backed off: next due {due}"
    );
    // The lease was released with the task.
    assert!(
        f.store
            .lease_holder(&format!("tenant:{}", f.settings.tenant))
            .await
            .unwrap()
            .is_none()
    );
}

/// Faults that are not the invoice's own stop the flow; the invoice is read again next cycle
/// and posted once, never quarantined.
#[tokio::test]
async fn transport_faults_never_quarantine_a_record() {
    let cases = [
        (Call::InvoicesChanged, FakeFailure::Transient),
        (Call::Invoice, FakeFailure::Transient),
        (Call::Invoice, FakeFailure::LoginRejected),
        (Call::PostVoucher, FakeFailure::Transient),
        (Call::PostVoucher, FakeFailure::TimeoutLost),
        (Call::PostVoucher, FakeFailure::TimeoutAfterWrite),
    ];
    for (call, failure) in cases {
        let f = world().await;
        f.jag.put_invoice(invoice(1, "INV-1", "100.00"));
        f.jde.faults.fail_always(call, failure);
        f.jag.faults.fail_always(call, failure);
        let s = f.cycle(&BOTH).await;
        if failure != FakeFailure::TimeoutAfterWrite {
            // (A timed-out voucher call that was applied is found in the Z file at once.)
            assert_ne!(s.status, SummaryStatus::Ok, "{call:?}/{failure:?}: {s:?}");
        }
        assert!(
            f.quarantine().await.is_empty(),
            "{call:?}/{failure:?} quarantined the invoice"
        );
        f.jde.faults.clear();
        f.jag.faults.clear();
        // A rejected login paused the tenant (`tenant resume` after fixing the credentials).
        let mut state = f.store.tenant_state(&f.settings.tenant).await.unwrap();
        state.paused = false;
        f.store
            .set_tenant_state(&f.settings.tenant, &state)
            .await
            .unwrap();
        let s = f.cycle(&BOTH).await;
        assert_eq!(s.status, SummaryStatus::Ok, "{call:?}/{failure:?}: {s:?}");
        assert!(f.quarantine().await.is_empty(), "{call:?}/{failure:?}");
        assert_eq!(
            f.jde.posted().len(),
            1,
            "{call:?}/{failure:?}: exactly one voucher"
        );
    }
}

/// Item 8: a worker frozen past its lease's TTL and resumed after another worker took the tenant
/// over writes nothing: neither to the remotes (checked before each write) nor to the store
/// (the commit's epoch is stale).
#[tokio::test]
async fn a_cycle_whose_lease_was_taken_over_writes_nothing() {
    let f = world().await;
    f.jag.put_invoice(invoice(1, "INV-1", "100.00"));
    let lease = format!("tenant:{}", f.settings.tenant);
    let old = f
        .store
        .lease_acquire(&lease, "w-frozen", Duration::from_millis(1))
        .await
        .unwrap()
        .expect("free");
    // The frozen worker's lease runs out; another worker takes the tenant over.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let new = f
        .store
        .lease_acquire(&lease, "w-new", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("expired lease taken over");
    assert!(new > old);

    let stale = f.engine().fenced(Fence {
        lease: lease.clone(),
        epoch: old,
    });
    let s = stale
        .run_cycle(BOTH.to_vec(), "schedule".into())
        .await
        .unwrap();
    assert_eq!(s.status, SummaryStatus::Failed, "{s:?}");
    assert!(s.error.as_deref().unwrap_or("").contains("lease"), "{s:?}");
    assert!(
        f.jag.writes().is_empty(),
        "no JAGGAER write: {:?}",
        f.jag.writes()
    );
    assert!(f.jde.posted().is_empty(), "no voucher");
    assert!(f.quarantine().await.is_empty());
    assert_eq!(f.cursor("invoices/lastUpdate").await, None);

    // The holder's cycle does the work, once.
    let s = f
        .engine()
        .fenced(Fence { lease, epoch: new })
        .run_cycle(BOTH.to_vec(), "schedule".into())
        .await
        .unwrap();
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    assert_eq!(f.jde.posted().len(), 1);
    assert_eq!(f.jag.writes().len(), 1, "one supplier upsert");
}

/// A stale commit is refused by the store even when the remote write got through (the write in
/// flight at the freeze): nothing is recorded, and the holder's dedup finds the voucher.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_under_a_stale_epoch_is_refused_and_the_holder_does_not_post_twice() {
    let f = world().await;
    // Suppliers first, unfenced, so only the invoice is at stake.
    let s = f.cycle(&[Entity::Suppliers]).await;
    assert_eq!(s.status, SummaryStatus::Ok, "{s:?}");
    f.jag.put_invoice(invoice(1, "INV-1", "100.00"));
    let lease = format!("tenant:{}", f.settings.tenant);
    let old = f
        .store
        .lease_acquire(&lease, "w-frozen", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("free");
    let frozen = f.engine().fenced(Fence {
        lease: lease.clone(),
        epoch: old,
    });
    // The takeover happens while the voucher call is in flight: the fake posts it, then the
    // lease moves (release + retake bumps the epoch, as a takeover after expiry does).
    let store = f.store.clone();
    let l2 = lease.clone();
    f.jde.on_post(move || {
        let store = store.clone();
        let l2 = l2.clone();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                store.lease_release(&l2, "w-frozen").await.unwrap();
                store
                    .lease_acquire(&l2, "w-new", Duration::from_secs(30))
                    .await
                    .unwrap()
                    .expect("taken over");
            })
        });
    });
    let s = frozen
        .run_cycle(vec![Entity::Invoices], "schedule".into())
        .await
        .unwrap();
    assert_eq!(s.status, SummaryStatus::Failed, "{s:?}");
    assert!(
        s.error.as_deref().unwrap_or("").contains("taken over"),
        "{s:?}"
    );
    assert_eq!(f.jde.posted().len(), 1, "the write in flight completed");
    assert_eq!(
        f.ledger(mlc_core::record::RecordKind::Invoice, "1").await,
        None,
        "the stale commit wrote nothing"
    );

    let holder = f.store.lease_holder(&lease).await.unwrap().unwrap();
    let s = f
        .engine()
        .fenced(Fence {
            lease,
            epoch: holder.epoch,
        })
        .run_cycle(vec![Entity::Invoices], "schedule".into())
        .await
        .unwrap();
    assert_ne!(s.status, SummaryStatus::Failed, "{s:?}");
    assert_eq!(
        f.jde.posted().len(),
        1,
        "the holder's dedup found the voucher"
    );
}
