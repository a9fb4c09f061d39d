//! The operator console in a real browser: headless Chromium driven through `chromedriver`
//! (WebDriver) against the real `ml-connector run` and both simulators.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages (`.ci/run` installs them). Without
//! them the test FAILS, saying how to install them: it never skips.
//!
//! Screenshots of every page are written to `$CARGO_TARGET_DIR/screenshots/` (or `target/
//! screenshots/`); the test prints the path.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use mlc_sim::jaggaer::JaggaerSimConfig;
use mlc_test_support::*;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` \
     (Debian/Ubuntu; `.ci/run` does this), or point MLC_CHROMIUM and MLC_CHROMEDRIVER at them";

/// A program: the env var's path if set, else the first of `names` on `PATH`.
fn tool(var: &str, names: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{var}={} is not a file; {INSTALL}",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "the browser test needs {} but it is not on PATH; {INSTALL}",
        names.join(" or ")
    )
}

/// `chromedriver` on a free loopback port, killed on drop.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        let exe = tool("MLC_CHROMEDRIVER", &["chromedriver"]);
        let port = free_addr().port();
        let child = std::process::Command::new(&exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", exe.display()));
        // Owned at once, so it is killed (on drop) on every path below.
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && r.status().is_success()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not answer on {}", driver.url);
    }

    /// A headless Chromium session with a 1280×900 window.
    async fn session(&self) -> Client {
        let chromium = tool(
            "MLC_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--lang=en-US",
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}; {INSTALL}"));
        c.set_window_size(1280, 900).await.unwrap();
        c
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots`, else next to `target/debug`.
fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d).join("screenshots"),
        None => bin()
            .parent()
            .and_then(Path::parent)
            .expect("target/")
            .join("screenshots"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

/// The text of the page's `<body>` (read again when a navigation replaced it meanwhile).
/// The page's text once `ready` holds for it (a click's navigation may still be under way when
/// the click returns), or the last text read after 15 s, for the assertion to show.
async fn text_when(c: &Client, ready: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    for _ in 0..150 {
        text = body_text(c).await;
        if ready(&text) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text
}

async fn body_text(c: &Client) -> String {
    for _ in 0..100 {
        // Between two pages there may be no body yet, or the one found may go stale.
        let body = match c.find(Locator::Css("body")).await {
            Ok(b) => b,
            Err(e)
                if format!("{e} {e:?}")
                    .to_lowercase()
                    .contains("no such element")
                    || format!("{e:?}").contains("NoSuchElement") =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e) => panic!("body: {e}"),
        };
        match body.text().await {
            Ok(t) => return t,
            Err(e) if e.to_string().contains("stale") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("body text: {e}"),
        }
    }
    panic!("the page never settled");
}

/// Waits until the browser is at a URL containing `part` (after a click that navigates).
async fn wait_url(c: &Client, part: &str) {
    for _ in 0..200 {
        if c.current_url().await.unwrap().as_str().contains(part) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the browser never reached {part}: at {}",
        c.current_url().await.unwrap()
    );
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("user"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Tenant acme") && text.contains(&format!("{user} (")),
        "{user} is not on the overview after signing in:\n{text}"
    );
}

async fn sign_out(c: &Client) {
    c.find(Locator::XPath(
        "//header//button[normalize-space()='Sign out']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert!(
        text_when(c, |t| t.contains("Sign in"))
            .await
            .contains("Sign in")
    );
}

/// `users add NAME --role ROLE --password-stdin`.
async fn add_user(env: &Env, name: &str, role: &str, password: &str) {
    let mut child = env
        .command()
        .args(["users", "add", name, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "users add {name}: {}", stderr(&out));
}

/// Codes a whole invoice to one account and cost center (every `Account`/`CostCenter` custom
/// value of the JAGGAER document).
fn set_coding(doc: &mut Value, account: &str, cost_center: &str) {
    fn set(v: &mut Value, field: &str, value: &str, n: &mut usize) {
        match v {
            Value::Object(m) => {
                if m.get("name").and_then(Value::as_str) == Some(field)
                    && let Some(list) = m
                        .get_mut("customFieldValueList")
                        .and_then(|l| l.get_mut("customFieldValue"))
                        .and_then(Value::as_array_mut)
                {
                    for item in list {
                        item["value"] = Value::String(value.to_owned());
                        *n += 1;
                    }
                }
                if m.get("internalName").and_then(Value::as_str) == Some(field)
                    && let Some(x) = m.get_mut("value")
                {
                    *x = Value::String(value.to_owned());
                    *n += 1;
                }
                for (_, child) in m.iter_mut() {
                    set(child, field, value, n);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| set(x, field, value, n)),
            _ => {}
        }
    }
    let mut n = 0;
    set(doc, "Account", account, &mut n);
    set(doc, "CostCenter", cost_center, &mut n);
    assert!(n > 0, "invoice has no coding: {doc:#}");
}

/// Whether the page's content is wider than the window (a horizontal scroll bar on a phone).
async fn overflow(c: &Client) -> (i64, i64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_finds_a_quarantined_invoice_fixes_it_and_retries_it_in_the_browser() {
    // The browser first, so a machine without it fails at once with the install hint.
    let driver = Driver::start().await;

    // An invoice coded to an account JDE does not know: quarantined by the first sync that
    // sees it.
    let mut jag = JaggaerSimConfig::default();
    jag.knobs.invoice_on_po = 0.0;
    jag.knobs.pending_rate = 0.0;
    let sims = Sims::start(jde_config(8, 10), jag).await;
    let env = Env::new(&sims).await;
    env.sync().await;
    let id = sims.jag.generate_invoices(1)[0];
    assert!(
        sims.jag
            .edit_invoice(id, |doc| set_coding(doc, "200.9999", "200"))
    );
    let s = env.sync().await;
    assert_eq!(s.n("invoices", "quarantined"), 1, "{:#}", s.json);
    let number = sims
        .jag
        .invoices()
        .iter()
        .find(|i| i["header"]["invoiceId"].as_i64() == Some(id))
        .map(|i| text(&i["header"]["supplierInvoiceNumber"]))
        .expect("the invoice");
    assert!(!number.is_empty());
    let store = env.store().await;
    let open = store.quarantine_list(None, true).await.unwrap();
    assert_eq!(open.len(), 1, "{open:#?}");
    let qid = open[0].id;

    add_user(&env, "olivia", "operator", "operator-password-1").await;
    add_user(&env, "victor", "viewer", "viewer-password-1").await;
    let svc = env.start("30s").await;
    let base = svc.url("");
    let c = driver.session().await;

    // Sign-in page.
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    shot(&c, "login").await;

    // A viewer sees the entry but no Retry button.
    sign_in(&c, &base, "victor", "viewer-password-1").await;
    c.goto(&format!("{base}/quarantine/{qid}")).await.unwrap();
    let text = body_text(&c).await;
    assert!(text.contains("200.9999"), "{text}");
    let buttons = c
        .find_all(Locator::XPath("//button[normalize-space()='Retry']"))
        .await
        .unwrap();
    assert!(buttons.is_empty(), "a viewer sees a Retry button:\n{text}");
    sign_out(&c).await;

    // The operator: overview, runs.
    sign_in(&c, &base, "olivia", "operator-password-1").await;
    let text = body_text(&c).await;
    assert!(text.contains("Quarantine (open)"), "{text}");
    shot(&c, "overview").await;
    c.find(Locator::LinkText("Runs"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = body_text(&c).await;
    assert!(text.contains("partial"), "the quarantining run: {text}");
    shot(&c, "runs").await;

    // Finds the invoice by its number in the quarantine.
    c.find(Locator::LinkText("Quarantine"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(&number)
        .await
        .unwrap();
    c.find(Locator::XPath("//form[@action='/quarantine']//button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let found = |t: &str| t.contains(&format!("invoice:acme:{id}")) && t.contains("Entries about");
    let text = text_when(&c, found).await;
    assert!(found(&text), "{text}");
    shot(&c, "quarantine-list").await;
    // The reason's group link lists it too (the reason without the record it names).
    c.find(Locator::XPath("//main//li/a[contains(., '200.9999')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains("Showing:") && text.contains(&format!("invoice:acme:{id}")),
        "{text}"
    );
    c.find(Locator::LinkText(&qid.to_string()))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains(&format!("Quarantine entry {qid}")) && text.contains("200.9999"),
        "{text}"
    );
    shot(&c, "quarantine-detail").await;

    // A forged POST (the operator's session cookie, no CSRF token) is refused and changes
    // nothing.
    let cookie = c
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .map(|k| format!("{}={}", k.name(), k.value()))
        .collect::<Vec<_>>()
        .join("; ");
    assert!(!cookie.is_empty(), "no session cookie");
    let forged = reqwest::Client::new()
        .post(svc.url(&format!("/quarantine/{qid}/retry")))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(store.quarantine_list(None, true).await.unwrap().len(), 1);
    assert!(z_rows(&sims.jde).is_empty());

    // AP fixes the coding in JAGGAER; the operator clicks Retry; the voucher is posted.
    assert!(
        sims.jag
            .edit_invoice(id, |doc| set_coding(doc, "200.6110", "200"))
    );
    c.find(Locator::XPath("//button[normalize-space()='Retry']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, "done=").await;
    let text = body_text(&c).await;
    assert!(
        text.contains("the record went through and the entry is resolved"),
        "{text}\nservice log:\n{}",
        svc.log_text()
    );
    let vouchers = z_rows(&sims.jde);
    assert_eq!(vouchers.len(), 1, "one voucher in F0411Z1");
    let edtn = mlc_test_support::text(&vouchers[0]["F0411Z1_EDTN"]);
    assert!(store.quarantine_list(None, true).await.unwrap().is_empty());
    // The record's page shows the voucher.
    c.find(Locator::LinkText("history"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains("Audit trail") && text.contains(&edtn),
        "voucher {edtn} not on the record's page:\n{text}"
    );
    assert!(
        text.contains("retry requested by olivia in the console"),
        "the retry is audited with the user:\n{text}"
    );
    shot(&c, "records").await;

    // On a phone (390 px) the overview has no horizontal scroll bar.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/")).await.unwrap();
    let (content, window) = overflow(&c).await;
    assert!(
        window <= 400,
        "the window did not shrink to a phone: {window}px"
    );
    assert!(
        content <= window,
        "the overview is {content}px wide on a {window}px phone"
    );
    shot(&c, "overview-phone").await;
    c.goto(&format!("{base}/quarantine/{qid}")).await.unwrap();
    shot(&c, "quarantine-detail-phone").await;

    c.close().await.unwrap();
    svc.terminate(Duration::from_secs(20)).await;
    println!("screenshots in {}", screenshot_dir().display());
}
