//! Wiring: turns the validated config and the vault's credential sets into one ready
//! [`mlc_engine::Engine`] per tenant (AIS client → [`AisSource`], J1P client → [`J1pSide`]).
//!
//! Nothing here talks to a remote system: clients log in lazily on their first request, so
//! building the tenants of a config whose JDE is down still succeeds and the failure is reported
//! by the cycle that needs JDE.
use std::sync::Arc;

use anyhow::anyhow;
use jiff::SignedDuration;
use mlc_engine::Engine;
use mlc_engine::connectors::ais::AisSource;
use mlc_engine::connectors::j1p::{CxmlIdentity, J1pSide};
use mlc_engine::connectors::xml::XmlSide;
use mlc_engine::mapping::purchase_order::PoStatusCodes;
use mlc_engine::settings as es;
use mlc_jaggaer::xml::{XmlAuth, XmlPaths, XmlRouterClient, XmlRouterSettings};
use mlc_jaggaer::{J1pClient, J1pPaths, J1pSettings};
use mlc_jde::{AisClient, AisSettings};
use mlc_store::StateStore;
use mlc_vault::{CredentialSet, JaggaerCredentials, JdeCredentials, System, Vault};
use secrecy::SecretString;

use crate::config::Settings;
use crate::config::raw::{
    AccountFormat, ClosedPeriod, DueDate, Intercompany, PayStatus, Tax, Transport,
};
use crate::config::settings::{self as cs, TenantSettings};
use crate::error::{AppError, AppResult};
use crate::plumbing::open_vault;

/// PO numbers per bulk F4311 read (one `DOCO` LIST condition).
const LINES_CHUNK: usize = 200;

/// One tenant, ready to sync.
pub(crate) struct TenantRuntime {
    /// The tenant's validated config.
    pub(crate) settings: TenantSettings,
    /// Its engine.
    pub(crate) engine: Engine,
    /// The AIS client (for `ping`).
    pub(crate) ais: AisClient,
    /// The J1P client (for `ping`).
    pub(crate) j1p: J1pClient,
    /// The buyer's cXML identity, when the tenant uses cXML.
    #[allow(dead_code)] // shown by the dashboard once it lists identities
    pub(crate) cxml_identity: Option<String>,
    /// Shared secret that inbound cXML invoices must carry.
    pub(crate) cxml_shared_secret: Option<SecretString>,
    /// `Identity` JAGGAER's invoice export must carry (`transport = "xml"`).
    pub(crate) xml_identity: Option<String>,
    /// `SharedSecret` JAGGAER's invoice export must carry (`transport = "xml"`).
    pub(crate) xml_shared_secret: Option<SecretString>,
}

/// Builds every tenant of the config (or only `only`), reading their credentials from the
/// vault. A tenant without both credential sets is a usage error naming the command to run.
pub(crate) async fn build_tenants(
    settings: &Settings,
    store: Arc<dyn StateStore>,
    only: Option<&str>,
) -> AppResult<Vec<TenantRuntime>> {
    let selected = select(settings, only)?;
    let vault = open_vault(settings)?;
    selected
        .into_iter()
        .map(|t| build_tenant(t, &vault, store.clone()))
        .collect()
}

