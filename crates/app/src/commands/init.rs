//! `init`: writes a commented example config. Never overwrites without `--force`.
use std::io::Write as _;

use anyhow::Context as _;

use crate::cli::{GlobalArgs, InitArgs};
use crate::error::{AppError, AppResult};

/// The example config. Every key is shown with its default and an explanation; the values are
/// valid, so the file loads as written (a test checks this).
pub(crate) const TEMPLATE: &str = r#"# ml-connector configuration.
#
# Every key is shown with an explanation. Keys marked (default) may be deleted to use the
# default shown. Any key can also be set from the environment: ML_CONNECTOR__ + the key path in
# upper case with levels joined by "__", e.g. ML_CONNECTOR__STORE__URL=postgres://mlc@db/mlc or
# ML_CONNECTOR__TENANTS__ACME__POLL_INTERVAL=1m (tenant id with "-" written as "_", or its
# position from 0). Unknown keys are errors.
#
# Durations are written like "30s", "5m", "1h" or "1h30m".

[store]
# Where the connector keeps its state (watermarks, cross references, audit trail, quarantine).
# sqlite://PATH for one worker (default: sqlite://ml-connector.db),
# postgres://USER@HOST/DB when several workers share the work.
url = "sqlite://ml-connector.db"

[vault]
# The encrypted credentials file (default: ml-connector.vault).
path = "ml-connector.vault"
# The master key is read from the environment variable ML_CONNECTOR_MASTER_KEY (base64 of 32
# random bytes). Alternatively, name a file holding it (readable only by the service user):
# key_file = "/etc/ml-connector/master.key"

[server]
# Dashboard, /metrics, /healthz, /readyz and the inbound cXML endpoint (default shown).
listen = "127.0.0.1:8480"
# Limits on what a client may hold (defaults shown; see docs/configuration.md).
# max_connections = 512        # open connections at once; more wait to be accepted
# header_timeout = "10s"       # the whole request head must arrive within this
# body_timeout = "30s"         # the whole request body must arrive within this
# trusted_proxies = ["127.0.0.1"]  # never limited per address (your reverse proxy)

[alerts]
# All optional. Where to send alerts:
# webhook_url = "https://hooks.example.com/ml-connector"   # JSON POST per alert
# smtp_url = "smtps://alerts@example.com@smtp.example.com:465"
# email_to = ["ap-team@example.com"]
# When to alert:
# no_success_after = "6h"        # a tenant has not completed a cycle for this long
# quarantine_threshold = 10      # open quarantine entries of a tenant reach this number

# One [[tenants]] section per customer company/environment pair.
[[tenants]]
# Tenant id: lower-case letters, digits and "-". Used in commands, credentials and the store.
id = "acme"
# How often a sync cycle runs: poll_interval (time between cycles), OR schedule, a cron
# expression "minute hour day month weekday" evaluated in jde_timezone. Not both.
poll_interval = "5m"
# schedule = "*/5 * * * *"
# The AIS server's time zone (IANA name): JDE stamps (UPMJ/TDAY) are local wall-clock time.
jde_timezone = "America/Chicago"
# Cut-over date: POs ordered and invoices dated before it are never synced (default: none).
# start_date = "2026-01-01"

