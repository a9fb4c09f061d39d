//! `golive-check [--tenant T]`: the cut-over report on one page per tenant: `ping --deep`, a dry
//! run of the first cycle (nothing is written anywhere), and `reconcile` of what is already
//! synced, plus the invoices the cut-over rules will skip and the settings still on their
//! defaults. Exit 1 when anything would be quarantined, a connectivity check failed or the dry
//! run could not complete; 0 when the first cycle can go.
use anyhow::anyhow;
use mlc_core::record::Entity;
use mlc_engine::settings::{DueDateMode, PayStatus, TaxMode, Transport};
use mlc_engine::summary::{RunSummary, SummaryStatus};

use crate::cli::{GlobalArgs, GoliveArgs};
use crate::commands::{dryrun, ping, sync};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::wiring::{self, TenantRuntime};

/// What stops a go-live, summed over tenants.
#[derive(Default)]
struct Blockers {
    quarantined: usize,
    failed_checks: u32,
    dry_run_failed: u32,
}

pub(crate) fn run(global: &GlobalArgs, args: &GoliveArgs) -> AppResult {
    let settings = load_settings(global)?;
    let blockers = block_on(async {
        let store = open_store(&settings).await?;
        let tenants = wiring::build_tenants(&settings, store, args.tenant.as_deref()).await?;
        let mut b = Blockers::default();
        for rt in &tenants {
            check_tenant(rt, &mut b).await?;
        }
        wiring::logout_all(&tenants).await;
        AppResult::Ok(b)
    })??;
    let mut why = Vec::new();
    if blockers.failed_checks > 0 {
        why.push(format!(
            "{} connectivity check(s) failed",
            blockers.failed_checks
        ));
    }
    if blockers.dry_run_failed > 0 {
        why.push(format!(
            "the dry run could not complete for {} tenant(s)",
            blockers.dry_run_failed
        ));
    }
    if blockers.quarantined > 0 {
        why.push(format!(
            "{} record(s) would be quarantined: fix them at the source (or accept them) before \
             resuming the tenant",
            blockers.quarantined
        ));
    }
    if why.is_empty() {
        println!("\nReady: the first cycle would quarantine nothing.");
        return Ok(());
    }
    Err(AppError::failure(anyhow!(
        "not ready for go-live: {}",
        why.join("; ")
    )))
}

async fn check_tenant(rt: &TenantRuntime, b: &mut Blockers) -> AppResult {
    let s = &rt.engine.settings;
    println!(
        "Go-live check for tenant {} (JAGGAER transport {}, JDE company {}, batch user {})",
        rt.settings.id,
        transport_name(s.transport),
        s.company,
        s.batch_user
    );

    println!("\n1. Connectivity (ping --deep)");
    let mut out = ping::Out::new(false);
    out.system = "jde";
    let mut failed = ping::ping_jde(rt, true, &mut out).await;
    out.system = "jaggaer";
    failed += ping::ping_jaggaer(rt, true, &mut out).await;
    if failed > 0 {
        b.failed_checks += failed;
        println!("  Connectivity failed: the dry run and reconcile need both systems; skipped.\n");
        return Ok(());
    }

    println!("\n2. What the next cycle would write (a dry run: nothing is written anywhere)");
    let (summary, log) = dryrun::dry_run_tenant(rt, Entity::ALL.to_vec()).await?;
    let failed_run = summary.status == SummaryStatus::Failed;
    print!("{}", sync::render(&RunSummary::new(vec![summary])));
    if failed_run {
        b.dry_run_failed += 1;
    }
    let writes = log.writes();
    let mut by_action: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for w in &writes {
        *by_action.entry((w.system, w.action)).or_default() += 1;
    }
    if writes.is_empty() {
        println!("  No writes.");
    }
    for ((system, action), n) in &by_action {
        println!("  {system:<8} {action:<16} {n}");
    }
    let totals = dryrun::voucher_totals(&writes);
    if !totals.is_empty() {
        println!("  Vouchers to JDE by company and currency:");
        for ((co, cur), (n, total)) in totals {
            println!("    company {co:<6} {cur:<4} {n:>5} voucher(s), total {total}");
        }
    }

    println!("\n3. Records that would be quarantined");
    let q = log.quarantined();
    b.quarantined += q.len();
    print!("{}", dryrun::render_quarantine(&log));

    println!("\n4. Invoices the cut-over rules will skip (nothing is posted for them)");
    let skipped = log.skipped();
    if skipped.is_empty() {
        println!("  None.");
    }
    for sk in &skipped {
        let why = if sk.action == mlc_store::actions::SKIPPED {
            "before start_date"
        } else {
            "already in JDE (keyed by hand?)"
        };
        println!("  {} [{why}] {}", sk.record, sk.message);
    }

    println!("\n5. Reconcile (records the connector already synced)");
    match rt.engine.reconcile().await {
        Ok(r) => {
            println!(
                "  {} record(s) compared, {} difference(s)",
                r.compared,
                r.differences.len()
            );
            for d in &r.differences {
                println!(
                    "    {} {}: JDE {} / JAGGAER {}",
                    d.record, d.what, d.jde, d.jaggaer
                );
            }
        }
        Err(e) => {
            b.failed_checks += 1;
            println!("  FAIL reconcile: {e}");
        }
    }

    println!("\n6. Settings still on their defaults (confirm each with the customer)");
    let defaults = on_defaults(rt);
    if defaults.is_empty() {
        println!("  None.");
    }
    for (key, value, why) in defaults {
        println!("  {key} = {value}: {why}");
    }
    println!();
    Ok(())
}

fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Rest => "rest",
        Transport::Cxml => "cxml",
        Transport::Xml => "xml",
    }
}

/// Settings whose value is still the shipped default, with why that matters at cut-over.
fn on_defaults(rt: &TenantRuntime) -> Vec<(&'static str, String, &'static str)> {
    let s = &rt.engine.settings;
    let mut out = Vec::new();
    if s.start_date.is_none() {
        out.push((
            "start_date",
            "(unset)".to_owned(),
            "every historical PO and invoice is synced; set the cut-over day",
        ));
    }
    if s.voucher_orchestration == "ML_AddVoucherBatch" {
        out.push((
            "jde.voucher_orchestration",
            s.voucher_orchestration.clone(),
            "the name our docs ship; confirm the customer installed it under this name",
        ));
    }
    if s.batch_user == "MLCONN" {
        out.push((
            "jde.batch_user",
            s.batch_user.clone(),
            "EDUS on every Z row; JDE sends processing errors to this user's Work Center",
        ));
    }
    if s.company == "00200" {
        out.push((
            "jde.company",
            s.company.clone(),
            "the example company of the template",
        ));
    }
    if s.mapping.gl_account_field == "Account" && s.mapping.cost_center_field == "CostCenter" {
        out.push((
            "mapping.gl_account_field / cost_center_field",
            "Account / CostCenter".to_owned(),
            "the customer's JAGGAER custom-field names",
        ));
    }
    if s.mapping.invoice_statuses == ["Payable"] {
        out.push((
            "mapping.invoice_statuses",
            "[\"Payable\"]".to_owned(),
            "which JAGGAER payment statuses are ready for payables",
        ));
    }
    if s.mapping.tax == TaxMode::Line && s.mapping.charges.tax.to_string() == "100.2310" {
        out.push((
            "mapping.tax_account",
            s.mapping.charges.tax.to_string(),
            "the template's tax account",
        ));
    }
    if s.payables.pay_status == PayStatus::Supplier {
        out.push((
            "jde.pay_status",
            "supplier".to_owned(),
            "JDE defaults the pay status from the supplier",
        ));
    }
    if s.payables.due_date == DueDateMode::Jde {
        out.push((
            "mapping.due_date",
            "jde".to_owned(),
            "JDE computes due dates from the supplier's terms",
        ));
    }
    if s.mapping.voucher_approval == mlc_engine::settings::VoucherApproval::None {
        out.push((
            "mapping.voucher_approval",
            "none".to_owned(),
            "vouchers go to JDE without AP approval; \"first-run\" lets AP approve the first ones",
        ));
    }
    if s.payables.processor.is_none() {
        out.push((
            "jde.processor",
            "(absent)".to_owned(),
            "vouchers wait for JDE's own R04110ZA schedule",
        ));
    }
    out
}
