//! Router-level tests of the console: sign-in, sessions, roles, CSRF, the proxy header, and
//! quarantine actions audited with the user.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use mlc_core::ids::TenantId;
use mlc_core::record::{RecordKey, RecordKind};
use mlc_store::{Commit, NewQuarantine, QuarantineEntry, QuarantineStatus, Role, StateStore};
use tower::ServiceExt as _;

use super::auth::{AuthSettings, hash_password};
use super::{Console, Retrier, RetryOutcome};
use crate::server::{ServerState, router};

const PROXY: [u8; 4] = [10, 1, 2, 3];
const BROWSER: [u8; 4] = [192, 0, 2, 7];

/// Stands in for the engine: a retry that goes through resolves the entry the way the
/// engine's commit does, and the user it was asked for is remembered.
#[derive(Default)]
struct FakeRetrier {
    store: Mutex<Option<Arc<dyn StateStore>>>,
    asked_by: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Retrier for FakeRetrier {
    async fn retry(&self, entry: QuarantineEntry, by: &str) -> anyhow::Result<RetryOutcome> {
        self.asked_by.lock().unwrap().push(by.to_owned());
        let store = self.store.lock().unwrap().clone().expect("store set");
        store
            .commit(Commit {
                resolve: vec![entry.entry.record.clone()],
                ..Commit::default()
            })
            .await?;
        Ok(RetryOutcome::Resolved)
    }
}

struct Console_ {
    _dir: tempfile::TempDir,
    state: Arc<ServerState>,
    retrier: Arc<FakeRetrier>,
}

async fn console() -> Console_ {
    let retrier = Arc::new(FakeRetrier::default());
    let auth = AuthSettings {
        trusted_header: Some(http::HeaderName::from_static("x-remote-user")),
        trusted_proxies: vec![PROXY.into()],
        ..AuthSettings::default()
    };
    let (dir, state) =
        crate::server::tests::state_with(Console::new(auth, Some(retrier.clone()))).await;
    *retrier.store.lock().unwrap() = Some(state.store.clone());
    for (name, role) in [("ann", Role::Operator), ("vic", Role::Viewer)] {
        let hash = hash_password(&format!("{name}-password-1")).unwrap();
        assert!(state.store.user_add(name, role, &hash).await.unwrap());
    }
    Console_ {
        _dir: dir,
        state,
        retrier,
    }
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    body: String,
}

impl Console_ {
    async fn send(&self, req: Request<Body>) -> Reply {
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let cookies = res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            location,
            cookies,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn req(method: &str, uri: &str, peer: [u8; 4]) -> http::request::Builder {
        Request::builder()
            .method(method)
            .uri(uri)
            .extension(ConnectInfo(SocketAddr::from((peer, 40000))))
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut r = Self::req("GET", uri, BROWSER);
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, cookie: Option<&str>, form: &str) -> Reply {
        let mut r = Self::req("POST", uri, BROWSER)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::from(form.to_owned())).unwrap())
            .await
    }