[tenants.jde]
# JDE user written as EDUS on every Z-file row (max 10 characters; default MLCONN).
batch_user = "MLCONN"
# Name of the voucher orchestration installed from docs/ (default shown).
voucher_orchestration = "ML_AddVoucherBatch"
# Company (KCO) used when a voucher's business unit gives none: up to 5 digits (default 00000).
company = "00200"
# PO order types (DCTO) to sync (default ["OP"]).
po_order_types = ["OP", "OS"]
# Rows per AIS data service page, 1 to 10000 (default 500).
page_size = 500
# AIS requests in flight for this tenant, 1 to 32: the customer's ceiling (default 2).
max_in_flight = 2
# Timeout of one AIS request, 1s to 10m (default 30s).
timeout = "30s"
# Proxy for AIS requests, http://, https:// or socks5:// (default: none, direct).
# proxy = "http://proxy.example.com:3128"
# An invoice whose G/L date falls in a closed period: "next-open" posts it with the G/L date
# moved to the first open period (the invoice date is kept); "quarantine" holds it for AP.
closed_period = "next-open"
# F4311 status codes of PO lines: LTTR meaning cancelled, NXTR meaning closed (defaults shown).
po_cancelled_status = "980"
po_closed_status = "999"
# F0101 column holding a supplier's Factor/Special Payee: a payee (or payee address) changed
# after an invoice's approval is flagged on its voucher and alerted (default AN86, assumed).
payee_column = "AN86"
# Pay status (PST): "supplier" leaves it for JDE to default from the supplier, so a supplier
# on payment hold stays on hold; "approved" sends A (default supplier).
pay_status = "supplier"
# A batch none of whose vouchers JDE processed this long after it was written is quarantined
# and alerted (default 24h).
voucher_processing_sla = "24h"
# Optional: launch JDE's batch voucher processor through the AIS report service once after
# each sync that wrote vouchers, waiting at most `wait` for the job (default: not launched, JDE's
# own schedule runs it). See docs/jde-orchestration.md.
# processor = { voucher = { report = "R04110ZA", version = "XJDE0002" }, wait = "60s" }
# PO-backed invoices (lines naming a JDE PO line) go through this orchestration for Voucher
# Match Automation (F0411Z1 + F0411Z1T rows; R4304010 processes them, launched like R04110ZA
# with processor.match = { report = "R4304010", version = "XJDE0001" }). See docs/vouchers.md.
match_orchestration = "ML_AddVoucherMatch"

[tenants.jaggaer]
# "rest": POs upserted through J1P REST, invoices polled. "cxml": POs sent as cXML
# OrderRequest, invoices arrive as cXML InvoiceDetailRequest at POST /cxml/TENANT. "xml":
# suppliers and POs through the eProcurement XML Router actions (needs xml_identity and
# xml_shared_secret in the jaggaer credentials), invoices polled and/or pushed by JAGGAER's
# invoice export to POST /jaggaer/export/TENANT (default rest).
transport = "rest"
# With transport = "xml": also poll J1P invoices (default true).
# poll_invoices = true
# With transport = "xml": the InvoiceHeader element of an exported invoice that carries
# JAGGAER's invoice id (the J1P invoiceId), so an invoice arriving both ways is one record.
# Assumed; confirm at onboarding (default "InvoiceId").
# export_invoice_id = "InvoiceId"
# Requests per second to JAGGAER, 1 to 1000 (default 10). A 429 pauses all requests of the
# tenant until Retry-After has passed.
rate_limit = 10
# JAGGAER requests in flight, 1 to 64 (default 8).
max_in_flight = 8
# Timeout of one JAGGAER request (default 30s).
timeout = "30s"
# Proxy for JAGGAER requests (default: none).
# proxy = "http://proxy.example.com:3128"
# Invoice list filter field for incremental reads: flt=<field>>=<time> (default lastUpdate).
invoice_filter_field = "lastUpdate"

[tenants.jaggaer.paths]
# J1P resource paths, confirmed per customer at onboarding (defaults shown).
invoices = "/j1p/api/public/ji/v1/invoices"
suppliers = "/j1p/api/public/ja/v1/companyprofiles"
purchase_orders = "/j1p/api/public/jp/v1/purchaseorders"
custom_field_values = "/j1p/api/public/jc/v1/customfields/{field}/values"
cxml_orders = "/apps/Router/CXMLOrderImport"

[tenants.jaggaer.xml_paths]
# XML Router action paths for transport = "xml" (defaults shown).
suppliers = "/apps/Router/TSMSupplierXMLImport"
purchase_orders = "/apps/Router/POXMLImport"