/// The tenants of the config (or only `only`); none is a usage error naming the known ones.
fn select<'a>(settings: &'a Settings, only: Option<&str>) -> AppResult<Vec<&'a TenantSettings>> {
    let selected: Vec<&TenantSettings> = settings
        .tenants
        .iter()
        .filter(|t| only.is_none_or(|o| t.id.as_str() == o))
        .collect();
    if let Some(o) = only
        && selected.is_empty()
    {
        let known: Vec<&str> = settings.tenants.iter().map(|t| t.id.as_str()).collect();
        return Err(AppError::usage(anyhow!(
            "no tenant {o:?} in the config (tenants: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    if selected.is_empty() {
        return Err(AppError::usage(anyhow!(
            "the config has no [[tenants]]; add one (see `ml-connector init`)"
        )));
    }
    Ok(selected)
}

/// [`build_tenants`] with an already opened vault. `demo` uses it: it opens its vault with the
/// key file it wrote, so an `ML_CONNECTOR_MASTER_KEY` left in the user's environment for
/// another installation does not shadow the demo's key.
pub(crate) fn build_tenants_with_vault(
    settings: &Settings,
    store: Arc<dyn StateStore>,
    only: &str,
    vault: &Vault,
) -> AppResult<Vec<TenantRuntime>> {
    select(settings, Some(only))?
        .into_iter()
        .map(|t| build_tenant(t, vault, store.clone()))
        .collect()
}

fn credentials(
    vault: &Vault,
    t: &TenantSettings,
) -> AppResult<(JdeCredentials, JaggaerCredentials)> {
    let missing = |system: &str| {
        AppError::usage(anyhow!(
            "tenant {}: no {system} credentials in the vault; store them with `ml-connector \
             credentials set {} {system}`",
            t.id,
            t.id
        ))
    };
    let jde = match vault.get(&t.id, System::Jde)? {
        Some(CredentialSet::Jde(c)) => c,
        _ => return Err(missing("jde")),
    };
    let jag = match vault.get(&t.id, System::Jaggaer)? {
        Some(CredentialSet::Jaggaer(c)) => c,
        _ => return Err(missing("jaggaer")),
    };
    Ok((jde, jag))
}

fn build_tenant(
    t: &TenantSettings,
    vault: &Vault,
    store: Arc<dyn StateStore>,
) -> AppResult<TenantRuntime> {
    let (jde, jag) = credentials(vault, t)?;
    warn_plain_http(t, "jde", &jde.base_url);
    warn_plain_http(t, "jaggaer", &jag.base_url);

    let ais = AisClient::new(ais_settings(t, &jde))
        .map_err(|e| AppError::usage(anyhow!("tenant {}: JDE client: {e}", t.id)))?;
    let j1p = J1pClient::new(j1p_settings(t, &jag))
        .map_err(|e| AppError::usage(anyhow!("tenant {}: JAGGAER client: {e}", t.id)))?;

    let cxml = matches!(t.jaggaer.transport, Transport::Cxml);
    let cxml_identity = jag.cxml_identity.clone();
    if cxml && (cxml_identity.is_none() || jag.cxml_shared_secret.is_none()) {
        return Err(AppError::usage(anyhow!(
            "tenant {}: transport = \"cxml\" needs `cxml_identity` and `cxml_shared_secret` in \
             its jaggaer credentials (`ml-connector credentials set {} jaggaer`)",
            t.id,
            t.id
        )));
    }
    let engine_settings = engine_settings(t, cxml_identity.clone().unwrap_or_default());
    let identity = match (cxml, &cxml_identity, &jag.cxml_shared_secret) {
        (true, Some(identity), Some(secret)) => Some(CxmlIdentity {
            identity: identity.clone(),
            shared_secret: secret.clone(),
        }),
        _ => None,
    };
    let source = AisSource::new(ais.clone(), t.jde.page_size)
        .with_po_status_codes(PoStatusCodes {
            cancelled: t.jde.po_cancelled_status.clone(),
            closed: t.jde.po_closed_status.clone(),
        })
        .with_inactive_suppliers(t.mapping.inactive_suppliers.clone())
        .with_payee_column(&t.jde.payee_column)
        .with_timezone(t.jde_timezone.clone());
    let side = J1pSide::new(j1p.clone(), engine_settings.mapping.clone(), identity);
    let jag_side: Arc<dyn mlc_engine::ports::JaggaerSide> =
        if matches!(t.jaggaer.transport, Transport::Xml) {
            let router = XmlRouterClient::new(xml_settings(t, &jag)?).map_err(|e| {
                AppError::usage(anyhow!("tenant {}: JAGGAER XML Router client: {e}", t.id))
            })?;
            Arc::new(XmlSide::new(
                router,
                Arc::new(side),
                engine_settings.mapping.clone(),
            ))
        } else {
            Arc::new(side)
        };
    let engine = Engine {
        store,
        jde: Arc::new(source),
        jag: jag_side,
        settings: Arc::new(engine_settings),
        progress: None,
        fence: None,
    };
    Ok(TenantRuntime {
        settings: t.clone(),
        engine,
        ais,
        j1p,
        cxml_identity,
        cxml_shared_secret: jag.cxml_shared_secret.clone(),
        xml_identity: jag.xml_identity.clone(),
        xml_shared_secret: jag.xml_shared_secret.clone(),
    })
}

/// The XML Router client's settings (`transport = "xml"`): the JAGGAER base URL, the
/// `xml_paths`, and `xml_identity` + `xml_shared_secret` from the vault (required).
fn xml_settings(t: &TenantSettings, c: &JaggaerCredentials) -> AppResult<XmlRouterSettings> {
    let (Some(identity), Some(secret)) = (&c.xml_identity, &c.xml_shared_secret) else {
        return Err(AppError::usage(anyhow!(
            "tenant {}: transport = \"xml\" needs `xml_identity` and `xml_shared_secret` in \
             its jaggaer credentials (`ml-connector credentials set {} jaggaer`)",
            t.id,
            t.id
        )));
    };
    let mut s = XmlRouterSettings::new(
        c.base_url.clone(),
        XmlAuth::new(identity.clone(), secret.clone()),
    );
    s.paths = XmlPaths {
        suppliers: t.jaggaer.xml_paths.suppliers.clone(),
        purchase_orders: t.jaggaer.xml_paths.purchase_orders.clone(),
    };
    s.timeout = t.jaggaer.timeout;
    s.ca_cert_pem = c.ca_cert_pem.clone();
    s.proxy = t.jaggaer.proxy.clone();
    Ok(s)
}

fn warn_plain_http(t: &TenantSettings, system: &str, url: &url::Url) {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        tracing::warn!(
            tenant = %t.id,
            system,
            host = url.host_str().unwrap_or(""),
            "Plain http:// to a host that is not loopback: traffic, including credentials, is \
             not encrypted. Use https:// unless a TLS-terminating proxy runs on that host."
        );
    }
}

fn ais_settings(t: &TenantSettings, c: &JdeCredentials) -> AisSettings {
    let mut s = AisSettings::new(c.base_url.clone(), c.username.clone(), c.password.clone());
    s.environment = c.environment.clone();
    s.role = c.role.clone();
    s.device_name = c.device_name_for(t.id.as_str());
    s.ca_cert_pem = c.ca_cert_pem.clone();
    s.proxy = t.jde.proxy.clone();
    s.max_in_flight = t.jde.max_in_flight as usize;
    s.timeout = t.jde.timeout;
    s
}

fn j1p_settings(t: &TenantSettings, c: &JaggaerCredentials) -> J1pSettings {
    let mut s = J1pSettings::new(
        c.base_url.clone(),
        c.client_id.clone(),
        c.client_secret.clone(),
    );
    s.token_url = Some(c.token_url());
    s.ca_cert_pem = c.ca_cert_pem.clone();
    s.proxy = t.jaggaer.proxy.clone();
    s.max_in_flight = t.jaggaer.max_in_flight as usize;
    s.timeout = t.jaggaer.timeout;
    s.rate_limit_per_sec = Some(t.jaggaer.rate_limit);
    s.invoice_filter_field = t.jaggaer.invoice_filter_field.clone();
    let p = &t.jaggaer.paths;
    s.paths = J1pPaths {
        invoices: p.invoices.clone(),
        suppliers: p.suppliers.clone(),
        purchase_orders: p.purchase_orders.clone(),
        custom_field_values: p.custom_field_values.clone(),
        cxml_orders: p.cxml_orders.clone(),
    };
    s
}

fn charges(c: &cs::ChargeAccounts) -> es::ChargeAccounts {
    es::ChargeAccounts {
        tax: c.tax.clone(),
        freight: c.freight.clone(),
        handling: c.handling.clone(),
        misc: c.misc.clone(),
        discount: c.discount.clone(),
    }
}

fn signed(d: std::time::Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

/// The engine's view of a tenant.
pub(crate) fn engine_settings(t: &TenantSettings, cxml_identity: String) -> es::TenantSettings {
    let m = &t.mapping;
    es::TenantSettings {
        tenant: t.id.clone(),
        jde_timezone: t.jde_timezone.clone(),
        start_date: t.start_date,
        batch_user: t.jde.batch_user.clone(),
        voucher_orchestration: t.jde.voucher_orchestration.clone(),
        company: t.jde.company.clone(),
        po_order_types: t.jde.po_order_types.clone(),
        page_size: t.jde.page_size,
        lines_chunk: LINES_CHUNK,
        write_concurrency: (t.jaggaer.max_in_flight as usize).max(1),
        transport: match t.jaggaer.transport {
            Transport::Rest => es::Transport::Rest,
            Transport::Cxml => es::Transport::Cxml,
            Transport::Xml => es::Transport::Xml,
        },
        poll_invoices: t.jaggaer.poll_invoices,
        export_invoice_id: t.jaggaer.export_invoice_id.clone(),
        mapping: es::MappingSettings {
            gl_account_field: m.gl_account_field.clone(),
            cost_center_field: m.cost_center_field.clone(),
            invoice_statuses: m.invoice_statuses.clone(),
            account_format: match m.account_format {
                AccountFormat::Full => es::AccountFormat::Full,
                AccountFormat::Object => es::AccountFormat::Object,
            },
            tax: match m.tax {
                Tax::Line => es::TaxMode::Line,
                Tax::Jde => es::TaxMode::Jde,
            },
            tax_area: m.tax_area.clone(),
            tax_explanation: m.tax_explanation.clone(),
            account_scope: m.account_scope.clone(),
            voucher_approval: m.voucher_approval,
            voucher_approval_above: m.voucher_approval_above,
            charges: charges(&m.charges),
            companies: m
                .companies
                .iter()
                .map(|(k, v)| (k.clone(), charges(v)))
                .collect(),
        },
        windows: es::WindowSettings {
            lookback: signed(t.sync.lookback),
            safety_lag: signed(t.sync.safety_lag),
            invoice_lookback: signed(t.sync.invoice_lookback),
        },
        closed_period: match t.jde.closed_period {
            ClosedPeriod::NextOpen => es::ClosedPeriodRule::NextOpen,
            ClosedPeriod::Quarantine => es::ClosedPeriodRule::Quarantine,
        },
        cxml_identity,
        payables: es::PayablesSettings {
            pay_status: match t.jde.pay_status {
                PayStatus::Supplier => es::PayStatus::Supplier,
                PayStatus::Approved => es::PayStatus::Approved,
            },
            due_date: match m.due_date {
                DueDate::Jde => es::DueDateMode::Jde,
                DueDate::Jaggaer => es::DueDateMode::Jaggaer,
            },
            intercompany: match m.intercompany {
                Intercompany::Allow => es::Intercompany::Allow,
                Intercompany::Refuse => es::Intercompany::Refuse,
            },
            voucher_processing_sla: signed(t.jde.voucher_processing_sla),
            processor: t.jde.processor.as_ref().map(|p| {
                let r = |x: &Option<(String, String)>| {
                    x.as_ref().map(|(report, version)| es::ReportRef {
                        report: report.clone(),
                        version: version.clone(),
                    })
                };
                es::ProcessorSettings {
                    voucher: r(&p.voucher),
                    match_: r(&p.match_),
                    after_sync: p.after_sync,
                    wait: signed(p.wait),
                }
            }),
            matching: es::MatchSettings {
                orchestration: t.jde.match_orchestration.clone(),
                rule: m.match_rule.clone(),
                tolerance: es::MatchTolerance {
                    percent: m.match_tolerance.0,
                    amount: m.match_tolerance.1,
                },
            },
        },
        cycle_deadline: Some(t.sync.cycle_deadline),
    }
}

/// Logs every tenant's AIS session out (best effort; a session not opened is skipped).
pub(crate) async fn logout_all(runtimes: &[TenantRuntime]) {
    for rt in runtimes {
        if rt.ais.session_info().await.is_some()
            && let Err(e) = rt.ais.logout().await
        {
            tracing::debug!(tenant = %rt.settings.id, error = %e, "AIS logout failed.");
        }
    }
}