    /// Signs in and returns the `Cookie` header value.
    async fn sign_in(&self, user: &str) -> String {
        let r = self
            .post(
                "/login",
                None,
                &format!("user={user}&password={user}-password-1"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let set = r.cookies.first().expect("a session cookie");
        set.split(';').next().unwrap().to_owned()
    }

    /// The CSRF token in a page's forms.
    fn csrf(body: &str) -> String {
        let at = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        body[at..at + 64].to_owned()
    }

    async fn quarantined_invoice(&self) -> i64 {
        let record = RecordKey {
            tenant: TenantId::parse("acme").unwrap(),
            kind: RecordKind::Invoice,
            key: "INV-4711".into(),
        };
        let ids = self
            .state
            .store
            .commit(Commit {
                quarantine: vec![NewQuarantine {
                    record,
                    run_id: None,
                    reason_kind: "mapping".into(),
                    reason: "unknown account 6999".into(),
                    field: Some("account".into()),
                    payload: serde_json::json!({"invoiceNumber": "INV-4711", "amount": "12.50"}),
                }],
                ..Commit::default()
            })
            .await
            .unwrap();
        ids[0]
    }
}

#[tokio::test]
async fn pages_need_a_session_but_health_does_not() {
    let c = console().await;
    for uri in ["/", "/runs", "/quarantine", "/quarantine/1", "/records"] {
        let r = c.get(uri, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.location.as_deref(), Some("/login"), "{uri}");
    }
    assert_eq!(c.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(c.get("/login", None).await.status, StatusCode::OK);
    // A made-up session cookie is no session.
    let fake = format!("mlc_session={}", "ab".repeat(32));
    assert_eq!(c.get("/", Some(&fake)).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_opens_the_overview() {
    let c = console().await;
    let wrong = c
        .post("/login", None, "user=ann&password=nope-nope-nope")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookies.is_empty());
    assert!(
        wrong.body.contains("Wrong user name or password"),
        "{}",
        wrong.body
    );
    let unknown = c
        .post("/login", None, "user=zed&password=whatever-123")
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNAUTHORIZED,
        "same answer for unknown users"
    );

    let r = c
        .post("/login", None, "user=ann&password=ann-password-1")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = &r.cookies[0];
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP without a proxy: {set}");
    let cookie = set.split(';').next().unwrap();
    // The store keeps only a hash of the token.
    let token = cookie.strip_prefix("mlc_session=").unwrap();
    assert!(c.state.store.session_get(token).await.unwrap().is_none());

    let page = c.get("/", Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Tenant acme") && page.body.contains("Tenant beta"),
        "{}",
        page.body
    );
    assert!(page.body.contains("ann (operator)"), "{}", page.body);
}

#[tokio::test]
async fn too_many_failures_lock_the_user_out_even_with_the_right_password() {
    let c = console().await;
    for _ in 0..5 {
        let r = c
            .post("/login", None, "user=ann&password=wrong-wrong-1")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post("/login", None, "user=ann&password=ann-password-1")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.cookies.is_empty());
    // Another user is not affected.
    c.sign_in("vic").await;
}

#[tokio::test]
async fn an_operator_retries_and_the_audit_names_them() {
    let c = console().await;
    let id = c.quarantined_invoice().await;
    let cookie = c.sign_in("ann").await;

    let list = c.get("/quarantine", Some(&cookie)).await;
    assert!(
        list.body.contains("unknown account 6999</a>: 1 invoice"),
        "{}",
        list.body
    );
    let detail = c.get(&format!("/quarantine/{id}"), Some(&cookie)).await;
    assert!(
        detail.body.contains("INV-4711") && detail.body.contains("12.50"),
        "payload shown"
    );
    assert!(detail.body.contains(">Retry</button>"), "{}", detail.body);
    let csrf = Console_::csrf(&detail.body);

    // Without the token: refused, nothing changes.
    let forged = c
        .post(&format!("/quarantine/{id}/retry"), Some(&cookie), "")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = c
        .post(
            &format!("/quarantine/{id}/retry"),
            Some(&cookie),
            &format!("csrf={}", "0".repeat(64)),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.state.store.quarantine_get(id).await.unwrap().status,
        QuarantineStatus::Open
    );
    assert!(c.retrier.asked_by.lock().unwrap().is_empty());

    let r = c
        .post(
            &format!("/quarantine/{id}/retry"),
            Some(&cookie),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some(&*format!("/quarantine/{id}?done=resolved"))
    );
    assert_eq!(
        c.state.store.quarantine_get(id).await.unwrap().status,
        QuarantineStatus::Resolved
    );
    assert_eq!(*c.retrier.asked_by.lock().unwrap(), ["ann"]);
    let entry = c.state.store.quarantine_get(id).await.unwrap();
    let trail = c
        .state
        .store
        .audit_trail(&entry.entry.record, None)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == mlc_store::actions::QUARANTINE_RETRY
                && e.message.contains("retry requested by ann in the console")),
        "{trail:#?}"
    );
    // The record's history page shows it.
    let history = c
        .get(
            "/records?tenant=acme&kind=invoice&key=INV-4711",
            Some(&cookie),
        )
        .await;
    assert!(
        history.body.contains("retry requested by ann"),
        "{}",
        history.body
    );
}

#[tokio::test]
async fn a_viewer_sees_no_buttons_and_a_forged_post_is_refused() {
    let c = console().await;
    let id = c.quarantined_invoice().await;
    let cookie = c.sign_in("vic").await;
    let detail = c.get(&format!("/quarantine/{id}"), Some(&cookie)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.body.contains(">Retry</button>") && !detail.body.contains(">Discard</button>"));
    // The viewer's own (valid) CSRF token, from the sign-out form: still refused by role.
    let csrf = Console_::csrf(&detail.body);
    for action in ["retry", "discard"] {
        let r = c
            .post(
                &format!("/quarantine/{id}/{action}"),
                Some(&cookie),
                &format!("csrf={csrf}&reason=x"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(
        c.state.store.quarantine_get(id).await.unwrap().status,
        QuarantineStatus::Open
    );
}

#[tokio::test]
async fn discard_needs_a_reason_and_audits_the_user() {
    let c = console().await;
    let id = c.quarantined_invoice().await;
    let cookie = c.sign_in("ann").await;
    let csrf = Console_::csrf(
        &c.get(&format!("/quarantine/{id}"), Some(&cookie))
            .await
            .body,
    );
    let r = c
        .post(
            &format!("/quarantine/{id}/discard"),
            Some(&cookie),
            &format!("csrf={csrf}&reason=+"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c
        .post(
            &format!("/quarantine/{id}/discard"),
            Some(&cookie),
            &format!("csrf={csrf}&reason=duplicate+of+INV-4710"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let e = c.state.store.quarantine_get(id).await.unwrap();
    assert_eq!(e.status, QuarantineStatus::Discarded);
    assert_eq!(
        e.note.as_deref(),
        Some("discarded by ann in the console: duplicate of INV-4710")
    );
}

#[tokio::test]
async fn sign_out_needs_the_token_and_ends_the_session() {
    let c = console().await;
    let cookie = c.sign_in("ann").await;
    let csrf = Console_::csrf(&c.get("/", Some(&cookie)).await.body);
    assert_eq!(
        c.post("/logout", Some(&cookie), "").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.get("/", Some(&cookie)).await.status, StatusCode::OK);
    let r = c
        .post("/logout", Some(&cookie), &format!("csrf={csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.cookies[0].contains("Max-Age=0"));
    assert_eq!(
        c.get("/", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_proxy_header_counts_only_from_a_trusted_proxy_and_for_local_users() {
    let c = console().await;
    let from = |peer: [u8; 4], user: &str| {
        Console_::req("GET", "/", peer)
            .header("x-remote-user", user)
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap()
    };
    let r = c.send(from(PROXY, "vic")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("vic (viewer)"), "role from the local user");
    assert!(
        r.cookies[0].ends_with("; Secure"),
        "https at the proxy: {:?}",
        r.cookies
    );

    let r = c.send(from(BROWSER, "vic")).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a browser cannot claim a user"
    );
    let r = c.send(from(PROXY, "mallory")).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "unknown users are not created"
    );
}

#[tokio::test]
async fn operators_pause_and_resume_a_tenant_and_viewers_cannot() {
    let c = console().await;
    let acme = TenantId::parse("acme").unwrap();
    let vic = c.sign_in("vic").await;
    let page = c.get("/", Some(&vic)).await;
    assert!(!page.body.contains(">Pause</button>"));
    let csrf = Console_::csrf(&page.body);
    let r = c
        .post(
            "/tenants/acme/pause",
            Some(&vic),
            &format!("csrf={csrf}&reason=month+end"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!c.state.store.tenant_state(&acme).await.unwrap().paused);

    let ann = c.sign_in("ann").await;
    let page = c.get("/", Some(&ann)).await;
    assert!(page.body.contains(">Pause</button>"));
    let csrf = Console_::csrf(&page.body);
    assert_eq!(
        c.post("/tenants/acme/pause", Some(&ann), "reason=x")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = c
        .post(
            "/tenants/acme/pause",
            Some(&ann),
            &format!("csrf={csrf}&reason=month+end"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let st = c.state.store.tenant_state(&acme).await.unwrap();
    assert!(st.paused);
    assert_eq!(
        st.pause_reason.as_deref(),
        Some("month end (paused by ann in the console)")
    );
    let page = c.get("/", Some(&ann)).await;
    assert!(
        page.body.contains(">paused<") && page.body.contains(">Resume</button>"),
        "{}",
        page.body
    );
    let r = c
        .post("/tenants/acme/resume", Some(&ann), &format!("csrf={csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!c.state.store.tenant_state(&acme).await.unwrap().paused);
}

/// A voucher held by the approval gate, as the invoice flow leaves it.
async fn pending_voucher(c: &Console_, id: &str) {
    let record = RecordKey {
        tenant: TenantId::parse("acme").unwrap(),
        kind: RecordKind::Invoice,
        key: id.into(),
    };
    let line = serde_json::json!({"inputs": [
        {"name": "EDLN", "value": "1"}, {"name": "ANI", "value": "200.6110"},
        {"name": "AA", "value": "12.50"}, {"name": "EXA", "value": "gloves"}]});
    c.state
        .store
        .commit(Commit {
            ledger: vec![mlc_store::LedgerEntry {
                record,
                content_hash: "h".into(),
                source_version: "v".into(),
                remote_id: None,
                status: mlc_store::LedgerStatus::Waiting,
                detail: serde_json::json!({"approval": {
                    "state": "pending", "plan_hash": "p", "edtn": format!("JG{id}"),
                    "an8": "4242", "vinv": "INV-1", "gross": "12.50", "currency": "USD",
                    "company": "00200", "lines": 1, "requested_at": "2026-01-12T10:00:00Z",
                    "plan": {"inputs": [], "detailInputs": [{"name": "GLDistribution", "repeatingInputs": [line]}]}}}),
                updated_at: jiff::Timestamp::now(),
            }],
            ..Commit::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn operators_approve_and_reject_held_vouchers_and_viewers_cannot() {
    let c = console().await;
    pending_voucher(&c, "90001").await;
    pending_voucher(&c, "90002").await;

    let vic = c.sign_in("vic").await;
    let page = c.get("/approvals", Some(&vic)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("JG90001") && page.body.contains("200.6110"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">Approve</button>"));
    let csrf = Console_::csrf(&page.body);
    let r = c
        .post(
            "/approvals/acme/90001/approve",
            Some(&vic),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let ann = c.sign_in("ann").await;
    let page = c.get("/approvals", Some(&ann)).await;
    assert!(page.body.contains(">Approve</button>"), "{}", page.body);
    let csrf = Console_::csrf(&page.body);
    let r = c
        .post("/approvals/acme/90001/approve", Some(&ann), "")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = c
        .post(
            "/approvals/acme/90001/approve",
            Some(&ann),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c
        .post(
            "/approvals/acme/90002/reject",
            Some(&ann),
            &format!("csrf={csrf}&reason=+"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c
        .post(
            "/approvals/acme/90002/reject",
            Some(&ann),
            &format!("csrf={csrf}&reason=paid+by+cheque"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let key = |k: &str| RecordKey {
        tenant: TenantId::parse("acme").unwrap(),
        kind: RecordKind::Invoice,
        key: k.into(),
    };
    let approved = c.state.store.ledger(&key("90001")).await.unwrap().unwrap();
    assert_eq!(approved.detail["approval"]["state"], "approved");
    assert_eq!(approved.detail["approval"]["by"], "console user ann");
    let q = c.state.store.quarantine_list(None, true).await.unwrap();
    assert_eq!(q.len(), 1);
    assert!(q[0].entry.reason.contains("paid by cheque") && q[0].entry.reason.contains("ann"));
    let trail = c
        .state
        .store
        .audit_trail(&key("90001"), None)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "approved" && e.message.contains("ann"))
    );
    // Decided: nothing is pending any more, and a second decision is refused.
    let page = c.get("/approvals", Some(&ann)).await;
    assert!(
        page.body.contains("No vouchers wait for approval."),
        "{}",
        page.body
    );
    let r = c
        .post(
            "/approvals/acme/90001/approve",
            Some(&ann),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_quarantine_finds_an_invoice_by_its_number() {
    let c = console().await;
    let id = c.quarantined_invoice().await;
    let other = c
        .state
        .store
        .commit(Commit {
            quarantine: vec![NewQuarantine {
                record: RecordKey {
                    tenant: TenantId::parse("acme").unwrap(),
                    kind: RecordKind::Invoice,
                    key: "90025".into(),
                },
                run_id: None,
                reason_kind: "mapping".into(),
                // As the engine words it: the record first.
                reason: "invoice:acme:90025: unknown account 6999".into(),
                field: Some("account".into()),
                payload: serde_json::json!({"header": {"supplierInvoiceNumber": "ABC-000042"}}),
            }],
            ..Commit::default()
        })
        .await
        .unwrap()[0];
    let cookie = c.sign_in("vic").await;
    let list = c.get("/quarantine", Some(&cookie)).await;
    let link = |id: i64| format!("href=\"/quarantine/{id}\"");
    assert!(list.body.contains(&link(id)) && list.body.contains(&link(other)));
    // One cause, one group, whatever record the reason names; its link lists both.
    assert!(
        list.body.contains("unknown account 6999</a>: 2 invoices"),
        "{}",
        list.body
    );
    let group = c
        .get("/quarantine?reason=unknown+account+6999", Some(&cookie))
        .await;
    assert!(group.body.contains(&link(id)) && group.body.contains(&link(other)));
    // By a value of the payload (the supplier's invoice number), in any case.
    let r = c.get("/quarantine?q=abc-000042", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&link(other)) && !r.body.contains(&link(id)),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"abc-000042\""),
        "the box keeps the search"
    );
    // By the record's key.
    let r = c.get("/quarantine?q=INV-4711", Some(&cookie)).await;
    assert!(
        r.body.contains(&link(id)) && !r.body.contains(&link(other)),
        "{}",
        r.body
    );
    // A part of a payload value is no match (a number is not found inside another).
    let r = c.get("/quarantine?q=000042", Some(&cookie)).await;
    assert!(
        !r.body.contains(&link(other)) && !r.body.contains(&link(id)),
        "{}",
        r.body
    );
    assert!(r.body.contains("No open quarantine entries."), "{}", r.body);
}

#[tokio::test]
async fn the_overview_charts_the_last_seven_days_with_a_table_fallback() {
    let c = console().await;
    let acme = TenantId::parse("acme").unwrap();
    let run = c.state.store.run_start(&acme, "schedule").await.unwrap();
    let summary = serde_json::json!({"entities": {
        "suppliers": {"read": 9, "created": 3, "updated": 2, "unchanged": 4},
        "invoices": {"read": 3, "created": 1, "quarantined": 2},
    }});
    c.state
        .store
        .run_finish(&run, mlc_store::RunStatus::Partial, &summary, None)
        .await
        .unwrap();
    let failed = c.state.store.run_start(&acme, "schedule").await.unwrap();
    c.state
        .store
        .run_finish(
            &failed,
            mlc_store::RunStatus::Failed,
            &serde_json::json!({}),
            Some("JDE unreachable"),
        )
        .await
        .unwrap();
    let cookie = c.sign_in("vic").await;
    let r = c.get("/", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = &r.body;
    assert!(body.contains("<svg role=\"img\""), "{body}");
    assert!(
        body.contains("<title>Records created or updated per entity and failures per day"),
        "{body}"
    );
    // Today's bar: suppliers 5 (created + updated), invoices 1; 1 failed run + 2 quarantined.
    assert!(body.contains("<title>suppliers: 5</title>"), "{body}");
    assert!(body.contains("<title>invoices: 1</title>"), "{body}");
    assert!(body.contains(">3 failed</text>"), "{body}");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .strftime("%Y-%m-%d")
        .to_string();
    assert!(
        body.contains(&format!(
            "<td>{today}</td><td>1</td><td>5</td><td>1</td><td>2</td>"
        )),
        "the table row of today (invoices, suppliers, failed runs, quarantined): {body}"
    );
    // Seven days, oldest first, in the table.
    let table = &body[body.find("The numbers").expect("the table fallback")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr><td>20").count(), 7, "{table}");
}

#[tokio::test]
async fn an_operator_retries_a_whole_reason_group_and_each_retry_names_them() {
    let c = console().await;
    let first = c.quarantined_invoice().await;
    let second = c
        .state
        .store
        .commit(Commit {
            quarantine: vec![NewQuarantine {
                record: RecordKey {
                    tenant: TenantId::parse("acme").unwrap(),
                    kind: RecordKind::Invoice,
                    key: "90025".into(),
                },
                run_id: None,
                reason_kind: "mapping".into(),
                reason: "invoice:acme:90025: unknown account 6999".into(),
                field: Some("account".into()),
                payload: serde_json::json!({"invoiceNumber": "ABC-42"}),
            }],
            ..Commit::default()
        })
        .await
        .unwrap()[0];
    let group = "/quarantine?reason=unknown+account+6999";

    // A viewer sees the group but no button, and cannot post it.
    let vic = c.sign_in("vic").await;
    let page = c.get(group, Some(&vic)).await;
    assert!(!page.body.contains("Retry all"), "{}", page.body);
    let csrf = Console_::csrf(&page.body);
    let r = c
        .post(
            "/quarantine/retry-group",
            Some(&vic),
            &format!("csrf={csrf}&reason=unknown+account+6999"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let ann = c.sign_in("ann").await;
    let page = c.get(group, Some(&ann)).await;
    assert!(page.body.contains(">Retry all 2</button>"), "{}", page.body);
    // Without the token: refused, nothing retried.
    let r = c
        .post(
            "/quarantine/retry-group",
            Some(&ann),
            "reason=unknown+account+6999",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(c.retrier.asked_by.lock().unwrap().is_empty());

    let csrf = Console_::csrf(&page.body);
    let r = c
        .post(
            "/quarantine/retry-group",
            Some(&ann),
            &format!("csrf={csrf}&reason=unknown+account+6999"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location.unwrap();
    assert!(location.ends_with("retried=2-0-0"), "{location}");
    for id in [first, second] {
        let entry = c.state.store.quarantine_get(id).await.unwrap();
        assert_eq!(entry.status, QuarantineStatus::Resolved);
        let trail = c
            .state
            .store
            .audit_trail(&entry.entry.record, None)
            .await
            .unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.message.contains("retry requested by ann in the console")),
            "{trail:#?}"
        );
    }
    assert_eq!(*c.retrier.asked_by.lock().unwrap(), ["ann", "ann"]);
    let after = c.get(&location, Some(&ann)).await;
    assert!(
        after
            .body
            .contains("Retried 2: 2 went through, 0 failed again, 0 could not run."),
        "{}",
        after.body
    );
    assert!(!after.body.contains("Retry all"), "nothing left to retry");
}
