//! `ping [--tenant T] [--deep]`: for each system of each tenant, log in once and make one cheap
//! read, reporting the round-trip time or the exact failure. A rejected login is reported and
//! never retried (retrying locks JDE service accounts).
//!
//! `--deep` adds: the AIS Tools release (`defaultconfig`), read access to every JDE table the
//! connector uses, the voucher orchestration's presence, and every configured JAGGAER path. It
//! never launches a report (`[tenants.jde.processor]`): it says it cannot check it.
//!
//! `--json` prints one object instead: `{"status": "ok"|"failed", "failures": N, "tenants":
//! [{"tenant", "checks": [{"system", "check", "result": "ok"|"failed"|"unchecked", "ms",
//! "detail"}]}]}`, with the same exit status.
use std::future::Future;
use std::time::Instant;

use anyhow::anyhow;
use futures::StreamExt as _;
use mlc_jde::{AisClient, JdeError, JdeRow, Query};

use crate::cli::{GlobalArgs, PingArgs};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::wiring::{self, TenantRuntime};

pub(crate) fn run(global: &GlobalArgs, args: &PingArgs) -> AppResult {
    let settings = load_settings(global)?;
    let (failures, out) = block_on(async {
        let store = open_store(&settings).await?;
        let tenants = wiring::build_tenants(&settings, store, args.tenant.as_deref()).await?;
        let mut failures = 0;
        let mut out = Out::new(args.json);
        for rt in &tenants {
            out.tenant(rt.settings.id.as_str());
            out.system = "jde";
            failures += ping_jde(rt, args.deep, &mut out).await;
            out.system = "jaggaer";
            failures += ping_jaggaer(rt, args.deep, &mut out).await;
            if args.deep
                && matches!(
                    rt.settings.jaggaer.transport,
                    crate::config::raw::Transport::Xml
                )
            {
                // Inbound: nothing to probe from here. Say where `run` serves the export.
                out.line(
                    true,
                    &format!(
                        "POST http://{}/jaggaer/export/{}",
                        settings.server.listen, rt.settings.id
                    ),
                    "invoice export endpoint as bound by `run` (give JAGGAER your proxy's https URL for this path); only JAGGAER's own test send proves it reachable from outside",
                );
            }
        }
        AppResult::Ok((failures, out))
    })??;
    if args.json {
        let doc = serde_json::json!({
            "status": if failures == 0 { "ok" } else { "failed" },
            "failures": failures,
            "tenants": out.tenants,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(AppError::failure)?;
        println!("{text}");
    }
    if failures > 0 {
        return Err(AppError::failure(anyhow!(
            "{failures} check{} failed",
            if failures == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// The error with its causes (`transport error: ... : connection refused`).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        cur = s.source();
    }
    text
}

/// The checks' results: printed as they come (text), or collected for `--json`.
pub(crate) struct Out {
    json: bool,
    /// The system the next checks belong to (`jde`, `jaggaer`).
    pub(crate) system: &'static str,
    tenants: Vec<serde_json::Value>,
}

impl Out {
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            system: "",
            tenants: Vec::new(),
        }
    }

    pub(crate) fn tenant(&mut self, id: &str) {
        if !self.json {
            println!("Tenant {id}");
        }
        self.tenants
            .push(serde_json::json!({ "tenant": id, "checks": [] }));
    }

    /// One check: `ok` is `None` when it cannot be checked without side effects.
    fn check(
        &mut self,
        ok: Option<bool>,
        what: &str,
        ms: Option<u128>,
        detail: impl std::fmt::Display,
    ) {
        let detail = detail.to_string();
        if !self.json {
            let mark = match ok {
                Some(true) => "OK  ",
                Some(false) => "FAIL",
                None => "??  ",
            };
            match ms {
                Some(ms) if detail.is_empty() => println!("  {mark} {what:<44} {ms} ms"),
                Some(ms) => println!("  {mark} {what:<44} {ms} ms, {detail}"),
                None => println!("  {mark} {what:<44} {detail}"),
            }
            return;
        }
        let result = match ok {
            Some(true) => "ok",
            Some(false) => "failed",
            None => "unchecked",
        };
        let entry = serde_json::json!({
            "system": self.system,
            "check": what,
            "result": result,
            "ms": ms,
            "detail": detail,
        });
        if let Some(checks) = self
            .tenants
            .last_mut()
            .and_then(|t| t.get_mut("checks"))
            .and_then(|c| c.as_array_mut())
        {
            checks.push(entry);
        }
    }

    fn line(&mut self, ok: bool, what: &str, detail: impl std::fmt::Display) {
        self.check(Some(ok), what, None, detail);
    }

    fn timed(&mut self, what: &str, ms: u128, detail: impl std::fmt::Display) {
        self.check(Some(true), what, Some(ms), detail);
    }
}

async fn timed<T, E, F>(f: F) -> (Result<T, E>, u128)
where
    F: Future<Output = Result<T, E>>,
{
    let t = Instant::now();
    let r = f.await;
    (r, t.elapsed().as_millis())
}

async fn first_page<R: JdeRow>(ais: &AisClient) -> Result<usize, JdeError> {
    let mut pages = Box::pin(ais.browse::<R>(Query::new(R::TABLE).page_size(1)));
    match pages.next().await {
        Some(Ok(rows)) => Ok(rows.len()),
        Some(Err(e)) => Err(e),
        None => Ok(0),
    }
}

pub(crate) async fn ping_jde(rt: &TenantRuntime, deep: bool, out: &mut Out) -> u32 {
    let ais = &rt.ais;
    let url = ais.base_url().to_string();
    let (login, ms) = timed(ais.login()).await;
    match login {
        Ok(s) => out.timed(
            "JDE login",
            ms,
            format!(
                "{url} user {} env {} role {}",
                s.username, s.environment, s.role
            ),
        ),
        Err(e) => {
            let hint = match &e {
                JdeError::LoginRejected { .. } => {
                    " (not retried: repeated failures lock the account; fix the password with \
                     `ml-connector credentials set`)"
                }
                _ => "",
            };
            out.line(false, "JDE login", format!("{url}: {}{hint}", chain(&e)));
            return 1;
        }
    }
    let mut failures = 0;
    let (read, ms) = timed(first_page::<mlc_jde::F0010Row>(ais)).await;
    match read {
        Ok(_) => out.timed("JDE read (F0010)", ms, ""),
        Err(e) => {
            out.line(false, "JDE read (F0010)", chain(&e));
            failures += 1;
        }
    }
    if deep {
        match ais.default_config().await {
            Ok(c) => out.line(
                true,
                "AIS release",
                format!(
                    "tools {} AIS {}",
                    c.tools_release.as_deref().unwrap_or("?"),
                    c.ais_version.as_deref().unwrap_or("?")
                ),
            ),
            Err(e) => {
                out.line(false, "AIS release (defaultconfig)", chain(&e));
                failures += 1;
            }
        }
        macro_rules! table {
            ($row:ty) => {{
                let (r, ms) = timed(first_page::<$row>(ais)).await;
                let name = format!("read {}", <$row as JdeRow>::TABLE);
                match r {
                    Ok(_) => out.timed(&name, ms, ""),
                    Err(e) => {
                        out.line(false, &name, chain(&e));
                        failures += 1;
                    }
                }
            }};
        }
        table!(mlc_jde::F0101Row);
        table!(mlc_jde::F0401Row);
        table!(mlc_jde::F0116Row);
        table!(mlc_jde::F01151Row);
        table!(mlc_jde::F0006Row);
        table!(mlc_jde::F0901Row);
        table!(mlc_jde::F0013Row);
        table!(mlc_jde::F0008Row);
        table!(mlc_jde::F4301Row);
        table!(mlc_jde::F4311Row);
        table!(mlc_jde::F0411Row);
        table!(mlc_jde::F0411Z1Row);
        table!(mlc_jde::F0911Row);
        let name = &rt.settings.jde.voucher_orchestration;
        match ais.orchestration_exists(name).await {
            Ok(true) => out.line(true, "voucher orchestration", format!("{name} is deployed")),
            Ok(false) => {
                out.line(
                    false,
                    "voucher orchestration",
                    format!(
                        "{name} not found; install it from docs/jde-orchestration.md or set \
                         `voucher_orchestration`"
                    ),
                );
                failures += 1;
            }
            Err(e) => {
                out.line(false, "voucher orchestration", chain(&e));
                failures += 1;
            }
        }
        // Launching a report has side effects (it processes vouchers), so ping never does;
        // the report service is checked by the first launch, which names report and version
        // when it fails.
        if let Some(v) = rt
            .settings
            .jde
            .processor
            .as_ref()
            .and_then(|p| p.voucher.as_ref())
        {
            out.check(
                None,
                "batch voucher processor",
                None,
                format!(
                    "{} version {} cannot be checked without launching it; the first launch \
                     after a sync reports (and alerts) if the report service refuses it",
                    v.0, v.1
                ),
            );
        }
    }
    let _ = ais.logout().await;
    failures
}

pub(crate) async fn ping_jaggaer(rt: &TenantRuntime, deep: bool, out: &mut Out) -> u32 {
    let j1p = &rt.j1p;
    let base = j1p.settings().base_url.to_string();
    let (auth, ms) = timed(j1p.authenticate()).await;
    match auth {
        Ok(()) => out.timed("JAGGAER token", ms, &base),
        Err(e) => {
            out.line(false, "JAGGAER token", format!("{base}: {}", chain(&e)));
            return 1;
        }
    }
    let mut failures = 0;
    let paths = j1p.settings().paths.clone();
    let field = rt.settings.mapping.gl_account_field.clone();
    let (read, ms) = timed(j1p.find_supplier("0")).await;
    match read {
        Ok(_) => out.timed("JAGGAER read (suppliers)", ms, ""),
        Err(e) => {
            out.line(false, "JAGGAER read (suppliers)", chain(&e));
            failures += 1;
        }
    }
    if deep {
        let mut check = |name: String, r: Result<(), mlc_jaggaer::JaggaerError>, ms: u128| match r {
            Ok(()) => out.timed(&name, ms, ""),
            Err(e) => {
                out.line(false, &name, chain(&e));
                failures += 1;
            }
        };
        let (r, ms) = timed(async {
            let mut pages = Box::pin(j1p.list_invoices(Some(jiff::Timestamp::now())));
            match pages.next().await {
                Some(Err(e)) => Err(e),
                _ => Ok(()),
            }
        })
        .await;
        check(format!("GET {}", paths.invoices), r, ms);
        let (r, ms) = timed(async { j1p.find_purchase_order("0-XX-0").await.map(|_| ()) }).await;
        check(format!("GET {}", paths.purchase_orders), r, ms);
        let (r, ms) = timed(async { j1p.list_custom_field_values(&field).await.map(|_| ()) }).await;
        check(
            format!(
                "GET {}",
                paths.custom_field_values.replace("{field}", &field)
            ),
            r,
            ms,
        );
        out.line(
            true,
            &format!("POST {}", paths.cxml_orders),
            "configured (not probed: a POST would place an order)",
        );
        if matches!(
            rt.settings.jaggaer.transport,
            crate::config::raw::Transport::Xml
        ) {
            // No Router action is harmless (each POST imports what it carries) and none has a
            // read-only form: the host's reachability is what the token request above proved.
            let x = &rt.settings.jaggaer.xml_paths;
            for path in [&x.suppliers, &x.purchase_orders] {
                out.line(
                    true,
                    &format!("POST {path}"),
                    "configured (not probed: every Router POST imports data; host reachable per the token check)",
                );
            }
        }
    }
    failures
}