[tenants.mapping]
# Invoice custom field holding the JDE account (default Account).
gl_account_field = "Account"
# Invoice custom field holding the JDE business unit (default CostCenter).
cost_center_field = "CostCenter"
# header.paymentStatus values that mean "ready for payables"; others wait (default ["Payable"]).
invoice_statuses = ["Payable"]
# "full": Account = BU.OBJ.SUB; "object": Account = OBJ[.SUB], BU from CostCenter (default full).
account_format = "full"
# Voucher Match Automation rule (ATRL) of PO-backed invoices: "01"-"05" match to receipts,
# "07"-"09" to PO lines; "" = the supplier's rule in JDE (F0401) (default "02").
match_rule = "02"
# Pre-check before sending a match voucher: invoiced beyond what is received and not vouchered
# by more than percent % (quantity, amount) or amount (amount) is quarantined with the figures.
# JDE's processor applies its own tolerance and decides (defaults shown).
match_tolerance = { percent = "0", amount = "0.01" }
# "line": tax goes to tax_account as a distribution line; "jde": sent as STAM/TXA1/EXR1 and JDE
# distributes it (default line).
tax = "line"
# With tax = "jde": the tax area (TXA1) when the invoice names none, and the tax explanation
# code (EXR1: V VAT, S sales tax, U use tax; default V). Ask your JDE team.
# tax_area = "IL"
# tax_explanation = "S"
# "jde": JDE computes due date and terms from the supplier; "jaggaer": JAGGAER's due date,
# terms code and early payment discount are sent as DDJ, PTC, ADSC (default jde).
due_date = "jde"
# Invoices whose lines hit business units of several companies: "allow" sends one voucher of
# the first line's company and JDE books the intercompany settlements (its constant decides);
# "refuse" quarantines them (default allow).
intercompany = "allow"
# Voucher approval gate (docs/go-live.md): "none" posts vouchers as planned; "first-run" holds
# every voucher for `ml-connector approvals approve` until JDE processed the first one the
# connector posted; "always" holds every voucher (default none). With a gate on,
# voucher_approval_above = "10000" holds only vouchers whose gross is above the amount.
voucher_approval = "none"
# voucher_approval_above = "10000"
# Required. JDE accounts as BU.OBJ or BU.OBJ.SUB.
tax_account = "100.2310"
charge_accounts = { freight = "100.6210", handling = "100.6210", misc = "100.6290", discount = "100.6295" }

# Optional per-company accounts, used for vouchers of that company (KCO).
[tenants.mapping.companies."00300"]
tax_account = "300.2310"
charge_accounts = { freight = "300.6210", handling = "300.6210", misc = "300.6290", discount = "300.6295" }

[tenants.sync]
# Each poll re-reads this far before the saved watermark (default 2h). At least 1h10m: JDE
# stamps are local time and a daylight-saving fall-back repeats an hour.
lookback = "2h"
# Rows changed in the last safety_lag are left for the next poll, so a row still being written
# is not passed over (default 2m, at most 1h).
safety_lag = "2m"
# Lookback on JAGGAER's invoice lastUpdate watermark (default 10m, at most 1d).
invoice_lookback = "10m"
# A cycle still running after this ends as a partial run; the next one resumes where it stopped
# (default 30m, 1m to 1d). It bounds a cycle slowed down by JAGGAER rate limits.
cycle_deadline = "30m"
# A record waiting longer than this (a PO on its supplier, an invoice on its supplier or on a
# receipt) raises a `waiting_too_long` alert (default 7d).
wait_alert_after = "7d"
"#;

/// Runs `init`.
pub(crate) fn run(global: &GlobalArgs, args: &InitArgs) -> AppResult {
    let path = args.path.as_ref().unwrap_or(&global.config);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // create_new: the existence check and the creation are one step, no race.
        options.create_new(true);
    }
    // The config names hosts, users and paths of the installation: readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(AppError::usage(anyhow::anyhow!(
                "{} already exists; not overwriting it. Use --force to replace it, or --path to \
                 write somewhere else",
                path.display()
            )));
        }
        Err(e) => {
            return Err(AppError::failure(
                anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
            ));
        }
    };
    // `--force` over an existing file keeps that file's mode: tighten it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set the permissions of {}", path.display()))
            .map_err(AppError::failure)?;
    }
    file.write_all(TEMPLATE.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(AppError::failure)?;
    println!("Wrote {}.", path.display());
    println!(
        "Next: edit the [[tenants]] section, set ML_CONNECTOR_MASTER_KEY (see \
         `ml-connector credentials new-key`), then `ml-connector credentials set acme jde`."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::TEMPLATE;

    #[test]
    fn init_template_loads_cleanly() {
        let s = crate::config::load_str(TEMPLATE, Path::new("ml-connector.toml"), &[]).unwrap();
        assert_eq!(s.tenants.len(), 1);
        assert_eq!(s.tenants[0].mapping.companies.len(), 1);
    }
}
